"""Business aggregates for the analytics screen, read from the daily rollups (Core SQL in, plain tuples and
dicts out).

Every figure is over the orders created in a range of UTC days (and of one channel, when given). The page
reads the rollup tables of ``store.tables.analytics`` (rows per capture day and channel), so its cost follows
the number of days, not of orders. :meth:`AnalyticsRepository.refresh` first rebuilds the days of the range
that the triggers marked stale, from the base tables: for each run of consecutive stale days, one grouped
``INSERT ... SELECT`` per rollup over the orders created in it (the range scan is ``ix_orders_created_at_id``,
each fact table is reached through its ``order_id`` index). Only the backlog's ages are read live: they
depend on the clock, and the backordered orders are few (``ix_orders_status``).

Two expressions differ by backend: the UTC day of a timestamp (SQLite stores UTC text, so its first ten
characters; PostgreSQL formats it at UTC; the triggers of migration 0021 use the same) and the days between
two timestamps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from omnialloc.store.repositories._base import Repository
from omnialloc.store.tables.analytics import (
    ROLLUPS,
    analytics_day_nodes,
    analytics_day_notifications,
    analytics_day_on_time,
    analytics_day_orders,
    analytics_day_returns,
    analytics_day_shipment_counts,
    analytics_stale_days,
)
from omnialloc.store.tables.notifications import notifications
from omnialloc.store.tables.orders import order_lines, orders
from omnialloc.store.tables.returns import return_lines, returns
from omnialloc.store.tables.shipments import shipment_lines, shipments

O, S = orders, shipments
DEAD = ("REJECTED", "CANCELLED")           # shipments that carry nothing
REJECTED = "REJECTED"
DELIVERED = ("DELIVERED", "COLLECTED")
# Two refreshes of the same day must not interleave (each deletes and re-inserts the day's rows): on
# PostgreSQL they queue on this transaction lock; SQLite's write lock already serialises them.
REFRESH_LOCK = 0x6F61_726F_6C6C_7570  # "oarollup"


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as inclusive (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for d in sorted(days):
        if runs and d == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


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

    @staticmethod
    def _in_range(q, start: datetime, end: datetime, channel: str | None = None):
        q = q.where(O.c.created_at >= start, O.c.created_at < end)
        return q.where(O.c.channel == channel) if channel else q

    # -------------------------------------------------------------- keeping the rollups current
    def stale_days(self, first: date, last: date) -> list[date]:
        """The capture days in [first, last] whose rollups are out of date."""
        q = (sa.select(analytics_stale_days.c.day).distinct()
             .where(analytics_stale_days.c.day >= first.isoformat(), analytics_stale_days.c.day <= last.isoformat()))
        return sorted(date.fromisoformat(d) for d in self.conn.scalars(q))

    def refresh(self, first: date, last: date, limit: int | None = None) -> list[date]:
        """Rebuild the rollups of the stale days in [first, last] (the ``limit`` earliest of them, when given)
        from the base tables; the days rebuilt.

        The marks are deleted before the rebuild reads: a mark deleted here was committed with its change,
        which the rebuild's later statements therefore see; a change committed after that has left its own
        mark, for the next refresh."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.select(sa.func.pg_advisory_xact_lock(REFRESH_LOCK)))
            # A rebuild reads a few days' orders and reaches their facts through the order_id indexes; at
            # the default random_page_cost (4, a spinning disk's) the planner prefers hashing the whole
            # shipments and notifications tables for even one day (measured on 100,000 orders: one day's
            # rebuild 240 ms of server CPU at 4, 100 ms at 1.1). SET LOCAL: this transaction only.
            self.conn.execute(sa.text("SET LOCAL random_page_cost = 1.1"))
        days = self.stale_days(first, last)[:limit]
        if not days:
            return []
        self.conn.execute(analytics_stale_days.delete().where(
            analytics_stale_days.c.day.in_([d.isoformat() for d in days])))
        for a, b in _runs(days):
            for table in ROLLUPS:
                self.conn.execute(table.delete().where(table.c.day >= a.isoformat(), table.c.day <= b.isoformat()))
            start, end = datetime.combine(a, time(), UTC), datetime.combine(b + timedelta(days=1), time(), UTC)
            for table, select in self._rollup_selects(start, end):
                self.conn.execute(table.insert().from_select([c.name for c in table.c], select))
        return days

    def _rollup_selects(self, start: datetime, end: datetime) -> list[tuple[sa.Table, sa.Select]]:
        """Per rollup table, the grouped SELECT of its rows (columns in the table's order) for the orders
        created in [start, end)."""
        day = self._day(O.c.created_at).label("day")  # (labelled: GROUP BY names it instead of repeating it)
        live = S.c.status.not_in(DEAD)
        delivered = S.c.status.in_(DELIVERED)

        def total(expr):
            return sa.func.coalesce(sa.func.sum(expr), 0)

        ordered = (sa.select(total(order_lines.c.qty - order_lines.c.cancelled_qty))
                   .where(order_lines.c.order_id == O.c.id).scalar_subquery())
        day_orders = self._in_range(
            sa.select(day, O.c.channel, sa.func.count(), total(O.c.value_paise),
                      total(sa.case((O.c.status == "CANCELLED", 1), else_=0)), total(ordered)),
            start, end).group_by(day, O.c.channel)

        carried = (sa.select(total(shipment_lines.c.qty)).where(shipment_lines.c.shipment_id == S.c.id)
                   .scalar_subquery())

        def term(name):
            return total(sa.case((live, S.c.cost_breakdown[name].as_integer()), else_=0))

        day_nodes = self._in_range(
            sa.select(day, O.c.channel, S.c.node, sa.func.count(), total(sa.case((live, 1), else_=0)),
                      total(sa.case((S.c.status == REJECTED, 1), else_=0)),
                      term("shipping"), term("handling"), term("cod"), total(sa.case((live, S.c.cost_paise), else_=0)),
                      total(sa.case((live, carried), else_=0)), total(sa.case((delivered, carried), else_=0)))
            .select_from(S.join(O, O.c.id == S.c.order_id)), start, end).group_by(day, O.c.channel, S.c.node)

        per_order = self._in_range(
            sa.select(day, O.c.channel.label("channel"),
                      sa.func.sum(sa.case((live, 1), else_=0)).label("live"),
                      sa.func.sum(sa.case((S.c.status == REJECTED, 1), else_=0)).label("rejected"))
            .select_from(S.join(O, O.c.id == S.c.order_id)), start, end).group_by(S.c.order_id, day, O.c.channel).subquery()
        counts = (sa.select(per_order.c.day, per_order.c.channel, per_order.c.live, per_order.c.rejected, sa.func.count())
                  .group_by(per_order.c.day, per_order.c.channel, per_order.c.live, per_order.c.rejected))

        # The promise is the shipment's deliver-by, else the order's promised-by, else capture + promised
        # days; a delivery with none of these is not counted.
        deadline = sa.func.coalesce(S.c.deliver_by, O.c.promised_by)
        on_time = sa.case(
            (deadline.is_not(None), sa.case((S.c.delivered_at <= deadline, 1), else_=0)),
            (O.c.promised_days.is_not(None),
             sa.case((self._days_between(O.c.created_at, S.c.delivered_at) <= O.c.promised_days, 1), else_=0)),
            else_=None)
        delivered_day = self._day(S.c.delivered_at).label("delivered_day")
        day_on_time = self._in_range(
            sa.select(day, O.c.channel, delivered_day, sa.func.count(on_time), total(on_time))
            .select_from(S.join(O, O.c.id == S.c.order_id))
            .where(delivered, S.c.delivered_at.is_not(None)), start, end) \
            .group_by(day, O.c.channel, delivered_day).having(sa.func.count(on_time) > 0)

        day_returns = self._in_range(
            sa.select(day, O.c.channel, return_lines.c.reason, total(return_lines.c.qty))
            .select_from(return_lines.join(returns, returns.c.id == return_lines.c.return_id)
                         .join(O, O.c.id == returns.c.order_id))
            .where(returns.c.status.not_in(("REJECTED", "CANCELLED"))), start, end) \
            .group_by(day, O.c.channel, return_lines.c.reason)

        N = notifications
        day_notes = self._in_range(
            sa.select(day, O.c.channel, N.c.kind, N.c.channel, N.c.status, sa.func.count())
            .select_from(N.join(O, O.c.id == N.c.order_id)), start, end) \
            .group_by(day, O.c.channel, N.c.kind, N.c.channel, N.c.status)

        return [(analytics_day_orders, day_orders), (analytics_day_nodes, day_nodes),
                (analytics_day_shipment_counts, counts), (analytics_day_on_time, day_on_time),
                (analytics_day_returns, day_returns), (analytics_day_notifications, day_notes)]

    # -------------------------------------------------------------- reading the rollups
    def _rows(self, table: sa.Table, first: date, last: date, channel: str | None, *group, **sums):
        """``group`` columns and the ``sums`` of columns of ``table`` over [first, last] (and channel), by
        ``group``, ordered by it; every sum as an int (PostgreSQL sums BIGINT to NUMERIC)."""
        cols = [table.c[g] for g in group]
        q = sa.select(*cols, *(sa.func.sum(table.c[c]).label(name) for name, c in sums.items())).where(
            table.c.day >= first.isoformat(), table.c.day <= last.isoformat())
        if channel:
            q = q.where(table.c.channel == channel)
        if cols:
            q = q.group_by(*cols).order_by(*cols)
        rows = []
        for r in self.conn.execute(q).mappings():
            rows.append({**{g: r[g] for g in group}, **{name: int(r[name] or 0) for name in sums}})
        return rows

    def orders_per_day(self, first: date, last: date, channel: str | None) -> list[tuple]:
        """(day, orders, value_paise, cancelled) per UTC day of capture that has orders."""
        rows = self._rows(analytics_day_orders, first, last, channel, "day", n="orders", value="value_paise",
                          cancelled="cancelled")
        return [(r["day"], r["n"], r["value"], r["cancelled"]) for r in rows]

    def units(self, first: date, last: date, channel: str | None) -> dict[str, int]:
        """Units ordered (not cancelled), placed on a live shipment, and delivered, of the orders in range."""
        (ordered,) = self._rows(analytics_day_orders, first, last, channel, ordered="units_ordered")
        (moved,) = self._rows(analytics_day_nodes, first, last, channel, placed="units_placed",
                              delivered="units_delivered")
        return {"ordered": ordered["ordered"], "placed": moved["placed"], "delivered": moved["delivered"]}

    def shipments_per_order(self, first: date, last: date, channel: str | None) -> list[tuple[int, int, int]]:
        """(live shipments, rejected shipments, orders) histogram over the orders in range that have a
        shipment: split rate and hops come from it."""
        rows = self._rows(analytics_day_shipment_counts, first, last, channel, "live", "rejected", n="orders")
        return [(int(r["live"]), int(r["rejected"]), r["n"]) for r in rows]

    def per_node(self, first: date, last: date, channel: str | None) -> list[dict]:
        """Per node: shipments, rejected, and the live ones' cost terms (shipping, handling, COD, total)."""
        return self._rows(analytics_day_nodes, first, last, channel, "node",
                          **{c: c for c in ("shipments", "live", "rejected", "shipping", "handling", "cod", "total")})

    def on_time_per_day(self, first: date, last: date, channel: str | None) -> list[tuple[str, int, int]]:
        """(UTC day of delivery, delivered shipments with a promise, of them on time), for the orders in range."""
        rows = self._rows(analytics_day_on_time, first, last, channel, "delivered_day", n="delivered", k="on_time")
        return [(r["delivered_day"], r["n"], r["k"]) for r in rows if r["n"]]

    def returned_units_by_reason(self, first: date, last: date, channel: str | None) -> dict[str, int]:
        """Units in returns (not rejected or cancelled) of the orders in range, by reason code."""
        return {r["reason"]: r["n"] for r in self._rows(analytics_day_returns, first, last, channel, "reason", n="units")}

    def notifications(self, first: date, last: date, channel: str | None) -> list[tuple[str, str, str, int]]:
        """(kind, medium, status, count) of the messages about the orders in range."""
        rows = self._rows(analytics_day_notifications, first, last, channel, "kind", "medium", "status", n="messages")
        return [(r["kind"], r["medium"], r["status"], r["n"]) for r in rows]

    # -------------------------------------------------------------- live
    def backorder_ages(self, start: datetime, end: datetime, channel: str | None, now: datetime) -> list[float]:
        """Age in days of each order of the range still BACKORDERED (few: the backlog, not the range)."""
        age = self._days_between(O.c.created_at, sa.literal(now, O.c.created_at.type))
        q = self._in_range(sa.select(age).where(O.c.status == "BACKORDERED"), start, end, channel)
        return [float(r[0]) for r in self.conn.execute(q)]
