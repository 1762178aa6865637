"""Carrier tracking webhooks (HMAC-signed) and the buyer's public tracking page."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import request

from omnialloc.api.deps import ctx
from omnialloc.api.schemas.tracking import PublicTrackingOut, TrackingIn, TrackingOut
from omnialloc.services.fulfilment import tracking

bp = APIBlueprint("tracking", __name__, tag="Tracking")

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
@bp.doc(summary="Public tracking: status timeline of an AWB, no personal data", responses=[404])
def track(awb: str):
    return tracking.public_view(ctx(), awb)
