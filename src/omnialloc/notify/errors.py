"""Delivery failures, split by what the dispatcher should do next.

A *transient* failure (connection refused, timeout, SMTP 4xx, HTTP 5xx/429/408)
is retried later with backoff; a *permanent* one (SMTP 5xx, HTTP 4xx, a broken
template) goes straight to the dead letter: sending it again cannot succeed
until a person changes something.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A message could not be handed to the provider."""

    transient: bool = False

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransientError(DeliveryError):
    transient = True


class PermanentError(DeliveryError):
    transient = False
