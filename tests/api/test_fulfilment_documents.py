"""The shipping node's view and its documents over the API (issue 26): who sees what (role matrix), labels,
invoices, packing slips and merged PDFs read back with pypdf and their barcodes decoded with zxing-cpp."""

from __future__ import annotations

import io
import re

import pypdf
import pypdfium2
import sqlalchemy as sa
import zxingcpp

from tests.api.conftest import auth, order_body



def _gstin(state_code: str, body: str = "AAPFU0939F1Z") -> str:
    """A GSTIN with its Luhn mod 36 check character, written here from the published algorithm."""
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    base = state_code + body
    total = 0
    for i, ch in enumerate(base):
        v = chars.index(ch) * (2 if i % 2 else 1)
        total += v // 36 + v % 36
    return base + chars[(36 - total % 36) % 36]


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def pdf_pages(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def barcodes(pdf: bytes, page: int = 0, dpi: int = 300) -> list[str]:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        image = doc[page].render(scale=dpi / 72).to_pil()
    finally:
        doc.close()
    return [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)]


def setup_node(client, admin, engine, node="CHN-FC1", state_code="33", prefix="CHN1"):
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE nodes SET gstin = :g WHERE code = :c"), {"g": _gstin(state_code), "c": node})
        conn.execute(sa.text("UPDATE skus SET hsn_code = '6109', gst_rate_bp = 500, barcodes = :b "
                             "WHERE code = 'SKU-0001'"), {"b": '["8901234567897"]'})
    r = client.put(f"/nodes/{node}/seller", json={"legal_name": "Omni Retail Pvt Ltd", "invoice_prefix": prefix,
                                                   "phone": "+91 44 4000 0000"}, headers=admin)
    assert r.status_code == 200, r.get_json()


def series_carrier(client, admin, carrier: str):
    """Book ``carrier`` from an uploaded S10 range."""
    assert client.put(f"/carriers/{carrier}/booking", json={"kind": "series"}, headers=admin).status_code == 200
    r = client.post(f"/carriers/{carrier}/awb-ranges", json={"first": 1, "last": 5000, "width": 8, "prefix": "T" + carrier[:2],
                                                              "suffix": "IN", "check": "s10"}, headers=admin)
    assert r.status_code == 201, r.get_json()


def shipment_at(client, admin, external_id, node="CHN-FC1", *, pin="600002", payment_mode="PREPAID", qty=1):
    r = client.post("/orders", json=order_body(external_id, pin=pin, payment_mode=payment_mode,
                                               lines=[{"sku": "SKU-0001", "qty": qty}]), headers=admin)
    assert r.status_code == 201, r.get_json()
    [s] = [s for s in r.get_json()["shipments"] if s["status"] == "ALLOCATED"]
    assert s["node"] == node, "the demo network ships Chennai orders from Chennai"
    return s


def test_only_the_shipping_node_sees_the_address_and_cod(client, keys, engine):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine)
    s = shipment_at(client, admin, "view-1", payment_mode="COD", qty=2)
    url = f"/nodes/CHN-FC1/shipments/{s['id']}"

    r = client.get(url, headers=auth(keys["node_chn"]))
    assert r.status_code == 200, r.get_json()
    view = r.get_json()
    assert view["ship_to"] == {"name": "Asha Raman", "line1": "12 Anna Salai", "line2": "", "city": "Chennai",
                               "state": view["ship_to"]["state"], "pin": "600002", "phone": "+919800000001"}
    assert view["cod_paise"] == 2 * 53900 and view["payment_mode"] == "COD"
    assert view["items"] == [{"sku": "SKU-0001", "name": "Cotton Crew T-Shirt - Black S", "qty": 2,
                              "barcode": "8901234567897", "barcodes": ["8901234567897"]}]
    assert view["carrier"] == s["carrier"] and view["service"]
    assert "asha@example.com" not in r.get_data(as_text=True), "no customer data beyond shipping needs"

    # Role matrix: admin reads it; another node, or the right node under a wrong path, is 404; roles
    # that do not ship are 403.
    assert client.get(url, headers=admin).status_code == 200
    assert client.get(url, headers=auth(keys["node_mum"])).status_code == 404
    assert client.get(f"/nodes/MUM-FC1/shipments/{s['id']}", headers=auth(keys["node_mum"])).status_code == 404
    assert client.get(f"/nodes/MUM-FC1/shipments/{s['id']}", headers=admin).status_code == 404
    for role in ("channel", "analyst", "carrier_xpr"):
        assert client.get(url, headers=auth(keys[role])).status_code == 403, role
    assert client.get(url).status_code == 401
    for doc in ("label.pdf", "invoice.pdf", "packing-slip.pdf"):
        assert client.get(f"/shipments/{s['id']}/{doc}", headers=auth(keys["node_mum"])).status_code == 404
        assert client.get(f"/shipments/{s['id']}/{doc}", headers=auth(keys["channel"])).status_code == 403


def test_label_carries_the_booked_awb_as_code128_in_both_sizes(client, keys, engine):
    admin, node = auth(keys["admin"]), auth(keys["node_chn"])
    setup_node(client, admin, engine)
    s = shipment_at(client, admin, "label-1", payment_mode="COD")
    series_carrier(client, admin, s["carrier"])
    # Not accepted yet: nothing to print; accepted but not booked: the label says why it cannot print.
    assert client.get(f"/shipments/{s['id']}/label.pdf", headers=node).status_code == 409
    assert client.post(f"/shipments/{s['id']}/accept", headers=node).status_code == 200
    r = client.get(f"/shipments/{s['id']}/label.pdf", headers=node)
    assert r.status_code == 409 and "no AWB" in r.get_json()["detail"]

    booked = client.post(f"/shipments/{s['id']}/book", headers=node).get_json()
    awb = booked["awb"]
    assert booked["booking"]["status"] == "booked" and re.fullmatch(r"T[A-Z]{2}\d{9}IN", awb)
    r = client.get(f"/shipments/{s['id']}/label.pdf", headers=node)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    assert "Asha Raman" in text and "600002" in text and "label-1" in text
    assert "COD" in text and "539.00" in text
    assert awb in barcodes(r.data)
    a4 = client.get(f"/shipments/{s['id']}/label.pdf?size=a4", headers=node)
    assert a4.status_code == 200 and awb in barcodes(a4.data, dpi=300)
    assert client.get(f"/shipments/{s['id']}/label.pdf?size=a5", headers=node).status_code == 422


def test_invoice_numbers_are_taken_once_per_shipment_and_in_order(client, keys, engine):
    admin, node = auth(keys["admin"]), auth(keys["node_chn"])
    setup_node(client, admin, engine)
    first = shipment_at(client, admin, "inv-1")
    second = shipment_at(client, admin, "inv-2")
    for s in (first, second):
        client.post(f"/shipments/{s['id']}/accept", headers=node)
    r1 = client.get(f"/shipments/{first['id']}/invoice.pdf", headers=node)
    assert r1.status_code == 200, r1.get_json()
    text = pdf_text(r1.data)
    fy = re.search(r"CHN1/(\d{4})/00001", text)
    assert fy, text[:400]
    # Intra-state (a Tamil Nadu GSTIN shipping to Chennai): CGST + SGST at 2.5 % each on a Rs 539 inclusive
    # price: 53900 x 250 / 10500 = 1283.33 -> Rs 12.83 each; taxable 539.00 - 25.66 = 513.34.
    assert "CGST" in text and "IGST" not in text.replace("IGST Act", "")
    assert "12.83" in text and "513.34" in text and "GSTIN" in text
    # Reprinting is the same document with the same number; the next shipment takes the next number.
    assert client.get(f"/shipments/{first['id']}/invoice.pdf", headers=node).data == r1.data
    r2 = client.get(f"/shipments/{second['id']}/invoice.pdf", headers=admin)
    assert f"CHN1/{fy.group(1)}/00002" in pdf_text(r2.data)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT shipment_id, serial FROM invoices ORDER BY serial")).all()
    assert [tuple(r) for r in rows] == [(first["id"], 1), (second["id"], 2)]
    view = client.get(f"/nodes/CHN-FC1/shipments/{first['id']}", headers=node).get_json()
    assert view["invoice_number"] == f"CHN1/{fy.group(1)}/00001"


def test_an_invoice_needs_the_sellers_facts_and_says_which_are_missing(client, keys):
    admin = auth(keys["admin"])
    s = shipment_at(client, admin, "inv-missing")
    client.post(f"/shipments/{s['id']}/accept", headers=admin)
    r = client.get(f"/shipments/{s['id']}/invoice.pdf", headers=admin)
    assert r.status_code == 409
    detail = r.get_json()["detail"]
    assert "seller name" in detail and "GSTIN" in detail and "HSN" in detail


def test_inter_state_invoice_is_igst(client, keys, engine):
    admin = auth(keys["admin"])
    setup_node(client, admin, engine, state_code="29")   # registered in Karnataka, shipping to Chennai
    s = shipment_at(client, admin, "inv-igst")
    client.post(f"/shipments/{s['id']}/accept", headers=admin)
    text = pdf_text(client.get(f"/shipments/{s['id']}/invoice.pdf", headers=admin).data)
    # IGST 5 % inside Rs 539: 53900 x 500 / 10500 = 2566.67 -> Rs 25.67; taxable 513.33.
    assert "IGST" in text and "25.67" in text and "513.33" in text


def test_packing_slip_and_a_merged_pdf_of_many_shipments(client, keys, engine):
    admin, node = auth(keys["admin"]), auth(keys["node_chn"])
    setup_node(client, admin, engine)
    ships = [shipment_at(client, admin, f"bulk-{i}") for i in range(3)]
    series_carrier(client, admin, ships[0]["carrier"])
    awbs = []
    for s in ships:
        client.post(f"/shipments/{s['id']}/accept", headers=node)
        awbs.append(client.post(f"/shipments/{s['id']}/book", headers=node).get_json()["awb"])
    slip = client.get(f"/shipments/{ships[0]['id']}/packing-slip.pdf", headers=node)
    assert slip.status_code == 200
    assert "Cotton Crew T-Shirt" in pdf_text(slip.data) and "8901234567897" in barcodes(slip.data)

    r = client.post("/shipments/documents.pdf", json={"shipment_ids": [s["id"] for s in ships]}, headers=node)
    assert r.status_code == 200 and pdf_pages(r.data) == 3
    assert [barcodes(r.data, page=i)[0] for i in range(3)] == awbs
    r = client.post("/shipments/documents.pdf", json={"shipment_ids": [s["id"] for s in ships],
                                                      "documents": ["label", "invoice", "packing_slip"]}, headers=node)
    assert r.status_code == 200 and pdf_pages(r.data) >= 9
    r = client.post("/shipments/documents.pdf", json={"shipment_ids": [s["id"] for s in ships], "size": "a4"},
                    headers=node)
    assert r.status_code == 200 and pdf_pages(r.data) == 1 and sorted(barcodes(r.data)) == sorted(awbs)
    # One shipment of another node in the list: nothing is printed (404), as for any scope miss.
    r = client.post("/shipments/documents.pdf", json={"shipment_ids": [ships[0]["id"]]},
                    headers=auth(keys["node_mum"]))
    assert r.status_code == 404
    assert client.post("/shipments/documents.pdf", json={"shipment_ids": []}, headers=node).status_code == 422
