"""WSGI entry point for gunicorn: ``gunicorn omnialloc.api.wsgi:app``."""

import gc

from omnialloc.config import get_settings
from omnialloc.observability import logs

logs.configure_from(get_settings())  # JSON lines with request ids (unusable settings exit here, with a message)

from omnialloc.api import create_app  # noqa: E402 - after the settings are known to be usable

app = create_app()

# Everything loaded so far (the libraries, the app, the PIN geodata warmed by create_app: ~150,000
# objects) lives as long as the worker. Frozen, Python's full collections stop rescanning it: measured
# in-process on PostgreSQL, the two full collections per 1,000 captures paused the worker for ~135 ms
# each (every request queued behind one waits that long, which shows in the p99); with the start-up
# heap frozen they scan only what requests have cached since (lane quotes, distances).
gc.freeze()

# A capture+allocate allocates tens of thousands of short-lived objects (rows, lanes, the plan and its
# JSON), so the default young-generation threshold of 700 ran ~1 collection per request, each walking
# the survivors: measured in-process on PostgreSQL, 0.31 ms of CPU per request in the collector at the
# default, 0.07 ms at 20,000. Young garbage is still freed at once by reference counting; the collector
# only looks for cycles, and at this threshold it still runs every ~60 requests.
gc.set_threshold(20_000, 10, 10)
