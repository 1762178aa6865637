"""``python -m omnialloc.cli``: the same command line as ``omnialloc`` (tests and benchmarks start workers so)."""

from omnialloc.cli import main

main(prog_name="omnialloc")
