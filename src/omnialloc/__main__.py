"""``python -m omnialloc``: the command line, run with the current folder importable (benchmarks from a checkout)."""

from omnialloc.cli import main

main(prog_name="omnialloc")
