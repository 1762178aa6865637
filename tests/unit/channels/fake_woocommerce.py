"""A local HTTP server that plays a WooCommerce store's REST API v3 (the parts omnialloc pushes to).

As WooCommerce documents it, and checking what it is sent:

* authentication by REST API key: HTTP Basic (consumer key : consumer secret) or the ``consumer_key`` /
  ``consumer_secret`` query parameters; otherwise 401 ``{"code": "woocommerce_rest_cannot_view", ...}``;
* ``GET/PUT /wp-json/wc/v3/orders/{id}`` (``status`` must be a known order status);
* ``GET/POST /wp-json/wc/v3/orders/{id}/notes`` (``note`` required, ``customer_note`` boolean);
* ``GET /wp-json/wc/v3/products?sku=a,b`` matching products and variations (``type``, ``parent_id``);
``fail_next`` answers the next matching request with an error (429 with ``Retry-After``, 5xx).

* ``POST /wp-json/wc/v3/products/batch`` and ``/products/{id}/variations/batch`` with ``update`` items,
  at most 100 (else 413 ``woocommerce_rest_request_entity_too_large``), each item answered or given an ``error``.

Errors use WordPress's shape: ``{"code": ..., "message": ..., "data": {"status": ...}}``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field

from werkzeug import Request, Response

KEY = "ck_0123456789abcdef0123456789abcdef01234567"
SECRET = "cs_fedcba9876543210fedcba9876543210fedcba98"
STATUSES = {"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash"}
PREFIX = "/wp-json/wc/v3/"


@dataclass
class Product:
    id: int
    sku: str
    parent_id: int = 0                 # a variation's variable product
    stock_quantity: int | None = None
    manage_stock: bool = False


@dataclass
class WooOrder:
    id: int
    status: str = "processing"
    notes: list[dict] = field(default_factory=list)


class FakeWooCommerce:
    def __init__(self, server, key: str = KEY, secret: str = SECRET):
        self.server = server
        self.key, self.secret = key, secret
        self.orders: dict[int, WooOrder] = {}
        self.products: dict[int, Product] = {}
        self.requests: list[tuple[str, str, dict | list | None, dict]] = []
        self.unexpected: list[str] = []
        self.refuse_updates: dict[int, tuple[str, str]] = {}   # product id -> (code, message) in batch answers
        self._failures: list[tuple] = []
        self._lock = threading.Lock()
        server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    def add_order(self, order_id: int, status: str = "processing") -> WooOrder:
        self.orders[order_id] = WooOrder(order_id, status)
        return self.orders[order_id]

    def add_product(self, pid: int, sku: str, parent_id: int = 0) -> Product:
        self.products[pid] = Product(pid, sku, parent_id)
        return self.products[pid]

    def fail_next(self, method: str, path_part: str, status: int, message: str, headers: dict | None = None,
                  code: str = "too_many_requests", after: int = 0) -> None:
        """Answer a matching request with an error (a rate limit, a database outage, ...), once ``after`` matching
        requests have gone through."""
        self._failures.append([method, path_part, status, message, headers or {}, code, after])

    def calls(self, method: str, path_part: str) -> list:
        return [body for m, p, body, _ in self.requests if m == method and path_part in p]

    def _authenticated(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            return base64.b64decode(header[6:]).decode() == f"{self.key}:{self.secret}"
        return request.args.get("consumer_key") == self.key and request.args.get("consumer_secret") == self.secret

    def _handle(self, request: Request) -> Response:
        with self._lock:
            body = request.get_json(silent=True) if request.data else None
            self.requests.append((request.method, request.path, body, dict(request.headers)))
            if not self._authenticated(request):
                return _error("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
            for failure in self._failures:
                method, part, status, message, headers, code, after = failure
                if method == request.method and part in request.path:
                    if after:
                        failure[6] -= 1
                        continue
                    self._failures.remove(failure)
                    return _error(code, message, status, headers)
            if not request.path.startswith(PREFIX):
                return self._no(request)
            return self._route(request, request.path[len(PREFIX):], body)

    def _no(self, request: Request) -> Response:
        self.unexpected.append(f"{request.method} {request.full_path}")
        return _error("rest_no_route", "No route was found matching the URL and request method.", 404)

    def _route(self, request: Request, path: str, body) -> Response:
        method = request.method
        if m := re.fullmatch(r"orders/(\d+)", path):
            order = self.orders.get(int(m[1]))
            if order is None:
                return _error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            if method == "PUT":
                status = (body or {}).get("status")
                if status not in STATUSES:
                    return _error("rest_invalid_param", "Invalid parameter(s): status", 400)
                order.status = status
            elif method != "GET":
                return self._no(request)
            return _json({"id": order.id, "status": order.status, "number": str(order.id)})
        if m := re.fullmatch(r"orders/(\d+)/notes", path):
            order = self.orders.get(int(m[1]))
            if order is None:
                return _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
            if method == "GET":
                return _json(order.notes)
            if method == "POST":
                if not isinstance(body, dict) or not isinstance(body.get("note"), str) or not body["note"]:
                    return _error("rest_missing_callback_param", "Missing parameter(s): note", 400)
                if "customer_note" in body and not isinstance(body["customer_note"], bool):
                    return _error("rest_invalid_param", "Invalid parameter(s): customer_note", 400)
                note = {"id": len(order.notes) + 1, "author": "api", "note": body["note"],
                        "customer_note": body.get("customer_note", False)}
                order.notes.append(note)
                return _json(note, 201)
            return self._no(request)
        if path == "products" and method == "GET":
            wanted = set(request.args.get("sku", "").split(","))
            hits = [p for p in self.products.values() if p.sku in wanted]
            return _json([{"id": p.id, "sku": p.sku, "type": "variation" if p.parent_id else "simple",
                           "parent_id": p.parent_id} for p in hits])
        if (m := re.fullmatch(r"products/batch|products/(\d+)/variations/batch", path)) and method == "POST":
            return self._batch(int(m[1] or 0), body)
        return self._no(request)

    def _batch(self, parent: int, body) -> Response:
        updates = (body or {}).get("update") if isinstance(body, dict) else None
        if not isinstance(updates, list):
            return _error("rest_invalid_param", "Invalid parameter(s): update", 400)
        if len(updates) > 100:
            return _error("woocommerce_rest_request_entity_too_large",
                          "Unable to accept more than 100 items for this request.", 413)
        answers = []
        for item in updates:
            product = self.products.get(item.get("id"))
            if product is None or product.parent_id != parent:
                answers.append({"id": item.get("id"), "error": {
                    "code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 400}}})
                continue
            if product.id in self.refuse_updates:
                code, message = self.refuse_updates[product.id]
                answers.append({"id": product.id, "error": {"code": code, "message": message, "data": {"status": 400}}})
                continue
            if not isinstance(item.get("stock_quantity"), int) or item.get("manage_stock") is not True:
                answers.append({"id": product.id, "error": {
                    "code": "rest_invalid_param", "message": "Invalid parameter(s): stock_quantity",
                    "data": {"status": 400}}})
                continue
            product.stock_quantity, product.manage_stock = item["stock_quantity"], True
            answers.append({"id": product.id, "sku": product.sku, "stock_quantity": product.stock_quantity,
                            "manage_stock": True})
        return _json({"update": answers})


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")


def _error(code: str, message: str, status: int, headers: dict | None = None) -> Response:
    return _json({"code": code, "message": message, "data": {"status": status}}, status, headers)
