"""The on-disk matrix cache, keyed by a hash of every input and setting.

A warm start loads the matrix instead of rebuilding it.  A corrupt or stale
file (wrong key, wrong shape, bad checksum, unreadable) is detected, reported
and rebuilt, never silently used.  A cache folder that cannot be written
falls back to computing in memory, with a warning.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from geodata._io import atomic_write_bytes
from geodata.travel.base import Points, ProgressFn, TimeBand, TravelEngine

__all__ = ["FORMAT", "cache_key", "cached_matrix"]

log = logging.getLogger(__name__)

#: bump when the file layout or any engine's meaning changes
FORMAT = 1


def cache_key(engine: TravelEngine, origins: Points, destinations: Points, band: TimeBand) -> str:
    """A hex digest of everything that determines the matrix."""
    payload = {
        "format": FORMAT,
        "engine": engine.settings_key(),
        "variant": engine.variant(band),
        "origins": origins.fingerprint(),
        "destinations": destinations.fingerprint(),
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def _checksum(a: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(a).tobytes(), digest_size=16).hexdigest()


def _load(path: Path, key: str, shape: tuple[int, int]) -> np.ndarray | None:
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            times = z["times"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, json.JSONDecodeError) as exc:
        log.warning("cache file %s is unreadable (%s); rebuilding it", path, exc)
        return None
    if meta.get("key") != key:
        log.warning("cache file %s is stale (its inputs or settings differ); rebuilding it", path)
        return None
    if tuple(times.shape) != shape or times.dtype != np.float32:
        log.warning("cache file %s has shape %s, expected %s; rebuilding it", path, times.shape, shape)
        return None
    if meta.get("checksum") != _checksum(times):
        log.warning("cache file %s fails its checksum (corrupt); rebuilding it", path)
        return None
    return times


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
    """
    t0 = time.perf_counter()
    shape = (len(origins), len(destinations))
    key = cache_key(engine, origins, destinations, band)
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"{engine.name}-{engine.mode}-{engine.variant(band)}-{key[:20]}.npz"
        if path.exists():
            times = _load(path, key, shape)
            if times is not None:
                return times, {"status": "hit", "seconds": time.perf_counter() - t0, "path": str(path)}
    times = np.ascontiguousarray(engine.matrix(origins, destinations, band, progress=progress), dtype=np.float32)
    if times.shape != shape:
        raise ValueError(f"engine {engine.name} returned shape {times.shape}, expected {shape}")
    status = "built"
    if path is not None:
        meta = {"key": key, "checksum": _checksum(times), "engine": engine.name, "mode": engine.mode,
                "variant": engine.variant(band), "shape": list(shape), "created": time.time()}
        buf = io.BytesIO()
        np.savez(buf, times=times, meta=np.array(json.dumps(meta)))
        try:
            atomic_write_bytes(path, buf.getvalue())
        except OSError as exc:
            log.warning("cannot write the matrix cache in %s (%s); computing in memory only", cache_dir, exc)
            status, path = "memory", None
    else:
        status = "memory"
    return times, {"status": status, "seconds": time.perf_counter() - t0, "path": str(path) if path else ""}
