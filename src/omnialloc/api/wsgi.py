"""WSGI entry point for gunicorn: ``gunicorn omnialloc.api.wsgi:app``."""

import gc

from omnialloc.api import create_app

app = create_app()

# Everything loaded so far (the libraries, the app, the PIN geodata warmed by create_app: ~150,000
# objects) lives as long as the worker. Frozen, Python's full collections stop rescanning it: measured
# in-process on PostgreSQL, the two full collections per 1,000 captures paused the worker for ~135 ms
# each (every request queued behind one waits that long, which shows in the p99); with the start-up
# heap frozen they scan only what requests have cached since (lane quotes, distances).
gc.freeze()
