"""Unit of work: one connection, one transaction, every repository on it.

    with UnitOfWork(engine) as uow:
        order = uow.orders.get(order_id, for_update=True)
        ...
        uow.commit()

Leaving the block without ``commit()`` (or with an exception) rolls back.
``readonly=True`` opens a read transaction that does not take SQLite's write
lock (a deferred BEGIN: a consistent snapshot; writes in it are a bug).
After ``commit()`` the unit may be used again; the next statement begins a
new transaction. Events (and their outbox rows) are queued and written just
before the commit (see ``repositories.events``).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from omnialloc.store.engine import READONLY_OPTION
from omnialloc.store.repositories import (
    AllocationRepository,
    ApiKeyRepository,
    CarrierRepository,
    ChannelRepository,
    EventRepository,
    InventoryRepository,
    NodeRepository,
    OrderRepository,
    ShipmentRepository,
    SkuRepository,
)

#: ``uow.<name>`` -> (module, class) for repositories wired lazily; add a line per new aggregate.
EXTRA_REPOSITORIES = {
    "rules": ("omnialloc.store.repositories.rules", "RuleRepository"),
    "returns": ("omnialloc.store.repositories.returns", "ReturnRepository"),
    "store_credit": ("omnialloc.store.repositories.returns", "StoreCreditRepository"),
}


class UnitOfWork:
    conn: Connection

    def __init__(self, engine: Engine, *, readonly: bool = False):
        self.engine = engine
        self.readonly = readonly
        self.conn = None  # type: ignore[assignment]

    def __enter__(self) -> "UnitOfWork":
        conn = self.engine.connect()
        if self.readonly:
            conn = conn.execution_options(**{READONLY_OPTION: True})
        self.conn = conn
        try:
            conn.begin()
        except BaseException:
            conn.close()
            raise
        self.nodes = NodeRepository(conn)
        self.skus = SkuRepository(conn)
        self.inventory = InventoryRepository(conn)
        self.channels = ChannelRepository(conn)
        self.carriers = CarrierRepository(conn)
        self.orders = OrderRepository(conn)
        self.shipments = ShipmentRepository(conn)
        self.events = EventRepository(conn)
        self.allocations = AllocationRepository(conn)
        self.api_keys = ApiKeyRepository(conn)
        return self

    def __getattr__(self, name: str):
        # Repositories of later features (store/repositories/<feature>.py), built on first use.
        spec = EXTRA_REPOSITORIES.get(name)
        if spec is None or self.__dict__.get("conn") is None:
            raise AttributeError(name)
        import importlib

        repo = getattr(importlib.import_module(spec[0]), spec[1])(self.conn)
        setattr(self, name, repo)
        return repo

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        self.events.flush()
        if self.conn.in_transaction():
            self.conn.commit()

    def rollback(self) -> None:
        self.events.discard()
        if self.conn.in_transaction():
            self.conn.rollback()
