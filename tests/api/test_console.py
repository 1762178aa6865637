"""The operations console without a browser: login, sessions, CSRF, roles, and every screen renders.

A forged or missing CSRF token, a wrong role, an expired or revoked session
each get their refusal (400, 403, redirect to login), never a 500.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.api.conftest import auth, order_body

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "page has no CSRF field"
    return m.group(1)


def login(client, token: str):
    page = client.get("/console/login")
    return client.post("/console/login", data={"api_key": token, "csrf_token": csrf_of(page.text)})


def logged_in(app, token: str):
    c = app.test_client()
    r = login(c, token)
    assert r.status_code == 303, r.text
    return c


def token_of(client, path: str = "/console/orders") -> str:
    return csrf_of(client.get(path).text)


def captured(client, keys, ext="c-1", **kw) -> dict:
    r = client.post("/orders", json=order_body(ext, **kw), headers=auth(keys["admin"]))
    assert r.status_code == 201, r.json
    return r.json


# ------------------------------------------------------------------ login and session
def test_login_page_renders_with_a_labelled_key_field(client):
    r = client.get("/console/login")
    assert r.status_code == 200
    assert '<label for="api_key">' in r.text and 'id="api_key"' in r.text


def test_login_sets_an_httponly_samesite_cookie_without_the_key(client, keys):
    r = login(client, keys["admin"])
    assert r.status_code == 303 and r.headers["Location"].endswith("/console/orders")
    cookie = next(v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("omnialloc_console="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert keys["admin"] not in cookie


def test_a_wrong_key_is_refused_with_401_and_no_session(client):
    r = login(client, "oa_not-a-real-key")
    assert r.status_code == 401 and "unknown or revoked" in r.text
    assert client.get("/console/orders").status_code == 303


def test_screens_need_a_session(client):
    for path in ("/console/orders", "/console/queue", "/console/rules", "/console/analytics"):
        r = client.get(path)
        assert r.status_code == 303 and "/console/login" in r.headers["Location"]


def test_login_follows_only_console_paths(client, keys):
    page = client.get("/console/login")
    r = client.post("/console/login?next=https://evil.example/x", data={"api_key": keys["admin"],
                                                                        "csrf_token": csrf_of(page.text)})
    assert r.headers["Location"].endswith("/console/orders")


def test_each_role_lands_on_its_home_screen(app, keys):
    homes = {"admin": "/console/orders", "analyst": "/console/orders", "channel": "/console/orders",
             "node_chn": "/console/queue", "carrier_xpr": "/console/shipments"}
    for name, home in homes.items():
        c = app.test_client()
        r = login(c, keys[name])
        assert r.headers["Location"].endswith(home), name
        assert c.get(home).status_code == 200, name


def test_an_expired_session_is_sent_back_to_login(app, keys):
    app.config["CONSOLE_SESSION_SECONDS"] = 1
    c = logged_in(app, keys["admin"])
    token = token_of(c)
    time.sleep(2.1)
    r = c.get("/console/orders")
    assert r.status_code == 303 and "why=expired" in r.headers["Location"]
    r = c.post("/console/rules/new", data={"csrf_token": token, "name": "x"})
    assert r.status_code == 303 and "/console/login" in r.headers["Location"]


def test_a_revoked_key_ends_its_session_on_the_next_request(app, keys, uow_factory):
    c = logged_in(app, keys["analyst"])
    assert c.get("/console/orders").status_code == 200
    with uow_factory() as uow:
        record = uow.api_keys.get_by_name("test-analyst")
        uow.api_keys.revoke(record.id)
        uow.commit()
    r = c.get("/console/orders")
    assert r.status_code == 303 and "why=revoked" in r.headers["Location"]


def test_logout_needs_csrf_and_ends_the_session(app, keys):
    c = logged_in(app, keys["admin"])
    assert c.post("/console/logout").status_code == 400
    assert c.post("/console/logout", data={"csrf_token": token_of(c)}).status_code == 303
    assert c.get("/console/orders").status_code == 303


# ------------------------------------------------------------------ CSRF
def test_login_without_csrf_is_refused(client, keys):
    r = client.post("/console/login", data={"api_key": keys["admin"]})
    assert r.status_code == 400 and "Nothing was changed" in r.text


def test_a_missing_or_forged_csrf_token_changes_nothing(app, keys):
    c = logged_in(app, keys["admin"])
    order = captured(c, keys)
    for data in ({"reason": "x"}, {"reason": "x", "csrf_token": "forged"}):
        r = c.post(f"/console/orders/{order['id']}/hold", data=data)
        assert r.status_code == 400, r.text
        assert "security token" in r.text
    assert c.get(f"/orders/{order['id']}", headers=auth(keys["admin"])).json["status"] == "ALLOCATED"


def test_a_token_from_another_session_is_forged(app, keys):
    a, b = logged_in(app, keys["admin"]), logged_in(app, keys["admin"])
    order = captured(a, keys)
    r = a.post(f"/console/orders/{order['id']}/hold", data={"reason": "x", "csrf_token": token_of(b)})
    assert r.status_code == 400


def test_live_validation_needs_the_csrf_header(app, keys):
    c = logged_in(app, keys["admin"])
    body = {"kind": "routing", "condition": "order.value > 1", "actions": "[]"}
    r = c.post("/console/rules/validate.json", json=body)
    assert r.status_code == 400 and r.json["detail"].startswith("missing or wrong CSRF")


# ------------------------------------------------------------------ roles
@pytest.mark.parametrize("name,path", [
    ("node_chn", "/console/orders"), ("node_chn", "/console/rules"), ("analyst", "/console/rules"),
    ("channel", "/console/rules"), ("channel", "/console/inventory"), ("channel", "/console/queue"),
    ("carrier_xpr", "/console/orders"), ("analyst", "/console/queue"), ("node_chn", "/console/analytics"),
])
def test_a_wrong_role_gets_a_403_page(app, keys, name, path):
    c = logged_in(app, keys[name])
    r = c.get(path)
    assert r.status_code == 403 and "Forbidden" in r.text


def test_an_analyst_cannot_act_on_an_order(app, keys):
    c = logged_in(app, keys["analyst"])
    order = captured(c, keys)
    page = c.get(f"/console/orders/{order['id']}")
    assert page.status_code == 200 and "Hold reason" not in page.text
    r = c.post(f"/console/orders/{order['id']}/hold", data={"reason": "x", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 403


def test_a_channel_sees_only_its_orders(app, keys):
    c = logged_in(app, keys["other_channel"])
    order = captured(c, keys)  # channel web
    assert c.get(f"/console/orders/{order['id']}").status_code == 404
    assert order["id"] not in c.get("/console/orders").text


def test_a_node_sees_its_own_queue_only(app, keys):
    c = logged_in(app, keys["node_mum"])
    order = captured(c, keys)  # Chennai: planned from CHN-FC1
    shipment = order["shipments"][0]
    assert shipment["node"] == "CHN-FC1"
    page = c.get("/console/queue?node=CHN-FC1")
    assert page.status_code == 200 and "MUM-FC1" in page.text and shipment["id"] not in page.text
    r = c.post(f"/console/shipments/{shipment['id']}/accept", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 404


# ------------------------------------------------------------------ screens and actions
def test_order_page_shows_plan_explanation_map_and_timeline(app, keys):
    c = logged_in(app, keys["admin"])
    order = captured(c, keys)
    r = c.get(f"/console/orders/{order['id']}")
    assert r.status_code == 200
    assert "<svg" in r.text and "node-chosen" in r.text and "flow-chosen" in r.text
    assert "Nodes not chosen" in r.text and "Timeline" in r.text and "CHN-FC1" in r.text


def test_orders_list_counts_and_search(app, keys):
    c = logged_in(app, keys["admin"])
    order = captured(c, keys, "search-me")
    r = c.get("/console/orders")
    assert "ALLOCATED <b>1</b>" in r.text
    r = c.get("/console/orders?q=search-me")
    assert r.status_code == 302 and r.headers["Location"].endswith(order["id"])
    assert c.get("/console/orders?q=nope").status_code == 200


def test_capture_form_validates_and_captures(app, keys):
    c = logged_in(app, keys["channel"])
    page = c.get("/console/orders/new")
    form = {"csrf_token": csrf_of(page.text), "external_id": "ui-1", "payment_mode": "PREPAID", "name": "A B",
            "line1": "1 Road", "city": "Chennai", "pin": "600002", "phone": "+919800000001", "lines": "SKU-0001 x 2"}
    bad = c.post("/console/orders/new", data={**form, "lines": "SKU-0001 x lots"})
    assert bad.status_code == 422 and "SKU x quantity" in bad.text
    r = c.post("/console/orders/new", data=form)
    assert r.status_code == 303 and "/console/orders/" in r.headers["Location"]


def test_hold_without_reason_is_a_message_not_an_error(app, keys):
    c = logged_in(app, keys["admin"])
    order = captured(c, keys)
    r = c.post(f"/console/orders/{order['id']}/hold", data={"csrf_token": token_of(c)}, follow_redirects=True)
    assert r.status_code == 200 and "give a reason" in r.text


def test_unknown_order_and_action_are_404_pages(app, keys):
    c = logged_in(app, keys["admin"])
    assert c.get("/console/orders/ord_nope").status_code == 404
    order = captured(c, keys)
    assert c.post(f"/console/orders/{order['id']}/explode", data={"csrf_token": token_of(c)}).status_code == 404


def test_node_walks_accept_pack_ship(app, keys):
    c = logged_in(app, keys["node_chn"])
    order = captured(c, keys)
    sid = order["shipments"][0]["id"]
    t = token_of(c, "/console/queue")
    assert c.post(f"/console/shipments/{sid}/accept", data={"csrf_token": t}).status_code == 303
    bad = c.post(f"/console/shipments/{sid}/pack", data={"csrf_token": t, "weight_g": "heavy"}, follow_redirects=True)
    assert "whole number" in bad.text
    box = {"weight_g": "600", "length_mm": "300", "width_mm": "200", "height_mm": "100", "csrf_token": t}
    assert c.post(f"/console/shipments/{sid}/pack", data=box).status_code == 303
    r = c.post(f"/console/shipments/{sid}/ship", data={"csrf_token": t, "awb": "AWB-UI-1"}, follow_redirects=True)
    assert "AWB-UI-1" in r.text and "Today" in r.text


def test_reject_hops_to_another_node(app, keys):
    c = logged_in(app, keys["node_chn"])
    order = captured(c, keys)
    sid = order["shipments"][0]["id"]
    r = c.post(f"/console/shipments/{sid}/reject", data={"csrf_token": token_of(c, "/console/queue"),
                                                         "reason": "shelf empty"})
    assert r.status_code == 303
    after = c.get(f"/orders/{order['id']}", headers=auth(keys["admin"])).json
    live = [s for s in after["shipments"] if s["status"] != "REJECTED"]
    assert live and all(s["node"] != "CHN-FC1" for s in live)


def test_rule_live_validation_points_at_the_error(app, keys):
    c = logged_in(app, keys["admin"])
    t = token_of(c, "/console/rules/new")
    body = {"kind": "routing", "condition": "order.valeu > 100",
            "actions": '[{"type": "only_nodes", "nodes": ["CHN-FC1"]}]'}
    r = c.post("/console/rules/validate.json", json=body, headers={"X-CSRF-Token": t})
    assert r.status_code == 200 and r.json["valid"] is False
    problem = r.json["problems"][0]
    assert problem["field"] == "condition" and problem["offset"] == 6 and problem["suggestion"] == "order.value"
    r = c.post("/console/rules/validate.json", json={**body, "condition": "order.value > 100"},
               headers={"X-CSRF-Token": t})
    assert r.json == {"valid": True, "problems": []}
    r = c.post("/console/rules/validate.json", json={**body, "actions": "[{"}, headers={"X-CSRF-Token": t})
    assert r.json["problems"][0]["field"] == "actions"


def test_rule_create_with_error_then_fix_toggle_move_versions(app, keys):
    c = logged_in(app, keys["admin"])
    t = token_of(c, "/console/rules/new")
    form = {"csrf_token": t, "name": "south from chennai", "kind": "routing", "condition": 'ship_to.stat == "TN"',
            "actions": '[{"type": "only_nodes", "nodes": ["CHN-FC1"]}]', "priority": "50", "enabled": "1"}
    r = c.post("/console/rules/new", data=form)
    assert r.status_code == 422 and "ship_to.state" in r.text
    r = c.post("/console/rules/new", data={**form, "condition": 'ship_to.state == "TN"'}, follow_redirects=True)
    assert r.status_code == 200 and "south from chennai" in r.text
    rule_id = int(re.search(r"/console/rules/(\d+)/edit", r.text).group(1))
    assert c.post(f"/console/rules/{rule_id}/toggle", data={"csrf_token": t}).status_code == 303
    assert "disabled" in c.get("/console/rules").text
    assert c.post(f"/console/rules/{rule_id}/move", data={"csrf_token": t, "direction": "up"}).status_code == 303
    v = c.get(f"/console/rules/{rule_id}/versions")
    assert v.status_code == 200 and "created" in v.text


def test_dry_run_shows_fired_rules_and_plans(app, keys):
    c = logged_in(app, keys["admin"])
    order = captured(c, keys)
    t = token_of(c, "/console/rules/dry-run")
    r = c.post("/console/rules/dry-run", data={
        "csrf_token": t, "order_id": order["id"], "name": "only mumbai", "kind": "routing",
        "condition": 'ship_to.state == "TN"', "actions": '[{"type": "only_nodes", "nodes": ["MUM-FC1"]}]'})
    assert r.status_code == 200, r.text
    assert "only mumbai" in r.text and "Plan with the rules" in r.text and "MUM-FC1" in r.text
    bad = c.post("/console/rules/dry-run", data={"csrf_token": t, "order_json": "{not json"})
    assert bad.status_code == 422 and "order JSON" in bad.text


def test_inventory_screen_and_adjustment(app, keys):
    c = logged_in(app, keys["node_chn"])
    page = c.get("/console/inventory?sku=SKU-0001")
    assert page.status_code == 200 and "CHN-FC1" in page.text and "MUM-FC1" not in page.text
    t = csrf_of(page.text)
    r = c.post("/console/inventory/adjust", data={"csrf_token": t, "sku": "SKU-0001", "delta": "5",
                                                  "reason": "receipt"}, follow_redirects=True)
    assert "Adjusted SKU-0001 at CHN-FC1 by 5" in r.text
    r = c.post("/console/inventory/adjust", data={"csrf_token": t, "sku": "SKU-0001", "delta": "5",
                                                  "reason": "damage"}, follow_redirects=True)
    assert r.status_code == 200 and "can only remove" in r.text


def test_returns_and_analytics_render(app, keys):
    c = logged_in(app, keys["admin"])
    assert c.get("/console/returns").status_code == 200
    r = c.get("/console/analytics")
    assert r.status_code == 200 and "<svg" in r.text and "Orders per day" in r.text
    r = c.get("/console/benchmarks")
    assert r.status_code == 200 and "<table>" in r.text
    assert c.get("/console/benchmarks/plots/..%2Fsecret.png").status_code == 404


def test_no_console_page_answers_500_to_odd_input(app, keys):
    c = logged_in(app, keys["admin"])
    t = token_of(c)
    for method, path, data in [
        ("get", "/console/orders?status=NOPE&cursor=garbage", None),
        ("get", "/console/inventory?cursor=%%%", None),
        ("get", "/console/returns?cursor=zzz&status=x", None),
        ("get", "/console/queue?node=NOPE", None),
        ("get", "/console/rules/999999999999999999999/edit", None),
        ("post", "/console/rules/validate.json", "not json"),
        ("post", "/console/inventory/adjust", {"sku": "NOPE", "delta": "x"}),
        ("post", "/console/inventory/import", {}),
        ("post", "/console/shipments/shp_nope/ship", {"awb": "x" * 100}),
        ("post", "/console/returns/ret_nope/receive", {"grade_1_A": "1"}),
        ("post", "/console/rules/new", {"actions": "{", "priority": "x"}),
    ]:
        if method == "get":
            r = c.get(path)
        elif isinstance(data, str):
            r = c.post(path, data=data, content_type="application/json", headers={"X-CSRF-Token": t})
        else:
            r = c.post(path, data={**data, "csrf_token": t})
        assert r.status_code < 500, (path, r.status_code, r.text[:300])


def test_bulk_upload_reports_row_errors_then_applies_a_good_file(app, keys):
    import io

    c = logged_in(app, keys["node_chn"])
    t = token_of(c, "/console/inventory")
    bad = b"sku,qty\nSKU-0001,5\nSKU-NOPE,2\nSKU-0002,lots\n"
    r = c.post("/console/inventory/import", data={"csrf_token": t, "mode": "delta",
                                                  "file": (io.BytesIO(bad), "stock.csv")},
               content_type="multipart/form-data")
    assert r.status_code == 422 and "Row errors" in r.text and "SKU-NOPE" in r.text
    good = b"sku,qty\nSKU-0001,5\n"
    r = c.post("/console/inventory/import", data={"csrf_token": t, "mode": "delta",
                                                  "file": (io.BytesIO(good), "stock.csv")},
               content_type="multipart/form-data")
    assert r.status_code == 200 and "Imported" in r.text


def _returned(app, c, keys, ext: str) -> str:
    """A delivered order (captured through the console) and a one-unit return of it raised over the API."""
    from tests.api.conftest import signed_tracking

    order = captured(c, keys, ext)
    sid = order["shipments"][0]["id"]
    api = app.test_client()
    awb = f"AWB-{ext.upper()}"
    for step, body in (("accept", None), ("pack", {"weight_g": 500, "length_mm": 200, "width_mm": 150,
                                                   "height_mm": 100}), ("ship", {"awb": awb})):
        r = api.post(f"/shipments/{sid}/{step}", json=body or {}, headers=auth(keys["admin"]))
        assert r.status_code == 200, (step, r.json)
    r = signed_tracking(api, order["shipments"][0]["carrier"],
                        [{"awb": awb, "status": "delivered", "at": "2026-11-26T10:00:00Z"}])
    assert r.status_code in (200, 202), r.json
    r = api.post(f"/orders/{order['id']}/returns",
                 json={"lines": [{"line_no": 1, "qty": 1, "reason": "damaged"}], "resolution": "refund"},
                 headers=auth(keys["admin"]))
    assert r.status_code in (200, 201), r.json
    return r.json["id"]


def test_returns_receive_and_grade_through_the_console(app, keys):
    """A delivered order, a return raised over the API, then received and graded from the return page."""
    c = logged_in(app, keys["admin"])
    rid = _returned(app, c, keys, "ret-ui-1")
    page = c.get(f"/console/returns/{rid}")
    assert page.status_code == 200 and "Receive and grade" in page.text
    r = c.post(f"/console/returns/{rid}/receive", data={"csrf_token": csrf_of(page.text), "grade_1_A": "1"},
               follow_redirects=True)
    assert r.status_code == 200 and "received and graded" in r.text, r.text[:2000]
    assert rid in c.get("/console/returns").text


def test_a_work_order_is_closed_from_the_returns_screen(app, keys):
    c = logged_in(app, keys["admin"])
    rid = _returned(app, c, keys, "ret-ui-wo")
    r = c.post(f"/console/returns/{rid}/receive", data={"csrf_token": csrf_of(c.get(f"/console/returns/{rid}").text),
                                                         "grade_1_B": "1"}, follow_redirects=True)
    assert r.status_code == 200 and "received and graded" in r.text
    page = c.get("/console/returns")
    assert "Open work orders" in page.text and "refurbish" in page.text
    wo = page.text.split('action="/console/work-orders/', 1)[1].split("/complete", 1)[0]
    url = f"/console/work-orders/{wo}/complete"
    r = c.post(url, data={"csrf_token": csrf_of(page.text), "restocked": "1", "scrapped": "1"}, follow_redirects=True)
    assert r.status_code == 200 and "must add up to the work order&#39;s 1 unit(s)" in r.text, r.text[:3000]
    r = c.post(url, data={"csrf_token": csrf_of(page.text), "restocked": "1", "scrapped": "0", "note": "as new"},
               follow_redirects=True)
    assert r.status_code == 200 and f"Work order {wo} closed: 1 back on hand, 0 scrapped." in r.text
    assert "No open work orders." in r.text
    r = c.post(url, data={"csrf_token": csrf_of(page.text), "restocked": "x"})  # not a number: a message, no 500
    assert r.status_code == 303
    channel_page = logged_in(app, keys["channel"]).get("/console/returns")
    assert channel_page.status_code == 200 and "Open work orders" not in channel_page.text


def test_the_cookie_is_secure_when_configured(clean_db_url, clean_engine, keys):
    from omnialloc.api import create_app
    from omnialloc.config import Settings

    app = create_app(Settings(database_url=clean_db_url, console_secure_cookie=True,
                              console_session_minutes=5), engine=clean_engine)
    r = login(app.test_client(), keys["admin"])
    cookie = next(v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("omnialloc_console="))
    assert "Secure" in cookie and app.config["CONSOLE_SESSION_SECONDS"] == 300


def test_inventory_sku_totals_and_unknown_sku(app, keys):
    c = logged_in(app, keys["analyst"])
    r = c.get("/console/inventory?sku=SKU-0001")
    assert r.status_code == 200 and "across the network" in r.text and "network</th>" in r.text
    r = c.get("/console/inventory?sku=SKU-NOPE")
    assert r.status_code == 200 and "No SKU" in r.text


def test_deciding_a_return_that_is_not_requested_is_a_message(app, keys):
    c = logged_in(app, keys["admin"])
    r = c.post("/console/returns/ret_nope/decide", data={"csrf_token": token_of(c), "decision": "approve"})
    assert r.status_code == 404
    c2 = logged_in(app, keys["node_chn"])
    r = c2.post("/console/returns/ret_nope/decide", data={"csrf_token": token_of(c2, "/console/queue"),
                                                          "decision": "approve"})
    assert r.status_code == 403


def test_order_plan_table_hides_cost_terms_that_are_zero_everywhere(app, keys):
    c = logged_in(app, keys["admin"])
    order = captured(c, keys)
    text = c.get(f"/console/orders/{order['id']}").text
    assert '<th scope="col" class="num">shipping</th>' in text
    # (lateness now carries the value of each delivery day, issue 24; the lookahead is off in tests)
    assert '<th scope="col" class="num">lookahead</th>' not in text
