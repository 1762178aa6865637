"""`omnialloc bench`: bad options are refused with a usage error before anything runs."""

from click.testing import CliRunner

from omnialloc.cli import main


def test_replay_refuses_negative_weights_and_bad_dates():
    runner = CliRunner()
    for args, hint in ((["--split-penalty", "-1"], "--split-penalty"), (["--distance-weight", "-5"], "--distance-weight"),
                       (["--priority-weight", "x"], "--priority-weight")):
        res = runner.invoke(main, ["bench", "replay", "--since", "2026-10-01", *args])
        assert res.exit_code == 2 and hint in res.output
    res = runner.invoke(main, ["bench", "replay", "--since", "1 Oct"])
    assert res.exit_code == 2 and "is not a date like 2026-10-01" in res.output


def test_run_refuses_unknown_strategies_and_workers_below_one():
    runner = CliRunner()
    res = runner.invoke(main, ["bench", "run", "--strategies", "optimal,psychic", "--orders", "10"])
    assert res.exit_code == 2 and "unknown strategies" in res.output
    res = runner.invoke(main, ["bench", "run", "--workers", "0", "--orders", "10"])
    assert res.exit_code == 2 and "--workers" in res.output
