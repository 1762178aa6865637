"""Finding orders (issue 27): every filter of ``GET /orders`` and the console's search, on an index.

Status, channel, PIN and the date range use the orders table's indexes; the shop's order number
(``channel_order_number``), priority and tags the indexes of ``tables.order_search`` (tags: JSONB
containment under a GIN index on PostgreSQL); e-mail and phone the expression indexes of migration 0014
(compared in the same normalised form); AWB the unique index on ``shipments.awb``. Pages are keyset pages
on (created_at, id), newest first, like every list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from omnialloc.domain import Order
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.orders import OrderRepository
from omnialloc.store.tables.orders import orders
from omnialloc.store.tables.shipments import shipments


def normalised_phone(column_or_value):
    return sa.func.replace(sa.func.replace(column_or_value, sa.literal_column("' '"), sa.literal_column("''")),
                           sa.literal_column("'-'"), sa.literal_column("''"))


class OrderSearchRepository(Repository):
    def set_channel_order_number(self, order_id: str, number: str) -> bool:
        return self.conn.execute(orders.update().where(orders.c.id == order_id).values(
            channel_order_number=number)).rowcount == 1

    def channel_order_numbers(self, order_ids: Iterable[str]) -> dict[str, str]:
        ids = list(order_ids)
        if not ids:
            return {}
        q = sa.select(orders.c.id, orders.c.channel_order_number).where(orders.c.id.in_(ids),
                                                                         orders.c.channel_order_number.is_not(None))
        return {r.id: r.channel_order_number for r in self.conn.execute(q)}

    def keys(self, *, after: tuple[datetime, str] | None = None, limit: int = 50, **filters
             ) -> list[tuple[datetime, str]]:
        """(created_at, id) of up to ``limit`` matching orders, newest first, after the keyset position."""
        return [(r.created_at, r.id) for r in self.conn.execute(self.key_select(after=after, limit=limit, **filters))]

    def key_select(self, *, status: str | None = None, channel: str | None = None, tag: str | None = None,
             priority: int | None = None, min_priority: int | None = None, pin: str | None = None,
             phone: str | None = None, email: str | None = None, awb: str | None = None,
             number: str | None = None, external_id: str | None = None, customer_id: str | None = None,
             node: str | None = None, created_from: datetime | None = None, created_to: datetime | None = None,
             after: tuple[datetime, str] | None = None, limit: int = 50) -> sa.Select:
        """The statement of :meth:`keys` (an export joins it as a subquery instead of sending the ids back)."""
        q = sa.select(orders.c.created_at, orders.c.id)
        if status is not None:
            q = q.where(orders.c.status == str(status))
        if channel is not None:
            q = q.where(orders.c.channel == channel)
        if tag is not None:
            if self.conn.dialect.name == "postgresql":
                # JSONB containment (@>), which the GIN index answers; the column's generic JSON type would
                # render contains() as LIKE.
                q = q.where(sa.type_coerce(orders.c.tags, postgresql.JSONB).contains([tag]))
            else:
                each = sa.func.json_each(orders.c.tags).table_valued("value")
                q = q.where(sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value == tag)))
        if priority is not None:
            q = q.where(orders.c.priority == priority)
        if min_priority is not None:
            q = q.where(orders.c.priority >= min_priority)
        if pin is not None:
            q = q.where(orders.c.ship_pin == pin)
        if phone is not None:
            q = q.where(normalised_phone(orders.c.ship_phone) == phone.replace(" ", "").replace("-", ""))
        if email is not None:
            q = q.where(sa.func.lower(orders.c.ship_email) == email.strip().lower())
        if awb is not None:
            q = q.where(orders.c.id.in_(sa.select(shipments.c.order_id).where(shipments.c.awb == awb)))
        if number is not None:
            bare = number.strip().lstrip("#")
            q = q.where(orders.c.channel_order_number.in_(sorted({number.strip(), bare, f"#{bare}"})))
        if external_id is not None:
            q = q.where(orders.c.external_id == external_id)
        if customer_id is not None:
            q = q.where(orders.c.customer_id == customer_id)
        if node is not None:
            q = q.where(sa.exists().where(shipments.c.order_id == orders.c.id, shipments.c.node == node))
        if created_from is not None:
            q = q.where(orders.c.created_at >= created_from)
        if created_to is not None:
            q = q.where(orders.c.created_at < created_to)
        if after is not None:
            at, last_id = after
            q = q.where(sa.or_(orders.c.created_at < at, sa.and_(orders.c.created_at == at, orders.c.id < last_id)))
        return q.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)

    def orders(self, order_ids: list[str]) -> list[Order]:
        """The orders (with lines) in the given order."""
        found = OrderRepository(self.conn).get_many(order_ids)
        return [found[i] for i in order_ids if i in found]
