"""The benchmarks are one set of files under two names: ``benchmarks`` in a checkout, ``omnialloc.bench`` as
installed (setup.py maps the folder; .ci/wheel-smoke runs them from a wheel outside the checkout)."""

from pathlib import Path

import benchmarks
import omnialloc.bench

ROOT = Path(__file__).resolve().parents[3]


def test_omnialloc_bench_is_the_checkout_benchmarks_folder_and_writes_its_results_there():
    assert Path(omnialloc.bench.__file__).resolve() == Path(benchmarks.__file__).resolve()
    assert Path(benchmarks.__file__).resolve().parent == ROOT / "benchmarks"
    assert omnialloc.bench.RESULTS_DIR == ROOT / "benchmarks" / "results"
    from omnialloc.bench import certificate, report

    assert report.RESULTS_DIR == certificate.RESULTS_DIR == omnialloc.bench.RESULTS_DIR


def test_setup_maps_every_benchmark_folder_and_ships_no_results(monkeypatch):
    import runpy

    import setuptools

    seen: dict = {}
    monkeypatch.setattr(setuptools, "setup", lambda **kw: seen.update(kw))
    monkeypatch.chdir(ROOT)
    runpy.run_path(str(ROOT / "setup.py"))
    assert seen["package_dir"] == {"": "src", "omnialloc.bench": "benchmarks"}
    assert sorted(p for p in seen["packages"] if p.startswith("omnialloc.bench")) == [
        "omnialloc.bench", "omnialloc.bench.load", "omnialloc.bench.reference", "omnialloc.bench.results",
        "omnialloc.bench.scenarios"]
    assert {"omnialloc", "omnialloc.store.migrations", "omnialloc.cli"} <= set(seen["packages"])
    assert seen["exclude_package_data"] == {"omnialloc.bench": ["RESULTS.md"], "omnialloc.bench.results": ["*"]}
