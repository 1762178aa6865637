"""Reports written to files: CSV tables, JSON summaries and PNG charts, one module per report.

The services return data (summaries, plans, moves); the command line (and the console) hand it to a
report here to be written, and read a report folder back where a later command takes it as input
(``batch apply --plan``, ``rebalance apply --plan``). Charts use matplotlib's Agg backend
(``reports/charts.py``): no display, importable on a server.

This layer imports the domain and nothing above it (no services, no store).
"""
