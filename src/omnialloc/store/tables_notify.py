"""Moved to ``omnialloc.store.tables.notifications``; this alias goes once no import names it."""

from omnialloc.store.tables.notifications import (  # noqa: F401
    NOTIFICATION_CHANNELS,
    NOTIFICATION_STATUSES,
    customer_preferences,
    notifications,
)
