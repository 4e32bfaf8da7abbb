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

    ``extra`` are callables run first (e.g. loading the postcode list).
    """

    def __init__(self, planner: Any, pairs: Sequence[tuple[str, str]], *, extra: Sequence[Any] = ()) -> None:
        self.planner = planner
        self.pairs = list(pairs)
        self.extra = list(extra)
        self._status: dict[tuple[str, str], Status] = {p: Status(0.0, False) for p in self.pairs}
        self._wanted: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="estate-warmup", daemon=True)
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

    def status(self, mode: str, band: str) -> Status:
        """Where the matrix of ``mode`` in ``band`` is."""
        if self.planner.has_matrix(mode, band):
            return Status(1.0, True)
        with self._lock:
            return self._status.get((mode, band), Status(0.0, False))

    def _next(self) -> tuple[str, str] | None:
        with self._lock:
            for key in [*self._wanted, *self.pairs]:
                st = self._status[key]
                if not st.ready and not st.error:
                    return key
        return None

    def _run(self) -> None:
        for job in self.extra:
            try:
                job()
            except Exception:  # a failed extra is logged; the pages that need it say so
                log.warning("background job %r failed", job, exc_info=True)
        while (key := self._next()) is not None:
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
