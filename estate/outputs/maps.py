"""Coverage maps: pure builders that return :class:`folium.Map`.

Nothing here reads widgets or files: every function takes data (GeoJSON dicts,
coverage results, site frames) and returns a map, a layer or plain values, so
the app, the evidence pack and the tests can build the same map.

* :func:`map_geometry` prepares the borough and LSOA shapes once (simplified,
  in WGS84) — the slow part, cached by the app.
* :func:`metric_values` and :func:`lsoa_values` turn coverage results into
  per-borough and per-LSOA numbers; :func:`metric_scale` gives their
  colour-blind-safe classes (viridis for levels, PuOr for changes).
* :func:`site_frame` lists the sites to draw with their status (open, closing,
  new), hours and catchment figures; :func:`candidate_frame` the candidate hosts.
* :func:`coverage_map` assembles tiles, choropleths, markers and the legend.
* :func:`map_html` renders a map to one standalone HTML file, with Leaflet
  inlined when the ``folium-offline`` package is installed.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template
from pyproj import Transformer

from estate.coverage import CoverageResult
from estate.outputs.ui_text import HOST_LABELS, STATUS_LABELS
from estate.register import Estate
from estate.scenario import ScenarioState
from geodata.areas import Units
from geodata.travel.base import TimeBand, parse_band

__all__ = [
    "CIVIDIS",
    "EMBED_JS",
    "JQUERY_JS",
    "LEAFLET_CSS",
    "LEAFLET_JS",
    "METRICS",
    "OKABE_ITO",
    "PUOR",
    "SITE_COLUMNS",
    "STATUS_COLOURS",
    "VIRIDIS",
    "ClickBridge",
    "ColourScale",
    "Legend",
    "MapGeometry",
    "Metric",
    "ZoomSwitch",
    "candidate_frame",
    "catchment_map",
    "coverage_map",
    "external_assets",
    "geojson_size",
    "legend_html",
    "lsoa_scale",
    "lsoa_values",
    "map_geometry",
    "map_html",
    "metric_scale",
    "metric_values",
    "minutes_change_scale",
    "minutes_scale",
    "offline_assets_available",
    "site_frame",
    "site_icon_svg",
    "site_popup_html",
    "values_by_code",
]

log = logging.getLogger(__name__)

# ---- palettes (all colour-blind safe) ------------------------------------------
#: viridis, 7 classes, dark to light.
VIRIDIS: tuple[str, ...] = ("#440154", "#443983", "#31688e", "#21918c", "#35b779", "#90d743", "#fde725")
#: cividis, 7 classes, dark to light (safe for every colour-vision deficiency).
CIVIDIS: tuple[str, ...] = ("#00224e", "#233e6c", "#4c546c", "#6b6f76", "#958f78", "#c3b369", "#fee838")
#: ColorBrewer PuOr, 7 classes, purple (better) to orange (worse).
PUOR: tuple[str, ...] = ("#542788", "#998ec3", "#d8daeb", "#f7f7f7", "#fee0b6", "#f1a340", "#b35806")
#: Okabe-Ito qualitative colours.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999",
}
#: Site status -> marker colour.
STATUS_COLOURS: dict[str, str] = {
    "open": OKABE_ITO["blue"], "closing": OKABE_ITO["vermillion"],
    "new": OKABE_ITO["green"], "candidate": OKABE_ITO["grey"],
}
_MISSING = "#bdbdbd"

#: Leaflet as folium 0.20 loads it; :func:`map_html` inlines these when it can.
LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
#: jQuery, which folium's popups use.
JQUERY_JS = "https://code.jquery.com/jquery-3.7.1.min.js"

_TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)


# ---- colour scales -------------------------------------------------------------
@dataclass(frozen=True)
class ColourScale:
    """Classes of values, each with a colour and a legend label.

    ``edges`` has one more entry than ``colours``; class ``i`` holds
    ``edges[i] <= v < edges[i + 1]`` (``inf`` falls in the last class when the
    last edge is ``inf``).  ``nan`` gets ``missing``.

    Examples
    --------
    >>> s = ColourScale("Minutes", "minutes", (0, 15, math.inf), ("#fff", "#000"), ("under 15", "15+"))
    >>> s.colour(10), s.colour(math.inf), s.colour(math.nan)
    ('#fff', '#000', '#bdbdbd')
    """

    title: str
    unit: str
    edges: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    missing: str = _MISSING
    missing_label: str = "no data"

    def __post_init__(self) -> None:
        if not (len(self.edges) == len(self.colours) + 1 == len(self.labels) + 1):
            raise ValueError("ColourScale: need one more edge than colours, and one label per colour")

    def classify(self, values: np.ndarray | Sequence[float]) -> np.ndarray:
        """Class index of each value (-1 for ``nan``)."""
        v = np.asarray(values, dtype=np.float64)
        idx = np.searchsorted(np.asarray(self.edges[1:-1], dtype=np.float64), v, side="right")
        return np.where(np.isnan(v), -1, idx)

    def colour(self, value: float) -> str:
        """The colour of one value."""
        i = int(self.classify([value])[0])
        return self.missing if i < 0 else self.colours[i]

    def colours_of(self, values: np.ndarray | Sequence[float]) -> list[str]:
        """The colours of many values."""
        return [self.missing if i < 0 else self.colours[i] for i in self.classify(values)]


def _fmt_int(v: float) -> str:
    return f"{v:,.0f}"


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


_MIN_EDGES = (0.0, 15.0, 30.0, 45.0, 60.0, 90.0, 120.0, math.inf)
_MIN_CHANGE_EDGES = (-math.inf, -30.0, -10.0, -2.0, 2.0, 10.0, 30.0, math.inf)
_COUNT_EDGES = (0.0, 1_000.0, 10_000.0, 25_000.0, 50_000.0, 100_000.0, 200_000.0, math.inf)
_COUNT_CHANGE_EDGES = (-math.inf, -100_000.0, -25_000.0, -1_000.0, 1_000.0, 25_000.0, 100_000.0, math.inf)
_SHARE_EDGES = (0.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, math.inf)
_SHARE_CHANGE_EDGES = (-math.inf, -20.0, -10.0, -2.0, 2.0, 10.0, 20.0, math.inf)


def minutes_scale(title: str = "Minutes to the nearest open counter") -> ColourScale:
    """Travel minutes: light (short) to dark (long), viridis."""
    return ColourScale(title, "minutes", _MIN_EDGES, VIRIDIS[::-1],
                       _range_labels(_MIN_EDGES, lambda v: f"{v:.0f}", last_suffix=" or none open"))


def minutes_change_scale(title: str = "Change in minutes to the nearest open counter") -> ColourScale:
    """Change in minutes: purple (shorter) to orange (longer), PuOr."""
    return ColourScale(title, "minutes", _MIN_CHANGE_EDGES, PUOR,
                       _change_labels(_MIN_CHANGE_EDGES, lambda v: f"{v:.0f}", "shorter", "longer"),
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
        return ColourScale(title, m.unit, _COUNT_EDGES, VIRIDIS[::-1], _range_labels(_COUNT_EDGES, _fmt_int))
    if metric == "beyond_change":
        return ColourScale(title, m.unit, _COUNT_CHANGE_EDGES, PUOR,
                           _change_labels(_COUNT_CHANGE_EDGES, _fmt_int, "fewer", "more"))
    if metric == "share_within":
        labels = ("under 25%", "25% to 50%", "50% to 75%", "75% to 90%", "90% to 95%", "95% to 99%", "99% or more")
        return ColourScale(title, m.unit, _SHARE_EDGES, VIRIDIS, labels)
    if metric == "share_change":
        return ColourScale(title, m.unit, _SHARE_CHANGE_EDGES, PUOR[::-1],
                           _change_labels(_SHARE_CHANGE_EDGES, lambda v: f"{v:.0f}", "points lower", "points higher"))
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
        raise KeyError(f"unknown map metric {metric!r}; known: {', '.join(METRICS)}")

    if metric not in METRICS:
        raise KeyError(f"unknown map metric {metric!r}; known: {', '.join(METRICS)}")
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


def _fmt_value(v: float, unit: str) -> str:
    if np.isnan(v):
        return "n/a"
    if np.isinf(v):
        return "no counter open" if v > 0 else "n/a"
    if unit == "residents":
        return f"{v:+,.0f}" if v < 0 else f"{v:,.0f}"
    return f"{v:,.1f}"


# ---- geometry --------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class MapGeometry:
    """Borough and LSOA shapes, simplified, in WGS84, as GeoJSON dicts.

    ``lsoa_area`` gives each LSOA feature's borough code; ``bounds`` maps a
    borough code (and ``"london"``) to ``[[south, west], [north, east]]``.
    """

    boroughs: dict[str, Any]
    lsoas: dict[str, Any]
    lsoa_area: np.ndarray
    bounds: dict[str, list[list[float]]]
    unit_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=str))


def _features(gdf: gpd.GeoDataFrame, id_col: str, props: Sequence[str], tolerance: float) -> dict[str, Any]:
    geom = gdf.geometry.simplify(tolerance, preserve_topology=True).to_crs(4326)
    geom = shapely.set_precision(geom.values, 1e-5)
    feats = []
    for i, g in enumerate(geom):
        if g is None or g.is_empty:
            continue
        row = gdf.iloc[i]
        feats.append({"type": "Feature", "id": str(row[id_col]),
                      "properties": {p: str(row[p]) for p in props},
                      "geometry": shapely.geometry.mapping(g)})
    return {"type": "FeatureCollection", "features": feats}


def _bounds(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    w, s, e, n = gdf.to_crs(4326).total_bounds
    return [[float(s), float(w)], [float(n), float(e)]]


def map_geometry(areas: gpd.GeoDataFrame, unit_polygons: gpd.GeoDataFrame, units: Units,
                 *, borough_tolerance: float = 40.0, lsoa_tolerance: float = 25.0) -> MapGeometry:
    """Simplify boroughs (``code``, ``name``) and LSOAs (``unit_id``) for web maps.

    Tolerances are metres in EPSG:27700; coordinates are rounded to 1e-5 degrees (about 1 m).
    """
    boroughs = _features(areas, "code", ("code", "name"), borough_tolerance)
    f = units.frame[["unit_id", "name", "area_code", "area_name"]]
    lsoa = unit_polygons[["unit_id", "geometry"]].merge(f, on="unit_id", how="inner")
    lsoa = gpd.GeoDataFrame(lsoa, geometry="geometry", crs=unit_polygons.crs)
    lsoas = _features(lsoa, "unit_id", ("unit_id", "name", "area_code", "area_name"), lsoa_tolerance)
    lsoa_area = np.array([ft["properties"]["area_code"] for ft in lsoas["features"]], dtype=str)
    bounds = {"london": _bounds(areas)}
    for code, part in areas.groupby("code"):
        bounds[str(code)] = _bounds(part)
    return MapGeometry(boroughs, lsoas, lsoa_area, bounds,
                       np.array([ft["id"] for ft in lsoas["features"]], dtype=str))


# ---- sites -----------------------------------------------------------------
SITE_COLUMNS = (
    "site_id", "name", "status", "hours", "is_24_7", "open_in_band", "footfall", "host",
    "retailer", "area_name", "postcode", "lat", "lon", "catchment_residents", "catchment_mean_min",
    "base_catchment_residents", "base_catchment_mean_min", "after_mean_min",
)


def _lat_lon(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _TO_WGS84.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lat), np.asarray(lon)


def _catchment(res: CoverageResult, weights: np.ndarray, n_cols: int,
               minutes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Residents whose nearest open site is each column, and their mean minutes."""
    ok = res.unit_site >= 0
    cols = res.unit_site[ok]
    w = weights[ok]
    mins = (res.unit_minutes if minutes is None else minutes)[ok]
    pop = np.bincount(cols, weights=w, minlength=n_cols)
    finite = np.isfinite(mins)
    tot = np.bincount(cols, weights=np.where(finite, mins, 0.0) * w, minlength=n_cols)
    w_inf = np.bincount(cols, weights=w * ~finite, minlength=n_cols)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(w_inf > 0, np.inf, tot / pop)
    mean[pop == 0] = np.nan
    return pop, mean


def site_frame(estate: Estate, base_state: ScenarioState, scenario_state: ScenarioState,
               base: CoverageResult, scenario: CoverageResult, weights: np.ndarray,
               band: str | TimeBand | None = None) -> pd.DataFrame:
    """The located sites open in ``base`` or ``scenario``, with status and catchment figures.

    ``status`` is ``open`` (in both), ``closing`` (base only) or ``new``
    (scenario only).  Catchment figures are in the band of the results:
    residents whose nearest open site it is and their mean minutes, in the
    scenario (``catchment_*``) and in the base (``base_catchment_*``); for a
    closing site, ``after_mean_min`` is the mean minutes of its base catchment
    in the scenario.
    """
    b = parse_band(band or scenario.band)
    n_cols = len(estate.column_ids)
    pop_s, mean_s = _catchment(scenario, weights, n_cols)
    pop_b, mean_b = _catchment(base, weights, n_cols)
    _, after = _catchment(base, weights, n_cols, minutes=scenario.unit_minutes)
    ids = sorted(set(base_state.hours) | set(scenario_state.hours))
    ids = [s for s in ids if estate.has_column(s)]
    sites = estate.sites.loc[ids]
    rows = []
    for sid, r in zip(ids, sites.to_dict("records"), strict=True):
        in_b, in_s = sid in base_state.hours, sid in scenario_state.hours
        status = "open" if in_b and in_s else ("closing" if in_b else "new")
        hours = scenario_state.hours[sid] if in_s else base_state.hours[sid]
        h = estate.hours(hours)
        c = estate.column(sid)
        rows.append({
            "site_id": sid, "name": r["name"], "status": status, "hours": hours,
            "is_24_7": h.is_24_7, "open_in_band": h.is_open(b.weekday, b.minute),
            "footfall": r["footfall"], "host": r["host"], "retailer": r["retailer"],
            "area_name": r["area_name"], "postcode": r["postcode"], "x": r["x"], "y": r["y"],
            "catchment_residents": float(pop_s[c]) if in_s else 0.0,
            "catchment_mean_min": float(mean_s[c]) if in_s else np.nan,
            "base_catchment_residents": float(pop_b[c]) if in_b else 0.0,
            "base_catchment_mean_min": float(mean_b[c]) if in_b else np.nan,
            "after_mean_min": float(after[c]) if in_b else np.nan,
        })
    df = pd.DataFrame(rows, columns=[*SITE_COLUMNS, "x", "y"])
    if len(df):
        df["lat"], df["lon"] = _lat_lon(df["x"].to_numpy(), df["y"].to_numpy())
    return df[list(SITE_COLUMNS)].reset_index(drop=True)


def candidate_frame(estate: Estate, site_ids: Sequence[str]) -> pd.DataFrame:
    """Candidate hosts to draw (status ``candidate``), in the columns of :func:`site_frame`."""
    ids = [s for s in site_ids if estate.has_column(s)]
    s = estate.sites.loc[ids]
    df = pd.DataFrame({
        "site_id": ids, "name": s["name"].to_numpy(), "status": "candidate", "hours": "",
        "is_24_7": False, "open_in_band": False, "footfall": np.nan, "host": s["host"].to_numpy(),
        "retailer": s["retailer"].to_numpy(), "area_name": s["area_name"].to_numpy(),
        "postcode": s["postcode"].to_numpy(), "catchment_residents": 0.0,
        "catchment_mean_min": np.nan, "base_catchment_residents": 0.0,
        "base_catchment_mean_min": np.nan, "after_mean_min": np.nan,
    })
    lat, lon = _lat_lon(s["x"].to_numpy(), s["y"].to_numpy()) if ids else (np.empty(0), np.empty(0))
    df["lat"], df["lon"] = lat, lon
    return df[list(SITE_COLUMNS)].reset_index(drop=True)


def site_icon_svg(status: str, is_24_7: bool, size: int = 18) -> str:
    """The SVG of a site marker: shape and colour say the status, a solid fill says 24/7.

    Open = circle, closing = square with a cross, new = triangle, candidate =
    small diamond; 24/7 sites are filled, part-time ones hollow.

    Examples
    --------
    >>> "<circle" in site_icon_svg("open", True)
    True
    """
    c = STATUS_COLOURS.get(status, OKABE_ITO["grey"])
    fill = c if is_24_7 else "#ffffff"
    sw = 1.5 if is_24_7 else 3
    stroke = "#000000" if is_24_7 else c
    s = size
    if status == "open":
        shape = f'<circle cx="{s / 2}" cy="{s / 2}" r="{s / 2 - 2}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
    elif status == "closing":
        shape = (f'<rect x="2" y="2" width="{s - 4}" height="{s - 4}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
                 f'<path d="M5 5 L{s - 5} {s - 5} M{s - 5} 5 L5 {s - 5}" stroke="{"#ffffff" if is_24_7 else c}" stroke-width="2"/>')
    elif status == "new":
        shape = f'<polygon points="{s / 2},2 {s - 2},{s - 2} 2,{s - 2}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
    else:
        s = int(size * 0.7)
        shape = f'<polygon points="{s / 2},1 {s - 1},{s / 2} {s / 2},{s - 1} 1,{s / 2}" fill="{c}" fill-opacity="0.8" stroke="#333333" stroke-width="1"/>'
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}" viewBox="0 0 {s} {s}">{shape}</svg>'


def _mins(v: float) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "n/a"
    return "no counter open" if np.isinf(v) else f"{v:,.0f} min"


def site_popup_html(row: Mapping[str, Any], band_label: str = "") -> str:
    """The popup of one site: name, status, hours, footfall and catchment figures."""
    e = html.escape
    status = str(row["status"])
    lines = [f"<b>{e(str(row['name']))}</b>", e(STATUS_LABELS.get(status, status))]
    host = HOST_LABELS.get(str(row["host"]), str(row["host"]))
    if row.get("retailer"):
        host += f" ({row['retailer']})"
    lines.append(f"Host: {e(host)}; {e(str(row['area_name']))}")
    if status != "candidate":
        when = f" at {band_label}" if band_label else ""
        lines.append(f"Hours: {e(str(row['hours']))}" + (" (24/7)" if row["is_24_7"] else ""))
        lines.append(("Open" if row["open_in_band"] else "Shut") + e(when))
        foot = row.get("footfall")
        lines.append("Footfall: " + (f"{foot:g} crimes reported a day" if isinstance(foot, float) and np.isfinite(foot)
                                     else "not published"))
    if status in ("open", "new"):
        lines.append(f"Nearest counter for {row['catchment_residents']:,.0f} residents; "
                     f"their mean journey {_mins(row['catchment_mean_min'])}")
    if status == "closing":
        lines.append(f"Nearest counter for {row['base_catchment_residents']:,.0f} residents before; "
                     f"their mean journey {_mins(row['base_catchment_mean_min'])} before, "
                     f"{_mins(row['after_mean_min'])} after")
    if status == "candidate":
        lines.append(f"Postcode: {e(str(row['postcode']))}")
    return "<br>".join(lines)


# ---- legend and helpers ------------------------------------------------------
class Legend(MacroElement):
    """A fixed legend box with the colour classes (and units) and the marker key."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
.estate-legend { position: fixed; bottom: 24px; left: 10px; z-index: 9999; background: rgba(255,255,255,0.94);
  padding: 6px 9px; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,0.35);
  font: 11px/1.3 Arial, Helvetica, sans-serif; width: 215px; color: #222;
  max-height: calc(100% - 110px); overflow-y: auto; }
.estate-legend summary { cursor: pointer; font-weight: bold; }
.estate-legend h4 { margin: 4px 0 3px; font-size: 11px; }
.estate-legend .row { display: flex; align-items: center; gap: 5px; margin: 1px 0; }
.estate-legend .sw { width: 16px; height: 12px; border: 1px solid #777; flex: none; }
.estate-legend .note { color: #555; margin-top: 4px; font-size: 11px; }
</style>
{% endmacro %}
{% macro html(this, kwargs) %}
<div class="estate-legend" id="{{ this.get_name() }}"><details open><summary>Legend</summary>{{ this.body }}</details></div>
{% endmacro %}
""")

    def __init__(self, body: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.body = body


def legend_html(scales: Sequence[ColourScale], statuses: Sequence[str] = (), note: str = "") -> str:
    """The legend's inner HTML: each scale (title with units, one row per class), then the marker key."""
    e = html.escape
    parts = []
    for i, sc in enumerate(scales):
        parts.append(f"<h4>{e(sc.title)}</h4>")
        if i and sc.colours == scales[0].colours and sc.labels == scales[0].labels:
            parts.append('<div class="note">Same colours as above.</div>')
            continue
        for col, lab in zip(sc.colours, sc.labels, strict=True):
            parts.append(f'<div class="row"><span class="sw" style="background:{col}"></span>{e(lab)}</div>')
        parts.append(f'<div class="row"><span class="sw" style="background:{sc.missing}"></span>{e(sc.missing_label)}</div>')
    if statuses:
        parts.append("<h4>Sites</h4>")
        for st in statuses:
            if st == "candidate":
                parts.append(f'<div class="row">{site_icon_svg(st, False, 14)}{e(STATUS_LABELS[st])}</div>')
                continue
            parts.append(f'<div class="row">{site_icon_svg(st, True, 14)}{site_icon_svg(st, False, 14)}'
                         f'{e(STATUS_LABELS[st])}</div>')
        parts.append('<div class="note">Filled: open 24/7; hollow: part-time.</div>')
    if note:
        parts.append(f'<div class="note">{e(note)}</div>')
    return "".join(parts)


class ZoomSwitch(MacroElement):
    """Show ``layer`` only at zoom ``min_zoom`` and closer."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var layer = {{ this.layer_name }};
  function sync() {
    if (map.getZoom() >= {{ this.min_zoom }}) { if (!map.hasLayer(layer)) { map.addLayer(layer); } }
    else if (map.hasLayer(layer)) { map.removeLayer(layer); }
  }
  map.on('zoomend', sync);
  sync();
})();
{% endmacro %}
""")

    def __init__(self, layer: folium.GeoJson, min_zoom: int) -> None:
        super().__init__()
        self._name = "ZoomSwitch"
        self.layer_name = layer.get_name()
        self.min_zoom = int(min_zoom)


class ClickBridge(MacroElement):
    """Tell the page that embeds the map (``postMessage``) which site marker was clicked."""

    _template = Template("""
{% macro script(this, kwargs) %}
document.addEventListener('click', function (ev) {
  var el = ev.target && ev.target.closest ? ev.target.closest('[data-site-id]') : null;
  if (el && window.parent && window.parent !== window) {
    window.parent.postMessage({estateSite: el.getAttribute('data-site-id')}, '*');
  }
}, true);
{% endmacro %}
""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "ClickBridge"


def _choropleth(geojson: dict[str, Any], values: Mapping[str, float], scale: ColourScale, name: str,
                value_label: str, *, show: bool = True, weight: float = 1.0) -> folium.GeoJson:
    feats = []
    ids = [f["id"] for f in geojson["features"]]
    vals = np.array([values.get(i, np.nan) for i in ids], dtype=np.float64)
    cols = scale.colours_of(vals)
    for f, v, c in zip(geojson["features"], vals, cols, strict=True):
        props = dict(f["properties"])
        props["value"] = _fmt_value(float(v), scale.unit)
        props["fill"] = c
        feats.append({"type": "Feature", "id": f["id"], "properties": props, "geometry": f["geometry"]})
    data = {"type": "FeatureCollection", "features": feats}
    label_field = "name"
    return folium.GeoJson(
        data, name=name, show=show,
        style_function=lambda ft: {"fillColor": ft["properties"]["fill"], "color": "#555555",
                                   "weight": weight, "fillOpacity": 0.72},
        highlight_function=lambda ft: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=[label_field, "value"], aliases=["", value_label],
                                      localize=False, sticky=False),
    )


def _site_group(sites: pd.DataFrame, name: str, band_label: str, *, show: bool = True) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=name, show=show)
    for row in sites.to_dict("records"):
        size = 18 if row["status"] != "candidate" else 14
        svg = site_icon_svg(row["status"], bool(row["is_24_7"]), size)
        icon = folium.DivIcon(
            html=f'<div data-site-id="{html.escape(str(row["site_id"]))}" '
                 f'data-status="{row["status"]}" style="cursor:pointer">{svg}</div>',
            icon_size=(size, size), icon_anchor=(size // 2, size // 2), class_name="estate-site",
        )
        folium.Marker(
            [float(row["lat"]), float(row["lon"])], icon=icon,
            tooltip=html.escape(str(row["name"])),
            popup=folium.Popup(site_popup_html(row, band_label), max_width=320),
        ).add_to(fg)
    return fg


def coverage_map(
    geometry: MapGeometry,
    *,
    borough_values: Mapping[str, float],
    borough_scale: ColourScale,
    sites: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    lsoa_values: Mapping[str, float] | None = None,
    lsoa_scale: ColourScale | None = None,
    lsoa: str = "off",
    focus: str | None = None,
    band_label: str = "",
    title: str = "",
    clickable: bool = False,
    tiles: str | None = "OpenStreetMap",
    lsoa_min_zoom: int = 13,
) -> folium.Map:
    """A coverage map: borough choropleth, optional LSOA choropleth, site markers, legend.

    Parameters
    ----------
    geometry
        From :func:`map_geometry`.
    borough_values, borough_scale
        Value per borough code, and its colour classes.
    sites, candidates
        Frames from :func:`site_frame` and :func:`candidate_frame`.
    lsoa_values, lsoa_scale
        Value per LSOA code, and its classes (needed unless ``lsoa == "off"``).
    lsoa
        ``"off"``; ``"borough"`` (the LSOAs of ``focus``, shown); or ``"zoom"``
        (all LSOAs, shown from zoom ``lsoa_min_zoom``).
    focus
        A borough code to zoom to (and, with ``lsoa="borough"``, whose LSOAs to draw).
    clickable
        Add the click bridge that reports clicked site markers to the embedding page.
    tiles
        A folium tile name, or ``None`` for no base map.
    """
    if lsoa not in ("off", "borough", "zoom"):
        raise ValueError(f"lsoa must be 'off', 'borough' or 'zoom', not {lsoa!r}")
    if lsoa != "off" and (lsoa_values is None or lsoa_scale is None):
        raise ValueError("an LSOA layer needs lsoa_values and lsoa_scale")
    if lsoa == "borough" and not focus:
        raise ValueError("lsoa='borough' needs focus=<borough code>")
    m = folium.Map(location=[51.49, -0.11], zoom_start=10, tiles=None, control_scale=True,
                   prefer_canvas=False)
    # Only Leaflet and jQuery (popups): no Bootstrap or Font Awesome (the markers are inline SVG).
    m.default_js = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    if tiles:
        folium.TileLayer(tiles, name="Base map (online only)", control=False).add_to(m)
    boro = _choropleth(geometry.boroughs, borough_values, borough_scale, "Boroughs", borough_scale.unit)
    boro.add_to(m)
    scales = [borough_scale]
    note = ""
    if lsoa != "off":
        assert lsoa_values is not None and lsoa_scale is not None
        if lsoa == "borough":
            feats = [f for f in geometry.lsoas["features"] if f["properties"]["area_code"] == focus]
            gj = {"type": "FeatureCollection", "features": feats}
        else:
            gj = geometry.lsoas
            note = "LSOAs appear when you zoom in."
        layer = _choropleth(gj, lsoa_values, lsoa_scale, "LSOAs", lsoa_scale.unit, weight=0.4)
        layer.add_to(m)
        if lsoa == "zoom":
            ZoomSwitch(layer, lsoa_min_zoom).add_to(m)
        scales.append(lsoa_scale)
    statuses: list[str] = []
    if sites is not None and len(sites):
        _site_group(sites, "Sites", band_label).add_to(m)
        statuses = [s for s in ("open", "closing", "new") if (sites["status"] == s).any()] or ["open"]
    if candidates is not None and len(candidates):
        _site_group(candidates, "Candidate hosts", band_label).add_to(m)
        statuses.append("candidate")
    if tiles:
        note = (note + " " if note else "") + "Base map © OpenStreetMap contributors (online only)."
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    Legend(heading + legend_html(scales, statuses, note)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if clickable:
        ClickBridge().add_to(m)
    # leave room on the left for the legend
    m.fit_bounds(geometry.bounds.get(focus or "london", geometry.bounds["london"]),
                 padding_top_left=(235, 10), padding_bottom_right=(10, 10))
    return m


# ---- standalone HTML -------------------------------------------------------
def _bundled_assets() -> dict[str, str]:
    """URL -> text of the web assets the ``folium-offline`` package bundles (empty without it)."""
    try:
        from offlinefolium import elements  # the folium-offline package
    except ImportError:
        return {}
    res = getattr(elements, "_res", None)
    return res if isinstance(res, dict) else {}


def offline_assets_available() -> bool:
    """Can :func:`map_html` inline Leaflet (is ``folium-offline`` installed)?"""
    res = _bundled_assets()
    return all(u in res for u in (LEAFLET_JS, LEAFLET_CSS, JQUERY_JS))


_SCRIPT_RE = re.compile(r'<script src="(?P<url>[^"]+)"></script>')
_LINK_RE = re.compile(r'<link rel="stylesheet" href="(?P<url>[^"]+)"/>')


def map_html(m: folium.Map, *, inline: bool = True) -> str:
    """The map as one HTML document.

    With ``inline`` (and ``folium-offline`` installed) the JavaScript and CSS
    the map loads are written into the file, so it works offline except for
    the base-map tiles, which always come from the web.
    """
    text = m.get_root().render()
    if not inline:
        return text
    res = _bundled_assets()
    if not res:
        return text

    def script(mt: re.Match[str]) -> str:
        body = res.get(mt.group("url"))
        return mt.group(0) if body is None else "<script>" + body.replace("</script", "<\\/script") + "</script>"

    def style(mt: re.Match[str]) -> str:
        body = res.get(mt.group("url"))
        return mt.group(0) if body is None else "<style>" + body + "</style>"

    return _LINK_RE.sub(style, _SCRIPT_RE.sub(script, text))


def external_assets(text: str) -> list[str]:
    """URLs of scripts and stylesheets an HTML document still loads from the web."""
    return [mt.group("url") for mt in _SCRIPT_RE.finditer(text)] + [
        mt.group("url") for mt in _LINK_RE.finditer(text)
    ]


def values_by_code(codes: Sequence[str] | np.ndarray | pd.Series, values: np.ndarray) -> dict[str, float]:
    """A ``{code: value}`` mapping from parallel arrays."""
    return {str(c): float(v) for c, v in zip(codes, values, strict=True)}


def geojson_size(geometry: MapGeometry) -> dict[str, int]:
    """Bytes of the borough and LSOA GeoJSON (for the benchmark and the About page)."""
    return {"boroughs": len(json.dumps(geometry.boroughs)), "lsoas": len(json.dumps(geometry.lsoas))}


#: JavaScript of the app's map component: shows a map's HTML in an iframe and
#: reports the site marker clicked in it (see :class:`ClickBridge`) as the
#: trigger value ``site``.  Plain text; the app registers it with streamlit.
EMBED_JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let frame = parentElement.querySelector('iframe');
  if (!frame) {
    frame = document.createElement('iframe');
    frame.style.width = '100%';
    frame.style.border = '0';
    frame.setAttribute('data-testid', 'estate-map');
    parentElement.appendChild(frame);
    window.addEventListener('message', (ev) => {
      if (ev.source === frame.contentWindow && ev.data && typeof ev.data.estateSite === 'string') {
        frame.estateTrigger('site', ev.data.estateSite);
      }
    });
  }
  frame.estateTrigger = setTriggerValue;
  frame.setAttribute('title', data.title || 'Coverage map');
  frame.style.height = (data.height || 560) + 'px';
  if (frame.dataset.key !== data.key) {
    frame.dataset.key = data.key;
    frame.srcdoc = data.html;
  }
}
"""


def catchment_map(
    geometry: MapGeometry,
    *,
    unit_ids: Sequence[str],
    change_minutes: Sequence[float],
    sites: pd.DataFrame,
    title: str = "",
    band_label: str = "",
    tiles: str | None = "OpenStreetMap",
) -> folium.Map:
    """A closed site's catchment: its LSOAs coloured by the change in minutes, and the sites involved.

    ``sites`` (columns of :func:`site_frame`) holds the closed site and the
    sites its residents go to instead; the map fits the catchment.
    """
    m = folium.Map(location=[51.49, -0.11], zoom_start=12, tiles=None, control_scale=True)
    m.default_js = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    if tiles:
        folium.TileLayer(tiles, name="Base map (online only)", control=False).add_to(m)
    scale = minutes_change_scale("Change in minutes for the catchment's residents")
    wanted = set(map(str, unit_ids))
    feats = [f for f in geometry.lsoas["features"] if f["id"] in wanted]
    gj = {"type": "FeatureCollection", "features": feats}
    values = {str(u): float(v) for u, v in zip(unit_ids, change_minutes, strict=True)}
    if feats:
        _choropleth(gj, values, scale, "Catchment LSOAs", scale.unit, weight=0.5).add_to(m)
    statuses = [s for s in ("open", "closing", "new") if len(sites) and (sites["status"] == s).any()]
    if len(sites):
        _site_group(sites, "Sites", band_label).add_to(m)
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    note = "Base map © OpenStreetMap contributors (online only)." if tiles else ""
    Legend(heading + legend_html([scale], statuses, note)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    lats = [c[1] for f in feats for c in _coords(f["geometry"])] + [float(v) for v in sites["lat"]]
    lons = [c[0] for f in feats for c in _coords(f["geometry"])] + [float(v) for v in sites["lon"]]
    if lats:
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding_top_left=(235, 10))
    return m


def _coords(geom: dict[str, Any]) -> list[list[float]]:
    """Every vertex of a GeoJSON Polygon or MultiPolygon."""
    if geom["type"] == "Polygon":
        return [c for ring in geom["coordinates"] for c in ring]
    if geom["type"] == "MultiPolygon":
        return [c for poly in geom["coordinates"] for ring in poly for c in ring]
    return []
