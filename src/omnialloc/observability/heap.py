"""The garbage collector's settings for a long-lived worker process.

gunicorn's entry point (``omnialloc.api.wsgi``) applies them once the app is built; latency benchmarks that
call the services in-process (``benchmarks.promise_bench``) apply them after their warm-up, so that they
measure the collector a worker runs, not the interpreter's defaults.
"""

from __future__ import annotations

import gc

# A capture+allocate allocates tens of thousands of short-lived objects (rows, lanes, the plan and its
# JSON), so the default young-generation threshold of 700 ran ~1 collection per request, each walking
# the survivors: measured in-process on PostgreSQL, 0.31 ms of CPU per request in the collector at the
# default, 0.07 ms at 20,000. Young garbage is still freed at once by reference counting; the collector
# only looks for cycles, and at this threshold it still runs every ~60 requests.
YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Freeze what the process holds now and raise the young generation's threshold (see the comments)."""
    # Everything loaded so far (the libraries, the app, the PIN geodata warmed by create_app: ~150,000
    # objects) lives as long as the worker. Frozen, Python's full collections stop rescanning it: measured
    # in-process on PostgreSQL, the two full collections per 1,000 captures paused the worker for ~135 ms
    # each (every request queued behind one waits that long, which shows in the p99); with the start-up
    # heap frozen they scan only what requests have cached since (lane quotes, distances).
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 10, 10)
