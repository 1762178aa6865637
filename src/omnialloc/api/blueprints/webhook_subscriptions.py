"""Outbound webhooks (issue 27): subscriptions managed by admins, each with its delivery log and replays."""

from __future__ import annotations

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.channel_push import OutboundOut, OutboundPage, OutboundQuery
from omnialloc.api.schemas.webhook_subscriptions import (SubscriptionIn, SubscriptionList, SubscriptionOut,
                                                         SubscriptionPatch)
from omnialloc.services.notifications import webhooks

bp = APIBlueprint("webhook_subscriptions", __name__, tag="Outbound webhooks")

_ERRORS = [401, 403, 404, 409, 413, 422]


@bp.post("/webhook-subscriptions")
@bp.auth_required(auth)
@bp.input(SubscriptionIn, location="json", arg_name="body")
@bp.output(SubscriptionOut, status_code=201)
@bp.doc(summary="Subscribe a URL to events (admin); the answer carries the signing secret, shown only here",
        responses=_ERRORS)
def create(body: SubscriptionIn):
    return webhooks.create_subscription(ctx(), current(), body.model_dump()), 201


@bp.get("/webhook-subscriptions")
@bp.auth_required(auth)
@bp.output(SubscriptionList)
@bp.doc(summary="Every subscription (admin); secrets are not shown", responses=_ERRORS)
def list_all():
    return webhooks.list_subscriptions(ctx(), current())


@bp.get("/webhook-subscriptions/<string:sub_id>")
@bp.auth_required(auth)
@bp.output(SubscriptionOut)
@bp.doc(summary="One subscription with its deliveries counted by status (admin)", responses=_ERRORS)
def get_one(sub_id: str):
    return webhooks.get_subscription(ctx(), current(), sub_id)


@bp.patch("/webhook-subscriptions/<string:sub_id>")
@bp.auth_required(auth)
@bp.input(SubscriptionPatch, location="json", arg_name="body")
@bp.output(SubscriptionOut)
@bp.doc(summary="Change the URL, events, description or secret; re-enable a disabled one (admin)",
        responses=_ERRORS)
def patch(sub_id: str, body: SubscriptionPatch):
    return webhooks.update_subscription(ctx(), current(), sub_id, body.model_dump())


@bp.delete("/webhook-subscriptions/<string:sub_id>")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Remove the subscription; its pending deliveries are cancelled (admin)", responses=_ERRORS)
def delete(sub_id: str):
    webhooks.delete_subscription(ctx(), current(), sub_id)
    return ""


@bp.get("/webhook-subscriptions/<string:sub_id>/deliveries")
@bp.auth_required(auth)
@bp.input(OutboundQuery, location="query", arg_name="query")
@bp.output(OutboundPage)
@bp.doc(summary="The delivery log: each delivery, newest first, with every attempt (admin); status=failed is "
                "the dead-letter queue", responses=_ERRORS)
def deliveries(sub_id: str, query: OutboundQuery):
    return webhooks.deliveries(ctx(), current(), sub_id, **query.model_dump())


@bp.post("/webhook-subscriptions/<string:sub_id>/deliveries/<string:delivery_id>/replay")
@bp.auth_required(auth)
@bp.output(OutboundOut)
@bp.doc(summary="Deliver it again from a fresh attempt count, same delivery id (admin)", responses=_ERRORS)
def replay(sub_id: str, delivery_id: str):
    return webhooks.replay(ctx(), current(), sub_id, delivery_id)
