"""What every use case needs to run: the engine (for units of work) and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from omnialloc.config import Settings, get_settings


@dataclass
class Context:
    engine: object
    settings: Settings

    def uow(self, readonly: bool = False):
        from omnialloc.store.uow import UnitOfWork

        return UnitOfWork(self.engine, readonly=readonly)

    @classmethod
    def default(cls) -> "Context":
        from omnialloc.store.engine import make_engine

        settings = get_settings()
        return cls(engine=make_engine(settings.database_url), settings=settings)
