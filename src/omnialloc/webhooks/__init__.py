"""Outbound webhooks for other systems (ERP, WMS, BI): signed POSTs of our events, and the receiver's verifier.

``signing`` holds the scheme (HMAC-SHA256 over "timestamp.body") and ``verify``
for receivers; ``delivery`` sends one delivery and classifies the answer, and
``RetryPolicy`` says when to try again or dead-letter. Subscriptions, the
delivery log and replays live in the store and services; nothing here touches
a database.
"""

from omnialloc.webhooks.delivery import (DeliveryResult, RetryPolicy, Subscription, Verdict, WebhookEvent,
                                         WebhookSender, check_subscription_url, classify)
from omnialloc.webhooks.signing import (DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
                                        SignatureError, generate_secret, sign, signature_header, verify)

__all__ = [
    "DELIVERY_HEADER", "DeliveryResult", "EVENT_HEADER", "RetryPolicy", "SIGNATURE_HEADER", "SignatureError",
    "Subscription", "TIMESTAMP_HEADER", "Verdict", "WebhookEvent", "WebhookSender", "check_subscription_url",
    "classify", "generate_secret", "sign", "signature_header", "verify",
]
