"""The per-process caches of reference data follow changes made by another process at once.

Each gunicorn worker caches the network, channels, SKUs and rules; a change made
elsewhere (another worker, the CLI) bumps the revision token in the same
transaction, and the next capture or allocation of every process reloads.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from omnialloc.config import Settings
from omnialloc.domain.errors import ValidationFailed
from omnialloc.services.orders import lifecycle
from omnialloc.services.network import cache as network
from omnialloc.services.access import SYSTEM
from omnialloc.services.context import Context

# Runs in a separate process: its writes reach this one only through the database.
_CHANGE = textwrap.dedent("""
    import sys
    from omnialloc.store.engine import create_engine
    from omnialloc.store.uow import UnitOfWork

    url, what, code = sys.argv[1:]
    engine = create_engine(url)
    with UnitOfWork(engine) as uow:
        if what == "node":
            assert uow.nodes.set_active(code, False)
        else:
            channel = uow.channels.get(code)
            channel.active = what == "channel-on"
            assert uow.channels.update(channel)
        uow.commit()
    engine.dispose()
""")


def _in_another_process(url: str, what: str, code: str) -> None:
    subprocess.run([sys.executable, "-c", _CHANGE, url, what, code], check=True, timeout=120)


def _body(external_id: str) -> dict:
    return {"channel": "web", "external_id": external_id, "payment_mode": "PREPAID",
            "ship_to": {"name": "A", "line1": "1 Road", "city": "Chennai", "pin": "600002"},
            "lines": [{"sku": "SKU-0001", "qty": 1}]}


def _ctx(engine, url) -> Context:
    network.invalidate()
    return Context(engine=engine, settings=Settings(database_url=url))


def test_a_node_deactivated_by_another_process_is_not_planned_by_the_next_allocation(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    first, _ = lifecycle.capture(ctx, SYSTEM, _body("cache-1"))  # warms this process's network cache
    assert first["status"] == "ALLOCATED"
    node = first["shipments"][0]["node"]

    _in_another_process(clean_db_url, "node", node)

    second, _ = lifecycle.capture(ctx, SYSTEM, _body("cache-2"))
    assert second["status"] == "ALLOCATED"
    assert node not in {s["node"] for s in second["shipments"]}


def test_a_channel_deactivated_by_another_process_refuses_the_next_capture(clean_engine, clean_db_url):
    ctx = _ctx(clean_engine, clean_db_url)
    lifecycle.capture(ctx, SYSTEM, _body("cache-3"))  # warms this process's channel cache

    _in_another_process(clean_db_url, "channel", "web")

    try:
        lifecycle.capture(ctx, SYSTEM, _body("cache-4"))
    except ValidationFailed as exc:
        assert any(e.field == "channel" for e in exc.field_errors)
    else:
        raise AssertionError("a capture for a channel deactivated elsewhere was accepted")


def test_a_channel_reactivated_by_another_process_accepts_the_next_capture(clean_engine, clean_db_url):
    # The capture validates against the caches and reads the revision along with its INSERT; a refusal
    # based on a cache that is behind is checked again against the stored data.
    ctx = _ctx(clean_engine, clean_db_url)
    _in_another_process(clean_db_url, "channel", "web")
    try:
        lifecycle.capture(ctx, SYSTEM, _body("cache-5"))  # refused: caches the inactive channel
    except ValidationFailed:
        pass
    else:
        raise AssertionError("a capture for an inactive channel was accepted")

    _in_another_process(clean_db_url, "channel-on", "web")

    view, created = lifecycle.capture(ctx, SYSTEM, _body("cache-6"))
    assert created and view["status"] == "ALLOCATED"


def test_a_capture_with_warm_caches_reads_no_revision_of_its_own_on_postgresql(clean_engine, clean_db_url, db_backend):
    import sqlalchemy as sa

    ctx = _ctx(clean_engine, clean_db_url)
    lifecycle.capture(ctx, SYSTEM, _body("cache-7"))  # warms the caches
    seen: list[str] = []

    def spy(conn, cursor, statement, *_):
        seen.append(statement)

    sa.event.listen(clean_engine, "before_cursor_execute", spy)
    try:
        lifecycle.capture(ctx, SYSTEM, _body("cache-8"))
    finally:
        sa.event.remove(clean_engine, "before_cursor_execute", spy)
    revision_reads = [s for s in seen if "rules_revision" in s]
    # The capture and its allocation are one transaction, which reads the token once: on the order's
    # INSERT (PostgreSQL) or just before its commit (SQLite).
    assert len(revision_reads) == 1
    if db_backend == "postgresql":
        assert revision_reads[0].lstrip().startswith("WITH new_orders")


def _reload_due(ctx) -> None:
    """Age the cached network past its TTL, as 30 s of serving would."""
    with ctx.uow() as uow:
        network.network(uow).loaded_at -= network.TTL_SECONDS + 1


def test_a_periodic_reload_that_finds_nothing_changed_keeps_the_network_and_its_lane_caches(clean_engine, clean_db_url):
    # The lane tables and per-destination lane memos hang off the network object: a reload every 30 s
    # that replaced it would make every worker compute each destination's lanes again.
    ctx = _ctx(clean_engine, clean_db_url)
    lifecycle.capture(ctx, SYSTEM, _body("cache-9"))
    with ctx.uow() as uow:
        before = network.network(uow)
    _reload_due(ctx)
    with ctx.uow() as uow:
        after = network.network(uow)
    assert after is before
    assert after.loaded_at > before.loaded_at - 1  # and it counts as fresh again: no reload per request


def test_a_periodic_reload_sees_a_change_made_behind_the_applications_back(clean_engine, clean_db_url):
    import sqlalchemy as sa

    ctx = _ctx(clean_engine, clean_db_url)
    first, _ = lifecycle.capture(ctx, SYSTEM, _body("cache-10"))
    node = first["shipments"][0]["node"]
    with ctx.uow() as uow:
        before = network.network(uow)
    with clean_engine.begin() as conn:  # SQL by hand: the revision token is not bumped
        conn.execute(sa.text("UPDATE nodes SET active = :off WHERE code = :code"), {"off": False, "code": node})
    _reload_due(ctx)
    with ctx.uow() as uow:
        after = network.network(uow)
    assert after is not before and node not in after.by_code
    second, _ = lifecycle.capture(ctx, SYSTEM, _body("cache-11"))
    assert node not in {s["node"] for s in second["shipments"]}
