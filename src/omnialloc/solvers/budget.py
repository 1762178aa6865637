"""How long a search may run: a deterministic work budget, with the wall clock as a safety net.

Every search loop (enumeration, contents DP, colgen, the MIP's callback) charges *work units*
for what it did - partitions visited, DP pairs relaxed, contents priced, search nodes expanded,
HiGHS callbacks - and stops when its budget is spent. One unit is about one microsecond of one
core of the benchmark machine when quiet, so `solve(time_limit_ms=T)` gives the search
`WORK_SHARE * T * 1000` units by default: the same order gets the same plan on an idle or a
loaded machine (work counts do not depend on load), and on a quiet machine the search ends
well inside T.

The wall-clock deadline (`time_limit_ms` itself) is only a safety net for a machine so loaded
that the work does not fit: when it fires, the answer is still the best plan found with a valid
bound, and the plan's reason says the wall-clock limit was hit (so a caller can tell that this
one answer depended on timing).

`Budget.share(f)` hands a method a slice: it may spend at most a fraction `f` of what is left,
so no method can starve the ones after it; what it does not use stays in the pot.
"""

from __future__ import annotations

import time

# Default fraction of the time limit turned into work units (1 unit ~ 1 us on the reference box).
WORK_SHARE = 0.85
UNITS_PER_MS = 1000.0


class OutOfBudget(Exception):
    """A search stopped at its work budget or at the wall-clock deadline (see `Budget.hit`)."""


class Budget:
    """A work budget (units) and a wall-clock deadline (a `time.perf_counter()` instant)."""

    def __init__(self, work: float, deadline: float, parent: Budget | None = None) -> None:
        self.work = float(work)
        self.deadline = float(deadline)
        self.used = 0.0
        self.parent = parent
        self.hit: str | None = None  # "work" or "wall" once a check failed

    @classmethod
    def for_limit(cls, time_limit_ms: float, work_limit: float | None = None) -> Budget:
        work = work_limit if work_limit is not None else WORK_SHARE * time_limit_ms * UNITS_PER_MS
        return cls(work, time.perf_counter() + time_limit_ms / 1000.0)

    @classmethod
    def unlimited(cls) -> Budget:
        return cls(float("inf"), float("inf"))

    @property
    def left(self) -> float:
        return max(self.work - self.used, 0.0)

    def share(self, fraction: float, at_least: float = 0.0) -> Budget:
        """A child budget for one method: `fraction` of what is left (at least `at_least`
        units, never more than is left), the same deadline; its charges count here too."""
        return Budget(min(max(self.left * fraction, at_least), self.left), self.deadline, parent=self)

    def charge(self, units: float) -> None:
        """Count `units` of work, then `check`."""
        b: Budget | None = self
        while b is not None:
            b.used += units
            b = b.parent
        self.check()

    def check(self) -> None:
        """Raise `OutOfBudget` once the work is spent or the deadline has passed."""
        if self.used > self.work:
            self._stop("work")
        if time.perf_counter() > self.deadline:
            self._stop("wall")

    def mark_wall(self) -> None:
        """Record that the wall clock stopped a search (e.g. HiGHS's own time limit), on this
        budget and every parent, so the answer's reason says so."""
        b: Budget | None = self
        while b is not None:
            b.hit = "wall"
            b = b.parent

    def wall_left(self) -> float:
        """Seconds to the deadline (may be negative)."""
        return self.deadline - time.perf_counter()

    def _stop(self, why: str) -> None:
        # A slice running out of work is that method's affair; the wall clock is everyone's.
        b: Budget | None = self
        while b is not None:
            b.hit = b.hit if b.hit == "wall" else why
            b = b.parent if why == "wall" else None
        raise OutOfBudget(why)

    @property
    def wall_hit(self) -> bool:
        return self.hit == "wall"


def as_budget(limit: Budget | float | None) -> Budget:
    """Accept a `Budget`, a `time.perf_counter()` deadline (seconds) or None (no limit): the
    older call style of the search modules."""
    if isinstance(limit, Budget):
        return limit
    if limit is None:
        return Budget.unlimited()
    return Budget(float("inf"), float(limit))
