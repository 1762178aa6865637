"""Notifications: the admin's view of the outbox and its dead letters, re-queueing, and buyers' channel opt-outs."""

from __future__ import annotations

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.notifications import (NotificationOut, NotificationPage, NotificationQuery, PreferencesIn,
                                                 PreferencesOut)
from omnialloc.services.notifications import admin, preferences

bp = APIBlueprint("notifications", __name__, tag="Notifications")

_ERRORS = [401, 403, 404, 409, 413, 422]


@bp.get("/notifications")
@bp.auth_required(auth)
@bp.input(NotificationQuery, location="query", arg_name="query")
@bp.output(NotificationPage)
@bp.doc(summary="List notifications, newest first (admin); status=failed is the dead-letter queue",
        responses=_ERRORS)
def list_notifications(query: NotificationQuery):
    return admin.list_notifications(ctx(), current(), **query.model_dump())


@bp.get("/notifications/<string:notification_id>")
@bp.auth_required(auth)
@bp.output(NotificationOut)
@bp.doc(summary="One notification with its rendered content (admin)", responses=_ERRORS)
def get_notification(notification_id: str):
    return admin.get_notification(ctx(), current(), notification_id)


@bp.post("/notifications/<string:notification_id>/requeue")
@bp.auth_required(auth)
@bp.output(NotificationOut)
@bp.doc(summary="Send a failed or skipped notification again, from a fresh attempt count (admin)",
        responses=_ERRORS)
def requeue(notification_id: str):
    return admin.requeue(ctx(), current(), notification_id)


@bp.get("/notification-preferences/<string:subject>")
@bp.auth_required(auth)
@bp.output(PreferencesOut)
@bp.doc(summary="A buyer's channels (by customer id, email address or phone number)", responses=_ERRORS)
def get_preferences(subject: str):
    return preferences.get_preferences(ctx(), current(), subject)


@bp.put("/notification-preferences/<string:subject>")
@bp.auth_required(auth)
@bp.input(PreferencesIn, location="json", arg_name="body")
@bp.output(PreferencesOut)
@bp.doc(summary="Opt a buyer out of (false) or back into (true) email and/or SMS", responses=_ERRORS)
def put_preferences(subject: str, body: PreferencesIn):
    return preferences.set_preferences(ctx(), current(), subject, body.model_dump(exclude_none=True))
