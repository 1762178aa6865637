"""Returns over HTTP (issue 8): eligibility, reverse pickup, grading and disposition, resolutions, RTO, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import auth, order_body, signed_tracking

SKU = "SKU-0024"  # stocked at CHN-FC1 and MUM-FC1 (see test_roles)


def _sku_of(uow_factory, category: str) -> str:
    with uow_factory(readonly=True) as uow:
        import sqlalchemy as sa

        from omnialloc.store.tables.inventory import inventory
        from omnialloc.store.tables.network import skus

        row = uow.conn.execute(sa.select(skus.c.code).join(inventory, inventory.c.sku == skus.c.code)
                               .where(skus.c.category == category, inventory.c.on_hand > 20)
                               .order_by(skus.c.code)).first()
    return row.code


def _stock(uow_factory, node: str, sku: str) -> tuple[int, int]:
    with uow_factory(readonly=True) as uow:
        pos = uow.inventory.get(node, sku)
    return (0, 0) if pos is None else (pos.on_hand, pos.reserved)


def _delivered(client, headers, ext: str, *, lines=None, delivered_at: datetime | None = None, **kw) -> dict:
    """An order captured, accepted, packed, shipped and delivered (at ``delivered_at``, default now)."""
    r = client.post("/orders", json=order_body(ext, lines=lines or [{"sku": SKU, "qty": 2}], **kw), headers=headers)
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert order["status"] == "ALLOCATED", order
    at = (delivered_at or datetime.now(UTC)).isoformat()
    for i, s in enumerate(order["shipments"]):
        for step, body in (("accept", None), ("pack", {"weight_g": 600, "length_mm": 250, "width_mm": 200,
                                                        "height_mm": 100}), ("ship", {"awb": f"AWB-{ext}-{i}"})):
            r = client.post(f"/shipments/{s['id']}/{step}", json=body, headers=headers)
            assert r.status_code == 200, (step, r.get_json())
        r = signed_tracking(client, s["carrier"], [{"awb": f"AWB-{ext}-{i}", "status": "delivered", "at": at}])
        assert r.get_json()["applied"] == 1, r.get_json()
    order = client.get(f"/orders/{order['id']}", headers=headers).get_json()
    assert order["status"] == "DELIVERED"
    return order


def _return(client, headers, order_id: str, lines, resolution="refund", status=201, **extra):
    r = client.post(f"/orders/{order_id}/returns", json={"lines": lines, "resolution": resolution, **extra},
                    headers=headers)
    assert r.status_code == status, r.get_json()
    return r.get_json()


def _field_messages(body) -> str:
    return " | ".join(f"{e['field']}: {e['message']}" for e in body["errors"])


# ---------------------------------------------------------------- eligibility


def test_an_order_not_yet_delivered_cannot_be_returned(client, keys):
    admin = auth(keys["admin"])
    order = client.post("/orders", json=order_body("ret-undelivered", lines=[{"sku": SKU, "qty": 1}]),
                        headers=admin).get_json()
    body = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}], status=422)
    assert "only delivered units can be returned" in body["detail"]
    assert body["errors"][0]["field"] == "order"


def test_a_return_after_the_channel_window_is_refused_with_the_dates(client, keys):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-late", delivered_at=datetime.now(UTC) - timedelta(days=31))
    body = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "changed_mind"}], status=422)
    msg = _field_messages(body)
    assert "31 days ago; the return window is 30 days (channel web: 30 days)" in msg, msg


def test_the_category_window_is_shorter_than_the_channels(client, keys, uow_factory):
    admin = auth(keys["admin"])
    gadget = _sku_of(uow_factory, "electronics")  # electronics: 10 days (OMNIALLOC_RETURN_WINDOW_DAYS_BY_CATEGORY)
    order = _delivered(client, admin, "ret-cat", lines=[{"sku": gadget, "qty": 1}],
                       delivered_at=datetime.now(UTC) - timedelta(days=12))
    body = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "changed_mind"}], status=422)
    assert "the return window is 10 days (category electronics: 10 days)" in _field_messages(body)


def test_more_units_than_delivered_minus_already_returned_is_refused(client, keys):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-qty")
    body = _return(client, admin, order["id"], [{"line_no": 1, "qty": 3, "reason": "size_fit"}], status=422)
    assert "only 2 unit(s) of line 1 can be returned (2 delivered, 0 already in returns)" in _field_messages(body)
    _return(client, admin, order["id"], [{"line_no": 1, "qty": 2, "reason": "size_fit"}])
    body = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}], status=422)
    assert "only 0 unit(s) of line 1 can be returned (2 delivered, 2 already in returns)" in _field_messages(body)


def test_a_non_returnable_category_is_refused(client, keys, uow_factory):
    admin = auth(keys["admin"])
    brief = _sku_of(uow_factory, "innerwear")
    order = _delivered(client, admin, "ret-inner", lines=[{"sku": brief, "qty": 1}])
    body = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}], status=422)
    assert f"{brief} (innerwear) is not returnable" in _field_messages(body)


def test_a_cod_refund_needs_a_bank_or_upi_reference(client, keys):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-cod", payment_mode="COD")
    body = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}], status=422)
    assert body["errors"][0]["field"] == "refund_account"


def test_store_credit_needs_a_customer_and_unknown_lines_are_named(client, keys):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-nocust")
    body = _return(client, admin, order["id"], [{"line_no": 9, "qty": 1, "reason": "size_fit"}],
                   resolution="store_credit", status=422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"lines.0.line_no", "resolution"}, body


def test_a_refused_return_stores_nothing(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-nothing")
    _return(client, admin, order["id"], [{"line_no": 1, "qty": 5, "reason": "size_fit"}], status=422)
    assert client.get(f"/returns?order_id={order['id']}", headers=admin).get_json()["items"] == []


# ---------------------------------------------------------------- refund path


def _walk_reverse(client, ret: dict, *scans: str) -> list[dict]:
    at = datetime.now(UTC)
    events = [{"awb": ret["awb"], "status": s, "at": (at + timedelta(hours=i)).isoformat()}
              for i, s in enumerate(scans)]
    r = signed_tracking(client, ret["carrier"], events)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"]


def test_refund_path_pickup_tracking_receive_grade_refund(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-refund")
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 2, "reason": "size_fit"}])
    # Auto-approved; the solver chose the destination and the reverse carrier and says why.
    assert ret["status"] == "PICKUP_SCHEDULED", ret
    assert ret["destination_node"] and ret["carrier"] and ret["awb"].startswith("R")
    assert ret["explanation"]["status"] == "OPTIMAL" and ret["explanation"]["why"].startswith(ret["destination_node"])
    assert ret["reverse_cost_paise"] > 0
    moves = [(e["from_status"], e["to_status"]) for e in ret["events"] if e["to_status"]]
    assert moves == [(None, "REQUESTED"), ("REQUESTED", "APPROVED"), ("APPROVED", "PICKUP_SCHEDULED")]

    results = _walk_reverse(client, ret, "picked_up", "in_transit", "delivered")
    public = client.get(f"/track/{ret['awb']}")  # the buyer can follow the reverse pickup too
    assert public.status_code == 200 and public.get_json()["status"] == "IN_TRANSIT", public.get_json()
    assert "Asha" not in public.get_data(as_text=True)
    assert [r["result"] for r in results] == ["applied", "applied", "ignored"]
    # The same scan again is a duplicate; an older one is stale.
    assert [r["result"] for r in _walk_reverse(client, ret, "in_transit")] == ["duplicate"]
    assert [r["result"] for r in _walk_reverse(client, ret, "picked_up")] == ["stale"]

    node = ret["destination_node"]
    before = _stock(uow_factory, node, SKU)
    r = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                    json={"units": [{"line_no": 1, "grade": "A"}, {"line_no": 1, "grade": "C"}]})
    assert r.status_code == 200, r.get_json()
    done = r.get_json()
    assert done["status"] == "CLOSED"
    assert done["lines"][0]["received_qty"] == 2
    assert {(d["grade"], d["qty"], d["disposition"]) for d in done["dispositions"]} == {("A", 1, "restock"),
                                                                                       ("C", 1, "write_off")}
    assert _stock(uow_factory, node, SKU) == (before[0] + 1, before[1])  # A restocked, C written off
    unit_price = order["lines"][0]["unit_price_paise"]
    assert done["refund"]["amount_paise"] == 2 * unit_price
    assert (done["refund"]["payment_mode"], done["refund"]["method"]) == ("PREPAID", "original")
    moves = [e["to_status"] for e in done["events"] if e["to_status"]]
    assert moves == ["REQUESTED", "APPROVED", "PICKUP_SCHEDULED", "PICKED_UP", "IN_TRANSIT", "RECEIVED", "GRADED",
                     "CLOSED"]
    assert "refund_issued" in {e["type"] for e in done["events"]}


def test_return_events_write_customer_messages_to_the_outbox(client, keys, uow_factory):
    import sqlalchemy as sa

    from omnialloc.store.tables.notifications import notifications

    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-notify")
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}])
    client.post(f"/returns/{ret['id']}/receive", headers=admin, json={"units": [{"line_no": 1, "grade": "A"}]})
    with uow_factory(readonly=True) as uow:
        kinds = set(uow.conn.execute(sa.select(notifications.c.kind).where(notifications.c.entity == "return")
                                     .where(notifications.c.entity_id == ret["id"])).scalars())
    assert kinds == {"return_approved", "return_pickup_scheduled", "return_received", "refund_issued"}
    with uow_factory(readonly=True) as uow:
        contexts = {r.kind: r.context for r in uow.conn.execute(
            sa.select(notifications.c.kind, notifications.c.context).where(notifications.c.entity_id == ret["id"])
            .where(notifications.c.channel == "sms"))}
    pickup = contexts["return_pickup_scheduled"]["rma"]
    assert (pickup["id"], pickup["awb"], pickup["pickup_date"]) == (ret["id"], ret["awb"], ret["pickup_date"])
    assert contexts["refund_issued"]["rma"]["refund_paise"] == order["lines"][0]["unit_price_paise"]


def test_a_cod_refund_keeps_the_upi_reference(client, keys):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-cod-ok", payment_mode="COD")
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "wrong_item"}],
                  refund_account={"method": "upi", "reference": "asha@okaxis"})
    done = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                       json={"units": [{"line_no": 1, "grade": "A"}]}).get_json()
    assert (done["refund"]["payment_mode"], done["refund"]["method"]) == ("COD", "upi")
    assert done["refund_reference"] == "asha@okaxis"


# ---------------------------------------------------------------- disposition


def test_dispositions_reconcile_with_the_received_units_and_stock(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-grades", lines=[{"sku": SKU, "qty": 4}])
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 4, "reason": "damaged"}])
    # Damaged goods go to the one refurbish/repair-capable node of the demo network.
    assert ret["destination_node"] == "RC-NGP1", ret["explanation"]
    assert "refurbish or repair" in ret["explanation"]["why"]
    node = ret["destination_node"]
    before = _stock(uow_factory, node, SKU)
    units = [{"line_no": 1, "grade": g} for g in ("A", "B", "C", "D")]
    done = client.post(f"/returns/{ret['id']}/receive", headers=admin, json={"units": units}).get_json()
    assert sum(d["qty"] for d in done["dispositions"]) == done["lines"][0]["received_qty"] == 4
    assert sorted((w["kind"], w["qty"], w["node"]) for w in done["work_orders"]) == [("refurbish", 1, node),
                                                                                       ("repair", 1, node)]
    assert _stock(uow_factory, node, SKU) == (before[0] + 1, before[1])


def test_grading_more_units_than_returned_is_refused_and_changes_nothing(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-overgrade")
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}])
    r = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                    json={"units": [{"line_no": 1, "grade": "A", "qty": 2}]})
    assert r.status_code == 422, r.get_json()
    assert client.get(f"/returns/{ret['id']}", headers=admin).get_json()["status"] == "PICKUP_SCHEDULED"


# ---------------------------------------------------------------- store credit


def test_store_credit_path_credits_the_customer_and_can_be_spent(client, keys):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-credit", customer_id="cust-42")
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "changed_mind"}],
                  resolution="store_credit")
    done = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                       json={"units": [{"line_no": 1, "grade": "A"}]}).get_json()
    assert done["status"] == "CLOSED" and done["refund"] is None
    price = order["lines"][0]["unit_price_paise"]
    credit = client.get("/customers/cust-42/store-credit", headers=admin).get_json()
    assert credit["balance_paise"] == price
    assert credit["ledger"][0]["return_id"] == ret["id"]
    # Usable on a new order of the same customer, never below zero.
    new = client.post("/orders", json=order_body("ret-credit-new", lines=[{"sku": SKU, "qty": 1}],
                                                 customer_id="cust-42"), headers=admin).get_json()
    r = client.post("/customers/cust-42/store-credit/redeem", headers=admin,
                    json={"amount_paise": price + 1, "order_id": new["id"]})
    assert r.status_code == 422, r.get_json()
    r = client.post("/customers/cust-42/store-credit/redeem", headers=admin,
                    json={"amount_paise": price - 100, "order_id": new["id"]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["balance_paise"] == 100


# ---------------------------------------------------------------- exchange


def test_exchange_path_allocates_a_new_order_that_ships_after_pickup(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-exch", lines=[{"sku": SKU, "qty": 1}])
    other = "SKU-0002"
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit",
                                                "exchange_sku": other}], resolution="exchange")
    assert ret["exchange_order_id"], ret["events"]
    exchange = client.get(f"/orders/{ret['exchange_order_id']}", headers=admin).get_json()
    assert exchange["status"] == "ALLOCATED"
    assert [(l["sku"], l["qty"]) for l in exchange["lines"]] == [(other, 1)]
    assert "exchange" in exchange["tags"]
    (shipment,) = exchange["shipments"]
    assert _stock(uow_factory, shipment["node"], other)[1] >= 1  # reserved through the normal allocation
    on_hand_before = _stock(uow_factory, shipment["node"], other)[0]
    for step, body in (("accept", None), ("pack", {"weight_g": 700, "length_mm": 300, "width_mm": 200,
                                                    "height_mm": 80})):
        assert client.post(f"/shipments/{shipment['id']}/{step}", json=body, headers=admin).status_code == 200
    r = client.post(f"/shipments/{shipment['id']}/ship", json={"awb": "AWB-EXCH-1"}, headers=admin)
    assert r.status_code == 409 and "picked up" in r.get_json()["detail"]
    _walk_reverse(client, ret, "picked_up")
    r = client.post(f"/shipments/{shipment['id']}/ship", json={"awb": "AWB-EXCH-1"}, headers=admin)
    assert r.status_code == 200, r.get_json()
    assert _stock(uow_factory, shipment["node"], other)[0] == on_hand_before - 1  # stock moved
    done = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                       json={"units": [{"line_no": 1, "grade": "A"}]}).get_json()
    # SKU-0002 (Rs 1,699) is cheaper than SKU-0024 (Rs 2,299): the difference comes back (issue 28)
    assert done["status"] == "CLOSED" and done["refund"]["amount_paise"] == 229_900 - 169_900


# ---------------------------------------------------------------- manual approval


def test_without_auto_approve_an_admin_approves_or_rejects(client, keys, app):

    ext = app.extensions["omnialloc"]
    ext["settings"] = ext["settings"].replace(return_auto_approve=False)
    ext.pop("ctx", None)
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-manual", lines=[{"sku": SKU, "qty": 2}])
    one = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}])
    two = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}])
    assert one["status"] == two["status"] == "REQUESTED"
    assert client.post(f"/returns/{one['id']}/approve", headers=auth(keys["channel"])).status_code == 403
    r = client.post(f"/returns/{one['id']}/approve", headers=admin)
    assert r.status_code == 200 and r.get_json()["status"] == "PICKUP_SCHEDULED", r.get_json()
    r = client.post(f"/returns/{two['id']}/reject", json={"reason": "used item"}, headers=admin)
    assert r.status_code == 200 and r.get_json()["status"] == "REJECTED"
    assert client.post(f"/returns/{two['id']}/approve", headers=admin).status_code == 409
    # A rejected return gives its units back to what may still be returned.
    _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}])


# ---------------------------------------------------------------- RTO


def test_rto_is_an_automatic_return_restocked_on_arrival(client, keys, uow_factory):
    admin = auth(keys["admin"])
    order = client.post("/orders", json=order_body("ret-rto", lines=[{"sku": SKU, "qty": 2}]),
                        headers=admin).get_json()
    s = order["shipments"][0]
    for step, body in (("accept", None), ("pack", {"weight_g": 600, "length_mm": 250, "width_mm": 200,
                                                    "height_mm": 100}), ("ship", {"awb": "AWB-RET-RTO"})):
        assert client.post(f"/shipments/{s['id']}/{step}", json=body, headers=admin).status_code == 200
    before = _stock(uow_factory, s["node"], SKU)
    scans = [{"awb": "AWB-RET-RTO", "status": st, "at": f"2026-11-2{i + 6}T10:00:00Z"}
             for i, st in enumerate(("picked_up", "rto_initiated", "rto_delivered"))]
    assert signed_tracking(client, s["carrier"], scans).get_json()["applied"] == 3
    assert _stock(uow_factory, s["node"], SKU) == (before[0] + 2, before[1])
    (ret,) = client.get(f"/returns?order_id={order['id']}", headers=admin).get_json()["items"]
    full = client.get(f"/returns/{ret['id']}", headers=admin).get_json()
    assert (full["origin"], full["status"], full["lines"][0]["reason"]) == ("rto", "CLOSED", "rto")
    assert full["dispositions"] == [{"line_no": 1, "grade": "A", "qty": 2, "disposition": "restock",
                                     "node": s["node"], "work_order_id": None}]
    assert full["refund"]["amount_paise"] == 2 * order["lines"][0]["unit_price_paise"]  # prepaid: money back
    # The same RTO scan again restocks nothing.
    signed_tracking(client, s["carrier"], scans[2:])
    assert _stock(uow_factory, s["node"], SKU) == (before[0] + 2, before[1])
    assert len(client.get(f"/returns?order_id={order['id']}", headers=admin).get_json()["items"]) == 1


# ---------------------------------------------------------------- roles


def test_only_the_destination_nodes_key_can_receive(client, keys, uow_factory):
    from omnialloc.services.access import create_key

    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-roles")
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}])
    node = ret["destination_node"]
    with uow_factory() as uow:  # a key of the destination node and one of another node
        mine, _ = create_key(uow, name="dest-node", role="node", node=node)
        other, _ = create_key(uow, name="other-node", role="node", node="DEL-FC1" if node != "DEL-FC1" else "KOL-FC1")
        uow.commit()
    units = {"units": [{"line_no": 1, "grade": "A"}]}
    assert client.post(f"/returns/{ret['id']}/receive", json=units, headers=auth(other)).status_code == 404
    assert client.get(f"/returns/{ret['id']}", headers=auth(other)).status_code == 404
    assert client.get("/returns", headers=auth(other)).get_json()["items"] == []
    assert client.post(f"/returns/{ret['id']}/receive", json=units, headers=auth(keys["channel"])).status_code == 403
    assert client.get(f"/returns/{ret['id']}", headers=auth(mine)).status_code == 200
    r = client.post(f"/returns/{ret['id']}/receive", json=units, headers=auth(mine))
    assert r.status_code == 200 and r.get_json()["status"] == "CLOSED", r.get_json()


def test_channel_keys_see_and_raise_only_their_channels_returns(client, keys):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-chan")
    web, amazon = auth(keys["channel"]), auth(keys["other_channel"])
    assert _return(client, amazon, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}], status=404)
    ret = _return(client, web, order["id"], [{"line_no": 1, "qty": 1, "reason": "size_fit"}])
    assert client.get(f"/returns/{ret['id']}", headers=amazon).status_code == 404
    assert client.get("/returns", headers=amazon).get_json()["items"] == []
    assert [r["id"] for r in client.get("/returns", headers=web).get_json()["items"]] == [ret["id"]]
    assert client.post(f"/orders/{order['id']}/returns", headers=auth(keys["analyst"]),
                       json={"lines": [{"line_no": 1, "qty": 1, "reason": "size_fit"}],
                             "resolution": "refund"}).status_code == 403


# ---------------------------------------------------------------- work orders (refurbish / repair)
def test_a_work_order_is_closed_by_its_node_with_the_good_units_back_on_hand(client, keys, uow_factory):
    import sqlalchemy as sa

    from omnialloc.services.access import create_key
    from omnialloc.store.tables.events import events

    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-wo", lines=[{"sku": SKU, "qty": 3}])
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 3, "reason": "damaged"}])
    node = ret["destination_node"]
    done = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                       json={"units": [{"line_no": 1, "grade": "B", "qty": 3}]}).get_json()
    (wo_id,) = [w["id"] for w in done["work_orders"]]
    with uow_factory() as uow:
        mine, _ = create_key(uow, name="wo-node", role="node", node=node)
        other, _ = create_key(uow, name="wo-other", role="node", node="DEL-FC1" if node != "DEL-FC1" else "KOL-FC1")
        uow.commit()
    listed = client.get("/work-orders", query_string={"status": "open"}, headers=auth(mine)).get_json()["items"]
    assert [(w["id"], w["kind"], w["qty"], w["sku"], w["status"]) for w in listed] == [
        (wo_id, "refurbish", 3, SKU, "open")]
    assert client.get("/work-orders", headers=auth(other)).get_json()["items"] == []
    before = _stock(uow_factory, node, SKU)
    url = f"/work-orders/{wo_id}/complete"

    # Every unit must be accounted for; another node's key does not see it; nothing changes on a refusal.
    r = client.post(url, json={"restocked": 1, "scrapped": 1}, headers=auth(mine))
    assert r.status_code == 422 and "must add up to the work order's 3 unit(s)" in r.get_json()["detail"]
    assert client.post(url, json={"restocked": 3, "scrapped": 0}, headers=auth(other)).status_code == 404
    assert client.post(url, json={"restocked": 3, "scrapped": 0}, headers=auth(keys["channel"])).status_code == 403
    assert _stock(uow_factory, node, SKU) == before

    r = client.post(url, json={"restocked": 2, "scrapped": 1, "note": "one screen cracked"}, headers=auth(mine))
    assert r.status_code == 200, r.get_json()
    closed = r.get_json()
    assert (closed["status"], closed["restocked"], closed["scrapped"], closed["note"]) == (
        "done", 2, 1, "one screen cracked")
    assert closed["completed_at"] and closed["completed_by"]
    assert _stock(uow_factory, node, SKU) == (before[0] + 2, before[1])
    with uow_factory(readonly=True) as uow:  # the restock is an inventory adjustment in the audit trail
        adjusted = uow.conn.execute(sa.select(events.c.payload).where(
            events.c.entity == "inventory", events.c.entity_id == f"{node}:{SKU}", events.c.type == "adjusted",
            events.c.reason == "refurbished")).scalars().all()
    assert [(p["delta"], p["work_order_id"]) for p in adjusted] == [(2, wo_id)]
    assert client.post(url, json={"restocked": 3, "scrapped": 0}, headers=auth(mine)).status_code == 409
    assert client.get("/work-orders", query_string={"status": "open"}, headers=admin).get_json()["items"] == []
    (shown,) = client.get("/work-orders", query_string={"status": "done"}, headers=admin).get_json()["items"]
    assert (shown["id"], shown["restocked"], shown["scrapped"]) == (wo_id, 2, 1)


def test_work_orders_page_by_cursor_and_a_forged_cursor_is_a_422(client, keys):
    admin = auth(keys["admin"])
    order = _delivered(client, admin, "ret-wo-pages", lines=[{"sku": SKU, "qty": 2}])
    ret = _return(client, admin, order["id"], [{"line_no": 1, "qty": 2, "reason": "damaged"}])
    done = client.post(f"/returns/{ret['id']}/receive", headers=admin,
                       json={"units": [{"line_no": 1, "grade": "B"}, {"line_no": 1, "grade": "D"}]}).get_json()
    expected = {w["id"] for w in done["work_orders"]}
    assert len(expected) == 2
    first = client.get("/work-orders", query_string={"limit": 1}, headers=admin).get_json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = client.get("/work-orders", query_string={"limit": 1, "cursor": first["next_cursor"]},
                        headers=admin).get_json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert {first["items"][0]["id"], second["items"][0]["id"]} == expected
    r = client.get("/work-orders", query_string={"cursor": "not-ours"}, headers=admin)
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "cursor"
