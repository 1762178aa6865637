"""The network screens in a real browser (issue 25): nodes on the map, catalog search, the carriers' rate card
grids and a serviceability upload that is refused row by row, checked in a dry run, then imported; channels.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.api.conftest import auth
from tests.browser.conftest import shot

BAD = ("carrier,pin_prefix,node,cod\n"
       "XPR,11,,true\n"
       "XPR,,GHOST,true\n"      # line 3: unknown node
       "XPR,0123,,true\n"       # line 4: bad prefix
       "XPR,12,,perhaps\n")     # line 5: not a boolean
GOOD = "carrier,pin_prefix,cod\nXPR,793001,false\nXPR,794001,false\n"


def _upload(page, text: str, *, dry_run: bool = False) -> None:
    page.set_input_files("#file", files=[{"name": "serviceability.csv", "mimeType": "text/csv",
                                          "buffer": text.encode()}])
    if dry_run:
        page.get_by_label("Check only (dry run)").check()
    page.get_by_role("button", name="Upload serviceability").click()
    page.wait_for_load_state()


def test_an_admin_reads_the_network_and_uploads_serviceability_with_its_report(open_as, keys, live):
    _, app = live
    page = open_as(keys["admin"])
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Network").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Network")
    nodes = app.test_client().get("/nodes?limit=100", headers=auth(keys["admin"])).get_json()["items"]
    expect(page.locator("circle.node-dot")).to_have_count(len(nodes))
    expect(page.get_by_role("cell", name="CHN-FC1", exact=True)).to_be_visible()
    shot(page, "network-nodes")

    page.get_by_role("link", name="Catalog").click()
    page.get_by_label("Search SKUs").fill("SKU-0024")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("cell", name="SKU-0024", exact=True)).to_be_visible()

    page.get_by_role("link", name="Carriers").click()
    grid = page.get_by_role("table", name="Rate card of XPR")
    expect(grid.locator("tbody tr")).to_have_count(5)
    before = app.test_client().get("/network/exports/serviceability", headers=auth(keys["admin"])).get_data()

    _upload(page, BAD)
    errors = page.locator("table.errors tbody tr")
    expect(errors).to_have_count(3)
    expect(errors.nth(0)).to_contain_text("GHOST")
    expect(errors.nth(1)).to_contain_text("0123")
    expect(errors.nth(2)).to_contain_text("perhaps")
    assert [errors.nth(i).locator("td").first.inner_text() for i in range(3)] == ["3", "4", "5"]
    shot(page, "network-serviceability-refused")

    _upload(page, GOOD, dry_run=True)
    expect(page.get_by_role("status").first).to_contain_text("Checked 2 serviceability row(s): 2 new")
    after_dry = app.test_client().get("/network/exports/serviceability", headers=auth(keys["admin"])).get_data()
    assert after_dry == before  # refused and dry-run uploads changed nothing

    _upload(page, GOOD)
    expect(page.get_by_role("status").first).to_contain_text("Imported 2 serviceability row(s): 2 new")
    rows = app.test_client().get("/carriers/XPR/serviceability?pin_prefix=79", headers=auth(keys["admin"])).get_json()
    assert [(r["pin_prefix"], r["cod"]) for r in rows["items"] if len(r["pin_prefix"]) == 6] == [
        ("793001", False), ("794001", False)]

    page.get_by_role("link", name="Channels").click()
    expect(page.get_by_role("cell", name="web", exact=True)).to_be_visible()
    shot(page, "network-channels")


def test_an_analyst_reads_the_network_but_cannot_upload(open_as, keys):
    page = open_as(keys["analyst"])
    page.goto("/console/network/carriers")
    expect(page.get_by_role("table", name="Rate card of ECO")).to_be_visible()
    expect(page.get_by_role("button", name="Upload serviceability")).to_have_count(0)
    page = open_as(keys["node_chn"])
    page.goto("/console/network")
    expect(page.get_by_role("heading", level=1)).to_contain_text("403")
