"""Worker processes that die with their parent.

A killed (or crashed) parent must not leave its workers running: each worker
asks Linux to send it ``SIGKILL`` when the parent dies (``prctl(PR_SET_PDEATHSIG)``),
and a watcher thread exits it once its parent is gone, where that is not available.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def _watch(parent: int, every: float) -> None:
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(1)


def die_with_parent(parent: int | None = None, every: float = 0.5) -> None:
    """Make this (worker) process exit when ``parent`` (its parent's pid) dies.

    Use as a pool's ``initializer`` with ``initargs=(os.getpid(),)``, so a parent
    that died before the worker started is noticed too.
    """
    parent = os.getppid() if parent is None else parent
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch, args=(parent, every), daemon=True, name="die-with-parent").start()
