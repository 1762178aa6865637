"""The work queue in a real browser (issue 26): a node user pages the queue (true counts, breaches first and
highlighted), bulk-accepts 30 shipments, prints their labels as one PDF (read back with pypdf, every AWB
decoded from its Code 128 with zxing-cpp), packs them by scanning (AWBs and a product barcode) and ships them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pypdf
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.api.conftest import auth, order_body
from tests.api.test_fulfilment_documents import barcodes
from tests.browser.conftest import shot

ORDERS = 60


def _setup(app, keys, engine) -> list[dict]:
    client, admin = app.test_client(), auth(keys["admin"])
    for carrier in ("XPR", "ECO", "PRP", "HLX"):
        assert client.put(f"/carriers/{carrier}/booking", json={"kind": "series"}, headers=admin).status_code == 200
        r = client.post(f"/carriers/{carrier}/awb-ranges", headers=admin,
                        json={"first": 1, "last": 9999, "width": 7, "prefix": f"{carrier}B", "check": "mod7"})
        assert r.status_code == 201, r.json
    assert client.put("/skus/SKU-0001/box", json={"length_mm": 300, "width_mm": 250, "height_mm": 40,
                                                  "box_weight_g": 60}, headers=admin).status_code == 200
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE skus SET barcodes = '[\"8901234567897\"]' WHERE code = 'SKU-0001'"))
    shipments = []
    for i in range(ORDERS):
        r = client.post("/orders", json=order_body(f"wq-{i:03d}"), headers=admin)
        assert r.status_code == 201, r.json
        [s] = r.json["shipments"]
        assert s["node"] == "CHN-FC1"
        shipments.append(s)
    # Three orders promised long ago: their dispatch-by deadline has passed.
    from omnialloc.store.tables.orders import orders
    from omnialloc.store.tables.shipments import shipments as shipment_table

    late = [s["order_id"] for s in shipments[-3:]]
    past = datetime.now(UTC) - timedelta(days=10)
    with engine.begin() as conn:
        conn.execute(orders.update().where(orders.c.id.in_(late)).values(created_at=past, promised_days=3))
        ship_by = shipment_table.c.get("ship_by")
        if ship_by is not None:  # the delivery promise's own deadline, when it set one
            conn.execute(shipment_table.update().where(shipment_table.c.order_id.in_(late))
                         .values(ship_by=past + timedelta(days=1)))
    return shipments


def _counts(page) -> str:
    return page.get_by_role("list", name="Open shipments by status").inner_text()


def test_a_node_user_pages_bulk_accepts_prints_packs_by_scanning_and_ships(open_as, keys, live, clean_engine,
                                                                         tmp_path):
    _, app = live
    shipments = _setup(app, keys, clean_engine)
    late_ids = {s["id"] for s in shipments[-3:]}
    node = open_as(keys["node_chn"])
    node.goto("/console/queue")
    expect(node.get_by_role("heading", level=1)).to_contain_text("CHN-FC1")
    expect(node.get_by_role("list", name="Open shipments by status")).to_contain_text(f"All open {ORDERS}")
    expect(node.get_by_role("list", name="Open shipments by status")).to_contain_text("Breached 3")
    expect(node.get_by_role("heading", name="Shipments")).to_contain_text(f"{ORDERS}")
    expect(node.get_by_role("navigation", name="Pages")).to_contain_text("Page 1 of 3")
    rows = node.locator("table.queue tbody tr")
    expect(rows).to_have_count(25)
    # Earliest dispatch-by first: the breached shipments lead, highlighted.
    for i in range(3):
        expect(rows.nth(i)).to_have_class("breach")
        assert rows.nth(i).get_attribute("id")[2:] in late_ids
    expect(rows.nth(3)).not_to_have_class("breach")
    shot(node, "work-queue-page-1")
    node.get_by_role("link", name="Next page").click()
    expect(node.get_by_role("navigation", name="Pages")).to_contain_text("Page 2 of 3")
    node.get_by_role("link", name="Next page").click()
    expect(node.get_by_role("navigation", name="Pages")).to_contain_text("Page 3 of 3")
    expect(rows).to_have_count(ORDERS - 50)
    node.get_by_label("SLA").select_option("breached")
    node.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(3)

    # Bulk-accept 30: 50 a page, tick the first 30.
    node.goto("/console/queue?per=50")
    expect(rows).to_have_count(50)
    chosen = [rows.nth(i).get_attribute("id")[2:] for i in range(30)]
    for sid in chosen:
        node.get_by_label(f"Select {sid}").check()
    node.get_by_role("button", name="Bulk accept").click()
    expect(node.locator(".flash.ok")).to_contain_text("Accepted 30 shipment(s)")
    expect(node.get_by_role("list", name="Open shipments by status")).to_contain_text("To pack 30")
    expect(node.get_by_role("list", name="Open shipments by status")).to_contain_text(f"To accept {ORDERS - 30}")

    # Print their labels: one PDF, one 4 x 6 label per shipment, each with its booked AWB as Code 128.
    node.get_by_label("Status", exact=True).select_option("ACCEPTED")
    node.get_by_label("Per page").select_option("50")
    node.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(30)
    node.get_by_label("Select all on this page").check()
    with node.expect_download() as download:
        node.get_by_role("button", name="Print labels").click()
    pdf_path = tmp_path / "labels.pdf"
    download.value.save_as(pdf_path)
    pdf = pdf_path.read_bytes()
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 30
    client, admin = app.test_client(), auth(keys["admin"])
    awbs = {sid: client.get(f"/nodes/CHN-FC1/shipments/{sid}", headers=admin).json["awb"] for sid in chosen}
    assert all(awbs.values()) and len(set(awbs.values())) == 30
    printed = [barcodes(pdf, page=i, dpi=200) for i in range(30)]
    assert sorted(codes[0] for codes in printed) == sorted(awbs.values())
    node.reload()
    expect(rows.first).to_contain_text(next(iter(awbs.values()))[:4])

    # Pack by scanning: the label's AWB for 29 of them, the product's barcode for the last one.
    scan = node.get_by_label("Scan label or barcode")
    for sid in chosen[:29]:
        scan.fill(awbs[sid])
        scan.press("Enter")
        expect(node.locator(".flash.ok")).to_contain_text(f"Shipment {sid} packed")
    scan = node.get_by_label("Scan label or barcode")
    scan.fill("8901234567897")
    scan.press("Enter")
    expect(node.locator(".flash.ok")).to_contain_text(f"Shipment {chosen[29]} packed")
    expect(node.get_by_role("list", name="Open shipments by status")).to_contain_text("To ship 30")
    scan = node.get_by_label("Scan label or barcode")
    scan.fill("NO-SUCH-CODE")
    scan.press("Enter")
    expect(node.locator(".flash.error")).to_contain_text("no product has this barcode")
    shot(node, "work-queue-packed")

    # Ship them all from the "To ship" tab.
    node.get_by_role("link", name="To ship 30").click()
    node.get_by_label("Per page").select_option("50")
    node.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(30)
    node.get_by_label("Select all on this page").check()
    node.get_by_role("button", name="Bulk ship").click()
    expect(node.locator(".flash.ok")).to_contain_text("Shipped 30 shipment(s)")
    expect(node.get_by_role("heading", name="Today's manifest")).to_contain_text("30")
    expect(node.get_by_role("list", name="Open shipments by status")).to_contain_text(f"All open {ORDERS - 30}")
    shot(node, "work-queue-shipped")
    for sid in chosen:
        view = client.get(f"/nodes/CHN-FC1/shipments/{sid}", headers=admin).json
        assert view["status"] == "SHIPPED" and view["awb"] == awbs[sid]
