"""Customer notifications at the edge: message catalogue, templates, email over SMTP, SMS providers.

Nothing in here touches the database. ``services.notifications.outbox`` decides what to
send and when (the outbox and the dispatcher); this package knows how a message
looks (``catalog``, ``templates``, ``gsm``) and how it leaves the building
(``email``, ``sms``), and how a failure is classified (``errors``) and retried
(``backoff``).
"""

from omnialloc.notify.errors import DeliveryError, PermanentError, TransientError

__all__ = ["DeliveryError", "PermanentError", "TransientError"]
