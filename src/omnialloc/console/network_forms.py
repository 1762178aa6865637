"""The network's add and edit forms (issue 25): a node, a SKU, a carrier with its rate card, and a sales
channel, so a network can be onboarded and kept up from the console alone (serviceability is the Carriers
tab's upload).

Admins only. A form is read into the API's request body (``api.schemas.network``: the same model the API
validates, NodeIn to add, NodePatch to edit), then handed to the same ``services.network.admin`` function
the API calls (create_node, update_node ...), so there is one validation path; the console only turns text
into numbers (rupees -> paise, percent -> basis points) and every problem -- the form's own, the schema's,
the service's -- comes back in words next to its field, all at once (``console.forms``). Nothing is saved
unless the whole form is valid. A code the store holds already is said next to the code with the API's
409 (a record to edit, not a typo to fix).

An edit form starts from the record as the API reads it and sends every field it shows (an emptied text
or list clears it; an emptied number is "required"); what it does not show (a node's map position, a
channel's webhook secret unless typed) is kept, as a PATCH keeps what it does not name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from flask import flash, redirect, render_template, request, url_for
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from omnialloc.api.deps import ctx
from omnialloc.api.schemas.network import (
    NULLABLE,
    CarrierIn,
    CarrierPatch,
    ChannelIn,
    ChannelPatch,
    NodeIn,
    NodePatch,
    SkuIn,
    SkuPatch,
    create_values,
    patch_values,
)
from omnialloc.console import bp, forms, need
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, ValidationFailed
from omnialloc.logistics.calendar import INDIA_NATIONAL_HOLIDAYS
from omnialloc.services.network import admin

ZONES = "ABCDE"
# (input name = the body's key, label, kind, options). Kinds: req (text sent even when empty, so the schema
# says "required"), text, int, rupees (-> paise), percent (-> basis points), bool, list (comma separated),
# pairs ("category=days, ..."), select, checks (several of the options).
NODE = [
    ("code", "Code", "req", None), ("name", "Name", "req", None),
    ("kind", "Kind", "select", ["warehouse", "store", "dropship_vendor", "return_center"]),
    ("pin", "PIN code", "req", None), ("address", "Address", "text", None),
    ("daily_capacity", "Capacity (shipments a day)", "int", None),
    ("handling_cost_paise", "Handling cost per shipment (₹)", "rupees", None),
    ("priority", "Priority (lower is preferred)", "int", None),
    ("capabilities", "Capabilities", "checks", ["ship", "pickup_in_store", "accept_returns", "refurbish", "repair"]),
    ("gstin", "GSTIN", "text", None),
    ("cutoff", "Cut-off time (HH:MM)", "calendar", None),
    ("working_days", "Working days (e.g. Mon-Sat)", "calendar", None),
    ("holidays", "Holidays besides the national ones (YYYY-MM-DD, or MM-DD for every year; comma separated)",
     "calendar", None),
]
SKU = [
    ("code", "Code", "req", None), ("name", "Name", "req", None), ("category", "Category", "req", None),
    ("unit_weight_g", "Weight (g)", "int", None), ("length_mm", "Length (mm)", "int", None),
    ("width_mm", "Width (mm)", "int", None), ("height_mm", "Height (mm)", "int", None),
    ("unit_price_paise", "Price (₹)", "rupees", None), ("hsn_code", "HSN code", "text", None),
    ("gst_rate_bp", "GST rate (%)", "percent", None), ("barcodes", "Barcodes (comma separated)", "list", None),
    ("hazmat", "Hazardous material", "bool", None), ("fragile", "Fragile", "bool", None),
    ("returnable", "Returnable", "bool", None),
]
CARRIER = [
    ("code", "Code", "req", None), ("name", "Name", "req", None),
    ("modes", "Modes", "checks", ["surface", "air", "express"]),
    ("max_weight_g", "Heaviest parcel (g)", "int", None),
    ("volumetric_divisor", "Volumetric divisor (cm³ per kg)", "int", None),
    ("cod_supported", "Cash on delivery", "bool", None), ("reverse_supported", "Reverse pickups", "bool", None),
]
# One rate card row per zone: (column = the body's key, label, kind).
RATE = [("first_slab_paise", "First slab ₹", "rupees"), ("additional_slab_paise", "Each additional ₹", "rupees"),
        ("slab_g", "Slab g", "int"), ("fuel_surcharge_bp", "Fuel %", "percent"),
        ("cod_fixed_paise", "COD fixed ₹", "rupees"), ("cod_percent_bp", "COD %", "percent")]
CHANNEL = [
    ("code", "Code", "req", None), ("name", "Name", "req", None),
    ("kind", "Kind", "select", ["webshop", "marketplace", "pos", "shopify", "woocommerce"]),
    ("return_window_days", "Return window (days)", "int", None),
    ("return_windows", "Return windows by category (e.g. general=7, shoes=15)", "pairs", None),
    ("buffer_units", "Stock buffer (units)", "int", None), ("buffer_percent", "Stock buffer (%)", "int", None),
    ("feeding_nodes", "Feeding nodes (codes, comma separated; empty = all)", "list", None),
    ("default_promise_days", "Default promise (days; empty = fastest)", "int", None),
    ("promise_policy", "Promise policy (soft: late days cost; hard: kept, or the order waits)", "select",
     ["soft", "hard"]),
    ("late_penalty_paise", "Cost per day late, soft (₹; empty = the setting)", "rupees", None),
    ("webhook_secret", "Webhook secret (16+ characters, write-only)", "text", None),
]
DEFAULTS: dict[str, dict[str, str | list[str]]] = {
    "node": {"kind": "warehouse", "capabilities": ["ship"], "daily_capacity": "1000"},
    "sku": {"returnable": "1"},
    "carrier": {"modes": ["surface"], "max_weight_g": "30000", "volumetric_divisor": "5000", "cod_supported": "1",
                "reverse_supported": "1", **{f"rate_card.{i}.slab_g": "500" for i in range(len(ZONES))}},
    "channel": {"kind": "webshop", "return_window_days": "30", "promise_policy": "soft"},
}
WRITE_ONLY = {"webhook_secret"}  # never shown; left empty in an edit form, it is kept
ACTIVE = ("active", "Active (takes new work)", "bool", None)  # edit forms only: a new record is active
NATIONAL = set(INDIA_NATIONAL_HOLIDAYS.as_strings())  # always kept (the service adds them): not shown
REMOVE_SECRET = "remove_webhook_secret"  # the channel edit form's check box: PATCH webhook_secret null
WORDS = {"int": "a whole number", "rupees": "an amount in rupees with at most 2 decimals, e.g. 49.50",
         "percent": "a percentage with at most 2 decimals, e.g. 12.5",
         "pairs": "write category=days pairs separated by commas, e.g. general=7"}


def _hundredths(raw: str) -> int | None:
    """'49.5' -> 4950 (rupees -> paise, percent -> basis points), exactly; None when it is not such a number."""
    try:
        value = Decimal(raw) * 100
    except InvalidOperation:
        return None
    return int(value) if value.is_finite() and value == value.to_integral_value() else None


def _value(kind: str, raw: str):
    """The text of one input as the API body's value; None when it does not read as that kind."""
    if kind == "int":
        return int(raw) if raw.lstrip("-").isdigit() else None
    if kind in ("rupees", "percent"):
        return _hundredths(raw)
    if kind == "list":
        return [x.strip() for x in raw.split(",") if x.strip()]
    if kind == "pairs":
        out = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            key, sep, days = part.partition("=")
            if not sep or not key.strip() or not days.strip().lstrip("-").isdigit():
                return None
            out[key.strip()] = int(days.strip())
        return out
    return raw


def _read(form, spec, edit: bool = False) -> tuple[dict, dict[str, list[str]]]:
    """The API body a form gives. Left empty, an input takes the API's default when adding; when editing, an
    empty text or list clears it, an empty number is required (or null where the API takes null)."""
    body: dict = {}
    errors: dict[str, list[str]] = {}
    for name, _label, kind, _options in spec:
        if kind == "bool":
            body[name] = bool(form.get(name))
            continue
        if kind == "checks":
            body[name] = form.getlist(name)
            continue
        raw = (form.get(name) or "").strip()
        if kind == "calendar":
            if raw or (edit and name == "holidays"):
                body.setdefault("calendar", {})[name] = _value("list", raw) if name == "holidays" else raw
            elif edit:
                errors[name] = ["required"]
            continue
        if not raw and kind != "req" and (not edit or name in WRITE_ONLY):
            continue  # left empty: the API's default (adding) or kept (a write-only secret)
        if not raw and kind in ("int", "rupees", "percent"):
            if name in NULLABLE:
                body[name] = None
            else:
                errors[name] = ["required"]
            continue
        if not raw and kind == "text":
            body[name] = ""
            continue
        value = _value(kind, raw)
        if value is None:
            errors[name] = [WORDS[kind]]
        else:
            body[name] = value
    return body, errors


def _read_rate_card(form, current: list[dict] | None = None) -> tuple[list[dict] | None, dict[str, list[str]]]:
    """The zone grid: no card when every cell is empty; otherwise one row per zone (the schema and the
    service say which cells are missing or wrong). Editing, a zone keeps the columns the grid does not show
    (RTO and reverse multipliers) from ``current``, the card as the API reads it."""
    shown = {col for col, _label, _kind in RATE}
    kept = {row["zone"]: {k: v for k, v in row.items() if k not in shown} for row in current or []}
    cells = {f"rate_card.{i}.{col}": (form.get(f"rate_card.{i}.{col}") or "").strip()
             for i in range(len(ZONES)) for col, _label, _kind in RATE}
    if not any(v for k, v in cells.items() if not k.endswith(".slab_g")):
        return None, {}
    rows, errors = [], {}
    for i, zone in enumerate(ZONES):
        row: dict = {**kept.get(zone, {}), "zone": zone}
        for col, _label, kind in RATE:
            raw = cells[f"rate_card.{i}.{col}"]
            if not raw:
                continue
            value = _value(kind, raw)
            if value is None:
                errors[f"rate_card.{i}.{col}"] = [WORDS[kind]]
            else:
                row[col] = value
        rows.append(row)
    return rows, errors


def _grid_field(loc: str) -> str:
    """Rate card problems stay on their cell (``rate_card.2.slab_g``); the others go to their input."""
    return loc if loc.startswith("rate_card.") else forms.form_field(loc)


def _submit(schema, save, body: dict, errors: dict, values, field_of) -> tuple[dict | None, int]:
    """Validate ``body`` with the API's schema, then save through the API's service (``values``: the body as
    the API hands it over): (the record, 200), or (None, the API's status) with ``errors`` filled in."""
    try:
        model = schema.model_validate(body)
    except PydanticError as exc:
        for field, messages in forms.collect(exc, field_of).items():
            if field not in errors:  # the form's own reading of that input says it better
                errors.setdefault(field, []).extend(messages)
        return None, 422
    if errors:
        return None, 422
    try:
        return save(values(model)), 200
    except (Conflict, ValidationFailed) as exc:  # a taken code (409) or the service's checks (422)
        errors.update(forms.collect(exc, field_of))
        return None, 409 if isinstance(exc, Conflict) else 422


def _form(kind: str, current: dict | None = None):
    """The add form (``current`` None) or the edit form of ``current``, the record as the API reads it."""
    principal = need(Role.ADMIN)
    resource = RESOURCES[kind]
    what = "SKU" if kind == "sku" else kind
    edit = current is not None
    spec = [f for f in resource.spec if f[0] != "code"] + [ACTIVE] if edit else resource.spec
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        checks = {name for name, _label, kind_, _options in spec if kind_ == "checks"}
        values = {k: request.form.getlist(k) if k in checks else request.form.get(k) for k in request.form}
        body, errors = _read(request.form, spec, edit)
        field_of = forms.form_field
        if kind == "carrier":
            card, grid_errors = _read_rate_card(request.form, current["rate_card"] if current is not None else None)
            errors.update(grid_errors)
            if card is not None:
                body["rate_card"] = card
            field_of = _grid_field
        if edit and kind == "channel" and request.form.get(REMOVE_SECRET):
            body["webhook_secret"] = None
        if current is not None:
            code = current["code"]
            saved, status = _submit(resource.patch, lambda b: resource.update(ctx(), principal, code, b), body,
                                    errors, patch_values, field_of)
        else:
            saved, status = _submit(resource.new, lambda b: resource.create(ctx(), principal, b), body, errors,
                                    create_values, field_of)
        if saved is not None:
            flash(f"{'Saved' if edit else 'Added'} {what} {saved['code']}.", "ok")
            return redirect(url_for(resource.tab), code=303)
        _unplaced_to_form(errors, spec)
    else:
        values = _values_of(spec, current) if current is not None else dict(DEFAULTS[kind])
    title = f"Edit {what} {current['code']}" if current is not None else f"New {what}"
    return render_template("console/network_form.html", kind=kind, what=what, edit=edit, title=title, spec=spec,
                           values=values, errors=errors, summary=forms.summary(errors) if errors else None,
                           tab=resource.tab, zones=ZONES, rate=RATE, remove_secret=REMOVE_SECRET), status


def _text_of(kind: str, value) -> str | list[str]:
    """A record's value as its input shows it (what ``_value`` reads back to the same value)."""
    if value is None:  # an optional amount left to its setting (a channel's late penalty)
        return ""
    if kind in ("rupees", "percent"):
        return str(Decimal(value) / 100)  # 1450 -> '14.5', 3000 -> '30'
    if kind == "list":
        return ", ".join(value)
    if kind == "pairs":
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if kind == "bool":
        return "1" if value else ""
    if kind == "checks":
        return list(value)
    return "" if value is None else str(value)


def _values_of(spec, record_: dict) -> dict:
    """An edit form's inputs filled from the record (the API's answer: paise, basis points, the calendar)."""
    values: dict = {}
    for name, _label, kind, _options in spec:
        if kind == "calendar":
            setting = record_["calendar"][name]
            values[name] = ", ".join(h for h in setting if h not in NATIONAL) if name == "holidays" else setting
        elif name not in WRITE_ONLY:
            values[name] = _text_of(kind, record_[name])
    for i, row in enumerate(sorted(record_.get("rate_card") or [], key=lambda r: r["zone"])):
        values.update({f"rate_card.{i}.{col}": _text_of(kind, row[col]) for col, _label, kind in RATE})
    return values


def _unplaced_to_form(errors: dict[str, list[str]], spec) -> None:
    """A problem of a field the form has no input for (``rate_card.zones``, ``body``) goes to the top."""
    placed = {name for name, *_ in spec} | {"calendar", "form"}
    placed |= {f"rate_card.{i}.{col}" for i in range(len(ZONES)) for col, *_ in RATE}
    for key in [k for k in errors if k not in placed]:
        errors.setdefault("form", []).extend(f"{key}: {m}" for m in errors.pop(key))


@dataclass(frozen=True)
class Resource:
    """One resource's two forms: its inputs, the API's models and service functions, the tab it returns to."""

    path: str
    spec: list
    new: type[BaseModel]    # the API's create body (NodeIn ...)
    patch: type[BaseModel]  # the API's PATCH body (NodePatch ...)
    create: Callable
    update: Callable
    get: Callable
    tab: str


RESOURCES = {
    "node": Resource("nodes", NODE, NodeIn, NodePatch, admin.create_node, admin.update_node, admin.get_node,
                     "console.network"),
    "sku": Resource("skus", SKU, SkuIn, SkuPatch, admin.create_sku, admin.update_sku, admin.get_sku,
                    "console.catalog"),
    "carrier": Resource("carriers", CARRIER, CarrierIn, CarrierPatch, admin.create_carrier, admin.update_carrier,
                        admin.get_carrier, "console.carriers"),
    "channel": Resource("channels", CHANNEL, ChannelIn, ChannelPatch, admin.create_channel, admin.update_channel,
                        admin.get_channel, "console.channels"),
}


def _edit(kind: str, code: str):
    return _form(kind, RESOURCES[kind].get(ctx(), need(Role.ADMIN), code))


# /console/network/nodes/new -> console.node_new, /console/network/nodes/<code>/edit -> console.node_edit, ...
for _kind, _resource in RESOURCES.items():
    bp.add_url_rule(f"/network/{_resource.path}/new", f"{_kind}_new", partial(_form, _kind), methods=["GET", "POST"])
    bp.add_url_rule(f"/network/{_resource.path}/<code>/edit", f"{_kind}_edit", partial(_edit, _kind),
                    methods=["GET", "POST"])
