"""Logging set-up: one JSON object per line (or one readable line), each with the current request id.

``configure`` is called once by each entry point (gunicorn's app, the workers, the CLI). JSON lines
carry ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``pid``, ``message``, ``request_id`` and whatever a call
passes in ``extra=``; exceptions come as one ``exc_info`` string, so a traceback is still one line.

What is never logged: API keys and secrets (only key ids and hashes exist past authentication),
customer e-mail addresses and phone numbers (``mask`` them: notification lines name the row id and
a masked recipient). A test greps captured logs for its own keys, phone and e-mail.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from omnialloc.observability import request_id

_OURS = "omnialloc_handler"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps every record with the request id current where it was logged (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.current() or "-"
        return True


class _Json(JsonFormatter):
    def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["pid"] = record.process  # which gunicorn worker (or worker process) wrote it
        if log_record.get("request_id") == "-":
            log_record["request_id"] = None


def json_formatter() -> logging.Formatter:
    return _Json(["message", "request_id"], reserved_attrs=None)


def handler(stream: IO[str] | None = None, fmt: str = "json") -> logging.Handler:
    """A stream handler writing our format, with the request id filter."""
    h = logging.StreamHandler(stream or sys.stderr)
    h.setFormatter(json_formatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    h.addFilter(RequestIdFilter())
    setattr(h, _OURS, True)
    return h


def configure(level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None) -> None:
    """Route the root logger to one handler of ours (idempotent: a second call replaces it).

    gunicorn's own error log and werkzeug keep their handlers; our loggers propagate to the root."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _OURS, False):
            root.removeHandler(h)
    root.addHandler(handler(stream, fmt))
    root.setLevel(level)
    logging.captureWarnings(True)


def configure_from(settings: Any, stream: IO[str] | None = None) -> None:
    configure(settings.log_level, settings.log_format, stream)


def mask(value: str | None) -> str:
    """An e-mail address or phone number as it may appear in a log: enough to tell two apart, not to
    contact anyone (``a***@example.com``, ``***0001``)."""
    if not value:
        return ""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return "***" + value[-4:] if len(value) > 6 else "***"
