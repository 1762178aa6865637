"""A channel's promise policy (issue 24): hard (a promise that cannot be kept leaves the order without a plan)
or soft (a penalty per day late, the channel's own or the late_paise_per_day setting), editable through the
channels API and read the same way by real-time allocation and the promise API.

The plans the solver chooses are checked against the brute-force reference (benchmarks/reference)
on the very problems allocation builds for the demo network.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from omnialloc.config import Settings
from omnialloc.domain import Address, Order, OrderLine, PaymentMode
from omnialloc.geo.pins import locate
from omnialloc.network_files import load_cities
from omnialloc.services.allocation.planning import Candidates, build_problem
from omnialloc.services.network.cache import network
from omnialloc.solvers import PlanStatus, solve
from tests.api.conftest import auth, order_body
from benchmarks.reference import exhaustive, plain_mip

PINS = sorted({c.pin for c in load_cities()})
BIG = 100_000_000  # Rs 10 lakh a day late: any on-time plan is cheaper
_IDS = itertools.count()


def _channel(client, admin, code: str, **fields) -> dict:
    r = client.post("/channels", json={"code": code, "name": code, "kind": "webshop", **fields}, headers=admin)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_promise_policy_round_trips_through_the_channels_api_and_bad_values_change_nothing(client, keys):
    admin = auth(keys["admin"])
    made = _channel(client, admin, "strict-shop", promise_policy="hard", default_promise_days=3,
                    late_penalty_paise=12_345)
    assert (made["promise_policy"], made["late_penalty_paise"], made["default_promise_days"]) == ("hard", 12_345, 3)
    got = client.get("/channels/strict-shop", headers=admin).get_json()
    assert (got["promise_policy"], got["late_penalty_paise"]) == ("hard", 12_345)
    r = client.patch("/channels/strict-shop", json={"promise_policy": "soft", "late_penalty_paise": None},
                     headers=admin)
    assert r.status_code == 200, r.get_json()
    got = client.get("/channels/strict-shop", headers=admin).get_json()
    assert (got["promise_policy"], got["late_penalty_paise"], got["default_promise_days"]) == ("soft", None, 3)
    for bad in ({"promise_policy": "maybe"}, {"late_penalty_paise": -1}, {"late_penalty_paise": 10**10}):
        r = client.patch("/channels/strict-shop", json=bad, headers=admin)
        assert r.status_code == 422, (bad, r.get_json())
        assert client.get("/channels/strict-shop", headers=admin).get_json() == got
    # a channel made without them is soft with the setting's penalty (every channel's after the upgrade)
    plain = _channel(client, admin, "plain-shop")
    assert (plain["promise_policy"], plain["late_penalty_paise"]) == ("soft", None)


def test_promise_policy_round_trips_through_the_channels_file(client, keys):
    admin = auth(keys["admin"])
    _channel(client, admin, "strict-shop", promise_policy="hard", late_penalty_paise=12_345)
    exported = client.get("/network/exports/channels", headers=admin).get_data(as_text=True)
    header, *rows = exported.splitlines()
    assert header.endswith(",promise_policy,late_penalty_paise")
    assert any(row.startswith("strict-shop,") and row.endswith(",hard,12345") for row in rows), rows
    # an import of the export changes nothing; a bad policy in the file is a 422 naming the column
    csv = {**admin, "Content-Type": "text/csv"}
    assert client.post("/network/imports/channels", data=exported, headers=csv).status_code == 200
    assert client.get("/network/exports/channels", headers=admin).get_data(as_text=True) == exported
    bad = exported.replace(",hard,12345", ",maybe,12345")
    r = client.post("/network/imports/channels", data=bad, headers=csv)
    assert r.status_code == 422 and any(e["field"].endswith("promise_policy") for e in r.get_json()["errors"]), \
        r.get_json()
    assert client.get("/network/exports/channels", headers=admin).get_data(as_text=True) == exported


def test_the_console_channel_forms_set_and_clear_the_promise_policy(app, keys):
    from tests.api.test_console import logged_in, token_of
    from tests.api.test_console_network_forms import _form_of

    c = logged_in(app, keys["admin"])
    api, admin = app.test_client(), auth(keys["admin"])
    new = "/console/network/channels/new"
    r = c.post(new, data={"code": "strict-shop", "name": "Strict", "kind": "webshop", "promise_policy": "hard",
                          "late_penalty_paise": "250.50", "csrf_token": token_of(c, new)})
    assert r.status_code == 303, r.text
    got = api.get("/channels/strict-shop", headers=admin).get_json()
    assert (got["promise_policy"], got["late_penalty_paise"]) == ("hard", 25_050)
    page = c.get("/console/network/channels/strict-shop/edit").text
    assert 'value="250.5"' in page and "<option selected>hard</option>" in page
    edit = "/console/network/channels/strict-shop/edit"
    form = {**_form_of(page), "promise_policy": "soft", "late_penalty_paise": ""}
    r = c.post(edit, data={**form, "csrf_token": token_of(c, edit)})
    assert r.status_code == 303, r.text
    got = api.get("/channels/strict-shop", headers=admin).get_json()
    assert (got["promise_policy"], got["late_penalty_paise"]) == ("soft", None)


def _problem(uow_factory, sku: str, pin: str, *, days: int, policy: str, penalty: int | None, at: datetime):
    """The problem allocation builds for 1 unit of ``sku`` to ``pin`` on a channel promising ``days``."""
    dest = locate(pin)
    with uow_factory(readonly=True) as uow:
        net = network(uow)
        skus = uow.skus.get_many([sku])
        atp, _ = uow.inventory.atp_and_live_on([sku], at.date())
    order = Order(id="policy", channel="web", external_id="policy",
                  ship_to=Address(name="", line1="", city="", state=dest.state_code, pin=dest.pin),
                  lines=[OrderLine(1, sku, 1, skus[sku].unit_price_paise)], payment_mode=PaymentMode.PREPAID,
                  created_at=at)
    cand = Candidates(nodes=list(net.nodes), locations=net.locations, atp=atp,
                      capacity_left={n.code: n.daily_capacity for n in net.nodes}, channel_promise_days=days,
                      channel_promise_policy=policy, channel_late_penalty_paise=penalty)
    return build_problem(order, {1: 1}, skus, dest, cand, net, Settings(), at=at)


def _solved(problem):
    """The solver's plan, checked against the brute-force optimum of the same problem."""
    plan = solve(problem, time_limit_ms=10_000, explain_plan=False)
    best = exhaustive.optimum(problem)
    if best is None:
        assert plan.status == PlanStatus.INFEASIBLE, plan.status
        return plan
    assert plan.objective_paise == best.cost, (plan.objective_paise, best.cost)
    mip = plain_mip.optimum(problem)
    assert mip is not None and mip.cost == best.cost, (mip, best.cost)
    return plan


def _days(plan) -> int:
    return max(s.sla_days for s in plan.shipments)


def _lanes(plan) -> list[tuple[str, str]]:
    return sorted((s.node, s.carrier) for s in plan.shipments)


def _late_case(uow_factory, at):
    """A cart and PIN where the cheapest plan is a day or more slower than some dearer plan: (sku, pin, promise
    days the cheap plan misses and the dear one keeps, the cheap plan, the dear plan)."""
    for sku, pin in itertools.product(("SKU-0001", "SKU-0002", "SKU-0003"), PINS):
        cheap = _solved(_problem(uow_factory, sku, pin, days=0, policy="soft", penalty=0, at=at))
        if cheap.status == PlanStatus.INFEASIBLE or _days(cheap) == 0:
            continue
        promise = _days(cheap) - 1
        dear = _solved(_problem(uow_factory, sku, pin, days=promise, policy="soft", penalty=BIG, at=at))
        if dear.shipments and _days(dear) <= promise:
            return sku, pin, promise, cheap, dear
    pytest.fail("no cart on the demo network where the cheapest plan is late and an on-time one exists")


def test_soft_channel_takes_the_cheaper_late_plan_when_late_days_are_cheap_and_the_on_time_one_when_dear(
        client, keys, uow_factory):
    at = datetime.now(UTC)
    sku, pin, promise, cheap, dear = _late_case(uow_factory, at)
    late = _solved(_problem(uow_factory, sku, pin, days=promise, policy="soft", penalty=1, at=at))
    assert _days(late) > promise and _lanes(late) == _lanes(cheap)
    on_time = _solved(_problem(uow_factory, sku, pin, days=promise, policy="soft", penalty=BIG, at=at))
    assert _days(on_time) <= promise
    # a channel without its own penalty pays the setting's (the problem says which it prices)
    default = _problem(uow_factory, sku, pin, days=promise, policy="soft", penalty=None, at=at)
    assert (default.sla_policy, default.lateness_penalty_paise_per_day) == ("soft", Settings().late_paise_per_day)

    # the same through the API: orders of the channel, and its promise for the cart
    admin = auth(keys["admin"])
    _channel(client, admin, "soft-shop", default_promise_days=promise, late_penalty_paise=1)
    cart = [{"sku": sku, "qty": 1}]
    for penalty, expected in ((1, late), (BIG, on_time)):
        assert client.patch("/channels/soft-shop", json={"late_penalty_paise": penalty},
                            headers=admin).status_code == 200
        quote = client.post("/promise", json={"lines": cart, "pin": pin, "channel": "soft-shop"},
                            headers=admin).get_json()
        standard = quote["options"][0]
        assert standard["name"] == "standard"
        assert sorted((p["node"], p["carrier"]) for p in standard["shipments"]) == _lanes(expected)
        r = client.post("/orders", json=order_body(f"soft-{next(_IDS)}", pin=pin, lines=cart, channel="soft-shop"),
                        headers=admin)
        assert r.status_code == 201, r.get_json()
        order = r.get_json()
        assert order["status"] == "ALLOCATED", (order["status"], order.get("status_reason"))
        assert sorted((s["node"], s["carrier"]) for s in order["shipments"]) == _lanes(expected)


def test_hard_channel_order_that_cannot_keep_its_promise_gets_no_late_plan(client, keys, uow_factory):
    at = datetime.now(UTC)
    sku, pin, promise, cheap, dear = _late_case(uow_factory, at)
    fastest = _days(_solved(_problem(uow_factory, sku, pin, days=0, policy="soft", penalty=BIG, at=at)))
    assert fastest >= 1
    impossible = fastest - 1
    plan = _solved(_problem(uow_factory, sku, pin, days=impossible, policy="hard", penalty=None, at=at))
    assert plan.status == PlanStatus.INFEASIBLE and not plan.shipments
    # a promise it can keep is kept, on the cheapest plan that keeps it
    kept = _solved(_problem(uow_factory, sku, pin, days=promise, policy="hard", penalty=None, at=at))
    assert kept.shipments and _days(kept) <= promise

    admin = auth(keys["admin"])
    _channel(client, admin, "hard-shop", promise_policy="hard", default_promise_days=impossible)
    cart = [{"sku": sku, "qty": 1}]
    quote = client.post("/promise", json={"lines": cart, "pin": pin, "channel": "hard-shop"}, headers=admin).get_json()
    assert "standard" not in [o["name"] for o in quote["options"]]
    r = client.post("/orders", json=order_body(f"hard-{next(_IDS)}", pin=pin, lines=cart, channel="hard-shop"),
                    headers=admin)
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert order["status"] == "BACKORDERED" and not order["shipments"], (order["status"], order["shipments"])
    # the same cart on a soft channel with the same promise ships late rather than waiting
    _channel(client, admin, "lenient-shop", default_promise_days=impossible)
    r = client.post("/orders", json=order_body(f"hard-{next(_IDS)}", pin=pin, lines=cart, channel="lenient-shop"),
                    headers=admin)
    assert r.get_json()["status"] == "ALLOCATED"
