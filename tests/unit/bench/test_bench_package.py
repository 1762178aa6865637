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



# Uses of __file__ that are not output paths: the module restarting itself as a script when it was not started
# with -m (the idiom below), and these, each an input the module reads or starts.
_FILE_USES = {
    "load/run.py": "LOADGEN = HERE / 'loadgen.py': the load generator it starts (read, not written)",
    "load/compare_request.py": "compares two source trees given on its command line (a checkout's tool): "
                               "each worker restarts this script with that tree on PYTHONPATH",
}
_SELF_RESTART = 'this = ["-m", __spec__.name] if __spec__ is not None else [__file__]'


def _faults(rel: str, source: str) -> list[str]:
    """Output paths made from the module's own place, the checkout's root, or a child's PYTHONPATH."""
    import ast
    import re

    lines = source.splitlines()
    bad = []
    for node in ast.walk(ast.parse(source)):
        line = lines[node.lineno - 1].strip() if hasattr(node, "lineno") else ""
        if isinstance(node, ast.Name) and node.id == "__file__" and rel not in _FILE_USES and line != _SELF_RESTART:
            bad.append(f"{rel}:{node.lineno}: __file__ ({line})")
        elif isinstance(node, ast.Constant) and node.value in ("RESULTS.md", "results", "PYTHONPATH"):
            if not (node.value == "PYTHONPATH" and rel in _FILE_USES):
                bad.append(f"{rel}:{node.lineno}: {node.value!r} ({line})")
    for n, line in enumerate(lines, 1):
        if re.search(r"\.parent\.parent\b|\.parents\[", line) and rel not in _FILE_USES:
            bad.append(f"{rel}:{n}: the checkout's root ({line.strip()})")
    return bad


def test_no_benchmark_writes_next_to_its_own_file_or_sets_pythonpath():
    """Installed, a benchmark's folder is site-packages: outputs go through RESULTS_MD / RESULTS_DIR (set once in
    benchmarks/__init__.py: the checkout's folders, or ./bench-results), child processes import whichever
    omnialloc the interpreter has (python -m <its package name>), never the checkout's src/ on PYTHONPATH."""
    folder = ROOT / "benchmarks"
    bad = [fault for path in sorted(folder.rglob("*.py")) if path != folder / "__init__.py"
           for fault in _faults(path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8"))]
    assert not bad, "use RESULTS_MD / RESULTS_DIR and python -m <package>.<module>:\n" + "\n".join(bad)


def test_the_source_scan_finds_the_old_faults():
    old = (
        'ROOT = Path(__file__).resolve().parents[1]\n'
        'RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"\n'
        'plot = ROOT.parent.parent / "results" / "x.png"\n'
        'env = {"PYTHONPATH": str(ROOT / "src")}\n'
        'this = ["-m", __spec__.name] if __spec__ is not None else [__file__]\n'
    )
    found = _faults("x_bench.py", old)
    # line 1: __file__ and parents[; 2: __file__ and "RESULTS.md"; 3: "results" and parent.parent; 4: PYTHONPATH
    assert sorted(int(f.split(":")[1]) for f in found) == [1, 1, 2, 2, 3, 3, 4], found


def test_results_md_links_its_plots_relative_to_where_it_is_written(monkeypatch, tmp_path):
    # checkout: benchmarks/RESULTS.md beside benchmarks/results/
    assert benchmarks.results_link("x.png") == "results/x.png"
    # installed: ./bench-results holds both RESULTS.md and the plots
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(benchmarks, "RESULTS_DIR", Path("bench-results"))
    monkeypatch.setattr(benchmarks, "RESULTS_MD", Path("bench-results") / "RESULTS.md")
    assert benchmarks.results_link("x.png") == "x.png"
    bad = [p.name for p in (ROOT / "benchmarks").rglob("*.py") if "](results/" in p.read_text(encoding="utf-8")
           or "Frontier: results/" in p.read_text(encoding="utf-8")]
    assert not bad, f"link plots with results_link(), not a fixed results/ prefix: {bad}"
