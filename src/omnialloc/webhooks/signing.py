"""Signing outbound webhooks, and the verifier a receiver runs (HMAC-SHA256 over "timestamp.body").

The scheme (as Stripe's, with our own header names):

* ``Omnialloc-Timestamp``: the Unix time (seconds) of this attempt;
* ``Omnialloc-Signature``: ``v1=<hex>``, where ``<hex>`` is the lowercase hex
  HMAC-SHA256, keyed with the subscription's secret, of the bytes
  ``<timestamp> "." <raw body>``. While a secret is being rotated the header
  carries one ``v1=`` per active secret, comma-separated; a receiver accepts the
  request if any of them matches a secret it holds;
* ``Omnialloc-Delivery``: the delivery id, the same on every retry of one
  delivery, so a receiver can drop a duplicate; ``Omnialloc-Event``: the event type.

A receiver recomputes the HMAC over the raw body exactly as received (before
any JSON parsing), compares in constant time, and refuses a timestamp more than
``tolerance`` seconds (300 by default) away from its clock: a captured request
cannot be replayed later. ``verify`` does all of that.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from secrets import token_urlsafe

SIGNATURE_HEADER = "Omnialloc-Signature"
TIMESTAMP_HEADER = "Omnialloc-Timestamp"
DELIVERY_HEADER = "Omnialloc-Delivery"
EVENT_HEADER = "Omnialloc-Event"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The request is not proven to come from omnialloc (or is too old): refuse it (HTTP 400/401)."""


def generate_secret() -> str:
    """A new subscription secret: 32 random bytes, URL-safe."""
    return "whsec_" + token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    if not secret:
        raise ValueError("a webhook secret is required to sign")
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """``v1=<hex>`` for each active secret (the newest first)."""
    if not secrets:
        raise ValueError("a webhook subscription needs at least one secret")
    return ",".join(f"{SCHEME}={sign(secret, timestamp, body)}" for secret in secrets)


def verify(secret: str | Sequence[str], body: bytes, timestamp: str | None, signature: str | None, *,
           tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None) -> int:
    """Check a received webhook; return its timestamp. Raises SignatureError saying what is wrong.

    ``secret``: the secret the receiver holds (or several, while rotating). ``body``: the raw request
    body bytes. ``timestamp`` / ``signature``: the ``Omnialloc-Timestamp`` / ``Omnialloc-Signature`` headers.
    """
    held = [secret] if isinstance(secret, str) else list(secret)
    if not any(held):
        raise SignatureError("no secret to verify with")
    if not timestamp or not signature:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        sent_at = int(timestamp.strip())
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not a Unix time in seconds") from None
    now = time.time() if now is None else now
    if abs(now - sent_at) > tolerance_seconds:
        raise SignatureError(f"timestamp is {int(now - sent_at)} s away from now (tolerance {tolerance_seconds} s)")
    given = [part.strip()[len(SCHEME) + 1:] for part in signature.split(",")
             if part.strip().startswith(f"{SCHEME}=")]
    if not given:
        raise SignatureError(f"no {SCHEME}= signature in {SIGNATURE_HEADER}")
    for key in held:
        if not key:
            continue
        expected = sign(key, sent_at, body).encode()
        if any(hmac.compare_digest(expected, candidate.encode()) for candidate in given):
            return sent_at
    raise SignatureError("signature does not match the body and timestamp")
