"""Order use cases: capture, allocate (with re-solve on reservation conflicts), cancel, hold.

Each public function is one use case; each write happens in one transaction and
writes its events in that same transaction.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping


from omnialloc.domain import (
    ORDER_MACHINE,
    Address,
    DeliveryMode,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMode,
    ShipmentStatus,
)
from omnialloc.domain.enums import Capability, Role
from omnialloc.domain.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed
from omnialloc.geo.pins import locate, locate_point
from omnialloc.observability import metrics
from omnialloc.services.orders import queries
from omnialloc.services.access import Principal
from omnialloc.services.allocation.allocator import (
    ALLOCATABLE,
    HOLDING,
    ReservationConflict,
    allocate_in,
    backorder,
    move_order,
    remaining_units,
    settle,
)
from omnialloc.services import bus
from omnialloc.services.events import now, record
from omnialloc.services.fulfilment import carrier_booking, credit_notes
from omnialloc.services.messages import RetryBackorders
from omnialloc.services.network.cache import cached_revision
from omnialloc.services.network.cache import channel as channel_master
from omnialloc.services.network.cache import skus as sku_master
from omnialloc.store.errors import WriteRefused
from omnialloc.store.uow import StaleRevision
from omnialloc.services.rules import runtime

CANCELLABLE_SHIPMENTS = frozenset({ShipmentStatus.ALLOCATED, ShipmentStatus.ACCEPTED, ShipmentStatus.PACKED,
                                   ShipmentStatus.READY_FOR_PICKUP})


def request_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# ------------------------------------------------------------------ capture
def capture(ctx, principal: Principal, body: dict) -> tuple[dict, bool]:
    """Store a new order (or return the one already captured with this key). Returns (view, created)."""
    principal.require(Role.ADMIN, Role.CHANNEL)
    if principal.role == Role.CHANNEL and body["channel"] != principal.channel:
        raise ValidationFailed(f"this key may only create orders for channel {principal.channel!r}",
                               field_errors=[FieldError("channel", f"must be {principal.channel!r}")])
    with ctx.one_connection():  # the capture and its allocation: one checkout (and one transaction: _store_new)
        return _capture(ctx, principal, body)


def _capture(ctx, principal: Principal, body: dict) -> tuple[dict, bool]:
    digest = request_hash(body)
    allocate_too = ctx.settings.auto_allocate
    # Insert first, look for an earlier capture only when the (channel, external_id) key is taken
    # (or the body no longer validates): retries are rare, so the first attempt skips that query.
    try:
        try:
            order, written, held, outcome = _store_on_cached_revision(ctx, body, digest, principal.actor,
                                                                      allocate_too=allocate_too)
        except ReservationConflict:
            metrics.RESOLVES.inc()
            # Another request took the stock this plan counted on, and the whole transaction rolled back:
            # capture alone, then allocate with allocate()'s re-solves (and its backorder if they run out).
            order, written, held, outcome = _store_new(ctx, body, digest, principal.actor, assume_revision=False,
                                                       allocate_too=False)
            if order.status == OrderStatus.VALIDATED:
                outcome = allocate(ctx, order.id, principal.actor, held=held)
                if outcome is None or outcome.order is None:  # stock kept moving: backordered in a later transaction
                    return queries.order_view(ctx, principal, order.id), True
                written += outcome.events
    except (WriteRefused, ValidationFailed):
        # Captured before (maybe by a concurrent retry; 409 if with another body): answer as a replay.
        existing = _replay(ctx, body, digest)
        if existing is None:
            raise
        return _replayed(ctx, principal, existing), False
    # The answer is rendered from what this request wrote (a new order has nothing else), not read back.
    if outcome is not None and outcome.order is not None:
        return queries.captured_view(outcome.order, outcome.held, outcome.allocation, written), True
    return queries.captured_view(order, [], None, written), True


def _store_on_cached_revision(ctx, body: dict, digest: str, actor: str, *, allocate_too: bool):
    """:func:`_store_new` assuming the reference caches' revision; if the caches were behind the stored
    revision (reference data just changed), once more reading it first."""
    try:
        return _store_new(ctx, body, digest, actor, assume_revision=True, allocate_too=allocate_too)
    except StaleRevision:
        return _store_new(ctx, body, digest, actor, assume_revision=False, allocate_too=allocate_too)


def _store_new(ctx, body: dict, digest: str, actor: str, *, assume_revision: bool, allocate_too: bool):
    """Validate and store a new order in one transaction, and with ``allocate_too`` allocate it in that same
    transaction: (order, events written, (order, version), allocation outcome or None).

    One transaction for both saves a BEGIN, a COMMIT (a WAL flush), the re-read of the order's version
    and a second events INSERT per order. It is all or nothing: if the database fails mid-way nothing is
    stored and the client's retry captures afresh; a ``ReservationConflict`` (stock taken meanwhile)
    rolls back the capture too, and the caller runs capture and allocation apart.

    ``assume_revision``: validate against the reference caches as they are and read the revision token
    along with the order's INSERT (one round trip less on PostgreSQL) instead of before: see
    ``UnitOfWork.assume_revision``; raises ``StaleRevision`` (nothing written) if they were behind, also
    instead of refusing the order on their word."""
    with ctx.uow() as uow:
        if assume_revision:
            known, token = cached_revision(uow)
            if known:
                uow.assume_revision(token)
        try:
            order = new_order(uow, ctx, body)
            _store_validated(uow, ctx, order, digest, actor)
        except ValidationFailed:
            uow.check_revision()  # a refusal on the caches' word stands only if they were current
            raise
        held = (order, uow.orders.written_version(order.id))
        outcome = None
        if allocate_too and order.status == OrderStatus.VALIDATED:
            outcome = allocate_in(uow, ctx, order, actor, routing=runtime.routing_for(uow, ctx, order), untouched=True)
        uow.commit()
        return order, list(uow.events.recorded), held, outcome


def _replayed(ctx, principal: Principal, order_id: str) -> dict:
    """A retried capture: if the first attempt stored the order but failed before allocating it
    (e.g. the database dropped), the retry finishes the job, so retrying is always safe."""
    if ctx.settings.auto_allocate:
        with ctx.uow(readonly=True) as uow:
            status = uow.orders.get(order_id).status
        if status == OrderStatus.VALIDATED:
            allocate(ctx, order_id, principal.actor)
    return queries.order_view(ctx, principal, order_id)


def _replay(ctx, body: dict, digest: str) -> str | None:
    """The id of the order already captured under this (channel, external_id), or None; 409 if the body differs."""
    with ctx.uow(readonly=True) as uow:
        found = uow.orders.get_by_external(body["channel"], body["external_id"])
        if found is None:
            return None
        if uow.orders.request_hash(found.id) != digest:
            raise Conflict(f"order {body['external_id']!r} of channel {body['channel']!r} was already captured "
                           "with a different body; use a new external_id")
        return found.id


def new_order(uow, ctx, body: dict) -> Order:
    """The order a capture payload describes, checked against the reference data (nothing stored yet)."""
    errors: list[FieldError] = []
    channel = channel_master(uow, body["channel"])
    if channel is None or not channel.active:
        errors.append(FieldError("channel", f"unknown or inactive channel {body['channel']!r}"))
    lines_in = body["lines"]
    limit = ctx.settings.max_lines_per_order
    if len(lines_in) > limit:
        errors.append(FieldError("lines", f"{len(lines_in)} lines exceed the limit of {limit} per order"))
    seen: dict[str, int] = {}
    for i, line in enumerate(lines_in):
        if line["sku"] in seen:
            errors.append(FieldError(f"lines.{i}.sku", f"duplicate of line {seen[line['sku']]}; merge the quantities"))
        seen.setdefault(line["sku"], i)
    skus = sku_master(uow, sorted(seen)) if len(lines_in) <= limit else {}
    for i, line in enumerate(lines_in):
        if len(lines_in) <= limit and line["sku"] not in skus:
            errors.append(FieldError(f"lines.{i}.sku", f"unknown SKU {line['sku']!r}"))
        elif len(lines_in) <= limit and not getattr(skus[line["sku"]], "active", True):
            errors.append(FieldError(f"lines.{i}.sku", f"SKU {line['sku']!r} is deactivated: no new orders"))
    to = body["ship_to"]
    lat, lon, state = to.get("lat"), to.get("lon"), to.get("state") or ""
    try:
        if to.get("pin"):
            loc = locate(to["pin"])
            lat, lon, state = (lat if lat is not None else loc.lat), (lon if lon is not None else loc.lon), state or loc.state
        elif lat is not None and lon is not None:
            locate_point(lat, lon)
        else:
            errors.append(FieldError("ship_to.pin", "give a 6-digit PIN or both lat and lon"))
    except DomainError as exc:
        errors.append(FieldError("ship_to.pin" if to.get("pin") else "ship_to.lat", exc.detail))
    mode = DeliveryMode(body.get("delivery_mode", "ship"))
    if mode == DeliveryMode.PICKUP:
        node = uow.nodes.get(body.get("pickup_node") or "")
        if node is None or not node.can(Capability.PICKUP_IN_STORE):
            errors.append(FieldError("pickup_node", "a pickup order needs a store that offers pickup in store"))
    elif body.get("pickup_node"):
        errors.append(FieldError("pickup_node", "only allowed with delivery_mode 'pickup'"))
    if errors:
        raise ValidationFailed("the order cannot be captured: " + "; ".join(f"{e.field}: {e.message}" for e in errors[:3]),
                               field_errors=errors)
    lines = [OrderLine(line_no=i + 1, sku=l["sku"], qty=l["qty"],
                       unit_price_paise=l["unit_price_paise"] if l.get("unit_price_paise") is not None
                       else skus[l["sku"]].unit_price_paise)
             for i, l in enumerate(lines_in)]
    address = Address(name=to["name"], line1=to["line1"], line2=to.get("line2", ""), city=to["city"], state=state,
                      pin=to.get("pin") or "", phone=to.get("phone", ""), email=to.get("email", ""), lat=lat, lon=lon)
    return Order(
        id="ord_" + secrets.token_hex(8), channel=body["channel"], external_id=body["external_id"], ship_to=address,
        lines=lines, payment_mode=PaymentMode(body["payment_mode"]), status=OrderStatus.CREATED,
        priority=body.get("priority", 0), tags=list(body.get("tags") or []), promised_days=body.get("promised_days"),
        delivery_mode=mode, pickup_node=body.get("pickup_node"), customer_id=body.get("customer_id"),
        created_at=now(),
    )


def _store_validated(uow, ctx, order: Order, digest: str, actor: str) -> None:
    """Run validation rules on the new order and store it once, already
    VALIDATED / ON_HOLD / CANCELLED; its events still tell CREATED -> that status, in that order."""
    target, reason, outcome = runtime.validate_new(uow, ctx, order)
    ORDER_MACHINE.check(OrderStatus.CREATED, target)
    order.status = target
    # (the revision token read along with the INSERT where the backend can: see _store_new)
    uow.confirm_revision(uow.orders.add(order, request_hash=digest, status_reason=reason,
                                        hold_reason=reason if target == OrderStatus.ON_HOLD else None,
                                        with_revision=True))
    record(uow, "order", order.id, "captured", actor, to_status=OrderStatus.CREATED,
           reason=f"captured from {order.channel}", external_id=order.external_id)
    runtime.record_validation(uow, order, outcome, actor)
    record(uow, "order", order.id, "status_changed", actor, from_status=OrderStatus.CREATED, to_status=target,
           reason=reason)


# ------------------------------------------------------------------ allocate
def allocate(ctx, order_id: str, actor: str, *, event_type: str = "allocated", held: tuple[Order, int] | None = None,
             quiet: bool = False):
    """Solve and reserve in one transaction; re-solve against fresh stock when a reservation loses a race.

    ``held``: (order, version) as the caller's own committed transaction left it (a capture), or as a
    backorder retry read it with no shipment and no rejection. While the stored version is still that,
    nothing has happened to the order since, so it is neither read again nor searched for shipments and
    rejections (it has none).
    ``quiet``: a backorder retry (``services.orders.backorders``): a BACKORDERED order that still cannot be
    completed is left as it is, with nothing written.
    """
    last_conflict = None
    for _ in range(ctx.settings.reserve_retries + 1):
        try:
            with ctx.uow() as uow:
                order, untouched = _locked(uow, order_id, held)
                outcome = allocate_in(uow, ctx, order, actor, routing=runtime.routing_for(uow, ctx, order),
                                      event_type=event_type, untouched=untouched, quiet=quiet)
                uow.commit()
                outcome.events = uow.events.recorded
                return outcome
        except ReservationConflict as exc:
            last_conflict = exc
            metrics.RESOLVES.inc()
    with ctx.uow() as uow:
        # The stock kept moving: whatever of the order is still unplaced waits (if the order is still
        # plannable; it may have been cancelled or allocated by someone else meanwhile).
        order = uow.orders.get(order_id, for_update=True)
        if order is not None and order.status in ALLOCATABLE and not (quiet and order.status == OrderStatus.BACKORDERED):
            units = remaining_units(order, uow.shipments.for_order(order_id))
            if units:
                backorder(uow, order, units, actor,
                          f"stock kept moving while reserving ({last_conflict}); will retry when stock arrives")
                uow.commit()
    return None


def _locked(uow, order_id: str, held: tuple[Order, int] | None) -> tuple[Order, bool]:
    """The order with its row locked, and whether it is exactly ``held`` (see :func:`allocate`)."""
    if held is not None and held[1] is not None:
        version, token = uow.orders.lock_with_revision(order_id)
        if version is not None:
            uow.saw_revision(token)
        if version == held[1]:
            # A reservation conflict retries before anything changed the held order, so it can be reused.
            return held[0], True
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order, False


def allocate_order(ctx, principal: Principal, order_id: str) -> dict:
    principal.require(Role.ADMIN, Role.CHANNEL)
    _visible(ctx, principal, order_id)
    allocate(ctx, order_id, principal.actor)
    return queries.order_view(ctx, principal, order_id)


def _visible(ctx, principal: Principal, order_id: str) -> Order:
    with ctx.uow(readonly=True) as uow:
        order = uow.orders.get(order_id)
    if order is None or not principal.sees_channel(order.channel):
        raise NotFound(f"order {order_id} not found")
    return order


# ------------------------------------------------------------------ cancel / hold
def cancel(ctx, principal: Principal, order_id: str, reason: str,
           lines: Mapping[int, int] | Iterable[tuple[int, int]] | None = None) -> dict:
    """Cancel the order (``lines`` None) or some line quantities ((line_no, qty) pairs, each line once);
    stock reserved for them is released and the order's status follows its units."""
    principal.require(Role.ADMIN, Role.CHANNEL)
    pairs = None if lines is None else list(lines.items() if isinstance(lines, Mapping) else lines)
    if pairs is not None:
        _check_cancel_lines(pairs)
    _visible(ctx, principal, order_id)
    with ctx.uow() as uow:
        order = uow.orders.get(order_id, for_update=True)
        shipments = uow.shipments.for_order(order_id)
        live = [s for s in shipments if s.status in CANCELLABLE_SHIPMENTS]
        if pairs is None:
            if order.status == OrderStatus.CANCELLED:
                raise Conflict(f"order {order_id} is already cancelled")
            if any(s.status not in CANCELLABLE_SHIPMENTS | {ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED}
                   for s in shipments):
                raise Conflict(f"order {order_id} has shipped units; cancel the unshipped lines instead")
            for s in shipments:
                if s.status in CANCELLABLE_SHIPMENTS:
                    _cancel_shipment(uow, s, principal.actor, reason)
            for line in order.lines:
                uow.orders.set_cancelled_qty(order_id, line.line_no, line.qty)
            move_order(uow, order, OrderStatus.CANCELLED, principal.actor, reason)
        else:
            _cancel_lines(uow, order, shipments, dict(pairs), principal.actor, reason)
        uow.commit()
    _cancel_bookings(ctx, live)
    return queries.order_view(ctx, principal, order_id)


def _cancel_bookings(ctx, shipments) -> None:
    """After the commit: the carrier bookings of those of ``shipments`` now cancelled (booked before packing,
    or packed and booked) are cancelled with the carrier, as a node's rejection does."""
    for s in shipments:
        if s.status == ShipmentStatus.CANCELLED:
            carrier_booking.cancel_if_booked(ctx, s.id)


def _check_cancel_lines(pairs: list[tuple[int, int]]) -> None:
    """An empty list cancels nothing (leave ``lines`` out to cancel the whole order); a line given twice
    is ambiguous (two entries of one unit each: one unit or two?)."""
    if not pairs:
        raise ValidationFailed("no line to cancel: give at least one line, or leave `lines` out to cancel the "
                               "whole order", field_errors=[FieldError("lines", "must not be empty")])
    first: dict[int, int] = {}
    errors = []
    for i, (no, _qty) in enumerate(pairs):
        if no in first:
            errors.append(FieldError(f"lines.{i}.line_no", f"line {no} is already given at lines.{first[no]}; "
                                                           "give each line once with the total quantity"))
        first.setdefault(no, i)
    if errors:
        raise ValidationFailed("a line appears more than once in the cancellation", field_errors=errors)


def _cancel_lines(uow, order: Order, shipments, lines: dict[int, int], actor: str, reason: str) -> None:
    if order.status in (OrderStatus.CANCELLED, OrderStatus.DELIVERED, OrderStatus.SHIPPED, OrderStatus.RTO,
                        OrderStatus.PICKED_UP):
        raise Conflict(f"order {order.id} is {order.status}; nothing left to cancel")
    errors = []
    line_nos = {line.line_no for line in order.lines}
    for no, qty in lines.items():
        if no not in line_nos:
            errors.append(FieldError(f"lines.{no}", f"order has no line {no}"))
            continue
        unshipped = order.line(no).open_qty - sum(
            sl.qty for s in shipments if s.status not in CANCELLABLE_SHIPMENTS | {ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED}
            for sl in s.lines if sl.line_no == no)
        if qty > unshipped:
            errors.append(FieldError(f"lines.{no}.qty", f"only {unshipped} unit(s) of line {no} can still be cancelled"))
    if errors:
        raise ValidationFailed("cannot cancel those quantities", field_errors=errors)
    released: set[str] = set()
    for no, qty in sorted(lines.items()):
        # Take the units out of not-yet-shipped shipments first, newest plan first.
        left = qty - _unplaced(order, shipments, no)
        for s in sorted((s for s in shipments if s.status in CANCELLABLE_SHIPMENTS), key=lambda s: s.id, reverse=True):
            if left <= 0:
                break
            for sl in s.lines:
                if sl.line_no == no and sl.qty > 0 and left > 0:
                    take = min(sl.qty, left)
                    uow.inventory.release(s.node, sl.sku, take)
                    released.add(sl.sku)
                    uow.shipments.set_line_qty(s.id, no, sl.qty - take)
                    sl.qty -= take
                    left -= take
            if all(sl.qty == 0 for sl in s.lines):
                uow.shipments.set_status(s.id, ShipmentStatus.CANCELLED)
                carrier_booking.request_cancel(uow, s.id)
                record(uow, "shipment", s.id, "status_changed", actor, from_status=s.status,
                       to_status=ShipmentStatus.CANCELLED, reason=reason, order_id=order.id)
                s.status = ShipmentStatus.CANCELLED
        line = order.line(no)
        line.cancelled_qty += qty
        uow.orders.set_cancelled_qty(order.id, no, line.cancelled_qty)
    for s in shipments:  # an invoiced shipment that carries fewer units now: its invoice is credited for them
        credit_notes.credit_unshipped(uow, s.id, actor, reason)
    if released:
        bus.send(uow, RetryBackorders.of(released, "released"))
    record(uow, "order", order.id, "lines_cancelled", actor, reason=reason, lines={str(k): v for k, v in lines.items()})
    # The rest decides the status: all cancelled, or no longer waiting, or only shipped units left.
    settle(uow, order, shipments, actor, reason)


def _unplaced(order: Order, shipments, line_no: int) -> int:
    placed = sum(sl.qty for s in shipments if s.status not in (ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED)
                 for sl in s.lines if sl.line_no == line_no)
    return max(0, order.line(line_no).open_qty - placed)


def _cancel_shipment(uow, shipment, actor: str, reason: str) -> None:
    release_reservation(uow, shipment)
    uow.shipments.set_status(shipment.id, ShipmentStatus.CANCELLED)
    carrier_booking.request_cancel(uow, shipment.id)
    credit_notes.credit_unshipped(uow, shipment.id, actor, reason)
    record(uow, "shipment", shipment.id, "status_changed", actor, from_status=shipment.status,
           to_status=ShipmentStatus.CANCELLED, reason=reason, order_id=shipment.order_id)
    shipment.status = ShipmentStatus.CANCELLED


def release_reservation(uow, shipment) -> None:
    """Give back the stock a shipment holds (it is being rejected or cancelled) and queue a backorder retry
    of its SKUs in the same transaction: waiting orders may take it."""
    if shipment.status in HOLDING:
        need: dict[str, int] = defaultdict(int)
        for line in shipment.lines:
            need[line.sku] += line.qty
        for sku in sorted(need):
            if need[sku]:
                uow.inventory.release(shipment.node, sku, need[sku])
        bus.send(uow, RetryBackorders.of([sku for sku in need if need[sku]], "released"))


def hold(ctx, principal: Principal, order_id: str, reason: str) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        order = uow.orders.get(order_id, for_update=True)
        if order is None:
            raise NotFound(f"order {order_id} not found")
        shipments = uow.shipments.for_order(order_id)
        if any(s.status not in (ShipmentStatus.ALLOCATED, ShipmentStatus.ACCEPTED, ShipmentStatus.REJECTED,
                                ShipmentStatus.CANCELLED) for s in shipments):
            raise Conflict(f"order {order_id} has packed or shipped units; it can no longer be held")

        ORDER_MACHINE.check(order.status, OrderStatus.ON_HOLD)
        live = [s for s in shipments if s.status in CANCELLABLE_SHIPMENTS]
        for s in shipments:
            if s.status in (ShipmentStatus.ALLOCATED, ShipmentStatus.ACCEPTED):
                _cancel_shipment(uow, s, principal.actor, f"order put on hold: {reason}")
        move_order(uow, order, OrderStatus.ON_HOLD, principal.actor, reason)
        uow.commit()
    _cancel_bookings(ctx, live)
    return queries.order_view(ctx, principal, order_id)


def release_hold(ctx, principal: Principal, order_id: str, reason: str) -> dict:
    """Release the hold and (with auto-allocation) allocate in the same transaction: an answer that fails
    changed nothing, so the client's retry finds the order still on hold (not released and left unplanned)."""
    principal.require(Role.ADMIN)
    attempts = ctx.settings.reserve_retries + 1 if ctx.settings.auto_allocate else 1
    for attempt in range(attempts):
        try:
            with ctx.uow() as uow:
                order = uow.orders.get(order_id, for_update=True)
                if order is None:
                    raise NotFound(f"order {order_id} not found")
                if order.status != OrderStatus.ON_HOLD:
                    raise Conflict(f"order {order_id} is {order.status}, not on hold")
                move_order(uow, order, OrderStatus.VALIDATED, principal.actor, reason)
                if ctx.settings.auto_allocate:
                    if attempt + 1 < attempts:
                        allocate_in(uow, ctx, order, principal.actor, routing=runtime.routing_for(uow, ctx, order))
                    else:  # the stock kept moving under every plan: released, and its units wait
                        backorder(uow, order, remaining_units(order, uow.shipments.for_order(order_id)),
                                  principal.actor, "stock kept moving while reserving; will retry when stock arrives")
                uow.commit()
                break
        except ReservationConflict:
            continue
    return queries.order_view(ctx, principal, order_id)
