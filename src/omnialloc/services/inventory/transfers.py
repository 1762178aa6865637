"""Stock transfer orders between nodes: create, dispatch (in transit), receive, cancel.

Stock moves in the states the issue asks for:

* CREATED: nothing moves yet (no reservation: the invariant "reserved ==
  units of live shipments" stays exact). Creation checks that the source has
  the units available now, so an impossible transfer is refused early.
* DISPATCHED (in transit): each line leaves the source's on-hand with one
  conditional decrement that never takes reserved units; the units are then
  counted only on the transfer.
* RECEIVED: the destination's on-hand goes up by what it counted in
  (``received_qty``, default the dispatched qty; a short receipt is recorded);
  backordered orders wanting those SKUs are retried.

Each step is one transaction with a ``transfer`` event (and ``inventory``
events with reasons transfer_out / transfer_in). The rebalancing batch calls
``create_transfer(ctx, source, destination, lines, actor=..., origin="rebalance",
plan_key=...)``: with a ``plan_key`` creation is idempotent -- a transfer
already created under that key (unique column) is returned as it is, so a
killed apply can be re-run without doubling a transfer.
"""

from __future__ import annotations

import secrets

from omnialloc.domain.enums import Role, TransferStatus
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.states import TRANSFER_MACHINE
from omnialloc.domain.transfers import Transfer, TransferLine
from omnialloc.services.access import SYSTEM, Principal
from omnialloc.services.events import now, record
from omnialloc.services import bus
from omnialloc.services.messages import RetryBackorders

_ACTORS = (Role.ADMIN, Role.NODE)


def create_transfer(ctx, source: str, destination: str, lines: dict[str, int] | list[dict], *,
                    actor: str = SYSTEM.actor, reason: str = "", origin: str = "manual",
                    principal: Principal | None = None, plan_key: str | None = None) -> dict:
    """Create a transfer order (CREATED). ``lines``: {sku: qty} or [{"sku", "qty"}]. Returns its view
    (with ``plan_key``: the transfer already created under that key, if any, unchanged)."""
    if principal is not None:
        principal.require(Role.ADMIN)
        actor = principal.actor
    if isinstance(lines, dict):
        lines = [{"sku": k, "qty": v} for k, v in lines.items()]
    errors = []
    if source == destination:
        errors.append(FieldError("destination", "must differ from the source"))
    merged: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line["sku"] in merged:
            errors.append(FieldError(f"lines.{i}.sku", "duplicate SKU; merge the quantities"))
        elif not isinstance(line["qty"], int) or line["qty"] <= 0:
            errors.append(FieldError(f"lines.{i}.qty", "must be a positive whole number"))
        merged[line["sku"]] = line["qty"]
    if not lines:
        errors.append(FieldError("lines", "a transfer needs at least one line"))
    if plan_key is not None:
        existing = by_plan_key(ctx, plan_key)
        if existing is not None:
            return get(ctx, SYSTEM, existing)
    with ctx.uow() as uow:
        for fname, code in (("source", source), ("destination", destination)):
            if uow.nodes.get(code) is None:
                errors.append(FieldError(fname, f"unknown node {code!r}"))
        known = set(uow.skus.get_many(sorted(merged)))
        for i, line in enumerate(lines):
            if line["sku"] not in known:
                errors.append(FieldError(f"lines.{i}.sku", f"unknown SKU {line['sku']!r}"))
        if not errors:
            atp = uow.inventory.atp_for(sorted(merged), [source])
            for i, line in enumerate(lines):
                pos = uow.inventory.get(source, line["sku"])
                free = 0 if pos is None else pos.on_hand - pos.reserved
                if free < line["qty"]:
                    errors.append(FieldError(f"lines.{i}.qty", f"{source} has only {max(free, 0)} unreserved unit(s) "
                                                               f"of {line['sku']} (ATP {atp.get((source, line['sku']), 0)})"))
        if errors:
            raise ValidationFailed("the transfer cannot be created: " + errors[0].message, field_errors=errors)
        at = now()
        transfer = Transfer(id="trf_" + secrets.token_hex(8), source=source, destination=destination,
                            status=TransferStatus.CREATED, reason=reason, origin=origin, created_by=actor,
                            created_at=at, updated_at=at, plan_key=plan_key,
                            lines=tuple(TransferLine(s, q) for s, q in merged.items()))
        if uow.transfers.add(transfer):
            tid = transfer.id
            record(uow, "transfer", tid, "created", actor, to_status=TransferStatus.CREATED, reason=reason or None,
                   source=source, destination=destination, lines=merged, origin=origin, plan_key=plan_key)
            uow.commit()
        else:  # a concurrent apply created it first: theirs stands
            uow.rollback()
            tid = None
    if tid is None and plan_key is not None:  # add() refuses a transfer only when its plan_key is taken
        tid = by_plan_key(ctx, plan_key)
    if tid is None:
        raise NotFound(f"transfer {tid} not found")  # as get() answered for None
    return get(ctx, SYSTEM, tid)


def by_plan_key(ctx, plan_key: str) -> str | None:
    """The id of the transfer created under ``plan_key``, or None."""
    with ctx.uow(readonly=True) as uow:
        return uow.transfers.by_plan_key(plan_key)


def _load(uow, tid: str, principal: Principal, *, for_update: bool = False) -> Transfer:
    transfer = uow.transfers.get(tid, for_update=for_update)
    if transfer is None or (principal.role == Role.NODE and not transfer.touches(principal.node)):
        raise NotFound(f"transfer {tid} not found")
    return transfer


def _view(uow, t: Transfer) -> dict:
    return {
        "id": t.id, "source": t.source, "destination": t.destination, "status": str(t.status),
        "reason": t.reason, "origin": t.origin, "created_by": t.created_by, "created_at": t.created_at,
        "updated_at": t.updated_at, "dispatched_at": t.dispatched_at, "received_at": t.received_at,
        "lines": [{"sku": l.sku, "qty": l.qty, "received_qty": l.received_qty} for l in t.lines],
        "events": [{"type": e.type, "from_status": e.from_status, "to_status": e.to_status, "actor": e.actor,
                    "reason": e.reason, "at": e.at} for e in uow.events.for_entity("transfer", t.id)],
    }


def get(ctx, principal: Principal, tid: str) -> dict:
    principal.require(Role.ADMIN, Role.ANALYST, Role.NODE)
    with ctx.uow(readonly=True) as uow:
        return _view(uow, _load(uow, tid, principal))


def list_transfers(ctx, principal: Principal, *, status: str | None = None, node: str | None = None,
                   limit: int = 100) -> dict:
    principal.require(Role.ADMIN, Role.ANALYST, Role.NODE)
    touching = [n for n in (node, principal.node if principal.role == Role.NODE else None) if n]
    with ctx.uow(readonly=True) as uow:
        found = uow.transfers.newest_first(status=status, touching=touching,
                                           limit=max(1, min(limit, ctx.settings.max_page_size)))
        return {"items": [_view(uow, t) for t in found]}


def _move(uow, t: Transfer, target: TransferStatus, actor: str, reason: str | None, **stamps) -> None:
    TRANSFER_MACHINE.check(t.status, target)
    if not uow.transfers.move(t, target, now(), **stamps):
        raise Conflict(f"transfer {t.id} changed underneath; retry")
    record(uow, "transfer", t.id, "status_changed", actor, from_status=t.status, to_status=target, reason=reason)


def dispatch(ctx, principal: Principal, tid: str) -> dict:
    """The source hands the goods over: on-hand at the source drops now; the units are in transit."""
    principal.require(*_ACTORS)
    with ctx.uow() as uow:
        transfer = _load(uow, tid, principal, for_update=True)
        if principal.role == Role.NODE and principal.node != transfer.source:
            raise NotFound(f"transfer {tid} not found")  # the destination cannot dispatch
        _move(uow, transfer, TransferStatus.DISPATCHED, principal.actor, f"dispatched from {transfer.source}",
              dispatched_at=now())
        errors = []
        for line in transfer.lines:  # sorted by sku: a fixed order with other writers
            if not uow.inventory.adjust(transfer.source, line.sku, -line.qty):
                errors.append(FieldError(f"lines.{line.sku}", f"{transfer.source} no longer has {line.qty} unreserved "
                                                              f"unit(s) of {line.sku}"))
            else:
                record(uow, "inventory", f"{transfer.source}:{line.sku}", "adjusted", principal.actor,
                       reason="transfer_out", delta=-line.qty, note=f"transfer {tid}", node=transfer.source, sku=line.sku)
        if errors:
            raise Conflict("the transfer cannot be dispatched: " + errors[0].message, field_errors=errors)
        uow.commit()
        return _view(uow, _load(uow, tid, principal))


def receive(ctx, principal: Principal, tid: str, received: dict[str, int] | None = None) -> dict:
    """The destination counts the goods in: its on-hand goes up; backorders for those SKUs are retried."""
    principal.require(*_ACTORS)
    received = received or {}
    with ctx.uow() as uow:
        transfer = _load(uow, tid, principal, for_update=True)
        if principal.role == Role.NODE and principal.node != transfer.destination:
            raise NotFound(f"transfer {tid} not found")
        by_sku = {l.sku: l for l in transfer.lines}
        errors = [FieldError(f"received.{sku}", "not a line of this transfer") for sku in received if sku not in by_sku]
        errors += [FieldError(f"received.{sku}", f"must be between 0 and the {by_sku[sku].qty} dispatched")
                   for sku, q in received.items() if sku in by_sku and not 0 <= q <= by_sku[sku].qty]
        if errors:
            raise ValidationFailed("the receipt does not match the transfer", field_errors=errors)
        short = {s: l.qty - received[s] for s, l in by_sku.items() if s in received and received[s] < l.qty}
        _move(uow, transfer, TransferStatus.RECEIVED, principal.actor,
              f"received at {transfer.destination}" + (f"; short {short}" if short else ""), received_at=now())
        arrived = set()
        for sku, line in sorted(by_sku.items()):
            qty = received.get(sku, line.qty)
            uow.transfers.set_received(tid, sku, qty)
            if qty:
                uow.inventory.adjust(transfer.destination, sku, qty)
                arrived.add(sku)
                record(uow, "inventory", f"{transfer.destination}:{sku}", "adjusted", principal.actor,
                       reason="transfer_in", delta=qty, note=f"transfer {tid}", node=transfer.destination, sku=sku)
        # waiting orders get it from the backorder worker
        queued = bus.send(uow, RetryBackorders.of(arrived, "transfer_in"))
        uow.commit()
        view = _view(uow, _load(uow, tid, principal))
    view["backorder_retries_queued"] = queued
    return view


def cancel(ctx, principal: Principal, tid: str, reason: str) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        transfer = _load(uow, tid, principal, for_update=True)
        _move(uow, transfer, TransferStatus.CANCELLED, principal.actor, reason)
        uow.commit()
        return _view(uow, _load(uow, tid, principal))


def in_transit(ctx) -> dict[tuple[str, str], int]:
    """Units dispatched and not yet received, per (destination, sku): stock on its way."""
    with ctx.uow(readonly=True) as uow:
        return uow.transfers.in_transit()
