"""The console's network add and edit forms without a browser (issue 25): what an admin types is saved as the
API would save it (read back through the API), a bad form shows every problem next to its field at once and
saves nothing, a taken code is said next to the code with the API's 409, an edit form starts from the record
and changes only what it shows, analysts and forged posts are refused.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

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

    r = _post(c, "/console/network/nodes/new", NODE)  # the same code again: the API's 409 and its words
    assert r.status_code == 409
    assert _errors_of(r.text) == {"code": ["node PNQ-W9 exists already"]}
    api = app.test_client().post("/nodes", json={k: NODE[k] for k in ("code", "name", "kind", "pin")},
                                 headers=auth(keys["admin"]))
    assert api.status_code == 409 and api.get_json()["errors"] == [{"field": "code",
                                                                    "message": "node PNQ-W9 exists already"}]


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
    assert c.get("/console/network/nodes/CHN-FC1/edit").status_code == 403
    assert 'href="/console/network/nodes/new"' not in c.get("/console/network").text
    assert "/edit" not in c.get("/console/network").text
    c = logged_in(app, keys["admin"])
    r = c.post("/console/network/nodes/new", data=NODE)  # no CSRF token
    assert r.status_code == 400
    assert app.test_client().get("/nodes/PNQ-W9", headers=auth(keys["admin"])).status_code == 404
    r = c.post("/console/network/nodes/CHN-FC1/edit", data={"name": "Forged"})
    assert r.status_code == 400
    assert app.test_client().get("/nodes/CHN-FC1", headers=auth(keys["admin"])).get_json()["name"] != "Forged"
    assert c.get("/console/network/nodes/NOPE/edit").status_code == 404


# ------------------------------------------------------------------ edit forms
def _form_of(text: str) -> dict:
    """The edit form's filled-in values as a browser would post them (inputs, checked boxes, selected options)."""
    out: dict = {}
    for tag in re.findall(r"<input [^>]*>", text):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or name[1] == "csrf_token":
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                out.setdefault(name[1], []).append(html.unescape(re.search(r'value="([^"]*)"', tag)[1]))
            continue
        value = re.search(r'value="([^"]*)"', tag)
        out[name[1]] = html.unescape(value[1]) if value else ""
    for name, options in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', text, re.S):
        out[name] = re.search(r"<option selected>([^<]*)</option>", options)[1]
    return out


def test_a_node_edit_form_starts_from_the_node_and_saves_only_a_valid_change(app, keys):
    c = logged_in(app, keys["admin"])
    api, admin = app.test_client(), auth(keys["admin"])
    assert _post(c, "/console/network/nodes/new", {**NODE, "holidays": "2026-11-08"}).status_code == 303
    before = api.get("/nodes/PNQ-W9", headers=admin).get_json()
    assert 'href="/console/network/nodes/PNQ-W9/edit"' in c.get("/console/network").text
    page = c.get("/console/network/nodes/PNQ-W9/edit")
    assert page.status_code == 200 and "Edit node PNQ-W9" in page.text
    form = _form_of(page.text)
    assert "code" not in form  # a code is the record's key, not editable
    assert (form["handling_cost_paise"], form["daily_capacity"], form["capabilities"], form["active"]) == (
        "14.5", "250", ["ship", "accept_returns"], ["1"])
    assert (form["cutoff"], form["working_days"], form["holidays"]) == ("15:30", "Mon-Sat", "2026-11-08")

    # Saved as it is: nothing changes (not even an event).
    assert _post(c, "/console/network/nodes/PNQ-W9/edit", form).status_code == 303
    assert api.get("/nodes/PNQ-W9", headers=admin).get_json() == before

    # Problems next to their fields, all at once, nothing saved: the form's, the schema's and the service's.
    bad = {**form, "daily_capacity": "", "handling_cost_paise": "1.234", "pin": "999999", "name": ""}
    r = _post(c, "/console/network/nodes/PNQ-W9/edit", bad)
    assert r.status_code == 422
    errors = _errors_of(r.text)
    assert errors["daily_capacity"] == ["required"] and errors["name"] == ["required"]
    assert errors["handling_cost_paise"] == ["an amount in rupees with at most 2 decimals, e.g. 49.50"]
    r = _post(c, "/console/network/nodes/PNQ-W9/edit", {**form, "pin": "999999"})
    assert r.status_code == 422 and list(_errors_of(r.text)) == ["pin"]
    r = _post(c, "/console/network/nodes/PNQ-W9/edit", {**form, "working_days": "Funday"})
    assert r.status_code == 422 and list(_errors_of(r.text)) == ["calendar"]
    assert api.get("/nodes/PNQ-W9", headers=admin).get_json() == before

    # A valid change lands as the API's PATCH would: an emptied text clears, the calendar keeps what the form
    # does not show (its time zone), the map position stays with the PIN.
    r = _post(c, "/console/network/nodes/PNQ-W9/edit", {**form, "daily_capacity": "300", "address": "",
                                                         "handling_cost_paise": "16", "cutoff": "16:00",
                                                         "holidays": "", "capabilities": ["ship"]})
    assert r.status_code == 303 and r.headers["Location"].endswith("/console/network"), r.text
    after = api.get("/nodes/PNQ-W9", headers=admin).get_json()
    assert (after["daily_capacity"], after["address"], after["handling_cost_paise"], after["capabilities"]) == (
        300, "", 1600, ["ship"])
    assert (after["calendar"]["cutoff"], after["calendar"]["working_days"], after["calendar"]["holidays"],
            after["calendar"]["timezone"]) == ("16:00", "Mon-Sat", ["01-26", "08-15", "10-02"],
                                               before["calendar"]["timezone"])  # the national holidays stay
    assert (after["lat"], after["lon"], after["pin"]) == (before["lat"], before["lon"], before["pin"])
    # Deactivated from the same form: unchecking Active.
    r = _post(c, "/console/network/nodes/PNQ-W9/edit", {k: v for k, v in _form_of(
        c.get("/console/network/nodes/PNQ-W9/edit").text).items() if k != "active"})
    assert r.status_code == 303 and api.get("/nodes/PNQ-W9", headers=admin).get_json()["active"] is False


def test_sku_carrier_and_channel_edit_forms(app, keys):
    c = logged_in(app, keys["admin"])
    api, admin = app.test_client(), auth(keys["admin"])
    # SKU: the barcodes cleared, the price changed, a weight emptied is required.
    assert _post(c, "/console/network/skus/new", {
        "code": "MUG-9", "name": "Mug", "category": "kitchen", "unit_weight_g": "450", "length_mm": "120",
        "width_mm": "120", "height_mm": "110", "unit_price_paise": "299", "gst_rate_bp": "12",
        "barcodes": "4006381333931", "returnable": "1"}).status_code == 303
    form = _form_of(c.get("/console/network/skus/MUG-9/edit").text)
    assert (form["unit_price_paise"], form["gst_rate_bp"], form["barcodes"]) == ("299", "12", "4006381333931")
    r = _post(c, "/console/network/skus/MUG-9/edit", {**form, "unit_weight_g": ""})
    assert r.status_code == 422 and _errors_of(r.text) == {"unit_weight_g": ["required"]}
    r = _post(c, "/console/network/skus/MUG-9/edit", {**form, "barcodes": "", "unit_price_paise": "349.50"})
    assert r.status_code == 303, r.text
    sku = api.get("/skus/MUG-9", headers=admin).get_json()
    assert (sku["barcodes"], sku["unit_price_paise"], sku["gst_rate_bp"]) == ([], 34950, 1200)

    # Carrier: its rate card comes filled in; a cell changed replaces the card, a bad cell saves nothing.
    form = _form_of(c.get("/console/network/carriers/ECO/edit").text)
    card = api.get("/carriers/ECO", headers=admin).get_json()
    assert [Decimal(form[f"rate_card.{i}.first_slab_paise"]) * 100 for i in range(5)] == [
        row["first_slab_paise"] for row in card["rate_card"]]
    r = _post(c, "/console/network/carriers/ECO/edit", {**form, "name": "Renamed", "rate_card.1.slab_g": "0"})
    assert r.status_code == 422 and "rate_card.1.slab_g" in _errors_of(r.text)
    assert api.get("/carriers/ECO", headers=admin).get_json() == card
    r = _post(c, "/console/network/carriers/ECO/edit", {**form, "name": "Renamed",
                                                         "rate_card.1.first_slab_paise": "77.25"})
    assert r.status_code == 303, r.text
    after = api.get("/carriers/ECO", headers=admin).get_json()
    assert after["name"] == "Renamed" and after["rate_card"][1]["first_slab_paise"] == 7725
    assert [row for i, row in enumerate(after["rate_card"]) if i != 1] == [
        row for i, row in enumerate(card["rate_card"]) if i != 1]

    # Channel: the webhook secret is never shown; left empty it is kept, the check box removes it.
    assert _post(c, "/console/network/channels/new", {"code": "myshop", "name": "My shop", "kind": "webshop",
                                                      "default_promise_days": "3",
                                                      "webhook_secret": "s3cret-s3cret-s3cret"}).status_code == 303
    page = c.get("/console/network/channels/myshop/edit").text
    assert "s3cret" not in page
    form = _form_of(page)
    r = _post(c, "/console/network/channels/myshop/edit", {**form, "default_promise_days": "",
                                                           "return_windows": "shoes=15"})
    assert r.status_code == 303, r.text
    channel = api.get("/channels/myshop", headers=admin).get_json()
    assert (channel["default_promise_days"], channel["return_windows"], channel["webhook_secret_set"]) == (
        None, {"shoes": 15}, True)
    r = _post(c, "/console/network/channels/myshop/edit", {**_form_of(c.get(
        "/console/network/channels/myshop/edit").text), "remove_webhook_secret": "1"})
    assert r.status_code == 303
    assert api.get("/channels/myshop", headers=admin).get_json()["webhook_secret_set"] is False
