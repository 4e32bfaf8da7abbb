"""The sites a map draws: frames of sites and candidate hosts with their status,
hours and catchment figures, their marker icons and popups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from estate import text
from estate.coverage import CoverageResult
from estate.outputs import _palette as palette
from estate.outputs._escape import html_in_script
from estate.outputs.ui_text import HOST_LABELS, STATUS_LABELS
from estate.register import Estate
from estate.scenario import ScenarioState
from geodata.crs import bng_to_lonlat
from geodata.travel.base import TimeBand

__all__ = ["SITE_COLUMNS", "candidate_frame", "site_frame", "site_icon_svg", "site_popup_html"]

# ---- sites -----------------------------------------------------------------
SITE_COLUMNS = (
    "site_id", "name", "status", "hours", "is_24_7", "open_in_band", "footfall", "host",
    "retailer", "area_name", "postcode", "lat", "lon", "catchment_residents", "catchment_mean_min",
    "base_catchment_residents", "base_catchment_mean_min", "after_mean_min",
)


def _lat_lon(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = bng_to_lonlat(x, y)
    return lat, lon


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
               band: TimeBand | None = None, *, include_closed: bool = False) -> pd.DataFrame:
    """The located sites open in ``base`` or ``scenario``, with status and catchment figures.

    ``status`` is ``open`` (in both), ``closing`` (base only) or ``new``
    (scenario only); with ``include_closed``, register sites open in neither are
    ``closed`` (so a map can offer to reopen them).  Catchment figures are in the band of the results:
    residents whose nearest open site it is and their mean minutes, in the
    scenario (``catchment_*``) and in the base (``base_catchment_*``); for a
    closing site, ``after_mean_min`` is the mean minutes of its base catchment
    in the scenario.
    """
    b = band or scenario.band
    n_cols = len(estate.column_ids)
    pop_s, mean_s = _catchment(scenario, weights, n_cols)
    pop_b, mean_b = _catchment(base, weights, n_cols)
    _, after = _catchment(base, weights, n_cols, minutes=scenario.unit_minutes)
    ids = sorted(set(base_state.hours) | set(scenario_state.hours))
    if include_closed:
        ids = sorted(set(ids) | set(estate.register.index))
    ids = [s for s in ids if estate.has_column(s)]
    sites = estate.sites.loc[ids]
    rows = []
    for sid, r in zip(ids, sites.to_dict("records"), strict=True):
        in_b, in_s = sid in base_state.hours, sid in scenario_state.hours
        status = "open" if in_b and in_s else ("closing" if in_b else ("new" if in_s else "closed"))
        hours = scenario_state.hours[sid] if in_s else base_state.hours.get(sid, str(r.get("hours") or ""))
        h = estate.hours(hours) if status != "closed" else None
        c = estate.column(sid)
        rows.append({
            "site_id": sid, "name": r["name"], "status": status, "hours": hours,
            "is_24_7": bool(h and h.is_24_7), "open_in_band": bool(h and h.is_open(b.weekday, b.minute)),
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
    c = palette.STATUS_COLOURS.get(status, palette.colour("candidate"))
    white = palette.colour("background")
    fill = c if is_24_7 else white
    sw = 1.5 if is_24_7 else 3
    stroke = palette.colour("marker edge") if is_24_7 else c
    s = size
    if status == "open":
        shape = f'<circle cx="{s / 2}" cy="{s / 2}" r="{s / 2 - 2}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
    elif status == "closing":
        shape = (f'<rect x="2" y="2" width="{s - 4}" height="{s - 4}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
                 f'<path d="M5 5 L{s - 5} {s - 5} M{s - 5} 5 L5 {s - 5}" stroke="{white if is_24_7 else c}" stroke-width="2"/>')
    elif status == "closed":
        edge = palette.STATUS_COLOURS["closed"]
        shape = (f'<rect x="2" y="2" width="{s - 4}" height="{s - 4}" fill="{white}" fill-opacity="0.85" stroke="{edge}" '
                 f'stroke-width="2" stroke-dasharray="3 2"/>')
    elif status == "new":
        shape = f'<polygon points="{s / 2},2 {s - 2},{s - 2} 2,{s - 2}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
    else:
        s = int(size * 0.7)
        edge = palette.colour("candidate edge")
        shape = f'<polygon points="{s / 2},1 {s - 1},{s / 2} {s / 2},{s - 1} 1,{s / 2}" fill="{c}" fill-opacity="0.8" stroke="{edge}" stroke-width="1"/>'
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}" viewBox="0 0 {s} {s}">{shape}</svg>'


def site_popup_html(row: Mapping[str, Any], band_label: str = "") -> str:
    """The popup of one site: name, status, hours, footfall and catchment figures.

    Every value is escaped for HTML inside a JavaScript template literal, where
    folium puts popups (:func:`~estate.outputs._escape.html_in_script`).
    """
    e = html_in_script
    status = str(row["status"])
    lines = [f"<b>{e(str(row['name']))}</b>", e(STATUS_LABELS.get(status, status))]
    host = HOST_LABELS.get(str(row["host"]), str(row["host"]))
    if row.get("retailer"):
        host += f" ({row['retailer']})"
    lines.append(f"Host: {e(host)}; {e(str(row['area_name']))}")
    if status != "candidate":
        when = f" at {band_label}" if band_label else ""
        hours = str(row["hours"])
        lines.append(f"Hours: {e(hours)}" + (" (open 24/7)" if row["is_24_7"] and hours.strip() != "24/7" else ""))
        lines.append(("Open" if row["open_in_band"] else "Shut") + e(when))
        foot = row.get("footfall")
        lines.append("Footfall: " + (f"{text.plain(foot)} crimes reported a day" if isinstance(foot, float) and np.isfinite(foot)
                                     else "not published"))
    if status in ("open", "new"):
        lines.append(f"Nearest counter for {text.count(row['catchment_residents'])} residents; "
                     f"their mean journey {text.minutes(row['catchment_mean_min'], digits=0, unit=True)}")
    if status == "closing":
        lines.append(f"Nearest counter for {text.count(row['base_catchment_residents'])} residents before; "
                     f"their mean journey {text.minutes(row['base_catchment_mean_min'], digits=0, unit=True)} before, "
                     f"{text.minutes(row['after_mean_min'], digits=0, unit=True)} after")
    if status == "candidate":
        lines.append(f"Postcode: {e(str(row['postcode']))}")
    return "<br>".join(lines)


