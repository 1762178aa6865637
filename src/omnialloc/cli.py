"""Command line: ``omnialloc serve | db upgrade | load-demo | keys create | ...``.

Thin: each command parses its options, calls one service function and prints.
Expected failures (an unreachable database, a bad file) exit non-zero with a
one-line reason instead of a traceback.
"""

from __future__ import annotations

import sys

import click

from omnialloc.config import get_settings


class _Group(click.Group):
    """Turns known, user-actionable errors into one clear line and exit code 2."""

    def invoke(self, ctx):
        from sqlalchemy.exc import OperationalError

        from omnialloc.domain.errors import DomainError

        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            url = get_settings().database_url
            click.echo(f"error: cannot reach the database at {_redact(url)}: {exc.orig}", err=True)
            sys.exit(2)
        except DomainError as exc:
            click.echo(f"error: {exc.detail}", err=True)
            for fe in exc.field_errors:
                click.echo(f"  {fe.field}: {fe.message}", err=True)
            sys.exit(2)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is itself the message
        return url


@click.group(cls=_Group)
@click.version_option(package_name="omnialloc")
def main() -> None:
    """omnialloc: order management with an optimization core."""


@main.group()
def db() -> None:
    """Database schema migrations (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from omnialloc.store.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    click.echo(f"database at {_redact(get_settings().database_url)} upgraded to {revision}")


@db.command("downgrade")
@click.option("--revision", default="base", show_default=True)
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (default: drop everything)."""
    from omnialloc.store.migrate import downgrade

    downgrade(get_settings().database_url, revision)
    click.echo(f"database at {_redact(get_settings().database_url)} downgraded to {revision}")


@main.command("load-demo")
@click.option("--data-dir", default=None, help="Folder with the network CSV files (default: OMNIALLOC_DATA_DIR, "
              "else the demo network shipped in the package).")
@click.option("--orders/--no-orders", default=False, show_default=True, help="Also capture the sample orders.")
def load_demo(data_dir: str | None, orders: bool) -> None:
    """Load the demo India network (idempotent: running twice changes nothing)."""
    from omnialloc.services.network.demo import load_demo as _load

    counts = _load(data_dir=data_dir, with_orders=orders)
    for name, n in counts.items():
        click.echo(f"{name:>16}: {n}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=2, show_default=True, type=int, help="threads per worker (gthread workers)")
@click.option("--access-log", is_flag=True, help="log every request to standard output")
def serve(host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    """Serve the HTTP API with gunicorn: gthread workers, one listening socket per worker (see
    omnialloc.api.serving for why)."""
    import os

    from omnialloc.api.serving import gunicorn_argv, metrics_env, port_taken

    if port_taken(host, port):
        raise click.ClickException(f"{host}:{port} is already served by another process; stop it or pick "
                                   "another --port")
    get_settings()  # unusable settings stop here, with one line per problem, before gunicorn starts
    argv = gunicorn_argv(host=host, port=port, workers=workers, threads=threads, access_log=access_log)
    os.execve(argv[0], argv, metrics_env(os.environ))


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
def banner(host: str, port: int) -> None:
    """Print where the API is and one copy-paste request (used by `make run`)."""
    base = f"http://{host}:{port}"
    click.echo(f"\nomnialloc API: {base}\nAPI docs:      {base}/docs\n")
    click.echo("Create an order (the demo admin key is printed by `load-demo` and stored in var/demo-admin-key):")
    click.echo(
        f"  curl -s -X POST {base}/orders -H 'Content-Type: application/json' "
        "-H \"Authorization: Bearer $(cat var/demo-admin-key)\" "
        "-d '{\"channel\":\"web\",\"external_id\":\"demo-1\",\"payment_mode\":\"PREPAID\","
        "\"ship_to\":{\"name\":\"Asha\",\"line1\":\"12 Anna Salai\",\"city\":\"Chennai\",\"pin\":\"600002\","
        "\"phone\":\"+919800000001\",\"email\":\"asha@example.com\"},"
        "\"lines\":[{\"sku\":\"SKU-0001\",\"qty\":1}]}'\n"
    )



@main.group()
def keys() -> None:
    """API keys: random, shown once, stored hashed."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(["admin", "channel", "node", "carrier", "analyst"]))
@click.option("--name", default=None, help="Who holds the key (shown in the audit trail).")
@click.option("--channel", default=None, help="For --role channel.")
@click.option("--node", default=None, help="For --role node, e.g. CHN-FC1.")
@click.option("--carrier", default=None, help="For --role carrier.")
def keys_create(role: str, name: str | None, channel: str | None, node: str | None, carrier: str | None) -> None:
    """Create an API key and print it once."""
    from omnialloc.services.access import create_key
    from omnialloc.services.context import Context

    ctx = Context.default()
    with ctx.uow() as uow:
        token, record = create_key(uow, name=name or f"{role}-{node or channel or carrier or 'key'}", role=role,
                                   channel=channel, node=node, carrier=carrier)
        uow.commit()
    click.echo(f"created {record['role']} key {record['id']} ({record['name']}); it is shown only once:")
    click.echo(token)


@main.group()
def carriers() -> None:
    """Carrier settings."""


@carriers.command("secret")
@click.argument("code")
@click.option("--secret", default=None, help="Set this secret instead of generating a random one.")
def carriers_secret(code: str, secret: str | None) -> None:
    """Set (or rotate) the HMAC secret a carrier signs its tracking webhooks with, and print it."""
    import secrets as _secrets

    from omnialloc.domain.errors import NotFound
    from omnialloc.services.context import Context

    ctx = Context.default()
    value = secret or _secrets.token_urlsafe(24)
    with ctx.uow() as uow:
        if not uow.carriers.set_webhook_secret(code, value):
            raise NotFound(f"carrier {code} not found")
        uow.commit()
    click.echo(value)


@main.command("notify-worker")
@click.option("--poll", type=float, default=None, help="Seconds to wait when nothing is due "
              "(default: OMNIALLOC_NOTIFY_POLL_SECONDS).")
@click.option("--backorders/--no-backorders", default=True, show_default=True,
              help="Also allocate backordered orders when stock arrives or is released (the retry queue).")
def notify_worker(poll: float | None, backorders: bool) -> None:
    """Send customer notifications and retry backorders until stopped; SIGTERM or Ctrl-C finishes the batch
    in hand, then exits."""
    from omnialloc.observability import logs
    from omnialloc.services.context import Context
    from omnialloc.services.notifications.worker import worker_main

    logs.configure_from(get_settings())  # JSON lines (OMNIALLOC_LOG_FORMAT), at OMNIALLOC_LOG_LEVEL
    tally = worker_main(Context.default(), poll_seconds=poll, backorders=backorders)
    click.echo("notify-worker stopped: " + ", ".join(f"{k} {v}" for k, v in tally.as_dict().items()))


@main.command("notify-send")
@click.option("--once", is_flag=True, help="Send everything due now, then exit (for cron).")
def notify_send(once: bool) -> None:
    """Send the notifications that are due (use notify-worker for a long-running sender)."""
    if not once:
        raise click.UsageError("notify-send needs --once (for a long-running sender use `omnialloc notify-worker`)")
    from omnialloc.observability import logs
    from omnialloc.services.context import Context
    from omnialloc.services.notifications.worker import send_due

    logs.configure(level="WARNING", fmt=get_settings().log_format)
    tally = send_due(Context.default())
    click.echo(", ".join(f"{k} {v}" for k, v in tally.as_dict().items()))

@main.group("config")
def config_group() -> None:
    """Settings (OMNIALLOC_* variables; docs/configuration.md lists them all)."""


@config_group.command("show")
def config_show() -> None:
    """Print the settings in effect, secrets masked (exits non-zero naming any unusable variable)."""
    import json

    click.echo(json.dumps(get_settings().redacted(), indent=2, sort_keys=True))


@main.command()
@click.option("--limit", default=50, show_default=True, help="How many violations to list.")
def check(limit: int) -> None:
    """Scan the store for broken invariants (stock, reservations, where every ordered unit is, statuses,
    audit events); exit 1 if any."""
    from omnialloc.services.context import Context
    from omnialloc.services.invariants import check as run_check

    report = run_check(Context.default().engine)
    click.echo(report.summary(limit=limit))
    if not report.ok:
        raise SystemExit(1)


from omnialloc.cli_omni import COMMANDS as _OMNI_COMMANDS  # noqa: E402 - inventory, pickups, channels, transfers (issue 6)

for _command in _OMNI_COMMANDS:
    main.add_command(_command)


from omnialloc.cli_batch import COMMANDS as _BATCH_COMMANDS  # noqa: E402 - batch, prices, rebalance (issue 9)

for _command in _BATCH_COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()


# --------------------------------------------------------------------------- bench
def _benchmarks():
    """The benchmarks package of a source checkout (it is not part of the installed package)."""
    try:
        from benchmarks import report
    except ModuleNotFoundError as exc:
        if exc.name != "benchmarks":
            raise
        raise click.ClickException(
            "the benchmarks are not installed: they live in the benchmarks/ folder of a source checkout. "
            "Run them from the checkout's root as `python -m omnialloc bench ...` (or `make bench`)") from None
    return report


@main.group()
def bench() -> None:
    """Benchmarks for analysts: strategy comparison on seeded scenarios, what-if replays."""


@bench.command("run")
@click.option("--scenario", default="india-100", show_default=True, help="india-<N> (N nodes) or jasin-sinha.")
@click.option("--orders", default=20_000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--strategies", default="all", show_default=True,
              help="Comma-separated: nearest,priority,max_stock,cost_greedy,optimal,clairvoyant, or all.")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--out", "out_dir", default=None, help="Folder for CSV, markdown and PNGs (default benchmarks/results).")
@click.option("--check/--no-check", default=True, show_default=True,
              help="Re-solve optimal on every baseline's state and fail if it ever costs more.")
@click.option("--time-limit-ms", default=200.0, show_default=True, type=float)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Processes running groups of strategies side by side (results do not depend on it).")
def bench_run_cmd(scenario, orders, strategies, seed, out_dir, check, time_limit_ms, workers) -> None:
    """Run strategies on the same orders in arrival order with stock depleting; write tables and plots."""
    report = _benchmarks()
    from benchmarks.runner import parse_strategies

    try:
        parse_strategies(strategies)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--strategies") from None
    cmd = (f"omnialloc bench run --scenario {scenario} --orders {orders} --strategies {strategies} --seed {seed}"
           + ("" if check else " --no-check"))
    try:
        out = report.bench_run(scenario, orders, strategies, seed, out_dir=out_dir, check=check,
                               time_limit_ms=time_limit_ms, command=cmd, workers=workers)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(out.markdown)
    click.echo(f"wrote {out.csv_path}, {out.md_path} and {len(out.pngs)} PNGs")
    if out.result.violations:
        click.echo(f"error: optimal cost more than a baseline on {len(out.result.violations)} order(s); "
                   f"see {out.csv_path.with_name(out.name + '-violations.csv')}", err=True)
        sys.exit(1)


@bench.command("bound")
@click.option("--scenario", default="india-100", show_default=True, help="india-<N> (N nodes) or jasin-sinha.")
@click.option("--orders", default=20_000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--steps", default=10, show_default=True, type=click.IntRange(0, 1_000),
              help="Column-generation steps after the start prices (a count, not a time: reproducible).")
@click.option("--window", default=2_000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Start prices from the batch LP over this many of the first real orders.")
@click.option("--windows", default=1, show_default=True, type=click.IntRange(1, 1_000),
              help="Average the start prices over this many consecutive windows of --window orders.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--out", "out_dir", default=None, help="Folder for the stored prices (default benchmarks/results).")
def bench_bound_cmd(scenario, orders, seed, steps, window, windows, workers, out_dir) -> None:
    """Certify the clairvoyant (Lagrangian) lower bound with a fixed number of steps and store its
    prices; `bench run` on the same scenario starts its bound from them and evaluates it again."""
    _benchmarks()
    from benchmarks import certificate
    from benchmarks.scenarios import get_scenario

    try:
        sc = get_scenario(scenario, orders, seed)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scenario") from None
    cmd = (f"omnialloc bench bound --scenario {scenario} --orders {orders} --seed {seed} --steps {steps}"
           + (f" --window {window}" if window != 2_000 else "") + (f" --windows {windows}" if windows != 1 else ""))
    res, rec, path = certificate.certify(sc, steps, workers=workers, window=window, windows=windows, command=cmd,
                                         out_dir=out_dir)
    unit, div = sc.money_unit, sc.money_divisor
    click.echo(f"Lagrangian bound {res.cost / div:,.0f} {unit} after {rec['steps']} step(s) "
               f"(start {res.start_cost / div:,.0f} {unit}"
               + (f"; no prices give more than {res.master / div:,.0f} {unit} over the plans found"
                  if res.master is not None else "")
               + f"); {rec['wall_s']:,.0f} s, {rec['cpu_s']:,.0f} CPU-s; wrote {path}")


@bench.command("replay")
@click.option("--since", required=True, help="Replay orders created on or after this date (YYYY-MM-DD, UTC).")
@click.option("--strategy", default="nearest", show_default=True,
              type=click.Choice(["optimal", "nearest", "priority", "max_stock", "cost_greedy"]))
@click.option("--split-penalty", "split_penalty", default=None, type=click.IntRange(min=0),
              help="Paise per shipment beyond the first (default: the live setting).")
@click.option("--distance-weight", "distance_weight", default=0, show_default=True, type=click.IntRange(min=0),
              help="Paise per km from node to customer, as a preference (not counted as money spent).")
@click.option("--priority-weight", "priority_weight", default=0, show_default=True, type=click.IntRange(min=0),
              help="Paise per point of node priority (lower priority number preferred), as a preference.")
@click.option("--limit", default=None, type=click.IntRange(min=1), help="Replay at most this many orders (oldest first).")
@click.option("--out", "out_csv", default=None, help="Write the per-order comparison to this CSV.")
def bench_replay_cmd(since: str, strategy: str, split_penalty: int | None, distance_weight: int,
                     priority_weight: int, limit: int | None, out_csv: str | None) -> None:
    """What-if: re-run the order history under STRATEGY (and weights) on the stock as it was; never writes to the store."""
    import csv
    import datetime as dt

    _benchmarks()
    from benchmarks.replay import Weights, replay
    from omnialloc.services.context import Context

    try:
        start = dt.datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise click.BadParameter(f"{since!r} is not a date like 2026-10-01", param_hint="--since") from None
    weights = Weights(split_penalty, distance_weight, priority_weight)
    rows, s = replay(Context.default(), start, strategy, limit=limit, weights=weights)
    if not rows:
        click.echo(f"no orders created since {since}")
        return
    rs = lambda p: f"Rs {p / 100:,.2f}"  # noqa: E731
    diff = s["replay_paise"] - s["actual_paise"]
    click.echo(f"replayed {s['orders']} orders since {since} with {strategy}, {s['weights']} "
               f"(read-only; stock rebuilt as it was, {s['stock_changes_replayed']} stock adjustment(s) and "
               f"{s['imports_replayed']} import(s) replayed in time order)")
    if s["imports_not_undone"]:
        click.echo(f"  note: {s['imports_not_undone']} stock import(s) since then predate per-position change "
                   "records (migration 0010) and were not undone")
    click.echo(f"  compared (placed both times): {s['compared']}; cost = carrier charge + COD fee + handling")
    click.echo(f"  actual cost:   {rs(s['actual_paise'])}, split orders {s['actual_split']}, unplaced {s['actual_unplaced']}")
    click.echo(f"  {strategy} cost: {rs(s['replay_paise'])}, split orders {s['replay_split']}, unplaced {s['replay_unplaced']}")
    pct = f" ({100 * diff / s['actual_paise']:+.2f}%)" if s["actual_paise"] else ""
    click.echo(f"  difference:    {rs(diff)}{pct}")
    if out_csv:
        with open(out_csv, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["order_id", "actual_paise", "actual_shipments", "replay_paise", "replay_shipments", "replay_status"])
            for r in rows:
                w.writerow([r.order_id, r.actual_paise, r.actual_shipments, r.replay_paise, r.replay_shipments, r.replay_status])
        click.echo(f"wrote {out_csv}")
