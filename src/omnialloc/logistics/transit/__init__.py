"""Transit times and estimated delivery dates, pure (no Flask, no SQLAlchemy).

- `service`: surface / air / express and which carriers offer them;
- `table`: a seller's transit table, most specific row wins (PIN pair > prefix pair > state pair > zone);
- `defaults`: days by distance band and service for lanes no row covers;
- `csv_io`: the table as CSV, validated per line, exported losslessly;
- `model`: `TransitModel`, table first, defaults after;
- `estimate`: the EDD of a shipment, with its reasons (uses `logistics.calendar`).

The model and the rules are described in docs/promise.md.
"""

from omnialloc.logistics.transit.csv_io import (
    TransitRowError,
    TransitTableRejected,
    export_transit_csv,
    load_transit_csv,
    read_transit_file,
    write_transit_file,
)
from omnialloc.logistics.transit.defaults import DEMO_DEFAULTS, Band, DistanceDefaults
from omnialloc.logistics.transit.estimate import DeliveryEstimate, Origin, estimate_delivery
from omnialloc.logistics.transit.model import TransitModel, TransitTime
from omnialloc.logistics.transit.service import Service, parse_service, services_of
from omnialloc.logistics.transit.table import MAX_TRANSIT_DAYS, Level, TransitRow, TransitTable

__all__ = [
    "Band", "DEMO_DEFAULTS", "DeliveryEstimate", "DistanceDefaults", "Level", "MAX_TRANSIT_DAYS", "Origin",
    "Service", "TransitModel", "TransitRow", "TransitRowError", "TransitTable", "TransitTableRejected",
    "TransitTime", "estimate_delivery", "export_transit_csv", "load_transit_csv", "parse_service",
    "read_transit_file", "services_of", "write_transit_file",
]
