"""Fills for the operations of issue 27 (channel push settings, SKU aliases, shop pushes, the failed-intake
queue, outbound webhook subscriptions, CSV exports), merged into ``fill.FILLS``. Shops and subscribers are
addresses that are never called here (nothing sends the outbox in these runs): only what the API stores and
answers is exercised."""

from __future__ import annotations

from tests.api.fuzzing.fill import Fill, _body, _fixed, _fresh, _lists, _path, _reason, _set_body, _shared
from tests.api.fuzzing.world import CHANNEL, NODE, SKU, World

SHOP = {"kind": "shopify", "settings": {"shop_url": "https://fuzz.myshopify.com", "access_token": "shpat_fuzz_0001"}}


def _pushing_channel(world: World) -> str:
    """A fresh channel with push settings and a stock push queued."""
    code = world.ok("POST", "/channels", {"code": world.unique("fzp")[:60], "name": "Fuzz shop",
                                          "kind": "webshop"})["code"]
    world.ok("PUT", f"/channels/{code}/push-settings", SHOP)
    world.ok("POST", f"/channels/{code}/stock-resync", {"full": True})
    return code


def _push(world: World) -> tuple[str, str]:
    code = _pushing_channel(world)
    pushes = world.ok("GET", f"/channels/{code}/pushes")["items"]
    assert pushes, "a full resync queues a stock push"
    return code, pushes[0]["id"]


def _alias(world: World) -> str:
    alias = world.unique("THEIRS")[:60]
    world.ok("PUT", f"/channels/{CHANNEL}/sku-aliases/{alias}", {"sku": SKU})
    return alias


def _intake(world: World) -> dict:
    """A failed order kept in the queue: POST /orders with a SKU nobody sells (422, kept)."""
    body = world.order_body(sku="FUZZ-NO-SUCH-SKU")
    status, _ = world.client.call("POST", "/orders", json=body)
    assert status == 422, status
    items = world.ok("GET", f"/failed-intakes?channel={CHANNEL}&limit=200")["items"]
    entry = next(i for i in items if i["external_id"] == body["external_id"])
    return {"id": entry["id"], "external_id": body["external_id"]}


def _subscription(world: World, events=("order.*",)) -> str:
    return world.ok("POST", "/webhook-subscriptions", {"url": f"https://erp.example.in/{world.unique('h')}",
                                                       "events": list(events)})["id"]


def _delivery(world: World) -> tuple[str, str]:
    sub = _subscription(world, ("channel.*",))
    _alias(world)  # records a channel event: one delivery queued
    items = world.ok("GET", f"/webhook-subscriptions/{sub}/deliveries")["items"]
    return sub, items[0]["id"]


def _whole(value):
    def body(world: World, case) -> None:
        _set_body(case, dict(value))

    return body


def _push_target(world: World, case) -> None:
    code, push_id = _push(world)
    _path(case, code=code, push_id=push_id)


def _alias_target(world: World, case) -> None:
    _path(case, code=CHANNEL, alias=_alias(world))


def _new_alias_target(world: World, case) -> None:
    _path(case, code=CHANNEL, alias=world.unique("THEIRS")[:60])


def _resubmit_target(world: World, case) -> None:
    world.stock()
    entry = _intake(world)
    _path(case, intake_id=entry["id"])
    _set_body(case, {"payload": world.order_body(external_id=entry["external_id"])})


def _replay_target(world: World, case) -> None:
    sub, delivery = _delivery(world)
    _path(case, sub_id=sub, delivery_id=delivery)


def _resync_body(world: World, case) -> None:
    body = _body(case)
    body["full"] = bool(body.get("full", True)) if isinstance(body.get("full"), bool) else True


def fills() -> dict[str, Fill]:
    return {
        "GET /channels/{code}/push-settings": Fill(_shared("code", "pushing-channel", _pushing_channel)),
        "PUT /channels/{code}/push-settings": Fill(_fixed(code=CHANNEL), _whole(SHOP)),
        "DELETE /channels/{code}/push-settings": Fill(_fresh("code", _pushing_channel)),
        "GET /channels/{code}/sku-aliases": Fill(_fixed(code=CHANNEL)),
        "PUT /channels/{code}/sku-aliases/{alias}": Fill(_new_alias_target, _whole({"sku": SKU})),
        "DELETE /channels/{code}/sku-aliases/{alias}": Fill(_alias_target),
        "GET /channels/{code}/pushes": Fill(_shared("code", "pushing-channel", _pushing_channel), _lists()),
        "POST /channels/{code}/pushes/{push_id}/requeue": Fill(_push_target),
        "POST /channels/{code}/stock-resync": Fill(_shared("code", "pushing-channel", _pushing_channel),
                                                   _resync_body),
        "GET /failed-intakes": Fill(None, _lists(channel=CHANNEL)),
        "GET /failed-intakes/{intake_id}": Fill(_shared("intake_id", "intake", lambda w: _intake(w)["id"])),
        "POST /failed-intakes/{intake_id}/resubmit": Fill(_resubmit_target),
        "POST /failed-intakes/{intake_id}/discard": Fill(_fresh("intake_id", lambda w: _intake(w)["id"]), _reason),
        "POST /webhook-subscriptions": Fill(None, _whole({"url": "https://erp.example.in/fuzz",
                                                           "events": ["order.*"]})),
        "GET /webhook-subscriptions": Fill(),
        "GET /webhook-subscriptions/{sub_id}": Fill(_shared("sub_id", "subscription", _subscription)),
        "PATCH /webhook-subscriptions/{sub_id}": Fill(_fresh("sub_id", _subscription),
                                                      _whole({"description": "fuzz"})),
        "DELETE /webhook-subscriptions/{sub_id}": Fill(_fresh("sub_id", _subscription)),
        "GET /webhook-subscriptions/{sub_id}/deliveries": Fill(_shared("sub_id", "subscription", _subscription),
                                                               _lists()),
        "POST /webhook-subscriptions/{sub_id}/deliveries/{delivery_id}/replay": Fill(_replay_target),
        "GET /exports/orders.csv": Fill(None, _lists(channel=CHANNEL, node=NODE)),
        "GET /exports/inventory.csv": Fill(None, _lists(node=NODE, sku=SKU)),
    }
