"""A channel's shop credentials and push choices (issue 27): write-only through the API, never logged.

An admin stores, per channel, the shop platform (``shopify`` / ``woocommerce``), its settings (the shop's
URL and API keys: ``channels.push.factory`` names what each platform needs) and what to push (order
fulfilment and cancellations, stock). Settings are checked with ``settings_problems`` before anything is
stored; a bad one is a 422 naming the setting, never echoing a secret. Secrets are never returned: the view
lists which are set. Omitting a setting on a later write keeps the stored value (so a location can be
changed without sending the token again); ``null`` removes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from omnialloc.channels.push.factory import OPTIONAL, REQUIRED, SECRET_SETTINGS, settings_problems
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import FieldError, NotFound, ValidationFailed
from omnialloc.domain.outbound import ChannelPush
from omnialloc.services.access import Principal
from omnialloc.services.events import now, record

_LOCATION = re.compile(r"[A-Za-z0-9_\-:/.]{1,100}")


def view(push: ChannelPush) -> dict:
    known = set(REQUIRED.get(push.kind, ())) | set(OPTIONAL.get(push.kind, ()))
    return {"channel": push.channel, "kind": push.kind, "push_orders": push.push_orders, "push_stock": push.push_stock,
            "locations": dict(push.locations),
            "settings": {k: v for k, v in sorted(push.settings.items()) if k not in SECRET_SETTINGS and k in known},
            "secrets_set": sorted(k for k in push.settings if k in SECRET_SETTINGS and push.settings[k]),
            "stock_cursor": push.stock_cursor, "updated_at": push.updated_at, "updated_by": push.updated_by}


def get_push_settings(ctx, principal: Principal, code: str) -> dict:
    principal.require(Role.ADMIN)
    with ctx.uow(readonly=True) as uow:
        if uow.channels.get(code) is None:
            raise NotFound(f"channel {code} not found")
        push = uow.channel_push.get(code)
    if push is None:
        raise NotFound(f"channel {code} has no shop push settings")
    return view(push)


def put_push_settings(ctx, principal: Principal, code: str, body: Mapping) -> dict:
    """Store (create or change) the channel's push settings; 422 naming each unusable setting."""
    principal.require(Role.ADMIN)
    kind = body["kind"]
    with ctx.uow() as uow:
        if uow.channels.get(code) is None:
            raise NotFound(f"channel {code} not found")
        old = uow.channel_push.get(code)
        merged = dict(old.settings) if old is not None and old.kind == kind else {}
        for name, value in (body.get("settings") or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        problems = settings_problems(kind, merged)
        given: dict[str, str] | None = body.get("locations")
        locations = dict(given if given is not None else (old.locations if old is not None else {}))
        bad_nodes = sorted(n for n in locations if uow.nodes.get(n) is None)
        errors = [FieldError(f"settings.{name}" if name not in ("kind", "settings") else name, message)
                  for name, message in sorted(problems.items())]
        errors += [FieldError(f"locations.{n}", "no such node") for n in bad_nodes]
        errors += [FieldError(f"locations.{n}", "a shop location id (letters, digits, - _ : / .)")
                   for n, loc in sorted(locations.items()) if not _LOCATION.fullmatch(str(loc))]
        if errors:
            raise ValidationFailed(f"the {kind} push settings of channel {code} cannot be used: "
                                   + "; ".join(f"{e.field}: {e.message}" for e in errors[:5]), field_errors=errors)
        push = ChannelPush(channel=code, kind=kind, settings=merged,
                           push_orders=body.get("push_orders", old.push_orders if old else True),
                           push_stock=body.get("push_stock", old.push_stock if old else True),
                           locations={n: str(loc) for n, loc in locations.items()}, updated_at=now(),
                           updated_by=principal.actor)
        uow.channel_push.put(push)
        # The audit trail names what changed, never a value (secrets must not reach the events table or logs).
        record(uow, "channel", code, "push_settings_changed", principal.actor, kind=kind,
               settings=sorted(body.get("settings") or {}), push_orders=push.push_orders, push_stock=push.push_stock)
        uow.commit()
        return view(uow.channel_push.get(code))


def delete_push_settings(ctx, principal: Principal, code: str) -> None:
    principal.require(Role.ADMIN)
    with ctx.uow() as uow:
        if not uow.channel_push.delete(code):
            raise NotFound(f"channel {code} has no shop push settings")
        record(uow, "channel", code, "push_settings_removed", principal.actor)
        uow.commit()
