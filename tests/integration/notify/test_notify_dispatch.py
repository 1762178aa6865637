"""The dispatcher against a real SMTP server (aiosmtpd) and a real HTTP SMS endpoint (pytest-httpserver)."""

from datetime import UTC, datetime, timedelta

import pytest
from notify_support import SmtpServer, free_port

from omnialloc.domain import PaymentMode
from omnialloc.notify.email import SmtpConfig, SmtpSender
from omnialloc.notify.sms import HttpSmsProvider, LogSmsProvider
from omnialloc.services.notifications import admin, preferences, worker
from omnialloc.services.access import SYSTEM
from omnialloc.services.notifications.worker import Dispatcher


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


def smtp_to(port):
    return SmtpSender(SmtpConfig(host="127.0.0.1", port=port, sender="orders@kirana.example",
                                 sender_name="Kirana Mart", timeout=5))


def sms_to(httpserver):
    return HttpSmsProvider(httpserver.url_for("/sms"), "tok-1", timeout=5)


def confirm(add_order, record_event, **kw):
    order = add_order(**kw)
    record_event("order", order.id, from_status="VALIDATED", to_status="ALLOCATED")
    return order


def test_pending_messages_are_delivered_with_their_content(ctx, add_order, record_event, rows, smtp_server,
                                                          httpserver):
    httpserver.expect_oneshot_request("/sms", method="POST").respond_with_json({"id": "sms-1"})
    order = confirm(add_order, record_event)
    tally = Dispatcher(ctx, email=smtp_to(smtp_server.port), sms=sms_to(httpserver)).drain()
    assert tally.sent == 2
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["asha@example.com"]
    assert mail.message["Subject"] == f"Your order {order.external_id} is confirmed"
    assert "₹999.00" in mail.message.get_body(("plain",)).get_content()
    [(request, _)] = httpserver.log
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert request.headers["Idempotency-Key"] == f"order_confirmed:order:{order.id}:sms"
    assert request.json["message"].startswith(f"Kirana Mart: Order {order.external_id} confirmed")
    email_row, sms_row = rows()
    assert (email_row["status"], email_row["attempts"], email_row["subject"]) == ("sent", 1, mail.message["Subject"])
    assert (sms_row["status"], sms_row["provider_ref"]) == ("sent", "sms-1")


def test_smtp_down_for_the_first_attempts_then_up_delivers_once(ctx, add_order, record_event, rows):
    port = free_port()
    clock = Clock()
    order = confirm(add_order, record_event, phone="")
    dispatcher = Dispatcher(ctx, email=smtp_to(port), sms=LogSmsProvider(), clock=clock)
    for _ in range(2):
        assert dispatcher.run_once().retrying == 1
        clock.advance(1)
    [row] = rows(channel="email")
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert "connection" in row["last_error"].lower()
    server = SmtpServer(port).start()
    try:
        assert dispatcher.drain().sent == 1
        clock.advance(3600)
        assert dispatcher.drain().claimed == 0
    finally:
        server.stop()
    assert len(server.received) == 1
    assert server.received[0].message["Subject"] == f"Your order {order.external_id} is confirmed"
    [row] = rows(channel="email")
    assert (row["status"], row["attempts"]) == ("sent", 3)


def test_transient_failures_wait_with_exponential_backoff(make_ctx, add_order, record_event, rows):
    ctx = make_ctx(notify_backoff_seconds=30, notify_backoff_max_seconds=3600, notify_max_attempts=6)
    clock = Clock()
    confirm(add_order, record_event, phone="")
    dispatcher = Dispatcher(ctx, email=smtp_to(free_port()), sms=LogSmsProvider(), clock=clock)
    waits = []
    for _ in range(3):
        start = clock.now
        assert dispatcher.run_once().retrying == 1
        assert dispatcher.run_once().claimed == 0          # not due yet
        waits.append((rows(channel="email")[0]["next_attempt_at"] - start).total_seconds())
        clock.now = rows(channel="email")[0]["next_attempt_at"]
    assert waits == [30, 60, 120]


def test_http_503_then_200_is_one_delivery(ctx, add_order, record_event, rows, httpserver):
    httpserver.expect_ordered_request("/sms").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/sms").respond_with_json({"id": "ok-1"})
    confirm(add_order, record_event, email="")
    dispatcher = Dispatcher(ctx, email=smtp_to(free_port()), sms=sms_to(httpserver))
    assert dispatcher.drain().sent == 1
    assert dispatcher.drain().claimed == 0
    httpserver.check_assertions()
    keys = [req.headers["Idempotency-Key"] for req, _ in httpserver.log]
    assert len(keys) == 2 and len(set(keys)) == 1           # the retry carries the same key
    [row] = rows(channel="sms")
    assert (row["status"], row["attempts"], row["provider_ref"]) == ("sent", 2, "ok-1")


def test_http_400_is_dead_lettered_and_not_retried(ctx, add_order, record_event, rows, httpserver):
    httpserver.expect_request("/sms").respond_with_data('{"error": "invalid number"}', status=400)
    confirm(add_order, record_event, email="")
    dispatcher = Dispatcher(ctx, email=smtp_to(free_port()), sms=sms_to(httpserver))
    assert dispatcher.drain().failed == 1
    assert dispatcher.drain().claimed == 0
    assert len(httpserver.log) == 1
    [row] = rows(channel="sms")
    assert row["status"] == "failed" and row["attempts"] == 1
    assert "permanent failure" in row["last_error"] and "400" in row["last_error"]
    failed = admin.list_notifications(ctx, SYSTEM, status="failed")["items"]
    assert [n["id"] for n in failed] == [row["id"]]


def test_smtp_5xx_is_dead_lettered_and_not_retried(ctx, add_order, record_event, rows, smtp_server):
    smtp_server.handler.fail_with = ["550 5.1.1 mailbox unavailable"]
    confirm(add_order, record_event, phone="")
    dispatcher = Dispatcher(ctx, email=smtp_to(smtp_server.port), sms=LogSmsProvider())
    assert dispatcher.drain().failed == 1
    [row] = rows(channel="email")
    assert row["status"] == "failed" and "550" in row["last_error"]
    assert smtp_server.received == []


def test_smtp_4xx_is_retried(ctx, add_order, record_event, rows, smtp_server):
    smtp_server.handler.fail_with = ["451 4.7.1 greylisted, try again"]
    confirm(add_order, record_event, phone="")
    assert Dispatcher(ctx, email=smtp_to(smtp_server.port), sms=LogSmsProvider()).drain().sent == 1
    assert rows(channel="email")[0]["attempts"] == 2
    assert len(smtp_server.received) == 1


def test_gives_up_after_max_attempts_and_an_admin_can_requeue(make_ctx, add_order, record_event, rows, httpserver):
    ctx = make_ctx(notify_max_attempts=3)
    httpserver.expect_request("/sms").respond_with_data("down", status=502)
    confirm(add_order, record_event, email="")
    dispatcher = Dispatcher(ctx, email=smtp_to(free_port()), sms=sms_to(httpserver))
    tally = dispatcher.drain()
    assert (tally.retrying, tally.failed) == (2, 1)
    [row] = rows(channel="sms")
    assert row["status"] == "failed" and row["last_error"].startswith("gave up after 3 attempts")
    httpserver.clear()
    httpserver.expect_request("/sms").respond_with_json({"id": "finally"})
    view = admin.requeue(ctx, SYSTEM, row["id"])
    assert (view["status"], view["attempts"]) == ("pending", 0)
    assert dispatcher.drain().sent == 1
    [row] = rows(channel="sms")
    assert (row["status"], row["provider_ref"]) == ("sent", "finally")
    assert httpserver.log[0][0].headers["Idempotency-Key"] == row["idempotency_key"]


def test_a_sent_message_cannot_be_requeued(ctx, add_order, record_event, rows):
    from omnialloc.domain.errors import Conflict

    confirm(add_order, record_event, email="")
    Dispatcher(ctx, email=smtp_to(free_port()), sms=LogSmsProvider()).drain()
    with pytest.raises(Conflict, match="sent"):
        admin.requeue(ctx, SYSTEM, rows(channel="sms")[0]["id"])


def test_opted_out_customers_are_skipped_but_mandatory_messages_still_go(ctx, add_order, add_shipment, record_event,
                                                                        rows):
    preferences.set_preferences(ctx, SYSTEM, "cust-7", {"sms": False})
    preferences.set_preferences(ctx, SYSTEM, "ASHA@example.com", {"email": False})
    order = confirm(add_order, record_event, customer_id="cust-7")
    record_event("order", order.id, from_status="ALLOCATED", to_status="CANCELLED")
    sms = LogSmsProvider()
    dispatcher = Dispatcher(ctx, email=smtp_to(free_port()), sms=sms)
    from omnialloc.notify.email import LogEmailSender

    dispatcher.email = LogEmailSender()
    tally = dispatcher.drain()
    assert (tally.sent, tally.skipped) == (2, 2)
    by_kind = {(r["kind"], r["channel"]): (r["status"], r["last_error"]) for r in rows()}
    assert by_kind[("order_confirmed", "sms")] == ("skipped", "the customer opted out of sms")
    assert by_kind[("order_confirmed", "email")] == ("skipped", "the customer opted out of email")
    assert by_kind[("order_cancelled", "sms")][0] == "sent"      # mandatory by default
    assert by_kind[("order_cancelled", "email")][0] == "sent"
    assert preferences.get_preferences(ctx, SYSTEM, "cust-7") == {
        "subject": "cust-7", "email": True, "sms": False,
        "updated_at": preferences.get_preferences(ctx, SYSTEM, "cust-7")["updated_at"]}


def test_opting_back_in_and_requeueing_a_skipped_message_sends_it(ctx, add_order, record_event, rows):
    preferences.set_preferences(ctx, SYSTEM, "+91 98000-00001", {"sms": False})
    confirm(add_order, record_event, email="")
    sms = LogSmsProvider()
    dispatcher = Dispatcher(ctx, email=smtp_to(free_port()), sms=sms)
    assert dispatcher.drain().skipped == 1
    preferences.set_preferences(ctx, SYSTEM, "+919800000001", {"sms": True})
    admin.requeue(ctx, SYSTEM, rows(channel="sms")[0]["id"])
    assert dispatcher.drain().sent == 1 and len(sms.sent) == 1


def test_a_broken_template_override_dead_letters_with_the_reason(make_ctx, tmp_path, add_order, record_event, rows):
    (tmp_path / "sms").mkdir()
    (tmp_path / "sms" / "order_confirmed.txt").write_text("Hi {{ customer.nickname }}")
    ctx = make_ctx(templates_dir=str(tmp_path))
    confirm(add_order, record_event, email="")
    sms = LogSmsProvider()
    assert Dispatcher(ctx, email=smtp_to(free_port()), sms=sms).drain().failed == 1
    assert "nickname" in rows(channel="sms")[0]["last_error"] and sms.sent == []


def test_a_claim_left_by_a_crashed_worker_is_taken_over_after_the_lease(make_ctx, add_order, record_event, rows):
    ctx = make_ctx(notify_lease_seconds=60)
    confirm(add_order, record_event, email="")
    clock = Clock()
    crashed = Dispatcher(ctx, email=smtp_to(free_port()), sms=LogSmsProvider(), clock=clock, worker_id="crashed")
    assert len(crashed._claim(10, worker.Tally())) == 1    # claimed, then the process died
    sms = LogSmsProvider()
    survivor = Dispatcher(ctx, email=smtp_to(free_port()), sms=sms, clock=clock, worker_id="survivor")
    assert survivor.run_once().claimed == 0
    clock.advance(61)
    assert survivor.run_once().sent == 1
    row = rows(channel="sms")[0]
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert [m.idempotency_key for m in sms.sent] == [row["idempotency_key"]]


def test_turned_off_channel_is_skipped(make_ctx, add_order, record_event, rows):
    ctx = make_ctx(notify_channels="email")
    confirm(add_order, record_event, email="", payment_mode=PaymentMode.COD)
    assert Dispatcher(ctx, email=smtp_to(free_port()), sms=LogSmsProvider()).drain().skipped == 1
    assert "turned off" in rows(channel="sms")[0]["last_error"]


def test_a_moment_that_has_passed_is_not_announced_late(ctx, add_order, add_shipment, record_event, rows):
    from omnialloc.domain import ShipmentStatus

    order = add_order(email="")
    shipment = add_shipment(order, status=ShipmentStatus.IN_TRANSIT)
    record_event("shipment", shipment.id, "tracking", from_status="IN_TRANSIT", to_status="OUT_FOR_DELIVERY",
                 awb="XB1")
    clock = Clock()
    clock.advance(13 * 3600)                      # the worker was down for half a day
    sms = LogSmsProvider()
    assert Dispatcher(ctx, email=smtp_to(free_port()), sms=sms, clock=clock).drain().skipped == 1
    assert sms.sent == [] and rows(channel="sms")[0]["last_error"].startswith("stale")
