"""Building the travel-time matrices in the background, with progress.

The app starts one :class:`Warmup` when its server starts: a thread asks the
planner for each (mode, band) matrix in turn (from the disk cache when it is
there), so switching band later costs a look-up, not a 40-second build.  A
page that needs a matrix first asks :meth:`Warmup.status`, shows the progress
and waits; the planner's lock makes sure nothing is built twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Status", "Warmup"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    """Where one matrix is: ``done`` (0..1), finished, or the error that stopped it."""

    done: float
    ready: bool
    error: str = ""


class Warmup:
    """Build ``pairs`` of (mode, band) matrices of ``planner`` in one background thread.

    ``extra`` are callables (e.g. loading the postcode list).  Order of work: any pair a
    page asks for (:meth:`want`) first, always; then, once :meth:`release` is called (the app
    calls it when its first page is drawn, so the background does not compete with it)
    or ``hold`` seconds have passed, the extras and the other pairs.
    """

    def __init__(self, planner: Any, pairs: Sequence[tuple[str, str]], *, extra: Sequence[Any] = (),
                 hold: float = 0.0) -> None:
        self.planner = planner
        self.pairs = list(pairs)
        self.extra = list(extra)
        self._status: dict[tuple[str, str], Status] = {p: Status(0.0, False) for p in self.pairs}
        self._wanted: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="estate-warmup", daemon=True)
        self._released = threading.Event()
        self._release_timer: threading.Timer | None = None
        self._woken = threading.Event()
        self.hold = hold
        if hold <= 0:
            self._released.set()
        self.started = time.monotonic()

    def start(self) -> Warmup:
        """Start the thread (once)."""
        if not self._thread.is_alive() and not self._thread.ident:
            self._thread.start()
        return self

    def want(self, mode: str, band: str) -> None:
        """Build this pair next."""
        with self._lock:
            key = (mode, band)
            if key not in self._status:
                self._status[key] = Status(0.0, False)
                self.pairs.append(key)
            self._wanted.insert(0, key)
        self._woken.set()

    def release(self, after: float = 0.0) -> None:
        """Let the extras and the other pairs start (the first page is drawn), ``after`` seconds from
        the first call (the app waits a little: the page's messages are still being sent and drawn,
        and the extras would compete with them for the interpreter and the processor)."""
        if after <= 0:
            self._released.set()
            self._woken.set()
            return
        with self._lock:
            if self._released.is_set() or self._release_timer is not None:
                return
            self._release_timer = threading.Timer(after, self.release)
            self._release_timer.daemon = True
        self._release_timer.start()

    def status(self, mode: str, band: str) -> Status:
        """Where the matrix of ``mode`` in ``band`` is."""
        if self.planner.has_matrix(mode, band):
            return Status(1.0, True)
        with self._lock:
            return self._status.get((mode, band), Status(0.0, False))

    def _next(self, *, wanted_only: bool = False) -> tuple[str, str] | None:
        with self._lock:
            for key in [*self._wanted, *([] if wanted_only else self.pairs)]:
                st = self._status[key]
                if not st.ready and not st.error:
                    return key
        return None

    def _run(self) -> None:
        deadline = time.monotonic() + self.hold
        while not self._released.is_set() and time.monotonic() < deadline:
            key = self._next(wanted_only=True)
            if key is not None:
                self._build(key)
                continue
            self._woken.wait(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
            self._woken.clear()
        while (key := self._next(wanted_only=True)) is not None:
            self._build(key)
        for job in self.extra:
            while (key := self._next(wanted_only=True)) is not None:  # a page waiting comes first
                self._build(key)
            try:
                job()
            except Exception:  # a failed extra is logged; the pages that need it say so
                log.warning("background job %r failed", job, exc_info=True)
        while (key := self._next()) is not None:
            self._build(key)

    def _build(self, key: tuple[str, str]) -> None:
        """Build (or load) one matrix, keeping its progress and its outcome."""
        mode, band = key

        def progress(done: int, total: int, key: tuple[str, str] = key) -> None:
            with self._lock:
                self._status[key] = Status(min(done / max(total, 1), 0.99), False)

        try:
            self.planner.matrix(mode, band, progress=progress)
            result = Status(1.0, True)
        except Exception as exc:  # shown by the page that needs this matrix
            log.warning("matrix %s/%s failed", mode, band, exc_info=True)
            result = Status(0.0, False, f"{type(exc).__name__}: {exc}")
        with self._lock:
            self._status[key] = result
            self._wanted = [k for k in self._wanted if k != key]
