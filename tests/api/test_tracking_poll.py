"""Tracking pulled from carriers with a tracking API (issue 26), against a local server that plays the carrier
(tests/unit/logistics/fake_carrier.py, ``GET /api/v2/shipments/{awb}/scans``): scans are applied through the
pushed scans' path, polling the same history again changes nothing, a carrier that is down is backed off as a
whole (nothing is asked during its backoff), a carrier that refuses one AWB backs off that shipment only.
What moved is read back with SQL written here."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from omnialloc.services.events import now
from omnialloc.services.fulfilment import tracking_poll
from tests.api.conftest import auth, order_body, signed_tracking
from tests.api import test_carrier_booking_and_pickups as booking_tests
from tests.unit.logistics.fake_carrier import TOKEN

# The booking tests' fixtures: a local server playing the carrier, and the fake carrier's API on it.
carrier_server, fake, BOX = booking_tests.carrier_server, booking_tests.fake, booking_tests.BOX

SCANS = "/api/v2/shipments/{awb}/scans"


def tracking_settings(carrier_server, **extra) -> dict:
    return {"base_url": carrier_server.url_for("/").rstrip("/"), "token": TOKEN, "max_attempts": 1, "timeouts": 1,
            "track": {"method": "GET", "path": SCANS}, "scans_path": "data.scans", "scan_time_path": "ts",
            "scan_status_path": "code", "scan_location_path": "hub", "scan_remark_path": "note",
            "status_map": {"PKD": "picked_up", "ITR": "in_transit", "OFD": "out_for_delivery", "DLV": "delivered",
                           "RTO-INIT": "rto_initiated", "RTO-DLV": "rto_delivered"}, **extra}


def make_ctx(app):
    with app.app_context():
        from omnialloc.api.deps import ctx

        return ctx()


def shipped(client, headers, external_id: str, awb: str, *, lines=None) -> dict:
    """An order's one shipment accepted, packed and handed over with ``awb`` (no booking configured)."""
    r = client.post("/orders", json=order_body(external_id, lines=lines), headers=headers)
    assert r.status_code == 201, r.get_json()
    [s] = [s for s in r.get_json()["shipments"] if s["status"] == "ALLOCATED"]
    for step, body in (("accept", None), ("pack", BOX), ("ship", {"awb": awb})):
        r = client.post(f"/shipments/{s['id']}/{step}", json=body, headers=headers)
        assert r.status_code == 200, (step, r.get_json())
    return s


def scan(code: str, hours_ago: float, hub: str = "Chennai Hub") -> dict:
    return {"ts": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(), "code": code, "hub": hub}


def _status(engine, shipment_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT status FROM shipments WHERE id = :s"), {"s": shipment_id}).scalar_one()


def _events(engine, shipment_id: str) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT type, to_status FROM events WHERE entity = 'shipment' AND "
                                    "entity_id = :s AND type IN ('tracking', 'tracking_ignored') ORDER BY id"),
                            {"s": shipment_id}).all()
    return [tuple(r) for r in rows]


def _asked(fake, awb: str) -> int:
    return sum(1 for _, path, _, _ in fake.requests if path == SCANS.format(awb=awb))


def test_polled_scans_move_the_shipment_once_and_polling_again_changes_nothing(app, client, keys, engine, fake,
                                                                               carrier_server):
    admin = auth(keys["admin"])
    s = shipped(client, admin, "poll-1", "PL0000000001")
    r = client.put(f"/carriers/{s['carrier']}/tracking", json={"settings": tracking_settings(carrier_server)},
                   headers=admin)
    assert r.status_code == 200, r.get_json()
    assert TOKEN not in r.get_data(as_text=True) and r.get_json()["failures"] == 0
    fake.scans["PL0000000001"] = [scan("PKD", 5, "Chennai"), scan("MANIFESTED", 6), scan("ITR", 2)]
    ctx = make_ctx(app)

    assert tracking_poll.poll_due(ctx) == {"applied": 1}
    assert _status(engine, s["id"]) == "IN_TRANSIT"
    assert _events(engine, s["id"]) == [("tracking", "PICKED_UP"), ("tracking", "IN_TRANSIT")]
    [(_, _, headers, _)] = [x for x in fake.requests if x[1] == SCANS.format(awb="PL0000000001")]
    assert headers["Authorization"] == f"Bearer {TOKEN}"

    assert tracking_poll.poll_due(ctx) == {}, "not due again before poll_minutes"
    assert tracking_poll.poll_due(ctx, at=now() + timedelta(hours=1)) == {"unchanged": 1}
    assert _events(engine, s["id"]) == [("tracking", "PICKED_UP"), ("tracking", "IN_TRANSIT")], \
        "the same history polled again: every scan a duplicate, nothing recorded"
    # The carrier also pushes the same scan (its webhook): a duplicate of what was polled.
    r = signed_tracking(client, s["carrier"], [{"awb": "PL0000000001", "status": "in_transit",
                                                "at": datetime.now(UTC).isoformat()}])
    assert r.get_json()["results"][0]["result"] == "duplicate"

    fake.scans["PL0000000001"] += [scan("OFD", 1), scan("DLV", 0.5)]
    assert tracking_poll.poll_due(ctx, at=now() + timedelta(hours=2)) == {"applied": 1}
    assert _status(engine, s["id"]) == "DELIVERED"
    with engine.connect() as conn:
        order_status = conn.execute(sa.text("SELECT status FROM orders WHERE id = :o"),
                                    {"o": s["order_id"]}).scalar_one()
    assert order_status == "DELIVERED", "the order follows its shipment, as with pushed scans"
    asked = _asked(fake, "PL0000000001")
    assert tracking_poll.poll_due(ctx, at=now() + timedelta(days=1)) == {}, "delivered: no longer polled"
    assert _asked(fake, "PL0000000001") == asked == 3
    view = client.get(f"/nodes/{s['node']}/shipments/{s['id']}", headers=admin).get_json()
    assert view["tracking_poll"]["failures"] == 0 and view["tracking_poll"]["error"] is None


def test_a_carrier_that_is_down_or_slow_is_backed_off_as_a_whole_and_polled_after_its_backoff(
        app, client, keys, engine, fake, carrier_server):
    admin = auth(keys["admin"])
    first = shipped(client, admin, "poll-down-1", "PD0000000001")
    second = shipped(client, admin, "poll-down-2", "PD0000000002")
    assert first["carrier"] == second["carrier"]
    carrier = first["carrier"]
    client.put(f"/carriers/{carrier}/tracking", json={"settings": tracking_settings(carrier_server)}, headers=admin)
    fake.scans["PD0000000001"] = [scan("ITR", 1)]
    fake.scans["PD0000000002"] = [scan("ITR", 1)]
    ctx = make_ctx(app)

    fake.fail("/scans", 503, times=1)
    assert tracking_poll.poll_due(ctx) == {"carrier_unavailable": 1}, "the first answer 503: the other waits too"
    state = client.get(f"/carriers/{carrier}/tracking", headers=admin).get_json()
    assert state["failures"] == 1 and "busy" in state["last_error"]
    assert state["next_poll_at"] >= (now() + timedelta(seconds=50)).isoformat()
    asked = len(fake.requests)
    assert tracking_poll.poll_due(ctx) == {"backing_off": 1}
    assert len(fake.requests) == asked, "nothing is asked of a carrier during its backoff"
    assert {_status(engine, s["id"]) for s in (first, second)} == {"SHIPPED"}

    # Slower than the timeout (1 s): unavailable again, the backoff doubles.
    fake.stall("/scans", 2.5)
    assert tracking_poll.poll_due(ctx, at=now() + timedelta(hours=2)) == {"carrier_unavailable": 1}
    state = client.get(f"/carriers/{carrier}/tracking", headers=admin).get_json()
    assert state["failures"] == 2 and state["next_poll_at"] >= (now() + timedelta(seconds=110)).isoformat()

    assert tracking_poll.poll_due(ctx, at=now() + timedelta(hours=4)) == {"applied": 2}
    assert {_status(engine, s["id"]) for s in (first, second)} == {"IN_TRANSIT"}
    state = client.get(f"/carriers/{carrier}/tracking", headers=admin).get_json()
    assert state["failures"] == 0 and state["last_error"] is None and state["next_poll_at"] is None
    for s in (first, second):
        assert _events(engine, s["id"]) == [("tracking", "IN_TRANSIT")], "applied once, whatever failed before"


def test_a_carrier_refusing_one_awb_backs_off_that_shipment_only(app, client, keys, engine, fake, carrier_server):
    admin = auth(keys["admin"])
    s = shipped(client, admin, "poll-404", "PN0000000001")
    client.put(f"/carriers/{s['carrier']}/tracking",
               json={"settings": tracking_settings(carrier_server, poll_minutes=10)}, headers=admin)
    ctx = make_ctx(app)
    fake.fail("/scans", 404, times=2)
    assert tracking_poll.poll_due(ctx) == {"rejected": 1}
    with engine.connect() as conn:
        failures, due, error = conn.execute(sa.text(
            "SELECT failures, next_poll_at, last_error FROM tracking_polls WHERE shipment_id = :s"),
            {"s": s["id"]}).one()
    assert failures == 1 and "PN0000000001" in error
    assert client.get(f"/carriers/{s['carrier']}/tracking", headers=admin).get_json()["failures"] == 0, \
        "the carrier answered: it is not backed off"
    assert tracking_poll.poll_due(ctx, at=now() + timedelta(minutes=5)) == {}, "backed off poll_minutes"
    assert tracking_poll.poll_due(ctx, at=now() + timedelta(minutes=11)) == {"rejected": 1}
    with engine.connect() as conn:
        failures, due2 = conn.execute(sa.text(
            "SELECT failures, next_poll_at FROM tracking_polls WHERE shipment_id = :s"), {"s": s["id"]}).one()
    assert failures == 2
    assert tracking_poll.poll_due(ctx, at=now() + timedelta(minutes=19)) == {}, "then twice as long (20 minutes)"
    fake.scans["PN0000000001"] = [scan("PKD", 1)]
    assert tracking_poll.poll_due(ctx, at=now() + timedelta(minutes=41)) == {"applied": 1}
    view = client.get(f"/nodes/{s['node']}/shipments/{s['id']}", headers=admin).get_json()
    assert view["status"] == "PICKED_UP" and view["tracking_poll"]["failures"] == 0


@pytest.mark.parametrize("change, problem", [
    ({"status_map": {"DL": "arrived"}}, "arrived"),
    ({"track": None}, "track"),
    ({"poll_minutes": 1}, "poll_minutes"),
    ({"base_url": "http://carrier.example.in"}, "https"),
    ({"colour": "red"}, "unknown carrier settings"),
])
def test_bad_tracking_settings_are_refused_when_configured(client, keys, carrier_server, change, problem):
    admin = auth(keys["admin"])
    settings = {k: v for k, v in {**tracking_settings(carrier_server), **change}.items() if v is not None}
    r = client.put("/carriers/XPR/tracking", json={"settings": settings}, headers=admin)
    assert r.status_code == 422 and problem in r.get_json()["detail"], r.get_json()
    assert client.get("/carriers/XPR/tracking", headers=admin).status_code == 404, "nothing was stored"


def test_tracking_config_is_the_admins_and_can_be_removed(client, keys, carrier_server):
    admin = auth(keys["admin"])
    body = {"settings": tracking_settings(carrier_server)}
    assert client.put("/carriers/NOPE/tracking", json=body, headers=admin).status_code == 404
    assert client.put("/carriers/XPR/tracking", json=body, headers=auth(keys["node_chn"])).status_code == 403
    assert client.put("/carriers/XPR/tracking", json=body, headers=admin).status_code == 200
    assert client.delete("/carriers/XPR/tracking", headers=admin).status_code == 204
    assert client.get("/carriers/XPR/tracking", headers=admin).status_code == 404
    assert client.delete("/carriers/XPR/tracking", headers=admin).status_code == 404


def test_the_worker_thread_polls_until_stopped(app, client, keys, engine, fake, carrier_server):
    """``run_worker`` (the notify worker's tracking thread) polls what is due, waits when nothing is, and ends
    when told."""
    admin = auth(keys["admin"])
    s = shipped(client, admin, "poll-thread", "PT0000000001")
    client.put(f"/carriers/{s['carrier']}/tracking", json={"settings": tracking_settings(carrier_server)},
               headers=admin)
    fake.scans["PT0000000001"] = [scan("ITR", 1)]
    stop = threading.Event()
    thread = threading.Thread(target=tracking_poll.run_worker, args=(make_ctx(app), stop),
                              kwargs={"poll_seconds": 0.2}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while _status(engine, s["id"]) != "IN_TRANSIT" and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive() and _status(engine, s["id"]) == "IN_TRANSIT"
    assert _asked(fake, "PT0000000001") == 1, "polled once: not again before poll_minutes"
