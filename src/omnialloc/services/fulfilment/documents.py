"""What the node that ships a shipment sees and prints: its shipping view, label, GST invoice and packing slip.

Only the shipping node (and admins) see a shipment this way: the ship-to name, address and phone, the
COD amount to collect, the items with names and barcodes, the box, carrier and service, and the
dispatch-by time. Nothing more of the customer (no e-mail, no other orders), and nothing of another
node's shipments (404, as everywhere for scope misses). Other roles get 403: a channel reads its
orders, an analyst needs no addresses, a carrier sees what it carries through its own screens.

Invoices come from one gapless series per node and financial year (``uow.documents.issue_invoice``,
the store contract of docs/documents.md); a shipment is invoiced once, and a reprint renders the
snapshot kept at issue, so it is the same document.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from omnialloc.documents import (
    DEFAULT_TIMEZONE, InvoiceView, Item, LabelView, PackingSlipView, PostalAddress, place_of_supply,
)
from omnialloc.domain.enums import PaymentMode, Role, ShipmentStatus
from omnialloc.domain.errors import Conflict, NotFound
from omnialloc.domain.fulfilment import CarrierBookingState, IssuedInvoice, NodeSeller, SkuBox
from omnialloc.domain.logistics import Carrier
from omnialloc.domain.network import Node, Sku
from omnialloc.domain.orders import Order
from omnialloc.domain.shipments import Shipment
from omnialloc.domain.invoice_numbers import FinancialYear, format_invoice_number, series_prefix
from omnialloc.domain.shipments import DEAD_STATUSES
from omnialloc.services.access import Principal
from omnialloc.services.events import now, record
from omnialloc.services.orders.queries import dispatch_by

SHIPPERS = (Role.ADMIN, Role.NODE)
# Before the node accepts, the shipment may still hop elsewhere: nothing is printed for it yet.
PRINTABLE = frozenset(ShipmentStatus) - DEAD_STATUSES - {ShipmentStatus.ALLOCATED}


@dataclass
class Facts:
    """Everything one shipment's documents are made of, read in one unit of work."""

    shipment: Shipment
    order: Order
    node: Node
    carrier: Carrier | None
    skus: dict[str, Sku]
    seller: NodeSeller | None
    boxes: dict[str, SkuBox]
    booking: CarrierBookingState | None
    invoice: IssuedInvoice | None
    timezone: str = DEFAULT_TIMEZONE   # the node's (its delivery-promise calendar): dates on paper, financial year

    @property
    def service(self) -> str:
        own = getattr(self.shipment, "service", None)
        if own:
            return str(own)
        modes = sorted(getattr(self.carrier, "modes", ()) or ())
        return modes[0] if modes else ""

    def unit_price(self, sku: str) -> int:
        for line in self.order.lines:
            if line.sku == sku:
                return line.unit_price_paise
        return 0

    @property
    def goods_paise(self) -> int:
        return sum(self.unit_price(l.sku) * l.qty for l in self.shipment.lines if l.qty)

    @property
    def cod_paise(self) -> int:
        return self.goods_paise if self.order.payment_mode == PaymentMode.COD else 0

    def barcode(self, sku: str) -> str:
        codes = tuple(getattr(self.skus.get(sku), "barcodes", ()) or ())
        return codes[0] if codes else sku

    def default_box(self) -> dict[str, int] | None:
        """The box to pack in: the largest default box of the shipment's SKUs (None: no SKU has one)."""
        boxes = [self.boxes[l.sku] for l in self.shipment.lines if l.qty and l.sku in self.boxes]
        if not boxes:
            return None
        box = max(boxes, key=lambda b: (b.volume_mm3, b.sku))
        return {"length_mm": box.length_mm, "width_mm": box.width_mm, "height_mm": box.height_mm,
                "weight_g": max(1, self.shipment.weight_g + box.box_weight_g)}

    @property
    def dispatch_by(self) -> datetime | None:
        own = getattr(self.shipment, "ship_by", None)
        if own is not None:
            return own
        return dispatch_by(self.order.created_at, self.order.promised_days, self.shipment.sla_days)

    def ship_to(self) -> PostalAddress:
        to = self.order.ship_to
        return PostalAddress(name=to.name, line1=to.line1, line2=to.line2 or "", city=to.city, state=to.state,
                             pin=to.pin, phone=to.phone or "")

    def return_to(self) -> PostalAddress:
        n = self.node
        name = self.seller.legal_name if self.seller else n.name
        return PostalAddress(name=name, line1=(n.address or n.name)[:200], city=n.city, state=n.state, pin=n.pin,
                             phone=self.seller.phone if self.seller else "")

    def items(self) -> tuple[Item, ...]:
        out = []
        for line in self.shipment.lines:
            if not line.qty:
                continue
            sku = self.skus.get(line.sku)
            out.append(Item(sku=line.sku, name=sku.name if sku else line.sku, qty=line.qty,
                            unit_price_paise=self.unit_price(line.sku), barcode=self.barcode(line.sku),
                            hsn=getattr(sku, "hsn_code", "") or "", gst_rate_bp=getattr(sku, "gst_rate_bp", 0) or 0))
        return tuple(out)


def facts(uow, principal: Principal, shipment_id: str, *, for_update: bool = False) -> Facts:
    """The shipment's facts if ``principal`` ships it (or is an admin); 404 for another node's, 403 for
    roles that do not ship."""
    principal.require(*SHIPPERS)
    shipment = uow.shipments.get(shipment_id, for_update=for_update)
    if shipment is None or not principal.sees_node(shipment.node):
        raise NotFound(f"shipment {shipment_id} not found")
    order = uow.orders.get(shipment.order_id)
    node = uow.nodes.get(shipment.node)
    if order is None or node is None:  # never met: the foreign keys keep a shipment's order and node
        raise NotFound(f"shipment {shipment_id} not found")
    skus = uow.skus.get_many([l.sku for l in shipment.lines])
    return Facts(shipment=shipment, order=order, node=node,
                 carrier=uow.carriers.get(shipment.carrier), skus=skus, seller=uow.documents.seller(shipment.node),
                 boxes=uow.documents.sku_boxes(skus), booking=uow.carrier_booking.booking(shipment_id),
                 invoice=uow.documents.invoice_for(shipment_id), timezone=node_timezone(uow, shipment.node))


def node_timezone(uow, node: str) -> str:
    """The node's IANA time zone from its calendar (issue 24), else India's."""
    calendar = uow.promise.calendar(node)
    return getattr(calendar, "timezone", None) or DEFAULT_TIMEZONE


def _iso(value):
    return value.isoformat() if value is not None else None


def shipping_view(ctx, principal: Principal, shipment_id: str, *, node: str | None = None) -> dict:
    """What the shipping node needs to ship it, and nothing more of the customer."""
    with ctx.uow(readonly=True) as uow:
        f = facts(uow, principal, shipment_id)
        if node is not None and f.shipment.node != node:
            raise NotFound(f"shipment {shipment_id} not found")
        pickup = uow.carrier_pickups.pickup_of([shipment_id]).get(shipment_id)
        notes = [n.number for n in uow.documents.credit_notes_for(shipment_id)]
        poll = uow.carrier_booking.tracking_poll(shipment_id)
    s, to = f.shipment, f.order.ship_to
    box = None
    if getattr(s, "box_length_mm", None):
        box = {"length_mm": s.box_length_mm, "width_mm": s.box_width_mm, "height_mm": s.box_height_mm}
    b = f.booking
    return {
        "id": s.id, "order_id": s.order_id, "order_ref": f.order.external_id, "node": s.node,
        "status": str(s.status), "carrier": s.carrier, "service": f.service, "awb": s.awb,
        "dispatch_by": _iso(f.dispatch_by),
        "ship_to": {"name": to.name, "line1": to.line1, "line2": to.line2 or "", "city": to.city,
                    "state": to.state, "pin": to.pin, "phone": to.phone or ""},
        "payment_mode": str(f.order.payment_mode), "cod_paise": f.cod_paise,
        "items": [{"sku": i.sku, "name": i.name, "qty": i.qty, "barcode": i.barcode,
                   "barcodes": list(getattr(f.skus.get(i.sku), "barcodes", ()) or ())} for i in f.items()],
        "weight_g": s.weight_g, "billed_weight_g": s.billed_weight_g, "box": box, "default_box": f.default_box(),
        "booking": None if b is None else {
            "status": b.status, "awb": b.awb, "attempts": b.attempts, "error": b.last_error,
            "next_attempt_at": _iso(b.next_attempt_at)},
        "invoice_number": f.invoice.number if f.invoice else None,
        "credit_notes": notes,
        "tracking_poll": None if poll is None else {
            "polled_at": _iso(poll["polled_at"]), "next_poll_at": _iso(poll["next_poll_at"]),
            "failures": poll["failures"], "error": poll["last_error"]},
        "pickup_id": pickup,
    }


# --------------------------------------------------------------------------- views for the renderers
def _printable(f: Facts) -> None:
    if f.shipment.status not in PRINTABLE:
        raise Conflict(f"shipment {f.shipment.id} is {f.shipment.status}: documents are printed once the node "
                       "has accepted it, and not for rejected or cancelled shipments")


def _box_mm(s: Shipment) -> tuple[int, int, int] | None:
    """The box the shipment was packed in (the pack step sets the three sizes together), None before."""
    length, width, height = s.box_length_mm, s.box_width_mm, s.box_height_mm
    return (length, width, height) if length and width is not None and height is not None else None


def label_view(f: Facts, at: datetime) -> LabelView:
    _printable(f)
    s = f.shipment
    if not s.awb:
        raise Conflict(f"shipment {s.id} has no AWB yet: book it with its carrier first "
                       f"(POST /shipments/{s.id}/book)"
                       + (f"; the last booking attempt failed: {f.booking.last_error}"
                          if f.booking is not None and f.booking.last_error else ""))
    dims = _box_mm(s)
    return LabelView(
        carrier=f.carrier.name if f.carrier else s.carrier, service=f.service, awb=s.awb,
        order_ref=f.order.external_id, shipment_ref=s.id, ship_to=f.ship_to(), return_to=f.return_to(),
        weight_g=max(1, s.billed_weight_g or s.weight_g), payment=PaymentMode(f.order.payment_mode),
        cod_paise=f.cod_paise, items=f.items(), seller_name=f.seller.legal_name if f.seller else "",
        seller_gstin=getattr(f.node, "gstin", "") or "", invoice_number=f.invoice.number if f.invoice else "",
        invoice_value_paise=f.goods_paise, dimensions_mm=dims,
        routing_code=f.booking.routing_code if f.booking is not None else "", dispatch_by=f.dispatch_by,
        issued_at=at, timezone=f.timezone)


def packing_slip_view(f: Facts, at: datetime) -> PackingSlipView:
    _printable(f)
    s = f.shipment
    box = ""
    if getattr(s, "box_length_mm", None):
        box = f"{s.box_length_mm} x {s.box_width_mm} x {s.box_height_mm} mm"
    return PackingSlipView(
        order_ref=f.order.external_id, node_code=s.node, node_name=f.node.name, ship_to=f.ship_to(),
        items=f.items(), shipment_ref=s.id, carrier=f.carrier.name if f.carrier else s.carrier, service=f.service,
        awb=s.awb or "", box=box, weight_g=s.billed_weight_g or s.weight_g, order_date=f.order.created_at,
        dispatch_by=f.dispatch_by, issued_at=at, timezone=f.timezone)


def _address_dict(a: PostalAddress) -> dict:
    return {"name": a.name, "line1": a.line1, "line2": a.line2, "city": a.city, "state": a.state, "pin": a.pin,
            "phone": a.phone}


def _invoice_snapshot(f: Facts, seller: NodeSeller, number: str, at: datetime) -> dict:
    """What the invoice shows, as stored for reprints (and checked by building the view from it)."""
    seller_address = f.return_to()
    snapshot = {
        "invoice_number": number, "seller_name": seller.legal_name, "seller_gstin": f.node.gstin,
        "seller_address": _address_dict(seller_address), "bill_to": _address_dict(f.ship_to()),
        "ship_to": _address_dict(f.ship_to()), "place_of_supply": place_of_supply(f.order.ship_to.pin),
        "items": [{"sku": i.sku, "name": i.name, "qty": i.qty, "unit_price_paise": i.unit_price_paise,
                   "barcode": i.barcode, "hsn": i.hsn, "gst_rate_bp": i.gst_rate_bp} for i in f.items()],
        "order_ref": f.order.external_id, "payment": str(f.order.payment_mode),
        "order_date": _iso(f.order.created_at), "shipment_ref": f.shipment.id, "awb": f.shipment.awb or "",
        "carrier": f.carrier.name if f.carrier else f.shipment.carrier, "issued_at": at.isoformat(),
        "timezone": f.timezone,
    }
    invoice_from_snapshot(snapshot)  # a view that cannot be printed is refused before a number is spent
    return snapshot


def invoice_from_snapshot(snap: dict) -> InvoiceView:
    return InvoiceView(
        invoice_number=snap["invoice_number"], seller_name=snap["seller_name"], seller_gstin=snap["seller_gstin"],
        seller_address=PostalAddress(**snap["seller_address"]), bill_to=PostalAddress(**snap["bill_to"]),
        ship_to=PostalAddress(**snap["ship_to"]), place_of_supply=snap["place_of_supply"],
        items=tuple(Item(**i) for i in snap["items"]), order_ref=snap["order_ref"],
        payment=PaymentMode(snap["payment"]),
        order_date=datetime.fromisoformat(snap["order_date"]) if snap.get("order_date") else None,
        shipment_ref=snap["shipment_ref"], awb=snap["awb"], carrier=snap["carrier"],
        issued_at=datetime.fromisoformat(snap["issued_at"]), timezone=snap["timezone"])


def _invoice_ready(f: Facts) -> NodeSeller:
    """The seller the invoice is issued under, once everything the invoice needs is there."""
    _printable(f)
    missing = []
    if f.seller is None:
        missing.append(f"node {f.node.code} has no seller name and invoice prefix (PUT /nodes/{f.node.code}/seller)")
    if not getattr(f.node, "gstin", ""):
        missing.append(f"node {f.node.code} has no GSTIN")
    no_hsn = sorted({i.sku for i in f.items() if not i.hsn})
    if no_hsn:
        missing.append(f"no HSN code for {', '.join(no_hsn)}")
    if missing or f.seller is None:
        raise Conflict("cannot issue a tax invoice: " + "; ".join(missing))
    return f.seller


def invoice(ctx, principal: Principal, shipment_id: str) -> InvoiceView:
    """The shipment's tax invoice: issued now with the next number of its node's series for the financial
    year, or the one issued before (same number, same document)."""
    with ctx.uow(readonly=True) as uow:
        f = facts(uow, principal, shipment_id)
        if f.invoice is not None:
            return invoice_from_snapshot(f.invoice.snapshot)
    with ctx.uow() as uow:
        # The shipment row's lock makes two first prints of one shipment take turns: one number, not two.
        f = facts(uow, principal, shipment_id, for_update=True)
        if f.invoice is None:
            seller = _invoice_ready(f)
            at = now()
            fy = FinancialYear.of(at, f.timezone)
            issued = uow.documents.issue_invoice(
                invoice_id="inv_" + secrets.token_hex(8), shipment_id=shipment_id, node=f.shipment.node,
                fy_start_year=fy.start_year, prefix=series_prefix(seller.invoice_prefix), issued_at=at,
                number_for=lambda prefix, serial: format_invoice_number(prefix, fy, serial),
                snapshot_for=lambda number: _invoice_snapshot(f, seller, number, at))
            record(uow, "shipment", shipment_id, "invoice_issued", principal.actor, order_id=f.shipment.order_id,
                   invoice_number=issued.number)
            uow.commit()
            snapshot = issued.snapshot
        else:
            snapshot = f.invoice.snapshot
    return invoice_from_snapshot(snapshot)


def label(ctx, principal: Principal, shipment_id: str) -> LabelView:
    with ctx.uow(readonly=True) as uow:
        return label_view(facts(uow, principal, shipment_id), now())


def packing_slip(ctx, principal: Principal, shipment_id: str) -> PackingSlipView:
    with ctx.uow(readonly=True) as uow:
        return packing_slip_view(facts(uow, principal, shipment_id), now())


BUNDLE_KINDS = ("label", "invoice", "packing_slip")


def bundle(ctx, principal: Principal, shipment_ids: list[str],
           kinds: list[str]) -> list[LabelView | InvoiceView | PackingSlipView]:
    """The documents of many shipments, shipment by shipment, in the order given (one PDF for the caller)."""
    out: list[LabelView | InvoiceView | PackingSlipView] = []
    for shipment_id in shipment_ids:
        for kind in kinds:
            if kind == "label":
                out.append(label(ctx, principal, shipment_id))
            elif kind == "invoice":
                out.append(invoice(ctx, principal, shipment_id))
            else:
                out.append(packing_slip(ctx, principal, shipment_id))
    return out


# --------------------------------------------------------------------------- setup: sellers and default boxes
def put_seller(ctx, principal: Principal, node: str, legal_name: str, invoice_prefix: str, phone: str = "") -> dict:
    principal.require(Role.ADMIN)
    prefix = series_prefix(invoice_prefix)
    with ctx.uow() as uow:
        if uow.nodes.get(node) is None:
            raise NotFound(f"node {node} not found")
        uow.documents.put_seller(NodeSeller(node, legal_name, prefix, phone))
        uow.commit()
    return {"node": node, "legal_name": legal_name, "invoice_prefix": prefix, "phone": phone}


def put_sku_box(ctx, principal: Principal, sku: str, box: dict) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        if uow.skus.get(sku) is None:
            raise NotFound(f"SKU {sku} not found")
        uow.documents.put_sku_box(SkuBox(sku, box["length_mm"], box["width_mm"], box["height_mm"],
                                         box.get("box_weight_g", 0)))
        uow.commit()
    return {"sku": sku, **box}
