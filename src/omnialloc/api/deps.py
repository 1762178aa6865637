"""Per-app wiring the views need: the engine and units of work, built once per process."""

from __future__ import annotations

from flask import current_app

from omnialloc.config import Settings


def settings() -> Settings:
    return current_app.extensions["omnialloc"]["settings"]


def engine():
    return current_app.extensions["omnialloc"]["engine"]


def uow():
    from omnialloc.store.uow import UnitOfWork

    return UnitOfWork(engine())


def readonly_uow():
    from omnialloc.store.uow import UnitOfWork

    return UnitOfWork(engine(), readonly=True)


def ctx():
    from omnialloc.services.context import Context

    ext = current_app.extensions["omnialloc"]
    if "ctx" not in ext:
        ext["ctx"] = Context(engine=ext["engine"], settings=ext["settings"])
    return ext["ctx"]
