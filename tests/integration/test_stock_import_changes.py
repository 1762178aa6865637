"""Stock imports record what they changed per position, in the import's own transaction (SQLite + PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from omnialloc.config import get_settings
from omnialloc.services.access import SYSTEM
from omnialloc.services.context import Context
from omnialloc.services.inventory.stock_import import ImportRejected, import_stock
from omnialloc.store.tables.stock_imports import inventory_import_changes as changes_t


def _ctx(engine) -> Context:
    return Context(engine=engine, settings=get_settings())


def _stock(engine) -> dict[tuple[str, str], tuple[int, int, int]]:
    with engine.connect() as c:
        return {(r.node, r.sku): (r.on_hand, r.reserved, r.safety_stock)
                for r in c.exec_driver_sql("SELECT node, sku, on_hand, reserved, safety_stock FROM inventory")}


def _changes(engine, import_id: str | None = None) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    q = sa.select(changes_t)
    if import_id is not None:
        q = q.where(changes_t.c.import_id == import_id)
    with engine.connect() as c:
        return {(r.node, r.sku): (r.on_hand_before, r.on_hand_after, r.safety_before, r.safety_after)
                for r in c.execute(q)}


def _positions(engine, node: str) -> list[tuple[str, int, int]]:
    return sorted((k[1], v[0], v[2]) for k, v in _stock(engine).items() if k[0] == node and v[0] > 0)


def test_a_snapshot_import_records_before_and_after_of_every_position_it_changes(clean_engine):
    before = _stock(clean_engine)
    (keep, on_hand, safety), (same, same_on_hand, _), *zeroed = _positions(clean_engine, "KOL-FC1")
    assert zeroed, "the demo stock has at least three stocked SKUs at KOL-FC1"
    with clean_engine.connect() as c:
        new_sku = c.exec_driver_sql("SELECT code FROM skus WHERE code NOT IN "
                                    "(SELECT sku FROM inventory WHERE node = 'KOL-FC1') ORDER BY code").first()[0]
    csv = f"sku,qty,safety_stock\n{keep},{on_hand + 7},{safety + 2}\n{same},{same_on_hand},\n{new_sku},5,\n"
    report = import_stock(_ctx(clean_engine), SYSTEM, csv, mode="snapshot", node="KOL-FC1")

    expected = {("KOL-FC1", keep): (on_hand, on_hand + 7, safety, safety + 2),
                ("KOL-FC1", new_sku): (0, 5, 0, 0)}
    for sku, on, sf in zeroed:  # missing from the snapshot: counted as zero
        expected[("KOL-FC1", sku)] = (on, 0, sf, sf)
    assert _changes(clean_engine, report["import_id"]) == expected   # the unchanged row is not recorded
    assert report["changes"] == len(expected)
    after = _stock(clean_engine)
    for key, (ob, oa, sb, sa_) in expected.items():
        assert before.get(key, (0, 0, 0))[0] == ob and after[key][0] == oa and after[key][2] == sa_


def test_a_delta_import_records_only_positions_whose_stock_moves(clean_engine):
    before = _stock(clean_engine)
    (a, a_on, a_sf), (b, b_on, b_sf), (c, c_on, c_sf), *_ = _positions(clean_engine, "CHN-FC1")
    csv = f"node,sku,qty,safety_stock\nCHN-FC1,{a},4,\nCHN-FC1,{b},-1,\nCHN-FC1,{c},0,{c_sf + 3}\n" \
          f"MUM-FC1,{a},0,\n"
    report = import_stock(_ctx(clean_engine), SYSTEM, csv, mode="delta")

    assert _changes(clean_engine, report["import_id"]) == {
        ("CHN-FC1", a): (a_on, a_on + 4, a_sf, a_sf),
        ("CHN-FC1", b): (b_on, b_on - 1, b_sf, b_sf),
        ("CHN-FC1", c): (c_on, c_on, c_sf, c_sf + 3),   # safety stock alone moved: ATP changes too
    }
    assert _stock(clean_engine)[("CHN-FC1", a)][0] == before[("CHN-FC1", a)][0] + 4


def test_a_dry_run_records_no_changes(clean_engine):
    (a, _, _), *_ = _positions(clean_engine, "CHN-FC1")
    import_stock(_ctx(clean_engine), SYSTEM, f"node,sku,qty\nCHN-FC1,{a},4\n", mode="delta", dry_run=True)
    assert _changes(clean_engine) == {}


def test_an_import_refused_by_the_stock_check_leaves_no_change_rows(clean_engine):
    before = _stock(clean_engine)
    (a, _, _), (b, b_on, _), *_ = _positions(clean_engine, "CHN-FC1")
    with pytest.raises(ImportRejected):
        import_stock(_ctx(clean_engine), SYSTEM, f"node,sku,qty\nCHN-FC1,{a},4\nCHN-FC1,{b},{-(b_on + 1)}\n",
                     mode="delta")
    assert _changes(clean_engine) == {} and _stock(clean_engine) == before


def test_an_import_failing_after_recording_its_changes_leaves_neither(clean_engine, monkeypatch):
    from omnialloc.store.repositories.stock_imports import StagedImport

    before = _stock(clean_engine)

    def crash(self, mode, scope):
        assert self.conn.execute(sa.select(sa.func.count()).select_from(changes_t)).scalar_one() > 0
        raise RuntimeError("disk full")

    monkeypatch.setattr(StagedImport, "set_stock", crash)
    (a, on, _), *_ = _positions(clean_engine, "KOL-FC1")
    with pytest.raises(RuntimeError, match="disk full"):
        import_stock(_ctx(clean_engine), SYSTEM, f"sku,qty\n{a},{on + 1}\n", mode="snapshot", node="KOL-FC1")
    assert _changes(clean_engine) == {} and _stock(clean_engine) == before


KILLED_IMPORT = textwrap.dedent("""
    import sys, time
    from omnialloc.services.inventory import stock_import
    from omnialloc.services.access import SYSTEM
    from omnialloc.services.context import Context

    from omnialloc.store.repositories.stock_imports import StagedImport

    real_set_stock = StagedImport.set_stock

    def set_stock_then_hang(self, mode, scope):
        out = real_set_stock(self, mode, scope)   # changes recorded and stock updated, not committed
        open(sys.argv[1], "w").write("applied")
        time.sleep(600)
        return out

    StagedImport.set_stock = set_stock_then_hang
    stock_import.import_stock(Context.default(), SYSTEM, sys.argv[2], mode="snapshot", node="KOL-FC1")
""")


def test_an_import_killed_mid_way_leaves_no_change_rows_and_the_stock_as_it_was(clean_engine, clean_db_url, tmp_path):
    before = _stock(clean_engine)
    (a, on, _), *_ = _positions(clean_engine, "KOL-FC1")
    flag = tmp_path / "applied"
    env = {**os.environ, "OMNIALLOC_DATABASE_URL": clean_db_url}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(flag), f"sku,qty\n{a},{on + 1}\n"], env=env)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None, "the import process ended before applying"
            assert time.monotonic() < deadline, "the import never got to its apply"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert _changes(clean_engine) == {}
    assert _stock(clean_engine) == before
