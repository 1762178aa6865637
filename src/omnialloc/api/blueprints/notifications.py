"""Notifications: the admin's view of the outbox and its dead letters, re-queueing, and buyers' channel opt-outs."""

from __future__ import annotations

from typing import Annotated, Literal

from apiflask import APIBlueprint
from pydantic import ConfigDict, Field

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas import Int, Open, Strict
from omnialloc.notify.catalog import Kind
from omnialloc.services.notifications import outbox as notifications

bp = APIBlueprint("notifications", __name__, tag="Notifications")

_ERRORS = [401, 403, 404, 409, 413, 422]

Status = Literal["pending", "sending", "sent", "failed", "skipped"]
ChannelName = Literal["email", "sms"]
KindName = Literal[tuple(k.value for k in Kind)]  # type: ignore[valid-type]


class NotificationQuery(Strict):
    status: Status | None = None
    order_id: Annotated[str | None, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")] = None
    channel: ChannelName | None = None
    kind: KindName | None = None
    cursor: Annotated[str | None, Field(max_length=200)] = None
    limit: Int(ge=1, le=200) = 50

    model_config = ConfigDict(strict=False, extra="forbid")  # query strings are text


class NotificationOut(Open):
    id: str
    status: str
    kind: str
    channel: str
    recipient: str
    order_id: str | None = None
    attempts: int
    last_error: str | None = None
    idempotency_key: str


class NotificationPage(Open):
    items: list[NotificationOut]
    next_cursor: str | None = None


class PreferencesIn(Strict):
    """``true``: the buyer receives this channel; ``false``: opted out. Omitted channels stay as they are."""

    email: bool | None = None
    sms: bool | None = None


class PreferencesOut(Open):
    subject: str
    email: bool
    sms: bool
    updated_at: str | None = None


@bp.get("/notifications")
@bp.auth_required(auth)
@bp.input(NotificationQuery, location="query", arg_name="query")
@bp.output(NotificationPage)
@bp.doc(summary="List notifications, newest first (admin); status=failed is the dead-letter queue",
        responses=_ERRORS)
def list_notifications(query: NotificationQuery):
    return notifications.list_notifications(ctx(), current(), **query.model_dump())


@bp.get("/notifications/<string:notification_id>")
@bp.auth_required(auth)
@bp.output(NotificationOut)
@bp.doc(summary="One notification with its rendered content (admin)", responses=_ERRORS)
def get_notification(notification_id: str):
    return notifications.get_notification(ctx(), current(), notification_id)


@bp.post("/notifications/<string:notification_id>/requeue")
@bp.auth_required(auth)
@bp.output(NotificationOut)
@bp.doc(summary="Send a failed or skipped notification again, from a fresh attempt count (admin)",
        responses=_ERRORS)
def requeue(notification_id: str):
    return notifications.requeue(ctx(), current(), notification_id)


@bp.get("/notification-preferences/<string:subject>")
@bp.auth_required(auth)
@bp.output(PreferencesOut)
@bp.doc(summary="A buyer's channels (by customer id, email address or phone number)", responses=_ERRORS)
def get_preferences(subject: str):
    return notifications.get_preferences(ctx(), current(), subject)


@bp.put("/notification-preferences/<string:subject>")
@bp.auth_required(auth)
@bp.input(PreferencesIn, location="json", arg_name="body")
@bp.output(PreferencesOut)
@bp.doc(summary="Opt a buyer out of (false) or back into (true) email and/or SMS", responses=_ERRORS)
def put_preferences(subject: str, body: PreferencesIn):
    return notifications.set_preferences(ctx(), current(), subject, body.model_dump(exclude_none=True))
