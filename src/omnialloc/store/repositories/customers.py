"""Customers as the orders know them: which channel's customer a customer id, email address or phone is.

There is no customer table: a customer is whoever an order names, by ``customer_id``, by the
ship-to email address (lower-cased) or by the phone number (without spaces and dashes), the
three forms ``services.notifications.outbox.normalise_subject`` writes. A channel's customers are
those named by at least one of its orders (migration 0014 indexes each form by channel).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables.orders import orders

_EMAIL = sa.func.lower(orders.c.ship_email)
_PHONE = sa.func.replace(sa.func.replace(orders.c.ship_phone, sa.literal_column("' '"), sa.literal_column("''")),
                         sa.literal_column("'-'"), sa.literal_column("''"))


class CustomerRepository(Repository):
    def of_channel(self, channel: str, subject: str) -> bool:
        """Whether an order of ``channel`` names ``subject`` (a customer id, or a normalised email or phone)."""
        forms: list[sa.ColumnElement[Any]] = [orders.c.customer_id]
        if "@" in subject:
            forms.append(_EMAIL)
        elif subject.lstrip("+").isdigit():
            forms.append(_PHONE)
        found = sa.or_(*(sa.exists().where(form == subject, orders.c.channel == channel) for form in forms))
        return bool(self.conn.execute(sa.select(found)).scalar())

    def order_ids(self, subject: str, *, channel: str | None = None, limit: int = 50) -> list[str]:
        """The orders naming ``subject`` (a customer id, or a normalised email or phone), newest first; each
        form through its index (migration 0014)."""
        forms: list[sa.ColumnElement[Any]] = [orders.c.customer_id]
        if "@" in subject:
            forms.append(_EMAIL)
        elif subject.lstrip("+").isdigit():
            forms.append(_PHONE)
        q = sa.select(orders.c.id, orders.c.created_at).where(sa.or_(*(form == subject for form in forms)))
        if channel is not None:
            q = q.where(orders.c.channel == channel)
        q = q.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)
        return [r.id for r in self.conn.execute(q)]
