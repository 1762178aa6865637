"""WooCommerce REST API v3: order status, a tracking note and stock quantities, pushed to the shop.

Requests go to ``{site}/wp-json/wc/v3/...`` authenticated with a REST API key
(WooCommerce > Settings > Advanced > REST API, permission Read/Write): over HTTPS
the consumer key and secret as HTTP Basic credentials, or, for servers that do
not pass the ``Authorization`` header to PHP, as the ``consumer_key`` and
``consumer_secret`` query parameters (``auth="query"``; the values are masked in
logged URLs).

Fulfil, idempotent on the shop's side:

1. ``GET orders/{id}``: refused when the order is cancelled, refunded or failed there;
2. ``GET orders/{id}/notes``: a parcel whose note is there already (each note
   ends with ``(omnialloc shipment <ref>)``) is not noted again;
3. ``POST orders/{id}/notes`` with ``note`` (carrier, AWB, tracking link) and
   ``customer_note`` (WooCommerce e-mails customer notes to the buyer);
4. when the whole order has shipped, ``PUT orders/{id}`` with ``status`` =
   ``completed`` (or the shop's own shipped status), unless it has it already.

Cancel: the reason as a private note (once), then ``PUT orders/{id}`` with
``status`` = ``cancelled`` (done already: nothing sent). WooCommerce puts the
order's units back into its own stock when it cancels; the next stock push
overwrites that with the channel's true sellable quantity.

Stock: ``GET products?sku=a,b,...`` finds products and variations by SKU (the v3
``sku`` filter matches both), then ``POST products/batch`` and
``POST products/{parent}/variations/batch`` with ``update`` items
``{id, manage_stock: true, stock_quantity}``, at most 100 per request (the API's
batch limit). A WooCommerce product has one stock figure: levels given per
location are summed per SKU.
"""

from __future__ import annotations

import base64
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from omnialloc.channels.push.contract import (CancelReason, Outcome, PushResult, ShipmentTracking, StockLevel,
                                              answer_problem)
from omnialloc.edge.http import Endpoint, Reply, Timeouts, check_base_url, make_client
from omnialloc.edge.secrets import Redactor, redact_query_params

log = logging.getLogger("omnialloc.channels.push.woocommerce")

BATCH_LIMIT = 100
_LOOKUP_CHUNK = 50               # SKUs per lookup query: keeps the URL short
_ID = re.compile(r"[1-9][0-9]{0,19}")
CLOSED_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})
_CANCEL_MARK = "(omnialloc cancellation)"


def shipment_mark(ref: str) -> str:
    """The tail of a parcel's note: how a retry recognises the note it already wrote."""
    return f"(omnialloc shipment {ref})"


@dataclass(frozen=True)
class WooCommerceCredentials:
    """The site's address (``https://shop.example.in``) and a REST API key pair (never shown)."""

    site_url: str
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    auth: str = "basic"          # "basic" (Authorization header) or "query" (consumer_key/consumer_secret params)

    def __post_init__(self) -> None:
        if not self.consumer_key or not self.consumer_secret:
            raise ValueError("WooCommerce: a consumer key and a consumer secret are required")
        if self.auth not in ("basic", "query"):
            raise ValueError(f"WooCommerce: auth must be 'basic' or 'query', got {self.auth!r}")


@dataclass(frozen=True)
class _Product:
    id: int
    parent_id: int                # 0 for a product, the variable product's id for a variation


class WooCommercePush:
    """``ShopPush`` for one WooCommerce store."""

    channel_kind = "woocommerce"

    def __init__(self, credentials: WooCommerceCredentials, *, shipped_status: str = "completed",
                 timeouts: Timeouts | None = None, client: httpx.Client | None = None,
                 clock: Callable[[], datetime] | None = None):
        base = check_base_url(credentials.site_url, "WooCommerce site URL")
        if not re.fullmatch(r"[a-z0-9_-]{1,40}", shipped_status or ""):
            raise ValueError(f"WooCommerce: shipped status must be an order status slug, got {shipped_status!r}")
        self.shipped_status = shipped_status
        key, secret = credentials.consumer_key, credentials.consumer_secret
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
        headers, params = {}, {}
        if credentials.auth == "basic":
            headers["Authorization"] = f"Basic {basic}"
        else:
            params = {"consumer_key": key, "consumer_secret": secret}
            redact_query_params("consumer_key", "consumer_secret")
        self._owns_client = client is None
        self._http = Endpoint(f"{base}/wp-json/wc/v3", what="WooCommerce", client=client or make_client(timeouts),
                              headers=headers, params=params, redactor=Redactor([key, secret, basic]), clock=clock)

    def _order(self, order_ref: str) -> tuple[int, str] | PushResult:
        """The order's id and current status, read from the shop."""
        text = str(order_ref).strip()
        if not _ID.fullmatch(text):
            return PushResult(Outcome.FAILED, f"{order_ref!r} is not a WooCommerce order id")
        reply = self._http.call("GET", f"orders/{text}")
        return answer_problem(reply, "WooCommerce", None, dict) or (int(text), str(reply.obj().get("status") or ""))

    def _notes(self, order_id: int) -> list[str] | PushResult:
        reply = self._http.call("GET", f"orders/{order_id}/notes", params={"type": "any"})
        return answer_problem(reply, "WooCommerce", None, list) or [str(n.get("note") or "") for n in reply.items()]

    def _set_status(self, order_id: int, current: str, wanted: str) -> PushResult | None:
        if current == wanted:
            return None
        reply = self._http.call("PUT", f"orders/{order_id}", json={"status": wanted})
        return answer_problem(reply, "WooCommerce", None, dict)

    # -- fulfil -----------------------------------------------------------------------------------------------

    def fulfil(self, order_ref: str, shipments: tuple[ShipmentTracking, ...], *, all_shipped: bool = True
               ) -> PushResult:
        """Note each parcel; when ``all_shipped`` (the whole order has left), set the shipped status too."""
        found = self._order(order_ref)
        if isinstance(found, PushResult):
            return found
        order_id, status = found
        if status in CLOSED_STATUSES:
            return PushResult(Outcome.FAILED, f"WooCommerce order {order_id} is {status}; nothing can be fulfilled")
        notes = self._notes(order_id)
        if isinstance(notes, PushResult):
            return notes
        written = 0
        for parcel in shipments:
            mark = shipment_mark(parcel.ref)
            if any(mark in note for note in notes):
                continue
            reply = self._http.call("POST", f"orders/{order_id}/notes",
                                    json={"note": self._tracking_note(parcel), "customer_note": parcel.notify_customer})
            if failed := answer_problem(reply, "WooCommerce", None, dict):
                return failed
            written += 1
        if all_shipped and (failed := self._set_status(order_id, status, self.shipped_status)):
            return failed
        detail = f"{written} tracking note(s) added" + (f", order {self.shipped_status}" if all_shipped else "")
        log.info("woocommerce fulfil order %s: %s", order_id, detail)
        return PushResult.ok(detail)

    @staticmethod
    def _tracking_note(parcel: ShipmentTracking) -> str:
        units = ", ".join(f"{line.qty} x {line.sku}" for line in parcel.lines)
        text = f"Shipped with {parcel.carrier}, AWB {parcel.awb} ({units})."
        if parcel.tracking_url:
            text += f" Track it at {parcel.tracking_url}"
        return f"{text} {shipment_mark(parcel.ref)}"

    # -- cancel -----------------------------------------------------------------------------------------------

    def cancel(self, order_ref: str, reason: CancelReason) -> PushResult:
        found = self._order(order_ref)
        if isinstance(found, PushResult):
            return found
        order_id, status = found
        if status == "cancelled":
            return PushResult.ok("already cancelled in WooCommerce")
        if status in CLOSED_STATUSES:
            return PushResult(Outcome.FAILED, f"WooCommerce order {order_id} is {status}; it cannot be cancelled")
        notes = self._notes(order_id)
        if isinstance(notes, PushResult):
            return notes
        if not any(_CANCEL_MARK in note for note in notes):
            text = f"Cancelled by the order management system: {reason.code}"
            text += f" ({reason.note})." if reason.note else "."
            reply = self._http.call("POST", f"orders/{order_id}/notes",
                                    json={"note": f"{text} {_CANCEL_MARK}", "customer_note": False})
            if failed := answer_problem(reply, "WooCommerce", None, dict):
                return failed
        if failed := self._set_status(order_id, status, "cancelled"):
            return failed
        log.info("woocommerce order %s cancelled (%s)", order_id, reason.code)
        return PushResult.ok("cancelled in WooCommerce")

    # -- stock ------------------------------------------------------------------------------------------------

    def set_stock(self, levels: tuple[StockLevel, ...]) -> PushResult:
        levels = tuple(levels)
        wanted: dict[str, int] = defaultdict(int)
        for level in levels:
            wanted[level.sku] += level.available
        if not wanted:
            return PushResult.ok("nothing to set")
        found = self._lookup(sorted(wanted))
        if isinstance(found, PushResult):
            return PushResult(found.outcome, found.detail, found.retry_after, found.status,
                              levels if found.outcome is Outcome.RETRY else ())
        skipped = tuple(sku for sku in sorted(wanted) if sku not in found and "," not in sku)
        batches: dict[int, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for sku in sorted(wanted):
            if sku in found:
                product = found[sku]
                batches[product.parent_id].append(
                    (sku, {"id": product.id, "manage_stock": True, "stock_quantity": wanted[sku]}))
        # WooCommerce splits its SKU filter at commas: such a SKU cannot be found, only reported.
        failures = [f"SKU {sku!r}: a comma in a SKU cannot be looked up in WooCommerce" for sku in wanted if "," in sku]
        done = 0
        sent: set[str] = set()
        for parent in sorted(batches):
            path = "products/batch" if parent == 0 else f"products/{parent}/variations/batch"
            items = batches[parent]
            for start in range(0, len(items), BATCH_LIMIT):
                chunk = items[start:start + BATCH_LIMIT]
                reply = self._http.call("POST", path, json={"update": [body for _, body in chunk]})
                pending = tuple(level for level in levels if level.sku not in sent and level.sku in found)
                if failed := answer_problem(reply, "WooCommerce", "update", list, pending=pending):
                    if failed.outcome is Outcome.RETRY:
                        return failed
                    failures.append(f"{', '.join(sku for sku, _ in chunk)}: {failed.detail}")
                    continue
                errors = self._item_errors(reply, {body["id"]: sku for sku, body in chunk})
                failures += errors
                done += len(chunk) - len(errors)
                sent.update(sku for sku, _ in chunk)
        detail = f"{done} product(s) set" + (f", {len(skipped)} SKU(s) not sold in WooCommerce" if skipped else "")
        if failures:
            return PushResult(Outcome.FAILED, f"{detail}; " + "; ".join(failures), skipped=skipped)
        return PushResult.ok(detail, skipped=skipped)

    @staticmethod
    def _item_errors(reply: Reply, sku_of_id: dict[int, str]) -> list[str]:
        """Per-item errors of a batch answer (the batch itself is 200; each item may carry ``error``)."""
        errors = []
        for item in reply.items("update"):
            if isinstance(item.get("error"), dict):
                item_id: Any = item.get("id")  # any JSON value: looked up, never trusted
                sku = sku_of_id.get(item_id, f"id {item_id}")
                errors.append(f"SKU {sku}: {item['error'].get('message') or item['error'].get('code')}")
        return errors

    def _lookup(self, skus: list[str]) -> dict[str, _Product] | PushResult:
        """SKU -> product or variation id (with its parent), for the SKUs the shop sells."""
        found: dict[str, _Product] = {}
        plain = [s for s in skus if "," not in s]
        chunks = [plain[i:i + _LOOKUP_CHUNK] for i in range(0, len(plain), _LOOKUP_CHUNK)]
        for chunk in chunks:
            reply = self._http.call("GET", "products", params={
                "sku": ",".join(chunk), "per_page": 100, "_fields": "id,sku,type,parent_id"})
            if failed := answer_problem(reply, "WooCommerce", None, list):
                return failed
            for item in reply.items():
                sku = str(item.get("sku") or "")
                parent = str(item.get("parent_id") or "") if item.get("type") == "variation" else "0"
                if sku in chunk and _ID.fullmatch(str(item.get("id"))) and (parent == "0" or _ID.fullmatch(parent)):
                    found[sku] = _Product(int(item["id"]), int(parent))
        return found

    def close(self) -> None:
        if self._owns_client:
            self._http.client.close()
