"""Operability: structured logs with a request id (``logs``, ``request_id``), Prometheus metrics (``metrics``).

Nothing here imports Flask or the store: the API, the workers and the CLI wire these in at their edges.
"""
