"""The sample systemd units in deploy/ parse, pair up, and run commands the CLI really has."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import click
import pytest

from omnialloc.cli import main

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
BIN = "/opt/omnialloc/venv/bin/omnialloc"


def _parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """systemd's syntax as configparser reads it, keeping repeated keys (Environment=, ExecStartPre=) apart."""
    sections: dict[str, dict[str, list[str]]] = {}

    class Multi(dict):
        def __setitem__(self, key, value):
            if key in self and isinstance(value, list):
                self[key].extend(value)
            else:
                super().__setitem__(key, value)

    parser = configparser.RawConfigParser(
        strict=False, dict_type=Multi, interpolation=None, empty_lines_in_values=False
    )
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path, encoding="utf-8")
    for name in parser.sections():
        sections[name] = {k: [v] if isinstance(v, str) else v for k, v in parser.items(name)}
    return sections


def _omnialloc_argvs(command: str) -> list[list[str]]:
    argv = shlex.split(command)
    if argv[:2] == ["/bin/sh", "-c"]:
        return [a for part in argv[2].split("&&") if (a := shlex.split(part)) and a[0] == BIN]
    return [argv] if argv[0] == BIN else []


def _cli_resolves(args: list[str]) -> None:
    """Walk the click groups as the shell would, then let the command parse its options."""
    command: click.Command = main
    ctx = click.Context(main, info_name="omnialloc")
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        sub = command.get_command(ctx, args[0])
        assert sub is not None, f"omnialloc has no command {args[0]!r}"
        command, args = sub, args[1:]
    command.make_context(command.name, list(args), parent=ctx)  # raises on an unknown option


def test_there_are_units_for_the_api_the_workers_and_each_nightly_job():
    names = {p.name for p in UNITS}
    assert {"omnialloc-api.service", "omnialloc-worker@.service"} <= names
    for job in ("batch", "prices", "pickups", "prune"):
        assert {f"omnialloc-{job}.service", f"omnialloc-{job}.timer"} <= names


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_a_unit_parses_with_the_sections_systemd_needs(path):
    unit = _parse(path)
    assert "Description" in unit["Unit"]
    if path.suffix == ".service":
        service = unit["Service"]
        assert service["ExecStart"] and service["Type"][0] in ("exec", "oneshot", "simple", "notify")
        assert service["User"] == ["omnialloc"]  # never root
        assert "EnvironmentFile" in service
    else:
        assert unit["Timer"]["OnCalendar"] and unit["Timer"]["Persistent"] == ["true"]
        assert (DEPLOY / path.with_suffix(".service").name).is_file()  # a timer starts its own service
        assert "Install" in unit


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.service")), ids=lambda p: p.name)
def test_a_unit_runs_commands_the_cli_has(path):
    argvs = [a for cmd in _parse(path)["Service"]["ExecStart"] for a in _omnialloc_argvs(cmd)]
    assert argvs, "the unit runs no omnialloc command"
    for argv in argvs:
        _cli_resolves(argv[1:])


def test_the_api_and_workers_share_one_metrics_folder_emptied_when_the_api_starts():
    api = _parse(DEPLOY / "omnialloc-api.service")["Service"]
    worker = _parse(DEPLOY / "omnialloc-worker@.service")
    folder = "PROMETHEUS_MULTIPROC_DIR=/run/omnialloc/metrics"
    assert folder in api["Environment"] and folder in worker["Service"]["Environment"]
    assert any("rm -rf /run/omnialloc/metrics" in c for c in api["ExecStartPre"])
    assert worker["Unit"]["PartOf"] == ["omnialloc-api.service"]
