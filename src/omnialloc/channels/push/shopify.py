"""Shopify Admin REST API: fulfilments with tracking, cancellations and inventory levels, pushed to the shop.

Every request goes to ``{shop}/admin/api/{version}/...json`` with the app's
``X-Shopify-Access-Token`` header (a custom app's Admin API access token).
Scopes the token needs: ``read_orders``, ``write_orders`` (cancel),
``read_merchant_managed_fulfillment_orders`` + ``write_merchant_managed_fulfillment_orders``
(fulfil), ``read_products`` (find the inventory item of a SKU), ``write_inventory``
(set levels).

Fulfil (``fulfil``), per parcel, idempotent on the shop's side:

1. ``GET orders/{id}.json`` maps the order's line items to SKUs (refused when the
   order is cancelled there);
2. ``GET orders/{id}/fulfillments.json``: what the shop already holds under this
   parcel's tracking number is not sent again (a retry after a lost answer);
3. ``GET orders/{id}/fulfillment_orders.json``: the remaining units are taken from
   fulfillment orders that are ``open`` or ``in_progress`` (those at the parcel's
   location first). Units whose fulfillment order is ``closed`` are already
   fulfilled in the shop: nothing is created for them. Units on hold or
   scheduled are reported as a failure for a person to release;
4. ``POST fulfillments.json`` with ``line_items_by_fulfillment_order`` and
   ``tracking_info`` (number, company, url), one per location.

Cancel: ``GET orders/{id}.json`` (already cancelled: done), then
``POST orders/{id}/cancel.json`` with the reason (customer, inventory, fraud, declined, other).

Stock: each SKU's inventory item id comes from the catalogue (``GET products.json``,
paged by ``Link`` headers, cached and refreshed when a SKU is missing), then
``POST inventory_levels/set.json`` with ``location_id``, ``inventory_item_id`` and
``available`` per location. A SKU the shop does not sell is skipped; a SKU on two
variants is refused (setting both would double what the shop may sell).

Shopify answers 429 with ``Retry-After`` when the app's bucket is empty; that is
a RETRY with the delay and, for stock, the levels not yet set.
"""

from __future__ import annotations

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
from omnialloc.edge.secrets import Redactor

log = logging.getLogger("omnialloc.channels.push.shopify")

DEFAULT_API_VERSION = "2026-01"
_VERSION = re.compile(r"20\d\d-(01|04|07|10)")
_ID = re.compile(r"[1-9][0-9]{0,19}")
FULFILLABLE_STATUSES = frozenset({"open", "in_progress"})
_DEAD_FULFILLMENT = frozenset({"cancelled", "error", "failure"})
_MAX_PAGES = 2000  # 500,000 products at 250 a page: a guard against a paging loop, not a limit in practice


@dataclass(frozen=True)
class ShopifyCredentials:
    """The shop's address (``https://my-shop.myshopify.com``) and the Admin API access token (never shown)."""

    shop_url: str
    access_token: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.access_token or not self.access_token.strip():
            raise ValueError("Shopify: an Admin API access token is required")


def _shopify_id(value: object) -> int | None:
    text = str(value).strip() if value is not None and not isinstance(value, bool) else ""
    return int(text) if _ID.fullmatch(text) else None


def _count(value: object) -> int:
    """A quantity from the shop's JSON; anything that is not a whole number >= 0 counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass
class _FoLine:
    fo_id: int
    fo_line_id: int
    location: str
    sku: str
    fulfillable: int


class ShopifyPush:
    """``ShopPush`` for one Shopify store."""

    channel_kind = "shopify"

    def __init__(self, credentials: ShopifyCredentials, *, api_version: str = DEFAULT_API_VERSION,
                 default_location: str | None = None, notify_customer_on_cancel: bool = False,
                 timeouts: Timeouts | None = None, client: httpx.Client | None = None,
                 clock: Callable[[], datetime] | None = None):
        if not _VERSION.fullmatch(api_version or ""):
            raise ValueError(f"Shopify: API version must look like 2026-01 (a quarterly release), got {api_version!r}")
        base = check_base_url(credentials.shop_url, "Shopify shop URL")
        self.api_version = api_version
        self.default_location = default_location
        self.notify_customer_on_cancel = notify_customer_on_cancel
        self._owns_client = client is None
        self._http = Endpoint(f"{base}/admin/api/{api_version}", what="Shopify",
                              client=client or make_client(timeouts),
                              headers={"X-Shopify-Access-Token": credentials.access_token},
                              redactor=Redactor([credentials.access_token]), clock=clock)
        self._sku_index: dict[str, list[int]] | None = None

    # -- fulfil -----------------------------------------------------------------------------------------------

    def fulfil(self, order_ref: str, shipments: tuple[ShipmentTracking, ...], *, all_shipped: bool = True
               ) -> PushResult:
        """``all_shipped`` is not needed here: Shopify closes the order's fulfillment orders itself."""
        order_id = _shopify_id(order_ref)
        if order_id is None:
            return PushResult(Outcome.FAILED, f"{order_ref!r} is not a Shopify order id")
        if not shipments:
            return PushResult.ok("no parcel to report")
        order = self._http.call("GET", f"orders/{order_id}.json", params={"fields": "id,name,cancelled_at,line_items"})
        if failed := answer_problem(order, "Shopify", "order", dict):
            return failed
        body = order.obj("order")
        if body.get("cancelled_at"):
            return PushResult(Outcome.FAILED, f"Shopify order {order_id} is cancelled; nothing can be fulfilled")
        sku_of_line = {li.get("id"): str(li.get("sku") or "") for li in _dicts(body.get("line_items"))}

        existing = self._http.call("GET", f"orders/{order_id}/fulfillments.json")
        if failed := answer_problem(existing, "Shopify", "fulfillments", list):
            return failed
        done_by_awb: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for f in existing.items("fulfillments"):
            if f.get("status") in _DEAD_FULFILLMENT:
                continue
            numbers = {str(n) for n in f.get("tracking_numbers") or [] if n} if isinstance(
                f.get("tracking_numbers"), list) else set()
            if f.get("tracking_number"):
                numbers.add(str(f["tracking_number"]))
            for number in numbers:
                for li in _dicts(f.get("line_items")):
                    done_by_awb[number][str(li.get("sku") or "")] += _count(li.get("quantity"))

        fos = self._http.call("GET", f"orders/{order_id}/fulfillment_orders.json")
        if failed := answer_problem(fos, "Shopify", "fulfillment_orders", list):
            return failed
        lines, held = self._fulfillment_order_lines(fos.items("fulfillment_orders"), sku_of_line)

        created, already, problems = 0, 0, []
        for parcel in shipments:
            need: dict[str, int] = defaultdict(int)
            for line in parcel.lines:
                need[line.sku] += line.qty
            for sku, qty in done_by_awb.get(parcel.awb, {}).items():
                need[sku] -= qty
            need = {sku: qty for sku, qty in need.items() if qty > 0}
            if not need:
                already += 1
                continue
            groups, blocked = self._take(parcel, need, lines, held, set(sku_of_line.values()))
            problems += blocked
            for location in sorted(groups):
                reply = self._http.call("POST", "fulfillments.json", json=self._fulfillment_body(parcel, groups[location]))
                if failed := answer_problem(reply, "Shopify", "fulfillment", dict):
                    log.info("shopify fulfil order %s parcel %s: %s", order_id, parcel.ref, failed.detail)
                    return failed
                created += 1
            if not groups and not blocked:
                already += 1  # every unit sits in a closed fulfillment order: fulfilled in the shop already
        detail = f"{created} fulfillment(s) created, {already} parcel(s) already in Shopify"
        if problems:
            return PushResult(Outcome.FAILED, f"{detail}; " + "; ".join(problems))
        log.info("shopify fulfil order %s: %s", order_id, detail)
        return PushResult.ok(detail)

    @staticmethod
    def _fulfillment_order_lines(fulfillment_orders: list[dict[str, Any]], sku_of_line: dict[Any, str]
                                 ) -> tuple[list[_FoLine], dict[str, str]]:
        lines: list[_FoLine] = []
        held: dict[str, str] = {}
        for fo in fulfillment_orders:
            status = str(fo.get("status") or "")
            actions = fo.get("supported_actions")
            can_fulfil = status in FULFILLABLE_STATUSES and (actions is None or "create_fulfillment" in actions)
            fo_id = _shopify_id(fo.get("id"))
            for li in _dicts(fo.get("line_items")):
                sku = sku_of_line.get(li.get("line_item_id"), "")
                fulfillable = _count(li.get("fulfillable_quantity"))
                line_id = _shopify_id(li.get("id"))
                if can_fulfil and fulfillable > 0 and fo_id and line_id:
                    lines.append(_FoLine(fo_id, line_id, str(fo.get("assigned_location_id") or ""), sku, fulfillable))
                elif fulfillable > 0 and status not in ("closed", "cancelled"):
                    held.setdefault(sku, status)
        return lines, held

    @staticmethod
    def _take(parcel: ShipmentTracking, need: dict[str, int], lines: list[_FoLine], held: dict[str, str],
              known_skus: set[str]) -> tuple[dict[str, dict[int, list[dict[str, int]]]], list[str]]:
        """Units of ``need`` taken from open fulfillment order lines, grouped by location; and what could not be."""
        groups: dict[str, dict[int, list[dict[str, int]]]] = defaultdict(lambda: defaultdict(list))
        blocked = []
        # The parcel's own location first; then the others in a fixed order (deterministic requests).
        ordered = sorted(lines, key=lambda fl: (fl.location != (parcel.location or ""), fl.location, fl.fo_id,
                                                fl.fo_line_id))
        for sku in sorted(need):
            qty = need[sku]
            for fl in ordered:
                if qty == 0:
                    break
                if fl.sku != sku or fl.fulfillable == 0:
                    continue
                take = min(qty, fl.fulfillable)
                fl.fulfillable -= take
                qty -= take
                groups[fl.location][fl.fo_id].append({"id": fl.fo_line_id, "quantity": take})
            if qty and sku not in known_skus:
                blocked.append(f"parcel {parcel.ref}: SKU {sku} is not on the Shopify order")
            elif qty and sku in held:
                blocked.append(f"parcel {parcel.ref}: {qty} x {sku} sit in a fulfillment order that is "
                               f"{held[sku]} in Shopify (release it there, then re-queue)")
            # Otherwise the remaining units are in closed fulfillment orders: already fulfilled in the shop.
        return groups, blocked

    @staticmethod
    def _fulfillment_body(parcel: ShipmentTracking, by_fo: dict[int, list[dict[str, int]]]) -> dict[str, Any]:
        tracking = {"number": parcel.awb, "company": parcel.carrier}
        if parcel.tracking_url:
            tracking["url"] = parcel.tracking_url
        return {"fulfillment": {
            "line_items_by_fulfillment_order": [
                {"fulfillment_order_id": fo_id, "fulfillment_order_line_items": items}
                for fo_id, items in sorted(by_fo.items())],
            "tracking_info": tracking,
            "notify_customer": parcel.notify_customer,
        }}

    # -- cancel -----------------------------------------------------------------------------------------------

    def cancel(self, order_ref: str, reason: CancelReason) -> PushResult:
        order_id = _shopify_id(order_ref)
        if order_id is None:
            return PushResult(Outcome.FAILED, f"{order_ref!r} is not a Shopify order id")
        if (state := self._cancelled(order_id)) is not None:
            return state
        reply = self._http.call("POST", f"orders/{order_id}/cancel.json",
                                json={"reason": reason.code, "email": self.notify_customer_on_cancel})
        if not (failed := answer_problem(reply, "Shopify", "order", dict)):
            log.info("shopify order %s cancelled (%s)", order_id, reason.code)
            return PushResult.ok("cancelled in Shopify")
        if reply.status == 422 and (state := self._cancelled(order_id)) is not None and state.delivered:
            return state  # cancelled by someone else between our read and our request
        return failed

    def _cancelled(self, order_id: int) -> PushResult | None:
        """DELIVERED if the order is cancelled already, a failure result if it cannot be read, else None."""
        reply = self._http.call("GET", f"orders/{order_id}.json", params={"fields": "id,cancelled_at"})
        if failed := answer_problem(reply, "Shopify", "order", dict):
            return failed
        if reply.obj("order").get("cancelled_at"):
            return PushResult.ok("already cancelled in Shopify")
        return None

    # -- stock ------------------------------------------------------------------------------------------------

    def set_stock(self, levels: tuple[StockLevel, ...]) -> PushResult:
        levels = tuple(levels)
        if not levels:
            return PushResult.ok("nothing to set")
        located = []
        for level in levels:
            location = _shopify_id(level.location or self.default_location)
            if location is None:
                return PushResult(Outcome.FAILED, f"SKU {level.sku}: no Shopify location id "
                                  f"(got {level.location!r}; set the node's Shopify location or a default)")
            located.append((level, location))
        index = self._index(refresh=False)
        if isinstance(index, PushResult):
            return PushResult(index.outcome, index.detail, index.retry_after, index.status,
                              levels if index.outcome is Outcome.RETRY else ())
        if any(level.sku not in index for level, _ in located):
            index = self._index(refresh=True)
            if isinstance(index, PushResult):
                return PushResult(index.outcome, index.detail, index.retry_after, index.status,
                                  levels if index.outcome is Outcome.RETRY else ())
        skipped, failures, done = [], [], 0
        for i, (level, location) in enumerate(located):
            items = index.get(level.sku)
            if not items:
                skipped.append(level.sku)
                continue
            if len(items) > 1:
                failures.append(f"SKU {level.sku} is on {len(items)} Shopify variants (make SKUs unique)")
                continue
            reply = self._http.call("POST", "inventory_levels/set.json", json={
                "location_id": location, "inventory_item_id": items[0], "available": level.available})
            failed = answer_problem(reply, "Shopify", "inventory_level", dict, pending=levels[i:])
            if failed is None:
                done += 1
            elif failed.outcome is Outcome.RETRY:
                log.info("shopify stock: %s after %d of %d levels", failed.detail, done, len(levels))
                return failed
            else:
                failures.append(f"SKU {level.sku} at location {location}: {failed.detail}")
        detail = f"{done} level(s) set" + (f", {len(skipped)} SKU(s) not sold in Shopify" if skipped else "")
        if failures:
            return PushResult(Outcome.FAILED, f"{detail}; " + "; ".join(failures), skipped=tuple(skipped))
        return PushResult.ok(detail, skipped=tuple(skipped))

    def _index(self, *, refresh: bool) -> dict[str, list[int]] | PushResult:
        """SKU -> inventory item ids, from the catalogue (cached; ``refresh`` reads it again)."""
        if self._sku_index is not None and not refresh:
            return self._sku_index
        index: dict[str, list[int]] = defaultdict(list)
        target: str | None = "products.json"
        params: dict[str, Any] | None = {"limit": 250, "fields": "id,variants"}
        for _ in range(_MAX_PAGES):
            if target is None:
                break
            reply: Reply = self._http.call("GET", target, params=params)
            if failed := answer_problem(reply, "Shopify", "products", list):
                return failed
            for product in reply.items("products"):
                for variant in _dicts(product.get("variants")):
                    sku = str(variant.get("sku") or "").strip()
                    item = _shopify_id(variant.get("inventory_item_id"))
                    if sku and item:
                        index[sku].append(item)
            # The next page's URL carries its own cursor and limit; Shopify refuses other params beside page_info.
            target, params = reply.next_url, None
        self._sku_index = dict(index)
        return self._sku_index

    def close(self) -> None:
        if self._owns_client:
            self._http.client.close()
