"""Per-channel stock feed arithmetic (pure): what a channel may sell of the ATP its nodes have.

A channel holds back a buffer so it never sells the last units (a marketplace
that oversells is penalised): ``buffer_units`` absolute units plus
``buffer_percent`` of the ATP, rounded up. What is published is the rest,
never below zero::

    held      = buffer_units + ceil(atp * buffer_percent / 100)
    available = max(0, atp - held)
"""

from __future__ import annotations


def held_back(atp: int, buffer_units: int, buffer_percent: int) -> int:
    if atp <= 0:
        return 0
    return min(atp, buffer_units + -(-atp * buffer_percent // 100))


def publishable(atp: int, buffer_units: int, buffer_percent: int) -> int:
    return max(0, atp - held_back(atp, buffer_units, buffer_percent))
