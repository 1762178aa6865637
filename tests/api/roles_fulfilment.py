"""Role-matrix rows of the fulfilment endpoints (issue 26), merged into tests/api/test_roles.py's MATRIX.

Scenario ``fulfil26``, per side: its carrier books from an uploaded AWB series, its node sells under a name,
GSTIN and invoice prefix, the SKU has an HSN code and a default box; two orders are accepted and packed
(booked on pack) and a carrier pickup takes them (``pickup``; ``awb``: the first one's); a third, packed after
it, waits for a pickup (``shipment``). Node work is the shipping node's (other node: 404; roles that do not ship: 403); setup is
the admin's."""

from __future__ import annotations

import itertools

import sqlalchemy as sa

from omnialloc.domain.gst import gstin_check_character

OK = "ok"
SKU = "SKU-0024"
_STATE_CODE = {"CHN-FC1": "33", "MUM-FC1": "27"}
_counter = itertools.count(1)

_NODE_WORK = {"admin": (OK, OK), "analyst": (403, 403), "channel": (403, 403), "node": (OK, 404),
              "carrier": (403, 403)}
_ADMIN_ONLY = {"admin": (OK, OK), "analyst": (403, 403), "channel": (403, 403), "node": (403, 403),
               "carrier": (403, 403)}
BOX = {"weight_g": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}


def fulfil26_scenario(client, admin, uow_factory, spec: dict, order_body) -> dict:
    n = next(_counter)
    carrier, node = spec["carrier"], spec["node"]

    def ok(method, url, body=None, status=200):
        r = client.open(url, method=method, json=body, headers=admin)
        assert r.status_code == status, (url, r.status_code, r.get_json())
        return r.get_json()

    ok("PUT", f"/carriers/{carrier}/booking", {"kind": "series"})
    ok("POST", f"/carriers/{carrier}/awb-ranges", {"first": 1, "last": 999, "width": 6, "prefix": f"R{n}"}, 201)
    ok("PUT", f"/nodes/{node}/seller", {"legal_name": "Roles Retail Pvt Ltd", "invoice_prefix": "R1"})
    ok("PUT", f"/skus/{SKU}/box", {"length_mm": 200, "width_mm": 150, "height_mm": 100})
    base = _STATE_CODE[node] + "AAPFU0939F1Z"
    with uow_factory() as uow:
        uow.conn.execute(sa.text("UPDATE nodes SET gstin = :g WHERE code = :n"),
                         {"g": base + gstin_check_character(base), "n": node})
        uow.conn.execute(sa.text("UPDATE skus SET hsn_code = '6109', gst_rate_bp = 500 WHERE code = :s"), {"s": SKU})
        uow.commit()
    ids = []
    for k in range(2):
        order = ok("POST", "/orders", order_body(f"roles26-{node}-{n}-{k}", channel=spec["channel"], pin=spec["pin"],
                                                 lines=[{"sku": SKU, "qty": 1}]), 201)
        (shipment,) = order["shipments"]
        with uow_factory() as uow:
            uow.shipments.set_carrier(shipment["id"], carrier)
            uow.commit()
        ok("POST", f"/shipments/{shipment['id']}/accept")
        ok("POST", f"/shipments/{shipment['id']}/pack", BOX)
        ids.append(shipment["id"])
    first = ok("GET", f"/nodes/{node}/shipments/{ids[0]}")
    assert first["awb"], first
    pickup = ok("POST", f"/nodes/{node}/carrier-pickups", {"carrier": carrier}, 201)
    # The pickup took both packed shipments; a third, packed after it, is what a new pickup request finds.
    order = ok("POST", "/orders", order_body(f"roles26-{node}-{n}-2", channel=spec["channel"], pin=spec["pin"],
                                             lines=[{"sku": SKU, "qty": 1}]), 201)
    (waiting,) = order["shipments"]
    with uow_factory() as uow:
        uow.shipments.set_carrier(waiting["id"], carrier)
        uow.commit()
    ok("POST", f"/shipments/{waiting['id']}/accept")
    ok("POST", f"/shipments/{waiting['id']}/pack", BOX)
    # Credit notes: the waiting shipment is invoiced (nothing credited yet); the first is invoiced and credited.
    for sid in (waiting["id"], ids[0]):
        r = client.get(f"/shipments/{sid}/invoice.pdf", headers=admin)
        assert r.status_code == 200, r.get_json()
    note = ok("POST", f"/shipments/{ids[0]}/credit-notes", {"reason": "returned unopened"}, 201)
    ok("PUT", f"/carriers/{carrier}/tracking", {"settings": TRACKING})
    return {"shipment": waiting["id"], "awb": first["awb"], "pickup": pickup["id"], "order": order["id"],
            "credited": ids[0], "credit_note": note["id"]}


TRACKING = {"base_url": "https://tracking.example.in", "token": "roles-token-0123456789",
            "track": {"method": "GET", "path": "/v1/track/{awb}"}, "scans_path": "scans"}


def _node_ship(suffix: str):
    return lambda s: (f"/nodes/{s['node']}/shipments/{s['shipment']}{suffix}", None)


ROWS = {
    "fulfilment.shipping_view": ("GET", _node_ship(""), _NODE_WORK),
    "fulfilment.label_pdf": ("GET", lambda s: (f"/shipments/{s['shipment']}/label.pdf", None), _NODE_WORK),
    "fulfilment.invoice_pdf": ("GET", lambda s: (f"/shipments/{s['shipment']}/invoice.pdf", None), _NODE_WORK),
    "fulfilment.packing_slip_pdf": ("GET", lambda s: (f"/shipments/{s['shipment']}/packing-slip.pdf", None),
                                    _NODE_WORK),
    "fulfilment.bundle_pdf": ("POST", lambda s: ("/shipments/documents.pdf", {"shipment_ids": [s["shipment"]]}),
                              _NODE_WORK),
    "fulfilment.book": ("POST", lambda s: (f"/shipments/{s['shipment']}/book", None), _NODE_WORK),
    "fulfilment.put_seller": ("PUT", lambda s: (f"/nodes/{s['node']}/seller",
                                                {"legal_name": "Other Name Pvt Ltd", "invoice_prefix": "R2"}),
                              _ADMIN_ONLY),
    "fulfilment.put_box": ("PUT", lambda s: (f"/skus/{SKU}/box", {"length_mm": 210, "width_mm": 150,
                                                                  "height_mm": 90}), _ADMIN_ONLY),
    "fulfilment.put_booking": ("PUT", lambda s: (f"/carriers/{s['carrier']}/booking", {"kind": "series"}),
                               _ADMIN_ONLY),
    "fulfilment.upload_range": ("POST", lambda s: (f"/carriers/{s['carrier']}/awb-ranges", {
        "first": 1, "last": 99, "width": 4, "prefix": f"U{next(_counter)}"}), _ADMIN_ONLY),
    "fulfilment.awb_ranges": ("GET", lambda s: (f"/carriers/{s['carrier']}/awb-ranges", None), _ADMIN_ONLY),
    "fulfilment.pickup_board": ("GET", lambda s: (f"/nodes/{s['node']}/carrier-pickups", None), _NODE_WORK),
    "fulfilment.request_pickup": ("POST", lambda s: (f"/nodes/{s['node']}/carrier-pickups",
                                                     {"carrier": s["carrier"]}), _NODE_WORK),
    "fulfilment.get_pickup": ("GET", lambda s: (f"/nodes/{s['node']}/carrier-pickups/{s['pickup']}", None),
                              _NODE_WORK),
    "fulfilment.handover": ("POST", lambda s: (f"/nodes/{s['node']}/carrier-pickups/{s['pickup']}/handover",
                                               {"awb": s["awb"]}), _NODE_WORK),
    "fulfilment.list_credit_notes": ("GET", lambda s: (f"/shipments/{s['shipment']}/credit-notes", None),
                                     _NODE_WORK),
    "fulfilment.issue_credit_note": ("POST", lambda s: (f"/shipments/{s['shipment']}/credit-notes",
                                                        {"reason": "returned damaged"}), _ADMIN_ONLY),
    "fulfilment.credit_note_pdf": ("GET", lambda s: (f"/shipments/{s['credited']}/credit-notes/{s['credit_note']}.pdf",
                                                     None), _NODE_WORK),
    "fulfilment.put_tracking": ("PUT", lambda s: (f"/carriers/{s['carrier']}/tracking", {"settings": TRACKING}),
                                _ADMIN_ONLY),
    "fulfilment.get_tracking": ("GET", lambda s: (f"/carriers/{s['carrier']}/tracking", None), _ADMIN_ONLY),
    "fulfilment.delete_tracking": ("DELETE", lambda s: (f"/carriers/{s['carrier']}/tracking", None), _ADMIN_ONLY),
    "fulfilment.manifest_pdf": ("GET", lambda s: (f"/nodes/{s['node']}/manifests/{s['pickup']}.pdf", None),
                                _NODE_WORK),
}
