"""The one on-disk cache: named arrays in an ``.npz``, keyed by a hash of every input.

Two things are cached with it: travel-time matrices (:func:`cached_matrix`) and the
street engine's parsed network arrays.  A file holds its arrays and a ``meta`` record
with the key it was written for and a checksum of the arrays.  A corrupt or stale file
(unreadable, not an ``.npz``, a ``meta`` that is not a mapping, wrong key, wrong shape
or type, bad checksum, NaN where only numbers or ``inf`` are valid) raises :class:`CacheError` where it
is read; the callers report it and rebuild, never silently use it.  A cache folder
that cannot be written falls back to computing in memory, with a warning.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import time
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from geodata._io import atomic_write_bytes
from geodata.errors import CacheError, EngineError
from geodata.travel.base import Points, ProgressFn, TimeBand, TravelEngine

__all__ = [
    "CHECKSUM",
    "FORMAT",
    "cache_key",
    "cached_matrix",
    "digest",
    "engine_code",
    "load_arrays",
    "matrix_key",
    "matrix_path",
    "save_arrays",
    "source_fingerprint",
]

log = logging.getLogger(__name__)

#: bump when the matrix file layout or any engine's meaning changes
FORMAT = 1


def digest(payload: Mapping[str, Any]) -> str:
    """A hex SHA-256 of ``payload`` as sorted JSON: the key of a cache file."""
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


@functools.cache
def source_fingerprint(*folders: str) -> str:
    """A hash of the bytes of every ``.py`` file under ``folders`` (sorted by path).

    Part of every cache key, so a matrix or a derived table built by other code
    (an engine that learnt National Rail, say) is never served after an upgrade,
    whatever its settings say.  Reading the sources costs a few milliseconds, once
    per process.
    """
    h = hashlib.blake2b(digest_size=16)
    for folder in folders:
        root = Path(folder)
        for path in sorted(root.rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def engine_code() -> str:
    """The fingerprint of the travel engines' code (this package), for matrix keys."""
    return source_fingerprint(str(Path(__file__).resolve().parent))


def matrix_key(settings_key: Mapping[str, Any], variant: str, origins: str, destinations: str) -> str:
    """The key of a matrix from an engine's :meth:`settings_key`, its variant and the points' fingerprints.

    The engines' own code is part of the key (:func:`engine_code`).
    """
    return digest({"format": FORMAT, "engine": settings_key, "variant": variant,
                   "origins": origins, "destinations": destinations, "code": engine_code()})


def cache_key(engine: TravelEngine, origins: Points, destinations: Points, band: TimeBand) -> str:
    """A hex digest of everything that determines the matrix."""
    return matrix_key(engine.settings_key(), engine.variant(band), origins.fingerprint(), destinations.fingerprint())


def matrix_path(cache_dir: Path, engine: str, mode: str, variant: str, key: str) -> Path:
    """Where the matrix of ``key`` lives in ``cache_dir``."""
    return Path(cache_dir) / f"{engine}-{mode}-{variant}-{key[:20]}.npz"


#: The checksum written: CRC-32 over every array's bytes (zlib; about 5x faster than
#: BLAKE2b, so a warm load of a 49 MB matrix spends a few ms on it, not 58), which
#: still catches any flipped bit, truncation or overwritten block.  Files written
#: with the earlier BLAKE2b checksum (no ``checksum_alg`` in their record) still verify.
CHECKSUM = "crc32"


def _checksum(arrays: Mapping[str, np.ndarray], alg: str = CHECKSUM) -> str:
    if alg == "crc32":
        crc = 0
        for name in sorted(arrays):
            a = arrays[name]
            # bytes in memory order: a column-major matrix is summed where it lies (no copy); a
            # row-major one, or any other array, as before
            flat = a.ravel(order="K") if a.flags.f_contiguous and not a.flags.c_contiguous else np.ascontiguousarray(a).reshape(-1)
            crc = zlib.crc32(memoryview(flat.view(np.uint8)), crc)  # type: ignore[arg-type]
        return f"{crc:08x}"
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(arrays):
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()


def save_arrays(path: Path, key: str, arrays: Mapping[str, np.ndarray], **meta: Any) -> None:
    """Write ``arrays`` to ``path`` atomically, with ``key``, their checksum and ``meta``.

    Raises
    ------
    CacheError
        When the file cannot be written (the folder is read-only, not a folder, full).
    """
    record = {"key": key, "checksum": _checksum(arrays), "checksum_alg": CHECKSUM, "created": time.time(), **meta}
    payload: dict[str, Any] = {**arrays, "meta": np.array(json.dumps(record, default=str))}
    buf = io.BytesIO()
    np.savez(buf, **payload)
    try:
        atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:
        raise CacheError(f"cannot write the cache file {path} ({exc})") from exc


def load_arrays(
    path: Path, key: str, shapes: Mapping[str, tuple[tuple[int, ...] | None, Any]]
) -> dict[str, np.ndarray]:
    """The arrays named in ``shapes`` from a file written by :func:`save_arrays` for ``key``.

    ``shapes`` maps each name to ``(shape, dtype)``; a shape of ``None`` accepts any.

    Raises
    ------
    CacheError
        When the file is unreadable, was written for another key (stale), holds other
        shapes or types, or fails its checksum (corrupt).
    """
    try:
        with open(path, "rb") as fh:
            z = np.load(fh, allow_pickle=False)
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise CacheError(f"cache file {path} is a {type(z).__name__}, not an .npz archive of arrays")
            with z:
                meta = json.loads(str(z["meta"]))
                arrays = {name: np.asarray(z[name]) for name in shapes}
                complete = set(z.files) - {"meta"} == set(shapes)
    except CacheError:
        raise
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError, RuntimeError) as exc:
        raise CacheError(f"cache file {path} is unreadable ({type(exc).__name__}: {exc})") from exc
    if not isinstance(meta, dict):
        raise CacheError(f"cache file {path} has a {type(meta).__name__} as its meta record, not a mapping")
    if meta.get("key") != key:
        raise CacheError(f"cache file {path} is stale (its inputs or settings differ)")
    for name, (shape, dtype) in shapes.items():
        a = arrays[name]
        if (shape is not None and tuple(a.shape) != shape) or a.dtype != np.dtype(dtype):
            raise CacheError(
                f"cache file {path} has {name} of shape {a.shape} ({a.dtype}), "
                f"expected {shape} ({np.dtype(dtype)})"
            )
    alg = str(meta.get("checksum_alg", "blake2b"))
    if meta.get("checksum") != _checksum(arrays, alg):
        raise CacheError(f"cache file {path} fails its checksum (corrupt)")
    for name, a in arrays.items():  # max() propagates NaN: one pass, no temporary array
        if a.dtype.kind == "f" and a.size and np.isnan(a.max()):
            raise CacheError(f"cache file {path} has NaN in {name} (only numbers or inf are valid)")
    if alg != CHECKSUM and complete:  # verified with the older, slower checksum: rewrite it once, current one
        extra = {k: v for k, v in meta.items() if k not in ("key", "checksum", "checksum_alg", "created")}
        try:
            save_arrays(path, key, arrays, **extra)
        except CacheError as exc:
            log.debug("cannot upgrade the checksum of %s: %s", path, exc)
    return arrays


def _readable(path: Path) -> bool:
    """Is there a cache file to try (a folder that cannot be listed counts as none)?"""
    try:
        return path.is_file()
    except OSError as exc:
        log.warning("cannot look in the cache folder %s (%s); computing without it", path.parent, exc)
        return False


def cached_matrix(
    engine: TravelEngine,
    origins: Points,
    destinations: Points,
    band: TimeBand,
    *,
    cache_dir: Path | None,
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The engine's matrix for ``band``, from the cache when valid, else built (and cached).

    Returns the matrix and a small report: ``status`` (``hit``, ``built``,
    ``memory``), ``seconds``, ``path``.

    Raises
    ------
    EngineError
        When the engine returns a matrix of the wrong shape.
    """
    t0 = time.perf_counter()
    shape = (len(origins), len(destinations))
    key = cache_key(engine, origins, destinations, band)
    variant = engine.variant(band)
    path = None
    if cache_dir is not None:
        path = matrix_path(Path(cache_dir), engine.name, engine.mode, variant, key)
        if _readable(path):
            try:
                times = load_arrays(path, key, {"times": (shape, np.float32)})["times"]
            except CacheError as exc:
                log.warning("%s; rebuilding it", exc)
            else:
                return times, {"status": "hit", "seconds": time.perf_counter() - t0, "path": str(path)}
    built = engine.matrix(origins, destinations, band, progress=progress)
    # column-major, as the planner reads it (whole columns: a scenario's open sites); kept so on disk,
    # so a cache hit needs no reordering copy
    times = np.asfortranarray(built, dtype=np.float32)
    if times.shape != shape:
        raise EngineError(f"engine {engine.name} returned shape {times.shape}, expected {shape}")
    status = "memory"
    if path is not None:
        meta = {"engine": engine.name, "mode": engine.mode, "variant": variant, "shape": list(shape)}
        try:
            save_arrays(path, key, {"times": times}, **meta)
            status = "built"
        except CacheError as exc:
            log.warning("%s; computing in memory only", exc)
            path = None
    return times, {"status": status, "seconds": time.perf_counter() - t0, "path": str(path or "")}
