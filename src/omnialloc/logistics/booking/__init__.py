"""Carrier booking at the edge: one interface (``CarrierBooking``), two adapters.

* ``series.AwbSeriesCarrier``: the carrier handed out AWB ranges (``awb_series``:
  the pure allocator and the contract the store must keep);
* ``rest.RestCarrier``: a carrier's REST API configured by base URL, token and a
  field mapping (``mapping``), with retries, backoff and an idempotency key.

No database and no Flask in here; docs/carriers.md describes the interface.
"""

from omnialloc.logistics.booking.awb_series import (AwbLedger, AwbRange, CheckDigit, SeriesExhausted, check_upload,
                                                    parse_range, take)
from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.orders import Address
from omnialloc.logistics.booking.contract import (BookedItem, Booking, BookingError, BookingRejected, BookingRequest,
                                                  CarrierBooking, CarrierUnavailable, LabelData, Parcel, Pickup,
                                                  PickupRequest, TrackingScan, Unsupported)
from omnialloc.logistics.booking.rest import Call, RestCarrier, RestCarrierConfig
from omnialloc.logistics.booking.series import AwbSeriesCarrier, AwbSource

__all__ = [
    "Address", "AwbLedger", "AwbRange", "AwbSeriesCarrier", "AwbSource", "BookedItem", "Booking", "BookingError",
    "BookingRejected", "BookingRequest", "Call", "CarrierBooking", "CarrierUnavailable", "CheckDigit", "LabelData",
    "Parcel", "PaymentMode", "Pickup", "PickupRequest", "RestCarrier", "RestCarrierConfig", "SeriesExhausted",
    "TrackingScan", "Unsupported", "check_upload", "parse_range", "take",
]
