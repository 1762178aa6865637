"""Business aggregates for the analytics screen (Core SQL in, plain tuples and dicts out).

Every figure is over the orders created in ``[start, end)`` (and of one channel, when given): the range
scan is ``ix_orders_created_at_id`` (or ``ix_orders_channel_created_at``), and each fact table is reached
from those orders through its ``order_id`` index (shipments, returns, notifications), so the cost follows
the orders in the range, not the size of the store. Grouping happens in SQL; what comes back is small
(a row per day, per node, per reason, per count of shipments), whatever the number of orders.

Two expressions differ by backend: the UTC day of a timestamp (SQLite stores UTC text, so its first ten
characters; PostgreSQL formats it at UTC) and the days between two timestamps.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables.notifications import notifications
from omnialloc.store.tables.orders import order_lines, orders
from omnialloc.store.tables.returns import return_lines, returns
from omnialloc.store.tables.shipments import shipment_lines, shipments

O, S = orders, shipments
DEAD = ("REJECTED", "CANCELLED")           # shipments that carry nothing
REJECTED = "REJECTED"
DELIVERED = ("DELIVERED", "COLLECTED")


class AnalyticsRepository(Repository):
    # -------------------------------------------------------------- backend expressions
    def _day(self, col):
        if self.conn.dialect.name == "postgresql":
            return sa.func.to_char(sa.func.timezone("UTC", col), "YYYY-MM-DD")
        return sa.func.substr(col, 1, 10)

    def _days_between(self, earlier, later):
        if self.conn.dialect.name == "postgresql":
            return sa.extract("epoch", later - earlier) / 86400.0
        return sa.func.julianday(later) - sa.func.julianday(earlier)

    def _in_range(self, q, start: datetime, end: datetime, channel: str | None):
        q = q.where(O.c.created_at >= start, O.c.created_at < end)
        return q.where(O.c.channel == channel) if channel else q

    # -------------------------------------------------------------- orders
    def orders_per_day(self, start: datetime, end: datetime, channel: str | None) -> list[tuple]:
        """(day, orders, value_paise, cancelled) per UTC day of capture."""
        day = self._day(O.c.created_at).label("day")
        q = sa.select(day, sa.func.count().label("n"), sa.func.coalesce(sa.func.sum(O.c.value_paise), 0),
                      sa.func.sum(sa.case((O.c.status == "CANCELLED", 1), else_=0)))
        q = self._in_range(q, start, end, channel).group_by(day).order_by(day)
        return [tuple(r) for r in self.conn.execute(q)]

    def backorder_ages(self, start: datetime, end: datetime, channel: str | None, now: datetime) -> list[float]:
        """Age in days of each order of the range still BACKORDERED (few: the backlog, not the range)."""
        age = self._days_between(O.c.created_at, sa.literal(now, O.c.created_at.type))
        q = self._in_range(sa.select(age).where(O.c.status == "BACKORDERED"), start, end, channel)
        return [float(r[0]) for r in self.conn.execute(q)]

    def units(self, start: datetime, end: datetime, channel: str | None) -> dict[str, int]:
        """Units ordered (not cancelled), placed on a live shipment, and delivered, of the orders in range."""
        ordered = self._in_range(
            sa.select(sa.func.coalesce(sa.func.sum(order_lines.c.qty - order_lines.c.cancelled_qty), 0))
            .select_from(order_lines.join(O, O.c.id == order_lines.c.order_id)), start, end, channel)
        placed = sa.func.sum(sa.case((S.c.status.not_in(DEAD), shipment_lines.c.qty), else_=0))
        delivered = sa.func.sum(sa.case((S.c.status.in_(DELIVERED), shipment_lines.c.qty), else_=0))
        moved = self._in_range(
            sa.select(sa.func.coalesce(placed, 0), sa.func.coalesce(delivered, 0))
            .select_from(shipment_lines.join(S, S.c.id == shipment_lines.c.shipment_id)
                         .join(O, O.c.id == S.c.order_id)), start, end, channel)
        placed_n, delivered_n = self.conn.execute(moved).one()
        return {"ordered": int(self.conn.execute(ordered).scalar() or 0), "placed": int(placed_n or 0),
                "delivered": int(delivered_n or 0)}

    # -------------------------------------------------------------- shipments
    def shipments_per_order(self, start: datetime, end: datetime, channel: str | None) -> list[tuple[int, int, int]]:
        """(live shipments, rejected shipments, orders) histogram over the orders in range that have a
        shipment: split rate and hops come from it."""
        inner = self._in_range(
            sa.select(S.c.order_id, sa.func.sum(sa.case((S.c.status.not_in(DEAD), 1), else_=0)).label("live"),
                      sa.func.sum(sa.case((S.c.status == REJECTED, 1), else_=0)).label("rejected"))
            .select_from(S.join(O, O.c.id == S.c.order_id)), start, end, channel).group_by(S.c.order_id).subquery()
        q = sa.select(inner.c.live, inner.c.rejected, sa.func.count()).group_by(inner.c.live, inner.c.rejected)
        return [(int(a), int(b), int(n)) for a, b, n in self.conn.execute(q)]

    def per_node(self, start: datetime, end: datetime, channel: str | None) -> list[dict]:
        """Per node: shipments, rejected, and the live ones' cost terms (shipping, handling, COD, total)."""
        live = S.c.status.not_in(DEAD)

        def term(name):
            return sa.func.coalesce(sa.func.sum(sa.case((live, S.c.cost_breakdown[name].as_integer()), else_=0)), 0)

        q = self._in_range(
            sa.select(S.c.node, sa.func.count().label("shipments"),
                      sa.func.sum(sa.case((live, 1), else_=0)).label("live"),
                      sa.func.sum(sa.case((S.c.status == REJECTED, 1), else_=0)).label("rejected"),
                      term("shipping").label("shipping"), term("handling").label("handling"), term("cod").label("cod"),
                      sa.func.coalesce(sa.func.sum(sa.case((live, S.c.cost_paise), else_=0)), 0).label("total"))
            .select_from(S.join(O, O.c.id == S.c.order_id)), start, end, channel).group_by(S.c.node).order_by(S.c.node)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def on_time_per_day(self, start: datetime, end: datetime, channel: str | None) -> list[tuple[str, int, int]]:
        """(UTC day of delivery, delivered shipments with a promise, of them on time), for the orders in range.

        The promise is the shipment's deliver-by, else the order's promised-by, else capture + promised days;
        a delivery with none of these is not counted."""
        deadline = sa.func.coalesce(S.c.deliver_by, O.c.promised_by)
        on_time = sa.case(
            (deadline.is_not(None), sa.case((S.c.delivered_at <= deadline, 1), else_=0)),
            (O.c.promised_days.is_not(None),
             sa.case((self._days_between(O.c.created_at, S.c.delivered_at) <= O.c.promised_days, 1), else_=0)),
            else_=None)
        day = self._day(S.c.delivered_at).label("day")
        q = self._in_range(
            sa.select(day, sa.func.count(on_time), sa.func.coalesce(sa.func.sum(on_time), 0))
            .select_from(S.join(O, O.c.id == S.c.order_id))
            .where(S.c.status.in_(DELIVERED), S.c.delivered_at.is_not(None)), start, end, channel)
        return [(d, int(n), int(k)) for d, n, k in self.conn.execute(q.group_by(day).order_by(day)) if n]

    # -------------------------------------------------------------- returns and notifications
    def returned_units_by_reason(self, start: datetime, end: datetime, channel: str | None) -> dict[str, int]:
        """Units in returns (not rejected or cancelled) of the orders in range, by reason code."""
        q = self._in_range(
            sa.select(return_lines.c.reason, sa.func.sum(return_lines.c.qty))
            .select_from(return_lines.join(returns, returns.c.id == return_lines.c.return_id)
                         .join(O, O.c.id == returns.c.order_id))
            .where(returns.c.status.not_in(("REJECTED", "CANCELLED"))), start, end, channel)
        return {reason: int(n) for reason, n in self.conn.execute(q.group_by(return_lines.c.reason))}

    def notifications(self, start: datetime, end: datetime, channel: str | None) -> list[tuple[str, str, str, int]]:
        """(kind, medium, status, count) of the messages about the orders in range."""
        q = self._in_range(
            sa.select(notifications.c.kind, notifications.c.channel, notifications.c.status, sa.func.count())
            .select_from(notifications.join(O, O.c.id == notifications.c.order_id)), start, end, channel)
        q = q.group_by(notifications.c.kind, notifications.c.channel, notifications.c.status)
        return [(k, m, s, int(n)) for k, m, s, n in self.conn.execute(q)]
