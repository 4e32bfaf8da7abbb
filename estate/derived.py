"""The planner's derived tables, cached as arrays, so a warm answer loads no pandas.

Answering "coverage of a scenario in a mode and band" needs, besides the matrix,
only a few arrays: residents per unit and group, each unit's borough, each
site's borough, the site ids with their hours (:class:`~estate.siteindex.SiteIndex`),
the points' fingerprints (the matrix cache key), and the engine's identity
(name, settings, description, which network variant each moment of the week
uses).  :class:`Tables` and :class:`EngineFacts` hold them; both are written
to the one disk cache (:func:`geodata.travel.cache.save_arrays`, checked by
key and checksum on every read) keyed by a hash of every input file's name,
size and modification time, the engine overrides and this module's format.
Any change to an input, a setting or the format gives a new key, so a stale
table is never used; a corrupt one is reported and rebuilt.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from estate.errors import TablesCacheError
from estate.siteindex import SiteIndex
from geodata.errors import CacheError
from geodata.travel.base import TimeBand
from geodata.travel.cache import digest, load_arrays, save_arrays

if TYPE_CHECKING:
    from estate.register import Estate
    from geodata.areas import Units
    from geodata.travel.base import TravelEngine

__all__ = ["FORMAT", "EngineFacts", "Tables", "facts_key", "input_stats", "load_or_build", "tables_key"]

log = logging.getLogger(__name__)

#: bump when the tables' layout or meaning changes
FORMAT = 1
_WEEK = 7 * 1440


def input_stats(paths: Iterable[str | os.PathLike[str] | None]) -> list[tuple[str, int, int]]:
    """(path, size, mtime in ns) of every file under ``paths`` (folders walked), for cache keys."""
    out: list[tuple[str, int, int]] = []
    for p in paths:
        if not p:
            continue
        root = Path(p)
        files = sorted(f for f in root.rglob("*") if f.is_file()) if root.is_dir() else [root]
        for f in files:
            try:
                st = f.stat()
            except OSError:
                out.append((str(f), -1, -1))
                continue
            out.append((str(f), st.st_size, st.st_mtime_ns))
    return out


@dataclass(frozen=True, eq=False)
class Tables:
    """Every array coverage needs besides the matrix (see the module docstring)."""

    sites: SiteIndex
    weights: dict[str, np.ndarray]
    area_index: np.ndarray
    area_codes: np.ndarray
    area_names: np.ndarray
    #: each matrix column's borough index (-1 outside every borough)
    site_area: np.ndarray
    #: fingerprints of the units' and the located sites' points (the matrix cache key)
    origins: str
    destinations: str

    @property
    def shape(self) -> tuple[int, int]:
        """The matrix shape: units x located sites."""
        return (len(self.area_index), len(self.sites.column_ids))

    @classmethod
    def build(cls, units: Units, estate: Estate) -> Tables:
        """From the loaded units and estate (the cold path)."""
        codes = {c: i for i, c in enumerate(units.area_codes)}
        s = estate.sites.loc[estate.column_ids, "area_code"]
        site_area = np.array([codes.get(c, -1) for c in s], dtype=np.int64)
        return cls(estate.index, units.weights(), np.asarray(units.area_index, dtype=np.int64),
                   np.asarray(units.area_codes, dtype=str), np.asarray(units.area_names, dtype=str),
                   site_area, units.points.fingerprint(), estate.points().fingerprint())

    def arrays(self) -> dict[str, np.ndarray]:
        """Named arrays for the cache."""
        out = {**self.sites.arrays(), "area_index": self.area_index, "area_codes": self.area_codes,
               "area_names": self.area_names, "site_area": self.site_area,
               "fingerprints": np.array([self.origins, self.destinations]),
               "groups": np.array(list(self.weights), dtype=str)}
        out.update({f"weights_{g}": np.asarray(w, dtype=np.float64) for g, w in self.weights.items()})
        return out

    @classmethod
    def from_arrays(cls, a: Mapping[str, np.ndarray]) -> Tables:
        """The inverse of :meth:`arrays`."""
        groups = [str(g) for g in a["groups"]]
        fp = [str(v) for v in a["fingerprints"]]
        return cls(SiteIndex.from_arrays(dict(a)), {g: a[f"weights_{g}"] for g in groups}, a["area_index"],
                   a["area_codes"], a["area_names"], a["site_area"], fp[0], fp[1])


_TABLE_NAMES = ("site_ids", "site_hours", "site_located", "site_in_register", "site_register_open", "area_index",
                "area_codes", "area_names", "site_area", "fingerprints", "groups")


@dataclass(frozen=True, eq=False)
class EngineFacts:
    """What the planner needs of an engine on a warm answer: its identity, not its graph.

    ``variants[m]`` indexes ``variant_names`` for minute ``m`` of the week
    (Monday 00:00 = 0); a live engine (``engine``) answers :meth:`variant` itself.
    """

    name: str
    mode: str
    settings_key: dict[str, Any]
    describe: str
    variant_names: tuple[str, ...] = ()
    variants: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    engine: TravelEngine | None = None

    def variant(self, band: TimeBand) -> str:
        """The network variant the engine uses at ``band``."""
        if self.engine is not None:
            return self.engine.variant(band)
        return self.variant_names[int(self.variants[band.weekday * 1440 + band.minute])]

    @classmethod
    def of(cls, engine: TravelEngine) -> EngineFacts:
        """The facts of a live engine (its settings key as JSON would keep it)."""
        key = json.loads(json.dumps(engine.settings_key(), sort_keys=True, default=str))
        return cls(engine.name, str(engine.mode), key, engine.describe(), engine=engine)

    def arrays(self) -> dict[str, np.ndarray]:
        """Named arrays for the cache (the variant of every minute of the week, computed now)."""
        names: dict[str, int] = {}
        codes = np.zeros(_WEEK, dtype=np.int16)
        for m in range(_WEEK):
            v = self.variant(TimeBand("m", m // 1440, m % 1440))
            codes[m] = names.setdefault(v, len(names))
        text = json.dumps({"name": self.name, "mode": self.mode, "settings_key": self.settings_key,
                           "describe": self.describe}, sort_keys=True)
        return {"facts": np.array(text), "variant_names": np.array(list(names), dtype=str), "variants": codes}

    @classmethod
    def from_arrays(cls, a: Mapping[str, np.ndarray]) -> EngineFacts:
        """The inverse of :meth:`arrays`."""
        d = json.loads(str(a["facts"]))
        return cls(d["name"], d["mode"], d["settings_key"], d["describe"],
                   tuple(str(v) for v in a["variant_names"]), a["variants"])


_FIXED: dict[str, Any] = {"site_located": bool, "site_in_register": bool, "site_register_open": bool,
                         "area_index": np.int64, "site_area": np.int64, "variants": np.int16}


def load_or_build(cache_dir: Path | None, stem: str, key: str, kind: type[Tables] | type[EngineFacts],
                  build: Any) -> Any:
    """``kind`` from ``cache_dir/<stem>-<key>.npz`` when it verifies, else ``build()`` (then cached).

    Every array is checked by :func:`~geodata.travel.cache.load_arrays` (key, type,
    checksum); text arrays must be text.
    """
    names: tuple[str, ...] = ("facts", "variant_names", "variants") if kind is EngineFacts else _TABLE_NAMES
    path = Path(cache_dir) / f"{stem}-{key[:20]}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                wanted = [*names, *(n for n in z.files if n.startswith("weights_"))]
                spec: dict[str, tuple[None, Any]] = {}
                for n in wanted:
                    dt = _FIXED.get(n) or (np.float64 if n.startswith("weights_") else z[n].dtype)
                    if n not in _FIXED and not n.startswith("weights_") and np.dtype(dt).kind != "U":
                        raise TablesCacheError(f"cache file {path}: {n} is not text")
                    spec[n] = (None, dt)
            return kind.from_arrays(load_arrays(path, key, spec))
        except (CacheError, OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("cache file %s cannot be used (%s); rebuilding it", path, exc)
    value = build()
    if path is not None:
        try:
            save_arrays(path, key, value.arrays(), kind=kind.__name__)
        except CacheError as exc:
            log.warning("%s; keeping the tables in memory only", exc)
    return value


def tables_key(inputs: list[tuple[str, int, int]]) -> str:
    """The key of the derived tables of these input files."""
    return digest({"format": FORMAT, "kind": "tables", "inputs": inputs})


def facts_key(mode: str, inputs: list[tuple[str, int, int]], overrides: Mapping[str, Any]) -> str:
    """The key of a mode's engine facts: the inputs and the engine overrides."""
    return digest({"format": FORMAT, "kind": "engine", "mode": mode, "inputs": inputs, "overrides": overrides})
