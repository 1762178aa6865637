"""The notification outbox: the customer messages an audit event calls for, written with the event.

``outbox_rows`` subscribes to ``Recorded`` on the message bus (``services.subscribers``), so it runs
for every audit event, inside the transaction that records it. When the event is one a buyer hears
about (``notify.catalog``), it gives one row per channel with the facts the templates need, which
the event repository writes with the event. A rolled-back change therefore leaves no notification
and a committed one always has its rows. The idempotency key is unique, so recording the same
change twice writes nothing new. The rows are sent by the delivery worker
(``services.notifications.worker``).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict
from datetime import date, datetime

from omnialloc.notify import catalog
from omnialloc.notify import context as message_context
from omnialloc.notify.catalog import Channel, Kind
from omnialloc.services.events import now
from omnialloc.services.messages import Recorded
from omnialloc.services.network.cache import skus as sku_master

log = logging.getLogger("omnialloc.notify")


def outbox_rows(uow, recorded: Recorded) -> list[dict]:
    """The outbox rows a recorded event calls for (none for most events), for ``uow.events.add`` to write with
    it: the bus's subscriber to ``Recorded`` (``services.subscribers``).

    ``recorded.subject``: the order of an order event as it stands in this transaction, if the recorder has it.
    """
    event, order = recorded.event, recorded.subject
    due = catalog.due_for(event)
    if due is None:
        return []
    facts = _facts(uow, due, event, order)
    if facts is None:
        log.warning("no order found for %s %s; no notification written", due.entity, due.entity_id)
        return []
    order, ctx = facts
    at = event.at or now()
    rows = []
    for channel in Channel:
        recipient = _recipient(order, channel)
        rows.append(dict(
            id="ntf_" + secrets.token_hex(8), idempotency_key=catalog.idempotency_key(due, channel, at),
            order_id=order.id, entity=due.entity, entity_id=due.entity_id, kind=str(due.kind),
            channel=str(channel), recipient=recipient, customer_id=order.customer_id, context=ctx,
            status="pending" if recipient else "skipped", attempts=0, next_attempt_at=at,
            last_error=None if recipient else f"the order has no {_CONTACT[channel]}",
            created_at=at, updated_at=at,
        ))
    return rows


_CONTACT = {Channel.EMAIL: "email address", Channel.SMS: "phone number"}


def _recipient(order, channel: Channel) -> str:
    to = order.ship_to
    value = (to.email if channel == Channel.EMAIL else to.phone) or ""
    return value.strip()


def _facts(uow, due: catalog.Due, event, order=None):
    """(order, template facts) for the subject of ``due``, read in the event's own transaction
    (an order event's ``order`` is taken as given when the caller passes it)."""
    payload = dict(event.payload or {})
    shipment = rma = pickup = None
    if due.entity == "order":
        if order is None or order.id != due.entity_id:
            order = uow.orders.get(due.entity_id)
        if due.kind == Kind.REFUND_ISSUED:
            rma = _return_facts(uow, payload.get("return_id"), payload)
        elif due.kind == Kind.READY_FOR_PICKUP and order is not None:
            pickup = _pickup_facts(uow, order, payload)
    elif due.entity == "shipment":
        shipment = uow.shipments.get(due.entity_id)
        order = uow.orders.get(shipment.order_id if shipment else payload.get("order_id"))
    elif due.entity == "return":
        rma = _return_facts(uow, due.entity_id, payload)
        order = uow.orders.get(rma.get("order_id")) if rma.get("order_id") else None
    else:
        return None
    if order is None:
        return None
    codes = {l.sku for l in order.lines}
    # The per-process SKU master cache (services.network.cache) that capture and allocation already use.
    sku_names = {code: sku.name for code, sku in sku_master(uow, sorted(codes)).items()} if codes else {}
    carriers = {c for c in (shipment.carrier if shipment else None, (rma or {}).get("carrier")) if c}
    carrier_names = {}
    for code in carriers:
        carrier = uow.carriers.get(code)
        if carrier is not None:
            carrier_names[code] = carrier.name
    # Only a carrier's remark on a failed attempt is meant for the buyer; other reasons are internal.
    reason = event.reason if due.kind == Kind.DELIVERY_FAILED else payload.get("customer_reason")
    ctx = message_context.build(order=order, shipment=shipment, rma=rma, reason=reason, carrier_names=carrier_names,
                                sku_names=sku_names, awb=payload.get("awb"), pickup=pickup)
    return order, _jsonable(ctx)


def _pickup_facts(uow, order, payload: dict) -> dict:
    """Where and until when the order waits at the counter, and the code to show there (``services.fulfilment.pickups``
    stores the code before it records the order's move to READY_FOR_PICKUP, in the same transaction)."""
    store = payload.get("pickup_node") or order.pickup_node
    node = uow.nodes.get(store) if store else None
    address = None
    if node is not None:
        address = ", ".join(part for part in (node.address, node.city, f"{node.state} {node.pin}".strip()) if part)
    expires = payload.get("expires_at")
    return {"code": uow.orders.pickup_code(order.id), "store_name": node.name if node is not None else store,
            "store_address": address, "expires_on": str(expires)[:10] if expires else None}


def _return_facts(uow, return_id: str | None, payload: dict) -> dict:
    """What templates need about a return: from the returns repository when there is one, then the event."""
    facts: dict = {}
    if return_id:
        record = uow.returns.get(return_id)
        if record is not None:
            facts.update(asdict(record))
        refund = uow.returns.refund(return_id)
        if refund is not None:
            facts.setdefault("refund_paise", refund.amount_paise)
            facts["refund_method"] = refund.method or facts.get("refund_method")
    facts.update({k: v for k, v in payload.items() if v is not None})
    facts.setdefault("id", return_id or payload.get("return_id"))
    for alias in ("amount_paise", "refund_amount_paise"):
        if facts.get("refund_paise") is None and facts.get(alias) is not None:
            facts["refund_paise"] = facts[alias]
    if facts.get("pickup_date") is None and facts.get("pickup_at") is not None:
        facts["pickup_date"] = str(facts["pickup_at"])[:10]
    return facts


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return value.value
    return value
