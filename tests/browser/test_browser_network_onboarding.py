"""A fresh network onboarded through the console only, in a real browser (issue 25's acceptance: "the same
through the console").

From an EMPTY store an admin adds 2 nodes, 5 SKUs, a carrier with its rate card, uploads its serviceability
and the stock, and adds a channel -- all with the console's forms. Then an order captured through the API
is planned on the new network: the node and carrier the console created, at the freight and COD fee the
API-only onboarding test (tests/api/test_network_onboarding.py, whose data and expected figures are reused
here) works out by hand from the rate card. Last, the admin edits a node: a bad PIN is shown next to the
PIN input and saves nothing, the corrected form saves the new capacity and cut-off.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from omnialloc.config import Settings
from omnialloc.store import migrate
from omnialloc.store.engine import create_engine
from tests.api.conftest import auth
from tests.api.test_network_onboarding import FUEL_BP, NODES, SKUS, STOCK, ZONES, _check_plans
from tests.browser.conftest import shot

# The serviceability the API test PUTs, as the carrier's CSV: PINs 5xxxxx and 6xxxxx, and a pickup at CHN-W1.
SERVICEABILITY = ("carrier,pin_prefix,node,pickup,sla_days_a,sla_days_b,sla_days_c,sla_days_d,sla_days_e\n"
                  "SHIP1,5,,true,1,2,3,4,6\n"
                  "SHIP1,6,,true,1,2,3,4,6\n"
                  "SHIP1,,CHN-W1,true,,,,,\n")


def _hundredths(n: int) -> str:
    """Paise as rupees, basis points as percent, as a person types them: 3000 -> '30', 1250 -> '12.5'."""
    return f"{n / 100:g}"


@pytest.fixture
def fresh_live(db_backend, empty_db_url):
    """(base_url, app, admin token) for the real app on a migrated store with no network at all."""
    if db_backend != "sqlite":
        pytest.skip("browser tests run on SQLite; tests/api covers the console's services on PostgreSQL")
    from werkzeug.serving import make_server

    from omnialloc.api import create_app
    from omnialloc.services.access import create_key
    from omnialloc.services.network import cache
    from omnialloc.store.uow import UnitOfWork

    migrate.upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    cache.invalidate()
    app = create_app(Settings(database_url=empty_db_url), engine=engine)
    with UnitOfWork(engine) as uow:
        token, _ = create_key(uow, name="onboarding-admin", role="admin")
        uow.commit()
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app, token
    finally:
        server.shutdown()
        thread.join(timeout=5)
        cache.invalidate()
        engine.dispose()


@pytest.fixture
def admin_page(browser, fresh_live):
    base, _, token = fresh_live
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/console/login")
    page.get_by_label("API key").fill(token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    yield page
    context.close()


def _fill(page, values: dict) -> None:
    for name, value in values.items():
        page.locator(f'[name="{name}"]').fill(str(value))


def _save(page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").first).to_contain_text("Added")


def _add_nodes(page) -> None:
    for node in NODES:
        page.goto("/console/network")
        page.get_by_role("link", name="Add node").click()
        _fill(page, {k: node[k] for k in ("code", "name", "pin", "daily_capacity") if k in node})
        _fill(page, {"handling_cost_paise": _hundredths(node["handling_cost_paise"]),
                     "address": node.get("address", ""), "gstin": node.get("gstin", "")})
        for capability in node.get("capabilities", []):
            page.locator(f'input[name="capabilities"][value="{capability}"]').check()
        calendar = node.get("calendar")
        if calendar:
            _fill(page, {"cutoff": calendar["cutoff"], "working_days": calendar["working_days"],
                         "holidays": ", ".join(calendar["holidays"])})
        _save(page, "Add node")


def _add_skus(page) -> None:
    for code, weight, length, width, height, price in SKUS:
        page.goto("/console/network/catalog")
        page.get_by_role("link", name="Add SKU").click()
        _fill(page, {"code": code, "name": code.title(), "category": "general", "unit_weight_g": weight,
                     "length_mm": length, "width_mm": width, "height_mm": height,
                     "unit_price_paise": _hundredths(price), "hsn_code": "6109", "gst_rate_bp": "12"})
        _save(page, "Add SKU")


def _add_carrier(page) -> None:
    page.goto("/console/network/carriers")
    expect(page.get_by_text("No carriers yet.")).to_be_visible()
    page.get_by_role("link", name="Add carrier").click()
    _fill(page, {"code": "SHIP1", "name": "Ship One", "max_weight_g": 30000, "volumetric_divisor": 5000})
    page.locator('input[name="modes"][value="express"]').check()
    for i, (first, additional, cod_fixed, cod_bp) in enumerate(ZONES.values()):
        _fill(page, {f"rate_card.{i}.{col}": value for col, value in [
            ("first_slab_paise", _hundredths(first)), ("additional_slab_paise", _hundredths(additional)),
            ("slab_g", 500), ("fuel_surcharge_bp", _hundredths(FUEL_BP)),
            ("cod_fixed_paise", _hundredths(cod_fixed)), ("cod_percent_bp", _hundredths(cod_bp))]})
    shot(page, "network-onboarding-carrier-form")
    _save(page, "Add carrier")
    expect(page.get_by_role("table", name="Rate card of SHIP1").locator("tbody tr")).to_have_count(5)
    page.set_input_files("#file", files=[{"name": "serviceability.csv", "mimeType": "text/csv",
                                          "buffer": SERVICEABILITY.encode()}])
    page.get_by_role("button", name="Upload serviceability").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").first).to_contain_text("Imported 3 serviceability row(s): 3 new")


def _add_channel_and_stock(page) -> None:
    page.goto("/console/network/channels")
    page.get_by_role("link", name="Add channel").click()
    _fill(page, {"code": "myshop", "name": "My shop", "return_window_days": 15, "return_windows": "general=7",
                 "webhook_secret": "s3cret-s3cret-s3cret"})
    _save(page, "Add channel")
    expect(page.get_by_role("cell", name="myshop", exact=True)).to_be_visible()
    page.goto("/console/inventory")
    page.set_input_files("#file", files=[{"name": "stock.csv", "mimeType": "text/csv", "buffer": STOCK.encode()}])
    page.select_option("#mode", "snapshot")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").first).to_contain_text("Imported")


def test_a_fresh_network_onboarded_in_the_console_plans_the_apis_order_on_it(admin_page, fresh_live):
    _, app, token = fresh_live
    page, api, admin = admin_page, app.test_client(), auth(token)
    assert api.get("/nodes", headers=admin).get_json()["items"] == []  # an empty store

    _add_nodes(page)
    expect(page.locator("circle.node-dot")).to_have_count(2)
    _add_skus(page)
    expect(page.locator("tbody tr")).to_have_count(5)
    _add_carrier(page)
    _add_channel_and_stock(page)

    # What the console saved is what the API onboarding saves.
    node = api.get("/nodes/CHN-W1", headers=admin).get_json()
    assert (node["handling_cost_paise"], sorted(node["capabilities"]), node["gstin"]) == (
        1500, ["accept_returns", "ship"], "33AABCU9603R1ZM")
    calendar = api.get("/nodes/BLR-W1", headers=admin).get_json()["calendar"]
    assert (calendar["cutoff"], calendar["working_days"], calendar["holidays"]) == (
        "16:30", "Mon-Fri", ["01-26", "08-15", "10-02", "2026-11-08"])  # the national holidays kept
    card = api.get("/carriers/SHIP1", headers=admin).get_json()["rate_card"]
    assert [(c["zone"], c["first_slab_paise"], c["additional_slab_paise"], c["cod_fixed_paise"], c["cod_percent_bp"])
            for c in card] == [(z, *v) for z, v in ZONES.items()]
    assert {c["fuel_surcharge_bp"] for c in card} == {FUEL_BP}
    assert {s["unit_price_paise"] for s in api.get("/skus", headers=admin).get_json()["items"]} == {s[5] for s in SKUS}

    # Orders captured through the API are planned on the new nodes and carrier at the rate card's figures.
    _check_plans(api, admin)
    order = api.get("/orders?limit=10", headers=admin).get_json()["items"]
    first = next(o for o in order if o["external_id"] == "o-1")
    page.goto(f"/console/orders/{first['id']}")
    expect(page.locator("main")).to_contain_text("CHN-W1")
    expect(page.locator("main")).to_contain_text("SHIP1")
    shot(page, "network-onboarded-order")
    page.goto("/console/network")
    shot(page, "network-onboarded-nodes")
    _edit_node(page, api, admin)


def _edit_node(page, api, admin) -> None:
    before = api.get("/nodes/CHN-W1", headers=admin).get_json()
    page.goto("/console/network")
    page.get_by_role("link", name="Edit node CHN-W1").click()
    expect(page.get_by_role("heading", name="Edit node CHN-W1")).to_be_visible()
    expect(page.locator('[name="daily_capacity"]')).to_have_value(str(before["daily_capacity"]))
    expect(page.locator('[name="handling_cost_paise"]')).to_have_value(_hundredths(before["handling_cost_paise"]))
    _fill(page, {"daily_capacity": 650, "cutoff": "15:00", "pin": "999999"})
    page.get_by_role("button", name="Save node").click()
    page.wait_for_load_state()
    pin = page.locator('[name="pin"]')
    expect(pin).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#err-pin")).to_contain_text("999999")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    shot(page, "network-edit-node-error")
    assert api.get("/nodes/CHN-W1", headers=admin).get_json() == before
    pin.fill(before["pin"])
    page.get_by_role("button", name="Save node").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").first).to_contain_text("Saved node CHN-W1.")
    after = api.get("/nodes/CHN-W1", headers=admin).get_json()
    assert (after["daily_capacity"], after["calendar"]["cutoff"], after["pin"], after["gstin"]) == (
        650, "15:00", before["pin"], before["gstin"])
    assert {k: v for k, v in after.items() if k not in ("daily_capacity", "calendar")} == {
        k: v for k, v in before.items() if k not in ("daily_capacity", "calendar")}
