"""Storefront order intake: Shopify and WooCommerce webhooks, signed with the channel's secret.

The sample payloads in tests/api/payloads/ follow the platforms' documented
``orders/create`` (Shopify Admin API) and ``order.created`` (WooCommerce REST
API v3) shapes, trimmed of fields omnialloc does not read.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from omnialloc.channels.signing import sign

PAYLOADS = Path(__file__).parent / "payloads"
SECRET = "whsec-test-1234"
PLATFORMS = {
    "shopify": ("shopify_orders_create.json", "X-Shopify-Hmac-Sha256"),
    "woocommerce": ("woocommerce_order_created.json", "X-WC-Webhook-Signature"),
}


@pytest.fixture
def secrets_set(uow_factory):
    with uow_factory() as uow:
        for code in PLATFORMS:
            uow.channels.set_webhook_secret(code, SECRET)
        uow.commit()


def _payload(platform: str) -> dict:
    return json.loads((PAYLOADS / PLATFORMS[platform][0]).read_text())


def _post(client, platform: str, payload, *, secret: str = SECRET, channel: str | None = None, header=None):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {PLATFORMS[platform][1]: header if header is not None else sign(secret, raw),
               "X-WC-Webhook-Topic" if platform == "woocommerce" else "X-Shopify-Topic":
                   "order.created" if platform == "woocommerce" else "orders/create"}
    return client.post(f"/channels/{channel or platform}/webhooks/{platform}", data=raw,
                       content_type="application/json", headers=headers)


def _orders(uow_factory) -> int:
    from omnialloc.store.tables.orders import orders

    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one()


def test_shopify_order_is_captured_and_allocated(client, secrets_set, uow_factory):
    r = _post(client, "shopify", _payload("shopify"))
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert (order["channel"], order["external_id"], order["payment_mode"]) == ("shopify", "5678901234567", "PREPAID")
    assert order["ship_to"]["pin"] == "600018" and order["ship_to"]["name"] == "Meera Iyer"
    assert [(l["sku"], l["qty"], l["unit_price_paise"]) for l in order["lines"]] == [
        ("SKU-0001", 2, 53900), ("SKU-0024", 1, 135900)]
    assert "shopify" in order["tags"] and "festive" in order["tags"]
    assert order["status"] == "ALLOCATED"


def test_woocommerce_cod_order_is_captured(client, secrets_set):
    r = _post(client, "woocommerce", _payload("woocommerce"))
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert (order["external_id"], order["payment_mode"], order["ship_to"]["pin"]) == ("7311", "COD", "411004")
    assert order["ship_to"]["email"] == "rohan.k@example.com"


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_webhook_retry_is_idempotent(client, secrets_set, uow_factory, platform):
    first = _post(client, platform, _payload(platform))
    again = _post(client, platform, _payload(platform))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _orders(uow_factory) == 1


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("how", ["wrong secret", "missing header", "body changed after signing", "hex not base64"])
def test_a_bad_signature_is_401_and_stores_nothing(client, secrets_set, uow_factory, platform, how):
    payload = _payload(platform)
    raw = json.dumps(payload).encode()
    if how == "wrong secret":
        r = _post(client, platform, raw, secret="not-the-secret")
    elif how == "missing header":
        r = _post(client, platform, raw, header="")
    elif how == "body changed after signing":
        good = sign(SECRET, raw)
        r = _post(client, platform, raw.replace(b'"quantity": 2', b'"quantity": 20'), header=good)
    else:
        import hashlib
        import hmac

        r = _post(client, platform, raw, header=hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest())
    assert r.status_code == 401, r.get_json()
    assert set(r.get_json()) == {"status", "title", "detail", "errors"}
    assert _orders(uow_factory) == 0


def test_a_channel_without_a_secret_refuses_webhooks(client, uow_factory):
    r = _post(client, "shopify", _payload("shopify"))
    assert r.status_code == 401 and "no webhook secret" in r.get_json()["detail"]


def test_unknown_channel_is_404(client, secrets_set):
    assert _post(client, "shopify", _payload("shopify"), channel="nope").status_code == 404


@pytest.mark.parametrize("platform,mutate,field", [
    ("shopify", lambda p: p["line_items"][0].update(sku="NOT-A-SKU"), "lines.0.sku"),
    ("shopify", lambda p: p["line_items"][1].update(sku=""), "line_items.1.sku"),
    ("shopify", lambda p: p["shipping_address"].update(zip=""), "shipping_address.zip"),
    ("shopify", lambda p: p.pop("shipping_address"), "shipping_address"),
    ("woocommerce", lambda p: p["line_items"][0].update(sku="NOT-A-SKU"), "lines.0.sku"),
    ("woocommerce", lambda p: (p["shipping"].update(postcode="PUNE"), p["billing"].update(postcode="")),
     "shipping.postcode"),
    ("woocommerce", lambda p: p["line_items"][0].update(quantity=0), "line_items.0.quantity"),
])
def test_unmappable_payloads_are_kept_in_the_failed_intake_queue_with_the_reason(client, secrets_set, uow_factory,
                                                                                  platform, mutate, field):
    # Issue 27: nothing a shop sends is dropped. 202 (so the shop neither retries nor gives up on the webhook),
    # no order, and the raw body with the errors in the failed-intake queue.
    payload = copy.deepcopy(_payload(platform))
    mutate(payload)
    r = _post(client, platform, payload)
    assert r.status_code == 202, r.get_json()
    assert field in {e["field"] for e in r.get_json()["errors"]}, r.get_json()
    assert _orders(uow_factory) == 0
    with uow_factory(readonly=True) as uow:
        kept = uow.failed_intakes.get(r.get_json()["failed_intake_id"])
    assert kept.status == "open" and kept.source == platform and kept.raw_body == json.dumps(payload)


def test_a_body_that_is_not_json_is_400(client, secrets_set):
    # Not JSON is 400 on every endpoint (api/intake.py), signed webhooks included.
    r = _post(client, "shopify", b"not json")
    assert r.status_code == 400 and r.get_json()["errors"] == [{"field": "body", "message": "not valid JSON"}]


def test_cli_sets_a_channel_secret(clean_db_url, uow_factory, monkeypatch):
    from click.testing import CliRunner

    from omnialloc import cli, config

    monkeypatch.setenv("OMNIALLOC_DATABASE_URL", clean_db_url)
    config.get_settings.cache_clear()
    result = CliRunner().invoke(cli.main, ["channels", "secret", "shopify", "--secret", "s3cret"])
    config.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    with uow_factory(readonly=True) as uow:
        assert uow.channels.webhook_secret("shopify") == "s3cret"
