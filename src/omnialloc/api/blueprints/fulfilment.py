"""Fulfilment a warehouse runs (issue 26): the shipping node's view of a shipment, its documents as PDF
(label, GST invoice and credit notes, packing slip, a merged bundle, pickup manifests), carrier booking, carrier
tracking pulled by polling, and carrier pickups."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.fulfilment import (
    AwbRangeIn, AwbRangeOut, AwbSeriesOut, BookingConfigIn, BookingConfigOut, BoxIn, BoxOut, BundleIn, CreditNoteIn,
    CreditNoteOut, CreditNotesOut, HandoverIn, LabelQuery, PickupBoardOut, PickupIn, PickupOut, PickupQuery, SellerIn,
    SellerOut, ShippingViewOut, TrackingConfigIn, TrackingConfigOut,
)
from omnialloc.documents import (LabelLayout, render_bundle, render_credit_note, render_invoice, render_label,
                                 render_manifest, render_packing_slip)
from omnialloc.services.fulfilment import carrier_booking, carrier_pickups, credit_notes, documents, tracking_poll

bp = APIBlueprint("fulfilment", __name__, tag="Fulfilment")

_ERRORS = [401, 403, 404, 409, 422]
# responses= takes descriptions and response objects side by side (apiflask's annotation lists them apart).
_PDF: dict[int | str, Any] = {200: {
    "description": "A PDF document",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
_LAYOUTS = {"4x6": LabelLayout.THERMAL_4X6, "a4": LabelLayout.A4_4UP}


def _pdf(body: bytes, name: str) -> Response:
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})


@bp.get("/nodes/<string:code>/shipments/<string:shipment_id>")
@bp.auth_required(auth)
@bp.output(ShippingViewOut)
@bp.doc(summary="The shipping node's view of a shipment: ship-to, COD to collect, items and barcodes, box, "
        "carrier, dispatch-by (node and admin keys)", responses=_ERRORS)
def shipping_view(code: str, shipment_id: str):
    return documents.shipping_view(ctx(), current(), shipment_id, node=code)


@bp.get("/shipments/<string:shipment_id>/label.pdf")
@bp.auth_required(auth)
@bp.input(LabelQuery, location="query", arg_name="query")
@bp.doc(summary="Shipping label (4x6 in thermal, or A4 four to a sheet)", responses={**_PDF, 401: "", 403: "",
                                                                                        404: "", 409: "", 422: ""})
def label_pdf(shipment_id: str, query: LabelQuery):
    view = documents.label(ctx(), current(), shipment_id)
    return _pdf(render_label(view, _LAYOUTS[query.size]), f"label-{shipment_id}")


@bp.get("/shipments/<string:shipment_id>/invoice.pdf")
@bp.auth_required(auth)
@bp.doc(summary="GST tax invoice (numbered once from the node's series for the financial year)",
        responses={**_PDF, 401: "", 403: "", 404: "", 409: "", 422: ""})
def invoice_pdf(shipment_id: str):
    return _pdf(render_invoice(documents.invoice(ctx(), current(), shipment_id)), f"invoice-{shipment_id}")


@bp.get("/shipments/<string:shipment_id>/packing-slip.pdf")
@bp.auth_required(auth)
@bp.doc(summary="Packing slip", responses={**_PDF, 401: "", 403: "", 404: "", 409: "", 422: ""})
def packing_slip_pdf(shipment_id: str):
    return _pdf(render_packing_slip(documents.packing_slip(ctx(), current(), shipment_id)), f"slip-{shipment_id}")


@bp.post("/shipments/documents.pdf")
@bp.auth_required(auth)
@bp.input(BundleIn, location="json", arg_name="body")
@bp.doc(summary="One merged PDF of the chosen documents of many shipments, shipment by shipment",
        responses={**_PDF, 401: "", 403: "", 404: "", 409: "", 422: ""})
def bundle_pdf(body: BundleIn):
    views = documents.bundle(ctx(), current(), list(dict.fromkeys(body.shipment_ids)), list(body.documents))
    return _pdf(render_bundle(views, label_layout=_LAYOUTS[body.size]), "shipments")


@bp.post("/shipments/<string:shipment_id>/book")
@bp.auth_required(auth)
@bp.output(ShippingViewOut)
@bp.doc(summary="Book the shipment with its carrier now (again after a rejection); failures stay on it",
        responses=_ERRORS)
def book(shipment_id: str):
    return carrier_booking.book(ctx(), current(), shipment_id)


@bp.get("/shipments/<string:shipment_id>/credit-notes")
@bp.auth_required(auth)
@bp.output(CreditNotesOut)
@bp.doc(summary="The GST credit notes against the shipment's invoice (returns, RTO, by hand)", responses=_ERRORS)
def list_credit_notes(shipment_id: str):
    return credit_notes.list_for(ctx(), current(), shipment_id)


@bp.post("/shipments/<string:shipment_id>/credit-notes")
@bp.auth_required(auth)
@bp.input(CreditNoteIn, location="json", arg_name="body")
@bp.output(CreditNoteOut, status_code=201)
@bp.doc(summary="Issue a GST credit note against the shipment's invoice (admin): the units given, or all not yet "
        "credited", responses=_ERRORS)
def issue_credit_note(shipment_id: str, body: CreditNoteIn):
    return credit_notes.issue(ctx(), current(), shipment_id, body.model_dump())


@bp.get("/shipments/<string:shipment_id>/credit-notes/<string:credit_note_id>.pdf")
@bp.auth_required(auth)
@bp.doc(summary="A GST credit note as PDF (the same document at every print)",
        responses={**_PDF, 401: "", 403: "", 404: ""})
def credit_note_pdf(shipment_id: str, credit_note_id: str):
    view = credit_notes.credit_note(ctx(), current(), shipment_id, credit_note_id)
    return _pdf(render_credit_note(view), f"credit-note-{credit_note_id}")


# --------------------------------------------------------------------------- setup (admin)
@bp.put("/nodes/<string:code>/seller")
@bp.auth_required(auth)
@bp.input(SellerIn, location="json", arg_name="body")
@bp.output(SellerOut)
@bp.doc(summary="The legal name and invoice series prefix a node sells under (its GSTIN is the node's)",
        responses=_ERRORS)
def put_seller(code: str, body: SellerIn):
    return documents.put_seller(ctx(), current(), code, body.legal_name, body.invoice_prefix, body.phone)


@bp.put("/skus/<string:code>/box")
@bp.auth_required(auth)
@bp.input(BoxIn, location="json", arg_name="body")
@bp.output(BoxOut)
@bp.doc(summary="The box a SKU is packed in by default (bulk pack and scan-to-pack use it)", responses=_ERRORS)
def put_box(code: str, body: BoxIn):
    return documents.put_sku_box(ctx(), current(), code, body.model_dump())


@bp.put("/carriers/<string:code>/booking")
@bp.auth_required(auth)
@bp.input(BookingConfigIn, location="json", arg_name="body")
@bp.output(BookingConfigOut)
@bp.doc(summary="How the carrier is booked: its AWB series, or its REST API (docs/carriers.md)", responses=_ERRORS)
def put_booking(code: str, body: BookingConfigIn):
    return carrier_booking.configure(ctx(), current(), code, body.kind, body.settings)


@bp.post("/carriers/<string:code>/awb-ranges")
@bp.auth_required(auth)
@bp.input(AwbRangeIn, location="json", arg_name="body")
@bp.output(AwbRangeOut, status_code=201)
@bp.doc(summary="Upload a range of AWBs the carrier handed out (refused if it overlaps one uploaded)",
        responses=_ERRORS)
def upload_range(code: str, body: AwbRangeIn):
    return carrier_booking.upload_range(ctx(), current(), code, body.model_dump())


@bp.get("/carriers/<string:code>/awb-ranges")
@bp.auth_required(auth)
@bp.output(AwbSeriesOut)
@bp.doc(summary="The carrier's uploaded AWB ranges and what is left of them", responses=_ERRORS)
def awb_ranges(code: str):
    return carrier_booking.series_status(ctx(), current(), code)


@bp.put("/carriers/<string:code>/tracking")
@bp.auth_required(auth)
@bp.input(TrackingConfigIn, location="json", arg_name="body")
@bp.output(TrackingConfigOut)
@bp.doc(summary="The carrier's tracking API, polled by the notify worker for shipped shipments (docs/carriers.md)",
        responses=_ERRORS)
def put_tracking(code: str, body: TrackingConfigIn):
    return tracking_poll.configure(ctx(), current(), code, body.settings)


@bp.get("/carriers/<string:code>/tracking")
@bp.auth_required(auth)
@bp.output(TrackingConfigOut)
@bp.doc(summary="The carrier's tracking configuration and how polling it goes (failures, backoff)",
        responses=_ERRORS)
def get_tracking(code: str):
    return tracking_poll.state(ctx(), current(), code)


@bp.delete("/carriers/<string:code>/tracking")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Stop polling the carrier's tracking", responses=_ERRORS)
def delete_tracking(code: str):
    tracking_poll.remove(ctx(), current(), code)
    return ""


# --------------------------------------------------------------------------- carrier pickups
@bp.get("/nodes/<string:code>/carrier-pickups")
@bp.auth_required(auth)
@bp.input(PickupQuery, location="query", arg_name="query")
@bp.output(PickupBoardOut)
@bp.doc(summary="The day's carrier pickups at a node, and packed shipments missing a pickup", responses=_ERRORS)
def pickup_board(code: str, query: PickupQuery):
    return carrier_pickups.board(ctx(), current(), code, query.date)


@bp.post("/nodes/<string:code>/carrier-pickups")
@bp.auth_required(auth)
@bp.input(PickupIn, location="json", arg_name="body")
@bp.output(PickupOut, status_code=201)
@bp.doc(summary="Request a pickup of the carrier's waiting packed shipments through its booking adapter",
        responses=_ERRORS)
def request_pickup(code: str, body: PickupIn):
    return carrier_pickups.request(ctx(), current(), code, body.carrier, body.date, body.ready_from, body.ready_until)


@bp.get("/nodes/<string:code>/carrier-pickups/<string:pickup_id>")
@bp.auth_required(auth)
@bp.output(PickupOut)
@bp.doc(summary="One carrier pickup", responses=_ERRORS)
def get_pickup(code: str, pickup_id: str):
    return carrier_pickups.pickup_view(ctx(), current(), code, pickup_id)


@bp.post("/nodes/<string:code>/carrier-pickups/<string:pickup_id>/handover")
@bp.auth_required(auth)
@bp.input(HandoverIn, location="json", arg_name="body")
@bp.output(PickupOut)
@bp.doc(summary="Handover scan of one AWB: the shipment ships on this pickup", responses=_ERRORS)
def handover(code: str, pickup_id: str, body: HandoverIn):
    return carrier_pickups.hand_over(ctx(), current(), code, pickup_id, body.awb)


@bp.get("/nodes/<string:code>/manifests/<string:pickup_id>.pdf")
@bp.auth_required(auth)
@bp.doc(summary="The pickup's manifest (handover sheet) as PDF", responses={**_PDF, 401: "", 403: "", 404: "",
                                                                            422: ""})
def manifest_pdf(code: str, pickup_id: str):
    return _pdf(render_manifest(carrier_pickups.manifest(ctx(), current(), code, pickup_id)), f"manifest-{pickup_id}")
