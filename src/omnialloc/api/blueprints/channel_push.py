"""Channels both ways (issue 27): a channel's shop push settings (credentials write-only), its SKU aliases,
the pushes queued for its shop (with their dead letters, re-queued by an admin) and a full stock resync."""

from __future__ import annotations

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.channel_push import (AliasIn, AliasList, AliasOut, OutboundOut, OutboundPage, OutboundQuery,
                                                PushSettingsIn, PushSettingsOut, ResyncIn, ResyncOut)
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import NotFound
from omnialloc.services.channels import failed_intake, push_settings
from omnialloc.services.channels.push import KIND, sync_stock
from omnialloc.services.notifications import outbound

bp = APIBlueprint("channel_push", __name__, tag="Channel push")

_ERRORS = [401, 403, 404, 409, 413, 422]


@bp.get("/channels/<string:code>/push-settings")
@bp.auth_required(auth)
@bp.output(PushSettingsOut)
@bp.doc(summary="The channel's shop push settings; secrets are never shown, only which are set (admin)",
        responses=_ERRORS)
def get_push_settings(code: str):
    return push_settings.get_push_settings(ctx(), current(), code)


@bp.put("/channels/<string:code>/push-settings")
@bp.auth_required(auth)
@bp.input(PushSettingsIn, location="json", arg_name="body")
@bp.output(PushSettingsOut)
@bp.doc(summary="Store the channel's shop platform, credentials and what to push (admin); checked before "
                "storing, 422 names each unusable setting", responses=_ERRORS)
def put_push_settings(code: str, body: PushSettingsIn):
    return push_settings.put_push_settings(ctx(), current(), code, body.model_dump(exclude_none=True) | {
        "settings": body.settings})


@bp.delete("/channels/<string:code>/push-settings")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Stop pushing to the channel's shop and forget its credentials (admin)", responses=_ERRORS)
def delete_push_settings(code: str):
    push_settings.delete_push_settings(ctx(), current(), code)
    return ""


@bp.get("/channels/<string:code>/sku-aliases")
@bp.auth_required(auth)
@bp.output(AliasList)
@bp.doc(summary="The channel's SKU aliases (their SKU -> ours)", responses=_ERRORS)
def list_aliases(code: str):
    return failed_intake.list_aliases(ctx(), current(), code)


@bp.put("/channels/<string:code>/sku-aliases/<string:alias>")
@bp.auth_required(auth)
@bp.input(AliasIn, location="json", arg_name="body")
@bp.output(AliasOut)
@bp.doc(summary="Map the channel's SKU to one of ours (admin): orders naming it get our SKU from now on",
        responses=_ERRORS)
def put_alias(code: str, alias: str, body: AliasIn):
    return failed_intake.put_alias(ctx(), current(), code, alias[:64], body.sku)


@bp.delete("/channels/<string:code>/sku-aliases/<string:alias>")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Remove a SKU alias (admin)", responses=_ERRORS)
def delete_alias(code: str, alias: str):
    failed_intake.delete_alias(ctx(), current(), code, alias)
    return ""


@bp.get("/channels/<string:code>/pushes")
@bp.auth_required(auth)
@bp.input(OutboundQuery, location="query", arg_name="query")
@bp.output(OutboundPage)
@bp.doc(summary="Pushes to the channel's shop, newest first, with their attempts (admin); status=failed is the "
                "dead-letter queue", responses=_ERRORS)
def list_pushes(code: str, query: OutboundQuery):
    return outbound.list_messages(ctx(), current(), kind=KIND, target=code, with_log=True, **query.model_dump())


@bp.post("/channels/<string:code>/pushes/<string:push_id>/requeue")
@bp.auth_required(auth)
@bp.output(OutboundOut)
@bp.doc(summary="Send a dead-lettered push again from a fresh attempt count (admin)", responses=_ERRORS)
def requeue_push(code: str, push_id: str):
    out = outbound.replay(ctx(), current(), push_id, kind=KIND)
    if out["target"] != code:
        raise NotFound(f"push {push_id} not found")
    return out


@bp.post("/channels/<string:code>/stock-resync")
@bp.auth_required(auth)
@bp.input(ResyncIn, location="json", arg_name="body")
@bp.output(ResyncOut, status_code=202)
@bp.doc(summary="Queue the sellable quantity of every SKU for the shop (full) or of those that moved (admin)",
        responses=_ERRORS)
def stock_resync(code: str, body: ResyncIn):
    current().require(Role.ADMIN)
    push_settings.get_push_settings(ctx(), current(), code)  # 404 when the channel does not push
    return {"queued": sync_stock(ctx(), channel=code, full=body.full)}, 202
