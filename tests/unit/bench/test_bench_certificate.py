"""The certification run (`omnialloc bench bound`): a step-counted Lagrangian bound whose prices are stored,
found again only for the same scenario, and re-evaluated (never trusted) by `bench run`'s references."""

import json

import numpy as np
from click.testing import CliRunner

from benchmarks import certificate, clairvoyant, lagrangian
from benchmarks.runner import OrderContext
from benchmarks.scenarios import get_scenario
from omnialloc.cli import main


def contexts(sc):
    return [OrderContext(sc, o) for o in sc.orders()]


def test_certify_takes_the_steps_it_is_told_and_stores_the_best_prices(tmp_path):
    sc = get_scenario("india-12", 60, 4)
    res, rec, path = certificate.certify(sc, 3, workers=1, out_dir=tmp_path, command="cmd")
    assert path == certificate.path_for(sc, tmp_path) and path.exists()
    assert rec["steps"] == res.passes - 1 <= 3 and rec["L_paise"] == res.cost >= rec["start_L_paise"]
    lam, stored = certificate.stored_prices(sc, contexts(sc), tmp_path)
    assert np.array_equal(lam, res.lam) and stored["command"] == "cmd"


def test_the_same_command_gives_the_same_prices(tmp_path):
    sc = get_scenario("india-12", 60, 4)
    certificate.certify(sc, 2, workers=1, out_dir=tmp_path / "a")
    certificate.certify(get_scenario("india-12", 60, 4), 2, workers=2, out_dir=tmp_path / "b")
    a, b = (json.loads(certificate.path_for(sc, tmp_path / d).read_text()) for d in "ab")
    assert a["prices"] == b["prices"] and a["L_paise"] == b["L_paise"]


def test_stored_prices_are_ignored_for_another_scenario(tmp_path):
    sc = get_scenario("india-12", 60, 4)
    certificate.certify(sc, 1, workers=1, out_dir=tmp_path)
    other = get_scenario("india-12", 60, 4)
    other.stock0 = other.stock0.copy()
    other.stock0[0, 0] += 1
    assert certificate.stored_prices(other, contexts(other), tmp_path) is None
    assert certificate.stored_prices(get_scenario("india-12", 60, 5), contexts(sc), tmp_path) is None


def test_references_start_from_stored_prices_and_evaluate_the_bound_themselves(tmp_path, monkeypatch):
    sc = get_scenario("india-12", 60, 4)
    res, rec, _ = certificate.certify(sc, 3, workers=1, out_dir=tmp_path)
    monkeypatch.setattr(certificate, "RESULTS_DIR", tmp_path)
    refs = clairvoyant.references(get_scenario("india-12", 60, 4), bound_budget_s=0, workers=1)
    bound = refs["bound"]
    assert bound["stored"]["L_paise"] == rec["L_paise"] and "certification run" in bound["method"]
    # evaluated again here at the stored prices: the same L, computed by this run
    assert bound["start_cost"] == res.cost == lagrangian.lagrangian_bound(sc, res.lam, max_passes=1).cost
    # a doctored file changes the prices tried, never the validity: L is computed from them again
    data = json.loads(certificate.path_for(sc, tmp_path).read_text())
    data["L_paise"] = 10 ** 12
    data["prices"] = [[n, s, 0] for n, s, _ in data["prices"]]
    certificate.path_for(sc, tmp_path).write_text(json.dumps(data))
    again = clairvoyant.references(get_scenario("india-12", 60, 4), bound_budget_s=0, workers=1)["bound"]
    assert again["start_cost"] == lagrangian.lagrangian_bound(sc, np.zeros(sc.stock0.shape), max_passes=1).cost


def test_bench_bound_command_writes_the_prices(tmp_path):
    out = CliRunner().invoke(main, ["bench", "bound", "--scenario", "india-12", "--orders", "40", "--seed", "3",
                                    "--steps", "1", "--workers", "1", "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    rec = json.loads((tmp_path / "bound-india-12-40-s3.json").read_text())
    assert rec["command"] == "omnialloc bench bound --scenario india-12 --orders 40 --seed 3 --steps 1"
    assert "Lagrangian bound" in out.output and rec["steps"] <= 1


def test_a_stale_certificate_is_not_used_and_the_notes_say_so(tmp_path, monkeypatch):
    from benchmarks import report, runner

    sc = get_scenario("india-12", 60, 4)
    certificate.certify(sc, 0, workers=1, out_dir=tmp_path)
    monkeypatch.setattr(certificate, "RESULTS_DIR", tmp_path)
    changed = get_scenario("india-12", 60, 4)
    changed.stock0 = changed.stock0 + 1
    refs = clairvoyant.references(changed, bound_budget_s=0, workers=1)
    assert "stored" not in refs["bound"] and refs["bound"]["stale_certificate"] == "bound-india-12-60-s4.json"
    result = runner.RunResult(changed, {}, [], 0, {}, clairvoyant=refs)
    assert any("not used" in line for line in report.clairvoyant_notes(result))


def test_the_fingerprint_is_the_same_in_every_process():
    # A frozenset's repr (a carrier's modes) follows string hashing, which Python seeds per process: the
    # stored file must still be found by the next `bench run`.
    import os
    import subprocess
    import sys

    code = ("from benchmarks import certificate; from benchmarks.runner import OrderContext; "
            "from benchmarks.scenarios import get_scenario; sc = get_scenario('india-12', 60, 4); "
            "print(certificate.fingerprint(sc, [OrderContext(sc, o) for o in sc.orders()]))")
    prints = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": str(seed)},
                             capture_output=True, text=True, check=True, timeout=300).stdout for seed in (0, 2, 4)}
    assert len(prints) == 1
