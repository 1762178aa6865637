"""Tiny builders for rule tests: facts for one order, a small catalogue, a rule spec."""

from __future__ import annotations

from datetime import UTC, datetime

from omnialloc.rules import Catalog, NodeInfo, OrderInput, RuleSpec, build_facts, compile_rule

CATALOG = Catalog(
    nodes={
        "CHN-FC1": NodeInfo("CHN-FC1", "warehouse", frozenset({"south-fcs"})),
        "BLR-FC1": NodeInfo("BLR-FC1", "warehouse", frozenset({"south-fcs"})),
        "MUM-FC1": NodeInfo("MUM-FC1", "warehouse", frozenset({"west-fcs"})),
        "DEL-FC1": NodeInfo("DEL-FC1", "warehouse", frozenset({"north-fcs"})),
        "CHN-ST1": NodeInfo("CHN-ST1", "store", frozenset()),
    },
    carriers={"BLUEDART", "DELHIVERY", "XPRESSBEES"},
    skus={"TSHIRT-M", "SHOE-9", "PHONE-X", "CASE-X"},
    categories={"apparel", "footwear", "electronics"},
)

CATEGORY = {"TSHIRT-M": "apparel", "SHOE-9": "footwear", "PHONE-X": "electronics", "CASE-X": "electronics"}


def facts(*, channel="web", payment_mode="PREPAID", priority=0, tags=(), promised_days=None,
          created_at=datetime(2024, 3, 4, 6, 0, tzinfo=UTC), lines=(("TSHIRT-M", 1, 49_900),),
          pin="600001", city="Chennai", state="TN", zone="A", region="south", customer_orders=0):
    return build_facts(OrderInput(
        channel=channel, payment_mode=payment_mode, priority=priority, tags=list(tags), promised_days=promised_days,
        created_at=created_at, lines=[(i + 1, sku, qty, price) for i, (sku, qty, price) in enumerate(lines)],
        pin=pin, city=city, state=state, zone=zone, region=region,
        sku_weight_g={"TSHIRT-M": 250, "SHOE-9": 900, "PHONE-X": 400, "CASE-X": 50}, sku_category=CATEGORY,
        customer_order_count=customer_orders))


_ids = iter(range(1, 10**6))


def rule(kind, condition, *actions, priority=100, name=None, stop=False, id=None, catalog=CATALOG, enabled=True):
    rid = id if id is not None else next(_ids)
    spec = RuleSpec(id=rid, name=name or f"rule {rid}", kind=kind, condition=condition, actions=list(actions),
                    priority=priority, stop_processing=stop, enabled=enabled)
    return compile_rule(spec, catalog)
