"""matplotlib for the reports' charts: the Agg backend (PNG files, no display), imported on first use
because importing matplotlib costs a few hundred milliseconds that only a report with a chart needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot`` with the Agg backend selected."""
    import matplotlib  # here, not at the top: see the module docstring

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path) -> None:
    """Write the figure as a PNG at 100 dpi and free it (pyplot keeps every open figure otherwise)."""
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot().close(fig)
