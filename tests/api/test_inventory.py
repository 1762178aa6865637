"""Global inventory over HTTP: the stock view, adjustments by reason, bulk CSV imports (report, atomicity)."""

from __future__ import annotations

import io

import pytest

from tests.api.conftest import auth, order_body

SKU = "SKU-0024"  # stocked at CHN-FC1 and MUM-FC1 (see test_roles)


def _stock(uow_factory, node: str, sku: str):
    with uow_factory(readonly=True) as uow:
        p = uow.inventory.get(node, sku)
    return None if p is None else (p.on_hand, p.reserved, p.safety_stock)


def _events(uow_factory, entity_id: str):
    with uow_factory(readonly=True) as uow:
        return uow.events.for_entity("inventory", entity_id)


# ---------------------------------------------------------------- view
def test_sku_view_has_every_node_totals_by_kind_and_atp(client, keys, uow_factory):
    r = client.get(f"/inventory/{SKU}", headers=auth(keys["analyst"]))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    with uow_factory(readonly=True) as uow:
        rows = uow.inventory.list(sku=SKU)
    assert [n["node"] for n in body["nodes"]] == [p.node for p in rows]
    for n, p in zip(body["nodes"], rows):
        assert n["atp"] == max(0, p.on_hand - p.reserved - p.safety_stock)
    assert body["total"]["on_hand"] == sum(p.on_hand for p in rows)
    assert sum(k["atp"] for k in body["by_kind"].values()) == body["total"]["atp"]
    assert set(body["by_kind"]) <= {"warehouse", "store", "dropship_vendor", "return_center"}


def test_sku_view_of_unknown_sku_is_404(client, keys):
    assert client.get("/inventory/NOPE-SKU", headers=auth(keys["admin"])).status_code == 404


def test_list_filters_by_kind_and_pages_with_a_cursor(client, keys):
    admin = auth(keys["admin"])
    r = client.get("/inventory?kind=store&limit=7", headers=admin)
    assert r.status_code == 200
    page = r.get_json()
    assert len(page["items"]) == 7 and all(i["kind"] == "store" for i in page["items"])
    seen = [(i["node"], i["sku"]) for i in page["items"]]
    nxt = client.get(f"/inventory?kind=store&limit=7&cursor={page['next_cursor']}", headers=admin).get_json()
    assert [(i["node"], i["sku"]) for i in nxt["items"]][0] > seen[-1]
    assert client.get("/inventory?cursor=garbage!", headers=admin).status_code == 422


def test_a_node_key_sees_only_its_own_node(client, keys):
    r = client.get(f"/inventory/{SKU}", headers=auth(keys["node_chn"]))
    assert {n["node"] for n in r.get_json()["nodes"]} == {"CHN-FC1"}
    r = client.get("/inventory?node=MUM-FC1", headers=auth(keys["node_chn"]))
    assert r.get_json()["items"] == []
    assert client.get("/inventory", headers=auth(keys["channel"])).status_code == 403


# ---------------------------------------------------------------- adjustments, one per reason
@pytest.mark.parametrize("reason,delta", [("receipt", 7), ("cycle_count", -3), ("cycle_count", 4), ("damage", -2),
                                          ("correction", 1), ("correction", -1), ("transfer_in", 5),
                                          ("transfer_out", -5), ("return", 1), ("rto", 2)])
def test_every_adjustment_reason_moves_stock_and_writes_an_event(client, keys, uow_factory, reason, delta):
    before = _stock(uow_factory, "CHN-FC1", SKU)
    r = client.post("/inventory/adjustments", headers=auth(keys["admin"]), json={"adjustments": [
        {"node": "CHN-FC1", "sku": SKU, "delta": delta, "reason": reason, "note": "test"}]})
    assert r.status_code == 200, r.get_json()
    assert _stock(uow_factory, "CHN-FC1", SKU)[0] == before[0] + delta
    (event,) = _events(uow_factory, f"CHN-FC1:{SKU}")
    assert event.reason == reason and event.payload["delta"] == delta and event.actor == "admin:test-admin"


@pytest.mark.parametrize("reason,delta", [("receipt", -1), ("damage", 3), ("transfer_out", 1), ("rto", -1),
                                          ("cycle_count", 0)])
def test_an_adjustment_against_its_reasons_direction_is_refused(client, keys, uow_factory, reason, delta):
    before = _stock(uow_factory, "CHN-FC1", SKU)
    r = client.post("/inventory/adjustments", headers=auth(keys["admin"]), json={"adjustments": [
        {"node": "CHN-FC1", "sku": SKU, "delta": delta, "reason": reason}]})
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "adjustments.0.delta"
    assert _stock(uow_factory, "CHN-FC1", SKU) == before


def test_an_adjustment_that_would_go_negative_is_refused(client, keys, uow_factory):
    on_hand = _stock(uow_factory, "CHN-FC1", SKU)[0]
    r = client.post("/inventory/adjustments", headers=auth(keys["admin"]), json={"adjustments": [
        {"node": "CHN-FC1", "sku": SKU, "delta": -(on_hand + 1), "reason": "damage"}]})
    assert r.status_code == 422
    assert _stock(uow_factory, "CHN-FC1", SKU)[0] == on_hand


# ---------------------------------------------------------------- bulk import
def _import(client, token, csv: str, mode: str = "delta", **params):
    query = "&".join([f"mode={mode}", *(f"{k}={v}" for k, v in params.items())])
    return client.post(f"/inventory/imports?{query}", data=csv.encode(), content_type="text/csv",
                       headers=auth(token))


def test_delta_import_adds_and_creates_rows(client, keys, uow_factory):
    chn = _stock(uow_factory, "CHN-FC1", SKU)
    assert _stock(uow_factory, "DS-LDH1", SKU) is None
    r = _import(client, keys["admin"], f"node,sku,qty\nCHN-FC1,{SKU},5\nDS-LDH1,{SKU},9\n")
    assert r.status_code == 200, r.get_json()
    assert r.get_json() | {"import_id": "x", "seconds": {}} == {"mode": "delta", "rows": 2, "updated": 1, "inserted": 1,
                                                 "unchanged": 0, "zeroed": 0, "changes": 2, "nodes": ["CHN-FC1", "DS-LDH1"],
                                                 "dry_run": False, "backorder_retries_queued": 0, "import_id": "x",
                                                 "seconds": {}}
    assert _stock(uow_factory, "CHN-FC1", SKU)[0] == chn[0] + 5
    assert _stock(uow_factory, "DS-LDH1", SKU) == (9, 0, 0)
    (event,) = _events(uow_factory, r.get_json()["import_id"])
    assert event.type == "imported" and event.payload["rows"] == 2


def test_snapshot_import_sets_counts_and_zeroes_unlisted_rows_of_the_node(client, keys, uow_factory):
    with uow_factory(readonly=True) as uow:
        rows = [p for p in uow.inventory.list(node="KOL-FC1") if p.on_hand]
    assert len(rows) >= 2
    keep, *rest = rows
    r = _import(client, keys["admin"], f"sku,qty,safety_stock\n{keep.sku},{keep.on_hand + 3},4\n", mode="snapshot",
                node="KOL-FC1")
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert (out["updated"], out["zeroed"]) == (1, len(rest))
    assert _stock(uow_factory, "KOL-FC1", keep.sku) == (keep.on_hand + 3, 0, 4)
    assert all(_stock(uow_factory, "KOL-FC1", p.sku)[0] == 0 for p in rest)


def test_import_error_report_lists_every_bad_row_and_nothing_is_applied(client, keys, uow_factory):
    before = _stock(uow_factory, "CHN-FC1", SKU)
    csv = ("node,sku,qty\n"
           f"CHN-FC1,{SKU},5\n"          # line 2: fine
           "NOPE-1,SKU-0001,1\n"         # line 3: unknown node
           "CHN-FC1,NOPE-SKU,1\n"        # line 4: unknown SKU
           "CHN-FC1,SKU-0002,-4\n"       # line 5: negative count (snapshot)
           "CHN-FC1,SKU-0003,2.5\n"      # line 6: not whole
           "CHN-FC1,SKU-0004,abc\n"      # line 7: not a number
           f"CHN-FC1,{SKU},6\n")         # line 8: duplicate of line 2
    r = _import(client, keys["admin"], csv, mode="snapshot")
    assert r.status_code == 422
    body = r.get_json()
    fields = [e["field"] for e in body["errors"]]
    assert fields == ["rows.3.node", "rows.4.sku", "rows.5.qty", "rows.6.qty", "rows.7.qty", "rows.8.sku"]
    assert "line 2" in body["errors"][-1]["message"]
    assert "6 problem(s)" in body["detail"]
    assert _stock(uow_factory, "CHN-FC1", SKU) == before


def test_one_row_below_reserved_rejects_the_whole_import(client, keys, uow_factory):
    order = client.post("/orders", json=order_body("imp-res", lines=[{"sku": SKU, "qty": 2}]),
                        headers=auth(keys["admin"])).get_json()
    node = order["shipments"][0]["node"]
    on_hand, reserved, _ = _stock(uow_factory, node, SKU)
    other = _stock(uow_factory, "MUM-FC1", "SKU-0001")
    r = _import(client, keys["admin"], f"node,sku,qty\nMUM-FC1,SKU-0001,50\n{node},{SKU},{-(on_hand - reserved + 1)}\n")
    assert r.status_code == 422
    (err,) = r.get_json()["errors"]
    assert err["field"] == "rows.3.qty" and "reserved" in err["message"]
    assert _stock(uow_factory, "MUM-FC1", "SKU-0001") == other  # the good row was not applied either
    assert _stock(uow_factory, node, SKU)[:2] == (on_hand, reserved)


def test_import_file_problems_are_reported(client, keys):
    for csv, field in [("", "file"), ("node,sku\nCHN-FC1,SKU-0001\n", "qty"), ("node,sku,qty,colour\n", "colour"),
                       ("node,sku,qty\n", "file")]:
        r = _import(client, keys["admin"], csv)
        assert r.status_code == 422, csv
        assert r.get_json()["errors"][0]["field"] == field, (csv, r.get_json())
    assert client.post("/inventory/imports?mode=sideways", data=b"x", headers=auth(keys["admin"])).status_code == 422


def test_multipart_upload_and_dry_run_change_nothing(client, keys, uow_factory):
    before = _stock(uow_factory, "CHN-FC1", SKU)
    data = {"file": (io.BytesIO(f"node,sku,qty\nCHN-FC1,{SKU},3\n".encode()), "stock.csv")}
    r = client.post("/inventory/imports?mode=delta&dry_run=true", data=data, content_type="multipart/form-data",
                    headers=auth(keys["admin"]))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["dry_run"] is True and r.get_json()["updated"] == 1
    assert _stock(uow_factory, "CHN-FC1", SKU) == before


def test_a_node_key_imports_only_its_own_node(client, keys, uow_factory):
    before = _stock(uow_factory, "MUM-FC1", SKU)
    r = _import(client, keys["node_chn"], f"node,sku,qty\nMUM-FC1,{SKU},3\n")
    assert r.status_code == 422 and "CHN-FC1" in r.get_json()["errors"][0]["message"]
    assert _import(client, keys["node_chn"], f"sku,qty\n{SKU},3\n", node="MUM-FC1").status_code == 404
    assert _stock(uow_factory, "MUM-FC1", SKU) == before
    chn = _stock(uow_factory, "CHN-FC1", SKU)
    assert _import(client, keys["node_chn"], f"sku,qty\n{SKU},3\n").status_code == 200
    assert _stock(uow_factory, "CHN-FC1", SKU)[0] == chn[0] + 3


def test_stock_arriving_by_import_allocates_backorders(client, keys, uow_factory, drain_backorders):
    admin = auth(keys["admin"])
    with uow_factory(readonly=True) as uow:
        rows = [p for p in uow.inventory.list(sku=SKU) if p.on_hand]
    csv = "node,sku,qty\n" + "".join(f"{p.node},{SKU},{-p.on_hand}\n" for p in rows)
    assert _import(client, keys["admin"], csv).status_code == 200
    order = client.post("/orders", json=order_body("imp-bo", lines=[{"sku": SKU, "qty": 1}]), headers=admin).get_json()
    assert order["status"] == "BACKORDERED"
    safety = _stock(uow_factory, "CHN-FC1", SKU)[2]
    r = _import(client, keys["admin"], f"node,sku,qty\nCHN-FC1,{SKU},{safety + 4}\n", mode="snapshot",
                node="CHN-FC1")
    # The import answers once the stock is stored; the retry is queued in its transaction, not run in it.
    assert r.status_code == 200 and r.get_json()["backorder_retries_queued"] == 1
    assert client.get(f"/orders/{order['id']}", headers=admin).get_json()["status"] == "BACKORDERED"
    assert drain_backorders().allocated == 1
    assert client.get(f"/orders/{order['id']}", headers=admin).get_json()["status"] == "ALLOCATED"


def test_cli_import(clean_db_url, tmp_path, uow_factory, monkeypatch):
    from click.testing import CliRunner

    from omnialloc import cli, config

    monkeypatch.setenv("OMNIALLOC_DATABASE_URL", clean_db_url)
    config.get_settings.cache_clear()
    before = _stock(uow_factory, "CHN-FC1", SKU)
    path = tmp_path / "stock.csv"
    path.write_text(f"sku,qty\n{SKU},2\n")
    result = CliRunner().invoke(cli.main, ["inventory", "import", str(path), "--mode", "delta", "--node", "CHN-FC1"])
    assert result.exit_code == 0, result.output
    assert _stock(uow_factory, "CHN-FC1", SKU)[0] == before[0] + 2
    path.write_text(f"sku,qty\nNOPE,2\n{SKU},x\n")
    result = CliRunner().invoke(cli.main, ["inventory", "import", str(path), "--mode", "delta", "--node", "CHN-FC1"])
    assert result.exit_code == 2
    assert "rows.2.sku" in result.output and "rows.3.qty" in result.output
    config.get_settings.cache_clear()
