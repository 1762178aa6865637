"""The services' context (settings, engine, unit of work) the commands run with."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omnialloc.services.context import Context


def default_context() -> Context:
    """The context built from the settings in effect (imported on first use: ``--help`` stays fast)."""
    from omnialloc.services.context import Context

    return Context.default()
