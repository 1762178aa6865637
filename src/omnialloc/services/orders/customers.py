"""A customer as customer service sees one: their orders, returns, payment requests and store credit.

There is no customer table (see ``store.repositories.customers``): a customer is whoever orders name by
customer id, e-mail address or phone number. A channel key sees only its channel's orders of them.
"""

from __future__ import annotations

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import NotFound
from omnialloc.services.access import Principal
from omnialloc.services.notifications.preferences import normalise_subject
from omnialloc.services.orders.queries import order_dict

READERS = (Role.ADMIN, Role.ANALYST, Role.CHANNEL)
LIMIT = 100


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def customer_view(ctx, principal: Principal, subject: str) -> dict:
    """Everything of the customer named by ``subject`` (customer id, e-mail or phone), newest first."""
    principal.require(*READERS)
    key = normalise_subject(subject)[:254]
    if not key:
        raise NotFound("no customer named")
    channel = principal.channel if principal.role == Role.CHANNEL else None
    with ctx.uow(readonly=True) as uow:
        ids = uow.customers.order_ids(key, channel=channel, limit=LIMIT)
        if not ids:
            raise NotFound(f"no orders of customer {subject!r}")
        found = uow.orders.get_many(ids)
        orders = [found[i] for i in ids if i in found]
        returns = [r for o in orders for r in uow.returns.for_order(o.id)]
        customer_ids = sorted({o.customer_id for o in orders if o.customer_id})
        credit = {cid: uow.store_credit.balance(cid) for cid in customer_ids}
        ledger = [e for cid in customer_ids for e in uow.store_credit.ledger(cid)
                  if channel is None or e.channel in (None, channel)]
        requests = [p for o in orders for p in uow.payment_requests.for_order(o.id) if p.order_id == o.id]
    newest = orders[0]
    returns.sort(key=lambda r: r.created_at, reverse=True)
    ledger.sort(key=lambda e: e.at, reverse=True)
    return {
        "subject": subject, "key": key, "name": newest.ship_to.name, "phone": newest.ship_to.phone,
        "email": newest.ship_to.email, "customer_ids": customer_ids,
        "orders": [order_dict(o) for o in orders], "truncated": len(ids) >= LIMIT,
        "returns": [{"id": r.id, "order_id": r.order_id, "status": str(r.status), "resolution": r.resolution,
                     "created_at": _iso(r.created_at), "exchange_order_id": r.exchange_order_id,
                     "units": sum(l.qty for l in r.lines),
                     "reasons": sorted({l.reason for l in r.lines})} for r in returns],
        "payment_requests": [{"id": p.id, "order_id": p.order_id, "amount_paise": p.amount_paise,
                              "status": p.status, "created_at": _iso(p.created_at)} for p in requests],
        "store_credit": {"balances": credit, "total_paise": sum(credit.values()),
                         "ledger": [{"customer_id": e.customer_id, "delta_paise": e.delta_paise,
                                     "balance_after_paise": e.balance_after_paise, "reason": e.reason,
                                     "order_id": e.order_id, "return_id": e.return_id, "at": _iso(e.at)}
                                    for e in ledger[:50]]},
    }
