"""Exponential backoff for transient delivery failures.

Deterministic (no jitter) so tests and replays are exact; the worker's polling
already spreads retries of different rows over time.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def retry_delay(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Wait before attempt ``attempts + 1``: base, 2*base, 4*base, ... capped at ``max_seconds``."""
    if attempts < 1:
        return timedelta(0)
    seconds = min(float(max_seconds), float(base_seconds) * (2 ** min(attempts - 1, 32)))
    return timedelta(seconds=max(0.0, seconds))


def next_attempt_at(now: datetime, attempts: int, base_seconds: float, max_seconds: float) -> datetime:
    return now + retry_delay(attempts, base_seconds, max_seconds)
