"""The variables every template sees, built from domain objects (pure: no I/O).

Contract (all keys always present, ``None`` when unknown, so templates may test them):

    brand                       seller name shown to the buyer
    customer.name, .first_name
    order.id, .ref (the channel's order number), .channel, .units, .total_paise,
         .currency, .payment_mode (PREPAID|COD), .payment_mode_label, .promised_days
    items[]: sku, name, qty     the lines this message is about (the shipment's, else the order's)
    shipment.id, .awb, .carrier, .carrier_name, .tracking_url, .promised_days,
            .delivery_date (EDD, YYYY-MM-DD), .delivery_date_label ("Friday 11 December")
    rma.id, .resolution, .resolution_label, .pickup_date, .carrier_name, .awb,
       .refund_paise, .refund_method (as words: "your UPI account")
    (for return messages, ``items`` are the returned lines)
    pickup.code, .store_name, .store_address, .expires_on
                                pickup in store: the code to show at the counter, where, until which day
    reason                      the reason recorded with the change, if any
    return_window_days

The context is stored with the outbox row (JSON), so a message can be
re-rendered after an admin fixes a template and re-queues it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from omnialloc.domain import Order, Shipment

_PAYMENT_LABELS = {"PREPAID": "prepaid", "COD": "cash on delivery"}
_REFUND_METHOD_LABELS = {"original": "your original payment method", "upi": "your UPI account",
                         "bank": "your bank account"}
_RESOLUTION_LABELS = {"refund": "Refund", "exchange": "Exchange", "store_credit": "Store credit"}


def tracking_url(base_url: str, awb: str | None) -> str | None:
    if not awb:
        return None
    return f"{base_url.rstrip('/')}/{quote(str(awb), safe='')}"


def date_label(value: date | str | None) -> str | None:
    """An EDD as the buyer reads it: "Friday 11 December" (English; None stays None)."""
    if value is None:
        return None
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"


def first_name(name: str | None) -> str:
    parts = (name or "").split()
    return parts[0] if parts else "there"


def build(*, order: Order, brand: str = "", shipment: Shipment | None = None, rma: dict[str, Any] | None = None,
          reason: str | None = None, tracking_base_url: str = "", carrier_names: dict[str, str] | None = None,
          sku_names: dict[str, str] | None = None, return_window_days: int = 30, awb: str | None = None,
          pickup: dict[str, Any] | None = None) -> dict[str, Any]:
    """Template variables for one message about ``order`` (and its ``shipment`` or return ``rma``)."""
    carrier_names = carrier_names or {}
    sku_names = sku_names or {}
    ship_to = order.ship_to
    if rma and rma.get("lines"):
        items = [{"sku": l["sku"], "name": sku_names.get(l["sku"]), "qty": l["qty"]} for l in rma["lines"]
                 if l.get("sku") and l.get("qty")]
    elif shipment is not None:
        items = [{"sku": l.sku, "name": sku_names.get(l.sku), "qty": l.qty} for l in shipment.lines if l.qty]
    else:
        items = [{"sku": l.sku, "name": sku_names.get(l.sku), "qty": l.open_qty or l.qty} for l in order.lines]
    payment = str(getattr(order.payment_mode, "value", order.payment_mode))
    gross = sum(l.qty * l.unit_price_paise for l in order.lines)
    ctx = {
        "brand": brand,
        "customer": {"name": ship_to.name, "first_name": first_name(ship_to.name)},
        "order": {
            "id": order.id, "ref": order.external_id, "channel": order.channel,
            "units": sum(l.open_qty for l in order.lines) or sum(l.qty for l in order.lines),
            "total_paise": order.value_paise or gross, "currency": order.currency, "payment_mode": payment,
            "payment_mode_label": _PAYMENT_LABELS.get(payment, payment.lower()),
            "promised_days": order.promised_days,
        },
        "items": items,
        "shipment": {"id": None, "awb": None, "carrier": None, "carrier_name": None, "tracking_url": None,
                     "promised_days": None, "delivery_date": None, "delivery_date_label": None},
        "rma": {"id": None, "resolution": None, "resolution_label": None, "pickup_date": None,
                "carrier_name": None, "awb": None, "refund_paise": None, "refund_method": None},
        "reason": reason,
        "return_window_days": return_window_days,
        "pickup": {"code": None, "store_name": None, "store_address": None, "expires_on": None,
                   **{k: v for k, v in (pickup or {}).items() if v is not None}},
    }
    if shipment is not None:
        awb = awb or shipment.awb  # the AWB may be in the event before it is on the shipment row
        edd = getattr(shipment, "delivery_date", None)
        ctx["shipment"] = {
            "id": shipment.id, "awb": awb, "carrier": shipment.carrier,
            "carrier_name": carrier_names.get(shipment.carrier, shipment.carrier),
            "tracking_url": tracking_url(tracking_base_url, awb),
            "promised_days": shipment.sla_days,
            "delivery_date": None if edd is None else edd.isoformat(),
            "delivery_date_label": date_label(edd),
        }
    if rma:
        resolution = rma.get("resolution")
        resolution = None if resolution is None else str(getattr(resolution, "value", resolution))
        carrier = rma.get("carrier")
        refund_method: Any = rma.get("refund_method")
        ctx["rma"] = {
            "id": rma.get("id"), "resolution": resolution,
            "resolution_label": _RESOLUTION_LABELS.get(resolution, resolution) if resolution else None,
            "pickup_date": None if rma.get("pickup_date") is None else str(rma["pickup_date"]),
            "carrier_name": carrier_names.get(carrier, carrier) if carrier else None,
            "awb": rma.get("awb"), "refund_paise": rma.get("refund_paise"),
            "refund_method": _REFUND_METHOD_LABELS.get(refund_method, refund_method),
        }
    return ctx


def finish(facts: dict[str, Any], *, brand: str, tracking_base_url: str,
           return_window_days: int = 30) -> dict[str, Any]:
    """Add what comes from configuration at send time (brand, tracking link) to the stored facts."""
    ctx = {**facts, "brand": brand, "return_window_days": return_window_days}
    shipment = dict(ctx.get("shipment") or {})
    if shipment.get("awb"):
        shipment["tracking_url"] = tracking_url(tracking_base_url, shipment["awb"])
    ctx["shipment"] = shipment
    return ctx


def worst_case(kind: str | None = None) -> dict[str, Any]:
    """A context with every field as long as templates may meet it: what the SMS length test renders."""
    from omnialloc.domain import Address, Order, OrderLine, PaymentMode, Shipment, ShipmentLine

    order = Order(id="ord_" + "f" * 16, channel="marketplace-long", external_id="X" * 40,
                  ship_to=Address(name="Venkataramanan Subramaniam Iyer", line1="1", city="Chennai",
                                  state="Tamil Nadu", pin="600002", phone="+919800000001",
                                  email="venkataramanan.subramaniam@example.com"),
                  lines=[OrderLine(1, "SKU-0001", 999, 9_99_999)], payment_mode=PaymentMode.COD,
                  promised_days=14)
    shipment = Shipment(id="shp_" + "e" * 16, order_id=order.id, node="CHN-FC1", carrier="DELHIVERY",
                        lines=[ShipmentLine(1, "SKU-0001", 999)], awb="A" * 30, sla_days=14,
                        delivery_date=date(2026, 9, 30))  # "Wednesday 30 September": the longest label
    rma = {"id": "rma_" + "d" * 30, "resolution": "store_credit", "pickup_date": "2026-12-31",
           "carrier": "DELHIVERY", "awb": "R" * 30, "refund_paise": 99_99_999_99, "refund_method": "UPI"}
    pickup = {"code": "999999", "store_name": "Phoenix Marketcity Velachery Flagship Store",
              "store_address": "142 Velachery Main Road, Velachery, Chennai, Tamil Nadu 600042",
              "expires_on": "2026-12-31"}
    return build(brand="Shree Laxmi Fashions Pvt Ltd", order=order, shipment=shipment, rma=rma, pickup=pickup,
                 reason="Customer not available at the address; phone switched off",
                 tracking_base_url="https://track.example-shop.in/t",
                 carrier_names={"DELHIVERY": "Delhivery Surface Express"})
