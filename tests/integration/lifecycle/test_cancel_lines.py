"""Cancelling line quantities says exactly what it cancels (issue 20, item 7): an empty list of lines and a
line given twice are refused with 422 and change nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from omnialloc.services.invariants import check
from tests.integration.lifecycle.conftest import order_status, unit_states


@pytest.fixture
def order(capture):
    placed = capture([("SKU-0001", 2), ("SKU-0044", 1)])
    assert placed["status"] == "ALLOCATED"
    return placed


def _unchanged(engine, order, before):
    assert order_status(engine, order["id"]) == "ALLOCATED"
    assert unit_states(engine, order["id"]) == before
    report = check(engine)
    assert report.ok, report.summary()


def test_an_empty_list_of_lines_is_refused_not_read_as_the_whole_order(order, api, clean_engine):
    before = unit_states(clean_engine, order["id"])
    status, body = api("post", f"/orders/{order['id']}/cancel", {"reason": "x", "lines": []})
    assert status == 422, body
    assert body["errors"][0]["field"] == "lines" and "leave `lines` out" in body["detail"]
    _unchanged(clean_engine, order, before)


def test_a_line_given_twice_is_refused(order, api, clean_engine):
    before = unit_states(clean_engine, order["id"])
    status, body = api("post", f"/orders/{order['id']}/cancel", {"reason": "x", "lines": [
        {"line_no": 1, "qty": 1}, {"line_no": 1, "qty": 1}]})
    assert status == 422, body
    assert [e["field"] for e in body["errors"]] == ["lines.1.line_no"]
    _unchanged(clean_engine, order, before)


def test_each_line_once_cancels_exactly_those_units(order, api, clean_engine):
    status, body = api("post", f"/orders/{order['id']}/cancel", {"reason": "x", "lines": [
        {"line_no": 1, "qty": 1}, {"line_no": 2, "qty": 1}]})
    assert status == 200, body
    assert body["status"] == "ALLOCATED"
    states = unit_states(clean_engine, order["id"])
    assert (states[1]["cancelled"], states[1]["placed"], states[2]["cancelled"], states[2]["placed"]) == (1, 1, 1, 0)
    status, body = api("post", f"/orders/{order['id']}/cancel", {"reason": "y"})
    assert status == 200 and body["status"] == "CANCELLED"
    assert check(clean_engine).ok
