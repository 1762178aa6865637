"""Benchmarks for analysts: seeded scenarios, a strategy runner, plots and results.

In a source checkout this folder is the package ``benchmarks`` (``python -m benchmarks.solver_bench``); the
wheel ships it as ``omnialloc.bench`` (setup.py), which ``omnialloc bench ...`` imports. Modules import each
other relatively, so both names work.
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Where `bench run` and `bench bound` write by default, and where `bench run` looks for stored bound prices:
# benchmarks/results in a checkout (committed results); an installed package must not write into its own
# folder (site-packages), so there it is ./bench-results in the working directory.
CHECKOUT = (_HERE.parent / "pyproject.toml").is_file()
RESULTS_DIR = _HERE / "results" if CHECKOUT else Path("bench-results")
# The markdown report the benchmarks write their sections into: benchmarks/RESULTS.md in a checkout (committed),
# ./bench-results/RESULTS.md when installed.
RESULTS_MD = _HERE / "RESULTS.md" if CHECKOUT else RESULTS_DIR / "RESULTS.md"


def results_link(name: str) -> str:
    """Where RESULTS.md finds a file written to RESULTS_DIR, as a relative markdown link target.

    In a checkout RESULTS.md sits beside results/ (``results/x.png``); installed, both live in ./bench-results
    (``x.png``), so a fixed ``results/`` prefix would point nowhere there.
    """
    import os

    return Path(os.path.relpath(RESULTS_DIR.resolve() / name, RESULTS_MD.resolve().parent)).as_posix()
