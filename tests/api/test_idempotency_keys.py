"""Idempotency-Key on unsafe endpoints (issue 20): a retried request changes the store once.

Shown on stock receipts (``POST /inventory/adjustments``), which by nature add each time they
run: with a key, a retry adds nothing and answers what the first answered. The rules are
in ``services.idempotency``; the IETF draft's status codes: another request under a used
key 422, a key still in use 409 with Retry-After.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from omnialloc.services import idempotency
from omnialloc.store.tables.idempotency import idempotency_keys
from tests.api.conftest import auth, signed_tracking

NODE, SKU = "CHN-FC1", "SKU-0001"


def _receipt(delta: int = 5, **extra) -> dict:
    return {"adjustments": [{"node": NODE, "sku": SKU, "delta": delta, "reason": "receipt", **extra}]}


def _on_hand(uow_factory) -> int:
    with uow_factory(readonly=True) as uow:
        return uow.inventory.get(NODE, SKU).on_hand


def _keys(uow_factory) -> list:
    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.select(idempotency_keys.c.key, idempotency_keys.c.state)
                                .order_by(idempotency_keys.c.key)).all()


def _post(client, token: str, body, key: str | None, path: str = "/inventory/adjustments"):
    headers = auth(token) | ({"Idempotency-Key": key} if key is not None else {})
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", headers=headers)


@pytest.fixture
def admin(keys) -> str:
    return keys["admin"]


def test_a_retry_with_the_same_key_replays_the_answer_and_changes_nothing(client, admin, uow_factory):
    before = _on_hand(uow_factory)
    first = _post(client, admin, _receipt(), "receipt-1")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers, first.get_json()
    again = _post(client, admin, _receipt(), "receipt-1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data() and again.mimetype == first.mimetype
    assert _on_hand(uow_factory) == before + 5
    assert _keys(uow_factory) == [("receipt-1", "done")]


def test_the_same_json_written_differently_is_the_same_request(client, admin, uow_factory):
    before = _on_hand(uow_factory)
    assert _post(client, admin, _receipt(), "spacing").status_code == 200
    reordered = ('{ "adjustments" : [ {"reason": "receipt", "delta": 5, "sku": "%s", "node": "%s"} ] }'
                 % (SKU, NODE))
    again = _post(client, admin, reordered, "spacing")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert _on_hand(uow_factory) == before + 5


@pytest.mark.parametrize("other", ["body", "endpoint"])
def test_the_same_key_with_another_request_is_422_and_changes_nothing(client, admin, uow_factory, other):
    assert _post(client, admin, _receipt(), "reused").status_code == 200
    before = _on_hand(uow_factory)
    if other == "body":
        r = _post(client, admin, _receipt(delta=6), "reused")
    else:
        r = _post(client, admin, {"name": "r", "kind": "validation", "condition": "true",
                                  "actions": [{"type": "add_tag", "tag": "x"}]}, "reused", path="/rules")
    assert r.status_code == 422 and r.mimetype == "application/problem+json", r.get_json()
    assert [e["field"] for e in r.get_json()["errors"]] == ["header.Idempotency-Key"]
    assert _on_hand(uow_factory) == before


def test_keys_belong_to_one_api_key(client, admin, uow_factory):
    from omnialloc.services.access import create_key

    with uow_factory() as uow:
        other, _ = create_key(uow, name="second-admin", role="admin")
        uow.commit()
    before = _on_hand(uow_factory)
    assert _post(client, admin, _receipt(), "shared").status_code == 200
    r = _post(client, other, _receipt(), "shared")
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    assert _on_hand(uow_factory) == before + 10


def test_a_refused_request_frees_its_key_for_the_corrected_one(client, admin, uow_factory):
    before = _on_hand(uow_factory)
    refused = _post(client, admin, _receipt(delta=-(before + 1), reason="damage"), "fix-me")
    assert refused.status_code == 422, refused.get_json()
    assert _keys(uow_factory) == []
    r = _post(client, admin, _receipt(delta=2), "fix-me")
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    assert _on_hand(uow_factory) == before + 2


def test_a_body_refused_before_the_view_holds_no_key(client, admin, uow_factory):
    assert _post(client, admin, b'{"adjustments": [], "adjustments": []}', "dup-body").status_code == 422
    assert _post(client, admin, b"[", "bad-json").status_code == 400
    assert _keys(uow_factory) == []


def test_without_a_valid_api_key_the_answer_is_401_and_no_key_is_held(client, uow_factory):
    r = client.post("/inventory/adjustments", json=_receipt(), headers={"Idempotency-Key": "k-401"})
    assert r.status_code == 401
    r = client.post("/inventory/adjustments", json=_receipt(),
                    headers={"Idempotency-Key": "k-401", "Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert _keys(uow_factory) == []


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "ключ", "tab\tinside"])
def test_a_malformed_key_is_422(client, admin, uow_factory, key):
    before = _on_hand(uow_factory)
    r = _post(client, admin, _receipt(), key)
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "header.Idempotency-Key", r.get_json()
    assert _on_hand(uow_factory) == before


def test_a_quoted_key_as_the_ietf_draft_sends_it_is_the_same_key(client, admin, uow_factory):
    before = _on_hand(uow_factory)
    assert _post(client, admin, _receipt(), '"8e03978e-40d5-43e8-bc93-6894a57f9324"').status_code == 200
    again = _post(client, admin, _receipt(), "8e03978e-40d5-43e8-bc93-6894a57f9324")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert _on_hand(uow_factory) == before + 5


def test_requests_without_a_key_store_no_key(client, admin, uow_factory):
    assert _post(client, admin, _receipt(), None).status_code == 200
    assert _keys(uow_factory) == []


def test_concurrent_duplicates_change_the_store_once_and_all_get_the_first_answer(app, admin, uow_factory):
    before = _on_hand(uow_factory)
    barrier = threading.Barrier(8)
    answers = []

    def send():
        client = app.test_client()
        barrier.wait()
        r = _post(client, admin, _receipt(), "storm")
        answers.append((r.status_code, r.get_data(), r.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 8 and {(s, b) for s, b, _ in answers} == {(200, answers[0][1])}, answers
    assert sum(replayed is None for _, _, replayed in answers) == 1
    assert _on_hand(uow_factory) == before + 5


def _plant(uow_factory, key: str, *, state: str, claimed_ago: timedelta, expires_in=timedelta(hours=1),
           fingerprint: str | None = None, admin: str) -> None:
    """A key row as another request would have left it (a fingerprint of this test's receipt unless given)."""
    import hashlib

    from omnialloc.services.access import hash_key

    now = datetime.now(UTC)
    if fingerprint is None:
        fingerprint = hashlib.sha256(f"POST /inventory/adjustments?\n".encode() + json.dumps(
            _receipt(), sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    with uow_factory() as uow:
        uow.conn.execute(idempotency_keys.insert().values(
            scope=hash_key(admin), key=key, fingerprint=fingerprint, method="POST", path="/inventory/adjustments",
            state=state, owner="someone-else", created_at=now - claimed_ago, claimed_at=now - claimed_ago,
            expires_at=now + expires_in))
        uow.commit()


def test_a_duplicate_of_a_request_still_running_waits_then_gets_409_with_retry_after(client, admin, uow_factory,
                                                                                      monkeypatch):
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
    _plant(uow_factory, "busy", state="pending", claimed_ago=timedelta(seconds=1), admin=admin)
    before = _on_hand(uow_factory)
    r = _post(client, admin, _receipt(), "busy")
    assert r.status_code == 409 and r.headers["Retry-After"] == "1", r.get_json()
    assert r.get_json()["title"] == "Idempotency-Key in use"
    assert _on_hand(uow_factory) == before


def test_a_key_held_by_a_request_that_died_before_committing_is_taken_over(client, admin, uow_factory):
    _plant(uow_factory, "orphan", state="pending", claimed_ago=idempotency.LEASE + timedelta(seconds=1), admin=admin)
    before = _on_hand(uow_factory)
    r = _post(client, admin, _receipt(), "orphan")
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers, r.get_json()
    assert _on_hand(uow_factory) == before + 5
    assert _keys(uow_factory) == [("orphan", "done")]


def test_a_change_that_committed_without_its_answer_is_never_done_twice(client, admin, uow_factory):
    _plant(uow_factory, "lost", state="committed", claimed_ago=idempotency.LEASE + timedelta(seconds=1), admin=admin)
    before = _on_hand(uow_factory)
    r = _post(client, admin, _receipt(), "lost")
    assert r.status_code == 409 and "carried out" in r.get_json()["detail"], r.get_json()
    assert _on_hand(uow_factory) == before


def test_an_expired_key_is_free_again_and_pruned(client, admin, uow_factory):
    _plant(uow_factory, "old", state="done", claimed_ago=timedelta(hours=25), expires_in=-timedelta(hours=1),
           admin=admin)
    _plant(uow_factory, "older", state="done", claimed_ago=timedelta(hours=26), expires_in=-timedelta(hours=2),
           admin=admin)
    before = _on_hand(uow_factory)
    r = _post(client, admin, _receipt(), "old")
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    assert _on_hand(uow_factory) == before + 5

    from omnialloc.services.context import Context

    ctx = Context(engine=client.application.extensions["omnialloc"]["engine"],
                  settings=client.application.extensions["omnialloc"]["settings"])
    assert idempotency.prune(ctx) == 1
    assert _keys(uow_factory) == [("old", "done")]


def test_a_request_that_lost_its_key_cannot_commit(uow_factory):
    """The key is spent in the change's own transaction: if a retry took it over, the change rolls back."""
    from omnialloc.domain.errors import Conflict
    from omnialloc.store.repositories.idempotency import HELD, Held

    now = datetime.now(UTC)
    with uow_factory() as uow:
        uow.conn.execute(idempotency_keys.insert().values(
            scope="s", key="k", fingerprint="f", method="POST", path="/x", state="pending", owner="the-retry",
            created_at=now, claimed_at=now, expires_at=now + timedelta(hours=1)))
        uow.commit()
    before = _on_hand(uow_factory)
    token = HELD.set(Held("s", "k", owner="the-first"))
    try:
        with uow_factory() as uow, pytest.raises(Conflict):
            uow.inventory.adjust(NODE, SKU, 5)
            uow.commit()
    finally:
        HELD.reset(token)
    assert _on_hand(uow_factory) == before


def test_a_signed_carrier_webhook_replays_by_key(client, keys, uow_factory):
    events = [{"awb": "NO-SUCH", "status": "in_transit", "at": "2026-01-01T00:00:00Z"}]
    raw = json.dumps({"events": events}).encode()
    from omnialloc.services.fulfilment.tracking import sign
    from tests.api.conftest import CARRIER_SECRET

    headers = {"X-Omnialloc-Signature": sign(CARRIER_SECRET, raw), "Idempotency-Key": "scan-1"}
    first = client.post("/tracking/XPR", data=raw, content_type="application/json", headers=headers)
    assert first.status_code == 200, first.get_json()
    again = client.post("/tracking/XPR", data=raw, content_type="application/json", headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_data() == first.get_data()
    unsigned = client.post("/tracking/XPR", data=raw, content_type="application/json",
                           headers={"Idempotency-Key": "scan-1"})
    assert unsigned.status_code == 401  # the key is looked at only once the sender is verified
    assert signed_tracking(client, "XPR", events).status_code == 200


def test_every_unsafe_endpoint_documents_the_header(client):
    spec = client.get("/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("post", "put", "patch", "delete"):
                names = {p["name"] for p in op.get("parameters", []) if p.get("in") == "header"}
                assert "Idempotency-Key" in names, (method, path)


def test_a_capture_keeps_its_channel_and_external_id_rule_under_any_key(client, admin, uow_factory):
    from tests.api.conftest import order_body

    first = _post(client, admin, order_body("keyed-1"), "capture-a", path="/orders")
    assert first.status_code == 201, first.get_json()
    replay = _post(client, admin, order_body("keyed-1"), "capture-a", path="/orders")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    again = _post(client, admin, order_body("keyed-1"), "capture-b", path="/orders")  # another key, same order
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    clash = _post(client, admin, order_body("keyed-1", payment_mode="COD"), "capture-c", path="/orders")
    assert clash.status_code == 409  # same external_id, another body: capture's own rule
    with uow_factory(readonly=True) as uow:
        assert uow.orders.count() == 1


def test_a_change_that_committed_before_an_error_is_answered_the_same_on_a_retry(client, admin, uow_factory,
                                                                                 monkeypatch):
    """The key is spent with the change: a retry after a committed change gets the first answer, even an error."""
    from omnialloc.domain.errors import Conflict
    from omnialloc.services.inventory import positions

    def adjust_then_fail(ctx, principal, adjustments):
        with ctx.uow() as uow:
            uow.inventory.adjust(NODE, SKU, 5)
            uow.commit()
        raise Conflict("stored, then something else went wrong")

    monkeypatch.setattr(positions, "adjust", adjust_then_fail)
    before = _on_hand(uow_factory)
    first = _post(client, admin, _receipt(), "half")
    assert first.status_code == 409 and first.mimetype == "application/problem+json", first.get_json()
    again = _post(client, admin, _receipt(), "half")
    assert again.status_code == 409 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and again.mimetype == "application/problem+json"
    assert _on_hand(uow_factory) == before + 5
    assert _keys(uow_factory) == [("half", "done")]
