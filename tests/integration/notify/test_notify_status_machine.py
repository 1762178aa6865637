"""The life of a notification row against a table written by hand, on a real store.

Notifications have no machine object: their status moves inside the dispatcher (claim, outcome) and
``admin.requeue``. So every operation that can move a row is run from every status, and the moves
seen (including the intermediate ``sending`` a sender observes while it holds the claim) must be exactly the
table's: every move listed is seen, no move outside it ever happens.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from omnialloc.domain.errors import Conflict
from omnialloc.notify.errors import PermanentError, TransientError
from omnialloc.domain.notifications import STATUSES
from omnialloc.services.notifications import admin, preferences
from omnialloc.services.access import SYSTEM
from omnialloc.services.notifications.worker import Dispatcher
from omnialloc.store.tables.notifications import notifications as N

NOTIFICATION = {
    # claimed by a worker; or skipped when claimed (buyer opted out, channel turned off, message gone stale)
    "pending": {"sending", "skipped"},
    # the send's outcome: delivered, retry later, dead letter; a row whose worker died is claimed again
    # once its lease ran out, and may then be skipped like a pending one
    "sending": {"sent", "pending", "failed", "skipped"},
    "sent": set(),
    # the admin re-queues dead letters and skipped messages
    "failed": {"pending"},
    "skipped": {"pending"},
}


class Sender:
    """An e-mail / SMS adapter that notes the row's status while it holds the claim, then answers as told."""

    def __init__(self, uow_factory, row_id: str, outcome: str):
        self.uow_factory, self.row_id, self.outcome, self.seen = uow_factory, row_id, outcome, []

    def send(self, message) -> str:
        with self.uow_factory(readonly=True) as uow:
            self.seen.append(uow.conn.execute(sa.select(N.c.status).where(N.c.id == self.row_id)).scalar_one())
        if self.outcome == "transient":
            raise TransientError("connection refused")
        if self.outcome == "permanent":
            raise PermanentError("550 no such mailbox")
        return "ref-1"


# What can happen to a row: a dispatcher run with the adapter answering as named (and, for the
# "opted out" / "channel off" runs, a reason to skip it), or the admin re-queueing it.
ACTIONS = {
    "sent": dict(outcome="ok"),
    "transient, attempts left": dict(outcome="transient", settings=dict(notify_max_attempts=5)),
    "transient, last attempt": dict(outcome="transient", settings=dict(notify_max_attempts=1)),
    "permanent": dict(outcome="permanent"),
    "opted out": dict(outcome="ok", opt_out=True),
    "channel off": dict(outcome="ok", settings=dict(notify_channels="sms")),
    "requeue": dict(requeue=True),
}


def _row_in(uow_factory, add_order, record_event, status: str):
    """One e-mail row of a confirmed order, put in ``status`` (a ``sending`` one by a worker whose lease ran out)."""
    order = add_order()
    record_event("order", order.id, from_status="VALIDATED", to_status="ALLOCATED")
    past = datetime.now(UTC) - timedelta(hours=1)
    with uow_factory() as uow:
        rows = uow.conn.execute(sa.select(N.c.id, N.c.channel).where(N.c.order_id == order.id)).all()
        (row_id,) = [r.id for r in rows if r.channel == "email"]
        uow.conn.execute(N.delete().where(N.c.order_id == order.id, N.c.id != row_id))
        uow.conn.execute(N.update().where(N.c.id == row_id).values(
            status=status, attempts=0 if status == "pending" else 1, next_attempt_at=past,
            claimed_by=None if status == "pending" else "gone-worker", claimed_at=past,
            last_error=None if status in ("pending", "sending", "sent") else "earlier failure"))
        uow.commit()
    return row_id, order


def _status(uow_factory, row_id: str) -> str:
    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.select(N.c.status).where(N.c.id == row_id)).scalar_one()


def test_every_move_of_a_notification_is_in_the_table_and_every_listed_move_happens(
        make_ctx, uow_factory, add_order, record_event):
    seen: dict[tuple[str, str], list[str]] = {}
    for start, (action, how) in itertools.product(NOTIFICATION, ACTIONS.items()):
        row_id, order = _row_in(uow_factory, add_order, record_event, start)
        ctx = make_ctx(**how.get("settings", {}))
        path = [start]
        if how.get("requeue"):
            try:
                admin.requeue(ctx, SYSTEM, row_id)
            except Conflict:
                pass  # refused: the row stays as it was
        else:
            if how.get("opt_out"):
                preferences.set_preferences(ctx, SYSTEM, order.ship_to.email, {"email": False})
            sender = Sender(uow_factory, row_id, how["outcome"])
            Dispatcher(ctx, email=sender, sms=sender).run_once()
            path += sender.seen
        path.append(_status(uow_factory, row_id))
        for src, dst in zip(path, path[1:]):
            if src != dst:  # a lease re-claimed stays "sending" (attempts + 1): not a move between statuses
                seen.setdefault((src, dst), []).append(f"{action} from {start}")
        if how.get("opt_out"):
            preferences.set_preferences(ctx, SYSTEM, order.ship_to.email, {"email": True})
    listed = {(src, dst) for src, targets in NOTIFICATION.items() for dst in targets}
    unlisted = {move: how for move, how in seen.items() if move not in listed}
    assert not unlisted, f"moves outside the table: {unlisted}"
    assert not listed - set(seen), f"moves of the table that no operation makes: {sorted(listed - set(seen))}"


def test_the_table_names_every_status_the_service_knows():
    assert set(NOTIFICATION) == set(STATUSES)


@pytest.mark.parametrize("start", ["sent", "sending"])
def test_requeue_refuses_a_row_that_is_not_dead_or_skipped(make_ctx, uow_factory, add_order, record_event, start):
    row_id, _ = _row_in(uow_factory, add_order, record_event, start)
    with pytest.raises(Conflict):
        admin.requeue(make_ctx(), SYSTEM, row_id)
    assert _status(uow_factory, row_id) == start
