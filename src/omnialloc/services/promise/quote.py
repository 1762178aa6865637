"""Delivery options for a cart (``POST /promise``) and for a product page (``GET /promise?sku=&pin=``).

A promise is the plan allocation would make for the same cart, at the same moment,
against the same stock: the cart becomes an unsaved order (the channel's, the
buyer's PIN and payment mode, the SKUs' list prices), routed by the same rules
and solved by the same `allocator.plan_units` (its reads and its solve, `read_candidates` and
`plan_seen`); nothing is reserved or written.
So an order captured right after its promise is planned the same way and meets
the promised date (tests/api/test_promise.py checks it on random carts).

Options:

- ``standard``: the plan allocation makes (cheapest, with the speed settings of
  docs/promise.md);
- ``express``: the carriers' express service where offered (priced at
  ``express_freight_pct``) and the fastest plan: each day a parcel takes costs
  ``EXPRESS_DAY_PAISE``, far above any freight difference; offered only when it
  arrives earlier than standard, and on a channel whose promise is hard only when it
  arrives by the promised date (an order of the channel never gets a later plan).

Each option gives its delivery date (the latest parcel's), the shipping cost
(carrier freight and COD fees, paise), and its parcels (one or several).

Answers are cached per process, keyed by the reference revision token (a changed
network, calendar or transit table is never served stale), the cart, the PIN, the
payment mode, the nodes' cut-off moments and the ATP and day's shipments of the
nodes involved (a sale or a receipt changes the key), for at most
``CACHE_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, datetime

from omnialloc.domain import Address, Order, OrderLine, PaymentMode
from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.geo.pins import locate
from omnialloc.services.allocation.allocator import plan_seen, read_candidates
from omnialloc.services.allocation.planning import Routing
from omnialloc.services.network.cache import channel as channel_master
from omnialloc.services.network.cache import network
from omnialloc.services.network.cache import skus as sku_master
from omnialloc.services.rules import runtime
from omnialloc.solvers import PlanStatus

EXPRESS_DAY_PAISE = 10_000_000   # Rs 1 lakh a day: speed first, then cost
CACHE_SECONDS = 30.0
_MAX_CACHED = 20_000
MAX_LINES = 50

_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def invalidate() -> None:
    with _lock:
        _cache.clear()


def _cart(uow, lines: list[dict]) -> tuple[dict, list[FieldError]]:
    errors: list[FieldError] = []
    if not lines:
        errors.append(FieldError("lines", "the cart is empty"))
    if len(lines) > MAX_LINES:
        errors.append(FieldError("lines", f"{len(lines)} lines exceed the limit of {MAX_LINES}"))
    merged: dict[str, int] = {}
    for line in lines:
        merged[line["sku"]] = merged.get(line["sku"], 0) + int(line["qty"])
    known = sku_master(uow, sorted(merged))
    for i, line in enumerate(lines):
        sku = known.get(line["sku"])
        if sku is None or not getattr(sku, "active", True):
            errors.append(FieldError(f"lines.{i}.sku", f"unknown SKU {line['sku']!r}"))
    return {s: q for s, q in merged.items() if s in known}, errors


def _order(cart: dict, skus: dict, pin: str, state: str, payment_mode: str, channel: str, at: datetime) -> Order:
    lines = [OrderLine(no, sku, qty, skus[sku].unit_price_paise) for no, (sku, qty) in enumerate(sorted(cart.items()), 1)]
    return Order(id="promise", channel=channel, external_id="promise",
                 ship_to=Address(name="", line1="", city="", state=state, pin=pin), lines=lines,
                 payment_mode=PaymentMode(payment_mode), created_at=at)


def _option(name: str, plan, plan_dict: dict) -> dict | None:
    if plan.status in (PlanStatus.INFEASIBLE, PlanStatus.UNSOLVED) or not plan.shipments or plan.unfilled:
        return None
    parcels = []
    for ps, sd in zip(plan.shipments, plan_dict["shipments"]):
        edd = sd.get("edd") or {}
        parcels.append({"node": ps.node, "carrier": ps.carrier, "service": edd.get("service"),
                        "lines": {k: int(v) for k, v in ps.lines.items()},
                        "delivery_date": edd.get("delivery_date"), "ship_by": edd.get("ship_by"),
                        "shipping_paise": int(ps.costs.shipping + ps.costs.cod)})
    delivery = plan_dict.get("delivery") or {}
    return {"name": name, "delivery_date": delivery.get("delivery_date"), "deliver_by": delivery.get("deliver_by"),
            "days": delivery.get("days"), "shipping_paise": sum(p["shipping_paise"] for p in parcels),
            "parcels": len(parcels), "shipments": parcels}


def quote(ctx, *, lines: list[dict], pin: str, payment_mode: str = "PREPAID", channel: str = "web",
          at: datetime | None = None) -> dict:
    """The delivery options for ``lines`` ([{sku, qty}]) to ``pin``; see the module docstring.

    ``ValidationFailed`` (422) for an unknown PIN, SKU or channel; a cart no node can fill gets no options
    and says why."""
    at = at or datetime.now(UTC)
    errors: list[FieldError] = []
    dest = locate(pin)  # UnknownPin (422) for a malformed or unknown PIN
    with ctx.uow(readonly=True) as uow:
        token = uow.revision()
        cart, cart_errors = _cart(uow, lines)
        errors += cart_errors
        chan = channel_master(uow, channel)
        if chan is None or not chan.active:
            errors.append(FieldError("channel", f"unknown or inactive channel {channel!r}"))
        if errors:
            raise ValidationFailed(f"the cart cannot be promised: {errors[0].message}", field_errors=errors)
        net = network(uow)
        atp, live = uow.inventory.atp_and_live_on(sorted(cart), at.date())
        moments = tuple(net.clock.moment(code, at) for code in sorted(net.by_code))
        key = (id(ctx.engine), token, tuple(sorted(cart.items())), dest.pin, payment_mode, channel,
               net.clock.order_day(at), moments, tuple(sorted(atp.items())), tuple(sorted((live or {}).items())))
        hit = _cached(key)
        if hit is not None:
            return hit
        skus = sku_master(uow, sorted(cart))
        order = _order(cart, skus, dest.pin, dest.state_code, payment_mode, channel, at)
        remaining = {line.line_no: line.qty for line in order.lines}
        routing = runtime.routing_for(uow, ctx, order, remaining=remaining)
        # What allocation's `plan_units` reads, read once (with the stock just read for the key) for both
        # options: each is `plan_units` on the same reads.
        seen = read_candidates(uow, ctx, order, remaining, stored=False, stock=(at.date(), sorted(cart), atp, live))
        plan, plan_dict = plan_seen(ctx, order, remaining, seen, routing, explain=False)
        options = []
        standard = _option("standard", plan, plan_dict)
        if standard is not None:
            options.append(standard)
        fast = replace(routing or Routing(), express=True, deliver_within_days=0, deliver_within_strict=False,
                       late_penalty_paise=EXPRESS_DAY_PAISE, fired=[])
        plan2, plan2_dict = plan_seen(ctx, order, remaining, seen, fast, explain=False)
        express = _option("express", plan2, plan2_dict)
        promised = plan_dict.get("promise")
        if express is not None and seen.cand.channel_promise_policy == "hard" and promised is not None \
                and express["delivery_date"] > promised["date"]:
            express = None  # a hard channel's promise binds every option: none may arrive after it
        if express is not None and (standard is None or express["delivery_date"] < standard["delivery_date"]):
            options.append(express)
    answer = {"pin": dest.pin, "payment_mode": payment_mode, "channel": channel, "as_of": at.isoformat(),
              "lines": [{"sku": s, "qty": q} for s, q in sorted(cart.items())], "options": options,
              "reason": None if options else (plan.reason or "no node can send the whole cart")}
    _store(key, answer)
    return answer


def _cached(key):
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            return None
        stamp, answer = hit
        if time.monotonic() - stamp > CACHE_SECONDS:
            del _cache[key]
            return None
        _cache.move_to_end(key)
        return answer


def _store(key, answer: dict) -> None:
    with _lock:
        _cache[key] = (time.monotonic(), answer)
        if len(_cache) > _MAX_CACHED:
            _cache.popitem(last=False)
