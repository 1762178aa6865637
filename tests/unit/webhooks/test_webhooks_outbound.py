"""Outbound webhooks against a local subscriber: signed as documented, classified, retried, then dead-lettered.

The subscriber checks each signature twice: with ``omnialloc.webhooks.verify`` and with a receiver written here
from the documented scheme alone (HMAC-SHA256, hex, over "<timestamp>.<raw body>", ``v1=`` items).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug import Request, Response

from omnialloc.edge.http import Timeouts
from omnialloc.webhooks import (DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, DeliveryResult,
                                RetryPolicy, SignatureError, Subscription, Verdict, WebhookEvent, WebhookSender,
                                classify, generate_secret, signature_header, verify)

SECRET = "whsec_test_3b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e"
NOW = 1_796_000_000
EVENT = WebhookEvent(id="evt_1", type="order.shipped", occurred_at=datetime(2026, 12, 7, 15, 30, tzinfo=timezone(
    timedelta(hours=5, minutes=30))), data={"order_id": "ord_9", "awb": "DL100", "amount_paise": 49_950,
                                            "city": "Pune — Kothrud"})


def independent_receiver_accepts(secret: str, body: bytes, headers) -> bool:
    """The documented scheme, implemented without omnialloc's code."""
    timestamp = headers[TIMESTAMP_HEADER]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    offered = [item.split("=", 1)[1] for item in headers[SIGNATURE_HEADER].split(",") if item.startswith("v1=")]
    return any(hmac.compare_digest(expected, o) for o in offered)


class Subscriber:
    """Records what arrives and answers with the statuses it is given (then 200)."""

    def __init__(self, server, answers=()):
        self.received: list[tuple[dict, bytes]] = []
        self.answers = list(answers)
        self.lock = threading.Lock()
        server.expect_request("/hooks/omnialloc", method="POST").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.received.append((dict(request.headers), request.get_data()))
            status, headers = self.answers.pop(0) if self.answers else (200, {})
        if status == "stall":
            time.sleep(1.0)
            status = 200
        return Response("ok" if status < 400 else f'{{"error": "status {status}"}}', status=status, headers=headers)


def _subscription(server, *secrets):
    return Subscription(server.url_for("/hooks/omnialloc"), secrets or (SECRET,))


def _sender(**kw):
    return WebhookSender(timeouts=kw.pop("timeouts", Timeouts.all(5)), clock=kw.pop("clock", lambda: NOW), **kw)


def test_a_delivery_is_a_signed_json_post_with_delivery_id_timestamp_and_event(server):
    subscriber = Subscriber(server)
    body = EVENT.encode()
    result = _sender().deliver(_subscription(server), "dlv_1", EVENT.type, body)
    assert result.verdict is Verdict.DELIVERED and result.status == 200 and result.response_excerpt == "ok"
    [(headers, got)] = subscriber.received
    assert got == body
    assert json.loads(got) == {"id": "evt_1", "type": "order.shipped", "created_at": "2026-12-07T10:00:00Z",
                               "data": {"order_id": "ord_9", "awb": "DL100", "amount_paise": 49_950,
                                        "city": "Pune — Kothrud"}}
    assert headers["Content-Type"] == "application/json"
    assert headers[DELIVERY_HEADER] == "dlv_1" and headers[EVENT_HEADER] == "order.shipped"
    assert headers[TIMESTAMP_HEADER] == str(NOW)
    assert independent_receiver_accepts(SECRET, got, headers)
    assert verify(SECRET, got, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=NOW + 10) == NOW


def test_retries_keep_the_delivery_id_and_sign_again_with_a_fresh_timestamp(server):
    subscriber = Subscriber(server, answers=[(503, {})])
    clock = iter([NOW, NOW + 60])
    sender = _sender(clock=lambda: next(clock))
    body = EVENT.encode()
    assert sender.deliver(_subscription(server), "dlv_1", EVENT.type, body).verdict is Verdict.RETRY
    assert sender.deliver(_subscription(server), "dlv_1", EVENT.type, body).verdict is Verdict.DELIVERED
    (h1, _), (h2, _) = subscriber.received
    assert h1[DELIVERY_HEADER] == h2[DELIVERY_HEADER] == "dlv_1"
    assert (h1[TIMESTAMP_HEADER], h2[TIMESTAMP_HEADER]) == (str(NOW), str(NOW + 60))
    assert h1[SIGNATURE_HEADER] != h2[SIGNATURE_HEADER]
    assert all(independent_receiver_accepts(SECRET, body, h) for h in (h1, h2))


def test_while_rotating_both_secrets_sign_and_either_receiver_accepts(server):
    new = generate_secret()
    subscriber = Subscriber(server)
    body = EVENT.encode()
    _sender().deliver(_subscription(server, new, SECRET), "dlv_1", EVENT.type, body)
    [(headers, _)] = subscriber.received
    assert headers[SIGNATURE_HEADER].count("v1=") == 2
    assert independent_receiver_accepts(new, body, headers) and independent_receiver_accepts(SECRET, body, headers)
    assert verify([SECRET], body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=NOW) == NOW


@pytest.mark.parametrize("status, verdict", [
    (200, Verdict.DELIVERED), (201, Verdict.DELIVERED), (204, Verdict.DELIVERED),
    (410, Verdict.UNSUBSCRIBE),
    (429, Verdict.RETRY), (408, Verdict.RETRY), (500, Verdict.RETRY), (502, Verdict.RETRY), (503, Verdict.RETRY),
    (400, Verdict.DEAD_LETTER), (401, Verdict.DEAD_LETTER), (403, Verdict.DEAD_LETTER), (404, Verdict.DEAD_LETTER),
    (422, Verdict.DEAD_LETTER), (301, Verdict.DEAD_LETTER),
])
def test_the_subscribers_answer_decides_what_happens_next(server, status, verdict):
    Subscriber(server, answers=[(status, {"Location": "https://elsewhere.example/"} if status == 301 else {})])
    result = _sender().deliver(_subscription(server), "dlv_1", EVENT.type, EVENT.encode())
    assert result.verdict is verdict and result.status == status
    assert classify(status) is verdict


def test_429_brings_the_subscribers_retry_after(server):
    Subscriber(server, answers=[(429, {"Retry-After": "120"})])
    result = _sender().deliver(_subscription(server), "dlv_1", EVENT.type, EVENT.encode())
    assert result.verdict is Verdict.RETRY and result.retry_after == 120.0


def test_a_slow_or_absent_subscriber_is_retried(server):
    Subscriber(server, answers=[("stall", {})])
    slow = _sender(timeouts=Timeouts(connect=2, read=0.3, write=2, pool=2)).deliver(
        _subscription(server), "dlv_1", EVENT.type, EVENT.encode())
    assert slow.verdict is Verdict.RETRY and slow.status is None and "did not answer in time" in slow.detail
    absent = _sender().deliver(Subscription("http://127.0.0.1:9/hook", (SECRET,)), "dlv_2", EVENT.type, b"{}")
    assert absent.verdict is Verdict.RETRY and "could not be reached" in absent.detail


def test_a_failing_subscriber_is_retried_with_backoff_then_dead_lettered(server):
    subscriber = Subscriber(server, answers=[(503, {})] * 20)
    policy = RetryPolicy(max_attempts=5, base_seconds=30, max_seconds=600)
    sender, now, attempts, schedule = _sender(), datetime(2026, 12, 7, tzinfo=timezone.utc), 0, []
    while True:
        result = sender.deliver(_subscription(server), "dlv_1", EVENT.type, EVENT.encode())
        attempts += 1
        then = policy.next_attempt(attempts, result, now)
        if then is None:
            break
        schedule.append((then - now).total_seconds())
        now = then
    assert result.verdict is Verdict.RETRY and attempts == 5 == len(subscriber.received)
    assert schedule == [30, 60, 120, 240]          # then dead-lettered


def test_the_retry_policy_honours_retry_after_and_stops_on_a_final_verdict():
    policy = RetryPolicy(max_attempts=8, base_seconds=30, max_seconds=3600)
    now = datetime(2026, 12, 7, tzinfo=timezone.utc)

    def result(verdict, retry_after=None):
        return DeliveryResult(verdict, 503, "x", 5, retry_after)

    assert policy.next_attempt(1, result(Verdict.RETRY, 300), now) == now + timedelta(seconds=300)
    assert policy.next_attempt(1, result(Verdict.RETRY, 99_999), now) == now + timedelta(seconds=3600)
    assert policy.next_attempt(20, result(Verdict.RETRY), now) is None
    assert policy.next_attempt(7, result(Verdict.RETRY), now) == now + timedelta(seconds=1920)
    for final in (Verdict.DELIVERED, Verdict.UNSUBSCRIBE, Verdict.DEAD_LETTER):
        assert policy.next_attempt(1, result(final), now) is None


# -- the receiver's verifier ------------------------------------------------------------------------------------

BODY = b'{"id":"evt_1"}'
GOOD = (str(NOW), signature_header([SECRET], NOW, BODY))


@pytest.mark.parametrize("body, timestamp, signature, secret, problem", [
    (BODY + b" ", *GOOD, SECRET, "does not match"),                                   # tampered body
    (BODY, *GOOD, "whsec_someone_else", "does not match"),                            # wrong secret
    (BODY, str(NOW + 1), GOOD[1], SECRET, "does not match"),                          # timestamp changed
    (BODY, str(NOW - 301), signature_header([SECRET], NOW - 301, BODY), SECRET, "away from now"),   # replayed
    (BODY, str(NOW + 301), signature_header([SECRET], NOW + 301, BODY), SECRET, "away from now"),
    (BODY, None, GOOD[1], SECRET, "missing"),
    (BODY, GOOD[0], None, SECRET, "missing"),
    (BODY, "soon", GOOD[1], SECRET, "Unix time"),
    (BODY, GOOD[0], "v0=" + GOOD[1][3:], SECRET, "no v1="),
    (BODY, *GOOD, "", "no secret"),
])
def test_verify_refuses_what_omnialloc_did_not_send_just_now(body, timestamp, signature, secret, problem):
    with pytest.raises(SignatureError, match=problem):
        verify(secret, body, timestamp, signature, now=NOW)


def test_verify_accepts_within_the_tolerance_and_ignores_other_schemes():
    assert verify(SECRET, BODY, GOOD[0], f"v0=deadbeef, {GOOD[1]}", now=NOW + 299) == NOW


def test_the_secret_is_never_logged_nor_shown(server, our_log):
    Subscriber(server, answers=[(500, {})])
    subscription = _subscription(server)
    result = _sender().deliver(subscription, "dlv_1", EVENT.type, EVENT.encode())
    ours = our_log()
    assert "webhook dlv_1" in ours and SECRET not in ours and SECRET not in result.detail
    assert SECRET not in repr(subscription)


@pytest.mark.parametrize("url, problem", [
    ("http://erp.example.in/hook", "https"), ("ftp://erp.example.in/hook", "https"),
    ("https://user:pw@erp.example.in/hook", "credentials"), ("not a url", "https"),
])
def test_a_subscription_url_must_be_https_without_credentials(url, problem):
    with pytest.raises(ValueError, match=problem):
        Subscription(url, (SECRET,))


def test_an_admin_may_allow_plain_http_on_a_private_network():
    assert Subscription("http://erp.internal/hook?k=1", (SECRET,), allow_insecure=True).url.startswith("http://")
