"""Orders as captured from a channel: who, where to, what, how paid, by when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from omnialloc.domain.enums import DeliveryMode, OrderStatus, PaymentMode


@dataclass
class Address:
    name: str
    line1: str
    city: str
    state: str
    pin: str
    phone: str = ""
    email: str = ""
    line2: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass
class OrderLine:
    line_no: int
    sku: str
    qty: int
    unit_price_paise: int
    cancelled_qty: int = 0

    @property
    def open_qty(self) -> int:
        return self.qty - self.cancelled_qty

    @property
    def value_paise(self) -> int:
        return self.open_qty * self.unit_price_paise


@dataclass
class Order:
    id: str
    channel: str
    external_id: str
    ship_to: Address
    lines: list[OrderLine]
    payment_mode: PaymentMode = PaymentMode.PREPAID
    currency: str = "INR"
    status: OrderStatus = OrderStatus.CREATED
    priority: int = 0
    tags: list[str] = field(default_factory=list)
    promised_days: int | None = None
    delivery_mode: DeliveryMode = DeliveryMode.SHIP
    pickup_node: str | None = None
    customer_id: str | None = None
    created_at: datetime | None = None
    # The promised delivery (issue 24): the UTC end of the promised local day, and where the promise came
    # from (request, channel, rule, fastest); None until the order is first planned.
    promised_by: datetime | None = None
    promise_source: str | None = None

    @property
    def value_paise(self) -> int:
        return sum(line.value_paise for line in self.lines)

    def line(self, line_no: int) -> OrderLine:
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise KeyError(line_no)
