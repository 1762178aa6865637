"""The store's invariants, checked by scanning it: what `omnialloc check` and the reliability tests run.

Each check returns :class:`Violation` rows naming the broken invariant and the
subject (a (node, SKU), an order line, an order, a shipment), so an operator can
act on the output and a test can assert on it. The scan runs in one read
transaction (a consistent snapshot) and writes nothing.

Invariants (codes):

``reserved_mismatch``
    For every (node, SKU): ``inventory.reserved`` equals the sum of line qty of
    the shipments that hold a reservation there (ALLOCATED, ACCEPTED, PACKED,
    READY_FOR_PICKUP).
``negative_on_hand`` / ``negative_reserved`` / ``reserved_exceeds_on_hand``
    Stock levels make sense.
``reserved_without_row``
    Open reservations at a (node, SKU) that has no inventory row.
``line_overplaced``
    No unit reserved twice: per order line, units in live shipments (not
    REJECTED / CANCELLED) never exceed the line's open qty (qty - cancelled).
``unit_unaccounted``
    Every ordered unit is, at all times, in exactly one of: placed (in a
    shipment holding stock), shipped (its shipment left the node), cancelled,
    or waiting for stock, and only a BACKORDERED order has units waiting.
    Per order line of an order past planning (not CREATED / VALIDATED /
    ON_HOLD): qty - cancelled - placed - shipped is 0, or positive on a
    BACKORDERED order. Computed by one SQL query.
``backorder_without_waiting``
    A BACKORDERED order has at least one unit waiting (else nothing would
    ever move it on).
``shipment_line_sku``
    A shipment line carries the SKU of the order line it points at.
``unknown_order_status`` / ``unknown_shipment_status``
    Every status is in the state machine's vocabulary.
``order_shipments_inconsistent``
    The order's status agrees with its shipments (a CANCELLED / SHIPPED /
    DELIVERED order holds no reservation; an ALLOCATED order has a live
    unshipped shipment and nothing shipped; a PARTIALLY_SHIPPED order has
    both; a BACKORDERED one may have either).
``missing_status_event``
    Every status change has an event: the last event with a ``to_status`` of
    each order and shipment equals its current status.
``shipment_count_mismatch``
    For every node and UTC day: ``shipment_day_counts.live`` (what daily
    capacity is measured against) equals the number of shipments created there
    that day that are not REJECTED / CANCELLED.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date

from omnialloc.domain.enums import OrderStatus as O
from omnialloc.domain.enums import ShipmentStatus as S
from omnialloc.store.uow import UnitOfWork

#: Shipments that hold stock (mirrors services.allocation.allocator.HOLDING, kept literal so the checker
#: does not trust the code it checks).
HOLDING = frozenset({S.ALLOCATED, S.ACCEPTED, S.PACKED, S.READY_FOR_PICKUP})
DEAD = frozenset({S.REJECTED, S.CANCELLED})
#: Shipments whose units have left the node (reservation turned into an on-hand decrement).
GONE = frozenset(set(S) - HOLDING - DEAD)

ORDER_STATUSES = frozenset(str(s) for s in O)
SHIPMENT_STATUSES = frozenset(str(s) for s in S)


@dataclass(frozen=True)
class Violation:
    code: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {self.subject}: {self.detail}"


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # what was scanned

    @property
    def ok(self) -> bool:
        return not self.violations

    def codes(self) -> set[str]:
        return {v.code for v in self.violations}

    def summary(self, limit: int = 50) -> str:
        if self.ok:
            scanned = ", ".join(f"{v} {k}" for k, v in self.counts.items())
            return f"OK: no broken invariant ({scanned})"
        by_code: dict[str, int] = defaultdict(int)
        for v in self.violations:
            by_code[v.code] += 1
        head = "; ".join(f"{code} x{n}" for code, n in sorted(by_code.items()))
        lines = [f"BROKEN: {len(self.violations)} violation(s): {head}"]
        lines += [f"  {v}" for v in self.violations[:limit]]
        if len(self.violations) > limit:
            lines.append(f"  ... {len(self.violations) - limit} more")
        return "\n".join(lines)


def check(engine) -> Report:
    """Scan the whole store in one read transaction and return every broken invariant."""
    with UnitOfWork(engine, readonly=True) as uow:
        return scan(uow.invariant_scan)


def scan(store) -> Report:
    """The checks over ``store`` (``uow.invariant_scan``, in a read transaction)."""
    report = Report()
    v = report.violations
    ship_rows = store.shipments()
    ship_by_id = {r.id: r for r in ship_rows}
    sl_rows = store.shipment_lines()
    inv_rows = store.stock()
    order_rows = store.orders()
    ol_rows = store.order_lines()
    report.counts = {"inventory rows": len(inv_rows), "orders": len(order_rows), "shipments": len(ship_rows)}

    # -- stock: reserved == open reservations, levels sane
    held: dict[tuple[str, str], int] = defaultdict(int)
    for r in sl_rows:
        s = ship_by_id.get(r.shipment_id)
        if s is not None and s.status in HOLDING:
            held[(s.node, r.sku)] += r.qty
    seen = set()
    for r in inv_rows:
        key = (r.node, r.sku)
        seen.add(key)
        subject = f"{r.node}/{r.sku}"
        if r.on_hand < 0:
            v.append(Violation("negative_on_hand", subject, f"on_hand={r.on_hand}"))
        if r.reserved < 0:
            v.append(Violation("negative_reserved", subject, f"reserved={r.reserved}"))
        if r.reserved > r.on_hand:
            v.append(Violation("reserved_exceeds_on_hand", subject, f"reserved={r.reserved} > on_hand={r.on_hand}"))
        if r.reserved != held.get(key, 0):
            v.append(Violation("reserved_mismatch", subject,
                               f"inventory.reserved={r.reserved} but open shipments hold {held.get(key, 0)}"))
    for key, qty in sorted(held.items()):
        if key not in seen and qty:
            v.append(Violation("reserved_without_row", f"{key[0]}/{key[1]}",
                               f"open shipments hold {qty} but there is no inventory row"))

    # -- no unit placed twice
    line_of = {(r.order_id, r.line_no): r for r in ol_rows}
    placed: dict[tuple[str, int], int] = defaultdict(int)
    for r in sl_rows:
        s = ship_by_id.get(r.shipment_id)
        if s is None or s.status in DEAD:
            continue
        placed[(s.order_id, r.line_no)] += r.qty
        ol = line_of.get((s.order_id, r.line_no))
        if ol is None or ol.sku != r.sku:
            v.append(Violation("shipment_line_sku", f"{s.id} line {r.line_no}",
                               f"carries {r.sku} but order {s.order_id} line {r.line_no} is "
                               f"{ol.sku if ol else 'missing'}"))
    for key, qty in sorted(placed.items()):
        ol = line_of.get(key)
        if ol is not None and qty > ol.qty - ol.cancelled_qty:
            v.append(Violation("line_overplaced", f"{key[0]} line {key[1]}",
                               f"{qty} unit(s) in live shipments but the line has {ol.qty - ol.cancelled_qty} open"))

    # -- every unit placed, shipped, cancelled or waiting (on a BACKORDERED order)
    unplanned = [str(s) for s in (O.CREATED, O.VALIDATED, O.ON_HOLD, O.BACKORDERED)]
    for r in store.unaccounted_units(holding=HOLDING, gone=GONE, unplanned=unplanned, backordered=str(O.BACKORDERED)):
        if r.status == str(O.BACKORDERED):
            v.append(Violation("backorder_without_waiting", r.id,
                               "BACKORDERED but no unit of it waits for stock: it would never move on"))
        else:
            v.append(Violation("unit_unaccounted", f"{r.id} line {r.line_no}",
                               f"{r.waiting} unit(s) neither placed, shipped, cancelled nor backordered "
                               f"(the order is {r.status})"))

    # -- statuses known and consistent
    by_order: dict[str, list] = defaultdict(list)
    for s in ship_rows:
        by_order[s.order_id].append(s)
        if s.status not in SHIPMENT_STATUSES:
            v.append(Violation("unknown_shipment_status", s.id, f"status {s.status!r}"))
    for o in order_rows:
        if o.status not in ORDER_STATUSES:
            v.append(Violation("unknown_order_status", o.id, f"status {o.status!r}"))
            continue
        problem = _order_vs_shipments(O(o.status), [s.status for s in by_order.get(o.id, [])])
        if problem:
            v.append(Violation("order_shipments_inconsistent", o.id, problem))

    # -- the capacity counters agree with the shipments
    live: dict[tuple[str, date], int] = defaultdict(int)
    for s in ship_rows:
        if s.status not in DEAD:
            live[(s.node, s.created_at.astimezone(UTC).date())] += 1
    stored = store.live_shipment_counters()
    for key in sorted(set(live) | set(stored)):
        if live.get(key, 0) != stored.get(key, 0):
            v.append(Violation("shipment_count_mismatch", f"{key[0]} {key[1].isoformat()}",
                               f"shipment_day_counts.live={stored.get(key, 0)} but {live.get(key, 0)} live "
                               "shipment(s) were created that day"))

    # -- every status change has an event
    last = store.last_status_events(["order", "shipment"])
    for o in order_rows:
        got = last.get(("order", o.id))
        if got != o.status:
            v.append(Violation("missing_status_event", f"order {o.id}",
                               f"status {o.status} but the last status event says {got}"))
    for s in ship_rows:
        got = last.get(("shipment", s.id))
        if got != s.status:
            v.append(Violation("missing_status_event", f"shipment {s.id}",
                               f"status {s.status} but the last status event says {got}"))
    return report


def _order_vs_shipments(status: O, ship_statuses: list[str]) -> str | None:
    holding = sum(1 for s in ship_statuses if s in HOLDING)
    gone = sum(1 for s in ship_statuses if s in GONE)
    if status in (O.CREATED, O.VALIDATED, O.ON_HOLD, O.CANCELLED) and (holding or gone):
        return f"{status} order has {holding} shipment(s) holding stock and {gone} shipped"
    if status == O.ALLOCATED and (not holding or gone):
        return f"ALLOCATED order has {holding} shipment(s) holding stock and {gone} shipped"
    if status == O.PARTIALLY_SHIPPED and not (gone and holding):
        return f"PARTIALLY_SHIPPED order has {holding} unshipped live shipment(s) and {gone} shipped"
    if status in (O.SHIPPED, O.DELIVERED, O.RTO) and (holding or not gone):
        return f"{status} order has {holding} unshipped live shipment(s) and {gone} shipped"
    return None
