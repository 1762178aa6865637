"""Bring your own network (issue 25): create, read, update, list and deactivate nodes, SKUs, carriers (with
their rate cards and serviceability) and sales channels.

Admins write; analysts read everything; a node key reads its own node only (another node is a 404, as
for every scope miss). Every check a record passes is ``network_files``' (``node_problems`` ...), the
same ones a CSV import runs, so the API and the files cannot disagree on what a valid node is.

Nothing that history refers to is deleted: ``remove_node`` deactivates (and refuses with 409 while the
node has live shipments); SKUs, carriers and channels are deactivated by an update. Every write bumps
the reference revision token in its transaction (the repositories do), so a deactivated node gets no new
allocation from the next transaction of every worker (``services.network.cache``); this process also
drops its caches at once. A channel's webhook secret is write-only: answers say whether one is set.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

from omnialloc.domain.enums import Role, ShipmentStatus, Zone
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.logistics import Carrier, RateCard, Serviceability
from omnialloc.domain.network import Channel, Node, Sku
from omnialloc.domain.states import SHIPMENT_MACHINE
from omnialloc.geo.pins import locate
from omnialloc.logistics.calendar import INDIA_NATIONAL_HOLIDAYS, NodeCalendar
from omnialloc.network_files import (
    carrier_problems,
    channel_problems,
    fill_location,
    node_problems,
    rate_card_problems,
    rate_card_set_problems,
    serviceability_problems,
    sku_problems,
)
from omnialloc.services import paging
from omnialloc.services.access import Principal
from omnialloc.services.events import record
from omnialloc.services.network.cache import invalidate

READERS = (Role.ADMIN, Role.ANALYST, Role.NODE)
WHAT = {"node": ("node", "nodes"), "sku": ("SKU", "skus"), "carrier": ("carrier", "carriers"),
        "channel": ("channel", "channels")}  # entity -> (what messages call it, its API path)
# Shipments still moving: a node holding one cannot leave the network.
LIVE_SHIPMENTS = tuple(str(s) for s in ShipmentStatus if not SHIPMENT_MACHINE.is_terminal(s))


def geocode(pin: str) -> tuple[float, float, str, str]:
    """PIN -> (lat, lon, city, state), offline (``geo.pins``); an unknown PIN is a 422."""
    loc = locate(pin)
    return loc.lat, loc.lon, loc.city, loc.state.title()


def _fail(problems: list[tuple[str, str]], what: str, prefix: str = "") -> None:
    if problems:
        raise ValidationFailed(f"{what}: {problems[0][1]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1
                                                                else ""),
                               field_errors=[FieldError(prefix + column, message) for column, message in problems])


def _plain(value):
    if isinstance(value, (frozenset, set)):
        return sorted(str(v) for v in value)
    if isinstance(value, tuple):
        return [list(v) if isinstance(v, tuple) else v for v in value]
    if hasattr(value, "value"):
        return value.value
    return value


def render(record_) -> dict:
    """A node, SKU, carrier, channel, rate card or serviceability row as the API shows it."""
    return {f.name: _plain(getattr(record_, f.name)) for f in fields(record_)}


def _written(uow, principal: Principal, entity: str, code: str, what: str, **payload) -> None:
    record(uow, entity, code, what, principal.actor, reason=f"network {entity} {what}", **payload)


def _commit(uow) -> None:
    uow.commit()
    invalidate()  # this process at once; the others at their next transaction (revision token)


def _page(ctx, q: dict, kind: str, fetch, render_=lambda uow, r: render(r), key=lambda r: (r.code,)) -> dict:
    return paging.keyset_page(ctx, q, kind, fetch, render_, key=key, types=(str,))


# A body's lists as the records hold them (sets where order means nothing, a SKU's barcodes in their order,
# a channel's return windows as sorted pairs); the rest as given.
_AS_HELD: dict[str, Callable[[Any], object]] = {"capabilities": frozenset, "groups": frozenset, "modes": frozenset, "feeding_nodes": frozenset,
            "barcodes": tuple, "return_windows": lambda windows: tuple(sorted((k, int(v)) for k, v in windows.items()))}
_BESIDE = ("calendar", "webhook_secret", "rate_card")  # kept beside the record (node_calendars, secrets, rate cards)


def _fields_of(body: dict) -> dict:
    """A node's, SKU's, carrier's or channel's body (create or PATCH) as values of the record's fields."""
    return {k: _AS_HELD.get(k, lambda v: v)(v) for k, v in body.items() if k not in _BESIDE}


def _merge(current, values: dict):
    """``current`` with the patch's values (a record's code is its key: never changed by a patch)."""
    return replace(current, **{k: v for k, v in values.items() if k != "code"})


def _found(record_, what: str, code: str):
    """The record, or the 404 every read, update and sub-resource of a missing code answers."""
    if record_ is None:
        raise NotFound(f"{what} {code} not found")
    return record_


def _add(uow, principal: Principal, entity: str, repo, new, **extra) -> None:
    """Add a new record and record it (the caller writes what goes with it, then commits). A create whose code
    the store holds already is a 409 naming ``code`` (the record exists: change it with PATCH); a code repeated
    within one request or file is a 422 of that request (docs/onboarding.md)."""
    what, path = WHAT[entity]
    if repo.get(new.code) is not None:
        message = f"{what} {new.code} exists already"
        raise Conflict(f"{message}; change it with PATCH /{path}/{new.code}", field_errors=[FieldError("code", message)])
    repo.add(new, **extra)
    _written(uow, principal, entity, new.code, "created")


def _save(uow, principal: Principal, entity: str, repo, current, new, *, also: tuple[str, ...] = ()) -> None:
    """Write an update when anything changed: ``new`` over ``current`` (its fields that differ) and ``also``
    (what the caller changed beside the record: calendar, rate card, secret); the event names them."""
    changed = [f.name for f in fields(current) if getattr(current, f.name) != getattr(new, f.name)]
    if changed:
        repo.update(new)
    if changed or also:
        _written(uow, principal, entity, current.code, "updated", fields=sorted([*changed, *also]))
        _commit(uow)


# ------------------------------------------------------------------ nodes
# A node's cut-off, working days, holidays and time zone are its delivery calendar (issue 24's
# ``node_calendars``, ``uow.promise``): read and written here with the node, not stored twice.
def _calendar_in(body: dict, current: NodeCalendar | None = None) -> NodeCalendar | None:
    """The calendar a body sets; a PATCH changes only the settings it names (``current`` keeps the rest).
    Holidays given are the seller's own: the national ones are always kept, as node_calendars.csv's reader
    (``logistics.promise_files``) keeps them, so a node reads the same through the API and the file."""
    settings = body.get("calendar")
    if settings is None:
        return None
    given = {k: v for k, v in settings.items() if v is not None}
    if "holidays" in given:
        given["holidays"] = [*INDIA_NATIONAL_HOLIDAYS.as_strings(), *given["holidays"]]
    try:
        return NodeCalendar.from_dict({**(current.to_dict() if current is not None else {}), **given})
    except ValueError as exc:
        raise ValidationFailed(f"calendar: {exc}", field_errors=[FieldError("calendar", str(exc))]) from None


def _node_out(node: Node, calendar: NodeCalendar | None) -> dict:
    return {**render(node), "calendar": (calendar or NodeCalendar()).to_dict()}


def _checked_node(node: Node) -> Node:
    _fail(node_problems(node), f"node {node.code}")
    problems: list[tuple[str, str]] = []
    node = fill_location(node, geocode, lambda column, message: problems.append((column, message)))
    _fail(problems, f"node {node.code}")
    return node


def list_nodes(ctx, principal: Principal, q: dict) -> dict:
    principal.require(*READERS)
    filters = {k: q.get(k) for k in ("kind", "active", "pin_prefix", "q")}

    def fetch(uow, after, n):
        if principal.role == Role.NODE:  # a node key sees its own node only
            own = uow.nodes.get(principal.node)
            return [own] if own is not None and (after is None or own.code > after[0]) else []
        return uow.nodes.page(after[0] if after else None, n, **filters)

    return _page(ctx, q, "nodes", fetch, render_=lambda uow, node: _node_out(node, uow.promise.calendar(node.code)))


def get_node(ctx, principal: Principal, code: str) -> dict:
    principal.require(*READERS)
    if not principal.sees_node(code):
        raise NotFound(f"node {code} not found")
    with ctx.uow(readonly=True) as uow:
        return _node_out(_found(uow.nodes.get(code), "node", code), uow.promise.calendar(code))


def create_node(ctx, principal: Principal, body: dict) -> dict:
    principal.require(Role.ADMIN)
    values = _fields_of(body)
    values.setdefault("lat", math.nan)
    values.setdefault("lon", math.nan)
    values.setdefault("city", "")
    values.setdefault("state", "")
    node = _checked_node(Node(**values))
    calendar = _calendar_in(body)
    with ctx.uow() as uow:
        _add(uow, principal, "node", uow.nodes, node)
        if calendar is not None:
            uow.promise.set_calendars({node.code: calendar})
        _commit(uow)
    return _node_out(node, calendar)


def update_node(ctx, principal: Principal, code: str, patch: dict) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        current = _found(uow.nodes.get(code), "node", code)
        values = _fields_of(patch)
        if "pin" in values and values["pin"] != current.pin:  # a new PIN places the node again unless given
            values.setdefault("lat", math.nan)
            values.setdefault("lon", math.nan)
            values.setdefault("city", "")
            values.setdefault("state", "")
        node = _checked_node(_merge(current, values))
        calendar = _calendar_in(patch, uow.promise.calendar(code))
        also = ("calendar",) if calendar is not None and uow.promise.set_calendars({code: calendar}) else ()
        _save(uow, principal, "node", uow.nodes, current, node, also=also)
        return _node_out(node, calendar or uow.promise.calendar(code))


def remove_node(ctx, principal: Principal, code: str) -> dict:
    """Take a node out of the network: deactivated (history refers to it), refused while shipments are live."""
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        node = _found(uow.nodes.get(code), "node", code)
        live = uow.shipments.count_by_node(statuses=LIVE_SHIPMENTS).get(code, 0)
        if live:
            raise Conflict(f"node {code} has {live} live shipment(s); finish or cancel them first "
                           "(PATCH active=false stops new allocations meanwhile)")
        if node.active:
            uow.nodes.set_active(code, False)
            _written(uow, principal, "node", code, "deactivated")
            _commit(uow)
    return {**_node_out(node, None), "active": False}


# ------------------------------------------------------------------ SKUs
def _check_barcodes(uow, sku: Sku) -> None:
    taken = {b: code for b, code in uow.skus.codes_with_barcodes(sku.barcodes).items() if code != sku.code}
    _fail([("barcodes", f"barcode {b} belongs to SKU {code} already") for b, code in sorted(taken.items())],
          f"SKU {sku.code}")


def list_skus(ctx, principal: Principal, q: dict) -> dict:
    principal.require(*READERS)
    filters = {k: q.get(k) for k in ("category", "active", "q", "barcode")}
    return _page(ctx, q, "skus", lambda uow, after, n: uow.skus.page(after[0] if after else None, n, **filters))


def get_sku(ctx, principal: Principal, code: str) -> dict:
    principal.require(*READERS)
    with ctx.uow(readonly=True) as uow:
        return render(_found(uow.skus.get(code), "SKU", code))


def create_sku(ctx, principal: Principal, body: dict) -> dict:
    principal.require(Role.ADMIN)
    sku = Sku(**_fields_of(body))
    _fail(sku_problems(sku), f"SKU {sku.code}")
    with ctx.uow() as uow:
        _add(uow, principal, "sku", uow.skus, sku)
        _check_barcodes(uow, sku)  # another SKU's barcodes (its own excluded); a refusal rolls the add back
        _commit(uow)
    return render(sku)


def update_sku(ctx, principal: Principal, code: str, patch: dict) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        current = _found(uow.skus.get(code), "SKU", code)
        sku = _merge(current, _fields_of(patch))
        _fail(sku_problems(sku), f"SKU {code}")
        _check_barcodes(uow, sku)
        _save(uow, principal, "sku", uow.skus, current, sku)
    return render(sku)


# ------------------------------------------------------------------ carriers, rate cards, serviceability
def list_carriers(ctx, principal: Principal, q: dict) -> dict:
    principal.require(*READERS)
    filters = {k: q.get(k) for k in ("active", "mode")}
    return _page(ctx, q, "carriers",
                 lambda uow, after, n: uow.carriers.page(after[0] if after else None, n, **filters))


def get_carrier(ctx, principal: Principal, code: str) -> dict:
    principal.require(*READERS)
    with ctx.uow(readonly=True) as uow:
        return _carrier_out(_found(uow.carriers.get(code), "carrier", code), uow.carriers.rate_cards(code))


def _card_out(card: RateCard) -> dict:
    out = render(card)
    out.pop("carrier")
    return out


def _by_zone(cards: list[RateCard]) -> list[RateCard]:
    return sorted(cards, key=lambda c: str(c.zone))


def _carrier_out(carrier: Carrier, cards: list[RateCard]) -> dict:
    return {**render(carrier), "rate_card": [_card_out(c) for c in _by_zone(cards)]}


def create_carrier(ctx, principal: Principal, body: dict) -> dict:
    principal.require(Role.ADMIN)
    body = dict(body)
    cards_in = body.pop("rate_card", None)
    carrier = Carrier(**_fields_of(body))
    _fail(carrier_problems(carrier), f"carrier {carrier.code}")
    cards = _checked_cards(carrier.code, cards_in) if cards_in is not None else []
    with ctx.uow() as uow:
        _add(uow, principal, "carrier", uow.carriers, carrier)
        if cards:
            uow.carriers.replace_rate_cards(carrier.code, cards)
        _commit(uow)
    return _carrier_out(carrier, cards)


def update_carrier(ctx, principal: Principal, code: str, patch: dict) -> dict:
    """Change a carrier and, when the patch has a ``rate_card``, replace its whole card in the same transaction."""
    principal.require(Role.ADMIN)
    patch = dict(patch)
    cards_in = patch.pop("rate_card", None)
    cards = _checked_cards(code, cards_in) if cards_in is not None else None
    with ctx.uow() as uow:
        current = _found(uow.carriers.get(code), "carrier", code)
        carrier = _merge(current, _fields_of(patch))
        _fail(carrier_problems(carrier), f"carrier {code}")
        also: tuple[str, ...] = ()
        if cards is not None and _by_zone(cards) != _by_zone(uow.carriers.rate_cards(code)):
            uow.carriers.replace_rate_cards(code, cards)
            also = ("rate_card",)
        _save(uow, principal, "carrier", uow.carriers, current, carrier, also=also)
        return _carrier_out(carrier, uow.carriers.rate_cards(code))


def _checked_cards(carrier: str, rows: list[dict]) -> list[RateCard]:
    problems: list[tuple[str, str]] = []
    cards = []
    for i, row in enumerate(rows):
        card = RateCard(carrier=carrier, **{**row, "zone": Zone(row["zone"])})
        problems += [(f"{i}.{column}", message) for column, message in rate_card_problems(card)]
        cards.append(card)
    problems += [("zones", message) for _, message in rate_card_set_problems(carrier, [c.zone for c in cards])]
    _fail(problems, f"rate card of {carrier}", prefix="rate_card.")
    return cards


def put_rate_card(ctx, principal: Principal, code: str, rows: list[dict]) -> dict:
    """The carrier's whole rate card: one row per zone A-E (first slab, additional slab, COD fee, surcharge)."""
    principal.require(Role.ADMIN)
    cards = _checked_cards(code, rows)
    with ctx.uow() as uow:
        _found(uow.carriers.get(code), "carrier", code)
        uow.carriers.replace_rate_cards(code, cards)
        _written(uow, principal, "carrier", code, "rate_card_replaced", zones=len(cards))
        _commit(uow)
    return {"carrier": code, "rate_card": [_card_out(c) for c in _by_zone(cards)]}


def list_serviceability(ctx, principal: Principal, code: str, q: dict) -> dict:
    principal.require(*READERS)
    with ctx.uow(readonly=True) as uow:
        _found(uow.carriers.get(code), "carrier", code)

    def fetch(uow, after, n):
        return uow.carriers.serviceability_page(code, after[0] if after else None, n, pin_prefix=q.get("pin_prefix"))

    return _page(ctx, q, f"serviceability:{code}", fetch, key=lambda r: (r.pin_prefix,))


def put_serviceability(ctx, principal: Principal, code: str, rows: list[dict]) -> dict:
    """The carrier's whole serviceability list (JSON); a row may name a ``node`` instead of a PIN prefix.
    The list carriers publish comes as CSV through the network import instead."""
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        _found(uow.carriers.get(code), "carrier", code)
        problems: list[tuple[str, str]] = []
        out: list[Serviceability] = []
        seen: dict[str, int] = {}
        nodes = None
        for i, row in enumerate(rows):
            row = dict(row)
            node = row.pop("node", None)
            if node:
                nodes = nodes if nodes is not None else {n.code: n.pin for n in uow.nodes.list()}
                if node not in nodes:
                    problems.append((f"{i}.node", f"node {node} is not a node of the network"))
                    continue
                if row.get("pin_prefix") and row["pin_prefix"] != nodes[node]:
                    problems.append((f"{i}.pin_prefix", f"pin_prefix {row['pin_prefix']} is not node {node}'s "
                                                        f"PIN {nodes[node]}"))
                    continue
                row["pin_prefix"] = nodes[node]
            elif not row.get("pin_prefix"):
                problems.append((f"{i}.pin_prefix", "pin_prefix (or node) is required"))
                continue
            s = Serviceability(carrier=code, **row)
            problems += [(f"{i}.{column}", message) for column, message in serviceability_problems(s)]
            if s.pin_prefix in seen:
                problems.append((f"{i}.pin_prefix", f"duplicate row for {s.pin_prefix} (row {seen[s.pin_prefix]})"))
            seen.setdefault(s.pin_prefix, i)
            out.append(s)
        _fail(problems, f"serviceability of {code}", prefix="rows.")
        uow.carriers.replace_serviceability(code, out)
        _written(uow, principal, "carrier", code, "serviceability_replaced", rows=len(out))
        _commit(uow)
    return {"carrier": code, "rows": len(out)}


# ------------------------------------------------------------------ channels
def _channel_out(channel: Channel, secret_set: bool) -> dict:
    out = render(channel)
    out["return_windows"] = dict(channel.return_windows)
    out["webhook_secret_set"] = secret_set  # the secret itself is never returned
    return out


def list_channels(ctx, principal: Principal, q: dict) -> dict:
    principal.require(Role.ADMIN, Role.ANALYST)
    filters = {k: q.get(k) for k in ("kind", "active")}
    return _page(ctx, q, "channels", lambda uow, after, n: uow.channels.page(after[0] if after else None, n, **filters),
                 render_=lambda uow, c: _channel_out(c, uow.channels.has_webhook_secret(c.code)))


def get_channel(ctx, principal: Principal, code: str) -> dict:
    principal.require(Role.ADMIN, Role.ANALYST)
    with ctx.uow(readonly=True) as uow:
        return _channel_out(_found(uow.channels.get(code), "channel", code), uow.channels.has_webhook_secret(code))


def create_channel(ctx, principal: Principal, body: dict) -> dict:
    principal.require(Role.ADMIN)
    secret = body.get("webhook_secret")
    channel = Channel(**_fields_of(body))
    with ctx.uow() as uow:
        _fail(channel_problems(channel, uow.nodes.codes()), f"channel {channel.code}")
        _add(uow, principal, "channel", uow.channels, channel, webhook_secret=secret or None)
        _commit(uow)
    return _channel_out(channel, bool(secret))


def update_channel(ctx, principal: Principal, code: str, patch: dict) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        current = _found(uow.channels.get(code), "channel", code)
        channel = _merge(current, _fields_of(patch))
        _fail(channel_problems(channel, uow.nodes.codes()), f"channel {code}")
        also: tuple[str, ...] = ()
        if "webhook_secret" in patch:  # write-only: set, rotated or (null) removed; always a change worth a record
            uow.channels.set_webhook_secret(code, patch["webhook_secret"] or None)
            also = ("webhook_secret",)
        _save(uow, principal, "channel", uow.channels, current, channel, also=also)
        return _channel_out(channel, uow.channels.has_webhook_secret(code))
