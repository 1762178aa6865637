"""Omnichannel (issue 6): channel stock feeds, storefront order webhooks, transfers, pickup in store."""

from __future__ import annotations

from apiflask import APIBlueprint
import json

from flask import Response, current_app, request

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.channels import FeedOut, FeedQuery
from omnialloc.api.schemas.failed_intakes import QueuedOut
from omnialloc.api.schemas.orders import OrderOut
from omnialloc.api.schemas.pickups import CollectIn, PickupOut
from omnialloc.api.schemas.shipments import ShipmentOut
from omnialloc.api.schemas.transfers import (ReceiveIn, TransferCancelIn, TransferIn, TransferOut, TransferPage,
                                             TransferQuery)
from omnialloc.channels import shopify, woocommerce
from omnialloc.services.channels import omnichannel
from omnialloc.services.fulfilment import pickups
from omnialloc.services.inventory import transfers

bp = APIBlueprint("omnichannel", __name__, tag="Omnichannel")

_ERRORS = [401, 403, 404, 409, 413, 422]


# ---------------------------------------------------------------- channel stock feed
@bp.get("/channels/<string:code>/inventory-feed")
@bp.auth_required(auth)
@bp.input(FeedQuery, location="query", arg_name="query")
@bp.output(FeedOut, content_type="application/json")
@bp.doc(summary="What to publish to a channel: ATP of its feeding nodes less its buffer (JSON or CSV)",
        description="`since=<cursor of an earlier feed>` returns only SKUs whose stock changed since. "
                    "`format=csv` (or `Accept: text/csv`) returns `sku,available,atp,buffer`.",
        responses=[401, 403, 404, 422])
def inventory_feed(code: str, query: FeedQuery):
    feed = omnichannel.inventory_feed(ctx(), current(), code, since=query.since)
    wants_csv = query.format == "csv" or (query.format is None and request.accept_mimetypes.best == "text/csv")
    if wants_csv:
        headers = {"X-Feed-Cursor": feed["cursor"] or ""}
        return Response(omnichannel.feed_csv(feed), mimetype="text/csv", headers=headers)
    return feed


# ---------------------------------------------------------------- storefront webhooks
_WEBHOOKS = {"omnichannel.shopify_webhook": ("shopify", shopify.SIGNATURE_HEADER),
             "omnichannel.woocommerce_webhook": ("woocommerce", woocommerce.SIGNATURE_HEADER)}


@bp.before_request
def _verify_webhook_signature():
    # Before the body is read: an unsigned request learns nothing about the payload format (401), and an
    # Idempotency-Key is only looked at for a verified sender.
    platform = _WEBHOOKS.get(request.endpoint or "")
    if platform is not None:
        code = (request.view_args or {}).get("code", "")
        if platform[0] == "woocommerce" and platform[1] not in request.headers and \
                omnichannel.is_woocommerce_ping(request.get_data(cache=True)):
            # WooCommerce's unsigned test delivery when the webhook is saved: 200, or the shop refuses to save it.
            omnichannel.ping(ctx(), code)
            return {"ping": "ok", "channel": code}, 200
        omnichannel.verify_webhook(ctx(), code, request.get_data(cache=True), request.headers.get(platform[1]),
                                   platform[0])


def _webhook(code: str, platform: str):
    view, status = omnichannel.intake(ctx(), code, platform, request.get_json() or {}, request.get_data(cache=True))
    if status == 202:  # kept in the failed-intake queue: not an order, so not the OrderOut shape
        return current_app.response_class(json.dumps(QueuedOut.model_validate(view).model_dump(mode="json")) + "\n",
                                          status=202, mimetype="application/json")
    return view, status


_WEBHOOK_RESPONSES: dict[int, str] = {
    200: "Already captured (a webhook retry): the same order; or WooCommerce's ping",
    202: "Not an order as sent (no PIN, an unknown SKU): kept in the failed-intake "
         "queue (GET /failed-intakes) with the errors, to be fixed and re-submitted",
    401: "Bad signature", 404: "Unknown channel", 409: "Same order id, different body",
    413: "Payload too large"}


@bp.post("/channels/<string:code>/webhooks/shopify")
@bp.output(OrderOut, status_code=201)
@bp.doc(summary="Shopify orders/create webhook (X-Shopify-Hmac-Sha256 verified)", responses=_WEBHOOK_RESPONSES)
def shopify_webhook(code: str):
    return _webhook(code, "shopify")


@bp.post("/channels/<string:code>/webhooks/woocommerce")
@bp.output(OrderOut, status_code=201)
@bp.doc(summary="WooCommerce order.created webhook (X-WC-Webhook-Signature verified; the unsigned "
                "webhook_id=<id> ping sent when the webhook is saved is answered 200)", responses=_WEBHOOK_RESPONSES)
def woocommerce_webhook(code: str):
    return _webhook(code, "woocommerce")


# ---------------------------------------------------------------- transfers
@bp.post("/transfers")
@bp.auth_required(auth)
@bp.input(TransferIn, location="json", arg_name="body")
@bp.output(TransferOut, status_code=201)
@bp.doc(summary="Create a stock transfer order between two nodes (admin)", responses=_ERRORS)
def create_transfer(body: TransferIn):
    return transfers.create_transfer(ctx(), body.source, body.destination, [l.model_dump() for l in body.lines],
                                     reason=body.reason, principal=current()), 201


@bp.get("/transfers")
@bp.auth_required(auth)
@bp.input(TransferQuery, location="query", arg_name="query")
@bp.output(TransferPage)
@bp.doc(summary="Transfer orders, newest first (a node key sees those from or to its node)", responses=_ERRORS)
def list_transfers(query: TransferQuery):
    return transfers.list_transfers(ctx(), current(), **query.model_dump())


@bp.get("/transfers/<string:transfer_id>")
@bp.auth_required(auth)
@bp.output(TransferOut)
@bp.doc(summary="One transfer order with its events", responses=_ERRORS)
def get_transfer(transfer_id: str):
    return transfers.get(ctx(), current(), transfer_id)


@bp.post("/transfers/<string:transfer_id>/dispatch")
@bp.auth_required(auth)
@bp.output(TransferOut)
@bp.doc(summary="The source dispatches: its on-hand drops; the units are in transit", responses=_ERRORS)
def dispatch_transfer(transfer_id: str):
    return transfers.dispatch(ctx(), current(), transfer_id)


@bp.post("/transfers/<string:transfer_id>/receive")
@bp.auth_required(auth)
@bp.input(ReceiveIn, location="json", arg_name="body")
@bp.output(TransferOut)
@bp.doc(summary="The destination receives (optionally short per SKU): its on-hand rises", responses=_ERRORS)
def receive_transfer(transfer_id: str, body: ReceiveIn):
    return transfers.receive(ctx(), current(), transfer_id, dict(body.received))


@bp.post("/transfers/<string:transfer_id>/cancel")
@bp.auth_required(auth)
@bp.input(TransferCancelIn, location="json", arg_name="body")
@bp.output(TransferOut)
@bp.doc(summary="Cancel a transfer that has not been dispatched (admin)", responses=_ERRORS)
def cancel_transfer(transfer_id: str, body: TransferCancelIn):
    return transfers.cancel(ctx(), current(), transfer_id, body.reason)


# ---------------------------------------------------------------- pickup in store
@bp.post("/shipments/<string:shipment_id>/ready")
@bp.auth_required(auth)
@bp.output(ShipmentOut)
@bp.doc(summary="Pickup order waiting at the store counter: a pickup code goes to the customer",
        responses=_ERRORS)
def pickup_ready(shipment_id: str):
    return pickups.ready(ctx(), current(), shipment_id)


@bp.post("/shipments/<string:shipment_id>/collect")
@bp.auth_required(auth)
@bp.input(CollectIn, location="json", arg_name="body")
@bp.output(ShipmentOut)
@bp.doc(summary="The customer collects with the pickup code (wrong code: 422, nothing changes)",
        responses=_ERRORS)
def pickup_collect(shipment_id: str, body: CollectIn):
    return pickups.collect(ctx(), current(), shipment_id, body.code)


@bp.get("/orders/<string:order_id>/pickup")
@bp.auth_required(auth)
@bp.output(PickupOut)
@bp.doc(summary="Pickup details for the customer: store, status, pickup code once ready, expiry",
        responses=_ERRORS)
def pickup_details(order_id: str):
    return pickups.pickup_info(ctx(), current(), order_id)
