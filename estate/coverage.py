"""Coverage: how long residents travel to their nearest open site.

Scenario evaluation is numpy over the matrix columns of the open sites: the
nearest time per unit is a ``min`` over those columns, and every metric is a
weighted sum or a weighted quantile per area (borough), computed for all
areas at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from estate.errors import CoverageError
from estate.text import json_number
from geodata.travel.base import BANDS, Mode, TimeBand
from geodata.travel.sparse import SparseTimes

__all__ = [
    "THRESHOLDS",
    "Comparison",
    "CoverageResult",
    "area_metrics",
    "group_order",
    "minute_buckets",
    "nearest",
    "weighted_quantiles",
]

#: Minutes at which coverage is reported.
THRESHOLDS: tuple[int, ...] = (15, 30, 45, 60)


def nearest(times: np.ndarray | SparseTimes, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds to, and matrix column of, each unit's nearest open site.

    Units with no open site (or none within the cutoff) get ``inf`` and column ``-1``.
    A sparse matrix (:class:`~geodata.travel.sparse.SparseTimes`) answers with a
    scatter-min over its open columns' stored pairs: the same times and columns.

    Examples
    --------
    >>> t = np.array([[60., 120.], [300., 30.]], dtype=np.float32)
    >>> nearest(t, np.array([0, 1]))
    (array([60., 30.], dtype=float32), array([0, 1]))
    >>> nearest(t, np.array([0]))[0]
    array([ 60., 300.], dtype=float32)
    """
    n = times.shape[0]
    if len(columns) == 0:
        return np.full(n, np.inf, dtype=np.float32), np.full(n, -1, dtype=np.int64)
    columns = np.asarray(columns, dtype=np.int64)
    if isinstance(times, SparseTimes):
        return times.nearest(columns)
    sub = times[:, columns]
    if sub.dtype == np.float32 and len(columns) < _KEY_COLUMNS and not (sub < 0).any():
        # one min over (time bits, position) keys gives the time and the first column holding it;
        # non-negative float32 bit patterns sort as their values (inf last)
        key = (sub.view(np.int32).astype(np.int64) << _KEY_BITS) | np.arange(len(columns))
        low = key.min(axis=1)
        arg = low & (_KEY_COLUMNS - 1)
        best = (low >> _KEY_BITS).astype(np.int32).view(np.float32)
    else:
        arg = sub.argmin(axis=1)
        best = sub[np.arange(n), arg]
    col = columns[arg]
    col[~np.isfinite(best)] = -1
    return best, col


_KEY_BITS = 12
_KEY_COLUMNS = 1 << _KEY_BITS


def group_order(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The permutation sorting by group, then value (``inf`` last): shared by every weight."""
    return np.lexsort((values, groups))


def weighted_quantiles(
    values: np.ndarray,
    weights: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    qs: tuple[float, ...],
    *,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Weighted quantiles of ``values`` within each group: shape ``(len(qs), n_groups)``.

    The q-quantile is the smallest value whose cumulative weight reaches
    ``q`` x the group's total weight; ``nan`` for a group with no weight.

    Examples
    --------
    >>> v = np.array([10., 20., 30., 40.]); w = np.array([1., 1., 1., 1.])
    >>> weighted_quantiles(v, w, np.zeros(4, int), 1, (0.5, 0.95))
    array([[20.],
           [40.]])
    """
    if order is None:
        order = group_order(values, groups)
    v, w, g = values[order], weights[order], groups[order]
    cw = np.cumsum(w)
    tot = np.bincount(g, weights=w, minlength=n_groups)
    ends = np.cumsum(np.bincount(g, minlength=n_groups))
    starts = ends - np.bincount(g, minlength=n_groups)
    base = np.where(starts > 0, cw[np.maximum(starts - 1, 0)], 0.0)
    out = np.full((len(qs), n_groups), np.nan)
    ok = (tot > 0) & (ends > starts)
    for i, q in enumerate(qs):
        target = base + q * tot * (1 - 1e-12)
        idx = np.searchsorted(cw, target, side="left")
        idx = np.clip(idx, starts, np.maximum(ends - 1, starts))
        out[i, ok] = v[idx[ok]]
    return out


def minute_buckets(minutes: np.ndarray) -> tuple[np.ndarray, int]:
    """Each value's whole-minute bucket, and the bucket count.

    Bucket ``c`` holds minutes in ``(c - 1, c]`` (bucket 0 holds exactly 0); the
    last bucket holds ``inf`` (no open site within the cutoff).  So ``minutes <= T``
    is ``bucket <= T`` for every whole-minute ``T``: threshold counts are exact.

    Examples
    --------
    >>> minute_buckets(np.array([0.0, 0.5, 1.0, 1.01, np.inf]))
    (array([0, 1, 1, 2, 3]), 4)
    """
    finite = np.isfinite(minutes)
    top = int(np.ceil(minutes[finite].max())) if finite.any() else 0
    bucket = np.full(len(minutes), top + 1, dtype=np.int64)
    bucket[finite] = np.ceil(minutes[finite]).astype(np.int64)
    return bucket, top + 2


def area_metrics(
    minutes: np.ndarray,
    weights: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    thresholds: tuple[int, ...] = THRESHOLDS,
    *,
    buckets: tuple[np.ndarray, int] | None = None,
    cutoff: float | None = None,
) -> dict[str, np.ndarray]:
    """Population-weighted metrics per group, plus the whole study area as the last entry.

    Arrays have length ``n_groups + 1``.  Keys: ``population``, ``unreachable``
    (residents with no open site within the engine's cutoff), ``mean``,
    ``median``, ``p95``, and ``within_T`` / ``beyond_T`` (residents) for each
    threshold T (whole minutes).  With ``cutoff`` (minutes) the unreachable
    count at the cutoff in the mean and quantiles, which are then lower bounds
    but always numbers; without it they are ``inf`` where anyone is unreachable.

    One ``bincount`` of residents per (group, whole minute) serves everything
    without sorting: threshold counts are exact, and the median and 95th
    percentile are exact to the minute (the whole minute at or above the value
    the sorted weighted quantile gives: the smallest minute by which the share of
    residents is reached).  The mean is exact.

    Examples
    --------
    >>> m = area_metrics(np.array([5.0, 10.0, 61.0]), np.array([1.0, 2.0, 1.0]),
    ...                  np.array([0, 0, 1]), 2, (15, 60))
    >>> m["beyond_15"].tolist(), m["median"].tolist(), m["mean"].tolist()
    ([0.0, 1.0, 1.0], [10.0, 61.0, 10.0], [8.333333333333334, 61.0, 21.5])
    """
    return _metrics(minutes, weights[None, :], groups, n_groups, thresholds, buckets=buckets, cutoff=cutoff)[0]


def _metrics(
    minutes: np.ndarray,
    weights: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    thresholds: tuple[int, ...],
    *,
    buckets: tuple[np.ndarray, int] | None = None,
    cutoff: float | None = None,
) -> list[dict[str, np.ndarray]]:
    """:func:`area_metrics` for several weightings at once (``weights`` is weightings x units)."""
    bucket, nb = buckets if buckets is not None else minute_buckets(minutes)
    n_w = weights.shape[0]
    finite = np.isfinite(minutes)
    cell = groups * nb + bucket
    index = (cell[None, :] + (np.arange(n_w) * (n_groups * nb))[:, None]).ravel()
    hist = np.bincount(index, weights=weights.ravel(), minlength=n_w * n_groups * nb)
    hist = hist.reshape(n_w, n_groups, nb)
    hist = np.concatenate([hist, hist.sum(axis=1, keepdims=True)], axis=1)  # the whole study area last
    fin_min = np.where(finite, minutes, 0.0)
    gindex = (groups[None, :] + (np.arange(n_w) * n_groups)[:, None]).ravel()
    wsum = np.bincount(gindex, weights=(weights * fin_min[None, :]).ravel(), minlength=n_w * n_groups)
    wsum = wsum.reshape(n_w, n_groups)
    wsum = np.concatenate([wsum, wsum.sum(axis=1, keepdims=True)], axis=1)
    cum = np.cumsum(hist, axis=2)
    pop = cum[:, :, -1]
    empty = pop <= 0
    unreachable = hist[:, :, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        if cutoff is None:
            mean = np.where(unreachable > 0, np.inf, wsum / pop)
        else:
            mean = (wsum + unreachable * float(cutoff)) / pop
    mean[empty] = np.nan
    quant = {}
    for key, q in (("median", 0.5), ("p95", 0.95)):
        idx = (cum >= (q * pop * (1 - 1e-12))[:, :, None]).argmax(axis=2).astype(np.float64)
        # in the unreachable bucket: the cutoff (it is at or above every finite time), else inf
        idx[idx == nb - 1] = np.inf if cutoff is None else float(cutoff)
        idx[empty] = np.nan
        quant[key] = idx
    within: dict[int, np.ndarray] = {}
    for t in thresholds:
        if int(t) != t:
            raise CoverageError(f"threshold {t!r} must be a whole number of minutes (e.g. 45)")
        within[t] = cum[:, :, min(int(t), nb - 2)]
    out = []
    for i in range(n_w):
        m: dict[str, np.ndarray] = {"population": pop[i], "unreachable": unreachable[i], "mean": mean[i],
                                    "median": quant["median"][i], "p95": quant["p95"][i]}
        for t in thresholds:
            m[f"within_{t}"] = within[t][i]
            m[f"beyond_{t}"] = pop[i] - within[t][i]
        out.append(m)
    return out


def _num(x: float, nd: int = 2) -> float | None:
    out = json_number(float(x), nd)
    return None if out is None else float(out)


def _block(m: dict[str, np.ndarray], i: int, thresholds: tuple[int, ...], cutoff: float | None) -> dict[str, Any]:
    pop = float(m["population"][i])
    unreachable = round(float(m["unreachable"][i]))
    return {
        "population": round(pop),
        "share_within": {str(t): (_num(m[f"within_{t}"][i] / pop, 4) if pop > 0 else None) for t in thresholds},
        "beyond": {str(t): round(float(m[f"beyond_{t}"][i])) for t in thresholds},
        "unreachable": unreachable,
        "cutoff_min": cutoff,
        "mean_min": _num(m["mean"][i]),
        "median_min": _num(m["median"][i]),
        "p95_min": _num(m["p95"][i]),
        "mean_is_lower_bound": unreachable > 0,
    }


#: the codes of the whole-study-area row in tables (London's, and any other area's)
WHOLE_CODES = frozenset({"london", "total"})


@dataclass
class CoverageResult:
    """Coverage of one scenario, mode and band, per area and for the whole study area."""

    scenario: str
    mode: Mode
    band: TimeBand
    engine: str
    thresholds: tuple[int, ...]
    area_codes: np.ndarray
    area_names: np.ndarray
    #: group key ("all", "age_65_plus", ...) -> metric -> per-area array (last entry = whole area)
    metrics: dict[str, dict[str, np.ndarray]]
    open_sites: np.ndarray
    open_24_7: np.ndarray
    #: minutes to the nearest open site, per unit
    unit_minutes: np.ndarray
    #: matrix column of the nearest open site, per unit (-1 = none)
    unit_site: np.ndarray
    engine_note: str = ""
    #: the engine's cutoff (minutes): unreachable residents count at it in mean/median/p95
    cutoff_min: float | None = None
    #: the whole study area's (code, name): ("london", "London"), or ("total", e.g. "Newport")
    whole: tuple[str, str] = ("london", "London")
    #: what the deprived group means when it is not London's IMD 2019 (said in the JSON)
    deprivation_note: str = ""

    @property
    def is_london(self) -> bool:
        """Is the study area London (whose JSON keeps its ``london`` block)?"""
        return self.whole[0] == "london"

    def area(self, i: int) -> dict[str, Any]:
        """The AREA block (JSON shape) of area ``i``; ``i = len(area_codes)`` is the whole area."""
        n = len(self.area_codes)
        code, name = (self.area_codes[i], self.area_names[i]) if i < n else self.whole
        out: dict[str, Any] = {"code": str(code), "name": str(name)}
        all_ = _block(self.metrics["all"], i, self.thresholds, self.cutoff_min)
        out["population"] = all_.pop("population")
        out["open_sites"] = int(self.open_sites[i])
        out["open_24_7"] = int(self.open_24_7[i])
        out.update(all_)
        out["groups"] = {
            g: _block(m, i, self.thresholds, self.cutoff_min) for g, m in self.metrics.items() if g != "all"
        }
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``estate coverage --format json`` document."""
        return {
            "scenario": self.scenario,
            "mode": str(self.mode),
            "band": self.band.name,
            "engine": self.engine,
            "engine_note": self.engine_note,
            "thresholds_min": list(self.thresholds),
            **({"deprivation": self.deprivation_note} if self.deprivation_note else {}),
            "areas": [self.area(i) for i in range(len(self.area_codes))],
            "total": self.area(len(self.area_codes)),
            **({"london": self.area(len(self.area_codes))} if self.is_london else {}),
        }

    def beyond(self, threshold: int, group: str = "all") -> np.ndarray:
        """Residents beyond ``threshold`` minutes per area (last entry = whole area)."""
        return self.metrics[group][f"beyond_{threshold}"]

    def share_within(self, threshold: int, group: str = "all") -> np.ndarray:
        """Share of residents within ``threshold`` minutes per area (last entry = whole area)."""
        m = self.metrics[group]
        with np.errstate(invalid="ignore", divide="ignore"):
            return m[f"within_{threshold}"] / m["population"]


def evaluate(
    times: np.ndarray | SparseTimes,
    open_columns: np.ndarray,
    open_24_7_columns: np.ndarray,
    *,
    weights: dict[str, np.ndarray],
    unit_area: np.ndarray,
    area_codes: np.ndarray,
    area_names: np.ndarray,
    site_area: np.ndarray,
    thresholds: tuple[int, ...] = THRESHOLDS,
    scenario: str = "",
    mode: Mode = Mode.WALK,
    band: TimeBand = BANDS["day"],
    engine: str = "",
    engine_note: str = "",
    cutoff_min: float | None = None,
    whole: tuple[str, str] = ("london", "London"),
    deprivation_note: str = "",
) -> CoverageResult:
    """Evaluate coverage from a matrix and the open columns.

    ``unit_area`` maps each unit to an area index (0..n_areas-1); ``site_area``
    maps each matrix column to an area index (-1 when outside every area).
    The last entry of every per-area array is the whole study area.
    """
    n_areas = len(area_codes)
    secs, col = nearest(times, open_columns)
    minutes = secs.astype(np.float64) / 60.0
    names = list(weights)
    stacked = np.vstack([weights[g] for g in names]) if names else np.zeros((0, len(minutes)))
    # one bucketing and one bincount serve every population group, area and threshold
    metrics = dict(zip(names, _metrics(minutes, stacked, unit_area, n_areas, thresholds, cutoff=cutoff_min),
                       strict=True))

    def count(cols: np.ndarray) -> np.ndarray:
        a = site_area[cols] if len(cols) else np.empty(0, np.int64)
        c = np.bincount(a[a >= 0], minlength=n_areas)
        return np.append(c, len(cols))

    # the columns open now and 24/7 (a set intersection: np.intersect1d would import numpy.ma, 50 ms)
    both = np.array(sorted(set(np.asarray(open_columns).tolist()) & set(np.asarray(open_24_7_columns).tolist())),
                    dtype=np.int64)
    return CoverageResult(
        scenario=scenario, mode=mode, band=band, engine=engine, thresholds=tuple(thresholds),
        area_codes=area_codes, area_names=area_names, metrics=metrics,
        open_sites=count(np.asarray(open_columns, np.int64)), open_24_7=count(both),
        unit_minutes=minutes, unit_site=col, engine_note=engine_note, cutoff_min=cutoff_min,
        whole=whole, deprivation_note=deprivation_note,
    )


@dataclass
class Comparison:
    """A scenario's coverage beside its base's, same mode and band."""

    base: CoverageResult
    scenario: CoverageResult

    def to_dict(self) -> dict[str, Any]:
        """The ``estate compare --format json`` document."""
        b, s = self.base, self.scenario
        n = len(b.area_codes)
        return {
            "base": b.scenario, "scenario": s.scenario, "mode": str(s.mode), "band": s.band.name,
            "engine": s.engine, "engine_note": s.engine_note, "thresholds_min": list(s.thresholds),
            "areas": [
                {"code": str(b.area_codes[i]), "name": str(b.area_names[i]), "base": b.area(i), "scenario": s.area(i)}
                for i in range(n)
            ],
            "total": {"base": b.area(n), "scenario": s.area(n)},
            **({"london": {"base": b.area(n), "scenario": s.area(n)}} if s.is_london else {}),
        }
