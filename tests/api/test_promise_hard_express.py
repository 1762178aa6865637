"""A hard channel's promise binds the promise API's express option too (issue 24): express is offered only when
it arrives by the promised date, never with a later date of its own; a captured order of the channel gets no
plan later than the promise either."""

from __future__ import annotations

import itertools

import pytest

from omnialloc.network_files import load_cities
from tests.api.conftest import auth, order_body

PINS = sorted({c.pin for c in load_cities()})
_IDS = itertools.count()


def _channel(client, admin, code: str, **fields) -> None:
    r = client.post("/channels", json={"code": code, "name": code, "kind": "webshop", **fields}, headers=admin)
    assert r.status_code == 201, r.get_json()


def _quote(client, admin, cart, pin, channel):
    r = client.post("/promise", json={"lines": cart, "pin": pin, "channel": channel}, headers=admin)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _express_case(client, admin):
    """A cart and PIN where express arrives earlier than standard on the default (soft) channel, and its days."""
    for sku, pin in itertools.product(("SKU-0001", "SKU-0002", "SKU-0003"), PINS):
        cart = [{"sku": sku, "qty": 1}]
        options = {o["name"]: o for o in _quote(client, admin, cart, pin, "web")["options"]}
        if "express" in options and options["express"]["days"] >= 1:
            return cart, pin, options["express"]["days"]
    pytest.fail("no cart on the demo network with an express option of a day or more")


def test_hard_channel_offers_no_option_after_its_promise(client, keys):
    admin = auth(keys["admin"])
    cart, pin, express_days = _express_case(client, admin)

    # a promise express cannot keep: no express option with a later date (nor a standard one)
    _channel(client, admin, "hard-short", promise_policy="hard", default_promise_days=express_days - 1)
    quote = _quote(client, admin, cart, pin, "hard-short")
    assert quote["options"] == [] and quote["reason"], quote
    # the soft channel with the same promise still offers express (late, with its own date)
    _channel(client, admin, "soft-short", default_promise_days=express_days - 1)
    assert "express" in [o["name"] for o in _quote(client, admin, cart, pin, "soft-short")["options"]]
    # and an order of the hard channel is not planned late either
    r = client.post("/orders", json=order_body(f"hx-{next(_IDS)}", pin=pin, lines=cart, channel="hard-short"),
                    headers=admin)
    assert r.status_code == 201 and r.get_json()["status"] == "BACKORDERED", r.get_json()

    # a promise express keeps: express is offered, by the promised date
    _channel(client, admin, "hard-exact", promise_policy="hard", default_promise_days=express_days)
    quote = _quote(client, admin, cart, pin, "hard-exact")
    names = [o["name"] for o in quote["options"]]
    assert "express" in names or "standard" in names, quote
    for option in quote["options"]:
        assert option["days"] <= express_days, option
