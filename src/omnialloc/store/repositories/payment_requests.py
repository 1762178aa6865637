"""Payment requests (Core SQL in, ``domain.payments.PaymentRequest`` out): add, read by order, return or
customer, and settle once (a conditional update: a request that is no longer pending is not changed)."""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.domain.payments import PENDING, PaymentRequest
from omnialloc.store.repositories._base import Repository, utcnow
from omnialloc.store.tables.payment_requests import payment_requests

P = payment_requests


def _request(row) -> PaymentRequest:
    return PaymentRequest(**row._mapping)


class PaymentRequestRepository(Repository):
    def get(self, request_id: str) -> PaymentRequest | None:
        row = self.conn.execute(sa.select(P).where(P.c.id == request_id)).first()
        return None if row is None else _request(row)

    def for_return(self, return_id: str) -> PaymentRequest | None:
        row = self.conn.execute(sa.select(P).where(P.c.return_id == return_id)).first()
        return None if row is None else _request(row)

    def for_order(self, order_id: str) -> list[PaymentRequest]:
        """Those asked on ``order_id`` or on the exchange order it is (oldest first)."""
        q = (sa.select(P).where(sa.or_(P.c.order_id == order_id, P.c.exchange_order_id == order_id))
             .order_by(P.c.created_at, P.c.id))
        return [_request(r) for r in self.conn.execute(q)]

    def for_customer(self, customer_id: str, *, channel: str | None = None) -> list[PaymentRequest]:
        q = sa.select(P).where(P.c.customer_id == customer_id)
        if channel is not None:
            q = q.where(P.c.channel == channel)
        return [_request(r) for r in self.conn.execute(q.order_by(P.c.created_at.desc(), P.c.id))]

    def add(self, req: PaymentRequest) -> None:
        self.conn.execute(P.insert().values(**{k: getattr(req, k) for k in P.c.keys()}))

    def settle(self, request_id: str, status: str, *, actor: str, reference: str | None) -> bool:
        """``pending`` -> ``status``; False when it was not pending (settled already, or no such request)."""
        q = (P.update().where(P.c.id == request_id, P.c.status == PENDING)
             .values(status=status, reference=reference, settled_at=utcnow(), settled_by=actor))
        return self.conn.execute(q).rowcount == 1
