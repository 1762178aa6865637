"""Hot statements run as driver SQL (store.fastexec) behave exactly as Core's execution of them, on both databases.

Every hot statement of the repositories is run here twice on the same store, once through its ``Fast``
adapter and once through plain Core (``conn.execute(stmt, params)``, written in the test), each in a
transaction rolled back afterwards (PostgreSQL's sequences are set back too). The two runs must return the
same rows, leave the same stored rows (read back through Core) and fail with the same error, wrapped the
same way (SQLAlchemy's class, the driver's class and message), for ordinary, edge and bad parameters.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from omnialloc.domain import Address, Order, OrderLine, Shipment, ShipmentLine
from omnialloc.store import fastexec
from omnialloc.store.fastexec import Fast, insert_with_children, parent_child_params
from omnialloc.store.repositories import allocations as allocations_repo
from omnialloc.store.repositories import events as events_repo
from omnialloc.store.repositories import inventory as inventory_repo
from omnialloc.store.repositories import orders as orders_repo
from omnialloc.store.repositories import revision as revision_repo
from omnialloc.store.repositories import shipments as shipments_repo
from omnialloc.store.tables.allocations import allocations
from omnialloc.store.tables.events import events
from omnialloc.store.tables.inventory import inventory
from omnialloc.store.tables.notifications import notifications
from omnialloc.store.tables.orders import order_lines, orders
from omnialloc.store.tables.rules import rules_revision
from omnialloc.store.tables.shipments import shipment_day_counts, shipment_lines, shipments
from omnialloc.store.types import JSONType, UTCDateTime

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 4)


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    """One hot statement: how to get its ``Fast``, call it, what it needs stored first, what it touches."""

    name: str
    fast: Callable[[str], Fast]  # dialect name -> the statement's adapter
    method: str  # rowcount | rows | first | executemany
    variants: Callable[[dict], dict]  # the setting -> {variant name: params (a list for executemany)}
    tables: tuple
    setup: Callable | None = None  # (conn, demo) -> a dict the variants may use
    backends: tuple = ("sqlite", "postgresql")


ADDRESS = Address(name="Asha Rao", line1="12 Anna Salai", city="Chennai", state="Tamil Nadu", pin="600002",
                  phone="+919800000001", email="asha@example.com", lat=13.06, lon=80.27)


def _order_row(demo, order_id="ord_fx_1", external_id="ext-fx-1", **extra) -> dict:
    """An orders row as the repository writes it."""
    order = Order(id=order_id, channel=demo["channel"], external_id=external_id, ship_to=ADDRESS,
                  lines=[OrderLine(1, demo["skus"][0], 2, 49_900)], tags=["gift"], created_at=NOW)
    return {**orders_repo._to_row(order, NOW), "request_hash": "h" * 64, **extra}


def _order_lines(order_id="ord_fx_1", skus=("SKU-0001", "SKU-0002"), first: int = 1) -> list[dict]:
    return [dict(order_id=order_id, line_no=i, sku=sku, qty=i, unit_price_paise=10_000 * i, cancelled_qty=0)
            for i, sku in enumerate(skus, first)]


def _stored_order(conn, demo) -> dict:
    """An order with its lines, written through Core (the statements under test need one)."""
    conn.execute(orders.insert(), _order_row(demo, order_id="ord_fx_0", external_id="ext-fx-0"))
    conn.execute(order_lines.insert(), _order_lines("ord_fx_0", demo["skus"][:2]))
    return {"order_id": "ord_fx_0"}


def _shipment_row(demo, order_id="ord_fx_0", shipment_id="shp_fx_1", **extra) -> dict:
    """A shipments row as the repository writes it."""
    shipment = Shipment(id=shipment_id, order_id=order_id, node=demo["node"], carrier=demo["carrier"],
                        lines=[ShipmentLine(1, demo["sku"], 1)], weight_g=500, billed_weight_g=500, cost_paise=4_500,
                        sla_days=3, cost_breakdown={"freight": 4_000, "handling": 500})
    return {**shipments_repo._to_row(shipment, NOW), **extra}


def _stored_shipment(conn, demo) -> dict:
    context = _stored_order(conn, demo)
    conn.execute(shipments.insert(), _shipment_row(demo, shipment_id="shp_fx_0"))
    return context


def _stored_counts(conn, demo) -> dict:
    conn.execute(shipment_day_counts.insert(), [{"node": node, "day": DAY, "live": i}
                                                 for i, node in enumerate(demo["nodes"][:3], 1)])
    return {}


def _event_params(n: int, **extra) -> dict:
    params = {}
    for i in range(n):
        row = dict(entity="order", entity_id=f"ord_fx_{i}", type="order.created", from_status=None,
                   to_status="CREATED", actor="test", reason=None, at=NOW, payload={"i": i, "name": "नमस्ते"})
        params.update({f"{c}_{i}": v for c, v in {**row, **extra}.items()})
    return params


def _outbox_row(key: str, event_id=None, **extra) -> dict:
    row = dict(id=f"ntf_{key}", idempotency_key=key, order_id="ord_fx_0", entity="order", entity_id="ord_fx_0",
               kind="order_confirmed", channel="email", recipient="asha@example.com", customer_id=None,
               context={"order_id": "ord_fx_0", "items": [1, 2]}, status="pending", next_attempt_at=NOW,
               created_at=NOW, updated_at=NOW)
    if event_id is not None:
        row["event_id"] = event_id
    return {**row, **extra}


def _stored_event(conn, demo) -> dict:
    """An event and an outbox row already stored (the outbox insert skips a known idempotency key)."""
    event_id = conn.execute(events.insert().returning(events.c.id), dict(
        entity="order", entity_id="ord_fx_0", type="order.created", from_status=None, to_status="CREATED",
        actor="test", reason=None, at=NOW, payload={})).scalar_one()
    conn.execute(notifications.insert(), _outbox_row("known", event_id))
    return {"event_id": event_id}


def _with_outbox_params(ctx) -> dict:
    params = _event_params(2)
    for j, (i, key) in enumerate([(0, "k-a"), (1, "k-b"), (1, "known")]):
        params[f"o{j}_event"] = i
        params.update({f"o{j}_{c}": v for c, v in _outbox_row(key).items()})
    for k, (node, live) in enumerate([("AMD-FC1", 1), ("BLR-FC1", -1)]):
        params.update({f"c{k}_node": node, f"c{k}_day": DAY, f"c{k}_live": live})
    return params


_OUTBOX_KEYS = tuple(_outbox_row("x"))


def _two_positions(conn, demo) -> dict:
    """Two stock rows with some ATP, in (node, sku) order (what ``reserve_all`` gives the statement)."""
    rows = conn.execute(sa.select(inventory.c.node, inventory.c.sku)
                        .where(inventory.c.on_hand - inventory.c.reserved - inventory.c.safety_stock > 0)
                        .order_by(inventory.c.node, inventory.c.sku).limit(2)).all()
    return {"positions": [tuple(r) for r in rows]}


def _reserve_many_params(positions, first: int, second: int, *, keep: int = 0) -> dict:
    params: dict = {"b_now": NOW}
    for i, ((node, sku), qty) in enumerate(zip(positions, (first, second), strict=True)):
        params.update({f"n{i}": node, f"s{i}": sku, f"q{i}": qty, f"k{i}": keep})
    return params


CASES = [
    Case("revision.read", lambda d: revision_repo._REVISION, "first", lambda s: {"stored": {}},
         (rules_revision,)),
    Case("orders.lock_version_revision", lambda d: orders_repo._FAST_LOCK_VERSION_REVISION, "first",
         lambda s: {"stored": {"order_id": s["order_id"]}, "missing": {"order_id": "ord_none"},
                    "number for text": {"order_id": 12}},
         (orders,), setup=_stored_order),
    Case("orders.insert", lambda d: orders_repo._FAST_INSERT, "rowcount",
         lambda s: {"new": _order_row(s["demo"]),
                    "duplicate external id": _order_row(s["demo"], external_id="ext-fx-0"),
                    "bad payment mode (Core's bind processor refuses it)": _order_row(s["demo"],
                                                                                     payment_mode="BARTER"),
                    "a value missing": {k: v for k, v in _order_row(s["demo"]).items() if k != "channel"}},
         (orders,), setup=_stored_order),
    Case("orders.insert_lines", lambda d: orders_repo._FAST_INSERT_LINES, "executemany",
         lambda s: {"two lines": _order_lines("ord_fx_0", s["demo"]["skus"][2:4], first=3),
                    "one line": _order_lines("ord_fx_0", s["demo"]["skus"][2:3], first=3),
                    "unknown order": _order_lines("ord_none", s["demo"]["skus"][2:4]),
                    "duplicate line": _order_lines("ord_fx_0", s["demo"]["skus"][:2])},
         (order_lines,), setup=_stored_order),
    Case("orders.insert_with_lines_and_token",
         lambda d: insert_with_children(orders, tuple(_ORDER_KEYS), order_lines, tuple(_LINE_KEYS), 2,
                                        orders_repo._REVISION_TOKEN), "first",
         lambda s: {"new": parent_child_params(_order_row(s["demo"]), _order_lines("ord_fx_1", s["demo"]["skus"][:2])),
                    "duplicate": parent_child_params(_order_row(s["demo"], order_id="ord_fx_0"),
                                                     _order_lines("ord_fx_0", s["demo"]["skus"][2:4]))},
         (orders, order_lines), setup=_stored_order, backends=("postgresql",)),
    Case("orders.set_status", lambda d: orders_repo._FAST_SET_STATUS, "rowcount",
         lambda s: {"stored": {"b_id": s["order_id"], "b_status": "ALLOCATED", "b_reason": "why", "b_now": NOW},
                    "missing": {"b_id": "ord_none", "b_status": "ALLOCATED", "b_reason": None, "b_now": NOW},
                    "too long for the column": {"b_id": s["order_id"], "b_status": "X" * 40, "b_reason": None,
                                                "b_now": NOW},
                    "naive time (UTCDateTime refuses it)": {"b_id": s["order_id"], "b_status": "HELD",
                                                            "b_reason": None, "b_now": NOW.replace(tzinfo=None)}},
         (orders,), setup=_stored_order),
    Case("orders.set_status_if_version", lambda d: orders_repo._FAST_SET_STATUS_IF_VERSION, "rowcount",
         lambda s: {"current": {"b_id": s["order_id"], "b_status": "HELD", "b_reason": None, "b_now": NOW,
                                "b_version": 1},
                    "moved": {"b_id": s["order_id"], "b_status": "HELD", "b_reason": None, "b_now": NOW,
                              "b_version": 7}},
         (orders,), setup=_stored_order),
    Case("orders.set_status_and_promise", lambda d: orders_repo._FAST_SET_STATUS_PROMISE, "rowcount",
         lambda s: {"with a promise": {"b_id": s["order_id"], "b_status": "ALLOCATED", "b_reason": None,
                                       "b_now": NOW, "b_promised_by": NOW, "b_promise_source": "channel"},
                    "no promise": {"b_id": s["order_id"], "b_status": "ALLOCATED", "b_reason": None,
                                   "b_now": NOW, "b_promised_by": None, "b_promise_source": None},
                    "unknown order": {"b_id": "ord_none", "b_status": "ALLOCATED", "b_reason": None,
                                      "b_now": NOW, "b_promised_by": NOW, "b_promise_source": "channel"}},
         (orders,), setup=_stored_order),
    Case("orders.set_promise", lambda d: orders_repo._FAST_SET_PROMISE, "rowcount",
         lambda s: {"a promise": {"b_id": s["order_id"], "b_promised_by": NOW, "b_promise_source": "rule"},
                    "cleared": {"b_id": s["order_id"], "b_promised_by": None, "b_promise_source": None}},
         (orders,), setup=_stored_order),
    Case("shipments.insert", lambda d: shipments_repo._FAST_INSERT, "rowcount",
         lambda s: {"new": _shipment_row(s["demo"]),
                    "unknown order": _shipment_row(s["demo"], order_id="ord_none"),
                    "negative cost (CHECK)": _shipment_row(s["demo"], cost_paise=-1)},
         (shipments,), setup=_stored_order),
    Case("shipments.insert_lines", lambda d: shipments_repo._FAST_INSERT_LINES, "executemany",
         lambda s: {"two lines": [dict(shipment_id="shp_fx_0", line_no=i, sku=sku, qty=1)
                                  for i, sku in enumerate(s["demo"]["skus"][:2], 1)],
                    "unknown shipment": [dict(shipment_id="shp_none", line_no=1, sku=s["demo"]["sku"], qty=1),
                                         dict(shipment_id="shp_none", line_no=2, sku=s["demo"]["sku"], qty=1)]},
         (shipment_lines,), setup=lambda conn, demo: _stored_shipment(conn, demo)),
    Case("shipments.insert_with_lines",
         lambda d: insert_with_children(shipments, tuple(_SHIPMENT_KEYS), shipment_lines, ("shipment_id", "line_no",
                                                                                           "sku", "qty"), 1),
         "rowcount",
         lambda s: {"new": parent_child_params(_shipment_row(s["demo"]), [dict(shipment_id="shp_fx_1", line_no=1,
                                                                              sku=s["demo"]["sku"], qty=2)]),
                    "unknown order": parent_child_params(_shipment_row(s["demo"], order_id="ord_none"),
                                                         [dict(shipment_id="shp_fx_1", line_no=1,
                                                               sku=s["demo"]["sku"], qty=2)])},
         (shipments, shipment_lines), setup=_stored_order, backends=("postgresql",)),
    Case("shipments.live_on", lambda d: shipments_repo._FAST_LIVE_ON, "rows",
         lambda s: {"stored day": {"day": DAY}, "empty day": {"day": DAY + dt.timedelta(days=1)}},
         (shipment_day_counts,), setup=_stored_counts),
    Case("shipments.count_upsert", lambda d: shipments_repo._fast_count_upsert(d), "executemany",
         lambda s: {"one new, one stored": [{"node": s["demo"]["nodes"][0], "day": DAY, "live": 2},
                                            {"node": s["demo"]["nodes"][5], "day": DAY, "live": 1}],
                    "one row": [{"node": s["demo"]["nodes"][1], "day": DAY, "live": -1}],
                    "a day that is not a date": [{"node": "AMD-FC1", "day": "someday", "live": 1},
                                                 {"node": "BLR-FC1", "day": "someday", "live": 1}]},
         (shipment_day_counts,), setup=_stored_counts),
    Case("inventory.atp_for", lambda d: inventory_repo._FAST_ATP_FOR, "rows",
         lambda s: {"three skus": {"skus": s["demo"]["skus"][:3]}, "one sku": {"skus": s["demo"]["skus"][:1]},
                    "unknown sku": {"skus": ["SKU-NONE"]}, "no skus": {"skus": []}},
         (inventory,)),
    Case("inventory.atp_and_live", lambda d: inventory_repo._FAST_ATP_AND_LIVE, "rows",
         lambda s: {"stored day": {"skus": s["demo"]["skus"][:2], "day": DAY},
                    "other day": {"skus": s["demo"]["skus"][:5], "day": DAY + dt.timedelta(days=3)}},
         (inventory, shipment_day_counts), setup=_stored_counts),
    Case("inventory.reserve", lambda d: inventory_repo._FAST_RESERVE, "rowcount",
         lambda s: {"within atp": {"b_node": s["demo"]["node"], "b_sku": s["demo"]["sku"], "b_qty": 1, "b_keep": 0,
                                   "b_now": NOW},
                    "past atp": {"b_node": s["demo"]["node"], "b_sku": s["demo"]["sku"], "b_qty": 10**9, "b_keep": 0,
                                 "b_now": NOW},
                    "into the kept units": {"b_node": s["demo"]["node"], "b_sku": s["demo"]["sku"], "b_qty": 1,
                                            "b_keep": 10**9, "b_now": NOW},
                    "negative (CHECK)": {"b_node": s["demo"]["node"], "b_sku": s["demo"]["sku"], "b_qty": -10**6,
                                         "b_keep": 0, "b_now": NOW}},
         (inventory,)),
    Case("inventory.adjust", lambda d: inventory_repo._FAST_ADJUST, "rowcount",
         lambda s: {"receipt": {"b_node": s["demo"]["node"], "b_sku": s["demo"]["sku"], "b_delta": 5, "b_now": NOW},
                    "write-off": {"b_node": s["demo"]["node"], "b_sku": s["demo"]["sku"], "b_delta": -1, "b_now": NOW},
                    "below zero": {"b_node": s["demo"]["node"], "b_sku": s["demo"]["sku"], "b_delta": -10**9,
                                   "b_now": NOW},
                    "no row": {"b_node": s["demo"]["node"], "b_sku": "NO-SUCH-SKU", "b_delta": 1, "b_now": NOW}},
         (inventory,)),
    Case("inventory.known", lambda d: inventory_repo._FAST_KNOWN, "rows",
         lambda s: {"some known": {"nodes": [s["demo"]["node"], "NO-NODE"], "skus": s["demo"]["skus"][:3]},
                    "none known": {"nodes": ["NO-NODE"], "skus": ["NO-SKU"]},
                    "no nodes": {"nodes": [], "skus": s["demo"]["skus"][:1]}},
         (inventory,)),
    Case("inventory.reserve_many", lambda d: inventory_repo._reserve_many(2), "rowcount",
         lambda s: {"within atp": _reserve_many_params(s["positions"], 1, 1),
                    "one past atp": _reserve_many_params(s["positions"], 1, 10**9),
                    "into the kept units": _reserve_many_params(s["positions"], 1, 1, keep=10**9),
                    "a row that does not exist": _reserve_many_params([s["positions"][0], ("NO-NODE", "NO-SKU")],
                                                                      1, 1),
                    "negative (CHECK)": _reserve_many_params(s["positions"], -10**6, 1)},
         (inventory,), setup=_two_positions, backends=("postgresql",)),
    Case("allocations.insert", lambda d: allocations_repo._INSERT, "first",
         lambda s: {"plan": dict(order_id="ord_fx_0", created_at=NOW, strategy="optimal", status="ALLOCATED",
                                 objective_paise=12_345, bound_paise=12_000, solve_ms=1.5,
                                 plan={"shipments": [{"node": "AMD-FC1", "lines": [[1, 2]]}], "note": "ok ✓"}),
                    "a value missing": dict(order_id="ord_fx_0", created_at=NOW, strategy="optimal",
                                            status="ALLOCATED", objective_paise=None, bound_paise=None,
                                            solve_ms=None, plan=None)},
         (allocations,)),
    Case("events.insert_1", lambda d: events_repo._fast_insert(1), "rows",
         lambda s: {"one": _event_params(1), "actor missing": _event_params(1, actor=None)}, (events,)),
    Case("events.insert_3", lambda d: events_repo._fast_insert(3), "rows",
         lambda s: {"three": _event_params(3)}, (events,)),
    Case("events.outbox_insert", lambda d: events_repo._FAST_OUTBOX.get(d) or Fast(events_repo.outbox_insert(d)),
         "executemany",
         lambda s: {"two new": [_outbox_row("k-a", s["event_id"]), _outbox_row("k-b", s["event_id"])],
                    "one known, one new": [_outbox_row("known", s["event_id"]), _outbox_row("k-c", s["event_id"])],
                    "one": [_outbox_row("k-d", s["event_id"])]},
         (notifications,), setup=_stored_event),
    Case("events.with_outbox_and_counts", lambda d: events_repo._events_with_outbox(2, _OUTBOX_KEYS, 3, 2),
         "rowcount", lambda s: {"events, outbox rows and counters": _with_outbox_params(s)},
         (events, notifications, shipment_day_counts), setup=lambda conn, demo: {**_stored_event(conn, demo),
                                                                                 **_stored_counts(conn, demo)},
         backends=("postgresql",)),
]

#: Codes to build parameter names and test ids from (no store needed).
_FAKE_DEMO = {"channel": "c", "node": "n", "sku": "s", "skus": ["a", "b", "c", "d", "e"], "carrier": "x",
              "nodes": ["n1", "n2", "n3", "n4", "n5", "n6"]}
_ORDER_KEYS = tuple(_order_row(_FAKE_DEMO))
_LINE_KEYS = tuple(_order_lines()[0])
_SHIPMENT_KEYS = tuple(_shipment_row(_FAKE_DEMO))


# --------------------------------------------------------------------------- running a case both ways


def _sequences(conn) -> dict:
    """PostgreSQL: every sequence of this schema with its state (a rolled-back INSERT still advances one)."""
    if conn.dialect.name != "postgresql":
        return {}
    names = conn.execute(sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"))
    return {n: conn.execute(sa.text(f'SELECT last_value, is_called FROM "{n}"')).one() for (n,) in names}


def _restore(conn, saved: dict) -> None:
    for name, (last, called) in saved.items():
        conn.execute(sa.text("SELECT setval(CAST(:n AS regclass), :v, :c)"), {"n": f'"{name}"', "v": last,
                                                                                "c": called})
    conn.commit()


def _snapshot(conn, tables) -> dict:
    return {t.name: conn.execute(sa.select(t).order_by(*t.primary_key.columns)).all() for t in tables}


def _core(conn, fast: Fast, method: str, params):
    if method == "executemany":
        conn.execute(fast.stmt, params)
        return None
    result = conn.execute(fast.stmt, params, execution_options={"preserve_rowcount": method == "rowcount"})
    return {"rowcount": lambda: result.rowcount, "rows": result.all, "first": result.first}[method]()


def _outcome(engine, case: Case, demo, variant: str, way: str):
    """What one run of the statement returned and stored, or how it failed; the store is left as found."""
    with engine.connect() as conn:
        saved = _sequences(conn)
        conn.commit()
        try:
            context = {"demo": demo, **(case.setup(conn, demo) if case.setup else {})}
            args = case.variants(context)[variant]
            fast = case.fast(conn.dialect.name)
            try:
                if way == "fast":
                    result = getattr(fast, case.method)(conn, args)
                else:
                    result = _core(conn, fast, case.method, args)
            except Exception as exc:  # the error as a caller sees it: SQLAlchemy's class around the driver's
                orig = getattr(exc, "orig", None)
                return ("error", type(exc).__name__, type(orig).__name__, str(orig if orig is not None else exc),
                        getattr(exc, "connection_invalidated", None))
            if case.method == "rows":
                result = sorted((tuple(r) for r in result), key=repr)
            elif case.method == "first" and result is not None:
                result = tuple(result)
            return "ok", result, _snapshot(conn, case.tables)
        finally:
            conn.rollback()
            _restore(conn, saved)


def _variant_ids():
    out = []
    for case in CASES:
        for variant in case.variants({"demo": _FAKE_DEMO, "order_id": "o", "event_id": 1,
                                     "positions": [("n1", "a"), ("n2", "b")]}):
            out.append(pytest.param(case, variant, id=f"{case.name}: {variant}"))
    return out


@pytest.mark.parametrize(("case", "variant"), _variant_ids())
def test_each_hot_statement_returns_stores_and_fails_as_core_does(clean_engine, db_backend, demo, case, variant):
    if db_backend not in case.backends:
        pytest.skip(f"{case.name}: a {'/'.join(case.backends)} statement")
    fast_way = _outcome(clean_engine, case, demo, variant, "fast")
    core_way = _outcome(clean_engine, case, demo, variant, "core")
    assert fast_way == core_way


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_each_hot_statement_runs_as_driver_sql_and_not_through_core(clean_engine, db_backend, demo, case):
    # (else the equivalence above would compare Core with itself)
    if db_backend not in case.backends:
        pytest.skip(f"{case.name}: a {'/'.join(case.backends)} statement")
    seen = []

    def core_executions(conn, clauseelement, *args):
        seen.append(clauseelement)

    with clean_engine.connect() as conn:
        saved = _sequences(conn)
        conn.commit()
        try:
            context = {"demo": demo, **(case.setup(conn, demo) if case.setup else {})}
            first = next(iter(case.variants(context).values()))
            fast = case.fast(conn.dialect.name)
            params = first[0] if case.method == "executemany" else first
            expected = "OMNIALLOC_PLAIN_CORE is set" if fastexec.PLAIN_CORE else None
            assert fast.explain(conn, params) == expected
            event.listen(conn, "before_execute", core_executions)
            try:
                getattr(fast, case.method)(conn, first)
            finally:
                event.remove(conn, "before_execute", core_executions)
        finally:
            conn.rollback()
            _restore(conn, saved)
    assert any(s is fast.stmt for s in seen) == fastexec.PLAIN_CORE


def test_every_hot_statement_of_the_repositories_has_a_case():
    modules = (allocations_repo, events_repo, inventory_repo, orders_repo, revision_repo, shipments_repo)
    named = {f"{m.__name__}.{k}": v for m in modules for k, v in vars(m).items() if isinstance(v, Fast)}
    covered = {id(c.fast(backend)) for c in CASES for backend in c.backends}
    assert not sorted(k for k, v in named.items() if id(v) not in covered), "hot statements without a case"


# --------------------------------------------------------------------------- the adapter around the statements


META = sa.MetaData()
T = sa.Table("fastexec_probe", META, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(20)),
             sa.Column("at", UTCDateTime), sa.Column("doc", JSONType), sa.Column("n", sa.Integer, server_default="7"),
             sa.Column("kind", sa.String(10), default="plain"))
INSERT = Fast(T.insert())
RENAME = Fast(T.update().where(T.c.id == sa.bindparam("b_id")).values(name=sa.bindparam("b_name")))
NAMES = Fast(sa.select(T.c.id, T.c.name).where(T.c.id.in_(sa.bindparam("ids", expanding=True))).order_by(T.c.id))
FIRST_N = Fast(sa.select(T.c.n).where(T.c.id == 1))  # a value built into the statement
AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture
def probe(clean_engine):
    META.create_all(clean_engine)
    yield clean_engine
    META.drop_all(clean_engine)


def _rows(n: int) -> list[dict]:
    return [{"id": i, "name": f"n{i}", "at": AT, "doc": {"i": [i]}, "kind": "k"} for i in range(1, n + 1)]


def test_statements_join_the_connections_transaction_and_roll_back_with_it(probe):
    with probe.connect() as conn:
        INSERT.executemany(conn, _rows(2))  # begins a transaction, as Core's autobegin would
        assert conn.in_transaction()
        conn.rollback()
    with probe.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(T)).scalar() == 0


def test_cursor_listeners_see_each_statement(probe):
    seen = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split()[0])

    event.listen(probe, "before_cursor_execute", spy)
    try:
        with probe.begin() as conn:
            INSERT.executemany(conn, _rows(1))
            RENAME.rowcount(conn, {"b_id": 1, "b_name": "x"})
            NAMES.rows(conn, {"ids": [1, 2]})
    finally:
        event.remove(probe, "before_cursor_execute", spy)
    assert [s for s in seen if s != "BEGIN"] == ["INSERT", "UPDATE", "SELECT"]


def test_in_lists_of_each_length_and_values_built_into_the_statement(probe):
    with probe.begin() as conn:
        INSERT.executemany(conn, _rows(4))
        for ids in ([1], [1, 2, 3], [4, 3], [], [99]):
            assert NAMES.rows(conn, {"ids": ids}) == conn.execute(NAMES.stmt, {"ids": ids}).all()
        assert FIRST_N.first(conn, {}) == (7,)


def test_a_python_side_default_and_a_converted_result_column_run_on_core(probe):
    # Core computes a column's Python default per execution, and converts UTCDateTime / JSON results: such
    # statements are left to it, with the same outcome.
    with probe.begin() as conn:
        row = {"id": 1, "name": "a", "at": AT, "doc": {"a": 1}}  # no "kind": its default applies
        read = Fast(sa.select(T.c.at, T.c.doc, T.c.kind).where(T.c.id == sa.bindparam("b_id")))
        if not fastexec.PLAIN_CORE:
            assert "default" in INSERT.explain(conn, row)
            assert "converted by Core" in read.explain(conn, {"b_id": 1})
        INSERT.rowcount(conn, row)
        assert read.first(conn, {"b_id": 1}) == (AT, {"a": 1}, "plain")


def test_escaped_names_and_a_schema_translation_give_what_core_gives(probe):
    odd = Fast(sa.select(T.c.name).where(T.c.id == sa.bindparam("the id[1]")))  # a name the dialect escapes
    with probe.begin() as conn:
        INSERT.executemany(conn, _rows(2))
        assert odd.first(conn, {"the id[1]": 2}) == conn.execute(odd.stmt, {"the id[1]": 2}).first() == ("n2",)
        # (schema None -> None: the same tables, through Core's per-execution rendering)
        translated = conn.execution_options(schema_translate_map={None: None})
        if not fastexec.PLAIN_CORE:
            assert "fit" in RENAME.explain(translated, {"b_id": 1, "b_name": "x"})
        assert RENAME.rowcount(translated, {"b_id": 1, "b_name": "x"}) == 1


def test_a_dropped_connection_is_invalidated_as_core_does(probe, db_backend):
    if db_backend != "postgresql":
        pytest.skip("a server ending the session: PostgreSQL")
    with probe.connect() as conn, probe.connect() as killer:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        killer.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        with pytest.raises(sa.exc.OperationalError) as caught:
            RENAME.rowcount(conn, {"b_id": 1, "b_name": "x"})
        assert caught.value.connection_invalidated and conn.invalidated
        conn.rollback()
        assert FIRST_N.first(conn, {}) is None  # a fresh connection serves the next statement


def test_postgresql_gets_native_placeholders_unless_plain_core(probe, db_backend):
    if db_backend != "postgresql":
        pytest.skip("PostgreSQL's placeholders")
    seen = []

    def spy(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(probe, "before_cursor_execute", spy)
    try:
        with probe.begin() as conn:
            RENAME.rowcount(conn, {"b_id": 1, "b_name": "x"})
    finally:
        event.remove(probe, "before_cursor_execute", spy)
    update = next(s for s in seen if s.startswith("UPDATE"))
    if fastexec.PLAIN_CORE:
        assert "%(b_name)s" in update
    else:
        assert "$1" in update and "%(" not in update


@pytest.mark.slow
def test_the_plain_core_switch_runs_the_store_tests_on_core(tmp_path):
    """``OMNIALLOC_PLAIN_CORE=1``: the store's tests pass with every statement on plain Core (they check
    that it is Core that ran: ``test_each_hot_statement_runs_as_driver_sql_and_not_through_core``)."""
    if fastexec.PLAIN_CORE:
        pytest.skip("already running under the switch")
    here = Path(__file__).resolve().parent
    env = {**os.environ, "OMNIALLOC_PLAIN_CORE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(here / "test_fastexec.py"),
         str(here / "test_store_repositories.py"), str(here / "test_store_inventory.py"),
         str(here / "test_shipment_day_counts.py"), "-k", "not test_the_plain_core_switch"],
        cwd=here.parents[2], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
