"""How the API is served: the one gunicorn command line behind `omnialloc serve`, `make run` and the load benchmark."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Mapping, Sequence

from omnialloc.observability.metrics import MULTIPROC_ENV


# The server's limits sit above the app's (api.intake: 4,096-byte request target, 100 header fields of at most
# 8,192 bytes), so the app answers within them; past them gunicorn does, in the same problem+json shape
# (api.gunicorn_workers). 8,190 is the longest request line gunicorn takes short of "unlimited", which would
# let a client make a worker buffer a request line of any size.
LIMITS = ("--limit-request-line", "8190", "--limit-request-fields", "200", "--limit-request-field_size", "16384")
# gunicorn's worker class names -> ours, whose own error answers are problem+json
WORKER_CLASSES = {"gthread": "omnialloc.api.gunicorn_workers.ThreadWorker",
                  "sync": "omnialloc.api.gunicorn_workers.SyncWorker"}


def gunicorn_argv(*, host: str, port: int, workers: int = 2, threads: int = 2, worker_class: str = "gthread",
                  access_log: bool = False, extra: Sequence[str] = ()) -> list[str]:
    """The argv that starts gunicorn on ``omnialloc.api.wsgi:app`` (argv[0] is the venv's gunicorn).

    - gthread workers: connections are kept alive, and a worker's second thread computes while the
      first waits for the database (benchmarks/RESULTS.md, "Load").
    - ``--preload``: the app, the libraries and the PIN geodata are loaded once in the master and
      shared by the forked workers (wsgi.py freezes that heap out of the collector's sight).
    - ``--reuse-port``: each worker listens on its own SO_REUSEPORT socket, so the kernel spreads new
      connections over the workers. On one shared socket the worker that wakes first accepts every
      connection waiting, and a gthread worker keeps a kept-alive connection for its whole life: a
      client opening its pool of 8 connections at once had all 8 served by one worker while the
      other idled (measured: 8.81 vs 0.00 CPU-seconds over 10 s), one core doing the work of two.
      The flip side: a second server started on a port already served would share it instead of
      failing, so ``port_taken`` is checked first (``omnialloc serve``).

    - ``LIMITS`` and ``WORKER_CLASSES``: every error a client can get is in the API's one shape.

    ``extra``: more gunicorn options (the tests' shorter timeouts).
    """
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    argv = [gunicorn, "--preload", "--reuse-port", "--workers", str(workers),
            "--worker-class", WORKER_CLASSES.get(worker_class, worker_class),
            "--threads", str(threads), "--bind", f"{host}:{port}", *LIMITS]
    if access_log:
        argv += ["--access-logfile", "-"]
    return argv + list(extra) + ["omnialloc.api.wsgi:app"]


def port_taken(host: str, port: int) -> bool:
    """Whether something already accepts connections on host:port (with ``--reuse-port`` a second
    gunicorn would silently take half of its connections rather than fail to bind)."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def metrics_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment gunicorn runs in: ``PROMETHEUS_MULTIPROC_DIR`` set, so every worker's metrics add up
    in one scrape of any of them. An operator's own directory is kept (emptied by whoever restarts the
    server: the deploy/ units, `make run`); without one, a fresh empty directory is made."""
    env = dict(environ)
    if not env.get(MULTIPROC_ENV):
        env[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="omnialloc-metrics-")
    return env
