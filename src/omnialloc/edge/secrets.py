"""Keeping credentials out of error text and logs.

A shop or carrier may echo what it received (a token in an error body, a signed
URL in a message); a library may log a request URL that carries a credential in
its query string (WooCommerce's query-string authentication). ``Redactor``
scrubs known secret values from any text we keep or show; ``redact_query_params``
makes the ``httpx`` logger print such URLs with the values masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"
# Shorter values would mask ordinary words; no real token is this short.
_MIN_SECRET_LEN = 4


class Redactor:
    """Replaces every occurrence of the given secret values with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets = sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_LEN}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def __repr__(self) -> str:  # never the values
        return f"Redactor({len(self._secrets)} secrets)"


class _QueryParamFilter(logging.Filter):
    def __init__(self, names: frozenset[str]):
        super().__init__()
        self.names = names
        self._pattern = re.compile(r"([?&](?:" + "|".join(re.escape(n) for n in sorted(names)) + r")=)[^&#\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self._pattern.sub(lambda m: m.group(1) + MASK, message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        return True


_installed: dict[str, _QueryParamFilter] = {}


def redact_query_params(*names: str, logger_name: str = "httpx") -> None:
    """Mask the values of query parameters ``names`` in what ``logger_name`` logs (idempotent).

    httpx logs every request URL at INFO ("HTTP Request: GET https://...?..."), so a
    credential passed in the query string would land in the application log.
    """
    wanted = frozenset(names)
    current = _installed.get(logger_name)
    if current is not None and wanted <= current.names:
        return
    logger = logging.getLogger(logger_name)
    if current is not None:
        logger.removeFilter(current)
        wanted |= current.names
    new = _QueryParamFilter(wanted)
    logger.addFilter(new)
    _installed[logger_name] = new
