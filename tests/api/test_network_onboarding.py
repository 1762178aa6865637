"""Bring your own network (issue 25): a fresh store onboarded through the API only, then through
``omnialloc network import``; orders get plans whose freight matches the uploaded rate card.

The expected freight is computed here from the rate card this test uploads, with the carrier's published
arithmetic written out (billed weight = max(actual, ceil(volume / divisor)); slabs = ceil(billed / slab);
each slab price plus the fuel surcharge, half up to the paisa; COD fee = max(fixed, value x bp)), not with
the code under test.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnialloc.config import Settings
from omnialloc.store import migrate
from omnialloc.store.engine import create_engine
from tests.api.conftest import auth, order_body

FUEL_BP = 1250  # 12.5 %
ZONES = {  # zone: (first slab, additional slab, COD fixed, COD bp), paise; 500 g slabs
    "A": (3000, 2500, 3000, 150),
    "B": (3600, 3000, 3000, 150),
    "C": (4200, 3600, 3500, 175),
    "D": (4800, 4100, 3500, 175),
    "E": (6500, 5500, 4000, 200),
}
NODES = [
    {"code": "CHN-W1", "name": "Chennai warehouse", "kind": "warehouse", "pin": "600058",
     "address": "Ambattur", "handling_cost_paise": 1500, "daily_capacity": 500,
     "capabilities": ["ship", "accept_returns"], "gstin": "33AABCU9603R1ZM"},
    {"code": "BLR-W1", "name": "Bengaluru warehouse", "kind": "warehouse", "pin": "560099",
     "handling_cost_paise": 1200, "daily_capacity": 400,
     "calendar": {"cutoff": "16:30", "working_days": "Mon-Fri", "holidays": ["2026-11-08"]}},
]
# BLR-W1's calendar as read back, the same through the API and node_calendars.csv: the seller's holiday and
# the national ones, which both keep.
BLR_CALENDAR = {"timezone": "Asia/Kolkata", "cutoff": "16:30", "working_days": "Mon-Fri",
                "holidays": ["01-26", "08-15", "10-02", "2026-11-08"], "pickup_days": {}}
SKUS = [  # code, weight g, L, W, H mm, price paise
    ("TEE-1", 700, 300, 200, 50, 49900),
    ("MUG-1", 450, 120, 120, 110, 29900),
    ("LAMP-1", 1200, 600, 400, 300, 249900),   # bulky: volumetric 14,400 g beats 1,200 g
    ("BOOK-1", 350, 240, 160, 30, 39900),
    ("BAG-1", 900, 450, 300, 150, 159900),
]
STOCK = "node,sku,qty\nCHN-W1,TEE-1,20\nBLR-W1,TEE-1,20\nCHN-W1,MUG-1,5\nBLR-W1,LAMP-1,3\nCHN-W1,BOOK-1,9\nBLR-W1,BAG-1,4\n"


def _rate_card() -> list[dict]:
    return [{"zone": z, "first_slab_paise": f, "additional_slab_paise": a, "slab_g": 500, "cod_fixed_paise": cf,
             "cod_percent_bp": bp, "fuel_surcharge_bp": FUEL_BP} for z, (f, a, cf, bp) in ZONES.items()]


def _expected_freight(zone: str, lines: list[tuple[str, int]]) -> int:
    by_code = {s[0]: s for s in SKUS}
    actual = sum(by_code[c][1] * q for c, q in lines)
    volume = sum(by_code[c][2] * by_code[c][3] * by_code[c][4] * q for c, q in lines)
    billed = max(actual, math.ceil(volume / 5000))
    slabs = max(1, math.ceil(billed / 500))
    first, additional = ZONES[zone][:2]
    with_fuel = [(p * (10000 + FUEL_BP) + 5000) // 10000 for p in (first, additional)]
    return with_fuel[0] + (slabs - 1) * with_fuel[1]


def _expected_cod(zone: str, value: int) -> int:
    fixed, bp = ZONES[zone][2:]
    return max(fixed, (value * bp + 5000) // 10000)


@pytest.fixture
def fresh(empty_db_url):
    """An app on a migrated store with no network at all, and an admin key."""
    from omnialloc.api import create_app
    from omnialloc.services.access import create_key
    from omnialloc.services.network import cache
    from omnialloc.store.uow import UnitOfWork

    migrate.upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    cache.invalidate()
    app = create_app(Settings(database_url=empty_db_url), engine=engine)
    app.config["TESTING"] = True
    tokens = {}
    with UnitOfWork(engine) as uow:
        for role in ("admin", "analyst"):
            tokens[role], _ = create_key(uow, name=f"t-{role}", role=role)
        uow.commit()
    yield app, app.test_client(), tokens, engine
    cache.invalidate()
    engine.dispose()


def _onboard_by_api(client, admin) -> None:
    for node in NODES:
        r = client.post("/nodes", json=node, headers=admin)
        assert r.status_code == 201, r.get_json()
    for code, w, ln, wd, h, price in SKUS:
        r = client.post("/skus", json={"code": code, "name": code.title(), "category": "general", "unit_weight_g": w,
                                       "length_mm": ln, "width_mm": wd, "height_mm": h, "unit_price_paise": price,
                                       "hsn_code": "6109", "gst_rate_bp": 1200}, headers=admin)
        assert r.status_code == 201, r.get_json()
    r = client.post("/carriers", json={"code": "SHIP1", "name": "Ship One", "modes": ["surface", "express"],
                                       "max_weight_g": 30000, "volumetric_divisor": 5000,
                                       "rate_card": _rate_card()}, headers=admin)
    assert r.status_code == 201, r.get_json()
    rows = [{"pin_prefix": p, "sla_days_a": 1, "sla_days_b": 2, "sla_days_c": 3, "sla_days_d": 4, "sla_days_e": 6}
            for p in ("5", "6")] + [{"node": "CHN-W1", "pickup": True}]
    r = client.put("/carriers/SHIP1/serviceability", json={"rows": rows}, headers=admin)
    assert r.status_code == 200 and r.get_json()["rows"] == 3, r.get_json()
    r = client.post("/channels", json={"code": "myshop", "name": "My shop", "kind": "webshop",
                                       "return_window_days": 15, "return_windows": {"general": 7},
                                       "webhook_secret": "s3cret-s3cret-s3cret"}, headers=admin)
    assert r.status_code == 201, r.get_json()
    r = client.post("/inventory/imports?mode=snapshot", data=STOCK, headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.get_json()


def _order(client, admin, ext: str, pin: str, lines: list[tuple[str, int]], **extra) -> dict:
    body = order_body(ext, pin=pin, channel="myshop", lines=[{"sku": c, "qty": q} for c, q in lines], **extra)
    r = client.post("/orders", json=body, headers=admin)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _check_plans(client, admin) -> None:
    # Chennai customer: the Chennai node, zone A (same city); the freight is the uploaded card's.
    lines = [("TEE-1", 2), ("MUG-1", 1)]
    order = _order(client, admin, "o-1", "600002", lines)
    assert order["status"] == "ALLOCATED"
    [ship] = order["shipments"]
    assert (ship["node"], ship["carrier"]) == ("CHN-W1", "SHIP1")
    assert ship["cost_breakdown"]["zone"] == "A"
    assert ship["cost_breakdown"]["shipping"] == _expected_freight("A", lines)
    assert ship["cost_breakdown"]["handling"] == 1500

    # A bulky lamp only Bengaluru holds, cash on delivery to Mysuru: same state (zone B), volumetric weight.
    lines = [("LAMP-1", 1)]
    order = _order(client, admin, "o-2", "570001", lines, payment_mode="COD")
    [ship] = order["shipments"]
    assert ship["node"] == "BLR-W1"
    assert ship["cost_breakdown"]["zone"] == "B"
    # by hand: 600x400x300 mm / 5000 = 14,400 g billed -> 29 slabs; 3600 and 3000 paise + 12.5% = 4050 and 3375
    assert _expected_freight("B", lines) == 4050 + 28 * 3375
    assert ship["cost_breakdown"]["shipping"] == _expected_freight("B", lines)
    assert ship["cost_breakdown"]["cod"] == _expected_cod("B", 249900)


def test_a_fresh_network_onboarded_through_the_api_plans_orders_at_the_uploaded_rates(fresh):
    app, client, tokens, engine = fresh
    admin = auth(tokens["admin"])
    assert client.get("/nodes", headers=admin).get_json()["items"] == []
    _onboard_by_api(client, admin)

    node = client.get("/nodes/CHN-W1", headers=admin).get_json()
    assert node["city"] and 12.5 < node["lat"] < 13.5 and 79.8 < node["lon"] < 80.5  # placed from its PIN
    calendar = client.get("/nodes/BLR-W1", headers=admin).get_json()["calendar"]
    assert (calendar["cutoff"], calendar["working_days"], calendar["timezone"]) == ("16:30", "Mon-Fri", "Asia/Kolkata")
    assert calendar == BLR_CALENDAR
    assert client.get("/nodes/CHN-W1", headers=admin).get_json()["calendar"]["cutoff"] == "14:00"  # the default
    channel = client.get("/channels/myshop", headers=admin)
    assert channel.get_json()["webhook_secret_set"] is True
    assert "s3cret" not in channel.get_data(as_text=True)  # write-only
    assert channel.get_json()["return_windows"] == {"general": 7}
    card = client.get("/carriers/SHIP1", headers=auth(tokens["analyst"])).get_json()["rate_card"]
    assert [c["zone"] for c in card] == list("ABCDE") and {c["fuel_surcharge_bp"] for c in card} == {FUEL_BP}

    _check_plans(client, admin)

    # A deactivated node gets no new allocation: the next Chennai order goes to Bengaluru.
    r = client.patch("/nodes/CHN-W1", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.get_json()["active"] is False
    order = _order(client, admin, "o-3", "600002", [("TEE-1", 1)])
    assert [s["node"] for s in order["shipments"]] == ["BLR-W1"]
    # It still has a live shipment (o-1): it cannot be removed.
    r = client.delete("/nodes/CHN-W1", headers=admin)
    assert r.status_code == 409 and "live shipment" in r.get_json()["detail"]


def test_the_same_network_through_network_import_plans_the_same(fresh, tmp_path, monkeypatch):
    from omnialloc.cli import main
    from omnialloc.services.context import Context

    app, client, tokens, engine = fresh
    admin = auth(tokens["admin"])
    _write_files(tmp_path)
    monkeypatch.setattr("omnialloc.cli.network.default_context",
                        lambda: Context(engine=engine, settings=app.extensions["omnialloc"]["settings"]))
    dry = CliRunner().invoke(main, ["network", "import", str(tmp_path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert client.get("/skus", headers=admin).get_json()["items"] == []  # a dry run writes nothing
    result = CliRunner().invoke(main, ["network", "import", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert '"skus": 5' in result.output
    assert client.get("/nodes/BLR-W1", headers=admin).get_json()["calendar"] == BLR_CALENDAR
    r = client.post("/channels", json={"code": "myshop", "name": "My shop", "kind": "webshop"}, headers=admin)
    assert r.status_code == 201
    r = client.post("/inventory/imports?mode=snapshot", data=STOCK, headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.get_json()
    _check_plans(client, admin)


def _write_files(folder: Path) -> None:
    def write(name: str, header: list[str], rows: list[list]) -> None:
        with (folder / f"{name}.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)

    write("nodes", ["code", "name", "kind", "pin", "address", "handling_cost_paise", "daily_capacity"],
          [[n["code"], n["name"], n["kind"], n["pin"], n.get("address", ""), n["handling_cost_paise"],
            n["daily_capacity"]] for n in NODES])
    write("skus", ["code", "name", "category", "unit_weight_g", "length_mm", "width_mm", "height_mm",
                   "unit_price_paise"], [[c, c.title(), "general", w, ln, wd, h, p] for c, w, ln, wd, h, p in SKUS])
    write("carriers", ["code", "name", "modes", "max_weight_g", "volumetric_divisor"],
          [["SHIP1", "Ship One", "surface|express", 30000, 5000]])
    write("rate_cards", ["carrier", "zone", "first_slab_paise", "additional_slab_paise", "slab_g", "cod_fixed_paise",
                         "cod_percent_bp", "fuel_surcharge_bp"],
          [["SHIP1", z, f, a, 500, cf, bp, FUEL_BP] for z, (f, a, cf, bp) in ZONES.items()])
    write("serviceability", ["carrier", "pin_prefix", "node", "sla_days_a", "sla_days_b", "sla_days_c", "sla_days_d",
                             "sla_days_e"],
          [["SHIP1", "5", "", 1, 2, 3, 4, 6], ["SHIP1", "6", "", 1, 2, 3, 4, 6], ["SHIP1", "", "CHN-W1", 1, 2, 3, 4, 6]])
    calendar = NODES[1]["calendar"]
    write("node_calendars", ["node", "timezone", "cutoff", "working_days", "holidays", "pickup_days"],
          [["BLR-W1", "Asia/Kolkata", calendar["cutoff"], calendar["working_days"], "|".join(calendar["holidays"]), ""]])


# ------------------------------------------------------------------ validation: clear 422s that change nothing
def test_bad_input_is_a_clear_422_and_changes_nothing(fresh):
    app, client, tokens, engine = fresh
    admin = auth(tokens["admin"])
    _onboard_by_api(client, admin)

    def refused(method, url, body, field_part, status=422):
        r = getattr(client, method)(url, json=body, headers=admin)
        assert r.status_code == status, (url, r.get_json())
        problem = r.get_json()
        fields = " ".join(e["field"] + " " + e["message"] for e in problem.get("errors", []))
        assert field_part in fields or field_part in problem["detail"], problem
        return problem

    refused("post", "/nodes", {**NODES[1], "code": "X1", "pin": "012345"}, "pin")       # malformed PIN
    refused("post", "/nodes", {**NODES[1], "code": "X1", "pin": "999999"}, "pin")       # not in the directory
    refused("post", "/nodes", {**NODES[1], "code": "X1", "gstin": "NOT-A-GSTIN"}, "gstin")
    refused("post", "/nodes", {**NODES[1], "code": "X1", "calendar": {"cutoff": "25:99"}}, "calendar")
    refused("patch", "/nodes/BLR-W1", {"calendar": {"timezone": "Mars/Olympus"}}, "calendar")
    refused("post", "/skus", {"code": "NEG", "name": "n", "category": "c", "unit_weight_g": -5, "length_mm": 1,
                              "width_mm": 1, "height_mm": 1, "unit_price_paise": 1}, "unit_weight_g")
    refused("post", "/skus", {"code": "EAN", "name": "n", "category": "c", "unit_weight_g": 5, "length_mm": 1,
                              "width_mm": 1, "height_mm": 1, "unit_price_paise": 1, "barcodes": ["4006381333932"]},
            "check digit")
    card = _rate_card()
    refused("put", "/carriers/SHIP1/rate-card", {"zones": card[:4]}, "lacks zone(s) E")
    refused("put", "/carriers/SHIP1/rate-card", {"zones": card + [card[0]]}, "more than once")
    refused("put", "/carriers/SHIP1/rate-card", {"zones": [{**card[0], "slab_g": 0}] + card[1:]}, "slab_g")
    refused("put", "/carriers/SHIP1/serviceability", {"rows": [{"node": "NOPE"}]}, "node NOPE")
    refused("post", "/channels", {"code": "c2", "name": "c", "kind": "webshop", "feeding_nodes": ["NOPE"]},
            "feeding_nodes")
    # A repeat within one request is that request's 422 (above: a zone twice; here a barcode, a PIN prefix);
    # a code the store holds already is a 409 naming `code` (test_a_taken_code_is_a_409_naming_code).
    refused("post", "/skus", {"code": "TWICE", "name": "n", "category": "c", "unit_weight_g": 5, "length_mm": 1,
                              "width_mm": 1, "height_mm": 1, "unit_price_paise": 1,
                              "barcodes": ["4006381333931", "4006381333931"]}, "listed twice")
    refused("put", "/carriers/SHIP1/serviceability", {"rows": [{"pin_prefix": "6"}, {"pin_prefix": "6"}]},
            "duplicate row for 6")
    refused("post", "/nodes", NODES[0], "exists already", status=409)
    # A bad rate card in a PATCH changes nothing of the carrier either (one transaction).
    refused("patch", "/carriers/SHIP1", {"name": "Renamed", "rate_card": card[:4]}, "lacks zone(s) E")
    assert client.get("/carriers/SHIP1", headers=admin).get_json()["name"] == "Ship One"

    # Nothing of that was written.
    carrier = client.get("/carriers/SHIP1", headers=admin).get_json()
    assert [c["zone"] for c in carrier["rate_card"]] == list("ABCDE")
    assert client.get("/nodes/X1", headers=admin).status_code == 404
    assert client.get("/carriers/SHIP1/serviceability", headers=admin).get_json()["items"][0]["pin_prefix"] == "5"


def test_a_taken_code_is_a_409_naming_code_and_an_import_updates_it(fresh):
    """Creating a code the store holds already clashes with what is stored: 409 (as a rule's name, an AWB or a
    capture with another body), the problem naming `code`, nothing changed. A file names whole records, so a
    code the store holds is updated by an import; a code twice in one file is a 422 row (the test above)."""
    app, client, tokens, engine = fresh
    admin = auth(tokens["admin"])
    _onboard_by_api(client, admin)
    before = {name: client.get(f"/network/exports/{name}", headers=admin).get_data(as_text=True)
              for name in ("nodes", "skus", "carriers", "rate_cards", "channels")}
    taken = [("/nodes", {**NODES[0], "name": "Other"}, "node CHN-W1"),
             ("/skus", {"code": "TEE-1", "name": "n", "category": "c", "unit_weight_g": 5, "length_mm": 1,
                        "width_mm": 1, "height_mm": 1, "unit_price_paise": 1}, "SKU TEE-1"),
             ("/carriers", {"code": "SHIP1", "name": "Other"}, "carrier SHIP1"),
             ("/channels", {"code": "myshop", "name": "Other", "kind": "webshop"}, "channel myshop")]
    for url, body, what in taken:
        r = client.post(url, json=body, headers=admin)
        assert r.status_code == 409, r.get_json()
        problem = r.get_json()
        assert r.headers["Content-Type"] == "application/problem+json"
        assert problem["errors"] == [{"field": "code", "message": f"{what} exists already"}], problem
        assert f"PATCH {url}/" in problem["detail"]
    after = {name: client.get(f"/network/exports/{name}", headers=admin).get_data(as_text=True) for name in before}
    assert after == before

    # The same code in a file: an update, not a clash.
    nodes = before["nodes"].replace("Chennai warehouse", "Chennai main warehouse")
    r = client.post("/network/imports/nodes", data=nodes, headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.get_json()["updated"] == {"nodes": 1}, r.get_json()
    assert client.get("/nodes/CHN-W1", headers=admin).get_json()["name"] == "Chennai main warehouse"


def test_a_patch_changes_only_what_it_names(fresh):
    """A node's calendar settings and a carrier's rate card through PATCH: the rest is kept."""
    app, client, tokens, engine = fresh
    admin = auth(tokens["admin"])
    _onboard_by_api(client, admin)
    r = client.patch("/nodes/BLR-W1", json={"calendar": {"cutoff": "15:00"}}, headers=admin)
    assert r.status_code == 200, r.get_json()
    calendar = client.get("/nodes/BLR-W1", headers=admin).get_json()["calendar"]
    assert (calendar["cutoff"], calendar["working_days"]) == ("15:00", "Mon-Fri")  # Mon-Fri kept
    assert "2026-11-08" in calendar["holidays"]
    card = _rate_card()
    card[4] = {**card[4], "first_slab_paise": 7000}
    r = client.patch("/carriers/SHIP1", json={"rate_card": card}, headers=admin)
    assert r.status_code == 200, r.get_json()
    carrier = client.get("/carriers/SHIP1", headers=admin).get_json()
    assert [z["first_slab_paise"] for z in carrier["rate_card"]] == [3000, 3600, 4200, 4800, 7000]
    assert (carrier["name"], carrier["max_weight_g"]) == ("Ship One", 30000)
    # A PATCH that changes nothing writes nothing: no event.
    from sqlalchemy import text

    def events() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM events WHERE entity = 'carrier'")).scalar_one()

    n = events()
    assert client.patch("/carriers/SHIP1", json={"name": "Ship One", "rate_card": card}, headers=admin).status_code == 200
    assert events() == n


def test_a_bad_csv_upload_reports_every_row_and_writes_nothing(fresh):
    app, client, tokens, engine = fresh
    admin = auth(tokens["admin"])
    _onboard_by_api(client, admin)
    before = client.get("/network/exports/serviceability", headers=admin).get_data(as_text=True)
    body = ("carrier,pin_prefix,node,forward,cod\n"
            "SHIP1,11,,true,true\n"
            "SHIP1,,GHOST,true,true\n"        # unknown node
            "SHIP1,0123,,true,true\n"         # bad prefix
            "NOPE,12,,true,true\n"            # unknown carrier
            "SHIP1,11,,maybe,true\n")         # duplicate and not a boolean
    r = client.post("/network/imports/serviceability", data=body, headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 422
    fields = [e["field"] for e in r.get_json()["errors"]]
    assert fields == ["serviceability.csv:3.node", "serviceability.csv:4.pin_prefix", "serviceability.csv:5.carrier",
                      "serviceability.csv:6.forward", "serviceability.csv:6.pin_prefix"], fields
    assert client.get("/network/exports/serviceability", headers=admin).get_data(as_text=True) == before

    # Duplicate codes in a file, a gapped rate card and an unknown column.
    r = client.post("/network/imports/skus", data="code,name,category,unit_weight_g,length_mm,width_mm,height_mm,"
                    "unit_price_paise\nA1,a,c,1,1,1,1,1\nA1,a,c,1,1,1,1,1\n",
                    headers={**admin, "Content-Type": "text/csv"})
    assert [e["field"] for e in r.get_json()["errors"]] == ["skus.csv:3.code"]
    r = client.post("/network/imports/rate_cards", data="carrier,zone,first_slab_paise,additional_slab_paise\n"
                    "SHIP1,A,100,100\n", headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 422 and "lacks zone(s) B, C, D, E" in r.get_json()["errors"][0]["message"]
    r = client.post("/network/imports/nodes", data="code,name,kind,pin,colour\nN9,n,store,600002,red\n",
                    headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 422 and "unknown column(s) colour" in r.get_json()["detail"]

    # A good upload with a dry run counts and writes nothing; without it, it lands.
    good = "carrier,pin_prefix\nSHIP1,11\nSHIP1,12\n"
    r = client.post("/network/imports/serviceability?dry_run=true", data=good,
                    headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.get_json()["inserted"] == {"serviceability": 2}
    assert client.get("/network/exports/serviceability", headers=admin).get_data(as_text=True) == before
    r = client.post("/network/imports/serviceability", data=good, headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.get_json()["inserted"] == {"serviceability": 2}
    # the file is the carrier's whole list: the PINs it no longer names are gone
    assert r.get_json()["removed"] == {"serviceability": 3}
    exported = list(csv.DictReader(io.StringIO(client.get("/network/exports/serviceability", headers=admin)
                                               .get_data(as_text=True))))
    assert [row["pin_prefix"] for row in exported] == ["11", "12"]


# ------------------------------------------------------------------ who may do what; paging
def test_roles_and_paging(fresh):
    from omnialloc.services.access import create_key
    from omnialloc.store.uow import UnitOfWork

    app, client, tokens, engine = fresh
    admin, analyst = auth(tokens["admin"]), auth(tokens["analyst"])
    _onboard_by_api(client, admin)
    with UnitOfWork(engine) as uow:
        node_key, _ = create_key(uow, name="t-node", role="node", node="BLR-W1")
        uow.commit()
    node = auth(node_key)

    assert client.post("/skus", json={}, headers=analyst).status_code in (403, 422)
    assert client.patch("/skus/TEE-1", json={"name": "x"}, headers=analyst).status_code == 403
    assert client.get("/skus/TEE-1", headers=analyst).status_code == 200
    assert [n["code"] for n in client.get("/nodes", headers=node).get_json()["items"]] == ["BLR-W1"]
    assert client.get("/nodes/CHN-W1", headers=node).status_code == 404
    assert client.get("/nodes/BLR-W1", headers=node).status_code == 200
    assert client.patch("/nodes/BLR-W1", json={"daily_capacity": 1}, headers=node).status_code == 403

    seen, cursor = [], None
    while True:
        url = "/skus?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=analyst).get_json()
        seen += [s["code"] for s in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(s[0] for s in SKUS)
    assert client.get("/skus?limit=2&cursor=forged.cursor", headers=analyst).status_code == 422
    assert [s["code"] for s in client.get("/skus?q=mug", headers=analyst).get_json()["items"]] == ["MUG-1"]

    # A deactivated SKU takes no new orders.
    assert client.patch("/skus/BOOK-1", json={"active": False}, headers=admin).get_json()["active"] is False
    r = client.post("/orders", json=order_body("o-x", pin="600002", channel="myshop",
                                               lines=[{"sku": "BOOK-1", "qty": 1}]), headers=admin)
    assert r.status_code == 422 and "deactivated" in r.get_data(as_text=True)


# ------------------------------------------------------------------ round trip
def test_the_demo_network_exported_imported_into_an_empty_store_exports_identically(clean_engine, fresh, tmp_path):
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.context import Context
    from omnialloc.services.network.imports import export_dir, import_dir

    app, client, tokens, engine = fresh
    settings = app.extensions["omnialloc"]["settings"]
    first, second = tmp_path / "first", tmp_path / "second"
    export_dir(Context(engine=clean_engine, settings=settings), SYSTEM, first)
    report = import_dir(Context(engine=engine, settings=settings), SYSTEM, first)
    assert report["inserted"]["serviceability"] > 200 and report["inserted"]["skus"] > 200
    export_dir(Context(engine=engine, settings=settings), SYSTEM, second)
    names = sorted(p.name for p in first.iterdir())
    assert names == ["carriers.csv", "channels.csv", "node_calendars.csv", "nodes.csv", "rate_cards.csv",
                     "serviceability.csv", "skus.csv"]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # and importing it again changes nothing
    again = import_dir(Context(engine=engine, settings=settings), SYSTEM, first)
    assert sum(again["inserted"].values()) == sum(again["updated"].values()) == 0


def test_the_sample_files_of_docs_onboarding_import_as_documented(fresh):
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.context import Context
    from omnialloc.services.network.imports import export_csv, import_dir

    app, client, tokens, engine = fresh
    ctx = Context(engine=engine, settings=app.extensions["omnialloc"]["settings"])
    folder = Path(__file__).resolve().parents[2] / "docs" / "onboarding"
    report = import_dir(ctx, SYSTEM, folder)
    assert report["inserted"] == {"nodes": 2, "skus": 5, "carriers": 1, "rate_cards": 5, "serviceability": 4,
                                  "channels": 1}
    channels = list(csv.DictReader(io.StringIO(export_csv(ctx, SYSTEM, "channels"))))
    assert channels[0]["return_windows"] == "apparel=30|books=7"
    # the worked example of docs/onboarding.md: the lamp bills at 14,400 g, 29 slabs, 98,550 paise in zone B
    assert _expected_freight("B", [("LAMP-1", 1)]) == 98_550


def test_a_node_deactivated_through_the_api_gets_no_allocation_from_another_worker(fresh, empty_db_url):
    """Another worker (its own engine, its network cache warm) plans without the node from its next order:
    the API's write changed the revision token its cache is keyed by."""
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.context import Context
    from omnialloc.services.orders.lifecycle import capture

    app, client, tokens, engine = fresh
    admin = auth(tokens["admin"])
    _onboard_by_api(client, admin)
    other = create_engine(empty_db_url)
    try:
        worker = Context(engine=other, settings=app.extensions["omnialloc"]["settings"])

        def node_of(ext: str) -> list[str]:
            body = order_body(ext, pin="600002", channel="myshop", lines=[{"sku": "TEE-1", "qty": 1}])
            order, _ = capture(worker, SYSTEM, body)
            return [s["node"] for s in order["shipments"]]

        assert node_of("w-1") == ["CHN-W1"]  # the worker's cache now holds the network
        assert client.patch("/nodes/CHN-W1", json={"active": False}, headers=admin).status_code == 200
        assert node_of("w-2") == ["BLR-W1"]
        assert client.patch("/nodes/CHN-W1", json={"active": True}, headers=admin).status_code == 200
        assert node_of("w-3") == ["CHN-W1"]
    finally:
        other.dispose()
