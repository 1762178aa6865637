"""GST credit notes (issue 26): issued against a shipment's tax invoice by hand, when a customer return's units
are counted in, and when an undelivered parcel is back at its node (RTO, here from polled tracking); numbered
from the node's own gapless series; the PDFs read back with pypdf; rows checked with SQL written here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from omnialloc.services.events import now
from omnialloc.services.fulfilment import tracking_poll
from tests.api import test_carrier_booking_and_pickups as booking_tests
from tests.api.conftest import auth, signed_tracking
from tests.api.test_fulfilment_documents import pdf_text, setup_node, shipment_at
from tests.api.test_tracking_poll import make_ctx, scan, tracking_settings

carrier_server, fake = booking_tests.carrier_server, booking_tests.fake   # fixtures: the carrier's server


def _invoiced(client, admin, external_id: str, qty: int = 2) -> tuple[dict, str]:
    s = shipment_at(client, admin, external_id, qty=qty)
    assert client.post(f"/shipments/{s['id']}/accept", headers=admin).status_code == 200
    assert client.get(f"/shipments/{s['id']}/invoice.pdf", headers=admin).status_code == 200
    number = client.get(f"/nodes/CHN-FC1/shipments/{s['id']}", headers=admin).get_json()["invoice_number"]
    return s, number


def test_credit_notes_by_hand_reduce_the_invoice_unit_by_unit_and_never_beyond_it(client, keys, engine):
    admin, node = auth(keys["admin"]), auth(keys["node_chn"])
    setup_node(client, admin, engine)
    s, invoice = _invoiced(client, admin, "cn-hand")
    fy = re.fullmatch(r"CHN1/(\d{4})/00001", invoice).group(1)
    url = f"/shipments/{s['id']}/credit-notes"
    one = {"reason": "one unit returned damaged", "lines": [{"sku": "SKU-0001", "qty": 1}]}
    assert client.post(url, json=one, headers=node).status_code == 403, "the admin credits, not the node"

    r = client.post(url, json=one, headers=admin)
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    # One unit of Rs 539 incl. 5 % GST inside Tamil Nadu: CGST = SGST = 53900 x 250 / 10500 = 1283.33 -> 12.83.
    assert first["number"] == f"CHN1/{fy}/C0001" and first["invoice_number"] == invoice
    assert (first["taxable_paise"], first["tax_paise"], first["total_paise"]) == (51334, 2566, 53900)
    pdf = client.get(f"{url}/{first['id']}.pdf", headers=node)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "CREDIT NOTE" in text and f"CHN1/{fy}/C0001" in text and invoice in text
    assert "12.83" in text and "513.34" in text and "539.00" in text and "one unit returned damaged" in text
    assert "IGST" not in text.replace("IGST Act", "")
    assert client.get(f"{url}/{first['id']}.pdf", headers=node).data == pdf.data, "a reprint is the same document"
    assert client.get(f"{url}/{first['id']}.pdf", headers=auth(keys["node_mum"])).status_code == 404

    r = client.post(url, json={**one, "lines": [{"sku": "SKU-0001", "qty": 2}]}, headers=admin)
    assert r.status_code == 422 and "1 invoiced and not yet credited" in r.get_json()["detail"]
    r = client.post(url, json={"reason": "the other unit too"}, headers=admin)
    assert r.status_code == 201 and r.get_json()["number"] == f"CHN1/{fy}/C0002"
    assert [i["qty"] for i in r.get_json()["items"]] == [1]
    r = client.post(url, json={"reason": "once more"}, headers=admin)
    assert r.status_code == 409 and "credited in full" in r.get_json()["detail"]

    listed = client.get(url, headers=node).get_json()
    assert [n["number"] for n in listed["credit_notes"]] == [f"CHN1/{fy}/C0001", f"CHN1/{fy}/C0002"]
    view = client.get(f"/nodes/CHN-FC1/shipments/{s['id']}", headers=node).get_json()
    assert view["credit_notes"] == [f"CHN1/{fy}/C0001", f"CHN1/{fy}/C0002"]
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT c.serial, c.number, i.number FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id "
            "WHERE c.shipment_id = :s ORDER BY c.serial"), {"s": s["id"]}).all()
        last = conn.execute(sa.text("SELECT last_serial FROM credit_note_series WHERE node = 'CHN-FC1'")).scalar_one()
        invoices_last = conn.execute(sa.text("SELECT last_serial FROM invoice_series WHERE node = 'CHN-FC1'")).scalar_one()
    assert [tuple(r) for r in rows] == [(1, f"CHN1/{fy}/C0001", invoice), (2, f"CHN1/{fy}/C0002", invoice)]
    assert (last, invoices_last) == (2, 1), "a series of its own: the invoices' counter did not move"


def test_a_shipment_without_an_invoice_has_nothing_to_credit(client, keys, engine):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    s = shipment_at(client, admin, "cn-none")
    client.post(f"/shipments/{s['id']}/accept", headers=admin)
    r = client.post(f"/shipments/{s['id']}/credit-notes", json={"reason": "returned"}, headers=admin)
    assert r.status_code == 409 and "no tax invoice" in r.get_json()["detail"]
    assert client.get(f"/shipments/{s['id']}/credit-notes", headers=admin).get_json()["credit_notes"] == []


def test_a_customer_return_counted_in_is_credited_on_the_invoice_it_was_billed_on(client, keys, engine):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    s, invoice = _invoiced(client, admin, "cn-return")
    for step, body in (("pack", booking_tests.BOX), ("ship", {"awb": "CNRET00001"})):
        assert client.post(f"/shipments/{s['id']}/{step}", json=body, headers=admin).status_code == 200
    r = signed_tracking(client, s["carrier"], [{"awb": "CNRET00001", "status": "delivered",
                                                "at": datetime.now(UTC).isoformat()}])
    assert r.get_json()["applied"] == 1
    r = client.post(f"/orders/{s['order_id']}/returns", headers=admin,
                    json={"lines": [{"line_no": 1, "qty": 1, "reason": "size_fit"}], "resolution": "refund"})
    assert r.status_code == 201, r.get_json()
    ret = r.get_json()
    assert not client.get(f"/shipments/{s['id']}/credit-notes", headers=admin).get_json()["credit_notes"], \
        "nothing is credited before the units are back"
    r = client.post(f"/returns/{ret['id']}/receive", headers=admin, json={"units": [{"line_no": 1, "grade": "A"}]})
    assert r.status_code == 200, r.get_json()
    [note] = client.get(f"/shipments/{s['id']}/credit-notes", headers=admin).get_json()["credit_notes"]
    assert note["invoice_number"] == invoice and note["items"] == [{"sku": "SKU-0001", "qty": 1}]
    assert note["total_paise"] == 53900 and ret["id"] in note["reason"]
    text = pdf_text(client.get(f"/shipments/{s['id']}/credit-notes/{note['id']}.pdf", headers=admin).data)
    assert "CREDIT NOTE" in text and note["number"] in text and invoice in text
    with engine.connect() as conn:
        source = conn.execute(sa.text("SELECT source FROM credit_notes WHERE id = :i"), {"i": note["id"]}).scalar_one()
    assert source == f"return:{ret['id']}"


def test_an_rto_from_polled_tracking_credits_the_whole_invoice(app, client, keys, engine, fake, carrier_server):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    s, invoice = _invoiced(client, admin, "cn-rto", qty=1)
    for step, body in (("pack", booking_tests.BOX), ("ship", {"awb": "CNRTO00001"})):
        assert client.post(f"/shipments/{s['id']}/{step}", json=body, headers=admin).status_code == 200
    client.put(f"/carriers/{s['carrier']}/tracking", json={"settings": tracking_settings(carrier_server)},
               headers=admin)
    fake.scans["CNRTO00001"] = [scan("ITR", 30), scan("RTO-INIT", 20), scan("RTO-DLV", 1)]
    ctx = make_ctx(app)
    assert tracking_poll.poll_due(ctx) == {"applied": 1}
    view = client.get(f"/nodes/CHN-FC1/shipments/{s['id']}", headers=admin).get_json()
    assert view["status"] == "RTO_DELIVERED" and len(view["credit_notes"]) == 1
    [note] = client.get(f"/shipments/{s['id']}/credit-notes", headers=admin).get_json()["credit_notes"]
    assert note["invoice_number"] == invoice and note["total_paise"] == 53900 and "RTO" in note["reason"]
    assert tracking_poll.poll_due(ctx, at=now() + timedelta(days=1)) == {}, "back at origin: no longer polled"
    with engine.connect() as conn:
        n, source = conn.execute(sa.text("SELECT count(*), min(source) FROM credit_notes WHERE shipment_id = :s"),
                                 {"s": s["id"]}).one()
    assert n == 1 and source.startswith("rto:ret_")


def test_an_invoiced_shipment_cut_cancelled_or_rejected_before_dispatch_is_credited(client, keys, engine):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    s, invoice = _invoiced(client, admin, "cn-cut", qty=2)
    r = client.post(f"/orders/{s['order_id']}/cancel", headers=admin,
                    json={"reason": "customer wants one", "lines": [{"line_no": 1, "qty": 1}]})
    assert r.status_code == 200, r.get_json()
    [cut] = client.get(f"/shipments/{s['id']}/credit-notes", headers=admin).get_json()["credit_notes"]
    assert cut["items"] == [{"sku": "SKU-0001", "qty": 1}] and "customer wants one" in cut["reason"]
    assert cut["invoice_number"] == invoice
    r = client.post(f"/orders/{s['order_id']}/cancel", json={"reason": "changed their mind"}, headers=admin)
    assert r.status_code == 200 and r.get_json()["status"] == "CANCELLED", r.get_json()
    notes = client.get(f"/shipments/{s['id']}/credit-notes", headers=admin).get_json()["credit_notes"]
    assert [n["items"] for n in notes] == [[{"sku": "SKU-0001", "qty": 1}]] * 2
    assert sum(n["total_paise"] for n in notes) == 2 * 53900, "the invoice is credited in full, no more"

    rejected, invoice2 = _invoiced(client, admin, "cn-reject", qty=1)
    r = client.post(f"/shipments/{rejected['id']}/reject", json={"reason": "damaged in the rack"}, headers=admin)
    assert r.status_code == 200, r.get_json()
    [note] = client.get(f"/shipments/{rejected['id']}/credit-notes", headers=admin).get_json()["credit_notes"]
    assert note["invoice_number"] == invoice2 and note["total_paise"] == 53900
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT c.shipment_id, count(*) FROM credit_notes c JOIN invoices i ON "
                                    "i.id = c.invoice_id AND i.shipment_id = c.shipment_id GROUP BY c.shipment_id"
                                    )).all()
    assert dict((k, v) for k, v in rows) == {s["id"]: 2, rejected["id"]: 1}
