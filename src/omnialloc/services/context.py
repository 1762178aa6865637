"""What every use case needs to run: the engine (for units of work) and the settings."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from omnialloc.config import Settings, get_settings
from omnialloc.store.uow import UnitOfWork
from omnialloc.store.engine import Engine, make_engine

_pinned = threading.local()  # the connection write units of work share in this thread, if any


@dataclass
class Context:
    engine: Engine
    settings: Settings

    def uow(self, readonly: bool = False) -> UnitOfWork:
        conn = None if readonly else getattr(_pinned, "conn", None)
        if conn is not None and conn.in_transaction():  # a unit on it is still open: this one nests
            conn = None
        return UnitOfWork(self.engine, readonly=readonly, connection=conn)

    @contextmanager
    def one_connection(self) -> Iterator[None]:
        """Write units of work opened in this block (in this thread) run one after another on one pooled
        connection: a capture and its allocation pay one checkout and pool pre-ping instead of two.
        Read-only units, and a unit opened while another is open on it, still take their own."""
        if getattr(_pinned, "conn", None) is not None:
            yield
            return
        with self.engine.connect() as conn:
            _pinned.conn = conn
            try:
                yield
            finally:
                _pinned.conn = None

    @classmethod
    def default(cls) -> "Context":
        settings = get_settings()
        return cls(engine=make_engine(settings.database_url), settings=settings)
