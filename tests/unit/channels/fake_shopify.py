"""A local HTTP server that plays a Shopify store's Admin REST API (the parts omnialloc pushes to).

It behaves as Shopify documents it, and checks what it is sent:

* every request carries ``X-Shopify-Access-Token`` (else 401 with Shopify's error text) and goes under
  ``/admin/api/{version}/``;
* ``GET orders/{id}.json``, ``GET orders/{id}/fulfillments.json``, ``GET orders/{id}/fulfillment_orders.json``;
* ``POST fulfillments.json`` takes ``{"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id",
  "fulfillment_order_line_items": [{"id", "quantity"}]}], "tracking_info": {"number", "company", "url"},
  "notify_customer"}}``; fulfillment orders must be open or in progress, quantities within what is fulfillable,
  all at one location; a fully fulfilled fulfillment order is closed;
* ``POST orders/{id}/cancel.json`` with ``reason`` in customer/inventory/fraud/declined/other;
* ``GET products.json?limit=&fields=`` paged by ``Link: <...page_info=...>; rel="next"`` (and only ``page_info`` /
  ``limit`` / ``fields`` on a next page, as Shopify requires);
* ``POST inventory_levels/set.json`` with integer ``location_id``, ``inventory_item_id``, ``available``; 422 for
  an item without inventory tracking.

``throttle(path_part, times, retry_after, after)`` makes ``times`` matching requests (after ``after`` of them went
through) a 429 with ``Retry-After``, as when the app's leaky bucket runs dry.
``stall(path_part, seconds)`` makes the next matching request do its work, then wait before answering (an answer
that is lost to the client's timeout).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field

from werkzeug import Request, Response

VERSION = "2026-01"
TOKEN = "shpat_test_0123456789abcdef"
BAD_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
CANCEL_REASONS = {"customer", "inventory", "fraud", "declined", "other"}


@dataclass
class FoLine:
    id: int
    line_item_id: int
    inventory_item_id: int
    quantity: int
    fulfillable_quantity: int


@dataclass
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    lines: list[FoLine]
    status: str = "open"

    def as_json(self) -> dict:
        return {"id": self.id, "order_id": self.order_id, "assigned_location_id": self.location_id,
                "status": self.status, "request_status": "unsubmitted",
                "supported_actions": ["create_fulfillment", "hold", "move"] if self.status in ("open", "in_progress")
                else [],
                "line_items": [{"id": li.id, "fulfillment_order_id": self.id, "line_item_id": li.line_item_id,
                                "inventory_item_id": li.inventory_item_id, "quantity": li.quantity,
                                "fulfillable_quantity": li.fulfillable_quantity, "variant_id": li.inventory_item_id}
                               for li in self.lines]}


@dataclass
class Order:
    id: int
    line_items: list[dict]                 # {"id", "sku", "quantity", "variant_id"}
    cancelled_at: str | None = None
    fulfillments: list[dict] = field(default_factory=list)
    cancel_reason: str | None = None


class FakeShopify:
    def __init__(self, server, token: str = TOKEN, version: str = VERSION):
        self.server = server
        self.token = token
        self.prefix = f"/admin/api/{version}/"
        self.orders: dict[int, Order] = {}
        self.fulfillment_orders: dict[int, FulfillmentOrder] = {}
        self.variants: list[dict] = []     # {"sku", "inventory_item_id"} in catalogue order
        self.untracked: set[int] = set()   # inventory items without tracking
        self.levels: dict[tuple[int, int], int] = {}
        self.requests: list[tuple[str, str, dict | None]] = []
        self.unexpected: list[str] = []
        self._throttles: list[list] = []
        self._stalls: list[list] = []
        self._next_id = 9000
        self._lock = threading.Lock()
        server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    # -- set-up ---------------------------------------------------------------------------------------------

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_order(self, order_id: int, lines: dict[str, int], *, location: int = 111, split: dict | None = None
                  ) -> Order:
        """An order with one line per SKU; its fulfillment orders at ``location`` (``split``: sku -> location)."""
        order = Order(order_id, [{"id": self.new_id(), "sku": sku, "quantity": q, "variant_id": 500 + i}
                                 for i, (sku, q) in enumerate(lines.items())])
        self.orders[order_id] = order
        by_location: dict[int, list[FoLine]] = {}
        for li in order.line_items:
            loc = (split or {}).get(li["sku"], location)
            by_location.setdefault(loc, []).append(
                FoLine(self.new_id(), li["id"], li["variant_id"], li["quantity"], li["quantity"]))
        for loc, fo_lines in sorted(by_location.items()):
            fo = FulfillmentOrder(self.new_id(), order_id, loc, fo_lines)
            self.fulfillment_orders[fo.id] = fo
        return order

    def fos_of(self, order_id: int) -> list[FulfillmentOrder]:
        return [fo for fo in self.fulfillment_orders.values() if fo.order_id == order_id]

    def throttle(self, path_part: str, times: int = 1, retry_after: str = "2.0", after: int = 0) -> None:
        """Answer 429 to ``times`` matching requests, once ``after`` matching requests have passed."""
        self._throttles.append([path_part, times, retry_after, after])

    def stall(self, path_part: str, seconds: float) -> None:
        self._stalls.append([path_part, seconds])

    def calls(self, method: str, path_part: str) -> list[dict | None]:
        return [body for m, p, body in self.requests if m == method and path_part in p]

    # -- the API --------------------------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        with self._lock:
            body = request.get_json(silent=True) if request.data else None
            self.requests.append((request.method, request.full_path, body))
            if request.headers.get("X-Shopify-Access-Token") != self.token:
                return _json({"errors": BAD_TOKEN}, 401)
            if not request.path.startswith(self.prefix) or not request.path.endswith(".json"):
                self.unexpected.append(f"{request.method} {request.full_path}")
                return _json({"errors": "Not Found"}, 404)
            for throttle in self._throttles:
                if throttle[0] in request.path and throttle[3] > 0:
                    throttle[3] -= 1
                elif throttle[1] > 0 and throttle[0] in request.path:
                    throttle[1] -= 1
                    return _json({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
                                            "resume uninterrupted service."}, 429, {"Retry-After": throttle[2]})
            stall = next((s for s in self._stalls if s[0] in request.path), None)
            if stall:
                self._stalls.remove(stall)
            response = self._route(request, request.path[len(self.prefix):-len(".json")], body)
        if stall:
            time.sleep(stall[1])
        return response

    def _route(self, request: Request, path: str, body) -> Response:
        method = request.method
        if m := re.fullmatch(r"orders/(\d+)", path):
            return self._order(int(m[1]), request) if method == "GET" else self._no(request)
        if m := re.fullmatch(r"orders/(\d+)/fulfillments", path):
            order = self.orders.get(int(m[1]))
            return _json({"fulfillments": order.fulfillments}) if order and method == "GET" else self._no(request)
        if m := re.fullmatch(r"orders/(\d+)/fulfillment_orders", path):
            if int(m[1]) not in self.orders or method != "GET":
                return self._no(request)
            return _json({"fulfillment_orders": [fo.as_json() for fo in self.fos_of(int(m[1]))]})
        if path == "fulfillments" and method == "POST":
            return self._create_fulfillment(body)
        if (m := re.fullmatch(r"orders/(\d+)/cancel", path)) and method == "POST":
            return self._cancel(int(m[1]), body or {})
        if path == "products" and method == "GET":
            return self._products(request)
        if path == "inventory_levels/set" and method == "POST":
            return self._set_level(body)
        return self._no(request)

    def _no(self, request: Request) -> Response:
        self.unexpected.append(f"{request.method} {request.full_path}")
        return _json({"errors": "Not Found"}, 404)

    def _order(self, order_id: int, request: Request) -> Response:
        order = self.orders.get(order_id)
        if order is None:
            return _json({"errors": "Not Found"}, 404)
        full = {"id": order.id, "name": f"#{order.id}", "cancelled_at": order.cancelled_at,
                "line_items": order.line_items, "cancel_reason": order.cancel_reason}
        fields = request.args.get("fields")
        if fields:
            full = {k: v for k, v in full.items() if k in fields.split(",")}
        return _json({"order": full})

    def _create_fulfillment(self, body) -> Response:
        f = (body or {}).get("fulfillment") if isinstance(body, dict) else None
        if not isinstance(f, dict) or not isinstance(f.get("line_items_by_fulfillment_order"), list):
            return _json({"errors": {"fulfillment": "Required parameter missing or invalid"}}, 400)
        tracking = f.get("tracking_info") or {}
        if set(tracking) - {"number", "numbers", "company", "url", "urls"}:
            return _json({"errors": {"tracking_info": ["has unknown keys"]}}, 422)
        taken, locations, items = [], set(), []
        for group in f["line_items_by_fulfillment_order"]:
            fo = self.fulfillment_orders.get(group.get("fulfillment_order_id"))
            if fo is None:
                return _json({"errors": "Not Found"}, 404)
            if fo.status not in ("open", "in_progress"):
                return _json({"errors": [f"Fulfillment order {fo.id} has an unfulfillable status= {fo.status}."]}, 422)
            locations.add(fo.location_id)
            wanted = group.get("fulfillment_order_line_items")
            lines = {li.id: li for li in fo.lines}
            pairs = ([(li.id, li.fulfillable_quantity) for li in fo.lines] if not wanted
                     else [(w.get("id"), w.get("quantity")) for w in wanted])
            for line_id, qty in pairs:
                li = lines.get(line_id)
                if li is None or not isinstance(qty, int) or qty < 1 or qty > li.fulfillable_quantity:
                    return _json({"errors": ["Invalid fulfillment order line item quantity requested."]}, 422)
                taken.append((fo, li, qty))
        if len(locations) != 1:
            return _json({"errors": ["All fulfillment orders must be assigned to the same location."]}, 422)
        order = self.orders[taken[0][0].order_id]
        sku_of = {li["id"]: li["sku"] for li in order.line_items}
        for fo, li, qty in taken:
            li.fulfillable_quantity -= qty
            items.append({"id": li.line_item_id, "sku": sku_of[li.line_item_id], "quantity": qty})
            fo.status = "closed" if all(x.fulfillable_quantity == 0 for x in fo.lines) else "in_progress"
        created = {"id": self.new_id(), "order_id": order.id, "status": "success", "location_id": locations.pop(),
                   "tracking_company": tracking.get("company"), "tracking_number": tracking.get("number"),
                   "tracking_numbers": [tracking["number"]] if tracking.get("number") else [],
                   "tracking_url": tracking.get("url"), "line_items": items,
                   "notify_customer": f.get("notify_customer", False)}
        order.fulfillments.append(created)
        return _json({"fulfillment": created}, 201)

    def _cancel(self, order_id: int, body: dict) -> Response:
        order = self.orders.get(order_id)
        if order is None:
            return _json({"errors": "Not Found"}, 404)
        if order.cancelled_at:
            return _json({"error": "Cannot cancel an order that has already been cancelled"}, 422)
        if body.get("reason", "other") not in CANCEL_REASONS:
            return _json({"errors": {"reason": ["is not included in the list"]}}, 422)
        if order.fulfillments:
            return _json({"error": "Cannot cancel an order that has fulfillments"}, 422)
        order.cancelled_at = "2026-12-07T10:00:00+05:30"
        order.cancel_reason = body.get("reason", "other")
        return _json({"order": {"id": order.id, "cancelled_at": order.cancelled_at}})

    def _products(self, request: Request) -> Response:
        args = request.args
        page_size = int(args.get("limit", 50))
        if "page_info" in args:
            if set(args) - {"page_info", "limit", "fields"}:
                return _json({"errors": {"page_info": ["page_info cannot be combined with other filters"]}}, 400)
            start = int(args["page_info"].removeprefix("cursor"))
        else:
            start = 0
        page = self.variants[start:start + page_size]
        products = [{"id": 700 + start + i, "variants": [{"id": 800 + start + i, "sku": v["sku"],
                                                          "inventory_item_id": v["inventory_item_id"]}]}
                    for i, v in enumerate(page)]
        headers = {}
        if start + page_size < len(self.variants):
            nxt = f"{self.server.url_for(self.prefix + 'products.json')}?limit={page_size}&page_info=cursor{start + page_size}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        return _json({"products": products}, 200, headers)

    def _set_level(self, body) -> Response:
        if not isinstance(body, dict) or not all(isinstance(body.get(k), int) and not isinstance(body.get(k), bool)
                                                 for k in ("location_id", "inventory_item_id", "available")):
            return _json({"errors": {"inventory_item_id": ["Required parameter missing or invalid"]}}, 422)
        if body["inventory_item_id"] in self.untracked:
            return _json({"errors": ["Inventory item does not have inventory tracking enabled"]}, 422)
        self.levels[(body["location_id"], body["inventory_item_id"])] = body["available"]
        return _json({"inventory_level": {**body, "updated_at": "2026-12-07T10:00:00+05:30"}})


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")
