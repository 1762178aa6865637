"""Exponential backoff between delivery attempts."""

from datetime import UTC, datetime, timedelta

from omnialloc.notify.backoff import next_attempt_at, retry_delay


def test_delay_doubles_per_attempt():
    assert [retry_delay(n, 30, 3600).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_delay_is_capped():
    assert retry_delay(40, 30, 3600) == timedelta(seconds=3600)


def test_no_delay_before_the_first_attempt():
    assert retry_delay(0, 30, 3600) == timedelta(0)


def test_next_attempt_is_now_plus_delay():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_attempt_at(now, 2, 10, 100) == now + timedelta(seconds=20)
