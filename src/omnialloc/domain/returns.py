"""Returns and what they lead to: the RMA with its lines, the grading dispositions, refurbish/repair work
orders, refunds and store credit.

A ``Return`` moves through ``states.RETURN_MACHINE`` (REQUESTED -> APPROVED ->
PICKUP_SCHEDULED -> PICKED_UP -> IN_TRANSIT -> RECEIVED -> GRADED -> CLOSED, or
REJECTED / CANCELLED). Its lines point at the order lines they return;
``received_qty`` is what the node counted in. Receiving grades every unit
(A restock, B refurbish, C write off, D repair: one ``Disposition`` per line
and grade); B and D open a ``WorkOrder`` that the node closes. The return is
then resolved by a ``Refund``, a store-credit ``StoreCreditEntry`` or the
exchange order already made. Money is integer paise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from omnialloc.domain.enums import ReturnStatus

WORK_ORDER_OPEN, WORK_ORDER_DONE = "open", "done"


@dataclass(frozen=True)
class ReturnLine:
    line_no: int                     # the order line it returns
    sku: str
    qty: int
    unit_price_paise: int
    reason: str                      # a ReturnReason value
    exchange_sku: str | None = None
    received_qty: int | None = None  # counted in at the node


@dataclass(frozen=True)
class Return:
    id: str
    order_id: str
    channel: str
    status: ReturnStatus
    requested_by: str
    created_at: datetime
    lines: tuple[ReturnLine, ...] = ()
    customer_id: str | None = None
    origin: str = "customer"                 # customer | rto
    status_reason: str | None = None
    resolution: str | None = None            # refund | exchange | store_credit (None for a COD RTO)
    exchange_policy: str = "after_pickup"    # after_pickup | immediately
    exchange_order_id: str | None = None
    source_shipment_id: str | None = None    # an RTO: the shipment that came back
    refund_method: str | None = None         # original | upi | bank
    refund_reference: str | None = None      # COD: the UPI id or bank account the refund goes to
    destination_node: str | None = None
    carrier: str | None = None               # the reverse pickup's
    awb: str | None = None
    reverse_cost_paise: int | None = None
    pickup_date: date | None = None
    explanation: dict[str, Any] | None = None  # why this node and carrier (the solver's)
    updated_at: datetime | None = None
    version: int = 1

    def line(self, line_no: int) -> ReturnLine:
        return next(l for l in self.lines if l.line_no == line_no)


@dataclass(frozen=True)
class Disposition:
    return_id: str
    line_no: int
    grade: str                       # A | B | C | D
    qty: int
    disposition: str                 # restock | refurbish | write_off | repair
    node: str
    work_order_id: str | None = None


@dataclass(frozen=True)
class WorkOrder:
    id: str
    return_id: str
    node: str
    sku: str
    qty: int
    kind: str                        # refurbish | repair
    status: str                      # open | done
    created_at: datetime


@dataclass(frozen=True)
class Refund:
    id: str
    return_id: str
    order_id: str
    amount_paise: int
    payment_mode: str                # the order's: PREPAID | COD
    method: str                      # original | upi | bank
    status: str                      # issued
    created_at: datetime
    currency: str = "INR"
    reference: str | None = None     # COD: where the money goes


@dataclass(frozen=True)
class StoreCreditEntry:
    """One movement of a customer's store credit (negative: spent), with the balance it left."""

    id: int
    customer_id: str
    delta_paise: int
    balance_after_paise: int
    reason: str
    actor: str
    at: datetime
    return_id: str | None = None
    order_id: str | None = None
    channel: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
