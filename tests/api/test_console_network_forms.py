"""The console's network create forms without a browser (issue 25): what an admin types is saved as the API
would save it (read back through the API), a bad form shows every problem next to its field at once and
saves nothing, a taken code is said next to the code, analysts and forged posts are refused.
"""

from __future__ import annotations

import html
import re

from tests.api.conftest import auth
from tests.api.test_console import logged_in, token_of

NODE = {"code": "PNQ-W9", "name": "Pune warehouse", "kind": "warehouse", "pin": "411001", "address": "Hadapsar",
        "daily_capacity": "250", "handling_cost_paise": "14.50", "capabilities": ["ship", "accept_returns"],
        "cutoff": "15:30", "working_days": "Mon-Sat"}


def _errors_of(text: str) -> dict[str, list[str]]:
    """{field: [messages]} as the page shows them: the list with id err-<field> next to the input."""
    out = {}
    for field, items in re.findall(r'<ul class="field-errors" id="err-([^"]+)">(.*?)</ul>', text, re.S):
        out[field] = [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", items, re.S)]
    return out


def _post(c, path: str, data: dict):
    return c.post(path, data={**data, "csrf_token": token_of(c, path)})


def test_an_admin_adds_a_node_and_the_api_reads_it_back_in_paise(app, keys):
    c = logged_in(app, keys["admin"])
    page = c.get("/console/network")
    assert 'href="/console/network/nodes/new"' in page.text
    r = _post(c, "/console/network/nodes/new", NODE)
    assert r.status_code == 303 and r.headers["Location"].endswith("/console/network"), r.text
    node = app.test_client().get("/nodes/PNQ-W9", headers=auth(keys["admin"])).get_json()
    assert (node["handling_cost_paise"], node["daily_capacity"], sorted(node["capabilities"])) == (
        1450, 250, ["accept_returns", "ship"])
    assert node["city"] and 18 < node["lat"] < 19  # placed from its PIN, as the API does
    assert (node["calendar"]["cutoff"], node["calendar"]["working_days"]) == ("15:30", "Mon-Sat")

    r = _post(c, "/console/network/nodes/new", NODE)  # the same code again
    assert r.status_code == 422
    assert _errors_of(r.text)["code"] == ["node PNQ-W9 exists already"]


def test_a_bad_node_form_shows_every_problem_next_to_its_field_and_saves_nothing(app, keys):
    c = logged_in(app, keys["admin"])
    api = app.test_client()
    before = api.get("/nodes?limit=1000", headers=auth(keys["admin"])).get_json()["items"]
    bad = {**NODE, "code": "", "daily_capacity": "lots", "handling_cost_paise": "1.234", "name": ""}
    r = _post(c, "/console/network/nodes/new", bad)
    assert r.status_code == 422
    errors = _errors_of(r.text)
    assert errors["code"] == ["required"] and errors["name"] == ["required"]
    assert errors["daily_capacity"] == ["a whole number"]
    assert errors["handling_cost_paise"] == ["an amount in rupees with at most 2 decimals, e.g. 49.50"]
    assert "4 problems to fix" in r.text and 'value="Hadapsar"' in r.text  # what was typed stays
    # The service's own checks (a bad PIN, a bad cut-off) come back the same way, next to their inputs.
    r = _post(c, "/console/network/nodes/new", {**NODE, "pin": "000000"})
    assert r.status_code == 422
    assert _errors_of(r.text) == {"pin": ["PIN '000000' must be 6 digits not starting with 0"]}
    r = _post(c, "/console/network/nodes/new", {**NODE, "cutoff": "25:99"})
    assert r.status_code == 422 and list(_errors_of(r.text)) == ["calendar"]
    after = api.get("/nodes?limit=1000", headers=auth(keys["admin"])).get_json()["items"]
    assert after == before


def test_a_carrier_with_its_rate_card_and_a_cell_left_empty(app, keys):
    c = logged_in(app, keys["admin"])
    grid = {}
    for i, (first, extra) in enumerate([(30, 25), (36, 30), (42, 36), (48, 41), (65, 55)]):
        grid.update({f"rate_card.{i}.first_slab_paise": str(first), f"rate_card.{i}.additional_slab_paise": str(extra),
                     f"rate_card.{i}.slab_g": "500", f"rate_card.{i}.fuel_surcharge_bp": "12.5",
                     f"rate_card.{i}.cod_fixed_paise": "30", f"rate_card.{i}.cod_percent_bp": "1.5"})
    form = {"code": "SHIP9", "name": "Ship Nine", "modes": ["surface", "express"], "max_weight_g": "30000",
            "volumetric_divisor": "5000", "cod_supported": "1", **grid}
    r = _post(c, "/console/network/carriers/new", {**form, "rate_card.2.first_slab_paise": "",
                                                    "rate_card.4.slab_g": "half a kilo"})
    assert r.status_code == 422
    errors = _errors_of(r.text)
    assert errors["rate_card.2.first_slab_paise"] == ["required"]
    assert errors["rate_card.4.slab_g"] == ["a whole number"]
    assert app.test_client().get("/carriers/SHIP9", headers=auth(keys["admin"])).status_code == 404

    r = _post(c, "/console/network/carriers/new", form)
    assert r.status_code == 303, r.text
    carrier = app.test_client().get("/carriers/SHIP9", headers=auth(keys["admin"])).get_json()
    assert sorted(carrier["modes"]) == ["express", "surface"] and carrier["reverse_supported"] is False
    assert [(z["zone"], z["first_slab_paise"], z["fuel_surcharge_bp"], z["cod_percent_bp"])
            for z in carrier["rate_card"]][:2] == [("A", 3000, 1250, 150), ("B", 3600, 1250, 150)]


def test_a_sku_and_a_channel(app, keys):
    c = logged_in(app, keys["admin"])
    r = _post(c, "/console/network/skus/new", {
        "code": "MUG-9", "name": "Mug", "category": "kitchen", "unit_weight_g": "450", "length_mm": "120",
        "width_mm": "120", "height_mm": "110", "unit_price_paise": "299", "gst_rate_bp": "12",
        "barcodes": "", "fragile": "1", "returnable": "1"})
    assert r.status_code == 303, r.text
    sku = app.test_client().get("/skus/MUG-9", headers=auth(keys["admin"])).get_json()
    assert (sku["unit_price_paise"], sku["gst_rate_bp"], sku["fragile"], sku["hazmat"]) == (29900, 1200, True, False)

    r = _post(c, "/console/network/channels/new", {"code": "myshop", "name": "My shop", "kind": "webshop",
                                                   "return_window_days": "15", "return_windows": "general=seven"})
    assert r.status_code == 422
    assert _errors_of(r.text)["return_windows"][0].startswith("write category=days")
    r = _post(c, "/console/network/channels/new", {"code": "myshop", "name": "My shop", "kind": "webshop",
                                                   "return_window_days": "15", "return_windows": "general=7",
                                                   "webhook_secret": "s3cret-s3cret-s3cret"})
    assert r.status_code == 303, r.text
    channel = app.test_client().get("/channels/myshop", headers=auth(keys["admin"])).get_json()
    assert channel["return_windows"] == {"general": 7} and channel["webhook_secret_set"] is True


def test_analysts_and_forged_posts_are_refused(app, keys):
    c = logged_in(app, keys["analyst"])
    assert c.get("/console/network/nodes/new").status_code == 403
    assert 'href="/console/network/nodes/new"' not in c.get("/console/network").text
    c = logged_in(app, keys["admin"])
    r = c.post("/console/network/nodes/new", data=NODE)  # no CSRF token
    assert r.status_code == 400
    assert app.test_client().get("/nodes/PNQ-W9", headers=auth(keys["admin"])).status_code == 404
