"""The price difference of an exchange (issue 28): a dearer replacement raises a payment request the shop
settles; a cheaper one refunds the difference once the returned units are in; both on the order's money trail.

Expected amounts come from the SKU master as the test reads it with its own SQL, not from the service.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.conftest import auth
from tests.api.test_returns import _delivered, _return, _walk_reverse

CHEAP, DEAR = "SKU-0003", "SKU-0045"  # Linen shirt Rs 1,499 and running sneakers Rs 2,099 in the demo data


def _price(uow_factory, sku: str) -> int:
    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.text("SELECT unit_price_paise FROM skus WHERE code = :c"), {"c": sku}).scalar_one()


def _payment_rows(uow_factory, order_id: str) -> list[tuple]:
    with uow_factory(readonly=True) as uow:
        return [tuple(r) for r in uow.conn.execute(sa.text(
            "SELECT amount_paise, status, return_id, exchange_order_id FROM payment_requests WHERE order_id = :o"),
            {"o": order_id})]


def test_a_dearer_exchange_raises_a_payment_request_the_shop_settles_once(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "exch-dear", lines=[{"sku": CHEAP, "qty": 1}])
    assert order["lines"][0]["unit_price_paise"] == _price(uow_factory, CHEAP)
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit", "exchange_sku": DEAR}],
                  resolution="exchange")
    owed = _price(uow_factory, DEAR) - _price(uow_factory, CHEAP)
    assert owed == 60_000  # Rs 2,099 - Rs 1,499
    exchange = client.get(f"/orders/{ret['exchange_order_id']}", headers=admin).get_json()
    assert [(l["sku"], l["unit_price_paise"]) for l in exchange["lines"]] == [(DEAR, _price(uow_factory, DEAR))]
    assert _payment_rows(uow_factory, order["id"]) == [(owed, "pending", ret["id"], ret["exchange_order_id"])]
    assert ret["payment_request"]["amount_paise"] == owed and ret["payment_request"]["status"] == "pending"

    trail = client.get(f"/orders/{order['id']}/money", headers=admin).get_json()
    assert [(e["kind"], e["amount_paise"]) for e in trail["entries"]] == [
        ("charge", order["value_paise"]), ("payment_request", owed)]
    assert trail["requested_pending_paise"] == owed

    request_id = ret["payment_request"]["id"]
    channel = auth(keys["channel"])
    r = client.post(f"/payment-requests/{request_id}/settle", json={"status": "refunded"}, headers=channel)
    assert r.status_code == 422 and _payment_rows(uow_factory, order["id"])[0][1] == "pending"
    r = client.post(f"/payment-requests/{request_id}/settle", json={"status": "paid", "reference": "pay_shop_1"},
                    headers=channel)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "paid" and r.get_json()["settled_by"]
    r = client.post(f"/payment-requests/{request_id}/settle", json={"status": "cancelled"}, headers=channel)
    assert r.status_code == 409  # settled once
    assert _payment_rows(uow_factory, order["id"])[0][1] == "paid"
    trail = client.get(f"/orders/{order['id']}/money", headers=admin).get_json()
    assert trail["requested_paid_paise"] == owed and trail["requested_pending_paise"] == 0
    # the receipt closes the return without a refund: the customer paid more, nothing comes back
    _walk_reverse(client, ret, "picked_up")
    done = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                       json={"units": [{"line_no": 1, "grade": "A"}]}).get_json()
    assert done["status"] == "CLOSED" and done["refund"] is None


def test_a_cheaper_exchange_refunds_the_difference_when_the_units_are_in(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "exch-cheap", lines=[{"sku": DEAR, "qty": 2}])
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 2, "reason": "size_fit", "exchange_sku": CHEAP}],
                  resolution="exchange")
    assert ret["exchange_order_id"] and ret["payment_request"] is None
    assert _payment_rows(uow_factory, order["id"]) == []
    _walk_reverse(client, ret, "picked_up")
    done = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                       json={"units": [{"line_no": 1, "grade": "A", "qty": 2}]}).get_json()
    back = 2 * (_price(uow_factory, DEAR) - _price(uow_factory, CHEAP))
    assert done["refund"]["amount_paise"] == back == 120_000
    with uow_factory(readonly=True) as uow:
        rows = uow.conn.execute(sa.text("SELECT amount_paise, status FROM refunds WHERE order_id = :o"),
                                {"o": order["id"]}).all()
    assert [tuple(r) for r in rows] == [(back, "issued")]
    trail = client.get(f"/orders/{order['id']}/money", headers=admin).get_json()
    assert [(e["kind"], e["amount_paise"]) for e in trail["entries"]] == [
        ("charge", order["value_paise"]), ("refund", -back)]
    assert trail["refunded_paise"] == back


def test_the_same_sku_exchanged_costs_nothing_more(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "exch-same", lines=[{"sku": CHEAP, "qty": 1}])
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "defective"}],
                  resolution="exchange")
    assert ret["exchange_order_id"] and ret["payment_request"] is None
    _walk_reverse(client, ret, "picked_up")
    done = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                       json={"units": [{"line_no": 1, "grade": "A"}]}).get_json()
    assert done["refund"] is None


def test_settling_an_unknown_or_another_channels_request_is_a_404(client, keys):
    r = client.post("/payment-requests/pay_nope/settle", json={"status": "paid"}, headers=auth(keys["channel"]))
    assert r.status_code == 404
    r = client.post("/payment-requests/pay_nope/settle", json={"status": "paid"}, headers=auth(keys["analyst"]))
    assert r.status_code == 403
