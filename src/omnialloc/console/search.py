"""The console's order search: one box for an order id, the shop's order number, a phone number, an e-mail
address, an AWB or a PIN code, answered by the order search service (``services.orders.search``, every
filter on an index).

"Any" reads the text the way a person on the phone would mean it: ``ord_…`` an order id, something with
``@`` an e-mail address, six digits a PIN code, a longer run of digits a phone number (with and without
India's +91), anything else an AWB, the shop's order number or our external id. A field chosen in the
form searches that field only.
"""

from __future__ import annotations

import re

from flask import redirect, render_template, request, url_for

from omnialloc.api.deps import ctx
from omnialloc.console import bp, need
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import NotFound
from omnialloc.services.orders import queries
from omnialloc.services.orders.search import search_orders

FIELDS = [("any", "Anything"), ("order_id", "Order id"), ("number", "Shop order number"), ("phone", "Phone"),
          ("email", "E-mail"), ("awb", "AWB"), ("pin", "PIN code")]
PIN = re.compile(r"^[1-9][0-9]{5}$")
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}$")
LIMIT = 50


def phone_forms(text: str) -> list[str]:
    """The forms a phone number may be stored in: as typed (without spaces and dashes), and with or without
    the +91 country code."""
    bare = text.replace(" ", "").replace("-", "")
    forms = [bare]
    digits = bare.lstrip("+")
    if len(digits) == 10:
        forms += ["+91" + digits, "91" + digits]
    elif digits.startswith("91") and len(digits) == 12:
        forms += [digits[2:], "+" + digits]
    return list(dict.fromkeys(forms))


def queries_for(text: str, field: str) -> list[tuple[str, str]]:
    """(filter, value) pairs to run for ``text`` searched in ``field`` (``any``: by its shape)."""
    if field == "phone" or (field == "any" and PHONE.match(text) and not PIN.match(text)):
        return [("phone", form) for form in phone_forms(text)]
    if field != "any":
        return [(field, text)]
    if text.startswith("ord_"):
        return [("order_id", text)]
    if "@" in text:
        return [("email", text)]
    if PIN.match(text):
        return [("pin", text)]
    return [("awb", text), ("number", text), ("external_id", text)]


def search(c, p, text: str, field: str) -> tuple[list[dict], bool]:
    """Matching orders, newest first, and whether there were more than the page shows."""
    found: dict[str, dict] = {}
    more = False
    for key, value in queries_for(text, field):
        if key == "order_id":
            try:
                view = queries.order_view(c, p, value)
            except NotFound:
                continue
            view.setdefault("channel_order_number", None)
            found.setdefault(view["id"], view)
            continue
        page = search_orders(c, p, {key: value, "limit": LIMIT})
        more = more or bool(page["next_cursor"])
        for item in page["items"]:
            found.setdefault(item["id"], item)
    items = sorted(found.values(), key=lambda o: (o["created_at"], o["id"]), reverse=True)
    return items[:LIMIT], more or len(items) > LIMIT


@bp.get("/search")
def order_search():
    p = need(Role.ADMIN, Role.CHANNEL, Role.ANALYST)
    text = (request.args.get("q") or "").strip()[:254]
    field = request.args.get("by") if request.args.get("by") in dict(FIELDS) else "any"
    items, more = search(ctx(), p, text, field) if text else ([], False)
    if text and field == "order_id" and len(items) == 1:
        return redirect(url_for("console.order", order_id=items[0]["id"]), code=303)
    return render_template("console/search.html", q=text, by=field, fields=FIELDS, items=items, more=more,
                           searched=bool(text))
