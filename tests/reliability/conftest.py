"""Reliability tests: the worker helpers in this folder must be importable by spawned processes."""

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
