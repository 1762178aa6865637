"""Estimated delivery dates on a plan (issue 24): per shipment, for the order, and in the explanation.

`build_problem` leaves each offered lane's dates in ``Candidates.timing``; once the
solver has chosen, `annotate` puts the chosen lanes' dates on the plan's JSON
(``shipments[i].edd``, ``delivery``) and says, for every other node the
explanation mentions, how fast it would have been ("Kochi: 1 day, Rs 112.00
more"), so a seller sees what money bought what speed. `edd_fields` gives
what a stored shipment keeps (UTC instants, the destination's local date).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from omnialloc.domain.money import format_inr
from omnialloc.logistics.transit.clock import LaneTiming


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def fastest_by_node(timing: dict[tuple[str, str], LaneTiming]) -> dict[str, LaneTiming]:
    """Each node's fastest offered lane (fewest days; the cheaper-sounding carrier code breaks ties)."""
    best: dict[str, tuple] = {}
    for (node, carrier), t in timing.items():
        key = (t.days, carrier)
        if node not in best or key < best[node][0]:
            best[node] = (key, t)
    return {node: entry[1] for node, entry in best.items()}


def annotate(plan_dict: dict, timing: dict[tuple[str, str], LaneTiming], places: dict[str, str]) -> dict:
    """Add the EDDs to ``plan_dict`` (``Plan.to_dict()``) in place and return it. ``places``: node -> city."""
    if not timing:
        return plan_dict
    chosen = []
    for sd in plan_dict.get("shipments", []):
        t = timing.get((sd["node"], sd["carrier"]))
        if t is not None:
            sd["edd"] = t.to_dict()
            chosen.append(t)
    if chosen and len(chosen) == len(plan_dict.get("shipments", [])):
        last = max(chosen, key=lambda t: t.delivery_date)
        plan_dict["delivery"] = {"delivery_date": last.delivery_date.isoformat(),
                                 "deliver_by": last.deliver_by.isoformat(), "days": last.days,
                                 "parcels": len(chosen)}
    fastest = fastest_by_node(timing)
    for entry in plan_dict.get("explanation", []):
        t = fastest.get(entry.get("node"))
        if t is None:
            continue
        entry["delivery_days"] = t.days
        entry["delivery_date"] = t.delivery_date.isoformat()
        place = places.get(entry["node"]) or entry["node"]
        extra = entry.get("extra_cost_paise")
        if entry.get("code") == "costlier" and extra is not None:
            entry["speed"] = f"{place}: {_days(t.days)}, {format_inr(extra)} more"
        elif entry.get("code") == "cheaper" and extra is not None:
            entry["speed"] = f"{place}: {_days(t.days)}, {format_inr(-extra)} less"
        else:
            entry["speed"] = f"{place}: {_days(t.days)}"
    return plan_dict


def promise_dict(promise: tuple[int, str] | None, clock, ordered_at: datetime) -> dict | None:
    """The order's promise as planned (``Candidates.promise``): days after the order, where it came from, and
    the UTC end of the promised day at the destination."""
    if promise is None or clock is None:
        return None
    days, source = promise
    day = clock.order_day(ordered_at) + timedelta(days=days)
    return {"days": days, "source": source, "date": day.isoformat(), "promised_by": clock.end_of_day(day).isoformat()}


def edd_fields(edd: dict | None) -> dict:
    """The EDD columns of a stored shipment from a planned shipment's ``edd`` (``annotate``); all None when
    the lane was not timed (a pickup, a network without a transit model)."""
    if edd is None:
        return {"service": None, "ship_by": None, "delivery_date": None, "deliver_by": None}
    return {"service": edd["service"], "ship_by": datetime.fromisoformat(edd["ship_by"]),
            "delivery_date": date.fromisoformat(edd["delivery_date"]),
            "deliver_by": datetime.fromisoformat(edd["deliver_by"])}


def latest(dates: list[date | None]) -> date | None:
    known = [d for d in dates if d is not None]
    return max(known) if known else None
