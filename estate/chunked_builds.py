"""Matrices built in chunks of sites on Dask, for the planner (sparse above its size limit, or
dense when ``--workers``/``--scheduler`` are given on a small problem)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, cast

from geodata.errors import CacheError
from geodata.travel.cache import matrix_key, matrix_path, save_arrays

if TYPE_CHECKING:
    from estate.derived import EngineFacts
    from estate.planner import Planner, Times
    from geodata.travel.base import Mode, ProgressFn, TimeBand

__all__ = ["DaskBuilds", "chunked_matrix", "in_dask_worker"]

log = logging.getLogger("estate.planner")


def chunked_matrix(p: Planner, m: Mode, b: TimeBand, facts: EngineFacts, variant: str, *, sparse: bool,
                   progress: ProgressFn | None) -> tuple[Times, dict[str, Any]]:
    """A matrix built in chunks of sites on Dask (:func:`~geodata.travel.chunked.build_matrix_chunked`).

    Sparse: the chunks stay in the cache and are the matrix.  Dense (``--workers`` or
    ``--scheduler`` on a small problem): the chunks hold every finite pair, become the
    dense matrix (saved as the dense path saves it) and are removed.
    """
    from estate.planner import _effective_cutoff_min
    from geodata.travel.chunked import build_matrix_chunked, chunk_dir, load_chunked

    t0 = time.perf_counter()
    t = p.tables
    cut_min = _effective_cutoff_min(facts.settings_key)
    if sparse:
        cut_min = min(cut_min, p.sparse_cutoff_min)
    cut_s = cut_min * 60.0
    key = matrix_key(facts.settings_key, variant, t.origins, t.destinations)
    if sparse and p.cache_dir is not None:
        folder = chunk_dir(p.cache_dir, facts.name, str(facts.mode), variant, key, cut_s)
        hit = load_chunked(folder, key, t.shape, cut_s)
        if hit is not None:
            return hit, {"status": "hit", "seconds": time.perf_counter() - t0, "path": str(folder),
                         "layout": "sparse", "pairs": hit.nnz, "bytes": hit.nbytes, "cutoff_s": cut_s}
    report: dict[str, Any] = {}
    # inside a Dask task (a sweep's draw) the chunks are built here: a worker cannot start a cluster
    built = build_matrix_chunked(p.engine(m), p.units.points, p.estate.points(), b,
                                 client=None if in_dask_worker() else p.dask_client, out_dir=p.cache_dir,
                                 cutoff_s=cut_s,
                                 progress=progress, report=report)
    if sparse:
        return built, {**report, "layout": "sparse", "seconds": time.perf_counter() - t0}
    dense = built.to_dense()
    path = ""
    if p.cache_dir is not None:
        target = matrix_path(p.cache_dir, facts.name, facts.mode, variant, key)
        try:
            save_arrays(target, key, {"times": dense}, engine=facts.name, mode=facts.mode, variant=variant,
                        shape=list(dense.shape))
            path = str(target)
        except CacheError as exc:
            log.warning("%s; computing in memory only", exc)
        if report.get("path"):  # the dense file is the matrix now: its chunks would only take space
            import shutil

            shutil.rmtree(report["path"], ignore_errors=True)
    return dense, {"status": report.get("status", "built"), "seconds": time.perf_counter() - t0, "path": path,
                   "layout": "dense", "chunks": report.get("chunks")}


def in_dask_worker() -> bool:
    """Is this code running in a Dask worker's task?"""
    import sys

    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


class DaskBuilds:
    """The planner's Dask client and its chunked (and sparse) builds; :class:`~estate.planner.Planner` has them."""

    workers: int | None
    scheduler: str | None
    _client: Any
    _client_stack: Any

    def dask_client(self) -> Any:
        """The Dask client of this planner's builds (opened on first use, kept until :meth:`close`).

        ``scheduler``: that cluster (a :class:`~geodata.errors.ClusterError` if it does not
        answer, never a local fallback); else a ``LocalCluster`` of ``workers`` processes.
        """
        if self._client is None:
            from contextlib import ExitStack

            from geodata.cluster import open_client

            stack = ExitStack()
            self._client = stack.enter_context(open_client(self.workers, self.scheduler))
            self._client_stack = stack
        return self._client

    def close(self) -> None:
        """Close the Dask client and its local cluster, if one was opened."""
        stack, self._client_stack, self._client = self._client_stack, None, None
        if stack is not None:
            stack.close()

    def _chunked(self, m: Mode, b: TimeBand, facts: EngineFacts, variant: str, *, sparse: bool,
                 progress: ProgressFn | None) -> tuple[Times, dict[str, Any]]:
        """A matrix built in chunks of sites on Dask (:func:`estate.chunked_builds.chunked_matrix`)."""
        return chunked_matrix(cast("Planner", self), m, b, facts, variant, sparse=sparse, progress=progress)
