"""Real things for the fuzzer to act on: orders, shipments, returns, rules, transfers... made through the API.

An operation with an id in its path answers 404 to every random id, so a fuzzer that only invents ids
never reaches the code behind it. ``World`` builds, through the same API and as the admin, a fresh
resource in the state an operation needs (a packed shipment for ``/ship``, a requested return for
``/approve``, an open work order for ``/complete``...), and ``fill`` puts its id (and whatever the body
must agree with: its line numbers, its AWB, its pickup code) into a generated case, keeping the rest of
what Schemathesis generated. The same world drives the in-process app (Flask's test client) and a live
gunicorn server (httpx): ``Client`` hides the difference.

Only a few things have no API and are set with the store's own repositories (as an operator would with
the CLI): webhook secrets, a dead-lettered notification, a customer's store credit balance.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from omnialloc.channels.signing import sign as sign_channel
from omnialloc.services.fulfilment.tracking import sign as sign_carrier

CARRIER_SECRET = "fuzz-carrier-secret"
CHANNEL_SECRET = "fuzz-channel-secret"
PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"
WEBHOOKS = {"shopify": ("shopify_orders_create.json", "X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "orders/create"),
            "woocommerce": ("woocommerce_order_created.json", "X-WC-Webhook-Signature", "X-WC-Webhook-Topic",
                            "order.created")}

# The demo network: SKU-0024 ships to Chennai from CHN-FC1; SKU-0001 waits at the CHN-ST1 counter;
# SKU-0023 is emptied everywhere so its orders are backordered.
SKU, NODE, PIN, CHANNEL = "SKU-0024", "CHN-FC1", "600002", "web"
PICKUP_SKU, STORE = "SKU-0001", "CHN-ST1"
SCARCE_SKU = "SKU-0023"
DEARER_SKU = "SKU-0181"  # Rs 2,499 against SKU-0024's Rs 2,299, stocked at CHN-FC1: an exchange that costs more
PACKED_BOX = {"weight_g": 600, "length_mm": 250, "width_mm": 200, "height_mm": 100}
VALID_RULES = [
    ("validation", 'order.payment_mode == "COD"', [{"type": "add_tag", "tag": "cod"}]),
    ("validation", "order.value > 500000", [{"type": "add_tag", "tag": "big"}]),
]


class Client:
    """One admin-authenticated way to call the API: ``call(method, path, json=..., data=..., headers=...)``."""

    def __init__(self, send: Callable, admin_headers: dict):
        self.send, self.admin_headers = send, admin_headers

    @classmethod
    def flask(cls, test_client, admin_headers: dict) -> Client:
        def send(method, path, *, json=None, data=None, headers=None):
            r = test_client.open(path, method=method, json=json, data=data, headers=headers)
            return r.status_code, r.get_json(silent=True)

        return cls(send, admin_headers)

    @classmethod
    def httpx(cls, http, admin_headers: dict) -> Client:
        def send(method, path, *, json=None, data=None, headers=None):
            r = http.request(method, path, json=json, content=data, headers=headers)
            try:
                body = r.json()
            except ValueError:
                body = None
            return r.status_code, body

        return cls(send, admin_headers)

    def call(self, method: str, path: str, *, json=None, data=None, headers=None, signed: bool = False):
        all_headers = dict(headers or {}) if signed else {**self.admin_headers, **(headers or {})}
        return self.send(method, path, json=json, data=data, headers=all_headers)


def prepare_store(engine) -> None:
    """What the API cannot set: webhook secrets for every carrier and for the storefront channels.

    Run before a server starts (its workers cache the network)."""
    from omnialloc.store.repositories.carriers import CarrierRepository
    from omnialloc.store.uow import UnitOfWork

    with UnitOfWork(engine) as uow:
        repo = CarrierRepository(uow.conn)
        for carrier in repo.list():
            repo.set_webhook_secret(carrier.code, CARRIER_SECRET)
        for platform in WEBHOOKS:
            uow.channels.set_webhook_secret(platform, CHANNEL_SECRET)
        uow.commit()


class World:
    """Fresh resources in a given state, made through ``client`` as the admin."""

    def __init__(self, client: Client, engine):
        self.client, self.engine = client, engine
        self.serial = itertools.count(1)
        self.token = datetime.now(UTC).strftime("%H%M%S%f")
        self._stocked = False
        self._shared: dict[str, str] = {}

    def shared(self, kind: str, make: Callable[[], str]) -> str:
        """One resource of ``kind`` for the whole test (for reads), made at first use."""
        if kind not in self._shared:
            self._shared[kind] = make()
        return self._shared[kind]

    # ------------------------------------------------------------ plumbing
    def ok(self, method: str, path: str, body=None, **kw) -> dict:
        status, answer = self.client.call(method, path, json=body, **kw)
        assert 200 <= status < 300, f"world set-up {method} {path} {body}: {status} {answer}"
        return answer

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{self.token}-{next(self.serial)}"

    def stock(self) -> None:
        """Plenty of the SKUs the world sells where it sells them; none of the scarce one anywhere."""
        if self._stocked:
            return
        from omnialloc.store.tables.inventory import inventory

        with self.engine.connect() as conn:
            scarce = conn.execute(sa.select(inventory.c.node, inventory.c.on_hand, inventory.c.reserved)
                                  .where(inventory.c.sku == SCARCE_SKU)).all()
        rows = [{"node": NODE, "sku": SKU, "delta": 5000, "reason": "receipt"},
                {"node": STORE, "sku": PICKUP_SKU, "delta": 5000, "reason": "receipt"}]
        rows += [{"node": r.node, "sku": SCARCE_SKU, "delta": r.reserved - r.on_hand, "reason": "cycle_count"}
                 for r in scarce if r.on_hand > r.reserved]
        self.ok("POST", "/inventory/adjustments", {"adjustments": rows})
        self._stocked = True

    # ------------------------------------------------------------ orders and shipments
    def order_body(self, *, sku: str = SKU, qty: int = 1, customer: str | None = None, **extra) -> dict:
        body = {"channel": CHANNEL, "external_id": self.unique("fz"), "payment_mode": "PREPAID",
                "ship_to": {"name": "Asha Raman", "line1": "12 Anna Salai", "city": "Chennai", "pin": PIN,
                            "phone": "+919800000001", "email": "asha@example.com"},
                "lines": [{"sku": sku, "qty": qty}]}
        body["customer_id"] = customer or self.unique("cust")
        body.update(extra)
        return body

    def order(self, state: str = "allocated", **kw) -> dict:
        """An order: allocated (one shipment at CHN-FC1), held, backordered or delivered."""
        self.stock()
        if state == "backordered":
            order = self.ok("POST", "/orders", self.order_body(sku=SCARCE_SKU, **kw))
            assert order["status"] == "BACKORDERED", order
            return order
        order = self.ok("POST", "/orders", self.order_body(**kw))
        assert order["status"] == "ALLOCATED", order
        if state == "held":
            self.ok("POST", f"/orders/{order['id']}/hold", {"reason": "fuzz: payment check"})
        elif state == "delivered":
            shipment = self.shipment("shipped", order=order)
            self.track(shipment, "delivered")
        return order

    def shipment(self, state: str = "allocated", *, order: dict | None = None) -> dict:
        """The one shipment of a fresh order, moved to allocated / accepted / packed / shipped."""
        order = order or self.order()
        (shipment,) = order["shipments"]
        steps = {"allocated": [], "accepted": ["accept"], "packed": ["accept", "pack"],
                 "shipped": ["accept", "pack", "ship"]}[state]
        for step in steps:
            body = {"accept": None, "pack": PACKED_BOX, "ship": {"awb": self.unique("AWB").replace("-", "")[:40]}}[step]
            shipment = self.ok("POST", f"/shipments/{shipment['id']}/{step}", body)
        shipment["order_id"] = order["id"]
        return shipment

    def pickup(self, state: str = "accepted") -> dict:
        """A pickup-in-store order's shipment at CHN-ST1: accepted, or ready at the counter (with its code)."""
        self.stock()
        order = self.ok("POST", "/orders", self.order_body(sku=PICKUP_SKU, delivery_mode="pickup", pickup_node=STORE))
        (shipment,) = order["shipments"]
        self.ok("POST", f"/shipments/{shipment['id']}/accept")
        if state == "ready":
            self.ok("POST", f"/shipments/{shipment['id']}/ready")
        details = self.ok("GET", f"/orders/{order['id']}/pickup")
        return {"order": order["id"], "shipment": shipment["id"], "code": details["pickup_code"]}

    def tracking_body(self, shipment: dict, status: str) -> bytes:
        return json.dumps({"events": [{"awb": shipment["awb"], "status": status,
                                       "at": datetime.now(UTC).isoformat()}]}).encode()

    def track(self, shipment: dict, status: str) -> None:
        raw = self.tracking_body(shipment, status)
        self.ok("POST", f"/tracking/{shipment['carrier']}", data=raw, signed=True, headers=self.carrier_headers(raw))

    @staticmethod
    def carrier_headers(raw: bytes) -> dict:
        return {"Content-Type": "application/json", "X-Omnialloc-Signature": sign_carrier(CARRIER_SECRET, raw)}

    def webhook(self, platform: str) -> tuple[bytes, dict]:
        """A signed storefront order (the platform's documented sample, with an order id of its own)."""
        file, signature, topic_header, topic = WEBHOOKS[platform]
        payload = json.loads((PAYLOADS / file).read_text())
        payload["id"] = int(f"9{next(self.serial):06d}{self.token[-6:]}")
        if "number" in payload:
            payload["number"] = str(payload["id"])
        if "order_number" in payload:
            payload["order_number"] = payload["id"]
        raw = json.dumps(payload).encode()
        return raw, {"Content-Type": "application/json", signature: sign_channel(CHANNEL_SECRET, raw),
                     topic_header: topic}

    # ------------------------------------------------------------ returns, work orders, credit
    def return_(self, state: str = "requested") -> dict:
        """A one-unit return of a delivered order: requested, or approved (ready to be received)."""
        order = self.order("delivered")
        ret = self.ok("POST", f"/orders/{order['id']}/returns",
                      {"lines": [{"line_no": 1, "qty": 1, "reason": "size_fit"}], "resolution": "refund"})
        if state == "approved" and ret["status"] == "REQUESTED":
            ret = self.ok("POST", f"/returns/{ret['id']}/approve")
        return ret

    def payment_request(self) -> dict:
        """A pending payment request: a delivered order exchanged for a dearer SKU (issue 28)."""
        order = self.order("delivered")
        ret = self.ok("POST", f"/orders/{order['id']}/returns",
                      {"lines": [{"line_no": 1, "qty": 1, "reason": "size_fit", "exchange_sku": DEARER_SKU}],
                       "resolution": "exchange"})
        if ret["status"] == "REQUESTED":  # the exchange order (and its payment request) comes with the approval
            ret = self.ok("POST", f"/returns/{ret['id']}/approve")
        assert ret.get("payment_request"), ret
        return ret["payment_request"]

    def work_order(self) -> dict:
        ret = self.return_("approved")
        received = self.ok("POST", f"/returns/{ret['id']}/receive", {"units": [{"line_no": 1, "grade": "B"}]})
        (work_order,) = received["work_orders"]
        return work_order

    def customer(self) -> str:
        """A customer id of the web channel (one of its orders names it)."""
        customer = self.unique("cust")
        self.order(customer=customer)
        return customer

    def customer_with_credit(self, paise: int = 50_000) -> dict:
        """A customer of the web channel with an order and store credit (credit is granted by returns;
        here it is put in the ledger directly)."""
        from omnialloc.store.repositories.returns import StoreCreditRepository

        customer = self.unique("cust")
        order = self.order(customer=customer)
        with self.engine.begin() as conn:
            StoreCreditRepository(conn).move(customer, paise, actor="fuzz", reason="fuzz set-up")
        return {"customer": customer, "order": order["id"]}

    # ------------------------------------------------------------ rules, transfers, notifications
    def rule(self) -> dict:
        kind, condition, actions = VALID_RULES[next(self.serial) % len(VALID_RULES)]
        return self.ok("POST", "/rules", {"name": self.unique("rule"), "kind": kind, "condition": condition,
                                          "actions": actions})

    def transfer(self, state: str = "created") -> dict:
        self.stock()
        transfer = self.ok("POST", "/transfers", {"source": NODE, "destination": "BLR-FC1",
                                                  "lines": [{"sku": SKU, "qty": 1}]})
        if state == "dispatched":
            transfer = self.ok("POST", f"/transfers/{transfer['id']}/dispatch")
        return transfer

    def notification(self, state: str = "pending") -> str:
        """A notification row of a fresh order; ``failed``: dead-lettered, as the dispatcher leaves it."""
        from omnialloc.store.tables.notifications import notifications as N

        order = self.order()
        with self.engine.begin() as conn:
            row_id = conn.execute(sa.select(N.c.id).where(N.c.order_id == order["id"], N.c.channel == "email")
                                  ).scalar_one()
            if state == "failed":
                conn.execute(N.update().where(N.c.id == row_id).values(status="failed", attempts=6,
                                                                       last_error="fuzz: provider said 550"))
        return row_id
