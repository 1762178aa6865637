"""The network as a resource (issue 25): nodes, SKUs, carriers with rate cards and serviceability, channels.

Request models check types and shapes; the rules a record must pass (PIN, slabs, zones, GSTIN, barcodes,
references) are ``network_files``' checks, run by the service on API bodies and CSV rows alike. Money
in paise, weights in grams, rates in basis points. Updates (PATCH) take any subset of the fields.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Code, Open, Strict, Text, WholeNumber
from omnialloc.domain.quantities import QTY_MAX

Name = Annotated[str, Field(min_length=1, max_length=200)]
Pin = Annotated[str, Field(min_length=6, max_length=6)]
Prefix = Annotated[str, Field(min_length=1, max_length=6)]
NodeKind = Literal["warehouse", "store", "dropship_vendor", "return_center"]
Capability = Literal["ship", "pickup_in_store", "accept_returns", "refurbish", "repair"]
Mode = Literal["surface", "air", "express"]
ZoneName = Literal["A", "B", "C", "D", "E"]
ChannelKind = Literal["webshop", "marketplace", "pos", "shopify", "woocommerce"]
PromisePolicy = Literal["hard", "soft"]
# Sign checked by the service, so a negative price is a named 422.
Paise = Annotated[int, Field(ge=-(10**13), le=10**13), WholeNumber]
Grams = Annotated[int, Field(ge=-(10**9), le=10**9), WholeNumber]


class PageQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=1000), WholeNumber] = 100
    cursor: Annotated[str | None, Field(max_length=400)] = None

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class NodeQuery(PageQuery):
    kind: NodeKind | None = None
    active: bool | None = None
    pin_prefix: Annotated[str | None, Field(max_length=6, pattern=r"^\d+$")] = None
    q: Annotated[str | None, Field(max_length=100)] = None


class SkuQuery(PageQuery):
    category: Annotated[str | None, Field(max_length=100)] = None
    active: bool | None = None
    q: Annotated[str | None, Field(max_length=100)] = None
    barcode: Annotated[str | None, Field(max_length=14, pattern=r"^\d+$")] = None


class CarrierQuery(PageQuery):
    active: bool | None = None
    mode: Mode | None = None


class ChannelQuery(PageQuery):
    kind: ChannelKind | None = None
    active: bool | None = None


class ServiceabilityQuery(PageQuery):
    pin_prefix: Annotated[str | None, Field(max_length=6, pattern=r"^\d+$")] = None


class CalendarIn(Strict):
    timezone: Annotated[str | None, Field(max_length=64)] = None
    cutoff: Annotated[str | None, Field(max_length=8)] = None
    working_days: Annotated[str | None, Field(max_length=40)] = None
    holidays: Annotated[list[Annotated[str, Field(max_length=10)]] | None, Field(max_length=400)] = None
    pickup_days: dict[Code, Annotated[str, Field(max_length=40)]] | None = None


class CalendarOut(Open):
    timezone: str
    cutoff: str
    working_days: str
    holidays: list[str]
    pickup_days: dict[str, str]


class NodePatch(Strict):
    name: Name | None = None
    kind: NodeKind | None = None
    address: Text | None = None
    pin: Pin | None = None
    city: Annotated[str | None, Field(max_length=100)] = None
    state: Annotated[str | None, Field(max_length=100)] = None
    lat: float | None = None
    lon: float | None = None
    capabilities: Annotated[list[Capability] | None, Field(max_length=5)] = None
    daily_capacity: Annotated[int, Field(ge=-(10**9), le=QTY_MAX), WholeNumber] | None = None
    handling_cost_paise: Paise | None = None
    priority: Annotated[int, Field(ge=0, le=10**6), WholeNumber] | None = None
    active: bool | None = None
    groups: Annotated[list[Code] | None, Field(max_length=50)] = None
    gstin: Annotated[str | None, Field(max_length=15)] = None
    calendar: CalendarIn | None = None  # cut-off, working days, holidays, time zone (the delivery calendar)


class NodeIn(NodePatch):
    code: Code
    name: Name
    kind: NodeKind
    pin: Pin


class NodeOut(Open):
    code: str
    name: str
    kind: str
    address: str
    pin: str
    city: str
    state: str
    lat: float
    lon: float
    capabilities: list[str]
    daily_capacity: int
    handling_cost_paise: int
    priority: int
    active: bool
    groups: list[str]
    gstin: str
    calendar: CalendarOut


class NodePage(Open):
    items: list[NodeOut]
    next_cursor: str | None = None


class SkuPatch(Strict):
    name: Name | None = None
    category: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    unit_weight_g: Grams | None = None
    length_mm: Grams | None = None
    width_mm: Grams | None = None
    height_mm: Grams | None = None
    unit_price_paise: Paise | None = None
    hazmat: bool | None = None
    fragile: bool | None = None
    returnable: bool | None = None
    hsn_code: Annotated[str | None, Field(max_length=8)] = None
    gst_rate_bp: Annotated[int, Field(ge=0, le=10000), WholeNumber] | None = None
    barcodes: Annotated[list[Annotated[str, Field(max_length=14)]] | None, Field(max_length=20)] = None
    active: bool | None = None


class SkuIn(SkuPatch):
    code: Code
    name: Name
    category: Annotated[str, Field(min_length=1, max_length=100)]
    unit_weight_g: Grams
    length_mm: Grams
    width_mm: Grams
    height_mm: Grams
    unit_price_paise: Paise


class SkuOut(Open):
    code: str
    name: str
    category: str
    unit_weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    unit_price_paise: int
    hazmat: bool
    fragile: bool
    returnable: bool
    hsn_code: str
    gst_rate_bp: int
    barcodes: list[str]
    active: bool


class SkuPage(Open):
    items: list[SkuOut]
    next_cursor: str | None = None


class RateCardRow(Strict):
    zone: ZoneName
    first_slab_paise: Paise
    additional_slab_paise: Paise
    slab_g: Grams = 500
    cod_fixed_paise: Paise = 0
    cod_percent_bp: Annotated[int, Field(ge=-10000, le=10000), WholeNumber] = 0
    rto_multiplier_pct: Annotated[int, Field(ge=-1000, le=10000), WholeNumber] = 100
    reverse_multiplier_pct: Annotated[int, Field(ge=-1000, le=10000), WholeNumber] = 120
    fuel_surcharge_bp: Annotated[int, Field(ge=-10000, le=10000), WholeNumber] = 0


class RateCardIn(Strict):
    zones: Annotated[list[RateCardRow], Field(max_length=50)]


class RateCardRowOut(Open):
    zone: str
    first_slab_paise: int
    additional_slab_paise: int
    slab_g: int
    cod_fixed_paise: int
    cod_percent_bp: int
    rto_multiplier_pct: int
    reverse_multiplier_pct: int
    fuel_surcharge_bp: int


class RateCardOut(Open):
    carrier: str
    rate_card: list[RateCardRowOut]


class CarrierPatch(Strict):
    name: Name | None = None
    modes: Annotated[list[Mode] | None, Field(min_length=1, max_length=3)] = None
    max_weight_g: Grams | None = None
    cod_supported: bool | None = None
    volumetric_divisor: Annotated[int, Field(ge=-(10**6), le=10**6), WholeNumber] | None = None
    reverse_supported: bool | None = None
    active: bool | None = None
    rate_card: Annotated[list[RateCardRow] | None, Field(max_length=50)] = None  # the whole card: every zone A-E


class CarrierIn(CarrierPatch):
    code: Code
    name: Name


class CarrierOut(Open):
    code: str
    name: str
    modes: list[str]
    max_weight_g: int
    cod_supported: bool
    volumetric_divisor: int
    reverse_supported: bool
    active: bool
    rate_card: list[RateCardRowOut] = []


class CarrierPage(Open):
    items: list[CarrierOut]
    next_cursor: str | None = None


class ServiceabilityRow(Strict):
    pin_prefix: Prefix | None = None
    node: Code | None = None
    forward: bool = True
    reverse: bool = True
    cod: bool = True
    pickup: bool = True
    sla_days_a: Annotated[int, Field(ge=-100, le=100), WholeNumber] = 1
    sla_days_b: Annotated[int, Field(ge=-100, le=100), WholeNumber] = 2
    sla_days_c: Annotated[int, Field(ge=-100, le=100), WholeNumber] = 3
    sla_days_d: Annotated[int, Field(ge=-100, le=100), WholeNumber] = 5
    sla_days_e: Annotated[int, Field(ge=-100, le=100), WholeNumber] = 7


class ServiceabilityIn(Strict):
    rows: Annotated[list[ServiceabilityRow], Field(max_length=100_000)]


class ServiceabilityOut(Open):
    carrier: str
    pin_prefix: str
    forward: bool
    reverse: bool
    cod: bool
    pickup: bool
    sla_days_a: int
    sla_days_b: int
    sla_days_c: int
    sla_days_d: int
    sla_days_e: int


class ServiceabilityPage(Open):
    items: list[ServiceabilityOut]
    next_cursor: str | None = None


class ServiceabilityReplaced(Open):
    carrier: str
    rows: int


class ChannelPatch(Strict):
    name: Name | None = None
    kind: ChannelKind | None = None
    return_window_days: Annotated[int, Field(ge=-1000, le=1000), WholeNumber] | None = None
    return_windows: (
        dict[Annotated[str, Field(min_length=1, max_length=100)], Annotated[int, Field(ge=-1000, le=1000), WholeNumber]]
        | None
    ) = None
    buffer_units: Annotated[int, Field(ge=-(10**9), le=QTY_MAX), WholeNumber] | None = None
    buffer_percent: Annotated[int, Field(ge=-1000, le=1000), WholeNumber] | None = None
    feeding_nodes: Annotated[list[Code] | None, Field(max_length=1000)] = None
    default_promise_days: Annotated[int | None, Field(ge=-1000, le=1000), WholeNumber] = None
    promise_policy: PromisePolicy | None = None
    late_penalty_paise: Annotated[int | None, Field(ge=-(10**12), le=10**12), WholeNumber] = None
    active: bool | None = None
    webhook_secret: Annotated[str | None, Field(min_length=16, max_length=200)] = None


class ChannelIn(ChannelPatch):
    code: Code
    name: Name
    kind: ChannelKind


class ChannelOut(Open):
    code: str
    name: str
    kind: str
    return_window_days: int
    return_windows: dict[str, int]
    buffer_units: int
    buffer_percent: int
    feeding_nodes: list[str]
    default_promise_days: int | None = None
    promise_policy: str
    late_penalty_paise: int | None = None
    active: bool
    webhook_secret_set: bool


class ChannelPage(Open):
    items: list[ChannelOut]
    next_cursor: str | None = None


# Fields where null in a PATCH means "remove" (no secret, no default promise, the setting's late penalty); for the
# others null is "keep".
NULLABLE = frozenset({"webhook_secret", "default_promise_days", "late_penalty_paise"})


def _with_card(model: Strict, values: dict) -> dict:
    cards = getattr(model, "rate_card", None)
    if cards is not None:  # each zone's row in full, its defaults included (slab_g 500, ...)
        values["rate_card"] = [row.model_dump() for row in cards]
    return values


def create_values(model: Strict) -> dict:
    """A create body as the service takes it: the fields given (the API's and the console's add forms')."""
    return _with_card(model, model.model_dump(exclude_none=True))


def patch_values(model: Strict) -> dict:
    """A PATCH body as the service takes it: only the fields sent (the API's and the console's edit forms')."""
    return _with_card(model, {k: v for k, v in model.model_dump(exclude_unset=True).items()
                              if v is not None or k in NULLABLE})


NetworkFile = Literal["nodes", "skus", "carriers", "rate_cards", "serviceability", "channels"]


class NetworkImportQuery(Strict):
    dry_run: bool = False

    model_config = ConfigDict(strict=False, extra="forbid")


class NetworkImportOut(Open):
    import_id: str
    dry_run: bool
    rows: dict[str, int]
    inserted: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    removed: dict[str, int] = {}
    seconds: dict[str, float] = {}
