"""The typed context a rule condition sees: what a seller may ask about an order.

Four roots, each a dataclass so that rule-engine checks every field name and
type when a rule is *compiled* (not when an order arrives):

- ``order``: channel, value (paise), payment_mode ("COD" | "PREPAID"),
  priority, tags, line_count, total_weight_g, promised_days (may be null:
  write ``(order.promised_days ?? 99) <= 2``), created_hour (0-23) and
  created_weekday (1 = Monday ... 7 = Sunday), both in India time (IST).
- ``ship_to``: pin, city, state (2-letter code, e.g. "TN"), zone (courier zone
  A-E from the nearest shipping node), region (north | south | east | west |
  central | northeast).
- ``lines``: a list of ``line`` with sku, category, qty (and line_no).
- ``customer``: is_repeat, order_count (orders captured before this one).

Numbers are rule-engine FLOATs (exact Decimals), so ``order.value > 500000``
compares integer paise exactly. Building facts is pure: the service layer
passes in what it read from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

IST = timezone(timedelta(hours=5, minutes=30), "IST")


@dataclass(frozen=True)
class OrderFacts:
    channel: str
    value: int
    payment_mode: str
    priority: int
    tags: tuple[str, ...]  # rule-engine arrays are tuples
    line_count: int
    total_weight_g: int
    promised_days: int | None
    created_hour: int
    created_weekday: int


@dataclass(frozen=True)
class ShipToFacts:
    pin: str
    city: str
    state: str
    zone: str
    region: str


@dataclass(frozen=True)
class LineFacts:
    line_no: int
    sku: str
    category: str
    qty: int


@dataclass(frozen=True)
class CustomerFacts:
    is_repeat: bool
    order_count: int


@dataclass(frozen=True)
class Facts:
    order: OrderFacts
    ship_to: ShipToFacts
    lines: tuple[LineFacts, ...]
    customer: CustomerFacts


ROOTS: dict[str, type] = {"order": OrderFacts, "ship_to": ShipToFacts, "lines": LineFacts, "customer": CustomerFacts}

# What a seller sees in error messages and the API's field list: path -> human type.
_HUMAN = {"str": "text", "int": "number", "bool": "true/false", "tuple[str, ...]": "list of text", "int | None": "number or null"}


def field_paths() -> dict[str, str]:
    """Every addressable field, e.g. ``{"order.value": "number", "lines[].qty": "number", ...}``."""
    out: dict[str, str] = {}
    for root, cls in ROOTS.items():
        prefix = "lines[]" if root == "lines" else root
        for f in fields(cls):
            out[f"{prefix}.{f.name}"] = _HUMAN.get(str(f.type), str(f.type))
    return out


def attributes_of(root: str) -> list[str]:
    cls = ROOTS.get(root)
    return [f.name for f in fields(cls)] if cls else []


@dataclass
class OrderInput:
    """Plain inputs for `build_facts`, so that this module needs nothing from the store."""

    channel: str
    payment_mode: str
    priority: int
    tags: list[str]
    promised_days: int | None
    created_at: datetime | None
    lines: list[tuple[int, str, int, int]]          # (line_no, sku, qty, unit_price_paise)
    pin: str = ""
    city: str = ""
    state: str = ""
    zone: str = ""
    region: str = ""
    sku_weight_g: dict[str, int] = field(default_factory=dict)
    sku_category: dict[str, str] = field(default_factory=dict)
    customer_order_count: int = 0


def build_facts(src: OrderInput) -> Facts:
    created = src.created_at or datetime.now(UTC)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    local = created.astimezone(IST)
    lines = tuple(LineFacts(no, sku, src.sku_category.get(sku, ""), qty) for no, sku, qty, _ in src.lines)
    order = OrderFacts(
        channel=src.channel,
        value=sum(qty * price for _, _, qty, price in src.lines),
        payment_mode=src.payment_mode,
        priority=src.priority,
        tags=tuple(src.tags),  # rule-engine arrays are tuples; keeps `order.tags == [...]` exact
        line_count=len(src.lines),
        total_weight_g=sum(qty * src.sku_weight_g.get(sku, 0) for _, sku, qty, _ in src.lines),
        promised_days=src.promised_days,
        created_hour=local.hour,
        created_weekday=local.isoweekday(),
    )
    ship_to = ShipToFacts(pin=src.pin, city=src.city, state=src.state, zone=src.zone, region=src.region)
    customer = CustomerFacts(is_repeat=src.customer_order_count > 0, order_count=src.customer_order_count)
    return Facts(order=order, ship_to=ship_to, lines=lines, customer=customer)


def _representatives() -> tuple[tuple[str, Facts], ...]:
    """Orders of every shape a condition meets, for the trial run when a rule is saved (`conditions`):
    one line and several, no tags and some, no promise and a tight one, COD and prepaid, a first and a
    repeat customer, zero-value and heavy lines, empty address fields (an address that did not resolve)."""
    def make(**kw: Any) -> Facts:
        base: dict[str, Any] = dict(channel="web", payment_mode="PREPAID", priority=0, tags=[], promised_days=None,
                    created_at=datetime(2024, 1, 1, 0, 0, tzinfo=UTC), lines=[(1, "SKU-1", 1, 0)],
                    pin="600001", city="Chennai", state="TN", zone="A", region="south",
                    sku_weight_g={"SKU-1": 0, "SKU-2": 30_000}, sku_category={"SKU-1": "", "SKU-2": "apparel"})
        base.update(kw)
        return build_facts(OrderInput(**base))

    return (
        ("a one-line order with no tags and no promise", make()),
        ("a three-line COD order with tags and a 1-day promise", make(
            payment_mode="COD", tags=["vip", "gift"], promised_days=1, priority=10,
            created_at=datetime(2024, 1, 6, 18, 30, tzinfo=UTC),
            lines=[(1, "SKU-1", 1, 49_900), (2, "SKU-2", 12, 1_250_000), (3, "SKU-1", 3, 0)],
            customer_order_count=25)),
        ("an order whose address did not resolve", make(pin="", city="", state="", zone="", region="",
                                                         channel="pos", promised_days=0)),
    )


REPRESENTATIVE_FACTS: tuple[tuple[str, Facts], ...] = _representatives()
