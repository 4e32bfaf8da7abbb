"""Metric definitions and their colour scales, for the web maps and the app.

:data:`METRICS` lists the borough figures a map can show; :func:`metric_values`
and :func:`lsoa_values` turn coverage results into per-borough and per-LSOA
numbers; :func:`metric_scale` and :func:`lsoa_scale` give their fixed,
colour-blind-safe classes (viridis for levels, PuOr for changes: see
:mod:`estate.outputs._palette`), so maps compare across scenarios.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from estate import text
from estate.coverage import CoverageResult
from estate.errors import MapError, UnknownNameError
from estate.outputs import _palette as palette

__all__ = [
    "METRICS",
    "ColourScale",
    "Metric",
    "change_scale",
    "data_scale",
    "format_value",
    "level_scale",
    "lsoa_data_scale",
    "lsoa_scale",
    "lsoa_values",
    "metric_scale",
    "metric_values",
    "minutes_change_scale",
    "minutes_scale",
    "value_text",
]


@dataclass(frozen=True)
class ColourScale:
    """Classes of values, each with a colour and a legend label.

    ``edges`` has one more entry than ``colours``; class ``i`` holds
    ``edges[i] <= v < edges[i + 1]`` (``inf`` falls in the last class when the
    last edge is ``inf``).  ``nan`` gets ``missing``.

    Examples
    --------
    >>> s = ColourScale("Minutes", "minutes", (0, 15, math.inf), ("#fff", "#000"), ("under 15", "15+"))
    >>> s.colour(10), s.colour(99), s.colour(math.inf), s.colour(math.nan)
    ('#fff', '#000', '#252525', '#bdbdbd')
    """

    title: str
    unit: str
    edges: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    missing: str = palette.colour("missing")
    missing_label: str = palette.WORDS["missing"]
    #: ``inf`` (no open site within reach) gets its own colour and words, never the last class
    unreachable: str = palette.colour("unreachable")
    unreachable_label: str = palette.WORDS["unreachable"]

    def __post_init__(self) -> None:
        if not (len(self.edges) == len(self.colours) + 1 == len(self.labels) + 1):
            raise MapError("ColourScale: need one more edge than colours, and one label per colour")

    def classify(self, values: np.ndarray | Sequence[float]) -> np.ndarray:
        """Class index of each value (-1 for ``nan``, -2 for ``+inf``: no open site within reach)."""
        v = np.asarray(values, dtype=np.float64)
        idx = np.searchsorted(np.asarray(self.edges[1:-1], dtype=np.float64), v, side="right")
        return np.where(np.isnan(v), -1, np.where(np.isposinf(v), -2, idx))

    def _of(self, i: int) -> str:
        return self.missing if i == -1 else self.unreachable if i == -2 else self.colours[i]

    def colour(self, value: float) -> str:
        """The colour of one value."""
        return self._of(int(self.classify([value])[0]))

    def colours_of(self, values: np.ndarray | Sequence[float]) -> list[str]:
        """The colours of many values."""
        return [self._of(int(i)) for i in self.classify(values)]


def _range_labels(edges: Sequence[float], fmt: Any, *, last_suffix: str = "") -> tuple[str, ...]:
    out = []
    for a, b in itertools.pairwise(edges):
        if math.isinf(b):
            out.append(f"{fmt(a)}+{last_suffix}")
        elif a <= 0 and not out:
            out.append(f"under {fmt(b)}")
        else:
            out.append(f"{fmt(a)} to {fmt(b)}")
    return tuple(out)


def _change_labels(edges: Sequence[float], fmt: Any, less: str, more: str) -> tuple[str, ...]:
    out = []
    for a, b in itertools.pairwise(edges):
        if math.isinf(a):
            out.append(f"{fmt(-b)}+ {less}")
        elif math.isinf(b):
            out.append(f"{fmt(a)}+ {more}")
        elif a < 0 < b:
            out.append(f"within ±{fmt(b)}")
        elif b <= 0:
            out.append(f"{fmt(-b)} to {fmt(-a)} {less}")
        else:
            out.append(f"{fmt(a)} to {fmt(b)} {more}")
    return tuple(out)


def _whole(v: float) -> str:
    return text.number(v, 0)


_MIN_EDGES = (0.0, 15.0, 30.0, 45.0, 60.0, 90.0, 120.0, math.inf)
_MIN_CHANGE_EDGES = (-math.inf, -30.0, -10.0, -2.0, 2.0, 10.0, 30.0, math.inf)
_COUNT_EDGES = (0.0, 1_000.0, 10_000.0, 25_000.0, 50_000.0, 100_000.0, 200_000.0, math.inf)
_COUNT_CHANGE_EDGES = (-math.inf, -100_000.0, -25_000.0, -1_000.0, 1_000.0, 25_000.0, 100_000.0, math.inf)
_SHARE_EDGES = (0.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, math.inf)
_SHARE_CHANGE_EDGES = (-math.inf, -20.0, -10.0, -2.0, 2.0, 10.0, 20.0, math.inf)


def minutes_scale(title: str = "Minutes to the nearest open counter") -> ColourScale:
    """Travel minutes: light (short) to dark orange (long); no site within reach in its own colour."""
    return ColourScale(title, "minutes", _MIN_EDGES, palette.levels(),
                       _range_labels(_MIN_EDGES, _whole))


def minutes_change_scale(title: str = "Change in minutes to the nearest open counter") -> ColourScale:
    """Change in minutes: purple (shorter) to orange (longer), PuOr."""
    return ColourScale(title, "minutes", _MIN_CHANGE_EDGES, palette.diverging(),
                       _change_labels(_MIN_CHANGE_EDGES, _whole, "shorter", "longer"),
                       missing_label="no counter open in either")


# ---- metrics ---------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    """A borough-level figure a map can show.

    ``label`` and ``unit`` may hold ``{t}`` (the threshold in minutes).
    """

    key: str
    label: str
    unit: str
    change: bool


#: Map metrics, in the order offered.
METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("beyond_change", "Change in residents beyond {t} minutes", "residents", True),
    Metric("beyond", "Residents beyond {t} minutes", "residents", False),
    Metric("share_within", "Residents within {t} minutes", "% of residents", False),
    Metric("share_change", "Change in the share within {t} minutes", "percentage points", True),
    Metric("mean_min", "Mean minutes to the nearest open counter", "minutes", False),
    Metric("mean_change", "Change in mean minutes to the nearest open counter", "minutes", True),
    Metric("p95_min", "Minutes within which 95% of residents reach a counter", "minutes", False),
)}


def metric_scale(metric: str, threshold: int) -> ColourScale:
    """The colour scale of a borough metric (fixed classes, so maps compare across scenarios)."""
    m = METRICS[metric]
    title = f"{m.label.format(t=threshold)} ({m.unit})"
    if metric == "beyond":
        return ColourScale(title, m.unit, _COUNT_EDGES, palette.levels(), _range_labels(_COUNT_EDGES, text.count))
    if metric == "beyond_change":
        return ColourScale(title, m.unit, _COUNT_CHANGE_EDGES, palette.diverging(),
                           _change_labels(_COUNT_CHANGE_EDGES, text.count, "fewer", "more"))
    if metric == "share_within":
        labels = ("under 25%", "25% to 50%", "50% to 75%", "75% to 90%", "90% to 95%", "95% to 99%", "99% or more")
        return ColourScale(title, m.unit, _SHARE_EDGES, palette.levels(more_is_worse=False), labels)
    if metric == "share_change":
        return ColourScale(title, m.unit, _SHARE_CHANGE_EDGES, palette.diverging(better_first=False),
                           _change_labels(_SHARE_CHANGE_EDGES, _whole, "points lower", "points higher"))
    if metric == "mean_change":
        return minutes_change_scale(title)
    return minutes_scale(title)


def metric_values(metric: str, base: CoverageResult, scenario: CoverageResult, threshold: int) -> np.ndarray:
    """Per-borough values of ``metric`` (``scenario`` minus ``base`` for changes), borough order of the results."""
    n = len(scenario.area_codes)

    def level(res: CoverageResult) -> np.ndarray:
        if metric in ("beyond", "beyond_change"):
            return np.asarray(res.beyond(threshold)[:n], dtype=np.float64)
        if metric in ("share_within", "share_change"):
            return np.asarray(res.share_within(threshold)[:n], dtype=np.float64) * 100.0
        if metric in ("mean_min", "mean_change"):
            return np.asarray(res.metrics["all"]["mean"][:n], dtype=np.float64)
        if metric == "p95_min":
            return np.asarray(res.metrics["all"]["p95"][:n], dtype=np.float64)
        raise UnknownNameError(f"unknown map metric {metric!r}; known: {', '.join(METRICS)}")

    if metric not in METRICS:
        raise UnknownNameError(f"unknown map metric {metric!r}; known: {', '.join(METRICS)}")
    if METRICS[metric].change:
        with np.errstate(invalid="ignore"):
            return level(scenario) - level(base)
    return level(scenario)


def lsoa_values(metric: str, base: CoverageResult, scenario: CoverageResult) -> np.ndarray:
    """Per-LSOA minutes (or change in minutes, for change metrics), in unit order."""
    if METRICS[metric].change:
        with np.errstate(invalid="ignore"):
            return scenario.unit_minutes - base.unit_minutes
    return np.asarray(scenario.unit_minutes, dtype=np.float64)


def lsoa_scale(metric: str) -> ColourScale:
    """The colour scale of the LSOA layer for ``metric``."""
    if METRICS[metric].change:
        return minutes_change_scale("LSOAs: change in minutes to the nearest open counter")
    return minutes_scale("LSOAs: minutes to the nearest open counter")


def format_value(v: float, unit: str) -> str:
    """A map value as its tooltip shows it (the words of :mod:`estate.text` for missing and unreachable).

    Examples
    --------
    >>> format_value(-1500.0, "residents"), format_value(float("inf"), "minutes")
    ('-1,500', 'not reachable')
    """
    if unit == "residents":
        return text.count(v)
    if unit == "minutes":
        return text.minutes(v)
    return text.number(v)


# ---- classes chosen for the data shown -------------------------------------------
#: per unit: (how a value reads, the smallest change that is not "no change", words for + and -)
_UNIT_WORDS: dict[str, tuple[Any, float, str, str]] = {
    "residents": (text.count, 0.5, "more", "fewer"),
    "minutes": (lambda v: text.minutes(v, digits=0 if abs(v) >= 10 else 1) + " min", 0.05, "longer", "shorter"),
    "% of residents": (lambda v: text.number(v, 1), 0.05, "points higher", "points lower"),
    "percentage points": (lambda v: text.number(v, 1), 0.05, "points higher", "points lower"),
}


def _quantile_edges(values: np.ndarray, k: int) -> list[float]:
    """Up to ``k`` classes' inner edges from the quantiles of ``values`` (distinct, rounded to 2 figures)."""
    v = np.sort(values[np.isfinite(values)])
    if v.size == 0:
        return []
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:-1])
    out: list[float] = []
    for q in qs:
        r = float(q) if q == 0 else float(f"{q:.2g}")
        if r > v[0] and (not out or r > out[-1]) and r <= v[-1]:
            out.append(r)
    return out


def change_scale(title: str, unit: str, values: np.ndarray | Sequence[float], *, higher_is_worse: bool = True,
                 per_side: int = 3) -> ColourScale:
    """Classes for a change, chosen from the data: a "no change" class always, then up to
    ``per_side`` quantile classes of the rises and of the falls (orange worse, purple better).

    Examples
    --------
    >>> s = change_scale("Change", "residents", [0, 0, 120, 5_000, 40_000, -300])
    >>> "no change" in s.labels, s.colour(0.0) == palette.colour("no change")
    (True, True)
    >>> s.colour(40_000) == palette.colour("no change"), s.colour(-300) != s.colour(300)
    (False, True)
    """
    fmt, eps, _, _ = _UNIT_WORDS.get(unit, (text.number, 0.05, "higher", "lower"))
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    ups, downs = v[v >= eps], -v[v <= -eps]

    def side(mags: np.ndarray, ramp: tuple[str, ...], sign: str) -> tuple[list[float], list[str], list[str]]:
        """Inner edges (magnitudes, ascending), colours and labels of one side, small to large."""
        if mags.size == 0:
            return [], [], []
        inner = _quantile_edges(mags, per_side)
        lows = [float(mags.min()), *inner]
        highs = [*inner, math.inf]
        n = len(lows)
        idx = np.linspace(1, len(ramp) - 1, n).round().astype(int) if n > 1 else np.array([3])
        labels = [f"{sign}{fmt(lo)} or {'more' if sign == '+' else 'less'}" if math.isinf(hi)
                  else (f"+{fmt(lo)} to +{fmt(hi)}" if sign == "+" else f"-{fmt(hi)} to -{fmt(lo)}")
                  for lo, hi in zip(lows, highs, strict=True)]
        return inner, [ramp[i] for i in idx], labels

    up_inner, up_cols, up_labels = side(ups, palette.ramp("worse" if higher_is_worse else "better"), "+")
    dn_inner, dn_cols, dn_labels = side(downs, palette.ramp("better" if higher_is_worse else "worse"), "-")
    edges: list[float] = [-math.inf]
    if downs.size:
        edges += [-e for e in reversed(dn_inner)] + [-eps]
    if ups.size:
        edges += [eps, *up_inner]
    edges.append(math.inf)
    colours = [*reversed(dn_cols), palette.colour("no change"), *up_cols]
    labels = [*reversed(dn_labels), "no change", *up_labels]
    return ColourScale(title, unit, tuple(edges), tuple(colours), tuple(labels),
                       missing_label="no counter open in either")


def level_scale(title: str, unit: str, values: np.ndarray | Sequence[float], *, higher_is_worse: bool = True,
                k: int = 6) -> ColourScale:
    """Up to ``k`` classes of a level (minutes, residents, a share) from the quantiles of the data.

    Examples
    --------
    >>> s = level_scale("Minutes", "minutes", [5, 10, 20, 40, 80, float("inf")], k=3)
    >>> len(s.colours), s.colour(float("inf")) == palette.colour("unreachable")
    (3, True)
    """
    fmt = _UNIT_WORDS.get(unit, (text.number,))[0]
    v = np.asarray(values, dtype=np.float64)
    inner = _quantile_edges(v, k)
    lo = float(np.nanmin(v[np.isfinite(v)])) if np.isfinite(v).any() else 0.0
    edges = (min(lo, 0.0), *inner, math.inf)
    n = len(edges) - 1
    ramp = palette.VIRIDIS[::-1] if higher_is_worse else palette.VIRIDIS
    idx = np.linspace(0, len(ramp) - 1, n).round().astype(int) if n > 1 else [len(ramp) // 2]
    labels = []
    for a, b in itertools.pairwise(edges):
        if math.isinf(b):
            labels.append(f"{fmt(a)} or more" + (" (or none in reach)" if unit == "minutes" else ""))
        elif a == edges[0]:
            labels.append(f"under {fmt(b)}")
        else:
            labels.append(f"{fmt(a)} to {fmt(b)}")
    return ColourScale(title, unit, edges, tuple(ramp[i] for i in idx), tuple(labels))


#: the metrics whose rise is good news
_HIGHER_IS_BETTER = {"share_within", "share_change"}


def data_scale(metric: str, threshold: int, values: np.ndarray | Sequence[float]) -> ColourScale:
    """The colour classes of a borough metric chosen for ``values`` (always a "no change" class for changes)."""
    m = METRICS[metric]
    title = f"{m.label.format(t=threshold)} ({m.unit})"
    worse = metric not in _HIGHER_IS_BETTER
    if m.change:
        return change_scale(title, m.unit, values, higher_is_worse=worse)
    return level_scale(title, m.unit, values, higher_is_worse=worse)


def lsoa_data_scale(metric: str, values: np.ndarray | Sequence[float]) -> ColourScale:
    """The LSOA layer's classes for ``metric``, chosen for ``values`` (minutes, or change in minutes)."""
    if METRICS[metric].change:
        return change_scale("Neighbourhoods (LSOAs): change in minutes to the nearest open counter", "minutes", values)
    return level_scale("Neighbourhoods (LSOAs): minutes to the nearest open counter", "minutes", values)


def value_text(v: float, unit: str, *, change: bool, threshold: int | None = None) -> str:
    """A map value as a tooltip reads it: signed with its unit for a change.

    Examples
    --------
    >>> value_text(143321.0, "residents", change=True, threshold=45)
    '+143,321 more residents beyond 45 min'
    >>> value_text(-2.5, "minutes", change=True)
    '-2.5 min (shorter)'
    >>> value_text(0.0, "residents", change=True, threshold=45)
    'no change'
    """
    if not change:
        if unit == "residents":
            return f"{text.count(v)} residents" + (f" beyond {threshold} min" if threshold else "")
        if unit == "minutes":
            return text.minutes(v, unit=True)
        return f"{text.number(v)}%" if unit.startswith("%") else text.number(v)
    _fmt, eps, more, less = _UNIT_WORDS.get(unit, (text.number, 0.05, "higher", "lower"))
    if v == v and abs(v) < eps:
        return "no change"
    if unit == "residents":
        word = more if v > 0 else less
        return f"{text.count(v, signed=True)} {word} residents" + (f" beyond {threshold} min" if threshold else "")
    if unit == "minutes":
        return f"{text.minutes(v, signed=True, unit=True)} ({more if v > 0 else less})"
    return f"{text.number(v, signed=True)} {more if v > 0 else less}"
