"""SMS providers: an interface, an HTTP webhook provider, and a log provider (the default).

The HTTP provider POSTs JSON ``{"to", "message", "reference"}`` to
``OMNIALLOC_SMS_URL`` with ``Authorization: Bearer <OMNIALLOC_SMS_TOKEN>`` and an
``Idempotency-Key`` header that is the same on every retry of one message, so a
provider that honours it never delivers twice. HTTP 5xx, 429, 408, timeouts and
connection errors are transient; other 4xx (and redirects: a misconfigured URL)
are permanent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import httpx

from omnialloc.notify.errors import PermanentError, TransientError
from omnialloc.observability.logs import mask

if TYPE_CHECKING:
    from omnialloc.config import Settings

log = logging.getLogger("omnialloc.notify.sms")

RETRYABLE_4XX = frozenset({408, 425, 429})


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    text: str
    idempotency_key: str
    reference: str = ""          # our notification id, echoed back by providers that support it


class SmsProvider(Protocol):
    name: str

    def send(self, sms: OutgoingSms) -> str:
        """Deliver ``sms``; return the provider's message reference. Raises Transient/PermanentError."""

    def close(self) -> None: ...


class LogSmsProvider:
    """Logs messages instead of sending them: the default, so ``make run`` needs no SMS account."""

    name = "log"

    def __init__(self) -> None:
        self.sent: list[OutgoingSms] = []

    def send(self, sms: OutgoingSms) -> str:
        self.sent.append(sms)
        # The number masked and the text at DEBUG only: a log is no place for customers' contact details.
        log.info("sms (log provider) to %s [%s]", mask(sms.to), sms.idempotency_key)
        log.debug("sms (log provider) text: %s", sms.text)
        return f"log:{sms.idempotency_key}"

    def close(self) -> None:
        pass


class HttpSmsProvider:
    """JSON webhook provider (most Indian SMS gateways accept a shape like this behind a small adapter)."""

    name = "http"

    def __init__(self, url: str, token: str = "", timeout: float = 10.0, sender_id: str = "",
                 client: httpx.Client | None = None):
        if not url:
            raise ValueError("OMNIALLOC_SMS_URL must be set when OMNIALLOC_SMS_PROVIDER=http")
        self.url = url
        self.token = token
        self.sender_id = sender_id
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._owns_client = client is None

    def send(self, sms: OutgoingSms) -> str:
        headers = {"Idempotency-Key": sms.idempotency_key, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"to": sms.to, "message": sms.text, "reference": sms.reference or sms.idempotency_key}
        if self.sender_id:
            body["sender"] = self.sender_id
        try:
            response = self._client.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransientError(f"SMS provider timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"SMS provider unreachable: {exc!r}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return _reference(response) or sms.idempotency_key
        detail = f"SMS provider answered HTTP {status}: {response.text[:200]}"
        if status >= 500 or status in RETRYABLE_4XX:
            raise TransientError(detail)
        raise PermanentError(detail)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()


def _reference(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in ("id", "message_id", "messageId", "reference"):
            if data.get(key):
                return str(data[key])
    return None


def make_sms_provider(settings: Settings) -> SmsProvider:
    kind = (settings.sms_provider or "log").strip().lower()
    if kind == "log":
        return LogSmsProvider()
    if kind == "http":
        return HttpSmsProvider(settings.sms_url, settings.sms_token,
                               timeout=float(getattr(settings, "sms_timeout_seconds", 10)),
                               sender_id=getattr(settings, "sms_sender_id", ""))
    raise ValueError(f"OMNIALLOC_SMS_PROVIDER must be 'log' or 'http', got {settings.sms_provider!r}")
