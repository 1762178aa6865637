"""Delivering one outbound webhook, and deciding what happens after a failure.

``WebhookSender.deliver`` POSTs the event's JSON to the subscription's URL,
signed (``signing``), and classifies the answer:

* 2xx: ``DELIVERED``;
* 410 Gone: ``UNSUBSCRIBE`` (the receiver says the endpoint is gone for good:
  the subscription is disabled, nothing more is sent to it);
* no answer (timeout, refused, reset), 408, 425, 429, 5xx: ``RETRY``, no sooner
  than the receiver's ``Retry-After``;
* any other 4xx, or a redirect (not followed): ``DEAD_LETTER`` at once; sending the
  same request again cannot succeed until someone fixes the endpoint.

``RetryPolicy.next_attempt`` turns a RETRY into the time of the next attempt
(exponential backoff with a cap, never sooner than ``Retry-After``), or None
once the attempts are used up: the delivery is then dead-lettered (and can be
replayed by an admin). The delivery id stays the same across attempts; the
timestamp and signature are fresh on each.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import httpx

from omnialloc.edge.http import Timeouts, is_loopback, make_client, send
from omnialloc.notify.backoff import retry_delay
from omnialloc.webhooks.signing import (DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
                                        signature_header)

log = logging.getLogger("omnialloc.webhooks")

_EXCERPT = 500


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    UNSUBSCRIBE = "unsubscribe"
    DEAD_LETTER = "dead_letter"


def classify(status: int | None) -> Verdict:
    """What an HTTP status (None: no answer) means for a webhook delivery."""
    if status is None or status in (408, 425, 429) or status >= 500:
        return Verdict.RETRY
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if status == 410:
        return Verdict.UNSUBSCRIBE
    return Verdict.DEAD_LETTER


@dataclass(frozen=True)
class WebhookEvent:
    id: str                               # the event's id: a receiver may see it in several deliveries
    type: str                             # "order.shipped", "shipment.delivered", ...
    occurred_at: datetime                 # aware
    data: Mapping[str, Any]

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("an event's time must be timezone-aware")

    def encode(self) -> bytes:
        """The body: ``{"id", "type", "created_at" (UTC, ISO 8601), "data"}`` as compact UTF-8 JSON."""
        at = self.occurred_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        return json.dumps({"id": self.id, "type": self.type, "created_at": at, "data": self.data},
                          separators=(",", ":"), ensure_ascii=False, default=str).encode()


def check_subscription_url(url: str, *, allow_insecure: bool = False) -> str:
    """A subscriber URL: https (http only on a loopback host or when the admin allows it); a query is allowed."""
    try:
        parsed = httpx.URL(url.strip()) if isinstance(url, str) else None
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"webhook URL {url!r} must be an https:// URL with a host")
    if parsed.scheme == "http" and not (allow_insecure or is_loopback(parsed.host)):
        raise ValueError(f"webhook URL {url!r} must use https:// (the events carry customer data)")
    if parsed.userinfo or parsed.fragment:
        raise ValueError(f"webhook URL {url!r} must not carry credentials or a #fragment")
    return str(parsed)


@dataclass(frozen=True)
class Subscription:
    url: str
    secrets: tuple[str, ...] = field(repr=False)     # active secrets, newest first (two while rotating)
    allow_insecure: bool = False

    def __post_init__(self) -> None:
        if not self.secrets or not all(self.secrets):
            raise ValueError("a webhook subscription needs a secret")
        check_subscription_url(self.url, allow_insecure=self.allow_insecure)


@dataclass(frozen=True)
class DeliveryResult:
    verdict: Verdict
    status: int | None
    detail: str
    duration_ms: int
    retry_after: float | None = None
    response_excerpt: str = ""            # the start of the receiver's answer, for the delivery log


class WebhookSender:
    def __init__(self, *, timeouts: Timeouts | None = None, client: httpx.Client | None = None,
                 clock: Callable[[], float] = time.time):
        self._owns_client = client is None
        self._client = client or make_client(timeouts or Timeouts(connect=5, read=10, write=10, pool=5))
        self._clock = clock

    def deliver(self, subscription: Subscription, delivery_id: str, event_type: str, body: bytes) -> DeliveryResult:
        timestamp = int(self._clock())
        headers = {"Content-Type": "application/json", EVENT_HEADER: event_type, DELIVERY_HEADER: delivery_id,
                   TIMESTAMP_HEADER: str(timestamp),
                   SIGNATURE_HEADER: signature_header(subscription.secrets, timestamp, body)}
        started = time.monotonic()
        reply = send(self._client, "POST", subscription.url, what="the subscriber", content=body, headers=headers)
        duration_ms = int((time.monotonic() - started) * 1000)
        verdict = classify(reply.status)
        excerpt = reply.body[:_EXCERPT].decode("utf-8", errors="replace")
        detail = reply.problem or f"HTTP {reply.status}"
        if verdict is Verdict.UNSUBSCRIBE:
            detail = f"the subscriber answered 410 Gone: {detail}"
        log.info("webhook %s (%s) -> %s: %s in %d ms", delivery_id, event_type, verdict, detail, duration_ms)
        return DeliveryResult(verdict, reply.status, detail, duration_ms, reply.retry_after, excerpt)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 12                # 30 s, 1, 2, 4, ... min, then every 6 h at most: about 14.5 h in all
    base_seconds: float = 30.0
    max_seconds: float = 6 * 3600.0

    def next_attempt(self, attempts_made: int, result: DeliveryResult, now: datetime) -> datetime | None:
        """When to try again after ``attempts_made`` attempts ending in ``result``; None: stop (dead letter)."""
        if result.verdict is not Verdict.RETRY or attempts_made >= self.max_attempts:
            return None
        wait = retry_delay(attempts_made, self.base_seconds, self.max_seconds)
        if result.retry_after is not None:
            wait = max(wait, timedelta(seconds=min(result.retry_after, self.max_seconds)))
        return now + wait
