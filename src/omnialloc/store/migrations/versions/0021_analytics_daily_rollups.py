"""Analytics daily rollups (issue 28): per capture day and channel, the counts and sums behind the console's
analytics page, the stale-day marks, and the triggers that mark a day stale whenever a figure of one of its
orders may have changed (see ``store/tables/analytics.py``). The days of the orders already stored start stale:
the first page that reads them builds their rollups.

Revision ID: 0021
Revises: 0020
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# table -> (the columns a figure reads, the ids of the orders a row R belongs to, as a SELECT with {r} for
# NEW or OLD; None for orders itself, whose capture day is on the row).
WATCHED = {
    'orders': (('created_at', 'channel', 'status', 'value_paise', 'promised_days', 'promised_by'), None),
    'order_lines': (('order_id', 'qty', 'cancelled_qty'), 'SELECT {r}.order_id'),
    'shipments': (('order_id', 'node', 'status', 'cost_paise', 'cost_breakdown', 'delivered_at', 'deliver_by'),
                  'SELECT {r}.order_id'),
    'shipment_lines': (('shipment_id', 'qty'), 'SELECT s.order_id FROM shipments AS s WHERE s.id = {r}.shipment_id'),
    'returns': (('order_id', 'status'), 'SELECT {r}.order_id'),
    'return_lines': (('return_id', 'qty', 'reason'), 'SELECT rt.order_id FROM returns AS rt WHERE rt.id = {r}.return_id'),
    'notifications': (('order_id', 'kind', 'channel', 'status'), 'SELECT {r}.order_id'),
}


def _day(dialect: str, col: str) -> str:
    """The UTC capture day as YYYY-MM-DD, as ``AnalyticsRepository`` groups it."""
    if dialect == 'postgresql':
        return f"to_char(timezone('UTC', {col}), 'YYYY-MM-DD')"
    return f'substr({col}, 1, 10)'


def _mark(dialect: str, table: str, rows: tuple[str, ...]) -> str:
    """INSERT of the capture days of the orders of ``rows`` (NEW and/or OLD) into the stale marks."""
    ids = WATCHED[table][1]
    if ids is None:
        days = ' UNION '.join(f'SELECT {_day(dialect, f"{r}.created_at")}' for r in rows)
        return f'INSERT INTO analytics_stale_days (day) {days}'
    union = ' UNION '.join(ids.format(r=r) for r in rows)
    return (f'INSERT INTO analytics_stale_days (day) SELECT {_day(dialect, "o.created_at")} FROM orders AS o '
            f'WHERE o.id IN ({union})')


def _create_triggers(dialect: str) -> None:
    for table, (columns, _) in WATCHED.items():
        if dialect == 'postgresql':
            op.execute(f"""
CREATE FUNCTION analytics_stale_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_mark(dialect, table, ('NEW',))};
    ELSIF TG_OP = 'DELETE' THEN
        {_mark(dialect, table, ('OLD',))};
    ELSE
        {_mark(dialect, table, ('OLD', 'NEW'))};
    END IF;
    RETURN NULL;
END $$""")
            op.execute(f"CREATE TRIGGER trg_analytics_stale_{table} AFTER INSERT OR DELETE OR UPDATE OF "
                       f"{', '.join(columns)} ON {table} FOR EACH ROW EXECUTE FUNCTION analytics_stale_{table}()")
        else:
            for suffix, event, rows in (('ins', 'INSERT', ('NEW',)), ('del', 'DELETE', ('OLD',)),
                                        ('upd', f"UPDATE OF {', '.join(columns)}", ('OLD', 'NEW'))):
                op.execute(f"CREATE TRIGGER trg_analytics_stale_{table}_{suffix} AFTER {event} ON {table} "
                           f"FOR EACH ROW BEGIN {_mark(dialect, table, rows)}; END")


def _drop_triggers(dialect: str) -> None:
    for table in WATCHED:
        if dialect == 'postgresql':
            op.execute(f'DROP TRIGGER IF EXISTS trg_analytics_stale_{table} ON {table}')
            op.execute(f'DROP FUNCTION IF EXISTS analytics_stale_{table}()')
        else:
            for suffix in ('ins', 'del', 'upd'):
                op.execute(f'DROP TRIGGER IF EXISTS trg_analytics_stale_{table}_{suffix}')


def _key(*extra: sa.Column) -> list:
    return [sa.Column('day', sa.String(10), nullable=False), sa.Column('channel', sa.String(64), nullable=False),
            *extra]


def _pk(table: str, *names: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint('day', 'channel', *names, name=op.f(f'pk_{table}'))


def upgrade() -> None:
    op.create_table(
        'analytics_day_orders', *_key(),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('value_paise', sa.BigInteger(), nullable=False),
        sa.Column('cancelled', sa.Integer(), nullable=False),
        sa.Column('units_ordered', sa.BigInteger(), nullable=False),
        _pk('analytics_day_orders'),
    )
    op.create_table(
        'analytics_day_nodes', *_key(sa.Column('node', sa.String(64), nullable=False)),
        sa.Column('shipments', sa.Integer(), nullable=False),
        sa.Column('live', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.Integer(), nullable=False),
        sa.Column('shipping', sa.BigInteger(), nullable=False),
        sa.Column('handling', sa.BigInteger(), nullable=False),
        sa.Column('cod', sa.BigInteger(), nullable=False),
        sa.Column('total', sa.BigInteger(), nullable=False),
        sa.Column('units_placed', sa.BigInteger(), nullable=False),
        sa.Column('units_delivered', sa.BigInteger(), nullable=False),
        _pk('analytics_day_nodes', 'node'),
    )
    op.create_table(
        'analytics_day_shipment_counts', *_key(sa.Column('live', sa.Integer(), nullable=False),
                                               sa.Column('rejected', sa.Integer(), nullable=False)),
        sa.Column('orders', sa.Integer(), nullable=False),
        _pk('analytics_day_shipment_counts', 'live', 'rejected'),
    )
    op.create_table(
        'analytics_day_on_time', *_key(sa.Column('delivered_day', sa.String(10), nullable=False)),
        sa.Column('delivered', sa.Integer(), nullable=False),
        sa.Column('on_time', sa.Integer(), nullable=False),
        _pk('analytics_day_on_time', 'delivered_day'),
    )
    op.create_table(
        'analytics_day_returns', *_key(sa.Column('reason', sa.String(32), nullable=False)),
        sa.Column('units', sa.BigInteger(), nullable=False),
        _pk('analytics_day_returns', 'reason'),
    )
    op.create_table(
        'analytics_day_notifications',
        *_key(sa.Column('kind', sa.String(64), nullable=False),
              sa.Column('medium', sa.String(8), nullable=False), sa.Column('status', sa.String(16), nullable=False)),
        sa.Column('messages', sa.Integer(), nullable=False),
        _pk('analytics_day_notifications', 'kind', 'medium', 'status'),
    )
    op.create_table(
        'analytics_stale_days',
        sa.Column('id', _BIGID, autoincrement=True, nullable=False),
        sa.Column('day', sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_stale_days')),
    )
    op.create_index(op.f('ix_analytics_stale_days_day'), 'analytics_stale_days', ['day'], unique=False)
    dialect = op.get_bind().dialect.name
    _create_triggers(dialect)
    op.execute(f'INSERT INTO analytics_stale_days (day) SELECT DISTINCT {_day(dialect, "created_at")} FROM orders')


def downgrade() -> None:
    _drop_triggers(op.get_bind().dialect.name)
    op.drop_index(op.f('ix_analytics_stale_days_day'), table_name='analytics_stale_days')
    for table in ('analytics_stale_days', 'analytics_day_notifications', 'analytics_day_returns',
                  'analytics_day_on_time', 'analytics_day_shipment_counts', 'analytics_day_nodes',
                  'analytics_day_orders'):
        op.drop_table(table)
