"""The demo loader is idempotent: a second run changes nothing and never touches live stock."""

from __future__ import annotations

import sqlalchemy as sa

from omnialloc.services.network.demo import load_demo
from omnialloc.store.tables.inventory import inventory


def _snapshot(engine):
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(inventory.c.node, inventory.c.sku, inventory.c.on_hand,
                                             inventory.c.reserved, inventory.c.safety_stock)).all())


def test_loading_twice_gives_the_same_row_counts(clean_engine):
    first = load_demo(engine=clean_engine, key_file=None)
    second = load_demo(engine=clean_engine, key_file=None)
    assert first == second
    assert first["nodes"] >= 12 and first["skus"] >= 200 and first["carriers"] >= 4 and first["inventory"] > 0


def test_loading_again_does_not_double_or_reset_stock(clean_engine, uow_factory, demo):
    with uow_factory() as uow:
        assert uow.inventory.reserve(demo["node"], demo["sku"], 1)
        uow.commit()
    before = _snapshot(clean_engine)
    load_demo(engine=clean_engine, key_file=None)
    assert _snapshot(clean_engine) == before


def test_loading_restores_reference_rows_edited_since(clean_engine, uow_factory, demo):
    with uow_factory() as uow:
        node = uow.nodes.get(demo["node"])
        node.name, node.priority = "renamed", 999
        uow.nodes.update(node)
        uow.commit()
    load_demo(engine=clean_engine, key_file=None)
    with uow_factory(readonly=True) as uow:
        assert uow.nodes.get(demo["node"]).name != "renamed"


def test_the_demo_admin_key_is_created_once_and_kept(clean_engine, uow_factory, tmp_path):
    key_file = tmp_path / "var" / "demo-admin-key"
    first = load_demo(engine=clean_engine, key_file=key_file)
    token = key_file.read_text().strip()
    second = load_demo(engine=clean_engine, key_file=key_file)
    assert key_file.read_text().strip() == token
    assert first["api_keys"] == second["api_keys"] == 1
    from omnialloc.services.access import principal_for_token

    with uow_factory(readonly=True) as uow:
        assert principal_for_token(uow, token).role == "admin"
