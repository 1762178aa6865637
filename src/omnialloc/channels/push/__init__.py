"""Pushing back to the shops: fulfilment with tracking, cancellations and sellable stock.

``contract`` holds the one interface (``ShopPush``) and its result; ``shopify``
and ``woocommerce`` implement it over each platform's documented REST API;
``factory`` builds one from a channel's stored settings. No
database and no Flask in here: the outbox (services) decides what to push and
when, and records each ``PushResult``.
"""

from omnialloc.channels.push.contract import (CancelReason, Outcome, PushResult, ShipmentTracking, ShippedLine,
                                              ShopPush, StockLevel)
from omnialloc.channels.push.factory import SECRET_SETTINGS, settings_problems, shop_push_for
from omnialloc.channels.push.shopify import ShopifyCredentials, ShopifyPush
from omnialloc.channels.push.woocommerce import WooCommerceCredentials, WooCommercePush

__all__ = ["CancelReason", "Outcome", "PushResult", "SECRET_SETTINGS", "ShipmentTracking", "ShippedLine", "ShopPush",
           "ShopifyCredentials", "ShopifyPush", "StockLevel", "WooCommerceCredentials", "WooCommercePush",
           "settings_problems", "shop_push_for"]
