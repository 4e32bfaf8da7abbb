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

from estate.text import json_number
from geodata.travel.base import BANDS, Mode, TimeBand

__all__ = [
    "THRESHOLDS",
    "Comparison",
    "CoverageResult",
    "area_metrics",
    "group_order",
    "nearest",
    "weighted_quantiles",
]

#: Minutes at which coverage is reported.
THRESHOLDS: tuple[int, ...] = (15, 30, 45, 60)


def nearest(times: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds to, and matrix column of, each unit's nearest open site.

    Units with no open site (or none within the cutoff) get ``inf`` and column ``-1``.

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
    sub = times[:, columns]
    arg = sub.argmin(axis=1)
    best = sub[np.arange(n), arg]
    col = np.asarray(columns, dtype=np.int64)[arg]
    col[~np.isfinite(best)] = -1
    return best, col


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


def area_metrics(
    minutes: np.ndarray,
    weights: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    thresholds: tuple[int, ...] = THRESHOLDS,
    *,
    order: np.ndarray | None = None,
    cutoff: float | None = None,
) -> dict[str, np.ndarray]:
    """Population-weighted metrics per group (arrays of length ``n_groups``).

    Keys: ``population``, ``unreachable`` (residents with no open site within the
    engine's cutoff), ``mean``, ``median``, ``p95``, and ``within_T`` / ``beyond_T``
    (residents) for each threshold T.  With ``cutoff`` (minutes) the unreachable count
    at the cutoff in the mean and quantiles, which are then lower bounds but always
    numbers; without it they are ``inf`` where anyone is unreachable.
    """
    pop = np.bincount(groups, weights=weights, minlength=n_groups)
    finite = np.isfinite(minutes)
    w_inf = np.bincount(groups, weights=weights * ~finite, minlength=n_groups)
    capped = minutes if cutoff is None else np.where(finite, minutes, float(cutoff))
    ok = np.isfinite(capped)
    wsum = np.bincount(groups, weights=weights * np.where(ok, capped, 0.0), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = wsum / pop if cutoff is not None else np.where(w_inf > 0, np.inf, wsum / pop)
    mean[pop == 0] = np.nan
    # capping keeps the order (inf -> cutoff >= every finite time), so one sort serves
    med, p95 = weighted_quantiles(capped, weights, groups, n_groups, (0.5, 0.95), order=order)
    out = {"population": pop, "unreachable": w_inf, "mean": mean, "median": med, "p95": p95}
    # one bincount for every threshold: bucket b holds minutes in (t[b-1], t[b]]
    nb = len(thresholds) + 1
    bucket = np.searchsorted(np.asarray(thresholds, dtype=np.float64), minutes, side="left")
    per = np.bincount(groups * nb + bucket, weights=weights, minlength=n_groups * nb).reshape(n_groups, nb)
    within_all = np.cumsum(per, axis=1)
    for k, t in enumerate(thresholds):
        within = within_all[:, k]
        out[f"within_{t}"] = within
        out[f"beyond_{t}"] = pop - within
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

    def area(self, i: int) -> dict[str, Any]:
        """The AREA block (JSON shape) of area ``i``; ``i = len(area_codes)`` is the whole area."""
        n = len(self.area_codes)
        code, name = (self.area_codes[i], self.area_names[i]) if i < n else ("london", "London")
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
            "areas": [self.area(i) for i in range(len(self.area_codes))],
            "london": self.area(len(self.area_codes)),
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
    times: np.ndarray,
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
) -> CoverageResult:
    """Evaluate coverage from a matrix and the open columns.

    ``unit_area`` maps each unit to an area index (0..n_areas-1); ``site_area``
    maps each matrix column to an area index (-1 when outside every area).
    The last entry of every per-area array is the whole study area.
    """
    n_areas = len(area_codes)
    secs, col = nearest(times, open_columns)
    minutes = secs.astype(np.float64) / 60.0
    groups = np.concatenate([unit_area, np.full(len(unit_area), n_areas)])
    mins2 = np.concatenate([minutes, minutes])
    order = group_order(mins2, groups)  # one sort serves every population group
    metrics = {}
    for g, w in weights.items():
        metrics[g] = area_metrics(
            mins2, np.concatenate([w, w]), groups, n_areas + 1, thresholds, order=order, cutoff=cutoff_min
        )

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
            "london": {"base": b.area(n), "scenario": s.area(n)},
        }
