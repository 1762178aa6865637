"""ShopifyPush against a local server that plays Shopify's Admin REST API as documented (fake_shopify.py)."""

from __future__ import annotations

import re

import pytest
from fake_shopify import BAD_TOKEN, TOKEN, VERSION, FakeShopify

from omnialloc.channels.push import (CancelReason, Outcome, ShipmentTracking, ShippedLine, ShopifyCredentials,
                                     ShopifyPush, ShopPush, StockLevel)
from omnialloc.edge.http import Timeouts


@pytest.fixture
def shop(server):
    fake = FakeShopify(server)
    yield fake
    assert fake.unexpected == [], "requests outside the documented API"


def _push(server, token=TOKEN, **kw) -> ShopifyPush:
    base = server.url_for("/").rstrip("/")
    return ShopifyPush(ShopifyCredentials(base, token), api_version=VERSION,
                       timeouts=kw.pop("timeouts", Timeouts.all(5)), **kw)


def _parcel(ref="SHP-1", awb="DL100", lines=(("TSHIRT-M", 1),), location=None, url="https://track.example/DL100"):
    return ShipmentTracking(ref=ref, awb=awb, carrier="Delhivery", tracking_url=url, location=location,
                            lines=tuple(ShippedLine(s, q) for s, q in lines))


def test_is_a_shop_push():
    assert isinstance(ShopifyPush(ShopifyCredentials("https://x.myshopify.com", "t0ken")), ShopPush)


def test_fulfil_creates_a_fulfillment_from_the_fulfillment_order_with_tracking_info(server, shop):
    order = shop.add_order(9001, {"TSHIRT-M": 1, "MUG": 2})
    result = _push(server).fulfil("9001", (_parcel(lines=(("TSHIRT-M", 1), ("MUG", 2))),))
    assert result.outcome is Outcome.DELIVERED, result.detail
    [fo] = shop.fos_of(9001)
    fo_line = {li["sku"]: next(x.id for x in fo.lines if x.line_item_id == li["id"]) for li in order.line_items}
    assert shop.calls("POST", f"/admin/api/{VERSION}/fulfillments.json") == [{"fulfillment": {
        "line_items_by_fulfillment_order": [{
            "fulfillment_order_id": fo.id,
            "fulfillment_order_line_items": [{"id": fo_line["MUG"], "quantity": 2},
                                             {"id": fo_line["TSHIRT-M"], "quantity": 1}]}],
        "tracking_info": {"number": "DL100", "company": "Delhivery", "url": "https://track.example/DL100"},
        "notify_customer": True}}]
    assert fo.status == "closed"
    [made] = order.fulfillments
    assert made["tracking_number"] == "DL100" and made["tracking_company"] == "Delhivery"


def test_fulfil_again_creates_nothing_more(server, shop):
    shop.add_order(9001, {"TSHIRT-M": 1})
    push = _push(server)
    assert push.fulfil("9001", (_parcel(),)).delivered
    again = push.fulfil("9001", (_parcel(),))
    assert again.delivered and "1 parcel(s) already in Shopify" in again.detail
    assert len(shop.orders[9001].fulfillments) == 1
    assert len(shop.calls("POST", "fulfillments.json")) == 1


def test_an_answer_lost_to_a_timeout_is_retried_without_a_second_fulfillment(server, shop):
    shop.add_order(9001, {"TSHIRT-M": 1})
    shop.stall("fulfillments.json", seconds=1.5)       # Shopify creates it, the answer arrives too late
    push = _push(server, timeouts=Timeouts(connect=2, read=0.5, write=2, pool=2))
    first = push.fulfil("9001", (_parcel(),))
    assert first.outcome is Outcome.RETRY and "did not answer in time" in first.detail
    second = push.fulfil("9001", (_parcel(),))
    assert second.delivered
    assert len(shop.orders[9001].fulfillments) == 1


def test_units_in_a_closed_fulfillment_order_are_not_fulfilled_twice(server, shop):
    shop.add_order(9001, {"TSHIRT-M": 1})
    [fo] = shop.fos_of(9001)
    fo.status, fo.lines[0].fulfillable_quantity = "closed", 0   # fulfilled by hand in the Shopify admin
    result = _push(server).fulfil("9001", (_parcel(),))
    assert result.delivered
    assert shop.calls("POST", "fulfillments.json") == []


def test_two_parcels_of_one_sku_get_their_own_tracking_and_a_retry_sends_only_the_missing_one(server, shop):
    shop.add_order(9001, {"MUG": 2})
    push = _push(server)
    a, b = _parcel("SHP-A", "AWB-A", (("MUG", 1),)), _parcel("SHP-B", "AWB-B", (("MUG", 1),))
    assert push.fulfil("9001", (a,)).delivered                      # the first parcel went alone
    result = push.fulfil("9001", (a, b))                            # then both are reported
    assert result.delivered and "1 fulfillment(s) created, 1 parcel(s) already" in result.detail
    got = {f["tracking_number"]: f["line_items"] for f in shop.orders[9001].fulfillments}
    assert got == {"AWB-A": [{"id": got["AWB-A"][0]["id"], "sku": "MUG", "quantity": 1}],
                   "AWB-B": [{"id": got["AWB-B"][0]["id"], "sku": "MUG", "quantity": 1}]}


def test_a_parcel_spanning_two_locations_makes_one_fulfillment_per_location(server, shop):
    shop.add_order(9001, {"TSHIRT-M": 1, "MUG": 1}, location=111, split={"MUG": 222})
    result = _push(server).fulfil("9001", (_parcel(lines=(("TSHIRT-M", 1), ("MUG", 1)), location="222"),))
    assert result.delivered
    assert sorted(f["location_id"] for f in shop.orders[9001].fulfillments) == [111, 222]
    assert all(fo.status == "closed" for fo in shop.fos_of(9001))


def test_a_fulfillment_order_on_hold_is_a_failure_a_person_can_act_on(server, shop):
    shop.add_order(9001, {"TSHIRT-M": 1})
    shop.fos_of(9001)[0].status = "on_hold"
    result = _push(server).fulfil("9001", (_parcel(),))
    assert result.outcome is Outcome.FAILED and "on_hold in Shopify" in result.detail
    assert shop.calls("POST", "fulfillments.json") == []


def test_fulfilling_a_cancelled_or_unknown_order_fails(server, shop):
    shop.add_order(9001, {"TSHIRT-M": 1}).cancelled_at = "2026-12-01T00:00:00Z"
    push = _push(server)
    assert push.fulfil("9001", (_parcel(),)).outcome is Outcome.FAILED
    missing = push.fulfil("9999", (_parcel(),))
    assert missing.outcome is Outcome.FAILED and missing.status == 404 and "Not Found" in missing.detail
    assert push.fulfil("#9001", (_parcel(),)).outcome is Outcome.FAILED   # not an id: nothing sent


def test_a_sku_not_on_the_order_fails_with_its_name(server, shop):
    shop.add_order(9001, {"TSHIRT-M": 1})
    result = _push(server).fulfil("9001", (_parcel(lines=(("HAT", 1),)),))
    assert result.outcome is Outcome.FAILED and "SKU HAT is not on the Shopify order" in result.detail


def test_cancel_posts_the_reason_once(server, shop):
    shop.add_order(9001, {"TSHIRT-M": 1})
    push = _push(server)
    assert push.cancel("9001", CancelReason("inventory")).delivered
    assert shop.calls("POST", "orders/9001/cancel.json") == [{"reason": "inventory", "email": False}]
    assert shop.orders[9001].cancel_reason == "inventory"
    again = push.cancel("9001", CancelReason("inventory"))
    assert again.delivered and "already cancelled" in again.detail
    assert len(shop.calls("POST", "cancel.json")) == 1


def test_cancel_refused_by_shopify_carries_its_words(server, shop):
    shop.add_order(9001, {"TSHIRT-M": 1})
    _push(server).fulfil("9001", (_parcel(),))
    result = _push(server).cancel("9001", CancelReason("customer"))
    assert result.outcome is Outcome.FAILED and result.status == 422
    assert "Cannot cancel an order that has fulfillments" in result.detail


def test_set_stock_sets_each_level_at_its_location_from_the_paged_catalogue(server, shop):
    shop.variants = [{"sku": f"SKU-{i:03d}", "inventory_item_id": 40_000 + i} for i in range(600)]
    levels = (StockLevel("SKU-000", 5, "111"), StockLevel("SKU-599", 0, "111"), StockLevel("SKU-599", 7, "222"))
    result = _push(server).set_stock(levels)
    assert result.delivered, result.detail
    assert shop.levels == {(111, 40_000): 5, (111, 40_599): 0, (222, 40_599): 7}
    assert len(shop.calls("GET", "products.json")) == 3          # 250 + 250 + 100: followed the Link headers
    assert shop.calls("POST", "inventory_levels/set.json")[0] == {
        "location_id": 111, "inventory_item_id": 40_000, "available": 5}


def test_set_stock_skips_skus_the_shop_does_not_sell_and_refuses_duplicated_skus(server, shop):
    shop.variants = [{"sku": "A", "inventory_item_id": 1}, {"sku": "DUP", "inventory_item_id": 2},
                     {"sku": "DUP", "inventory_item_id": 3}]
    result = _push(server, default_location="111").set_stock(
        (StockLevel("A", 3), StockLevel("NOT-SOLD", 9), StockLevel("DUP", 1)))
    assert result.outcome is Outcome.FAILED and "SKU DUP is on 2 Shopify variants" in result.detail
    assert result.skipped == ("NOT-SOLD",)
    assert shop.levels == {(111, 1): 3}


def test_set_stock_reads_the_catalogue_again_for_a_sku_added_since(server, shop):
    shop.variants = [{"sku": "A", "inventory_item_id": 1}]
    push = _push(server, default_location="111")
    assert push.set_stock((StockLevel("A", 1),)).delivered
    shop.variants.append({"sku": "NEW", "inventory_item_id": 2})
    assert push.set_stock((StockLevel("NEW", 4),)).delivered
    assert shop.levels[(111, 2)] == 4


def test_set_stock_reports_shopifys_refusal_of_an_untracked_item(server, shop):
    shop.variants = [{"sku": "A", "inventory_item_id": 1}, {"sku": "B", "inventory_item_id": 2}]
    shop.untracked = {1}
    result = _push(server, default_location="111").set_stock((StockLevel("A", 1), StockLevel("B", 2)))
    assert result.outcome is Outcome.FAILED and result.pending == ()
    assert "Inventory item does not have inventory tracking enabled" in result.detail
    assert shop.levels == {(111, 2): 2}


def test_set_stock_without_a_location_is_refused_before_anything_is_sent(server, shop):
    result = _push(server).set_stock((StockLevel("A", 1),))
    assert result.outcome is Outcome.FAILED and "no Shopify location" in result.detail
    assert shop.requests == []


def test_429_is_a_retry_after_shopifys_delay_with_the_levels_still_to_set(server, shop):
    shop.variants = [{"sku": s, "inventory_item_id": i} for i, s in enumerate("ABCD", start=1)]
    levels = tuple(StockLevel(s, n, "111") for n, s in enumerate("ABCD"))
    shop.throttle("inventory_levels/set", times=1, retry_after="2.0", after=2)   # the bucket runs dry at C
    push = _push(server)
    result = push.set_stock(levels)
    assert result.outcome is Outcome.RETRY and result.retry_after == 2.0 and result.status == 429
    assert "Exceeded 2 calls per second" in result.detail
    assert result.pending == levels[2:]
    assert shop.levels == {(111, 1): 0, (111, 2): 1}
    assert push.set_stock(result.pending).delivered
    assert shop.levels == {(111, 1): 0, (111, 2): 1, (111, 3): 2, (111, 4): 3}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(server, shop, status):
    server.clear()
    server.expect_request(f"/admin/api/{VERSION}/orders/9001.json").respond_with_data("oops", status=status)
    result = _push(server).cancel("9001", CancelReason())
    assert result.outcome is Outcome.RETRY and result.status == status and result.retry_after is None


def test_an_unreachable_shop_is_retried():
    result = ShopifyPush(ShopifyCredentials("http://127.0.0.1:9", "t0ken-x"),
                         timeouts=Timeouts.all(2)).cancel("9001", CancelReason())
    assert result.outcome is Outcome.RETRY and "could not be reached" in result.detail


def test_a_bad_token_is_a_permanent_failure_with_shopifys_words_and_never_logged(server, shop, our_log):
    secret = "shpat_wrong_but_secret_9f8e7d"
    shop.add_order(9001, {"TSHIRT-M": 1})
    push = _push(server, token=secret)
    results = [push.fulfil("9001", (_parcel(),)), push.cancel("9001", CancelReason()),
               push.set_stock((StockLevel("A", 1, "111"),))]
    assert all(r.outcome is Outcome.FAILED and r.status == 401 and BAD_TOKEN in r.detail for r in results)
    assert "HTTP Request" in our_log()                           # the client's request log was captured ...
    assert secret not in our_log()                              # ... without the token
    assert all(secret not in r.detail for r in results)
    assert secret not in repr(ShopifyCredentials("https://x.myshopify.com", secret))


def test_the_token_travels_only_in_its_header_and_never_lands_in_logs(server, shop, our_log):
    shop.add_order(9001, {"TSHIRT-M": 1})
    shop.variants = [{"sku": "TSHIRT-M", "inventory_item_id": 1}]
    push = _push(server)
    push.fulfil("9001", (_parcel(),))
    push.set_stock((StockLevel("TSHIRT-M", 1, "111"),))
    assert TOKEN not in our_log()
    assert all(TOKEN not in path for _, path, _ in shop.requests)


def test_a_paging_link_to_another_host_is_not_followed(server, shop):
    server.clear()
    server.expect_request(f"/admin/api/{VERSION}/products.json").respond_with_json(
        {"products": []}, headers={"Link": '<https://evil.example/admin/api/x/products.json?page_info=a>; rel="next"'})
    result = _push(server, default_location="1").set_stock((StockLevel("A", 1),))
    assert result.outcome is Outcome.FAILED and "another origin" in result.detail


@pytest.mark.parametrize("url, version, problem", [
    ("http://my-shop.myshopify.com", VERSION, "https"),
    ("https://my-shop.myshopify.com", "2026-02", "quarterly"),
    ("https://token@my-shop.myshopify.com", VERSION, "credentials"),
])
def test_misconfiguration_is_refused_at_construction(url, version, problem):
    with pytest.raises(ValueError, match=problem):
        ShopifyPush(ShopifyCredentials(url, "t0ken"), api_version=version)


def test_a_429_while_reading_the_catalogue_keeps_every_level_pending(server, shop):
    shop.variants = [{"sku": "A", "inventory_item_id": 1}]
    shop.throttle("products.json", times=1, retry_after="4")
    levels = (StockLevel("A", 1, "111"),)
    result = _push(server).set_stock(levels)
    assert result.outcome is Outcome.RETRY and result.retry_after == 4.0 and result.pending == levels
    assert shop.levels == {}


def test_a_200_that_is_not_shopifys_answer_is_retried_not_trusted(server):
    server.expect_request(re.compile(".*")).respond_with_data("<html>Store unavailable</html>", status=200)
    push = _push(server, default_location="1")
    for result in (push.fulfil("9001", (_parcel(),)), push.cancel("9001", CancelReason()),
                   push.set_stock((StockLevel("A", 1),))):
        assert result.outcome is Outcome.RETRY and "Store unavailable" in result.detail
        assert "HTTP 200 without" in result.detail


def test_no_parcel_means_no_request(server, shop):
    assert _push(server).fulfil("9001", ()).delivered and shop.requests == []
