"""A stock receipt of several rows locks them in (node, SKU) order, as allocations reserve them.

Each adjustment's UPDATE holds its stock row until the commit; a receipt taking two rows in the order the
client listed them and an allocation (or another receipt) taking them in the other order would deadlock.
Checked on PostgreSQL (SQLite serialises writers): while another transaction holds the later row, the
receipt waits for it already holding the earlier one, whatever order the request lists them in.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from omnialloc.services.access import SYSTEM
from omnialloc.services.inventory.positions import adjust
from omnialloc.store.tables.inventory import inventory
from tests.integration.row_locks import run_behind_a_held_row


def test_a_receipt_locks_its_rows_in_node_sku_order(ctx, clean_engine, db_backend):
    if db_backend != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): no row locks to order")
    with clean_engine.connect() as conn:
        a, b = [tuple(r) for r in conn.execute(sa.select(inventory.c.node, inventory.c.sku)
                                               .order_by(inventory.c.node, inventory.c.sku).limit(2))]
        before = {row: conn.execute(sa.select(inventory.c.on_hand).where(inventory.c.node == row[0],
                                                                          inventory.c.sku == row[1])).scalar_one()
                  for row in (a, b)}
    outcome = run_behind_a_held_row(  # the later row listed first
        clean_engine, a, b,
        lambda: adjust(ctx, SYSTEM, [{"node": n, "sku": s, "delta": 3, "reason": "receipt"} for n, s in (b, a)]))
    assert len(outcome) == 1 and isinstance(outcome[0], dict) and outcome[0]["applied"] == 2, outcome
    with clean_engine.connect() as conn:
        after = {row: conn.execute(sa.select(inventory.c.on_hand).where(inventory.c.node == row[0],
                                                                         inventory.c.sku == row[1])).scalar_one()
                 for row in (a, b)}
    assert after == {row: qty + 3 for row, qty in before.items()}


def test_errors_name_the_adjustments_in_the_request_order(ctx, clean_engine):
    """(Applied in (node, SKU) order, refused in the request's.)"""
    from omnialloc.domain.errors import ValidationFailed

    with clean_engine.connect() as conn:
        node, sku = conn.execute(sa.select(inventory.c.node, inventory.c.sku).order_by(inventory.c.node.desc())
                                 .limit(1)).one()
    with pytest.raises(ValidationFailed) as refused:
        adjust(ctx, SYSTEM, [{"node": node, "sku": "NO-SUCH-SKU", "delta": 1, "reason": "receipt"},
                             {"node": "AAA-NONE", "sku": sku, "delta": 1, "reason": "receipt"}])
    assert [e.field for e in refused.value.field_errors] == ["adjustments.0.sku", "adjustments.1.node"]
