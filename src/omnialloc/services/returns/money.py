"""Money of returns beyond the refund: the price difference of an exchange, payment requests, and an order's
money trail (what was charged, requested, refunded and credited, in time order).

An exchange ships a replacement at the replacement SKU's catalogue price (the same SKU: at the price paid).
When that is dearer than what the returned units cost the buyer, the difference is a payment request
(``pending`` until the shop settles it: ``paid`` or ``cancelled``), raised with the exchange order; when it
is cheaper, the difference is refunded once the returned units are received (as a plain refund is). Both
are integer paise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.payments import SETTLED
from omnialloc.domain.returns import ReturnLine
from omnialloc.services.access import Principal
from omnialloc.services.events import record

SETTLERS = (Role.ADMIN, Role.CHANNEL)
READERS = (Role.ADMIN, Role.ANALYST, Role.CHANNEL)


def replacement_price(line: ReturnLine, catalogue_price: Mapping[str, int]) -> int:
    """The unit price the replacement of ``line`` ships at: the same SKU keeps the price paid; another SKU
    costs its catalogue price."""
    sku = line.exchange_sku or line.sku
    return line.unit_price_paise if sku == line.sku else catalogue_price[sku]


def exchange_difference(lines: Iterable[ReturnLine], price_of: Mapping[str, int]) -> int:
    """What the customer owes (> 0) or is owed (< 0) for replacing ``lines``, in paise. ``price_of``: the
    replacement unit price by SKU as the exchange order holds it."""
    return sum((price_of.get(l.exchange_sku or l.sku, l.unit_price_paise) - l.unit_price_paise) * l.qty
               for l in lines)


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def request_dict(req) -> dict:
    return {k: _iso(getattr(req, k)) for k in (
        "id", "order_id", "return_id", "exchange_order_id", "customer_id", "amount_paise", "currency", "status",
        "reason", "reference", "created_at", "settled_at", "settled_by")}


def money_trail(ctx, principal: Principal, order_id: str) -> dict:
    """Every movement of money on ``order_id``, oldest first: the charge at capture, payment requests,
    refunds and store credit given or spent; with totals (paise)."""
    principal.require(*READERS)
    with ctx.uow(readonly=True) as uow:
        order = uow.orders.get(order_id)
        if order is None or not principal.sees_channel(order.channel):
            raise NotFound(f"order {order_id} not found")
        requests = uow.payment_requests.for_order(order_id)
        refunds = uow.returns.refunds_for_order(order_id)
        credit = ([e for e in uow.store_credit.ledger(order.customer_id) if e.order_id == order_id]
                  if order.customer_id else [])
        exchange_of = uow.returns.by_exchange_order(order_id)
    cod = str(order.payment_mode) == "COD"
    if exchange_of is not None:
        first = {"kind": "exchange", "at": order.created_at, "amount_paise": 0,
                 "text": f"replacement for return {exchange_of.id} of order {exchange_of.order_id} "
                         f"(worth {order.value_paise} paise; settled by that return)"}
    else:
        first = {"kind": "charge", "at": order.created_at, "amount_paise": order.value_paise,
                 "text": "to collect on delivery (COD)" if cod else "paid at checkout (prepaid)"}
    entries = [first]
    for r in requests:
        entries.append({"kind": "payment_request", "at": r.created_at, "amount_paise": r.amount_paise,
                        "status": r.status, "id": r.id, "return_id": r.return_id, "text": r.reason})
    for f in refunds:
        entries.append({"kind": "refund", "at": f.created_at, "amount_paise": -f.amount_paise, "status": f.status,
                        "id": f.id, "return_id": f.return_id, "text": f"refund via {f.method}"})
    for e in credit:
        entries.append({"kind": "store_credit", "at": e.at, "amount_paise": -e.delta_paise,
                        "return_id": e.return_id,
                        "text": ("store credit issued" if e.delta_paise > 0 else "paid with store credit")
                        + (f": {e.reason}" if e.reason else "")})
    entries.sort(key=lambda e: (e["at"], e["kind"]))
    for e in entries:
        e["at"] = _iso(e["at"])
    return {
        "order_id": order_id, "currency": order.currency, "entries": entries,
        "charged_paise": first["amount_paise"],
        "requested_pending_paise": sum(r.amount_paise for r in requests if r.status == "pending"),
        "requested_paid_paise": sum(r.amount_paise for r in requests if r.status == "paid"),
        "refunded_paise": sum(f.amount_paise for f in refunds),
        "credited_paise": sum(e.delta_paise for e in credit if e.delta_paise > 0),
        "payment_requests": [request_dict(r) for r in requests],
    }


def settle_payment_request(ctx, principal: Principal, request_id: str, body: dict) -> dict:
    """The shop collected (``paid``) or waived (``cancelled``) a pending payment request; once only."""
    principal.require(*SETTLERS)
    status = body.get("status")
    if status not in SETTLED:
        raise ValidationFailed("status is paid or cancelled",
                               field_errors=[FieldError("status", "one of: paid, cancelled")])
    reference = (body.get("reference") or "").strip() or None
    if reference is not None and len(reference) > 200:
        raise ValidationFailed("the reference is longer than 200 characters",
                               field_errors=[FieldError("reference", "at most 200 characters")])
    with ctx.uow() as uow:
        req = uow.payment_requests.get(request_id)
        if req is None or not principal.sees_channel(req.channel):
            raise NotFound(f"payment request {request_id} not found")
        if not uow.payment_requests.settle(request_id, status, actor=principal.actor, reference=reference):
            raise Conflict(f"payment request {request_id} is {req.status} already")
        record(uow, "order", req.order_id, f"payment_{status}", principal.actor,
               reason=f"payment request {request_id} of {req.amount_paise} paise {status}"
                      + (f" (reference {reference})" if reference else ""),
               payment_request_id=request_id, amount_paise=req.amount_paise, return_id=req.return_id)
        uow.commit()
        req = uow.payment_requests.get(request_id)
    return request_dict(req)
