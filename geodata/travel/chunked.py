"""Matrix builds in chunks of sites, on Dask, each chunk written to the disk cache as it finishes.

Sites are independent (a column of the matrix is one site's times to every
unit), so a build splits into chunks of ``chunk_sites`` columns.  Each chunk is
one Dask task: the worker computes it (an engine's :meth:`sparse_matrix` where it
has one, e.g. the crow-fly KD-tree, else its dense :meth:`matrix` on the chunk's
sites, kept within the cutoff), writes it atomically into the cache folder with
its verified key (:func:`geodata.travel.cache.save_arrays`) and returns only its
counts: nothing gathers the whole matrix through Dask or in one process while
building.  The result is then read back chunk by chunk from disk as one
:class:`~geodata.travel.sparse.SparseTimes`.

A chunk already on disk with a valid key is not rebuilt, so an interrupted build
resumes; a corrupt or stale one is rebuilt (with a warning).  Without a client
the chunks are built one after another in this process, with the same code and
the same files.  On a remote cluster (``--scheduler``) the workers must see the
cache folder (a shared file system).

Examples
--------
>>> from geodata.travel.base import BANDS, Mode, Points
>>> from geodata.travel.crowfly import CrowflyEngine
>>> import tempfile
>>> e = CrowflyEngine(Mode.WALK)
>>> u = Points(["a", "b"], [0.0, 5000.0], [0.0, 0.0]); s = Points(["s", "t", "v"], [100.0, 4900.0, 9e5], [0.0] * 3)
>>> t = build_matrix_chunked(e, u, s, BANDS["day"], out_dir=tempfile.mkdtemp(), chunk_sites=2)
>>> t.shape, t.nnz
((2, 3), 4)
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import CacheError, EngineError
from geodata.travel.base import Points, ProgressFn, TimeBand, TravelEngine
from geodata.travel.cache import cache_key, digest, load_arrays, matrix_path, save_arrays
from geodata.travel.sparse import SparseTimes

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["DEFAULT_CHUNK_SITES", "build_matrix_chunked", "chunk_dir", "chunk_ranges", "load_chunked"]

log = logging.getLogger(__name__)

#: sites per chunk: a dense chunk of all 35,672 LSOAs is then 36 MB at most
DEFAULT_CHUNK_SITES = 256


def chunk_ranges(n_sites: int, chunk_sites: int) -> list[tuple[int, int]]:
    """``[(lo, hi), ...]`` column ranges of ``chunk_sites`` (the last may be shorter).

    >>> chunk_ranges(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if isinstance(chunk_sites, bool) or int(chunk_sites) != chunk_sites or chunk_sites < 1:
        raise EngineError(f"chunk_sites {chunk_sites!r} must be a whole number above 0")
    c = int(chunk_sites)
    return [(lo, min(lo + c, n_sites)) for lo in range(0, n_sites, c)]


def _cut_tag(cutoff_s: float) -> str:
    return "all" if not math.isfinite(cutoff_s) else f"{cutoff_s / 60.0:g}min"


def chunk_dir(cache_dir: Path, engine: str, mode: str, variant: str, key: str, cutoff_s: float) -> Path:
    """The folder of a chunked matrix in the cache: beside the dense file, one ``.npz`` per chunk."""
    base = matrix_path(Path(cache_dir), engine, mode, variant, key)
    return base.with_name(base.stem + f"-sparse-{_cut_tag(cutoff_s)}")


def _chunk_key(matrix_key: str, cutoff_s: float, lo: int, hi: int) -> str:
    return digest({"matrix": matrix_key, "layout": "sparse-columns", "cutoff_s": cutoff_s, "columns": [lo, hi]})


def _chunk_path(folder: Path, lo: int, hi: int) -> Path:
    return folder / f"sites-{lo:07d}-{hi:07d}.npz"


def _load_chunk(path: Path, key: str, n_units: int, lo: int, hi: int, cutoff_s: float) -> SparseTimes:
    arrays = load_arrays(path, key, {"indptr": ((hi - lo + 1,), np.int64), "indices": (None, np.int32),
                                     "data": (None, np.float32)})
    try:
        return SparseTimes((n_units, hi - lo), arrays["indptr"], arrays["indices"], arrays["data"], cutoff_s)
    except ValueError as exc:  # DataError: consistent checksum, inconsistent arrays
        raise CacheError(f"cache file {path} holds an inconsistent sparse chunk ({exc})") from exc


def _chunk_times(engine: TravelEngine, units: Points, sites: Points, band: TimeBand, cutoff_s: float) -> SparseTimes:
    sparse = getattr(engine, "sparse_matrix", None)
    if callable(sparse):
        out = sparse(units, sites, band, cutoff_s=cutoff_s)
        if not isinstance(out, SparseTimes):
            raise EngineError(f"engine {engine.name}: sparse_matrix returned a {type(out).__name__}")
        return out
    dense = np.asarray(engine.matrix(units, sites, band), dtype=np.float32)
    if dense.shape != (len(units), len(sites)):
        raise EngineError(f"engine {engine.name} returned shape {dense.shape}, expected {(len(units), len(sites))}")
    return SparseTimes.from_dense(dense, cutoff_s)


def _build_chunk(engine: TravelEngine, units: Points, sites: Points, band: TimeBand, lo: int, hi: int,
                 cutoff_s: float, path: str, key: str, meta: dict[str, Any]) -> tuple[int, int, int, float]:
    """One task: build columns ``lo:hi``, write them to ``path``; return (lo, hi, pairs, seconds)."""
    t0 = time.perf_counter()
    sub = Points(sites.ids[lo:hi], sites.x[lo:hi], sites.y[lo:hi])
    part = _chunk_times(engine, units, sub, band, cutoff_s)
    save_arrays(Path(path), key, part.arrays(), **meta, columns=[lo, hi], cutoff_s=cutoff_s)
    return lo, hi, part.nnz, time.perf_counter() - t0


def load_chunked(folder: Path, matrix_key: str, shape: tuple[int, int], cutoff_s: float,
                 chunk_sites: int = DEFAULT_CHUNK_SITES) -> SparseTimes | None:
    """The chunked matrix from ``folder`` when every chunk is there and valid, else None (no engine needed)."""
    parts = []
    for lo, hi in chunk_ranges(shape[1], chunk_sites):
        path = _chunk_path(folder, lo, hi)
        try:
            if not path.is_file():
                return None
            parts.append(_load_chunk(path, _chunk_key(matrix_key, cutoff_s, lo, hi), shape[0], lo, hi, cutoff_s))
        except CacheError as exc:
            log.warning("%s; rebuilding it", exc)
            return None
        except OSError:
            return None
    if not parts:
        return SparseTimes(shape, np.zeros(shape[1] + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32),
                           cutoff_s)
    return SparseTimes.hstack(parts)


def build_matrix_chunked(
    engine: TravelEngine,
    units: Points,
    sites: Points,
    band: TimeBand,
    *,
    client: Client | Callable[[], Client] | None = None,
    chunk_sites: int = DEFAULT_CHUNK_SITES,
    out_dir: str | Path | None = None,
    cutoff_s: float | None = None,
    progress: ProgressFn | None = None,
    report: dict[str, Any] | None = None,
) -> SparseTimes:
    """The units x sites matrix of ``engine`` in ``band``, built in chunks of sites, kept within ``cutoff_s``.

    Parameters
    ----------
    client
        A Dask client (:func:`geodata.cluster.open_client`), or a function giving one
        (called only when a chunk needs building): each chunk is a task on its
        workers.  ``None``: the chunks are built here, one after another.
    chunk_sites
        Sites per chunk (:data:`DEFAULT_CHUNK_SITES`).
    out_dir
        The cache folder (the chunks go in a folder of their own inside it, named by
        the matrix's key); ``None``: a temporary folder, removed afterwards.
    cutoff_s
        Keep pairs within this many seconds (default: the engine's own cutoff, so the
        result equals its dense matrix, ``inf`` where nothing is stored).
    progress
        ``progress(chunks_done, chunks)`` as chunks finish.
    report
        Filled with ``status`` (``hit``/``built``), ``seconds``, ``path``, ``chunks``,
        ``built_chunks``, ``pairs``, ``bytes``.

    Raises
    ------
    EngineError
        When the engine returns a chunk of the wrong shape.
    CacheError
        When a chunk cannot be written.
    """
    t0 = time.perf_counter()
    settings = engine.settings_key()
    own = settings.get("cutoff_min")
    engine_cut = float(own) * 60.0 if own is not None else float("inf")
    cut = engine_cut if cutoff_s is None else min(float(cutoff_s), engine_cut)
    shape = (len(units), len(sites))
    key = cache_key(engine, units, sites, band)
    variant = engine.variant(band)
    temp = out_dir is None
    root = Path(tempfile.mkdtemp(prefix="estate-chunks-")) if temp else Path(out_dir)  # type: ignore[arg-type]
    folder = chunk_dir(root, engine.name, str(engine.mode), variant, key, cut)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheError(f"cannot create the chunk folder {folder} ({exc})") from exc
    ranges = chunk_ranges(shape[1], chunk_sites)
    todo = []
    for lo, hi in ranges:
        path = _chunk_path(folder, lo, hi)
        if path.is_file():
            try:
                _load_chunk(path, _chunk_key(key, cut, lo, hi), shape[0], lo, hi, cut)
                continue
            except CacheError as exc:
                log.warning("%s; rebuilding it", exc)
        todo.append((lo, hi))
    meta = {"engine": engine.name, "mode": str(engine.mode), "variant": variant, "shape": list(shape)}
    done = len(ranges) - len(todo)
    if progress and ranges:
        progress(done, len(ranges))
    try:
        if todo and client is None:
            for lo, hi in todo:
                _build_chunk(engine, units, sites, band, lo, hi, cut, str(_chunk_path(folder, lo, hi)),
                             _chunk_key(key, cut, lo, hi), meta)
                done += 1
                if progress:
                    progress(done, len(ranges))
        elif todo:
            live = client() if callable(client) else client
            assert live is not None  # todo and client is None is the branch above
            _run_on_dask(live, engine, units, sites, band, todo, cut, folder, key, meta,
                         progress=progress, done=done, total=len(ranges))
        result = load_chunked(folder, key, shape, cut, chunk_sites)
        if result is None:
            raise CacheError(f"the chunks of {folder} could not be read back after building them")
    finally:
        if temp:
            shutil.rmtree(root, ignore_errors=True)
    if report is not None:
        report.update({"status": "built" if todo else "hit", "seconds": time.perf_counter() - t0,
                       "path": "" if temp else str(folder), "chunks": len(ranges), "built_chunks": len(todo),
                       "pairs": result.nnz, "bytes": result.nbytes, "cutoff_s": cut})
    return result


def _run_on_dask(client: Client, engine: TravelEngine, units: Points, sites: Points, band: TimeBand,
                 todo: list[tuple[int, int]], cut: float, folder: Path, key: str, meta: dict[str, Any],
                 *, progress: ProgressFn | None, done: int, total: int) -> None:
    """Submit one task per chunk; count them as they finish (each has written its file)."""
    from distributed import as_completed

    # the engine and the points go to every worker once, not once per task
    eng_f, units_f, sites_f = client.scatter([engine, units, sites], broadcast=True)
    futures = [client.submit(_build_chunk, eng_f, units_f, sites_f, band, lo, hi, cut,
                             str(_chunk_path(folder, lo, hi)), _chunk_key(key, cut, lo, hi), meta,
                             key=f"estate-chunk-{key[:12]}-{lo}-{hi}", pure=False)
               for lo, hi in todo]
    try:
        for fut in as_completed(futures, loop=client.loop):
            fut.result()  # re-raises the task's own error (EngineError, CacheError) here
            done += 1
            if progress:
                progress(done, total)
    finally:
        left = [f for f in futures if not f.done()]
        if left:
            client.cancel(left)
