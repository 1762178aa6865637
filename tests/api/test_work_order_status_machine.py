"""The life of a work order against a table written by hand, over HTTP on a real store.

Work orders have no machine object: ``services.returns.work_orders.complete`` is the one operation that moves
one. It is run from every status, and the moves seen must be exactly the table's.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.conftest import auth
from tests.api.test_roles import SIDES, _return_scenario

WORK_ORDER = {
    "open": {"done"},   # the node closes it: units restocked and / or scrapped
    "done": set(),      # closed for good: a second close would count its units twice
}


def _status(uow_factory, work_order_id: str) -> str:
    from omnialloc.store.tables.work_orders import work_orders

    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.select(work_orders.c.status).where(work_orders.c.id == work_order_id)).scalar_one()


def test_every_move_of_a_work_order_is_in_the_table_and_every_listed_move_happens(client, keys, uow_factory):
    admin = auth(keys["admin"])
    objs = _return_scenario(client, admin, uow_factory, "W", SIDES["W"], "work_order")
    seen, answers = set(), []
    for _ in WORK_ORDER:  # once from each status: open, then done
        before = _status(uow_factory, objs["work_order"])
        r = client.post(f"/work-orders/{objs['work_order']}/complete", json={"restocked": 1, "scrapped": 0},
                        headers=admin)
        answers.append(r.status_code)
        after = _status(uow_factory, objs["work_order"])
        if after != before:
            seen.add((before, after))
    listed = {(src, dst) for src, targets in WORK_ORDER.items() for dst in targets}
    assert seen == listed, f"moves seen {sorted(seen)}, table {sorted(listed)}"
    assert answers == [200, 409]
