"""A bounded mixed storm against gunicorn with faults, then every invariant checked with SQL written here
(issue 20's reliability suite). SQLite and PostgreSQL.

Four client threads send a fixed number of operations over real HTTP: captures (some under an
``Idempotency-Key``), duplicate captures, cancels (whole orders and single lines), rejections, accept / pack /
ship, delivery and return-to-origin scans (signed, as a carrier sends them), returns received and graded
(restocked or sent to a work order that is then completed), stock adjustments (each under an
``Idempotency-Key``, some sent twice) and transfers between the nodes that hold the scarce stock. The
backorder worker (``omnialloc notify-worker``) runs beside it. Mid-run a gunicorn worker is killed with
SIGKILL, on PostgreSQL every connection of the app and the worker is terminated by the server, and the
backorder worker is killed with SIGKILL and started again (its claims come back after a short lease).

Afterwards, with the store's own tables read by SQL in this file (not the repositories):
stock conservation per (node, SKU); reserved equals the units of live shipments; every ordered unit is
placed, shipped, cancelled or (on a BACKORDERED order) waiting, and a BACKORDERED order waits for something;
each order's and shipment's status events form one chain of legal moves (the hand-written tables of
tests/unit/domain/test_state_machines.py) ending at its current status; one order per idempotency key and
per (channel, external_id); an adjustment key applied at most once (exactly once when answered 2xx); no
answer was a 500.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

import reliability_workers as rw
from omnialloc.services.invariants import check
from omnialloc.services.fulfilment.tracking import sign
from tests.unit.domain.test_state_machines import ORDER, SHIPMENT

THREADS = 4
OPS_PER_THREAD = 70
CARRIER_SECRET = "storm-carrier-secret"
HOLDING = ("ALLOCATED", "ACCEPTED", "PACKED", "READY_FOR_PICKUP")
DEAD = ("REJECTED", "CANCELLED")
BOX = {"weight_g": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}
WEIGHTS = {"capture": 5, "duplicate": 2, "cancel": 2, "reject": 3, "advance": 9, "deliver": 4, "return_": 3,
           "adjust": 3, "transfer": 1}


# ------------------------------------------------------------------ the processes
def _with_app_name(url: str, name: str) -> str:
    if not url.startswith("postgresql"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


class BackorderWorker:
    """``omnialloc notify-worker`` (what ``make run`` starts), restartable, with a short claim lease."""

    def __init__(self, db_url: str, log_path):
        self.env = {**os.environ, "OMNIALLOC_DATABASE_URL": db_url, "OMNIALLOC_EMAIL_PROVIDER": "log",
                    "OMNIALLOC_BACKORDER_POLL_MS": "100", "OMNIALLOC_BACKORDER_LEASE_SECONDS": "2"}
        self.log = open(log_path, "ab")
        self.proc = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "omnialloc.cli", "notify-worker", "--poll", "0.5"],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def storm_env(clean_engine, clean_db_url, admin_token, tmp_path, db_backend):
    from gunicorn_server import Gunicorn

    from omnialloc.services.network import cache
    from omnialloc.store.repositories.carriers import CarrierRepository

    cache.invalidate()
    rw.setup_scarce_stock(clean_engine, on_hand=4)
    with clean_engine.begin() as conn:
        repo = CarrierRepository(conn)
        for carrier in repo.list():
            repo.set_webhook_secret(carrier.code, CARRIER_SECRET)
        start = {(r.node, r.sku): r.on_hand for r in conn.execute(sa.text("SELECT node, sku, on_hand FROM inventory"))}
    app_name = f"oa-storm-{os.getpid()}"
    url = _with_app_name(clean_db_url, app_name)
    server = Gunicorn(url, workers=2, log=tmp_path / "gunicorn.log")
    worker = BackorderWorker(url, tmp_path / "worker.log")
    try:
        server.wait_ready()
        yield {"server": server, "worker": worker, "start": start, "token": admin_token, "app_name": app_name,
               "backend": db_backend, "engine": clean_engine}
    finally:
        worker.stop()
        server.stop()


# ------------------------------------------------------------------ the storm
class Storm:
    def __init__(self, base_url: str, token: str, seed: int):
        self.base_url, self.token, self.seed = base_url, token, seed
        self.lock = threading.Lock()
        self.orders: list[str] = []
        self.bodies: list[dict] = []
        self.keyed_captures: dict[str, str] = {}       # Idempotency-Key -> external_id
        self.adjustments: dict[str, tuple[int, bool]] = {}  # key -> (delta, answered 2xx)
        self.statuses: Counter = Counter()
        self.server_errors: list[str] = []
        self.done = 0
        self.ids = itertools.count()
        self.effects: Counter = Counter()  # operations whose main request succeeded (2xx)
        self.shipped: list[str] = []       # orders with a shipment handed to a carrier
        self.delivered: list[str] = []     # orders with a delivery scan applied

    def did(self, what: str, status) -> None:
        if status in (200, 201):
            with self.lock:
                self.effects[what] += 1

    # -- HTTP
    def call(self, http, method: str, path: str, body=None, *, headers=None, raw: bytes | None = None):
        try:
            if raw is not None:
                r = http.request(method, path, content=raw, headers=headers)
            else:
                r = http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:  # the killed worker's connection: an error, never a wrong answer
            with self.lock:
                self.statuses[type(exc).__name__] += 1
            return None, None
        with self.lock:
            self.statuses[r.status_code] += 1
            if r.status_code >= 500 and r.status_code != 503:
                self.server_errors.append(f"{method} {path} -> {r.status_code} {r.text[:300]}")
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, None

    def run_thread(self, k: int) -> None:
        rng = random.Random(self.seed * 100 + k)
        with httpx.Client(base_url=self.base_url, timeout=30,
                          headers={"Authorization": f"Bearer {self.token}"}) as http:
            for _ in range(OPS_PER_THREAD):
                op = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
                if op != "capture" and not self.orders and op not in ("adjust", "transfer"):
                    op = "capture"
                getattr(self, op)(http, rng)
                with self.lock:
                    self.done += 1

    def _order(self, http, rng, pool: list | None = None):
        with self.lock:
            pool = self.orders if pool is None else pool
            if not pool:
                return None
            order_id = rng.choice(pool)
        status, order = self.call(http, "GET", f"/orders/{order_id}")
        return order if status == 200 else None

    def _shipment(self, http, rng, statuses, pool: list | None = None):
        for _ in range(3):  # a few looks: many orders wait or were cancelled
            order = self._order(http, rng, pool)
            live = [s for s in (order or {}).get("shipments", []) if s["status"] in statuses]
            if live:
                return order, rng.choice(live)
        return None, None

    # -- operations
    def capture(self, http, rng):
        n = next(self.ids)
        body = {"channel": "web", "external_id": f"storm-{self.seed}-{n}", "payment_mode": "PREPAID",
                "ship_to": {"name": "Storm", "line1": "1 Main Road", "city": "X", "pin": rng.choice(rw.PINS)},
                "lines": [{"sku": s, "qty": rng.choice((1, 1, 2))}
                          for s in rng.sample(rw.SCARCE_SKUS, rng.choice((1, 1, 2)))],
                "priority": rng.randint(0, 5)}
        headers = None
        if rng.random() < 0.3:
            key = f"cap-{self.seed}-{n}"
            headers = {"Idempotency-Key": key}
            with self.lock:
                self.keyed_captures[key] = body["external_id"]
        status, out = self.call(http, "POST", "/orders", body, headers=headers)
        if headers and rng.random() < 0.5:  # the client retries with the same key: the same answer
            status, out = self.call(http, "POST", "/orders", body, headers=headers)
        if status in (200, 201):
            self.did("capture", status)
            with self.lock:
                self.orders.append(out["id"])
                self.bodies.append(body)

    def duplicate(self, http, rng):
        with self.lock:
            if not self.bodies:
                return
            body = rng.choice(self.bodies)
        status, out = self.call(http, "POST", "/orders", body)
        self.did("duplicate capture", status)

    def cancel(self, http, rng):
        order = self._order(http, rng)
        if order is None:
            return
        if rng.random() < 0.5:
            self.did("cancel", self.call(http, "POST", f"/orders/{order['id']}/cancel", {"reason": "storm cancel"})[0])
        else:
            line = rng.choice(order["lines"])
            self.did("cancel line", self.call(http, "POST", f"/orders/{order['id']}/cancel", {
                "reason": "storm line", "lines": [{"line_no": line["line_no"], "qty": 1}]})[0])

    def reject(self, http, rng):
        _, shipment = self._shipment(http, rng, ("ALLOCATED", "ACCEPTED"))
        if shipment:
            self.did("reject", self.call(http, "POST", f"/shipments/{shipment['id']}/reject",
                                         {"reason": "storm: shelf empty"})[0])

    def advance(self, http, rng):
        order, shipment = self._shipment(http, rng, ("ALLOCATED", "ACCEPTED", "PACKED"))
        if shipment:
            step = {"ALLOCATED": ("accept", None), "ACCEPTED": ("pack", BOX), "PACKED": ("ship", {})}
            action, body = step[shipment["status"]]
            status = self.call(http, "POST", f"/shipments/{shipment['id']}/{action}", body)[0]
            self.did(action, status)
            if action == "ship" and status == 200:
                with self.lock:
                    self.shipped.append(order["id"])

    def deliver(self, http, rng):
        order, shipment = self._shipment(http, rng, ("SHIPPED",), self.shipped)
        if not shipment:
            return
        status, full = self.call(http, "GET", f"/shipments/{shipment['id']}")
        if status != 200 or not full.get("awb"):
            return
        at = datetime.now(UTC).isoformat()
        with self.lock:
            rto = next(self.ids) % 3 == 0  # every third delivery comes back to origin instead
        scans = ([{"awb": full["awb"], "status": "rto_initiated", "at": at},
                  {"awb": full["awb"], "status": "rto_delivered", "at": at}] if rto else
                 [{"awb": full["awb"], "status": "delivered", "at": at}])
        raw = json.dumps({"events": scans}).encode()
        status = self.call(http, "POST", f"/tracking/{full['carrier']}", raw=raw,
                           headers={"Content-Type": "application/json",
                                    "X-Omnialloc-Signature": sign(CARRIER_SECRET, raw)})[0]
        self.did("rto" if rto else "deliver", status)
        if status == 200 and not rto:
            with self.lock:
                self.delivered.append(order["id"])

    def return_(self, http, rng):
        order = self._order(http, rng, self.delivered)
        if order is None or order["status"] != "DELIVERED":
            return
        line = rng.choice(order["lines"])
        status, ret = self.call(http, "POST", f"/orders/{order['id']}/returns", {
            "lines": [{"line_no": line["line_no"], "qty": 1, "reason": "changed_mind"}], "resolution": "refund"})
        self.did("return", status)
        if status not in (200, 201) or ret.get("status") not in ("APPROVED", "PICKUP_SCHEDULED", "PICKED_UP", "IN_TRANSIT"):
            return
        grade = rng.choice("AAB")
        status, received = self.call(http, "POST", f"/returns/{ret['id']}/receive",
                                     {"units": [{"line_no": line["line_no"], "grade": grade}]})
        self.did(f"receive grade {grade}", status)
        if status == 200 and grade == "B":
            status, page = self.call(http, "GET", "/work-orders?status=open")
            for wo in (page or {}).get("items", [])[:1]:
                self.did("work order", self.call(http, "POST", f"/work-orders/{wo['id']}/complete",
                                                 {"restocked": wo["qty"], "scrapped": 0, "note": "storm"})[0])

    def adjust(self, http, rng):
        key = f"adj-{self.seed}-{next(self.ids)}"
        delta = rng.choice((-1, 1, 2, 3))
        body = {"adjustments": [{"node": rng.choice(rw.SCARCE_NODES), "sku": rng.choice(rw.SCARCE_SKUS),
                                 "delta": delta, "reason": "cycle_count", "note": key}]}
        ok = False
        for _ in range(2 if rng.random() < 0.4 else 1):  # a retry under the same key replays, never re-applies
            status, _ = self.call(http, "POST", "/inventory/adjustments", body, headers={"Idempotency-Key": key})
            ok = ok or status == 200
        self.did("adjust", 200 if ok else None)
        with self.lock:
            self.adjustments[key] = (delta, ok)

    def transfer(self, http, rng):
        source, destination = rng.sample(rw.SCARCE_NODES, 2)
        status, t = self.call(http, "POST", "/transfers", {"source": source, "destination": destination,
                                                           "lines": [{"sku": rng.choice(rw.SCARCE_SKUS), "qty": 1}],
                                                           "reason": "storm rebalance"})
        if status == 201 and self.call(http, "POST", f"/transfers/{t['id']}/dispatch", {})[0] == 200:
            self.did("transfer", self.call(http, "POST", f"/transfers/{t['id']}/receive", {})[0])


def _terminate_connections(engine, app_name: str) -> int:
    with engine.connect() as conn:
        killed = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name AND pid <> pg_backend_pid()"), {"name": app_name}).scalar_one()
        conn.commit()
    return killed


def _faults(env, storm: Storm, log: list[str]) -> None:
    total = THREADS * OPS_PER_THREAD

    def at(fraction: float) -> None:
        while storm.done < total * fraction:
            time.sleep(0.02)

    at(0.25)
    victims = env["server"].worker_pids()
    os.kill(victims[0], signal.SIGKILL)
    log.append(f"SIGKILL gunicorn worker {victims[0]} at op {storm.done}")
    at(0.45)
    if env["backend"] == "postgresql":
        n = _terminate_connections(env["engine"], env["app_name"])
        log.append(f"terminated {n} PostgreSQL connection(s) at op {storm.done}")
    at(0.6)
    env["worker"].kill()
    log.append(f"SIGKILL backorder worker at op {storm.done}")
    env["worker"].start()


# ------------------------------------------------------------------ the checks, in SQL
def _stock_conserved(conn, start: dict) -> list[str]:
    rows = conn.execute(sa.text("SELECT node, sku, on_hand FROM inventory")).all()
    adjusted = defaultdict(int)
    for entity_id, payload in conn.execute(sa.text(
            "SELECT entity_id, payload FROM events WHERE entity = 'inventory' AND type = 'adjusted'")):
        payload = payload if isinstance(payload, dict) else json.loads(payload)
        node, sku = entity_id.split(":", 1)
        adjusted[(node, sku)] += int(payload["delta"])
    left = defaultdict(int)
    for node, sku, qty in conn.execute(sa.text(
            "SELECT s.node, l.sku, l.qty FROM shipments s JOIN shipment_lines l ON l.shipment_id = s.id "
            "WHERE s.status NOT IN ('ALLOCATED','ACCEPTED','PACKED','READY_FOR_PICKUP','REJECTED','CANCELLED')")):
        left[(node, sku)] += qty
    bad = []
    for node, sku, on_hand in rows:
        expected = start.get((node, sku), 0) + adjusted[(node, sku)] - left[(node, sku)]
        if on_hand != expected:
            bad.append(f"{node}/{sku}: on_hand {on_hand}, expected {expected}")
    return bad


def _reserved_matches(conn) -> list[str]:
    return [f"{r.node}/{r.sku}: reserved {r.reserved}, live shipments hold {r.held}" for r in conn.execute(sa.text(
        "SELECT i.node, i.sku, i.reserved, COALESCE(h.units, 0) AS held FROM inventory i LEFT JOIN ("
        "  SELECT s.node, l.sku, SUM(l.qty) AS units FROM shipments s JOIN shipment_lines l ON l.shipment_id = s.id"
        "  WHERE s.status IN ('ALLOCATED','ACCEPTED','PACKED','READY_FOR_PICKUP') GROUP BY s.node, l.sku"
        ") h ON h.node = i.node AND h.sku = i.sku WHERE i.reserved <> COALESCE(h.units, 0) OR i.reserved > i.on_hand"))]


def _units_accounted(conn) -> list[str]:
    rows = conn.execute(sa.text(
        "SELECT o.id, o.status, l.line_no, l.qty - l.cancelled_qty"
        "       - COALESCE(SUM(CASE WHEN s.status NOT IN ('REJECTED','CANCELLED') THEN sl.qty END), 0) AS waiting "
        "FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "LEFT JOIN shipments s ON s.order_id = o.id "
        "LEFT JOIN shipment_lines sl ON sl.shipment_id = s.id AND sl.line_no = l.line_no "
        "GROUP BY o.id, o.status, l.line_no, l.qty, l.cancelled_qty")).all()
    bad, waits = [], defaultdict(int)
    for order_id, status, line_no, waiting in rows:
        waits[(order_id, status)] += max(0, waiting)
        if waiting < 0:
            bad.append(f"{order_id} line {line_no}: {-waiting} unit(s) placed twice")
        elif waiting > 0 and status not in ("BACKORDERED", "CREATED", "VALIDATED", "ON_HOLD"):
            bad.append(f"{order_id} line {line_no}: {waiting} unit(s) in no state on a {status} order")
    bad += [f"{o}: BACKORDERED with nothing waiting" for (o, s), w in waits.items() if s == "BACKORDERED" and not w]
    return bad


def _event_chains(conn) -> list[str]:
    current = {("order", i): s for i, s in conn.execute(sa.text("SELECT id, status FROM orders"))}
    current |= {("shipment", i): s for i, s in conn.execute(sa.text("SELECT id, status FROM shipments"))}
    chains = defaultdict(list)
    for entity, entity_id, frm, to in conn.execute(sa.text(
            "SELECT entity, entity_id, from_status, to_status FROM events "
            "WHERE entity IN ('order', 'shipment') AND to_status IS NOT NULL ORDER BY id")):
        chains[(entity, entity_id)].append((frm, to))
    legal = {entity: {(str(a), str(b)) for a, targets in table.items() for b in targets}
             for entity, table in (("order", ORDER), ("shipment", SHIPMENT))}
    bad = []
    for key, status in current.items():
        chain = chains.get(key, [])
        if not chain or chain[-1][1] != status:
            bad.append(f"{key}: status {status} but its events end at {chain[-1][1] if chain else None}")
            continue
        if chain[0][0] is not None:
            bad.append(f"{key}: the first status event comes from {chain[0][0]}")
        for (_, before), (frm, to) in zip(chain, chain[1:]):
            if frm != before:
                bad.append(f"{key}: an event moves from {frm} but the status was {before}")
            elif (frm, to) not in legal[key[0]]:
                bad.append(f"{key}: {frm} -> {to} is not a legal move")
    return bad


def _keys_once(conn, storm: Storm) -> list[str]:
    bad = [f"external_id {e} has {n} orders" for e, n in conn.execute(sa.text(
        "SELECT external_id, count(*) FROM orders GROUP BY channel, external_id HAVING count(*) > 1"))]
    for key, external_id in storm.keyed_captures.items():
        n = conn.execute(sa.text("SELECT count(*) FROM orders WHERE external_id = :e"), {"e": external_id}).scalar()
        if n > 1:
            bad.append(f"Idempotency-Key {key}: {n} orders")
    notes = Counter()
    for (payload,) in conn.execute(sa.text(
            "SELECT payload FROM events WHERE entity = 'inventory' AND type = 'adjusted'")):
        payload = payload if isinstance(payload, dict) else json.loads(payload)
        notes[payload.get("note", "")] += 1
    for key, (_delta, ok) in storm.adjustments.items():
        if notes[key] > 1 or (ok and notes[key] != 1):
            bad.append(f"adjustment {key} applied {notes[key]} time(s) (answered 2xx: {ok})")
    return bad


def _queue_drained(engine, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if not conn.execute(sa.text("SELECT count(*) FROM backorder_jobs")).scalar():
                return
        time.sleep(0.1)
    raise AssertionError("the backorder worker did not drain its queue")


@pytest.mark.slow
def test_a_mixed_storm_with_faults_keeps_every_invariant(storm_env, clean_engine):
    storm = Storm(storm_env["server"].url, storm_env["token"], seed=11)
    faults: list[str] = []
    fault_thread = threading.Thread(target=_faults, args=(storm_env, storm, faults))
    threads = [threading.Thread(target=storm.run_thread, args=(k,)) for k in range(THREADS)]
    started = time.monotonic()
    fault_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    fault_thread.join(60)
    storm_env["server"].wait_ready()
    _queue_drained(clean_engine)
    took = time.monotonic() - started
    print(f"storm: {storm.done} ops in {took:.1f} s; answers {dict(storm.statuses)}; done {dict(storm.effects)}; "
          f"{faults}")

    assert storm.done == THREADS * OPS_PER_THREAD and len(faults) >= 2, faults
    assert not storm.server_errors, storm.server_errors[:5]
    assert storm.statuses[200] + storm.statuses[201] > THREADS * OPS_PER_THREAD, storm.statuses
    exercised = {"capture", "duplicate capture", "reject", "accept", "pack", "ship", "deliver", "rto", "return",
                 "adjust", "transfer"}
    assert exercised <= set(storm.effects) and storm.effects["cancel"] + storm.effects["cancel line"], storm.effects
    with clean_engine.connect() as conn:
        problems = {
            "stock not conserved": _stock_conserved(conn, storm_env["start"]),
            "reserved != live shipments": _reserved_matches(conn),
            "units unaccounted": _units_accounted(conn),
            "event chains": _event_chains(conn),
            "keys applied more than once": _keys_once(conn, storm),
        }
        kinds = Counter(s for (s,) in conn.execute(sa.text("SELECT status FROM orders")))
    print(f"orders by status: {dict(kinds)}")
    assert not any(problems.values()), {k: v[:5] for k, v in problems.items() if v}
    assert kinds["BACKORDERED"] + kinds["CANCELLED"] > 0 and kinds["DELIVERED"] + kinds["SHIPPED"] > 0, kinds
    report = check(clean_engine)
    assert report.ok, report.summary()
