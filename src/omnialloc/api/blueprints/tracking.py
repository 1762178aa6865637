"""Carrier tracking webhooks (HMAC-signed) and the buyer's public tracking page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apiflask import APIBlueprint
from flask import Response, render_template, request

from omnialloc.api.deps import ctx
from omnialloc.api.schemas.tracking import PublicTrackingOut, TrackingIn, TrackingOut
from omnialloc.logistics.calendar import DEFAULT_TIMEZONE
from omnialloc.notify.context import date_label
from omnialloc.services.fulfilment import tracking

bp = APIBlueprint("tracking", __name__, tag="Tracking", template_folder="../templates")

SIGNATURE_HEADER = "X-Omnialloc-Signature"


@bp.before_request
def _verify_signature():
    # Before body validation: an unsigned request learns nothing about the payload format.
    if request.endpoint == "tracking.carrier_events":
        carrier = (request.view_args or {}).get("carrier", "")
        tracking.verify_signature(ctx(), carrier, request.get_data(cache=True),
                                  request.headers.get(SIGNATURE_HEADER, ""))


@bp.post("/tracking/<string:carrier>")
@bp.input(TrackingIn, location="json", arg_name="body")
@bp.output(TrackingOut)
@bp.doc(
    summary="Carrier status events for its AWBs",
    description=f"Body signed with HMAC-SHA256 using the carrier's webhook secret, hex digest in "
                f"`{SIGNATURE_HEADER}: sha256=<hex>`. Duplicates are no-ops; out-of-order scans never "
                "move a shipment backwards; AWBs of other carriers are reported as unknown.",
    responses=[401, 404, 413, 422],
)
def carrier_events(carrier: str, body: TrackingIn):
    return tracking.apply_events(ctx(), carrier, [e.model_dump() for e in body.events])


@bp.get("/track/<string:awb>")
@bp.output(PublicTrackingOut)
@bp.doc(summary="Public tracking: status timeline of an AWB, no personal data",
        description="JSON for API clients; a browser (Accept preferring text/html) gets the buyer's tracking "
                    "page: the estimated delivery date, the timeline and the carrier, no personal data.",
        responses=[404])
def track(awb: str):
    view = tracking.public_view(ctx(), awb)
    if wants_html():
        return Response(render_template("track.html", view=view, labels=STATUS_LABELS, day=date_label,
                                        when=_local_time), mimetype="text/html")
    return view


def wants_html() -> bool:
    """Content negotiation: HTML only when the client prefers it to JSON (a browser following the link in a
    message); API clients, curl and anything without an Accept header get JSON as before."""
    if request.args.get("format") == "json":
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


STATUS_LABELS = {"ALLOCATED": "Order received", "ACCEPTED": "Being prepared", "PACKED": "Packed",
                 "SHIPPED": "Handed to the courier", "PICKED_UP": "Picked up by the courier",
                 "IN_TRANSIT": "In transit", "OUT_FOR_DELIVERY": "Out for delivery", "DELIVERED": "Delivered",
                 "DELIVERY_FAILED": "Delivery attempt failed", "RTO_INITIATED": "Returning to the seller",
                 "RTO_DELIVERED": "Returned to the seller", "READY_FOR_PICKUP": "Ready for pickup",
                 "COLLECTED": "Collected", "CANCELLED": "Cancelled", "REJECTED": "Re-routed"}


def _local_time(iso: str) -> str:
    """A timeline instant in India time, as the buyer reads it ("Fri 11 Dec, 14:05")."""
    at = datetime.fromisoformat(iso).astimezone(ZoneInfo(DEFAULT_TIMEZONE))
    return at.strftime("%a %d %b, %H:%M")
