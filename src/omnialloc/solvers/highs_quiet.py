"""``quiet_highs()``: a ``highspy.Highs`` with its output off and without the start-up banner.

HiGHS prints "Running HiGHS ..." from C++ straight to file descriptor 1 when
the first ``Highs`` object of a process is created, before ``output_flag``
can be set, so it leaks into CLI and service output (and
``contextlib.redirect_stdout`` cannot catch it). The first creation therefore
runs with fd 1 pointed at /dev/null; later ones print nothing anyway.
"""

from __future__ import annotations

import os
import sys
import threading

import highspy

_lock = threading.Lock()
_banner_done = False


def quiet_highs() -> highspy.Highs:
    global _banner_done
    if not _banner_done:
        with _lock:
            if not _banner_done:
                try:
                    sys.stdout.flush()
                except Exception:  # a closed or odd stdout: nothing to flush
                    pass
                saved = os.dup(1)
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, 1)
                    h = highspy.Highs()  # type: ignore[no-untyped-call]
                finally:
                    os.dup2(saved, 1)
                    os.close(saved)
                    os.close(devnull)
                _banner_done = True
                h.setOptionValue("output_flag", False)
                return h
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    return h
