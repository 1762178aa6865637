"""The message bus: what one use case does reaches the parts that react to it, inside its transaction.

As in cosmicpython's message bus, handlers are registered per message type and a message is handled
where it is raised, with the caller's unit of work, so whatever a handler writes commits or rolls
back with the change that raised it. Two kinds of message (``services.messages``):

* an **event** says what happened (``Recorded``: an audit event was written); any number of
  handlers may subscribe, each is called in the order it subscribed, and :func:`publish` returns
  their answers in that order;
* a **command** asks for one thing to be done (``RetryBackorders``); exactly one handler takes it
  and :func:`send` returns its answer (no handler is a bug, not a silent no-op).

Publishers import this module and ``services.messages`` only, never the subscribers, so the
import graph stays one-way (events do not import notifications; the allocation kernel does not
import the backorder retries). The subscriptions are made in one place, ``services.subscribers``,
when the ``omnialloc.services`` package is imported. Nothing leaves the process from here: a
handler that tells the outside world answers outbox rows, which are written with the event and
sent after the commit by a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, Any], Any]  # (unit of work, message) -> answer

_subscribers: dict[type, list[Handler]] = {}
_handlers: dict[type, Handler] = {}


def subscribe(event_type: type, handler: Handler) -> None:
    """Call ``handler(uow, event)`` for every event of ``event_type`` (once, however often subscribed)."""
    handlers = _subscribers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def handle(command_type: type, handler: Handler) -> None:
    """Make ``handler(uow, command)`` the one handler of ``command_type``."""
    current = _handlers.get(command_type)
    if current is not None and current is not handler:
        raise ValueError(f"{command_type.__name__} already has a handler: {current!r}")
    _handlers[command_type] = handler


def publish(uow, event) -> list:
    """Hand ``event`` to its subscribers in the caller's transaction; their answers, in subscription order."""
    return [handler(uow, event) for handler in _subscribers.get(type(event), ())]


def send(uow, command) -> Any:
    """Have ``command`` done by its handler in the caller's transaction; the handler's answer."""
    try:
        handler = _handlers[type(command)]
    except KeyError:
        raise LookupError(f"no handler for {type(command).__name__}") from None
    return handler(uow, command)
