"""Notification preferences: a buyer may opt out per channel, by customer id or by address.

The delivery worker checks at send time (an opt-out after the change still counts) and skips the
row, unless its kind is one the seller made mandatory (``OMNIALLOC_NOTIFY_MANDATORY``).
"""

from __future__ import annotations

from omnialloc.domain.enums import Role
from omnialloc.domain.errors import FieldError, NotFound, ValidationFailed
from omnialloc.domain.notifications import ChannelPreference
from omnialloc.notify.catalog import Channel
from omnialloc.services.events import now


def normalise_subject(subject: str) -> str:
    """Customer ids as given; email addresses lower-cased; phone numbers without spaces and dashes."""
    s = (subject or "").strip()
    if "@" in s:
        return s.lower()
    compact = s.replace(" ", "").replace("-", "")
    if compact.lstrip("+").isdigit():
        return compact
    return s


def opted_out(uow, subjects: list[str | None], channel: str) -> bool:
    """Whether any of ``subjects`` (customer id, address) opted out of ``channel``: checked at send time."""
    return uow.preferences.opted_out({normalise_subject(s) for s in subjects if s}, channel)


def get_preferences(ctx, principal, subject: str) -> dict:
    principal.require(Role.ADMIN, Role.CHANNEL)
    key = _check_subject(subject)
    with ctx.uow(readonly=True) as uow:
        _ensure_customer_of(uow, principal, key)
        stored = uow.preferences.for_subject(key)
    return _preferences_view(key, stored)


def set_preferences(ctx, principal, subject: str, changes: dict[str, bool]) -> dict:
    """``changes`` maps channel -> receives (True) or opted out (False); channels not given stay as they are."""
    principal.require(Role.ADMIN, Role.CHANNEL)
    key = _check_subject(subject)
    unknown = [c for c in changes if c not in {ch.value for ch in Channel}]
    if unknown:
        raise ValidationFailed("unknown channel", field_errors=[FieldError(c, "must be email or sms") for c in unknown])
    at = now()
    with ctx.uow() as uow:
        _ensure_customer_of(uow, principal, key)
        for channel, receives in sorted(changes.items()):
            if receives is None:
                continue
            uow.preferences.put(ChannelPreference(subject=key, channel=channel, opted_out=not receives,
                                                  updated_at=at, updated_by=principal.actor))
        uow.commit()
        stored = uow.preferences.for_subject(key)
    return _preferences_view(key, stored)


def _ensure_customer_of(uow, principal, subject: str) -> None:
    """A channel key reaches only its own channel's customers (those its orders name); others are not found."""
    if principal.role == Role.CHANNEL and not uow.customers.of_channel(principal.channel, subject):
        raise NotFound(f"customer {subject} not found")


def _check_subject(subject: str) -> str:
    key = normalise_subject(subject)
    if not key or len(key) > 254 or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise ValidationFailed("a customer id, email address or phone number is required (at most 254 characters)",
                               field_errors=[FieldError("subject", "must be 1-254 printable characters")])
    return key


def _preferences_view(key: str, stored: dict[str, ChannelPreference]) -> dict:
    out: dict[str, str | bool | None] = {"subject": key}
    for channel in Channel:
        p = stored.get(channel.value)
        out[channel.value] = not (p is not None and p.opted_out)
    stamps = [p.updated_at for p in stored.values()]
    out["updated_at"] = max(stamps).isoformat() if stamps else None
    return out
