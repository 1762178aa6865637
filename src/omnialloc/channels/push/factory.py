"""A channel's stored push settings -> its ``ShopPush`` adapter, with errors that name the setting to fix.

What each platform needs (docs/channels.md):

* ``shopify``: ``shop_url``, ``access_token``; optional ``api_version``, ``default_location``,
  ``notify_customer_on_cancel``;
* ``woocommerce``: ``site_url``, ``consumer_key``, ``consumer_secret``; optional ``auth``
  (``basic`` / ``query``), ``shipped_status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnialloc.channels.push.contract import ShopPush
from omnialloc.channels.push.shopify import DEFAULT_API_VERSION, ShopifyCredentials, ShopifyPush
from omnialloc.channels.push.woocommerce import WooCommerceCredentials, WooCommercePush
from omnialloc.edge.http import Timeouts

REQUIRED = {"shopify": ("shop_url", "access_token"), "woocommerce": ("site_url", "consumer_key", "consumer_secret")}
OPTIONAL = {"shopify": ("api_version", "default_location", "notify_customer_on_cancel"),
            "woocommerce": ("auth", "shipped_status")}
SECRET_SETTINGS = frozenset({"access_token", "consumer_key", "consumer_secret"})


def settings_problems(kind: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """Setting name -> what is wrong with it (empty: usable). Never repeats a secret's value."""
    if kind not in REQUIRED:
        return {"kind": f"no shop push for {kind!r} (one of {', '.join(sorted(REQUIRED))})"}
    problems = {name: "required" for name in REQUIRED[kind] if not str(settings.get(name) or "").strip()}
    for name in sorted(set(settings) - set(REQUIRED[kind]) - set(OPTIONAL[kind])):
        problems[name] = f"not a {kind} setting"
    if not problems:
        try:
            shop_push_for(kind, settings).close()
        except ValueError as exc:
            problems["settings"] = str(exc)
    return problems


def shop_push_for(kind: str, settings: Mapping[str, Any], *, timeouts: Timeouts | None = None) -> ShopPush:
    """The adapter for a channel of ``kind``; ValueError when the settings cannot work."""
    if kind == "shopify":
        return ShopifyPush(ShopifyCredentials(str(settings.get("shop_url") or ""), str(settings.get("access_token") or "")),
                           api_version=str(settings.get("api_version") or DEFAULT_API_VERSION),
                           default_location=(str(settings["default_location"])
                                             if settings.get("default_location") not in (None, "") else None),
                           notify_customer_on_cancel=bool(settings.get("notify_customer_on_cancel", False)),
                           timeouts=timeouts)
    if kind == "woocommerce":
        return WooCommercePush(WooCommerceCredentials(str(settings.get("site_url") or ""),
                                                      str(settings.get("consumer_key") or ""),
                                                      str(settings.get("consumer_secret") or ""),
                                                      auth=str(settings.get("auth") or "basic")),
                               shipped_status=str(settings.get("shipped_status") or "completed"), timeouts=timeouts)
    raise ValueError(f"no shop push for {kind!r} (one of {', '.join(sorted(REQUIRED))})")
