"""The console for customer service (issue 28), without a browser: the order page's contact, item names,
tracking links, money trail and notes; only the actions the state allows; a return raised from the page;
search by phone, e-mail, AWB, PIN and order id; a customer's page; the first-run routes; form errors in
words, all at once.
"""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from tests.api.conftest import auth
from tests.api.test_console import captured, csrf_of, logged_in, token_of
from tests.api.test_exchange_money import CHEAP, DEAR
from tests.api.test_returns import _delivered


def _text(page) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.text))


def _sku_name(uow_factory, sku: str) -> str:
    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.text("SELECT name FROM skus WHERE code = :c"), {"c": sku}).scalar_one()


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def test_root_redirects_a_browser_to_the_console_and_there_is_a_favicon(client):
    r = client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/")
    assert "Accept" in r.headers["Vary"]
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert client.get("/docs").status_code == 200
    assert "/" not in client.get("/openapi.json").json["paths"]


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "application/json, text/html;q=0.5",
                                    "text/plain"])
def test_root_answers_an_api_client_with_where_the_docs_are(client, accept):
    r = client.get("/", headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.mimetype == "application/json" and "Accept" in r.headers["Vary"]
    body = r.get_json()
    assert body["docs"] == "/docs" and body["openapi"] == "/openapi.json"
    assert client.get(body["docs"]).status_code == 200
    assert client.get(body["openapi"]).json["openapi"].startswith("3.")


def test_the_new_order_form_names_every_problem_next_to_its_field(app, keys):
    c = logged_in(app, keys["channel"])
    form = {"csrf_token": csrf_of(c.get("/console/orders/new").text), "external_id": "", "payment_mode": "PREPAID",
            "name": "", "line1": "1 Road", "city": "Chennai", "pin": "06002", "phone": "call me",
            "email": "not-an-address", "lines": "SKU-0001 x 2\nSKU-0002 x lots"}
    r = c.post("/console/orders/new", data=form)
    assert r.status_code == 422
    errors = dict(re.findall(r'<ul class="field-errors" id="err-(\w+)">(.*?)</ul>', r.text, re.S))
    assert set(errors) == {"external_id", "name", "pin", "phone", "email", "lines"}
    assert "6-digit PIN code" in errors["pin"] and "required" in errors["name"]
    assert "name@example.com" in errors["email"] and "SKU x quantity" in html.unescape(errors["lines"])
    assert "^[1-9]" not in r.text  # no regex shown to a person
    assert 'aria-invalid="true" aria-describedby="err-pin"' in r.text


def test_a_delivered_order_page_shows_contact_names_tracking_and_only_the_return_action(app, keys, uow_factory):
    c = logged_in(app, keys["admin"])
    order = _delivered(c, auth(keys["admin"]), "cs-page", lines=[{"sku": CHEAP, "qty": 1}])
    page = c.get(f"/console/orders/{order['id']}")
    text = _text(page)
    assert page.status_code == 200
    assert 'href="tel:+919800000001"' in page.text and 'href="mailto:asha@example.com"' in page.text
    assert _sku_name(uow_factory, CHEAP) in text
    awb = order["shipments"][0]["awb"]
    assert f'/track/{awb}"' in page.text
    for gone in ("Allocate", "Hold reason", "Release hold", "Cancel reason"):
        assert gone not in text, gone
    assert "Create a return" in text
    # a forged POST of an action the state does not allow is refused with words, and changes nothing
    r = c.post(f"/console/orders/{order['id']}/hold", data={"csrf_token": token_of(c), "reason": "x"},
               follow_redirects=True)
    assert "not possible" in r.text and "DELIVERED" in r.text


def test_an_allocated_order_offers_hold_and_cancel_but_not_release_or_return(app, keys):
    c = logged_in(app, keys["admin"])
    order = captured(c, keys, "cs-alloc")
    text = _text(c.get(f"/console/orders/{order['id']}"))
    assert "Hold reason" in text and "Cancel reason" in text
    assert "Release hold" not in text and "Create a return" not in text and "Allocate " not in text


def test_an_exchange_for_a_dearer_sku_from_the_order_page_shows_the_payment_request(app, keys, uow_factory):
    c = logged_in(app, keys["admin"])
    order = _delivered(c, auth(keys["admin"]), "cs-exch", lines=[{"sku": CHEAP, "qty": 1}])
    t = token_of(c, f"/console/orders/{order['id']}")
    bad = c.post(f"/console/orders/{order['id']}/returns",
                 data={"csrf_token": t, "ret_qty_1": "2", "ret_reason_1": "size_fit", "resolution": "exchange"})
    assert bad.status_code == 422 and "only 1 unit(s) of line 1 can be returned" in _text(bad)
    r = c.post(f"/console/orders/{order['id']}/returns", follow_redirects=True,
               data={"csrf_token": t, "ret_qty_1": "1", "ret_reason_1": "size_fit", "ret_sku_1": DEAR,
                     "resolution": "exchange"})
    text = _text(r)
    assert r.status_code == 200 and "payment request of 600.00 INR is pending" in text
    assert "the customer owes ₹600.00" in text and "Mark paid" in text
    with uow_factory(readonly=True) as uow:
        row = uow.conn.execute(sa.text("SELECT id, amount_paise, status FROM payment_requests WHERE order_id = :o"),
                               {"o": order["id"]}).one()
    assert (row.amount_paise, row.status) == (60_000, "pending")
    r = c.post(f"/console/payment-requests/{row.id}/settle", follow_redirects=True,
               data={"csrf_token": t, "status": "paid", "order_id": order["id"]})
    assert "Mark paid" not in _text(r) and "paid" in _text(r)


def test_notes_are_kept_with_who_and_when(app, keys):
    c = logged_in(app, keys["channel"])
    order = captured(c, keys, "cs-note")
    t = token_of(c, f"/console/orders/{order['id']}")
    r = c.post(f"/console/orders/{order['id']}/note", data={"csrf_token": t, "note": "Called: home after 6 pm"},
               follow_redirects=True)
    assert "Called: home after 6 pm" in _text(r) and "channel:" in _text(r)
    r = c.post(f"/console/orders/{order['id']}/note", data={"csrf_token": t, "note": "  "}, follow_redirects=True)
    assert "write the note first" in _text(r)
    analyst = logged_in(app, keys["analyst"])
    assert "Add a note" not in _text(analyst.get(f"/console/orders/{order['id']}"))


def test_search_finds_an_order_by_phone_email_awb_pin_and_id(app, keys):
    c = logged_in(app, keys["admin"])
    admin = auth(keys["admin"])
    shipped = _delivered(c, admin, "cs-find", lines=[{"sku": CHEAP, "qty": 1}])
    other = captured(c, keys, "cs-other", pin="110001")
    awb = shipped["shipments"][0]["awb"]
    for q, by in (("98000 00001", "any"), ("+91 98000-00001", "phone"), ("ASHA@example.com", "any"),
                  (awb, "any"), (awb, "awb")):
        text = _text(c.get("/console/search", query_string={"q": q, "by": by}))
        assert shipped["id"] in text, (q, by)
    text = _text(c.get("/console/search", query_string={"q": "110001"}))
    assert other["id"] in text and shipped["id"] not in text
    r = c.get("/console/search", query_string={"q": shipped["id"], "by": "order_id"})
    assert r.status_code == 303 and r.headers["Location"].endswith(shipped["id"])
    assert "No order matches" in _text(c.get("/console/search", query_string={"q": "nobody@nowhere.in"}))
    # a channel key finds only its own channel's orders
    ch = logged_in(app, keys["channel"])
    assert shipped["id"] in _text(ch.get("/console/search", query_string={"q": awb}))


def test_the_customer_page_lists_orders_returns_and_store_credit(app, keys):
    c = logged_in(app, keys["admin"])
    order = _delivered(c, auth(keys["admin"]), "cs-cust", lines=[{"sku": CHEAP, "qty": 1}], customer_id="cust-cs-1")
    other = captured(c, keys, "cs-cust-2", customer_id="cust-cs-1")
    r = c.post(f"/orders/{order['id']}/returns", headers=auth(keys["admin"]),
               json={"lines": [{"line_no": 1, "qty": 1, "reason": "changed_mind"}], "resolution": "store_credit"})
    assert r.status_code == 201, r.json
    text = _text(c.get("/console/customers", query_string={"c": "cust-cs-1"}))
    assert order["id"] in text and other["id"] in text and r.json["id"] in text
    text_by_phone = _text(c.get("/console/customers", query_string={"c": "+91 98000 00001"}))
    assert order["id"] in text_by_phone
    assert c.get("/console/customers", query_string={"c": "nobody@example.com"}).status_code == 404


def test_the_shipments_list_is_newest_first(app, keys, uow_factory):
    c = logged_in(app, keys["admin"])
    for i in range(3):
        captured(c, keys, f"cs-ship-{i}")
    with uow_factory(readonly=True) as uow:
        want = [r.id for r in uow.conn.execute(sa.text("SELECT id FROM shipments ORDER BY created_at DESC, id DESC"))]
    page = c.get("/console/shipments").text
    shown = re.findall(r"<td>(shp_[0-9a-f]+)</td>", page)
    assert shown == want and len(shown) >= 3
    assert c.get("/console/shipments", query_string={"cursor": "forged.cursor"}).status_code == 422
