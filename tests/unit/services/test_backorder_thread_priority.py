"""The backorder retry threads run nicer than the rest of the notify-worker (``OMNIALLOC_BACKORDER_NICE``), so
API requests on the same host get the CPU first while a backlog is being allocated; the process and its other
threads (the notification sender) keep their priority."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from omnialloc.services.orders.backorders import _lower_priority

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")


def _in_thread(nice: int) -> tuple[int, int]:
    seen = {}

    def run():
        tid = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, tid)
        _lower_priority(nice)
        seen["delta"] = os.getpriority(os.PRIO_PROCESS, tid) - before
        seen["before"] = before

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return seen["before"], seen["delta"]


def test_only_the_calling_thread_becomes_nicer():
    process_before = os.getpriority(os.PRIO_PROCESS, 0)
    before, delta = _in_thread(5)
    assert delta == min(5, 19 - before)
    assert os.getpriority(os.PRIO_PROCESS, 0) == process_before  # this (main) thread and the process: unchanged


def test_zero_keeps_the_priority_and_niceness_stops_at_19():
    assert _in_thread(0)[1] == 0
    before, delta = _in_thread(40)
    assert before + delta == 19
