"""The shared edge HTTP helpers: Retry-After (RFC 9110), error texts in the shapes shops and carriers use, base URLs."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from omnialloc.edge.http import Timeouts, check_base_url, error_text, parse_retry_after
from omnialloc.edge.secrets import Redactor, redact_query_params

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, seconds", [
    ("2.0", 2.0), ("120", 120.0), (" 7 ", 7.0), ("0", 0.0),
    (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
    ("Mon, 07 Dec 2026 09:00:00 GMT", 0.0),            # a date in the past: now
    (None, None), ("", None), ("-5", None), ("soon", None), ("nan", None), ("inf", None),
])
def test_retry_after_is_seconds_or_an_http_date(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize("body, text", [
    (b'{"errors":"Not Found"}', "Not Found"),                                                   # Shopify
    (b'{"errors":["Inventory item does not have inventory tracking enabled"]}',
     "Inventory item does not have inventory tracking enabled"),
    (b'{"errors":{"reason":["is not included in the list"]}}', "reason: is not included in the list"),
    (b'{"error":"Cannot cancel an order that has already been cancelled"}',
     "Cannot cancel an order that has already been cancelled"),
    (b'{"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID.","data":{"status":404}}',
     "Invalid ID. (woocommerce_rest_shop_order_invalid_id)"),                                  # WooCommerce
    (b'{"error":{"code":"unserviceable","message":"Pincode 999999 is not serviceable"}}',
     "Pincode 999999 is not serviceable (unserviceable)"),
    (b"<html><body><h1>502 Bad Gateway</h1>\n</body></html>", "<html><body><h1>502 Bad Gateway</h1> </body></html>"),
    (b"", ""),
])
def test_error_text_reads_the_servers_own_words(body, text):
    assert error_text(body, "application/json") == text


@pytest.mark.parametrize("url, ok", [
    ("https://shop.example.in/", "https://shop.example.in"), ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://localhost/x/", "http://localhost/x"), ("http://[::1]:9/", "http://[::1]:9"),
])
def test_https_or_a_loopback_host(url, ok):
    assert check_base_url(url, "t") == ok


@pytest.mark.parametrize("url", ["http://shop.example.in", "ftp://x.example", "https://a:b@x.example",
                                 "https://x.example/?token=1", "", "https://"])
def test_other_base_urls_are_refused(url):
    with pytest.raises(ValueError):
        check_base_url(url, "t")


def test_timeouts_must_be_explicit_positive_numbers():
    with pytest.raises(ValueError):
        Timeouts(read=0)
    assert Timeouts.all(3).for_httpx().read == 3


def test_the_redactor_masks_every_secret_and_says_nothing_of_them():
    r = Redactor(["s3cret-value", "", "abc"])                   # too short to be a secret: left alone
    assert r.scrub("token s3cret-value and abc") == "token *** and abc"
    assert "s3cret" not in repr(r)


def test_query_parameter_values_are_masked_in_the_httpx_log(caplog):
    redact_query_params("consumer_secret")
    caplog.set_level(logging.INFO, logger="httpx")
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "GET",
                                    "https://x.example/a?b=1&consumer_secret=cs_123456", "200 OK")
    assert "consumer_secret=***" in caplog.text and "cs_123456" not in caplog.text and "b=1" in caplog.text
