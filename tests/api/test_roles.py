"""Every endpoint x every role: the allowed/denied matrix of issue 4.

The endpoints come from ``app.url_map``, so an endpoint added later without an
entry in ``MATRIX`` fails ``test_every_endpoint_is_in_the_matrix`` instead of
going unchecked.

Two mirror-image "sides" are built for each check:

* side W: a ``web`` order shipped to Chennai, its shipment at CHN-FC1, carrier XPR;
* side A: an ``amazon`` order shipped to Mumbai, its shipment at MUM-FC1, carrier ECO.

Each scoped key owns one side: ``channel`` (web), ``node_chn`` and ``carrier_xpr``
own W; ``other_channel`` (amazon), ``node_mum`` and ``carrier_eco`` own A. Every
role is tried against its own side and the other one. A scope miss is 404 (a key
cannot probe for other tenants' ids); a role that may not do the thing at all is
403; no key or a bad key is 401. A denied request changes nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import pytest
import sqlalchemy as sa

from tests.api.conftest import auth, order_body

OK, EMPTY = "ok", "empty"  # EMPTY: 200 with no items (a list filtered to someone else's things)

# Not part of the authenticated API: docs, spec, liveness, and the buyer's public tracking page.
PUBLIC = {"static", "openapi.spec", "openapi.docs", "openapi.swagger_ui_oauth_redirect", "swagger_assets",
          "health.check", "health.live", "health.ready", "tracking.track",
          "root", "favicon"}  # GET / redirects a browser to the console; /favicon.ico (issue 28)
# Authenticated by the carrier's HMAC signature, not by an API key: see test_tracking_webhook_ignores_api_keys
# (and test_lifecycle_rules for bad signatures and other carriers' AWBs).
SIGNED = {"tracking.carrier_events",
          # Channel platform webhooks: verified by the platform's HMAC, not an API key (omnichannel workstream).
          "omnichannel.shopify_webhook", "omnichannel.woocommerce_webhook"}
# Endpoints of workstreams that landed while this matrix was written (omnichannel transfers / BOPIS, stock
# views and imports, returns and store credit). They still get the baseline checks of test_baseline_auth_on_every_endpoint (401 without
# a valid key, never a 5xx for any role); their owners should move each into MATRIX with its real
# own-side / other-side expectations and delete it from here.
# (Omnichannel and stock endpoints have MATRIX rows now.)
BASELINE_ONLY: set[str] = set()
# The operations console (issue 12) authenticates by session cookie and CSRF token, not by API key; its
# logins, role refusals, CSRF and expiry are tested in tests/api/test_console.py.
CONSOLE = "console."

ROLE_KIND = {"admin": "admin", "analyst": "analyst", "channel": "channel", "other_channel": "channel",
             "node_chn": "node", "node_mum": "node", "carrier_xpr": "carrier", "carrier_eco": "carrier"}
OWN_SIDE = {"channel": "W", "node_chn": "W", "carrier_xpr": "W",
            "other_channel": "A", "node_mum": "A", "carrier_eco": "A"}
# SKU-0024 is stocked at both FCs and at no node nearer to either city, so the plan is predictable.
SKU = "SKU-0024"
SIDES = {"W": dict(channel="web", pin="600002", node="CHN-FC1", carrier="XPR"),
         "A": dict(channel="amazon", pin="400072", node="MUM-FC1", carrier="ECO")}


@dataclass(frozen=True)
class Entry:
    """How to call one endpoint against a side, and what each kind of role gets (own side, other side)."""

    method: str
    state: str                                  # what the scenario must look like first (see _scenario)
    call: Callable[[dict], tuple[str, dict | None]]  # side objects -> (url, json body)
    expect: dict[str, tuple[str | int, str | int]]


def _order_ep(suffix: str, body: dict | None = None):
    return lambda s: (f"/orders/{s['order']}{suffix}", body)


def _ship_ep(suffix: str, body: dict | None = None):
    return lambda s: (f"/shipments/{s['shipment']}{suffix}", body)


_READ_ALL = {"admin": (OK, OK), "analyst": (OK, OK)}
_NODE_WORK = {"admin": (OK, OK), "analyst": (403, 403), "channel": (403, 403), "node": (OK, 404),
              "carrier": (403, 403)}
_CHANNEL_WRITE = {"admin": (OK, OK), "analyst": (403, 403), "channel": (OK, 404), "node": (403, 403),
                  "carrier": (403, 403)}
_ADMIN_ONLY = {"admin": (OK, OK), "analyst": (403, 403), "channel": (403, 403), "node": (403, 403),
               "carrier": (403, 403)}

_NETWORK_READ = {"admin": (OK, OK), "analyst": (OK, OK), "channel": (403, 403), "node": (OK, OK),
                 "carrier": (403, 403)}

_counter = itertools.count()

MATRIX: dict[str, Entry] = {
    # A channel key may only capture for its own channel: another channel in the body is a field error.
    "orders.create_order": Entry("POST", "none", lambda s: (
        "/orders", order_body(f"roles-new-{next(_counter)}", channel=s["channel"], pin=s["pin"],
                             lines=[{"sku": SKU, "qty": 1}])),
        {"admin": (OK, OK), "analyst": (403, 403), "channel": (OK, 422), "node": (403, 403), "carrier": (403, 403)}),
    # Prometheus metrics: operators (admin) and analysts scrape them; no side-scoped data in them.
    "metrics.scrape": Entry("GET", "none", lambda s: ("/metrics", None), {**_READ_ALL, "channel": (403, 403),
                            "node": (403, 403), "carrier": (403, 403)}),
    # The delivery promise (issue 24): what a checkout asks; a channel key promises for its own channel (a
    # channel named in the request is ignored, so there is no other side to miss).
    "promise.promise_cart": Entry("POST", "none", lambda s: ("/promise", {
        "lines": [{"sku": SKU, "qty": 1}], "pin": s["pin"]}),
        {**_READ_ALL, "channel": (OK, OK), "node": (403, 403), "carrier": (403, 403)}),
    "promise.promise_sku": Entry("GET", "none", lambda s: (f"/promise?sku={SKU}&pin={s['pin']}", None),
                                 {**_READ_ALL, "channel": (OK, OK), "node": (403, 403), "carrier": (403, 403)}),
    "orders.list_orders": Entry("GET", "allocated", lambda s: (f"/orders?channel={s['channel']}", None),
                                {**_READ_ALL, "channel": (OK, EMPTY), "node": (403, 403), "carrier": (403, 403)}),
    "orders.get_order": Entry("GET", "allocated", _order_ep(""),
                              {**_READ_ALL, "channel": (OK, 404), "node": (403, 403), "carrier": (403, 403)}),
    "orders.allocate_order": Entry("POST", "allocated", _order_ep("/allocate"), _CHANNEL_WRITE),
    "orders.cancel_order": Entry("POST", "allocated", _order_ep("/cancel", {"reason": "changed mind"}), _CHANNEL_WRITE),
    "orders.hold_order": Entry("POST", "allocated", _order_ep("/hold", {"reason": "fraud check"}), _ADMIN_ONLY),
    "orders.release_order": Entry("POST", "held", _order_ep("/release", {"reason": "cleared"}), _ADMIN_ONLY),
    "shipments.list_shipments": Entry("GET", "shipped", lambda s: (f"/shipments?node={s['node']}", None),
                                      {**_READ_ALL, "channel": (403, 403), "node": (OK, EMPTY),
                                       "carrier": (OK, EMPTY)}),
    "shipments.get_shipment": Entry("GET", "shipped", _ship_ep(""),
                                    {**_READ_ALL, "channel": (OK, 404), "node": (OK, 404), "carrier": (OK, 404)}),
    "shipments.accept": Entry("POST", "allocated", _ship_ep("/accept"), _NODE_WORK),
    "shipments.reject": Entry("POST", "allocated", _ship_ep("/reject", {"reason": "damaged stock"}), _NODE_WORK),
    "shipments.pack": Entry("POST", "accepted", _ship_ep("/pack", {"weight_g": 600, "length_mm": 250,
                                                                   "width_mm": 200, "height_mm": 100}), _NODE_WORK),
    "shipments.ship": Entry("POST", "packed", _ship_ep("/ship", {}), _NODE_WORK),
    "nodes.manifest": Entry("GET", "shipped", lambda s: (f"/nodes/{s['node']}/manifest", None),
                            {**_READ_ALL, "channel": (403, 403), "node": (OK, 404), "carrier": (403, 403)}),
    "inventory.adjust": Entry("POST", "none", lambda s: ("/inventory/adjustments", {"adjustments": [
        {"node": s["node"], "sku": "SKU-0002", "delta": 5, "reason": "receipt"}]}), _NODE_WORK),
    # ---- notifications (issue 7): the outbox is admin-only (it holds buyers' contact details);
    # buyers' opt-outs may be read and set by the admin, or by a channel for its own customers only
    # (issue 20: another channel's customer is a scope miss, 404, like any other tenant's resource).
    "notifications.list_notifications": Entry("GET", "allocated", lambda s: ("/notifications", None), _ADMIN_ONLY),
    "notifications.get_notification": Entry("GET", "allocated", lambda s: (f"/notifications/{s['notification']}", None),
                                            _ADMIN_ONLY),
    "notifications.requeue": Entry("POST", "allocated",
                                   lambda s: (f"/notifications/{s['notification']}/requeue", None), _ADMIN_ONLY),
    "notifications.get_preferences": Entry("GET", "allocated", lambda s: (
        f"/notification-preferences/{s['customer']}", None), {**_ADMIN_ONLY, "channel": (OK, 404)}),
    "notifications.put_preferences": Entry("PUT", "allocated", lambda s: (
        f"/notification-preferences/{s['customer']}", {"sms": False}), {**_ADMIN_ONLY, "channel": (OK, 404)}),
    # ---- OMS rules (issue 5): admin only, reads included (rules reveal routing policy).
    "rules.list_rules": Entry("GET", "rule", lambda s: ("/rules", None), _ADMIN_ONLY),
    "rules.create_rule": Entry("POST", "none", lambda s: ("/rules", _rule_body()), _ADMIN_ONLY),
    "rules.rule_schema": Entry("GET", "none", lambda s: ("/rules/schema", None), _ADMIN_ONLY),
    "rules.node_groups": Entry("GET", "none", lambda s: ("/rules/node-groups", None), _ADMIN_ONLY),
    "rules.dry_run": Entry("POST", "none", lambda s: ("/rules/dry-run", {"order": order_body(
        f"dry-{next(_counter)}", channel=s["channel"], pin=s["pin"], lines=[{"sku": SKU, "qty": 1}])}), _ADMIN_ONLY),
    "rules.reorder": Entry("POST", "rule", lambda s: ("/rules/reorder", {"rule_ids": [s["rule"]]}), _ADMIN_ONLY),
    "rules.get_rule": Entry("GET", "rule", lambda s: (f"/rules/{s['rule']}", None), _ADMIN_ONLY),
    "rules.update_rule": Entry("PATCH", "rule", lambda s: (f"/rules/{s['rule']}", {"priority": 50}), _ADMIN_ONLY),
    "rules.delete_rule": Entry("DELETE", "rule", lambda s: (f"/rules/{s['rule']}", None), _ADMIN_ONLY),
    "rules.rule_versions": Entry("GET", "rule", lambda s: (f"/rules/{s['rule']}/versions", None), _ADMIN_ONLY),
    "rules.enable_rule": Entry("POST", "rule", lambda s: (f"/rules/{s['rule']}/enable", None), _ADMIN_ONLY),
    "rules.disable_rule": Entry("POST", "rule", lambda s: (f"/rules/{s['rule']}/disable", None), _ADMIN_ONLY),
    # ---- global inventory and omnichannel (issue 6). A node key reads and imports its own node's stock only.
    "stock.list_inventory": Entry("GET", "none", lambda s: (f"/inventory?node={s['node']}", None),
                                  {**_READ_ALL, "channel": (403, 403), "node": (OK, EMPTY), "carrier": (403, 403)}),
    "stock.sku_stock": Entry("GET", "none", lambda s: (f"/inventory/{SKU}", None),
                             {**_READ_ALL, "channel": (403, 403), "node": (OK, OK), "carrier": (403, 403)}),
    "stock.import_stock": Entry("POST", "none", lambda s: (f"/inventory/imports?mode=delta&node={s['node']}",
                                                           f"sku,qty\n{SKU},2\n"), _NODE_WORK),
    "omnichannel.inventory_feed": Entry("GET", "none", lambda s: (f"/channels/{s['channel']}/inventory-feed", None),
                                        {**_READ_ALL, "channel": (OK, 404), "node": (403, 403), "carrier": (403, 403)}),
    "omnichannel.create_transfer": Entry("POST", "none", lambda s: ("/transfers", {
        "source": s["node"], "destination": "BLR-FC1", "lines": [{"sku": SKU, "qty": 1}]}), _ADMIN_ONLY),
    "omnichannel.list_transfers": Entry("GET", "transfer", lambda s: (f"/transfers?node={s['node']}", None),
                                        {**_READ_ALL, "channel": (403, 403), "node": (OK, EMPTY),
                                         "carrier": (403, 403)}),
    "omnichannel.get_transfer": Entry("GET", "transfer", lambda s: (f"/transfers/{s['transfer']}", None),
                                      {**_READ_ALL, "channel": (403, 403), "node": (OK, 404), "carrier": (403, 403)}),
    "omnichannel.dispatch_transfer": Entry("POST", "transfer", lambda s: (f"/transfers/{s['transfer']}/dispatch", None),
                                           _NODE_WORK),
    "omnichannel.receive_transfer": Entry("POST", "inbound", lambda s: (f"/transfers/{s['transfer']}/receive", {}),
                                          _NODE_WORK),
    "omnichannel.cancel_transfer": Entry("POST", "transfer", lambda s: (f"/transfers/{s['transfer']}/cancel",
                                                                        {"reason": "not needed"}), _ADMIN_ONLY),
    # Pickup orders wait at stores (CHN-ST1 / MUM-ST1), which the test's node keys (FCs) do not own: 404 both sides.
    "omnichannel.pickup_ready": Entry("POST", "pickup_accepted", lambda s: (f"/shipments/{s['shipment']}/ready", None),
                                      {**_NODE_WORK, "node": (404, 404)}),
    "omnichannel.pickup_collect": Entry("POST", "pickup_ready", lambda s: (f"/shipments/{s['shipment']}/collect",
                                                                           {"code": s["code"]}),
                                        {**_NODE_WORK, "node": (404, 404)}),
    "omnichannel.pickup_details": Entry("GET", "pickup_accepted", lambda s: (f"/orders/{s['order']}/pickup", None),
                                        {"admin": (OK, OK), "analyst": (403, 403), "channel": (OK, 404),
                                         "node": (403, 403), "carrier": (403, 403)}),
    # ---- returns (issue 8): channels raise and read their own; a node key sees and receives only returns
    # sent to its node; approval is the admin's; a channel reads and spends the store credit of its own
    # customers only (issue 20: another channel's customer is a scope miss, 404).
    "returns.create_return": Entry("POST", "delivered", _order_ep("/returns", {
        "lines": [{"line_no": 1, "qty": 1, "reason": "size_fit"}], "resolution": "refund"}), _CHANNEL_WRITE),
    "returns.list_returns": Entry("GET", "returned", lambda s: (f"/returns?channel={s['channel']}", None),
                                  {**_READ_ALL, "channel": (OK, EMPTY), "node": (OK, EMPTY), "carrier": (403, 403)}),
    "returns.get_return": Entry("GET", "returned", lambda s: (f"/returns/{s['return']}", None),
                                {**_READ_ALL, "channel": (OK, 404), "node": (OK, 404), "carrier": (403, 403)}),
    "returns.approve_return": Entry("POST", "requested", lambda s: (f"/returns/{s['return']}/approve", None),
                                    _ADMIN_ONLY),
    "returns.reject_return": Entry("POST", "requested", lambda s: (f"/returns/{s['return']}/reject",
                                                                   {"reason": "used item"}), _ADMIN_ONLY),
    "returns.receive_return": Entry("POST", "returned", lambda s: (f"/returns/{s['return']}/receive", {
        "units": [{"line_no": 1, "grade": "A"}]}), _NODE_WORK),
    # Work orders (refurbish / repair) are the receiving node's: it lists and closes its own.
    "returns.list_work_orders": Entry("GET", "work_order", lambda s: (f"/work-orders?node={s['node']}", None),
                                      {**_READ_ALL, "channel": (403, 403), "node": (OK, EMPTY), "carrier": (403, 403)}),
    "returns.complete_work_order": Entry("POST", "work_order", lambda s: (
        f"/work-orders/{s['work_order']}/complete", {"restocked": 1, "scrapped": 0}), _NODE_WORK),
    "returns.get_store_credit": Entry("GET", "credit", lambda s: (f"/customers/{s['customer']}/store-credit", None),
                                      {**_READ_ALL, "channel": (OK, 404), "node": (403, 403), "carrier": (403, 403)}),
    "returns.redeem_store_credit": Entry("POST", "credit", lambda s: (
        f"/customers/{s['customer']}/store-credit/redeem", {"amount_paise": 100, "order_id": s["order"]}),
        _CHANNEL_WRITE),
    # ---- exchange price differences (issue 28): the money trail reads like the order; a payment request is
    # settled by the admin or the order's channel (the shop that collects it).
    "payments.money_trail": Entry("GET", "delivered", _order_ep("/money"),
                                  {**_READ_ALL, "channel": (OK, 404), "node": (403, 403), "carrier": (403, 403)}),
    "payments.settle": Entry("POST", "payment", lambda s: (f"/payment-requests/{s['payment']}/settle",
                                                           {"status": "paid"}), _CHANNEL_WRITE),
    # ---- bring your own network (issue 25): admins write; analysts read; a node key reads its own node (and the
    # catalog and carriers it ships with); channels and carriers get nothing of it.
    "network.list_nodes": Entry("GET", "none", lambda s: ("/nodes", None), _NETWORK_READ),
    "network.get_node": Entry("GET", "none", lambda s: (f"/nodes/{s['node']}", None), {**_NETWORK_READ, "node": (OK, 404)}),
    "network.create_node": Entry("POST", "none", lambda s: ("/nodes", {
        "code": f"RN-{next(_counter)}", "name": "Roles store", "kind": "store", "pin": s["pin"]}), _ADMIN_ONLY),
    "network.update_node": Entry("PATCH", "none", lambda s: (f"/nodes/{s['node']}", {"daily_capacity": 900}),
                                 _ADMIN_ONLY),
    "network.remove_node": Entry("DELETE", "none", lambda s: (f"/nodes/{s['node']}", None), _ADMIN_ONLY),
    "network.list_skus": Entry("GET", "none", lambda s: ("/skus?limit=5", None), _NETWORK_READ),
    "network.get_sku": Entry("GET", "none", lambda s: (f"/skus/{SKU}", None), _NETWORK_READ),
    "network.create_sku": Entry("POST", "none", lambda s: ("/skus", {
        "code": f"RS-{next(_counter)}", "name": "Roles SKU", "category": "misc", "unit_weight_g": 100, "length_mm": 10,
        "width_mm": 10, "height_mm": 10, "unit_price_paise": 100}), _ADMIN_ONLY),
    "network.update_sku": Entry("PATCH", "none", lambda s: (f"/skus/{SKU}", {"fragile": True}), _ADMIN_ONLY),
    "network.list_carriers": Entry("GET", "none", lambda s: ("/carriers", None), _NETWORK_READ),
    "network.get_carrier": Entry("GET", "none", lambda s: (f"/carriers/{s['carrier']}", None), _NETWORK_READ),
    "network.create_carrier": Entry("POST", "none", lambda s: ("/carriers", {
        "code": f"RC-{next(_counter)}", "name": "Roles carrier"}), _ADMIN_ONLY),
    "network.update_carrier": Entry("PATCH", "none", lambda s: (f"/carriers/{s['carrier']}", {"max_weight_g": 29000}),
                                    _ADMIN_ONLY),
    "network.put_rate_card": Entry("PUT", "none", lambda s: (f"/carriers/{s['carrier']}/rate-card", {"zones": [
        {"zone": z, "first_slab_paise": 4000, "additional_slab_paise": 3000} for z in "ABCDE"]}), _ADMIN_ONLY),
    "network.list_serviceability": Entry("GET", "none", lambda s: (f"/carriers/{s['carrier']}/serviceability", None),
                                         _NETWORK_READ),
    "network.put_serviceability": Entry("PUT", "none", lambda s: (f"/carriers/{s['carrier']}/serviceability", {
        "rows": [{"pin_prefix": p} for p in "123456789"]}), _ADMIN_ONLY),
    "network.list_channels": Entry("GET", "none", lambda s: ("/channels", None),
                                   {**_NETWORK_READ, "node": (403, 403)}),
    "network.get_channel": Entry("GET", "none", lambda s: (f"/channels/{s['channel']}", None),
                                 {**_NETWORK_READ, "node": (403, 403)}),
    "network.create_channel": Entry("POST", "none", lambda s: ("/channels", {
        "code": f"rch-{next(_counter)}", "name": "Roles channel", "kind": "webshop"}), _ADMIN_ONLY),
    "network.update_channel": Entry("PATCH", "none", lambda s: (f"/channels/{s['channel']}", {"buffer_units": 1}),
                                    _ADMIN_ONLY),
    "network.import_file": Entry("POST", "none", lambda s: ("/network/imports/skus?dry_run=true",
                                 f"code,name,category,unit_weight_g,length_mm,width_mm,height_mm,unit_price_paise\n"
                                 f"{SKU},Renamed,misc,100,10,10,10,100\n"), _ADMIN_ONLY),
    "network.export_file": Entry("GET", "none", lambda s: ("/network/exports/nodes", None),
                                 {**_NETWORK_READ, "node": (403, 403)}),
    # ---- channels both ways (issue 27): shop credentials, aliases, pushes, the failed-intake queue, outbound
    # webhook subscriptions: admin only (analysts may read aliases and the queue); exports: admin, analyst, and a
    # channel its own channel's orders.
    "channel_push.get_push_settings": Entry("GET", "channel27", lambda s: (
        f"/channels/{s['channel']}/push-settings", None), _ADMIN_ONLY),
    "channel_push.put_push_settings": Entry("PUT", "none", lambda s: (f"/channels/{s['channel']}/push-settings", {
        "kind": "shopify", "settings": {"shop_url": "https://roles.myshopify.com", "access_token": "shpat_roles_1"}}),
        _ADMIN_ONLY),
    "channel_push.delete_push_settings": Entry("DELETE", "channel27", lambda s: (
        f"/channels/{s['channel']}/push-settings", None), _ADMIN_ONLY),
    "channel_push.list_aliases": Entry("GET", "channel27", lambda s: (f"/channels/{s['channel']}/sku-aliases", None),
                                       {**_READ_ALL, "channel": (403, 403), "node": (403, 403), "carrier": (403, 403)}),
    "channel_push.put_alias": Entry("PUT", "none", lambda s: (f"/channels/{s['channel']}/sku-aliases/THEIRS-1",
                                                              {"sku": SKU}), _ADMIN_ONLY),
    "channel_push.delete_alias": Entry("DELETE", "channel27", lambda s: (
        f"/channels/{s['channel']}/sku-aliases/THEIRS-1", None), _ADMIN_ONLY),
    "channel_push.list_pushes": Entry("GET", "channel27", lambda s: (f"/channels/{s['channel']}/pushes", None),
                                      _ADMIN_ONLY),
    "channel_push.requeue_push": Entry("POST", "channel27", lambda s: (
        f"/channels/{s['channel']}/pushes/{s['push']}/requeue", None), _ADMIN_ONLY),
    "channel_push.stock_resync": Entry("POST", "channel27", lambda s: (f"/channels/{s['channel']}/stock-resync",
                                                                        {"full": False}), _ADMIN_ONLY),
    "failed_intakes.list_intakes": Entry("GET", "channel27", lambda s: (f"/failed-intakes?channel={s['channel']}", None),
                                         {**_READ_ALL, "channel": (403, 403), "node": (403, 403), "carrier": (403, 403)}),
    "failed_intakes.get_intake": Entry("GET", "channel27", lambda s: (f"/failed-intakes/{s['intake']}", None),
                                       {**_READ_ALL, "channel": (403, 403), "node": (403, 403), "carrier": (403, 403)}),
    "failed_intakes.resubmit": Entry("POST", "channel27", lambda s: (f"/failed-intakes/{s['intake']}/resubmit", {
        "payload": order_body(s["intake_ext"], channel=s["channel"], pin=s["pin"], lines=[{"sku": SKU, "qty": 1}])}),
        _ADMIN_ONLY),
    "failed_intakes.discard": Entry("POST", "channel27", lambda s: (f"/failed-intakes/{s['intake']}/discard",
                                                                    {"reason": "test order"}), _ADMIN_ONLY),
    "webhook_subscriptions.create": Entry("POST", "none", lambda s: ("/webhook-subscriptions", {
        "url": "https://erp.example.in/hook", "events": ["order.*"]}), _ADMIN_ONLY),
    "webhook_subscriptions.list_all": Entry("GET", "channel27", lambda s: ("/webhook-subscriptions", None), _ADMIN_ONLY),
    "webhook_subscriptions.get_one": Entry("GET", "channel27", lambda s: (
        f"/webhook-subscriptions/{s['subscription']}", None), _ADMIN_ONLY),
    "webhook_subscriptions.patch": Entry("PATCH", "channel27", lambda s: (
        f"/webhook-subscriptions/{s['subscription']}", {"description": "ERP"}), _ADMIN_ONLY),
    "webhook_subscriptions.delete": Entry("DELETE", "channel27", lambda s: (
        f"/webhook-subscriptions/{s['subscription']}", None), _ADMIN_ONLY),
    "webhook_subscriptions.deliveries": Entry("GET", "channel27", lambda s: (
        f"/webhook-subscriptions/{s['subscription']}/deliveries", None), _ADMIN_ONLY),
    "webhook_subscriptions.replay": Entry("POST", "channel27", lambda s: (
        f"/webhook-subscriptions/{s['subscription']}/deliveries/{s['delivery']}/replay", None), _ADMIN_ONLY),
    "exports.orders_csv": Entry("GET", "allocated", lambda s: (f"/exports/orders.csv?channel={s['channel']}", None),
                                {**_READ_ALL, "channel": (OK, 403), "node": (403, 403), "carrier": (403, 403)}),
    "exports.inventory_csv": Entry("GET", "none", lambda s: ("/exports/inventory.csv", None),
                                   {**_READ_ALL, "channel": (403, 403), "node": (403, 403), "carrier": (403, 403)}),
}


# Fulfilment (issue 26): rows of their own module, on scenario "fulfil26".
from tests.api.roles_fulfilment import ROWS as _FULFILMENT_ROWS  # noqa: E402
from tests.api.roles_fulfilment import fulfil26_scenario  # noqa: E402

MATRIX.update({name: Entry(method, "fulfil26", call, expect) for name, (method, call, expect) in _FULFILMENT_ROWS.items()})


def _rule_body() -> dict:
    return {"name": f"tag cod {next(_counter)}", "kind": "validation", "condition": 'order.payment_mode == "COD"',
            "actions": [{"type": "add_tag", "tag": "cod"}]}


# ---------------------------------------------------------------- scenario


def _scenario(client, admin_headers, uow_factory, state: str) -> dict[str, dict]:
    """Both sides, moved to ``state`` by the admin: none | rule | allocated | held | accepted | packed | shipped."""
    out = {}
    for side, spec in SIDES.items():
        objs = dict(spec)
        if state == "rule":
            r = client.post("/rules", json=_rule_body(), headers=admin_headers)
            assert r.status_code in (200, 201), r.get_json()
            objs["rule"] = r.get_json()["id"]
        elif state in ("transfer", "inbound"):  # issue 6: a transfer from (or, dispatched, to) the side's node
            source, dest = (spec["node"], "BLR-FC1") if state == "transfer" else ("BLR-FC1", spec["node"])
            r = client.post("/transfers", json={"source": source, "destination": dest,
                                                "lines": [{"sku": SKU, "qty": 1}]}, headers=admin_headers)
            assert r.status_code == 201, r.get_json()
            objs["transfer"] = r.get_json()["id"]
            if state == "inbound":
                r = client.post(f"/transfers/{objs['transfer']}/dispatch", headers=admin_headers)
                assert r.status_code == 200, r.get_json()
        elif state in ("pickup_accepted", "pickup_ready"):  # issue 6: a pickup order at the side's store
            store = {"W": "CHN-ST1", "A": "MUM-ST1"}[side]
            r = client.post("/inventory/adjustments", json={"adjustments": [
                {"node": store, "sku": "SKU-0001", "delta": 2, "reason": "receipt"}]}, headers=admin_headers)
            assert r.status_code == 200, r.get_json()
            r = client.post("/orders", json=order_body(f"roles-{side}-{next(_counter)}", channel=spec["channel"],
                                                       pin=spec["pin"], lines=[{"sku": "SKU-0001", "qty": 1}],
                                                       delivery_mode="pickup", pickup_node=store),
                            headers=admin_headers)
            assert r.status_code == 201 and r.get_json()["status"] == "ALLOCATED", r.get_json()
            objs.update(order=r.get_json()["id"], shipment=r.get_json()["shipments"][0]["id"])
            steps = ["accept"] + (["ready"] if state == "pickup_ready" else [])
            for step in steps:
                r = client.post(f"/shipments/{objs['shipment']}/{step}", headers=admin_headers)
                assert r.status_code == 200, (step, r.get_json())
            objs["code"] = client.get(f"/orders/{objs['order']}/pickup", headers=admin_headers).get_json()["pickup_code"]
        elif state == "fulfil26":
            objs.update(fulfil26_scenario(client, admin_headers, uow_factory, spec, order_body))
        elif state == "channel27":  # issue 27: push settings, an alias, a kept failed order, a subscription
            objs.update(_channel27_scenario(client, admin_headers, spec))
        elif state in _RETURN_STATES:  # issue 8: a delivered order, a return of it, or store credit
            objs.update(_return_scenario(client, admin_headers, uow_factory, side, spec, state))
        elif state != "none":
            n = next(_counter)
            objs["customer"] = f"cust-{side}-{n}"  # a customer of this side's channel only
            r = client.post("/orders", json=order_body(f"roles-{side}-{n}", channel=spec["channel"], pin=spec["pin"],
                                                       lines=[{"sku": SKU, "qty": 1}], customer_id=objs["customer"]),
                            headers=admin_headers)
            assert r.status_code == 201, r.get_json()
            order = r.get_json()
            assert order["status"] == "ALLOCATED", order
            (shipment,) = order["shipments"]
            assert shipment["node"] == spec["node"], f"side {side} is meant to ship from {spec['node']}"
            with uow_factory() as uow:  # each side's carrier is fixed so carrier keys have something to own
                uow.shipments.set_carrier(shipment["id"], spec["carrier"])
                uow.commit()
            objs.update(order=order["id"], shipment=shipment["id"], notification=_notification_of(uow_factory, order["id"]))
            steps = {"held": [("/orders/{o}/hold", {"reason": "check"})],
                     "accepted": [("/shipments/{s}/accept", None)],
                     "packed": [("/shipments/{s}/accept", None),
                                ("/shipments/{s}/pack", {"weight_g": 500, "length_mm": 200, "width_mm": 150,
                                                         "height_mm": 100})],
                     "shipped": [("/shipments/{s}/accept", None),
                                 ("/shipments/{s}/pack", {"weight_g": 500, "length_mm": 200, "width_mm": 150,
                                                          "height_mm": 100}),
                                 ("/shipments/{s}/ship", {"awb": f"AWB-{side}-{next(_counter):06d}"})]}
            for url, body in steps.get(state, []):
                r = client.post(url.format(o=order["id"], s=shipment["id"]), json=body, headers=admin_headers)
                assert r.status_code == 200, (url, r.get_json())
        out[side] = objs
    return out


_RETURN_STATES = ("delivered", "requested", "returned", "credit", "work_order", "payment")


def _return_scenario(client, admin_headers, uow_factory, side: str, spec: dict, state: str) -> dict:
    """A delivered order of a customer of ``spec`` (``delivered``); plus a one-unit return of it, left
    REQUESTED (``requested``) or scheduled and sent to the side's node (``returned``), or received there
    with grade B, which opens a work order (``work_order``); or the customer holding store credit
    (``credit``)."""
    from omnialloc.store.repositories.returns import ReturnRepository, StoreCreditRepository
    from tests.api.conftest import signed_tracking

    n = next(_counter)
    customer = f"cust-{side}-{n}"
    r = client.post("/orders", json=order_body(f"roles-ret-{side}-{n}", channel=spec["channel"], pin=spec["pin"],
                                               lines=[{"sku": SKU, "qty": 1}], customer_id=customer),
                    headers=admin_headers)
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    (shipment,) = order["shipments"]
    with uow_factory() as uow:
        uow.shipments.set_carrier(shipment["id"], spec["carrier"])
        uow.commit()
    awb = f"AWB-R{side}-{n:06d}"
    for url, body in ((f"/shipments/{shipment['id']}/accept", None),
                      (f"/shipments/{shipment['id']}/pack", {"weight_g": 500, "length_mm": 200, "width_mm": 150,
                                                              "height_mm": 100}),
                      (f"/shipments/{shipment['id']}/ship", {"awb": awb})):
        assert client.post(url, json=body, headers=admin_headers).status_code == 200
    r = signed_tracking(client, spec["carrier"], [{"awb": awb, "status": "delivered", "at": "2099-01-01T00:00:00Z"}])
    assert r.get_json()["applied"] == 1, r.get_json()
    objs = {"order": order["id"], "customer": customer}
    if state == "credit":
        with uow_factory() as uow:
            StoreCreditRepository(uow.conn).move(customer, 10_000, actor="test", reason="scenario")
            uow.commit()
    if state == "payment":  # a pending payment request on the order (what a dearer exchange raises)
        from datetime import UTC, datetime

        from omnialloc.domain.payments import PaymentRequest

        objs["payment"] = f"pay_roles{n:06d}{side}"
        with uow_factory() as uow:
            uow.payment_requests.add(PaymentRequest(
                id=objs["payment"], order_id=order["id"], channel=spec["channel"], amount_paise=10_000,
                status="pending", created_at=datetime.now(UTC), customer_id=customer, reason="scenario"))
            uow.commit()
    if state in ("requested", "returned", "work_order"):
        ext = client.application.extensions["omnialloc"]
        saved = ext["settings"]
        ext["settings"] = saved.replace(return_auto_approve=state != "requested")
        ext.pop("ctx", None)
        try:
            r = client.post(f"/orders/{order['id']}/returns", headers=admin_headers, json={
                "lines": [{"line_no": 1, "qty": 1, "reason": "size_fit"}], "resolution": "refund"})
        finally:
            ext["settings"] = saved
            ext.pop("ctx", None)
        assert r.status_code == 201, r.get_json()
        objs["return"] = r.get_json()["id"]
        if state != "requested":  # the solver's choice depends on stock levels; pin it to the side's node
            with uow_factory() as uow:
                ReturnRepository(uow.conn).update(objs["return"], destination_node=spec["node"])
                uow.commit()
        if state == "work_order":  # received there with grade B: a refurbish work order at the side's node
            r = client.post(f"/returns/{objs['return']}/receive", json={"units": [{"line_no": 1, "grade": "B"}]},
                            headers=admin_headers)
            assert r.status_code == 200, r.get_json()
            (objs["work_order"],) = [w["id"] for w in r.get_json()["work_orders"]]
    return objs


def _notification_of(uow_factory, order_id: str) -> str | None:
    try:
        from omnialloc.store.tables.notifications import notifications
    except ImportError:
        return None
    with uow_factory(readonly=True) as uow:
        return uow.conn.execute(sa.select(notifications.c.id).where(notifications.c.order_id == order_id)
                                .order_by(notifications.c.id)).scalars().first()


def _fingerprint(uow_factory) -> tuple:
    """Everything a denied request must leave as it was."""
    from omnialloc.store.tables import load_all
    from omnialloc.store.tables.events import events
    from omnialloc.store.tables.inventory import inventory
    from omnialloc.store.tables.orders import order_lines, orders
    from omnialloc.store.tables.shipments import shipments

    with uow_factory(readonly=True) as uow:
        c = uow.conn
        return (
            tuple((t.name, c.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                  for t in load_all().sorted_tables),
            tuple(c.execute(sa.select(orders.c.id, orders.c.status).order_by(orders.c.id)).all()),
            tuple(c.execute(sa.select(order_lines.c.order_id, order_lines.c.line_no, order_lines.c.cancelled_qty)
                            .order_by(order_lines.c.order_id, order_lines.c.line_no)).all()),
            tuple(c.execute(sa.select(shipments.c.id, shipments.c.status, shipments.c.awb,
                                      shipments.c.billed_weight_g).order_by(shipments.c.id)).all()),
            c.execute(sa.select(sa.func.count()).select_from(events)).scalar_one(),
            tuple(c.execute(sa.select(sa.func.sum(inventory.c.on_hand), sa.func.sum(inventory.c.reserved))).one()),
            # Every row of every table (returns, transfers, pickups, credit, rules, preferences...), so a
            # denied request that flips a status or a timestamp anywhere is caught, not only in orders.
            tuple((t.name, tuple(sorted(map(repr, c.execute(sa.select(t)).all()))))
                  for t in load_all().sorted_tables if t.name != "api_keys"),
        )


def _channel27_scenario(client, admin_headers, spec) -> dict:
    """The side's channel pushes to a shop (a stock push queued), has an alias and a failed order kept, and a
    webhook subscription has a delivery queued."""
    channel, n = spec["channel"], next(_counter)
    r = client.put(f"/channels/{channel}/push-settings", headers=admin_headers, json={
        "kind": "shopify", "settings": {"shop_url": f"https://roles-{channel}.myshopify.com",
                                        "access_token": "shpat_roles_1"}})
    assert r.status_code == 200, r.get_json()
    r = client.post("/webhook-subscriptions", headers=admin_headers, json={
        "url": f"https://erp.example.in/{channel}/{n}", "events": ["*"]})
    assert r.status_code == 201, r.get_json()
    subscription = r.get_json()["id"]
    assert client.put(f"/channels/{channel}/sku-aliases/THEIRS-1", headers=admin_headers,
                      json={"sku": SKU}).status_code == 200
    r = client.post(f"/channels/{channel}/stock-resync", headers=admin_headers, json={"full": True})
    assert r.status_code == 202, r.get_json()
    push = client.get(f"/channels/{channel}/pushes", headers=admin_headers).get_json()["items"][0]["id"]
    ext = f"roles-bad-{channel}-{n}"
    r = client.post("/orders", headers=admin_headers, json=order_body(ext, channel=channel, pin=spec["pin"],
                                                                      lines=[{"sku": "NO-SUCH-SKU", "qty": 1}]))
    assert r.status_code == 422, r.get_json()
    intake = client.get(f"/failed-intakes?channel={channel}", headers=admin_headers).get_json()["items"][0]["id"]
    delivery = client.get(f"/webhook-subscriptions/{subscription}/deliveries",
                          headers=admin_headers).get_json()["items"][0]["id"]
    return {"push": push, "intake": intake, "intake_ext": ext, "subscription": subscription, "delivery": delivery}


def _check(r, expected, where: str) -> None:
    body = r.get_json(silent=True)
    assert r.status_code < 500, f"{where}: {r.status_code} {body}"
    if expected in (OK, EMPTY):
        assert 200 <= r.status_code < 300, f"{where}: expected success, got {r.status_code} {body}"
        if expected == EMPTY:
            assert body["items"] == [], f"{where}: expected nothing visible, got {body['items']}"
    else:
        assert r.status_code == expected, f"{where}: expected {expected}, got {r.status_code} {body}"
        assert set(body) == {"status", "title", "detail", "errors"} and body["status"] == expected, body


def _send(client, entry: Entry, objs: dict, headers: dict):
    url, body = entry.call(objs)
    if isinstance(body, str):  # a CSV upload (issue 6: stock imports)
        return client.open(url, method=entry.method, data=body.encode(), content_type="text/csv", headers=headers)
    if body is None:
        return client.open(url, method=entry.method, headers=headers)
    return client.open(url, method=entry.method, json=body, headers=headers)


# ---------------------------------------------------------------- tests


def _api_endpoints(app) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(CONSOLE):
            continue
        out.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return out


def test_every_endpoint_is_in_the_matrix(app):
    """A new endpoint needs a MATRIX row (or a reasoned place in PUBLIC / SIGNED) before it ships."""
    endpoints = _api_endpoints(app)
    missing = sorted(set(endpoints) - set(MATRIX) - PUBLIC - SIGNED - BASELINE_ONLY)
    assert not missing, f"endpoints without a role matrix row in tests/api/test_roles.py: {missing}"


def test_every_matrix_row_names_a_registered_endpoint_and_method(app):
    """The other direction: a renamed or removed endpoint must not leave a row that tests nothing."""
    endpoints = _api_endpoints(app)
    listed = set(MATRIX) | PUBLIC | SIGNED | BASELINE_ONLY
    stale = sorted(listed - set(endpoints))
    assert not stale, f"rows / exemptions in tests/api/test_roles.py for endpoints the app does not have: {stale}"
    wrong = [(name, entry.method, sorted(endpoints[name])) for name, entry in MATRIX.items()
             if entry.method not in endpoints[name]]
    assert not wrong, f"rows whose method the endpoint does not accept: {wrong}"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_role_matrix(client, app, keys, uow_factory, endpoint):
    assert endpoint in _api_endpoints(app), f"{endpoint} has a MATRIX row but is not registered in the app"
    entry = MATRIX[endpoint]
    admin = auth(keys["admin"])
    allowed, denied = [], []
    for role, kind in ROLE_KIND.items():
        own_side = OWN_SIDE.get(role, "W")
        other_side = "A" if own_side == "W" else "W"
        for side, expected in zip((own_side, other_side), entry.expect[kind]):
            (allowed if expected in (OK, EMPTY) else denied).append((role, side, expected))

    # Denied (and no-key / bad-key) requests all run against one scenario, which must not change.
    objs = _scenario(client, admin, uow_factory, entry.state)
    before = _fingerprint(uow_factory)
    for role, side, expected in denied:
        _check(_send(client, entry, objs[side], auth(keys[role])), expected, f"{endpoint} as {role} on {side}")
    for label, headers in (("no key", {}), ("bad key", auth("oa_" + "x" * 43)), ("not a key", auth("hello")),
                           ("basic auth", {"Authorization": "Basic YWRtaW46YWRtaW4="})):
        for side in SIDES:
            _check(_send(client, entry, objs[side], headers), 401, f"{endpoint} with {label} on {side}")
    assert _fingerprint(uow_factory) == before, f"a denied {endpoint} request changed something"

    # Allowed requests: reads share the scenario, writes get a fresh one each (they change state).
    for role, side, expected in allowed:
        if entry.method != "GET":
            objs = _scenario(client, admin, uow_factory, entry.state)
        _check(_send(client, entry, objs[side], auth(keys[role])), expected, f"{endpoint} as {role} on {side}")


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC | SIGNED
            and not r.endpoint.startswith(CONSOLE)]


def test_baseline_auth_on_every_endpoint(client, app, keys):
    """Every authenticated endpoint (MATRIX or not): no key / a bad key is 401; no role ever gets a 5xx."""
    import re

    for rule in _rules(app):
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1" if "int:" in m.group(0) else "x-unknown", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, auth("oa_" + "x" * 43)):
                r = client.open(url, method=method, headers=headers, json={} if method != "GET" else None)
                _check(r, 401, f"{method} {rule.rule} without a valid key")
            for role in ROLE_KIND:
                r = client.open(url, method=method, headers=auth(keys[role]), json={} if method != "GET" else None)
                assert r.status_code < 500, (method, rule.rule, role, r.status_code, r.get_json(silent=True))


def test_a_revoked_key_is_401(client, keys, uow_factory):
    from omnialloc.store.tables.api_keys import api_keys

    with uow_factory() as uow:
        uow.conn.execute(api_keys.update().where(api_keys.c.name == "test-analyst")
                         .values(revoked_at=sa.func.now()))
        uow.commit()
    r = client.get("/orders", headers=auth(keys["analyst"]))
    _check(r, 401, "revoked analyst key")


def test_tracking_webhook_ignores_api_keys(client, keys):
    """Carrier events are authenticated by the HMAC signature only: an API key, even admin's, is no substitute."""
    body = {"events": [{"awb": "AWB-NONE", "status": "in_transit", "at": "2026-11-26T10:00:00Z"}]}
    for role in ("admin", "carrier_xpr"):
        _check(client.post("/tracking/XPR", json=body, headers=auth(keys[role])), 401, f"tracking with {role} key")


def test_public_tracking_needs_no_key(client):
    r = client.get("/track/AWB-DOES-NOT-EXIST")
    _check(r, 404, "public tracking of an unknown AWB")
