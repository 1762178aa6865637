"""What long commands print while they work and how they print amounts: a progress bar, rupees."""

from __future__ import annotations

from collections.abc import Callable

from omnialloc.domain.money import format_inr


def progress_bar(desc: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A tqdm progress bar on stderr; returns (callback(done, total), close)."""
    from tqdm import tqdm

    state: dict = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=desc, unit="task", leave=False, mininterval=0.5)
        bar.n = done
        bar.refresh()

    def close() -> None:
        if "bar" in state:
            state["bar"].close()

    return update, close


def rupees(paise: float | None) -> str:
    """An amount in paise as "Rs 1,234.50", "-" for none (prices may be fractional paise: rounded to one)."""
    return "-" if paise is None else format_inr(round(paise))


def tally_line(counts: dict[str, int]) -> str:
    """A worker's counts on one line: "sent 3, failed 0, ..."."""
    return ", ".join(f"{k} {v}" for k, v in counts.items())
