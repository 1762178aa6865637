"""Pushing back to the shops: fulfilment with tracking, cancellations and sellable stock.

``contract`` holds the one interface (``ShopPush``) and its result; ``shopify``
and ``woocommerce`` implement it over each platform's documented REST API. No
database and no Flask in here: the outbox (services) decides what to push and
when, and records each ``PushResult``.
"""

from omnialloc.channels.push.contract import (CancelReason, Outcome, PushResult, ShipmentTracking, ShippedLine,
                                              ShopPush, StockLevel)
from omnialloc.channels.push.shopify import ShopifyCredentials, ShopifyPush
from omnialloc.channels.push.woocommerce import WooCommerceCredentials, WooCommercePush

__all__ = ["CancelReason", "Outcome", "PushResult", "ShipmentTracking", "ShippedLine", "ShopPush",
           "ShopifyCredentials", "ShopifyPush", "StockLevel", "WooCommerceCredentials", "WooCommercePush"]
