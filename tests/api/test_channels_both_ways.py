"""Channels both ways (issue 27), end to end: orders in by webhook, fulfilment, cancellation and stock back out
to a local server that plays the shop as its API is documented (tests/unit/channels/fake_*.py), the failed-intake
queue, and outbound webhooks to a subscriber that checks the signature with the receiver's verifier."""

from __future__ import annotations

import copy
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from omnialloc.channels.feed import publishable
from omnialloc.channels.signing import sign
from omnialloc.services.context import Context
from omnialloc.services.events import now
from omnialloc.services.notifications.outbound_worker import make_dispatcher, send_outbound_due
from omnialloc.webhooks import signing as webhook_signing

from tests.api.conftest import auth, order_body

sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "channels"))
from fake_shopify import TOKEN, VERSION, FakeShopify  # noqa: E402
from fake_woocommerce import KEY, SECRET, FakeWooCommerce  # noqa: E402

PAYLOADS = Path(__file__).parent / "payloads"
HOOK_SECRET = "whsec-test-1234"
HEADERS = {"shopify": "X-Shopify-Hmac-Sha256", "woocommerce": "X-WC-Webhook-Signature"}


@pytest.fixture
def server():
    s = HTTPServer(host="127.0.0.1", threaded=True)
    s.start()
    try:
        yield s
    finally:
        s.clear()
        if s.is_running():
            s.stop()


@pytest.fixture
def ctx(clean_engine, settings):
    return Context(engine=clean_engine, settings=settings)


@pytest.fixture
def admin(keys):
    return auth(keys["admin"])


@pytest.fixture
def hooks_signed(uow_factory):
    with uow_factory() as uow:
        for code in HEADERS:
            uow.channels.set_webhook_secret(code, HOOK_SECRET)
        uow.commit()


def _payload(platform: str) -> dict:
    name = "shopify_orders_create.json" if platform == "shopify" else "woocommerce_order_created.json"
    return json.loads((PAYLOADS / name).read_text())


def _post_order(client, platform: str, payload: dict):
    raw = json.dumps(payload).encode()
    return client.post(f"/channels/{platform}/webhooks/{platform}", data=raw, content_type="application/json",
                       headers={HEADERS[platform]: sign(HOOK_SECRET, raw)})


def _ship_all(client, admin, order_id: str, awb_prefix: str) -> list[dict]:
    order = client.get(f"/orders/{order_id}", headers=admin).get_json()
    shipped = []
    for i, s in enumerate(order["shipments"]):
        assert client.post(f"/shipments/{s['id']}/accept", headers=admin).status_code == 200
        r = client.post(f"/shipments/{s['id']}/pack", headers=admin,
                        json={"weight_g": 700, "length_mm": 300, "width_mm": 200, "height_mm": 100})
        assert r.status_code == 200, r.get_json()
        r = client.post(f"/shipments/{s['id']}/ship", json={"awb": f"{awb_prefix}{i}"}, headers=admin)
        assert r.status_code == 200, r.get_json()
        shipped.append(r.get_json())
    return shipped


def _stored_number(uow_factory, order_id: str) -> str | None:
    import sqlalchemy as sa

    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.text("SELECT channel_order_number FROM orders WHERE id = :o"),
                                {"o": order_id}).scalar_one()


def _sellable(uow_factory, channel: str, sku: str) -> int:
    """What the channel may sell of ``sku``, from SQL written here: ATP summed over every active node that ships,
    less the channel's buffers."""
    import sqlalchemy as sa

    with uow_factory(readonly=True) as uow:
        ch = uow.conn.execute(sa.text("SELECT buffer_units, buffer_percent FROM channels WHERE code = :c"),
                              {"c": channel}).one()
        nodes = [n.code for n in uow.nodes.list() if n.active and (n.can("ship") or n.can("pickup_in_store"))]
        atp = uow.conn.execute(sa.text(
            "SELECT node, on_hand - reserved - safety_stock FROM inventory WHERE sku = :s"), {"s": sku}).all()
    total = sum(max(0, a) for node, a in atp if node in nodes)
    return publishable(total, ch.buffer_units, ch.buffer_percent)


# ------------------------------------------------------------------ Shopify
def test_shopify_order_in_fulfilment_cancellation_and_stock_out(client, admin, ctx, server, hooks_signed,
                                                                 uow_factory):
    shop = FakeShopify(server)
    r = client.put("/channels/shopify/push-settings", headers=admin, json={
        "kind": "shopify", "settings": {"shop_url": server.url_for("/").rstrip("/"), "access_token": TOKEN,
                                        "api_version": VERSION, "default_location": "111"}})
    assert r.status_code == 200, r.get_json()
    assert TOKEN not in r.get_data(as_text=True) and r.get_json()["secrets_set"] == ["access_token"]
    assert TOKEN not in client.get("/channels/shopify/push-settings", headers=admin).get_data(as_text=True)

    payload = _payload("shopify")
    shop.add_order(payload["id"], {"SKU-0001": 2, "SKU-0024": 1})
    r = _post_order(client, "shopify", payload)
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert order["status"] == "ALLOCATED" and order["channel_order_number"] == "#1042"
    # GET /orders/{id} shows it too (issue 27), as stored (SQL written here).
    detail = client.get(f"/orders/{order['id']}", headers=admin).get_json()
    assert detail["channel_order_number"] == _stored_number(uow_factory, order["id"]) == "#1042"
    shipped = _ship_all(client, admin, order["id"], "AWB-SHOP-")

    tally = send_outbound_due(ctx, stock=False)
    assert tally.failed == 0 and tally.delivered == len(shipped), tally
    posted = shop.calls("POST", "fulfillments.json")
    assert len(posted) == len(shipped)
    by_awb = {p["fulfillment"]["tracking_info"]["number"]: p["fulfillment"] for p in posted}
    assert set(by_awb) == {s["awb"] for s in shipped}
    with uow_factory(readonly=True) as uow:
        carrier_names = {c.code: c.name for c in uow.carriers.list()}
    for s in shipped:
        info = by_awb[s["awb"]]["tracking_info"]
        assert info["company"] == carrier_names[s["carrier"]] and info["url"].endswith("/" + s["awb"])
    assert all(fo.status == "closed" for fo in shop.fos_of(payload["id"]))  # every unit fulfilled in the shop

    # Cancelled here -> cancelled in the shop.
    second = copy.deepcopy(payload)
    second["id"], second["name"] = payload["id"] + 1, "#1043"
    shop.add_order(second["id"], {"SKU-0001": 2, "SKU-0024": 1})
    order2 = _post_order(client, "shopify", second).get_json()
    r = client.post(f"/orders/{order2['id']}/cancel", headers=admin, json={"reason": "customer changed mind"})
    assert r.status_code == 200 and r.get_json()["status"] == "CANCELLED"
    send_outbound_due(ctx, stock=False)
    assert shop.orders[second["id"]].cancelled_at and shop.calls("POST", f"orders/{second['id']}/cancel.json")

    # Stock: a full resync sets every SKU the shop sells; then a change that moves the sellable quantity is
    # pushed, once, with the channel's buffers.
    shop.variants = [{"sku": "SKU-0001", "inventory_item_id": 4001}, {"sku": "SKU-0024", "inventory_item_id": 4024}]
    send_outbound_due(ctx)
    assert shop.levels[(111, 4001)] == _sellable(uow_factory, "shopify", "SKU-0001")
    assert shop.levels[(111, 4024)] == _sellable(uow_factory, "shopify", "SKU-0024")
    before = len(shop.calls("POST", "inventory_levels/set.json"))
    r = client.post("/inventory/adjustments", headers=admin, json={"adjustments": [
        {"node": "CHN-FC1", "sku": "SKU-0024", "delta": 40, "reason": "receipt"}]})
    assert r.status_code == 200, r.get_json()
    send_outbound_due(ctx)
    sets = shop.calls("POST", "inventory_levels/set.json")[before:]
    assert [s["inventory_item_id"] for s in sets] == [4024]
    assert shop.levels[(111, 4024)] == _sellable(uow_factory, "shopify", "SKU-0024")
    send_outbound_due(ctx)  # nothing moved since: nothing pushed
    assert len(shop.calls("POST", "inventory_levels/set.json")) == before + 1
    assert shop.unexpected == []


def test_a_throttled_push_is_retried_after_retry_after_then_dead_lettered_and_requeued(client, admin, ctx, server,
                                                                                      hooks_signed, uow_factory):
    shop = FakeShopify(server)
    client.put("/channels/shopify/push-settings", headers=admin, json={
        "kind": "shopify", "settings": {"shop_url": server.url_for("/").rstrip("/"), "access_token": TOKEN,
                                        "api_version": VERSION, "default_location": "111"}, "push_stock": False})
    payload = _payload("shopify")
    shop.add_order(payload["id"], {"SKU-0001": 2, "SKU-0024": 1})
    order = _post_order(client, "shopify", payload).get_json()
    _ship_all(client, admin, order["id"], "AWB-THR-")
    shop.throttle("orders/", times=100, retry_after="120")
    clock = [now()]
    dispatcher = make_dispatcher(ctx, clock=lambda: clock[0], max_attempts=3)
    first = dispatcher.run_once()
    assert first.retrying >= 1 and first.delivered == 0
    pushes = client.get("/channels/shopify/pushes", headers=admin).get_json()["items"]
    waiting = [p for p in pushes if p["topic"] == "fulfil"][0]
    assert waiting["status"] == "pending" and waiting["last_status"] == 429
    assert waiting["log"][0]["outcome"] == "retry"
    # Not before the shop's Retry-After (120 s), although the outbox's own first backoff is 30 s.
    clock[0] += timedelta(seconds=60)
    assert dispatcher.run_once().claimed == 0
    for _ in range(2):
        clock[0] += timedelta(hours=2)
        dispatcher.run_once()
    dead = client.get("/channels/shopify/pushes?status=failed", headers=admin).get_json()["items"]
    assert dead and all("gave up after 3 attempts" in p["last_error"] for p in dead)
    shop._throttles.clear()
    r = client.post(f"/channels/shopify/pushes/{dead[0]['id']}/requeue", headers=admin)
    assert r.status_code == 200 and r.get_json()["status"] == "pending"
    clock[0] += timedelta(seconds=1)
    assert dispatcher.run_once().delivered == 1


# ------------------------------------------------------------------ WooCommerce
def test_woocommerce_ping_order_in_fulfilment_cancellation_and_stock_out(client, admin, ctx, server, hooks_signed,
                                                                        uow_factory):
    shop = FakeWooCommerce(server)
    # WooCommerce's ping when the webhook is saved: form body webhook_id=<id>, unsigned, must be answered 200.
    r = client.post("/channels/woocommerce/webhooks/woocommerce", data="webhook_id=17",
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 200, r.get_json()
    assert client.post("/channels/nope/webhooks/woocommerce", data="webhook_id=17",
                       content_type="application/x-www-form-urlencoded").status_code == 404

    r = client.put("/channels/woocommerce/push-settings", headers=admin, json={
        "kind": "woocommerce", "settings": {"site_url": server.url_for("/").rstrip("/"), "consumer_key": KEY,
                                            "consumer_secret": SECRET}})
    assert r.status_code == 200, r.get_json()
    assert KEY not in r.get_data(as_text=True) and SECRET not in r.get_data(as_text=True)

    payload = _payload("woocommerce")
    payload["number"] = "7311"
    shop.add_order(payload["id"])
    order = _post_order(client, "woocommerce", payload).get_json()
    assert order["status"] == "ALLOCATED"
    shipped = _ship_all(client, admin, order["id"], "AWB-WOO-")
    send_outbound_due(ctx, stock=False)
    notes = shop.orders[payload["id"]].notes
    for s in shipped:
        assert any(s["awb"] in n["note"] for n in notes), notes
    assert shop.orders[payload["id"]].status == "completed"

    second = copy.deepcopy(payload)
    second["id"], second["number"] = payload["id"] + 1, "7312"
    shop.add_order(second["id"])
    order2 = _post_order(client, "woocommerce", second).get_json()
    assert client.post(f"/orders/{order2['id']}/cancel", headers=admin, json={"reason": "fraud"}).status_code == 200
    send_outbound_due(ctx, stock=False)
    assert shop.orders[second["id"]].status == "cancelled"

    shop.add_product(331, "SKU-0001")
    send_outbound_due(ctx)
    assert shop.products[331].stock_quantity == _sellable(uow_factory, "woocommerce", "SKU-0001")
    assert shop.products[331].manage_stock is True
    client.post("/inventory/adjustments", headers=admin, json={"adjustments": [
        {"node": "CHN-FC1", "sku": "SKU-0001", "delta": -3, "reason": "damage"}]})
    send_outbound_due(ctx)
    assert shop.products[331].stock_quantity == _sellable(uow_factory, "woocommerce", "SKU-0001")
    assert shop.unexpected == []


def test_push_settings_are_checked_and_never_echoed(client, admin, keys):
    r = client.put("/channels/shopify/push-settings", headers=admin, json={
        "kind": "shopify", "settings": {"shop_url": "ftp://x", "access_token": "shpat_secret_value_123"}})
    assert r.status_code == 422 and "shpat_secret_value_123" not in r.get_data(as_text=True)
    r = client.put("/channels/woocommerce/push-settings", headers=admin, json={
        "kind": "woocommerce", "settings": {"site_url": "https://shop.example.in"}})
    assert r.status_code == 422
    assert {"settings.consumer_key", "settings.consumer_secret"} <= {e["field"] for e in r.get_json()["errors"]}
    assert client.put("/channels/shopify/push-settings", headers=auth(keys["channel"]), json={
        "kind": "shopify", "settings": {}}).status_code == 403
    assert client.get("/channels/web/push-settings", headers=admin).status_code == 404


# ------------------------------------------------------------------ the failed-intake queue
def test_an_unknown_sku_order_is_kept_fixed_by_an_alias_and_resubmitted(client, admin, hooks_signed, uow_factory):
    payload = _payload("shopify")
    payload["line_items"][0]["sku"] = "SHOP-TEE-BLK-S"
    raw = json.dumps(payload).encode()
    r = client.post("/channels/shopify/webhooks/shopify", data=raw, content_type="application/json",
                    headers={HEADERS["shopify"]: sign(HOOK_SECRET, raw)})
    assert r.status_code == 202, r.get_json()
    intake_id = r.get_json()["failed_intake_id"]
    # The shop retries: the same entry, not a second one.
    r = client.post("/channels/shopify/webhooks/shopify", data=raw, content_type="application/json",
                    headers={HEADERS["shopify"]: sign(HOOK_SECRET, raw)})
    assert r.get_json()["failed_intake_id"] == intake_id
    listed = client.get("/failed-intakes", headers=admin).get_json()["items"]
    assert [i["id"] for i in listed] == [intake_id] and listed[0]["attempts"] == 2
    entry = client.get(f"/failed-intakes/{intake_id}", headers=admin).get_json()
    assert entry["raw_body"] == raw.decode() and any("SHOP-TEE-BLK-S" in e["message"] for e in entry["errors"])

    assert client.post(f"/failed-intakes/{intake_id}/resubmit", headers=admin, json={}).status_code == 422
    r = client.put("/channels/shopify/sku-aliases/SHOP-TEE-BLK-S", headers=admin, json={"sku": "SKU-0001"})
    assert r.status_code == 200
    r = client.post(f"/failed-intakes/{intake_id}/resubmit", headers=admin, json={})
    assert r.status_code == 200, r.get_json()
    done = r.get_json()
    assert done["status"] == "resubmitted" and done["order"]["status"] == "ALLOCATED"
    assert {line["sku"] for line in done["order"]["lines"]} == {"SKU-0001", "SKU-0024"}
    found = client.get("/orders?number=%231042", headers=admin).get_json()["items"]
    assert [o["id"] for o in found] == [done["order_id"]] and found[0]["channel_order_number"] == "#1042"
    assert client.get("/failed-intakes", headers=admin).get_json()["items"] == []


def test_a_bad_pin_is_corrected_and_an_api_order_that_fails_is_kept(client, admin, hooks_signed):
    payload = _payload("woocommerce")
    payload["shipping"]["postcode"] = "PUNE"
    payload["billing"]["postcode"] = ""
    raw = json.dumps(payload).encode()
    r = client.post("/channels/woocommerce/webhooks/woocommerce", data=raw, content_type="application/json",
                    headers={HEADERS["woocommerce"]: sign(HOOK_SECRET, raw)})
    assert r.status_code == 202
    r = client.post(f"/failed-intakes/{r.get_json()['failed_intake_id']}/resubmit", headers=admin,
                    json={"pin": "411001"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["order"]["ship_to"]["pin"] == "411001"

    r = client.post("/orders", headers=admin, json=order_body("api-bad-1", lines=[{"sku": "NOPE-1", "qty": 1}]))
    assert r.status_code == 422
    kept = client.get("/failed-intakes?channel=web", headers=admin).get_json()["items"]
    assert [k["source"] for k in kept] == ["api"] and kept[0]["external_id"] == "api-bad-1"
    r = client.post(f"/failed-intakes/{kept[0]['id']}/resubmit", headers=admin,
                    json={"payload": order_body("api-bad-1")})
    assert r.status_code == 200 and r.get_json()["order"]["external_id"] == "api-bad-1"


# ------------------------------------------------------------------ outbound webhooks
def test_a_subscriber_gets_signed_events_and_a_failing_one_is_retried_then_dead_lettered(client, admin, ctx,
                                                                                       server, keys):
    received = []

    def receiver(request):
        received.append((dict(request.headers), request.get_data()))
        return Response("ok", 200)

    server.expect_request("/good", method="POST").respond_with_handler(receiver)
    server.expect_request("/bad", method="POST").respond_with_response(Response("down", 503))
    good = client.post("/webhook-subscriptions", headers=admin, json={
        "url": server.url_for("/good"), "events": ["order.*"]}).get_json()
    bad = client.post("/webhook-subscriptions", headers=admin, json={
        "url": server.url_for("/bad"), "events": ["order.cancelled"]}).get_json()
    assert good["secret"].startswith("whsec_")
    assert "secret" not in client.get(f"/webhook-subscriptions/{good['id']}", headers=admin).get_json() or \
        client.get(f"/webhook-subscriptions/{good['id']}", headers=admin).get_json()["secret"] is None

    order = client.post("/orders", headers=auth(keys["channel"]), json=order_body("wh-1")).get_json()
    client.post(f"/orders/{order['id']}/cancel", headers=admin, json={"reason": "customer"})
    clock = [now()]
    dispatcher = make_dispatcher(ctx, clock=lambda: clock[0], max_attempts=3)
    dispatcher.drain()
    types = []
    for headers, body in received:
        webhook_signing.verify(good["secret"], body, headers["Omnialloc-Timestamp"], headers["Omnialloc-Signature"])
        event = json.loads(body)
        assert headers["Omnialloc-Event"] == event["type"] and headers["Omnialloc-Delivery"].startswith("dlv_")
        types.append(event["type"])
    assert "order.created" in types and "order.cancelled" in types
    assert all(json.loads(b)["data"]["id"] == order["id"] for _, b in received)

    for _ in range(3):
        clock[0] += timedelta(hours=3)
        dispatcher.run_once()
    log = client.get(f"/webhook-subscriptions/{bad['id']}/deliveries", headers=admin).get_json()["items"]
    assert len(log) == 1 and log[0]["status"] == "failed" and log[0]["attempts"] == 3
    assert [a["outcome"] for a in log[0]["log"]] == ["retry", "retry", "failed"]
    assert all(a["http_status"] == 503 for a in log[0]["log"])
    dead = client.get(f"/webhook-subscriptions/{bad['id']}/deliveries?status=failed", headers=admin).get_json()
    assert [d["id"] for d in dead["items"]] == [log[0]["id"]]
    r = client.post(f"/webhook-subscriptions/{bad['id']}/deliveries/{log[0]['id']}/replay", headers=admin)
    assert r.status_code == 200 and r.get_json()["status"] == "pending" and r.get_json()["attempts"] == 0


# ------------------------------------------------------------------ the resync command
def test_cli_resync_pushes_every_sku_the_shop_sells(client, admin, server, clean_db_url, uow_factory, monkeypatch):
    from click.testing import CliRunner

    from omnialloc import cli, config

    shop = FakeShopify(server)
    shop.variants = [{"sku": "SKU-0001", "inventory_item_id": 4001}, {"sku": "SKU-0002", "inventory_item_id": 4002}]
    client.put("/channels/shopify/push-settings", headers=admin, json={
        "kind": "shopify", "settings": {"shop_url": server.url_for("/").rstrip("/"), "access_token": TOKEN,
                                        "api_version": VERSION, "default_location": "111"}})
    monkeypatch.setenv("OMNIALLOC_DATABASE_URL", clean_db_url)
    config.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.main, ["channels", "resync", "shopify", "--send"])
        again = CliRunner().invoke(cli.main, ["channels", "resync", "shopify", "--changed-only"])
        missing = CliRunner().invoke(cli.main, ["channels", "resync", "web"])
    finally:
        config.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    with uow_factory(readonly=True) as uow:
        skus = {r.sku for r in uow.inventory.list()}
    assert f"shopify: {len(skus)} SKU(s) queued" in result.output
    assert shop.levels == {(111, 4001): _sellable(uow_factory, "shopify", "SKU-0001"),
                           (111, 4002): _sellable(uow_factory, "shopify", "SKU-0002")}
    assert "shopify: 0 SKU(s) queued" in again.output  # nothing moved since
    assert missing.exit_code != 0 and "no shop push settings" in missing.output


# ------------------------------------------------------------------ CSV exports
def test_order_export_has_every_line_with_its_shipments_and_no_formulas(client, admin, keys, uow_factory):
    import csv
    import io

    import sqlalchemy as sa

    body = order_body("csv-1", lines=[{"sku": "SKU-0001", "qty": 2}, {"sku": "SKU-0024", "qty": 1}])
    body["ship_to"]["name"] = "=HYPERLINK(\"http://evil\")"
    first = client.post("/orders", headers=auth(keys["channel"]), json=body).get_json()
    client.post("/orders", headers=auth(keys["channel"]), json=order_body("csv-2"))
    shipped = _ship_all(client, admin, first["id"], "AWB-CSV-")
    r = client.get("/exports/orders.csv", headers=admin)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    with uow_factory(readonly=True) as uow:
        expected = uow.conn.execute(sa.text(
            "SELECT l.order_id, l.line_no, l.sku, l.qty, l.unit_price_paise FROM order_lines l "
            "ORDER BY l.order_id, l.line_no")).all()
        carried = uow.conn.execute(sa.text(
            "SELECT s.order_id, sl.line_no, SUM(sl.qty) FROM shipments s JOIN shipment_lines sl "
            "ON sl.shipment_id = s.id WHERE s.status = 'SHIPPED' GROUP BY s.order_id, sl.line_no")).all()
    assert sorted((r["order_id"], int(r["line_no"]), r["sku"], int(r["qty"]), int(r["unit_price_paise"]))
                  for r in rows) == sorted(tuple(e) for e in expected)
    shipped_qty = {(o, n): q for o, n, q in carried}
    for row in rows:
        assert int(row["shipped_qty"]) == shipped_qty.get((row["order_id"], int(row["line_no"])), 0)
    mine = [row for row in rows if row["order_id"] == first["id"]]
    assert all(row["ship_name"].startswith("'=") for row in mine)
    assert {s["awb"] for s in shipped} == {p.split(":")[3] for row in mine for p in row["shipments"].split("|")}
    # Filters are the search's; a channel key sees its own channel only.
    only = list(csv.DictReader(io.StringIO(client.get("/exports/orders.csv?awb=AWB-CSV-0", headers=admin)
                                           .get_data(as_text=True))))
    assert {row["order_id"] for row in only} == {first["id"]}
    assert client.get("/exports/orders.csv?channel=amazon", headers=auth(keys["channel"])).status_code == 403


def test_inventory_export_matches_the_table(client, admin, uow_factory):
    import csv
    import io

    import sqlalchemy as sa

    r = client.get("/exports/inventory.csv", headers=admin)
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    with uow_factory(readonly=True) as uow:
        expected = uow.conn.execute(sa.text("SELECT node, sku, on_hand, reserved, safety_stock FROM inventory "
                                            "ORDER BY node, sku")).all()
    assert [(r["node"], r["sku"], int(r["on_hand"]), int(r["reserved"]), int(r["safety_stock"])) for r in rows] == \
        [tuple(e) for e in expected]
    assert all(int(r["atp"]) == max(0, int(r["on_hand"]) - int(r["reserved"]) - int(r["safety_stock"]))
               for r in rows)


def test_credentials_never_reach_the_log_the_events_or_an_answer(client, admin, ctx, server, hooks_signed,
                                                                 uow_factory, caplog):
    import logging

    import sqlalchemy as sa

    caplog.set_level(logging.DEBUG)
    shop = FakeWooCommerce(server)
    shop.add_product(331, "SKU-0001")
    r = client.put("/channels/woocommerce/push-settings", headers=admin, json={
        "kind": "woocommerce", "settings": {"site_url": server.url_for("/").rstrip("/"), "consumer_key": KEY,
                                            "consumer_secret": SECRET, "auth": "query"}})
    assert r.status_code == 200
    shop.fail_next("POST", "products/batch", 401, f"bad key {KEY}", code="woocommerce_rest_cannot_create")
    send_outbound_due(ctx)
    pushes = client.get("/channels/woocommerce/pushes", headers=admin).get_data(as_text=True)
    with uow_factory(readonly=True) as uow:
        events = json.dumps([list(map(str, row)) for row in uow.conn.execute(sa.text("SELECT * FROM events"))])
    ours = "\n".join(f"{rec.name} {rec.getMessage()}" for rec in caplog.records if not rec.name.startswith("werkzeug"))
    for secret in (KEY, SECRET):
        assert secret not in ours and secret not in events and secret not in pushes
    assert "push_settings_changed" in events
    # A later change of a non-secret setting keeps the stored secrets (they are write-only, never sent back).
    r = client.put("/channels/woocommerce/push-settings", headers=admin, json={
        "kind": "woocommerce", "settings": {"shipped_status": "completed"}})
    assert r.status_code == 200 and r.get_json()["secrets_set"] == ["consumer_key", "consumer_secret"]


def test_a_subscriber_answering_410_is_disabled(client, admin, ctx, server, keys):
    server.expect_request("/gone", method="POST").respond_with_response(Response("gone", 410))
    sub = client.post("/webhook-subscriptions", headers=admin, json={
        "url": server.url_for("/gone"), "events": ["*"]}).get_json()
    client.post("/orders", headers=auth(keys["channel"]), json=order_body("wh-410"))
    make_dispatcher(ctx).drain()
    after = client.get(f"/webhook-subscriptions/{sub['id']}", headers=admin).get_json()
    assert after["active"] is False and "410" in after["disabled_reason"]
    client.post("/orders", headers=auth(keys["channel"]), json=order_body("wh-410-b"))
    log = client.get(f"/webhook-subscriptions/{sub['id']}/deliveries", headers=admin).get_json()["items"]
    assert {d["status"] for d in log} == {"failed"}  # nothing new queued for a disabled subscription


def test_shopify_stock_per_location_from_the_nodes_mapped_to_it(client, admin, ctx, server, uow_factory):
    import sqlalchemy as sa

    shop = FakeShopify(server)
    shop.variants = [{"sku": "SKU-0024", "inventory_item_id": 4024}]
    r = client.put("/channels/shopify/push-settings", headers=admin, json={
        "kind": "shopify", "settings": {"shop_url": server.url_for("/").rstrip("/"), "access_token": TOKEN,
                                        "api_version": VERSION},
        "locations": {"CHN-FC1": "111", "MUM-FC1": "222"}})
    assert r.status_code == 200, r.get_json()
    send_outbound_due(ctx)
    with uow_factory(readonly=True) as uow:
        ch = uow.conn.execute(sa.text("SELECT buffer_units, buffer_percent FROM channels WHERE code = 'shopify'")).one()
        atp = dict(uow.conn.execute(sa.text(
            "SELECT node, on_hand - reserved - safety_stock FROM inventory WHERE sku = 'SKU-0024' "
            "AND node IN ('CHN-FC1', 'MUM-FC1')")).all())
    assert shop.levels == {(111, 4024): publishable(max(0, atp["CHN-FC1"]), ch.buffer_units, ch.buffer_percent),
                           (222, 4024): publishable(max(0, atp["MUM-FC1"]), ch.buffer_units, ch.buffer_percent)}
    r = client.put("/channels/shopify/push-settings", headers=admin, json={
        "kind": "shopify", "settings": {}, "locations": {"NOWHERE-1": "333"}})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "locations.NOWHERE-1"


# ------------------------------------------------------------------ search
def test_order_search_filters_agree_with_a_brute_force_over_every_order(client, admin, keys, uow_factory):
    """Each filter of GET /orders, alone and paged, returns exactly the orders a brute force over every stored
    order (read with SQL here) picks."""
    import sqlalchemy as sa

    specs = [("s-1", ["vip"], 5, "+91 98000 11111", "Asha@Example.com", "600002"),
             ("s-2", ["fraud-review"], 0, "+919800022222", "ravi@example.com", "400072"),
             ("s-3", ["vip", "fraud-review"], 5, "98000-33333", "asha@example.com", "600002"),
             ("s-4", [], 3, "", "", "560001")]
    for ext, tags, _prio, phone, email, pin in specs:
        body = order_body(ext, pin=pin, tags=tags)
        body["ship_to"].update(phone=phone, email=email)
        r = client.post("/orders", headers=admin, json=body)
        assert r.status_code == 201, r.get_json()
    with uow_factory() as uow:  # priority as a rule action would set it
        for ext, _tags, prio, *_ in specs:
            uow.conn.execute(sa.text("UPDATE orders SET priority = :p WHERE external_id = :e"), {"p": prio, "e": ext})
        uow.commit()
    with uow_factory(readonly=True) as uow:
        rows = uow.conn.execute(sa.text("SELECT id, tags, priority, ship_phone, ship_email, ship_pin, status, channel "
                                        "FROM orders")).all()

    def tags_of(value):
        return value if isinstance(value, list) else json.loads(value)

    def brute(pred):
        return {r.id for r in rows if pred(r)}

    cases = {
        "tag=vip": brute(lambda r: "vip" in tags_of(r.tags)),
        "tag=fraud-review": brute(lambda r: "fraud-review" in tags_of(r.tags)),
        "priority=5": brute(lambda r: r.priority == 5),
        "min_priority=3": brute(lambda r: r.priority >= 3),
        "phone=%2B919800011111": brute(lambda r: r.ship_phone.replace(" ", "").replace("-", "") == "+919800011111"),
        "phone=9800033333": brute(lambda r: r.ship_phone.replace(" ", "").replace("-", "") == "9800033333"),
        "email=ASHA%40example.com": brute(lambda r: r.ship_email.lower() == "asha@example.com"),
        "pin=600002": brute(lambda r: r.ship_pin == "600002"),
        "tag=vip&pin=600002&priority=5": brute(lambda r: "vip" in tags_of(r.tags) and r.ship_pin == "600002"
                                               and r.priority == 5),
        "status=ALLOCATED&channel=web": brute(lambda r: r.status == "ALLOCATED" and r.channel == "web"),
    }
    for query, expected in cases.items():
        found, cursor = set(), None
        while True:
            r = client.get(f"/orders?{query}&limit=1" + (f"&cursor={cursor}" if cursor else ""), headers=admin)
            assert r.status_code == 200, (query, r.get_json())
            page = r.get_json()
            found |= {o["id"] for o in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert found == expected, query
    assert client.get("/orders?tag=vip", headers=auth(keys["other_channel"])).get_json()["items"] == []


def test_the_worker_thread_sends_pushes_and_survives_a_failed_pass(ctx, server, client, admin, monkeypatch):
    """notify-worker's outbound thread: stock sync and sends in a loop; an exception in a pass is logged and the
    loop goes on (the thread must not die with the database away for a moment)."""
    import threading

    from omnialloc.services.notifications import outbound_worker
    from omnialloc.services.notifications.outbound import OutboundDispatcher

    shop = FakeShopify(server)
    shop.variants = [{"sku": "SKU-0024", "inventory_item_id": 4024}]
    client.put("/channels/shopify/push-settings", headers=admin, json={
        "kind": "shopify", "settings": {"shop_url": server.url_for("/").rstrip("/"), "access_token": TOKEN,
                                        "api_version": VERSION, "default_location": "111"}})
    calls = {"n": 0}
    real = OutboundDispatcher.run_once

    def flaky(self, limit=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database away")
        return real(self, limit)

    monkeypatch.setattr(OutboundDispatcher, "run_once", flaky)
    stop = threading.Event()
    worker = threading.Thread(target=outbound_worker.run_outbound, args=(ctx, stop), kwargs={"poll_seconds": 0.05})
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while (111, 4024) not in shop.levels and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert calls["n"] >= 2 and (111, 4024) in shop.levels and not worker.is_alive()
