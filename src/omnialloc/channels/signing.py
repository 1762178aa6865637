"""Webhook signatures of storefront platforms: base64 HMAC-SHA256 of the raw request body.

Shopify sends it in ``X-Shopify-Hmac-Sha256`` and WooCommerce in
``X-WC-Webhook-Signature``; both are ``base64(hmac_sha256(secret, body))``.
Compared in constant time, always over the exact bytes received.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())
