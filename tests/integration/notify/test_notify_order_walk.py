"""A full order walk through the lifecycle services delivers the expected customer messages, once each,
with the right content, over a real SMTP server and a real HTTP SMS endpoint.

Returns have no services yet, so the return part of the walk records their events directly.
"""

from __future__ import annotations

import json

import pytest

from omnialloc.notify.email import SmtpConfig, SmtpSender
from omnialloc.notify.sms import HttpSmsProvider
from omnialloc.notify.templates import rupees
from omnialloc.services.fulfilment import shipments as fulfilment, tracking
from omnialloc.services.orders import lifecycle, queries
from omnialloc.services.access import SYSTEM
from omnialloc.services.notifications.worker import Dispatcher


def _body(demo, external_id, payment_mode="PREPAID"):
    return {"channel": demo["channel"], "external_id": external_id, "payment_mode": payment_mode,
            "promised_days": 5, "priority": 0, "tags": [], "delivery_mode": "ship", "pickup_node": None,
            "customer_id": "cust-42",
            "ship_to": {"name": "Asha Rao", "line1": "12 Anna Salai", "line2": "", "city": "Chennai",
                        "state": "Tamil Nadu", "pin": "600002", "lat": None, "lon": None,
                        "phone": "+919800000001", "email": "asha@example.com"},
            "lines": [{"sku": demo["sku"], "qty": 1}]}


@pytest.fixture
def sms_endpoint(httpserver):
    httpserver.expect_request("/sms", method="POST").respond_with_json({"id": "ok"})
    return httpserver


def _messages(smtp_server, sms_endpoint):
    mails = [(m.message["Subject"], m.message.get_body(("plain",)).get_content()) for m in smtp_server.received]
    texts = [json.loads(req.get_data())["message"] for req, _ in sms_endpoint.log]
    return mails, texts


def test_order_walk_sends_each_customer_message_once_with_its_content(ctx, demo, rows, record_event, smtp_server,
                                                                      sms_endpoint):
    view, created = lifecycle.capture(ctx, SYSTEM, _body(demo, "WALK-1"))
    assert created and view["status"] == "ALLOCATED", view
    order_id = view["id"]
    [shipment] = queries.order_view(ctx, SYSTEM, order_id)["shipments"]
    sid = shipment["id"]
    fulfilment.accept(ctx, SYSTEM, sid)
    fulfilment.pack(ctx, SYSTEM, sid, {"weight_g": 700, "length_mm": 200, "width_mm": 150, "height_mm": 100})
    fulfilment.ship(ctx, SYSTEM, sid, "XB100200300IN")
    carrier = shipment["carrier"]
    scans = [("out_for_delivery", "2026-12-01T09:00:00Z"), ("failed_attempt", "2026-12-01T18:00:00Z"),
             ("out_for_delivery", "2026-12-02T09:00:00Z"), ("delivered", "2026-12-02T13:00:00Z")]
    for status, at in scans:
        result = tracking.apply_events(ctx, carrier, [{"awb": "XB100200300IN", "status": status, "at": at,
                                                       "remark": "customer not available" if "failed" in status
                                                       else ""}])
        assert result["applied"] == 1, result
    assert queries.order_view(ctx, SYSTEM, order_id)["status"] == "DELIVERED"
    record_event("return", "rma_walk1", from_status="REQUESTED", to_status="APPROVED", order_id=order_id,
                 resolution="refund")
    record_event("return", "rma_walk1", from_status="APPROVED", to_status="PICKUP_SCHEDULED", order_id=order_id,
                 pickup_date="2026-12-05", carrier=carrier)
    record_event("return", "rma_walk1", from_status="IN_TRANSIT", to_status="RECEIVED", order_id=order_id)
    value = queries.order_view(ctx, SYSTEM, order_id)["value_paise"]
    record_event("return", "rma_walk1", "refund_issued", order_id=order_id, amount_paise=value)

    dispatcher = Dispatcher(ctx, email=SmtpSender(SmtpConfig(port=smtp_server.port, sender="orders@kirana.example",
                                                             timeout=5)),
                            sms=HttpSmsProvider(sms_endpoint.url_for("/sms"), "tok", timeout=5))
    tally = dispatcher.drain()
    assert dispatcher.drain().claimed == 0
    kinds = ["order_confirmed", "order_shipped", "out_for_delivery", "delivery_failed", "out_for_delivery",
             "delivered", "return_approved", "return_pickup_scheduled", "return_received", "refund_issued"]
    assert [r["kind"] for r in rows(channel="email")] == kinds
    assert tally.sent == 2 * len(kinds) and {r["status"] for r in rows()} == {"sent"}

    mails, texts = _messages(smtp_server, sms_endpoint)
    assert len(mails) == len(texts) == len(kinds)
    subjects = [s for s, _ in mails]
    assert subjects[0] == "Your order WALK-1 is confirmed"
    assert subjects[1] == "Your order WALK-1 has shipped (AWB XB100200300IN)"
    assert "Track it: https://track.example.in/t/XB100200300IN" in mails[1][1]
    assert "Track: https://track.example.in/t/XB100200300IN" in texts[1]
    assert "customer not available" in mails[3][1]
    assert subjects[5] == "Delivered: order WALK-1"
    assert "on 2026-12-05" in mails[7][1]
    assert value > 0 and subjects[9] == f"Refund of {rupees(value)} issued for order WALK-1"
    assert all(t.startswith("Kirana Mart: ") and len(t) <= 160 for t in texts)


def test_cancelling_an_allocated_order_tells_the_buyer(ctx, demo, rows, smtp_server, sms_endpoint):
    view, _ = lifecycle.capture(ctx, SYSTEM, _body(demo, "WALK-2", "COD"))
    lifecycle.cancel(ctx, SYSTEM, view["id"], "customer asked")
    dispatcher = Dispatcher(ctx, email=SmtpSender(SmtpConfig(port=smtp_server.port, timeout=5)),
                            sms=HttpSmsProvider(sms_endpoint.url_for("/sms"), "tok", timeout=5))
    dispatcher.drain()
    assert [r["kind"] for r in rows(channel="sms")] == ["order_confirmed", "order_cancelled"]
    mails, texts = _messages(smtp_server, sms_endpoint)
    assert mails[1][0] == "Your order WALK-2 has been cancelled"
    assert "refunded" not in texts[1]          # cash on delivery: nothing was paid
