"""A channel's stored push settings -> its adapter, and problems named by setting (never echoing a secret)."""

from __future__ import annotations

import pytest

from omnialloc.channels.push import (SECRET_SETTINGS, ShopifyPush, ShopPush, WooCommercePush, settings_problems,
                                     shop_push_for)

SHOPIFY = {"shop_url": "https://my-shop.myshopify.com", "access_token": "shpat_abcdef123456", "default_location": 42}
WOO = {"site_url": "https://shop.example.in", "consumer_key": "ck_abc123", "consumer_secret": "cs_def456",
       "auth": "query", "shipped_status": "shipped"}


def test_each_kind_gets_its_adapter_with_its_options():
    shopify = shop_push_for("shopify", SHOPIFY)
    woo = shop_push_for("woocommerce", WOO)
    assert isinstance(shopify, ShopifyPush) and isinstance(shopify, ShopPush) and shopify.default_location == "42"
    assert isinstance(woo, WooCommercePush) and woo.shipped_status == "shipped"
    assert settings_problems("shopify", SHOPIFY) == {} and settings_problems("woocommerce", WOO) == {}


@pytest.mark.parametrize("kind, settings, problems", [
    ("shopify", {**SHOPIFY, "access_token": ""}, {"access_token": "required"}),
    ("shopify", {**SHOPIFY, "colour": "red"}, {"colour": "not a shopify setting"}),
    ("woocommerce", {k: v for k, v in WOO.items() if k != "consumer_secret"}, {"consumer_secret": "required"}),
    ("amazon", {}, {"kind": "no shop push for 'amazon' (one of shopify, woocommerce)"}),
])
def test_missing_or_unknown_settings_are_named(kind, settings, problems):
    assert settings_problems(kind, settings) == problems


@pytest.mark.parametrize("kind, change, words", [
    ("shopify", {"shop_url": "http://my-shop.myshopify.com"}, "https"),
    ("shopify", {"api_version": "2026-05"}, "quarterly"),
    ("woocommerce", {"auth": "oauth"}, "auth must be"),
    ("woocommerce", {"shipped_status": "Shipped!"}, "status slug"),
])
def test_settings_that_cannot_work_are_refused_without_echoing_secrets(kind, change, words):
    settings = {**(SHOPIFY if kind == "shopify" else WOO), **change}
    problems = settings_problems(kind, settings)
    assert list(problems) == ["settings"] and words in problems["settings"]
    assert not any(str(settings[name]) in problems["settings"] for name in SECRET_SETTINGS if name in settings)
