"""Estimated delivery date (EDD) of one shipment: dispatch at the node, transit, delivery at the destination.

    estimate_delivery(origin, carrier, service, destination, ordered_at, model)

puts the three pieces together: `calendar.dispatch_date` (the node's cut-off,
working days, holidays and the carrier's pickup days, in the node's zone),
`TransitModel.transit` (the seller's table, else the distance defaults) and
`calendar.delivery_date` (delivery days and holidays at the destination). The
answer keeps every step's reason in order, so a screen or a notification can
say why a date is what it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.geo.pins import PinLocation, locate
from omnialloc.logistics.calendar import (
    DEFAULT_DELIVERY_RULES,
    DeliveryRules,
    NodeCalendar,
    Reason,
    delivery_date,
    dispatch_date,
)
from omnialloc.logistics.transit.model import TransitModel, TransitTime
from omnialloc.logistics.transit.service import Service

TRANSIT = "transit"  # reason code of the transit step (the calendar's codes cover the rest)


@dataclass(frozen=True)
class Origin:
    """Where a shipment leaves from: the node's code, its PIN's location and its working calendar."""

    node: str
    location: PinLocation
    calendar: NodeCalendar = field(default_factory=NodeCalendar)


@dataclass(frozen=True)
class DeliveryEstimate:
    """An EDD with its parts: instants are UTC, dates are local (the node's for dispatch, the destination's
    for delivery)."""

    node: str
    carrier: str
    service: Service
    destination_pin: str
    ordered_at: datetime
    dispatch_date: date
    ship_by: datetime
    transit: TransitTime
    delivery_date: date
    deliver_by: datetime
    reasons: tuple[Reason, ...]
    days_after_order: int   # delivery date minus the order's date, both at the destination: "arrives in N days"

    @property
    def transit_days(self) -> int:
        return self.transit.days

    def explain(self) -> str:
        return "; ".join(r.text for r in self.reasons)

    def to_dict(self) -> dict[str, object]:
        return {
            "node": self.node, "carrier": self.carrier, "service": self.service.value,
            "destination_pin": self.destination_pin, "ordered_at": self.ordered_at.isoformat(),
            "dispatch_date": self.dispatch_date.isoformat(), "ship_by": self.ship_by.isoformat(),
            "transit_days": self.transit.days, "transit_basis": self.transit.basis,
            "delivery_date": self.delivery_date.isoformat(), "deliver_by": self.deliver_by.isoformat(),
            "days_after_order": self.days_after_order, "reasons": [r.to_dict() for r in self.reasons],
        }


def estimate_delivery(origin: Origin, carrier: str, service: Service | str, destination: PinLocation | str,
                      ordered_at: datetime, model: TransitModel,
                      rules: DeliveryRules = DEFAULT_DELIVERY_RULES) -> DeliveryEstimate:
    """The EDD of a parcel ordered at `ordered_at` (timezone-aware) shipping from `origin` by `carrier`'s
    `service` to `destination` (a located PIN, or the PIN itself).

    Raises `UnknownPin` for a destination PIN that is malformed or unknown, `ValidationFailed` when the
    carrier does not offer the service, KeyError for a carrier the model was not built with, and ValueError
    for a naive `ordered_at`.
    """
    dest = locate(destination) if isinstance(destination, str) else destination
    transit = model.transit(carrier, service, origin.location, dest)
    if transit is None:
        offered = ", ".join(s.value for s in model.services(carrier))
        raise ValidationFailed(f"carrier {carrier} does not offer {service} (it offers {offered})",
                               field_errors=[FieldError("service", f"{carrier} offers {offered}")])
    service = Service(service)
    dispatch = dispatch_date(ordered_at, origin.calendar, carrier)
    step = Reason(TRANSIT, None, f"{carrier} {service.value}: {transit.describe()}")
    delivery = delivery_date(dispatch.date, transit.days, rules, dest.state_code)
    ordered_day = ordered_at.astimezone(rules.zone).date()
    return DeliveryEstimate(
        node=origin.node,
        carrier=carrier,
        service=service,
        destination_pin=dest.pin,
        ordered_at=ordered_at.astimezone(UTC),
        dispatch_date=dispatch.date,
        ship_by=dispatch.ship_by,
        transit=transit,
        delivery_date=delivery.date,
        deliver_by=delivery.deliver_by,
        reasons=dispatch.reasons + (step,) + delivery.reasons,
        days_after_order=(delivery.date - ordered_day).days,
    )
