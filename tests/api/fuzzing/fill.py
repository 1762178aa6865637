"""How a generated case is pointed at the world: one entry per operation of the API.

Each entry has two halves:

- ``body(world, case)`` makes the body agree with the domain without needing anything stored: demo SKUs,
  nodes and channels where random ones are (correctly) refused, a parseable rule, a box a carrier takes,
  no forged paging cursor (an opaque token only the server can sign). It needs no server, so the
  stateful phase's ``map_case`` hook uses it too.
- ``target(world, case)`` points the case at fresh resources made through the API, in the state the
  operation needs (path ids, and what the body must match: a line number, a pickup code, an AWB). It may
  return extra keyword arguments for ``case.call`` when the body is sent as bytes (signed webhooks and
  carrier scans, CSV imports).

Everything else the case carries stays as generated, so each success is still a fuzzed request. An
operation missing here fails ``test_every_operation_has_a_fill`` (tests/api/test_schemathesis.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.api.fuzzing.world import CHANNEL, NODE, SKU, VALID_RULES, World

IMPORT_NODE = "DEL-FC1"  # a snapshot import replaces a node's whole stock: not a node the world sells from


@dataclass(frozen=True)
class Fill:
    target: Callable | None = None
    body: Callable | None = None


def repair(fills: dict[str, Fill], world: World, case) -> None:
    """The ``body`` half, and a fresh ``Idempotency-Key`` (a generated one comes back in later cases, and a
    key reused for another request is rightly refused)."""
    entry = fills[case.operation.label]
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = world.unique("idem")
    if entry.body is not None:
        entry.body(world, case)


def fill(fills: dict[str, Fill], world: World, case) -> dict:
    """Point ``case`` at the world (both halves); the extra ``case.call`` arguments, if any."""
    repair(fills, world, case)
    entry = fills[case.operation.label]
    return (entry.target(world, case) if entry.target is not None else None) or {}


# ---------------------------------------------------------------- small editors


def _path(case, **values) -> None:
    case.path_parameters = {**(case.path_parameters or {}), **values}


def _body(case) -> dict:
    if not isinstance(case.body, dict):
        _set_body(case, {})
    return case.body


def _set_body(case, body: dict) -> None:
    case.body = body
    if case.media_type is None:  # a case drawn without its (required) body: send this one as JSON
        case.media_type = "application/json"


def _query(case, *, drop=(), **values) -> None:
    query = {k: v for k, v in (case.query or {}).items() if k not in drop}
    query.update({k: v for k, v in values.items() if k in query})  # only filters the case already uses
    case.query = query


def _int(value, lo: int, hi: int) -> int:
    """A generated integer folded into [lo, hi] (so the fuzzer's choice still varies the request)."""
    return lo + (value if isinstance(value, int) and not isinstance(value, bool) else 0) % (hi - lo + 1)


def _first(value) -> dict:
    return value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}


def _reason(world: World, case) -> None:
    body = _body(case)
    if not isinstance(body.get("reason"), str) or not body["reason"].strip():
        body["reason"] = "fuzz"


# ---------------------------------------------------------------- bodies


def _settle_body(world: World, case) -> None:
    body = _body(case)
    if body.get("status") not in ("paid", "cancelled"):
        body["status"] = "paid"
    if not (body.get("reference") is None or (isinstance(body["reference"], str) and len(body["reference"]) <= 200)):
        body["reference"] = None


def _order_body(world: World, case) -> None:
    body = _body(case)
    ship_to = body.get("ship_to") if isinstance(body.get("ship_to"), dict) else {}
    mode = body.get("payment_mode") if body.get("payment_mode") in ("PREPAID", "COD") else "PREPAID"
    valid = world.order_body(payment_mode=mode)
    for field in ("name", "line1", "city", "line2"):  # free text stays as generated
        if isinstance(ship_to.get(field), str) and ship_to[field].strip():
            valid["ship_to"][field] = ship_to[field]
    if isinstance(body.get("customer_id"), str) and body["customer_id"].strip():
        valid["customer_id"] = body["customer_id"]
    _set_body(case, valid)


def _cancel_body(world: World, case) -> None:
    _reason(world, case)
    body = _body(case)
    body["lines"] = [{"line_no": 1, "qty": 1}] if body.get("lines") else None


def _return_body(world: World, case) -> None:
    body = _body(case)
    reason = _first(body.get("lines")).get("reason")
    body["lines"] = [{"line_no": 1, "qty": 1, "reason": reason or "size_fit"}]
    if body.get("resolution") not in ("refund", "store_credit"):
        body["resolution"] = "refund"
    body.pop("refund_account", None)  # prepaid: refunded to the original payment


def _receive_body(world: World, case) -> None:
    grade = _first(_body(case).get("units")).get("grade")
    _set_body(case, {"units": [{"line_no": 1, "grade": grade if grade in ("A", "B", "C", "D") else "A", "qty": 1}]})


def _redeem_body(world: World, case) -> None:
    body = _body(case)
    body["amount_paise"] = _int(body.get("amount_paise"), 1, 500)


def _rule_body(world: World, case) -> None:
    kind, condition, actions = VALID_RULES[_int(_body(case).get("priority"), 0, len(VALID_RULES) - 1)]
    _body(case).update(name=world.unique("rule"), kind=kind, condition=condition, actions=actions)


def _rule_patch_body(world: World, case) -> None:
    for field in ("actions", "condition", "kind", "name", "version"):  # must parse / match the stored rule
        _body(case).pop(field, None)


def _dry_run_body(world: World, case) -> None:
    body = _body(case)
    for field in ("order_id", "rules"):
        body.pop(field, None)
    body["order"] = world.order_body()


def _box_body(world: World, case) -> None:
    body = _body(case)  # the box as generated, folded to what a carrier takes
    _set_body(case, {k: _int(body.get(k), lo, hi) for k, (lo, hi) in
                 {"weight_g": (100, 20_000), "length_mm": (50, 600), "width_mm": (50, 500),
                  "height_mm": (20, 400)}.items()})


def _ship_body(world: World, case) -> None:
    body = _body(case)
    if body.get("awb") is not None:  # an AWB is unique network-wide
        body["awb"] = world.unique("AWB").replace("-", "")[:40]


def _adjust_body(world: World, case) -> None:
    first = _first(_body(case).get("adjustments"))
    row = {"node": NODE, "sku": SKU, "delta": _int(first.get("delta"), 1, 50), "reason": "receipt"}
    if isinstance(first.get("note"), str):
        row["note"] = first["note"]
    _set_body(case, {"adjustments": [row]})


def _transfer_body(world: World, case) -> None:
    _body(case).update(source=NODE, destination="BLR-FC1", lines=[{"sku": SKU, "qty": 1}])


def _receive_transfer_body(world: World, case) -> None:
    _set_body(case, {"received": {SKU: 1}} if _body(case).get("received") else {})


def _complete_body(world: World, case) -> None:
    body = _body(case)
    restocked = _int(body.get("restocked"), 0, 1)
    body.update(restocked=restocked, scrapped=1 - restocked)


def _lists(**filters):
    """A list: no forged paging cursor, no date range the generator made up; filters pointed at the world."""

    def body(world: World, case) -> None:
        _query(case, drop=("cursor", "created_from", "created_to", "since", "date"), **filters)

    return body


# ---------------------------------------------------------------- targets


def _fresh(param: str, make: Callable[[World], str]):
    """Path ``param`` = the id of a fresh resource (the call changes it, so each call gets its own)."""

    def target(world: World, case) -> None:
        _path(case, **{param: make(world)})

    return target


def _shared(param: str, kind: str, make: Callable[[World], str]):
    """Path ``param`` = one resource per test, made at first use (reads do not change it)."""

    def target(world: World, case) -> None:
        _path(case, **{param: world.shared(kind, lambda: make(world))})

    return target


def _fixed(**values):
    def target(world: World, case) -> None:
        _path(case, **values)

    return target


def _redeem_target(world: World, case) -> None:
    credit = world.customer_with_credit()
    _path(case, customer_id=credit["customer"])
    _body(case)["order_id"] = credit["order"]


def _collect_target(world: World, case) -> None:
    pickup = world.pickup("ready")
    _path(case, shipment_id=pickup["shipment"])
    _set_body(case, {"code": pickup["code"]})


def _tracking_target(world: World, case) -> dict:
    shipment = world.shipment("shipped")
    _path(case, carrier=shipment["carrier"])
    raw = world.tracking_body(shipment, "in_transit")
    return {"data": raw, "headers": world.carrier_headers(raw)}


def _webhook_target(platform: str):
    def target(world: World, case) -> dict:
        _path(case, code=platform)
        raw, headers = world.webhook(platform)
        return {"data": raw, "headers": headers}

    return target


def _import_target(world: World, case) -> dict:
    case.query = {**(case.query or {}), "node": IMPORT_NODE}
    return {"data": f"sku,qty\n{SKU},7\n".encode(), "headers": {"Content-Type": "text/csv"}}


def _stock_target(world: World, case) -> None:
    world.stock()


def _reorder_target(world: World, case) -> None:
    _body(case)["rule_ids"] = [world.rule()["id"]]


# ---------------------------------------------------------------- the network (issue 25)
def _net_code(world: World, prefix: str) -> str:
    return world.unique(prefix)[:60]


def _node_in(world: World) -> dict:
    return {"code": _net_code(world, "FZN"), "name": "Fuzz store", "kind": "store", "pin": "600002"}


def _sku_in(world: World) -> dict:
    return {"code": _net_code(world, "FZS"), "name": "Fuzz SKU", "category": "misc", "unit_weight_g": 250,
            "length_mm": 100, "width_mm": 80, "height_mm": 40, "unit_price_paise": 9900}


def _carrier_in(world: World) -> dict:
    return {"code": _net_code(world, "FZC"), "name": "Fuzz carrier"}


def _channel_in(world: World) -> dict:
    return {"code": _net_code(world, "fzch"), "name": "Fuzz channel", "kind": "webshop"}


def _created(path: str, make: Callable[[World], dict]):
    return lambda world: world.ok("POST", path, make(world))["code"]


def _new(make: Callable[[World], dict]):
    def body(world: World, case) -> None:
        _set_body(case, make(world))

    return body


def _whole(value: dict):
    def body(world: World, case) -> None:
        _set_body(case, dict(value))

    return body


RATE_CARD = {"zones": [{"zone": z, "first_slab_paise": 4000 + 500 * i, "additional_slab_paise": 3000 + 400 * i}
                       for i, z in enumerate("ABCDE")]}


def _network_import_target(world: World, case) -> dict:
    _path(case, name="skus")
    code = _net_code(world, "FZI")
    csv = ("code,name,category,unit_weight_g,length_mm,width_mm,height_mm,unit_price_paise\n"
           f"{code},Fuzz import,misc,300,100,100,100,19900\n")
    return {"data": csv.encode(), "headers": {"Content-Type": "text/csv"}}


def _customer(world: World) -> str:
    return world.customer()


FILLS: dict[str, Fill] = {
    "GET /channels/{code}/inventory-feed": Fill(_fixed(code=CHANNEL), _lists()),
    "POST /channels/{code}/webhooks/shopify": Fill(_webhook_target("shopify")),
    "POST /channels/{code}/webhooks/woocommerce": Fill(_webhook_target("woocommerce")),
    "GET /customers/{customer_id}/store-credit": Fill(_shared("customer_id", "credit",
                                                              lambda w: w.customer_with_credit()["customer"])),
    "POST /customers/{customer_id}/store-credit/redeem": Fill(_redeem_target, _redeem_body),
    "GET /health": Fill(),
    "GET /health/live": Fill(),
    "GET /health/ready": Fill(),
    "GET /inventory": Fill(None, _lists(sku=SKU, node=NODE)),
    "POST /inventory/adjustments": Fill(None, _adjust_body),
    "POST /inventory/imports": Fill(_import_target),
    "GET /inventory/{sku}": Fill(_fixed(sku=SKU)),
    "GET /metrics": Fill(),
    "GET /nodes/{code}/manifest": Fill(_fixed(code=NODE), _lists()),
    "GET /notification-preferences/{subject}": Fill(_shared("subject", "customer", _customer)),
    "PUT /notification-preferences/{subject}": Fill(_shared("subject", "customer", _customer)),
    "GET /notifications": Fill(None, _lists(channel="email")),
    "GET /notifications/{notification_id}": Fill(_shared("notification_id", "notification",
                                                         lambda w: w.notification())),
    "POST /notifications/{notification_id}/requeue": Fill(_fresh("notification_id", lambda w: w.notification("failed"))),
    "GET /orders": Fill(None, _lists(channel=CHANNEL, node=NODE)),
    "POST /orders": Fill(_stock_target, _order_body),
    # the delivery promise (issue 24): a cart of a stocked SKU to a served PIN, one SKU for a product page
    "POST /promise": Fill(_stock_target, _whole({"lines": [{"sku": SKU, "qty": 1}], "pin": "600002"})),
    "GET /promise": Fill(_stock_target, _lists(sku=SKU, pin="600002", qty=1, channel=CHANNEL)),
    "GET /orders/{order_id}": Fill(_shared("order_id", "order", lambda w: w.order()["id"])),
    "POST /orders/{order_id}/allocate": Fill(_fresh("order_id", lambda w: w.order("backordered")["id"])),
    "POST /orders/{order_id}/cancel": Fill(_fresh("order_id", lambda w: w.order()["id"]), _cancel_body),
    "POST /orders/{order_id}/hold": Fill(_fresh("order_id", lambda w: w.order()["id"]), _reason),
    "GET /orders/{order_id}/pickup": Fill(_shared("order_id", "pickup", lambda w: w.pickup()["order"])),
    "POST /orders/{order_id}/release": Fill(_fresh("order_id", lambda w: w.order("held")["id"]), _reason),
    "GET /orders/{order_id}/money": Fill(_shared("order_id", "order", lambda w: w.order()["id"])),
    "POST /orders/{order_id}/returns": Fill(_fresh("order_id", lambda w: w.order("delivered")["id"]), _return_body),
    "POST /payment-requests/{request_id}/settle": Fill(_fresh("request_id", lambda w: w.payment_request()["id"]),
                                                       _settle_body),
    "GET /returns": Fill(None, _lists(channel=CHANNEL, node=NODE)),
    "GET /returns/{return_id}": Fill(_shared("return_id", "return", lambda w: w.return_()["id"])),
    "POST /returns/{return_id}/approve": Fill(_fresh("return_id", lambda w: w.return_()["id"])),
    "POST /returns/{return_id}/receive": Fill(_fresh("return_id", lambda w: w.return_("approved")["id"]),
                                              _receive_body),
    "POST /returns/{return_id}/reject": Fill(_fresh("return_id", lambda w: w.return_()["id"]), _reason),
    "GET /rules": Fill(),
    "POST /rules": Fill(None, _rule_body),
    "POST /rules/dry-run": Fill(_stock_target, _dry_run_body),
    "GET /rules/node-groups": Fill(),
    "POST /rules/reorder": Fill(_reorder_target),
    "GET /rules/schema": Fill(),
    "DELETE /rules/{rule_id}": Fill(_fresh("rule_id", lambda w: w.rule()["id"])),
    "GET /rules/{rule_id}": Fill(_shared("rule_id", "rule", lambda w: w.rule()["id"])),
    "PATCH /rules/{rule_id}": Fill(_fresh("rule_id", lambda w: w.rule()["id"]), _rule_patch_body),
    "POST /rules/{rule_id}/disable": Fill(_fresh("rule_id", lambda w: w.rule()["id"])),
    "POST /rules/{rule_id}/enable": Fill(_fresh("rule_id", lambda w: w.rule()["id"])),
    "GET /rules/{rule_id}/versions": Fill(_shared("rule_id", "rule", lambda w: w.rule()["id"])),
    "GET /shipments": Fill(None, _lists(node=NODE)),
    "GET /shipments/{shipment_id}": Fill(_shared("shipment_id", "shipment", lambda w: w.shipment()["id"])),
    "POST /shipments/{shipment_id}/accept": Fill(_fresh("shipment_id", lambda w: w.shipment()["id"])),
    "POST /shipments/{shipment_id}/collect": Fill(_collect_target),
    "POST /shipments/{shipment_id}/pack": Fill(_fresh("shipment_id", lambda w: w.shipment("accepted")["id"]),
                                               _box_body),
    "POST /shipments/{shipment_id}/ready": Fill(_fresh("shipment_id", lambda w: w.pickup()["shipment"])),
    "POST /shipments/{shipment_id}/reject": Fill(_fresh("shipment_id", lambda w: w.shipment()["id"]), _reason),
    "POST /shipments/{shipment_id}/ship": Fill(_fresh("shipment_id", lambda w: w.shipment("packed")["id"]),
                                               _ship_body),
    "GET /track/{awb}": Fill(_shared("awb", "awb", lambda w: w.shipment("shipped")["awb"])),
    "POST /tracking/{carrier}": Fill(_tracking_target),
    "GET /transfers": Fill(None, _lists(node=NODE)),
    "POST /transfers": Fill(_stock_target, _transfer_body),
    "GET /transfers/{transfer_id}": Fill(_shared("transfer_id", "transfer", lambda w: w.transfer()["id"])),
    "POST /transfers/{transfer_id}/cancel": Fill(_fresh("transfer_id", lambda w: w.transfer()["id"]), _reason),
    "POST /transfers/{transfer_id}/dispatch": Fill(_fresh("transfer_id", lambda w: w.transfer()["id"])),
    "POST /transfers/{transfer_id}/receive": Fill(_fresh("transfer_id", lambda w: w.transfer("dispatched")["id"]),
                                                  _receive_transfer_body),
    "GET /work-orders": Fill(None, _lists(node=NODE)),
    "POST /work-orders/{work_order_id}/complete": Fill(_fresh("work_order_id", lambda w: w.work_order()["id"]),
                                                       _complete_body),
    "GET /nodes": Fill(None, _lists()),
    "POST /nodes": Fill(None, _new(_node_in)),
    "GET /nodes/{code}": Fill(_fixed(code=NODE)),
    "PATCH /nodes/{code}": Fill(_fresh("code", _created("/nodes", _node_in)), _whole({"daily_capacity": 300})),
    "DELETE /nodes/{code}": Fill(_fresh("code", _created("/nodes", _node_in))),
    "GET /skus": Fill(None, _lists()),
    "POST /skus": Fill(None, _new(_sku_in)),
    "GET /skus/{code}": Fill(_fixed(code=SKU)),
    "PATCH /skus/{code}": Fill(_fresh("code", _created("/skus", _sku_in)), _whole({"fragile": True})),
    "GET /carriers": Fill(None, _lists()),
    "POST /carriers": Fill(None, _new(_carrier_in)),
    "GET /carriers/{code}": Fill(_fixed(code="XPR")),
    "PATCH /carriers/{code}": Fill(_fresh("code", _created("/carriers", _carrier_in)), _whole({"max_weight_g": 20000})),
    "PUT /carriers/{code}/rate-card": Fill(_fresh("code", _created("/carriers", _carrier_in)), _whole(RATE_CARD)),
    "GET /carriers/{code}/serviceability": Fill(_fixed(code="XPR"), _lists()),
    "PUT /carriers/{code}/serviceability": Fill(_fresh("code", _created("/carriers", _carrier_in)),
                                                _whole({"rows": [{"pin_prefix": "6"}, {"pin_prefix": "56"}]})),
    "GET /channels": Fill(None, _lists()),
    "POST /channels": Fill(None, _new(_channel_in)),
    "GET /channels/{code}": Fill(_fixed(code=CHANNEL)),
    "PATCH /channels/{code}": Fill(_fresh("code", _created("/channels", _channel_in)), _whole({"buffer_units": 2})),
    "POST /network/imports/{name}": Fill(_network_import_target),
    "GET /network/exports/{name}": Fill(_fixed(name="nodes")),
}

# Issue 26 (fulfilment: documents, carrier booking, carrier pickups): fills of its own module.
from tests.api.fuzzing.fill_fulfilment import fills as _fulfilment_fills  # noqa: E402

FILLS.update(_fulfilment_fills())

# Issue 27 (channels both ways, outbound webhooks, exports): fills of its own module.
from tests.api.fuzzing.fill_channels import fills as _channel_fills  # noqa: E402

FILLS.update(_channel_fills())
