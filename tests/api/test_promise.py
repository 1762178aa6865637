"""The delivery promise API (issue 24): POST /promise for a cart, GET /promise for a product page.

The property that matters: an order captured right after its promise is planned the same way, so it
meets the promised date (random carts, PINs and payment modes on the demo network, hypothesis).
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnialloc.network_files import load_cities
from tests.api.conftest import auth, order_body

PINS = sorted({c.pin for c in load_cities()})
SKUS = [f"SKU-{n:04d}" for n in range(1, 41)]
_IDS = itertools.count()


def _reserved(uow_factory) -> int:
    with uow_factory(readonly=True) as uow:
        return sum(p.reserved for p in uow.inventory.list(sku="SKU-0001"))


def test_a_cart_gets_standard_and_faster_express_options_and_nothing_is_reserved(client, keys, uow_factory):
    admin = auth(keys["admin"])
    before = _reserved(uow_factory)
    r = client.post("/promise", json={"lines": [{"sku": "SKU-0001", "qty": 1}], "pin": "678001"}, headers=admin)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    names = [o["name"] for o in body["options"]]
    assert names[0] == "standard" and set(names) <= {"standard", "express"}
    standard = body["options"][0]
    assert standard["parcels"] == len(standard["shipments"]) >= 1
    assert standard["shipping_paise"] == sum(p["shipping_paise"] for p in standard["shipments"]) > 0
    assert standard["delivery_date"] == max(p["delivery_date"] for p in standard["shipments"])
    if "express" in names:
        express = body["options"][1]
        assert express["delivery_date"] < standard["delivery_date"]
    assert _reserved(uow_factory) == before
    # the product page's form gives the same answer
    page = client.get("/promise", query_string={"sku": "SKU-0001", "pin": "678001"}, headers=admin).get_json()
    assert page["options"] == body["options"]


def test_bad_carts_are_422_with_the_field_named(client, keys):
    admin = auth(keys["admin"])
    cases = [({"lines": [{"sku": "NO-SUCH", "qty": 1}], "pin": "678001"}, "lines.0.sku"),
             ({"lines": [{"sku": "SKU-0001", "qty": 1}], "pin": "999999"}, "pin"),
             ({"lines": [{"sku": "SKU-0001", "qty": 0}], "pin": "678001"}, "lines.0.qty"),
             ({"lines": [], "pin": "678001"}, "lines"),
             ({"lines": [{"sku": "SKU-0001", "qty": 1}], "pin": "678001", "channel": "nosuch"}, "channel")]
    for body, field in cases:
        r = client.post("/promise", json=body, headers=admin)
        assert r.status_code == 422, (body, r.get_json())
        problem = r.get_json()
        assert problem["status"] == 422
        assert any(e.get("field", "").startswith(field) or field in e.get("field", "") for e in problem["errors"]) \
            or field in problem["detail"], problem
    assert client.post("/promise", json={"lines": [{"sku": "SKU-0001", "qty": 1}], "pin": "678001"}).status_code == 401


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=3,
                      unique_by=lambda t: t[0]),
       pin=st.sampled_from(PINS), cod=st.booleans())
def test_allocating_right_after_a_promise_meets_the_promised_date(client, keys, lines, pin, cod):
    admin = auth(keys["admin"])
    cart = [{"sku": s, "qty": q} for s, q in lines]
    mode = "COD" if cod else "PREPAID"
    promise = client.post("/promise", json={"lines": cart, "pin": pin, "payment_mode": mode}, headers=admin)
    assert promise.status_code == 200, promise.get_json()
    options = promise.get_json()["options"]
    r = client.post("/orders", json=order_body(f"promised-{next(_IDS)}", pin=pin, lines=cart, payment_mode=mode), headers=admin)
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    if not options:
        assert order["status"] in ("BACKORDERED", "ON_HOLD"), order["status"]
        return
    standard = options[0]
    assert order["status"] == "ALLOCATED", (order["status"], order.get("status_reason"))
    assert order["delivery_date"] <= standard["delivery_date"]
    planned = sorted((s["node"], s["carrier"]) for s in order["shipments"])
    assert planned == sorted((p["node"], p["carrier"]) for p in standard["shipments"])
