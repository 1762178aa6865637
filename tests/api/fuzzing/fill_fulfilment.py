"""Fills for the fulfilment operations of issue 26 (the shipping node's view, documents and credit notes, carrier
booking, tracking polls and carrier pickups), merged into ``fill.FILLS``. Every pointed case works on a world where every carrier books
from an uploaded AWB series, the node sells under a name, GSTIN and invoice prefix, and the world's SKU has an
HSN code and a default box: so labels, invoices and manifests can be printed."""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.fuzzing.world import NODE, SKU, World

CARRIERS = ("XPR", "ECO", "PRP", "HLX")
GSTIN_TN = "33AAPFU0939F1Z2"   # Tamil Nadu; its check character per the GSTIN rules


def _ready(world: World) -> None:
    def setup() -> str:
        for i, carrier in enumerate(CARRIERS):
            world.ok("PUT", f"/carriers/{carrier}/booking", {"kind": "series", "settings": {}})
            world.ok("POST", f"/carriers/{carrier}/awb-ranges",
                     {"first": 1, "last": 99999, "width": 6, "prefix": f"FZ{i}"})
        world.ok("PUT", f"/nodes/{NODE}/seller", {"legal_name": "Fuzz Retail Pvt Ltd", "invoice_prefix": "FZ1"})
        world.ok("PUT", f"/skus/{SKU}/box", {"length_mm": 250, "width_mm": 200, "height_mm": 100})
        with world.engine.begin() as conn:
            conn.execute(sa.text("UPDATE nodes SET gstin = :g WHERE code = :n"), {"g": GSTIN_TN, "n": NODE})
            conn.execute(sa.text("UPDATE skus SET hsn_code = '6109', gst_rate_bp = 1200 WHERE code = :s"), {"s": SKU})
        return "ready"

    world.shared("fulfilment-setup", setup)


def _booked(world: World) -> dict:
    _ready(world)
    shipment = world.shipment("accepted")
    return world.ok("POST", f"/shipments/{shipment['id']}/book")


def _packed(world: World) -> dict:
    _ready(world)
    shipment = world.shipment("packed")    # booked on pack: its carrier books from a series
    return world.ok("GET", f"/nodes/{NODE}/shipments/{shipment['id']}")


def _pickup(world: World) -> dict:
    packed = _packed(world)
    return world.ok("POST", f"/nodes/{NODE}/carrier-pickups", {"carrier": packed["carrier"]})


def _path(case, **values) -> None:
    case.path_parameters = {**(case.path_parameters or {}), **values}


def _body(case) -> dict:
    if not isinstance(case.body, dict):
        case.body = {}
        if case.media_type is None:
            case.media_type = "application/json"
    return case.body


def _shared_booked(world: World, case) -> None:
    _path(case, shipment_id=world.shared("booked", lambda: _booked(world)["id"]))


def _view_target(world: World, case) -> None:
    _path(case, code=NODE, shipment_id=world.shared("booked", lambda: _booked(world)["id"]))


def _bundle_target(world: World, case) -> None:
    body = _body(case)
    body["shipment_ids"] = [world.shared("booked", lambda: _booked(world)["id"])]
    docs = body.get("documents")
    if not (isinstance(docs, list) and docs and all(d in ("label", "invoice", "packing_slip") for d in docs)):
        body["documents"] = ["label"]
    if body.get("size") not in ("4x6", "a4"):
        body["size"] = "4x6"


def _book_target(world: World, case) -> None:
    _ready(world)
    _path(case, shipment_id=world.shipment("accepted")["id"])


def _seller_body(world: World, case) -> None:
    body = _body(case)
    body["legal_name"] = "Fuzz Retail Pvt Ltd"
    body["invoice_prefix"] = "FZ1"
    body.pop("phone", None)


def _box_body(world: World, case) -> None:
    body = _body(case)
    for key in ("length_mm", "width_mm", "height_mm"):
        value = body.get(key)
        body[key] = value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 5000 else 100
    value = body.get("box_weight_g")
    if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100_000):
        body.pop("box_weight_g", None)


def _booking_body(world: World, case) -> None:
    case.body = {"kind": "series", "settings": {}}
    case.media_type = case.media_type or "application/json"


def _range_body(world: World, case) -> None:
    case.body = {"first": 1, "last": 500, "width": 6, "prefix": f"U{next(world.serial)}"}
    case.media_type = case.media_type or "application/json"


def _pickup_request_target(world: World, case) -> None:
    packed = _packed(world)
    _path(case, code=NODE)
    body = _body(case)
    body["carrier"] = packed["carrier"]
    body.pop("date", None)


def _pickup_shared(world: World, case) -> None:
    _path(case, code=NODE, pickup_id=world.shared("carrier-pickup", lambda: _pickup(world)["id"]))


def _handover_target(world: World, case) -> None:
    pickup = _pickup(world)
    _path(case, code=NODE, pickup_id=pickup["id"])
    shipment = world.ok("GET", f"/nodes/{NODE}/shipments/{pickup['shipments'][0]}")
    _body(case)["awb"] = shipment["awb"]


def _node_target(world: World, case) -> None:
    _path(case, code=NODE)
    case.query = {k: v for k, v in (case.query or {}).items() if k != "date"}


def _carrier_target(world: World, case) -> None:
    _path(case, code="XPR")


TRACKING = {"base_url": "https://tracking.example.in", "token": "fuzz-token-0123456789",
            "track": {"method": "GET", "path": "/v1/track/{awb}"}, "scans_path": "scans"}


def _invoiced(world: World) -> str:
    _ready(world)
    shipment = world.shipment("accepted")
    world.ok("GET", f"/shipments/{shipment['id']}/invoice.pdf")
    return shipment["id"]


def _credit_target(world: World, case) -> None:
    _path(case, shipment_id=_invoiced(world))


def _credit_body(world: World, case) -> None:
    case.body = {"reason": "returned damaged"}
    case.media_type = case.media_type or "application/json"


def _credit_note_target(world: World, case) -> None:
    def make() -> str:
        sid = _invoiced(world)
        return sid + " " + world.ok("POST", f"/shipments/{sid}/credit-notes", {"reason": "returned"})["id"]

    sid, note = world.shared("credit-note", make).split()
    _path(case, shipment_id=sid, credit_note_id=note)


def _tracking_body(world: World, case) -> None:
    case.body = {"settings": TRACKING}
    case.media_type = case.media_type or "application/json"


def _tracking_target(world: World, case) -> None:
    world.shared("tracking-config", lambda: world.ok("PUT", "/carriers/XPR/tracking", {"settings": TRACKING})
                 and "XPR")
    _path(case, code="XPR")


def _tracking_delete_target(world: World, case) -> None:
    world.ok("PUT", "/carriers/ECO/tracking", {"settings": TRACKING})   # its own carrier: GET keeps XPR's
    _path(case, code="ECO")


def _fill_class():
    from tests.api.fuzzing.fill import Fill

    return Fill


def fills() -> dict:
    Fill = _fill_class()
    return {
        "GET /nodes/{code}/shipments/{shipment_id}": Fill(_view_target),
        "GET /shipments/{shipment_id}/label.pdf": Fill(_shared_booked),
        "GET /shipments/{shipment_id}/invoice.pdf": Fill(_shared_booked),
        "GET /shipments/{shipment_id}/packing-slip.pdf": Fill(_shared_booked),
        "POST /shipments/documents.pdf": Fill(_bundle_target),
        "POST /shipments/{shipment_id}/book": Fill(_book_target),
        "PUT /nodes/{code}/seller": Fill(lambda w, c: _path(c, code=NODE), _seller_body),
        "PUT /skus/{code}/box": Fill(lambda w, c: _path(c, code=SKU), _box_body),
        "PUT /carriers/{code}/booking": Fill(_carrier_target, _booking_body),
        "POST /carriers/{code}/awb-ranges": Fill(_carrier_target, _range_body),
        "GET /carriers/{code}/awb-ranges": Fill(_carrier_target),
        "GET /nodes/{code}/carrier-pickups": Fill(_node_target),
        "POST /nodes/{code}/carrier-pickups": Fill(_pickup_request_target),
        "GET /nodes/{code}/carrier-pickups/{pickup_id}": Fill(_pickup_shared),
        "POST /nodes/{code}/carrier-pickups/{pickup_id}/handover": Fill(_handover_target),
        "GET /nodes/{code}/manifests/{pickup_id}.pdf": Fill(_pickup_shared),
        "GET /shipments/{shipment_id}/credit-notes": Fill(_shared_booked),
        "POST /shipments/{shipment_id}/credit-notes": Fill(_credit_target, _credit_body),
        "GET /shipments/{shipment_id}/credit-notes/{credit_note_id}.pdf": Fill(_credit_note_target),
        "PUT /carriers/{code}/tracking": Fill(_carrier_target, _tracking_body),
        "GET /carriers/{code}/tracking": Fill(_tracking_target),
        "DELETE /carriers/{code}/tracking": Fill(_tracking_delete_target),
    }
