"""The evidence pack on disk: CSV, JSON, XLSX, GeoJSON, HTML and PDF.

:func:`write_evidence` writes an evidence's every file into a
staging folder that replaces ``out_dir`` whole only once all files are
written (:func:`geodata.atomic_directory`): the pack appears complete or
not at all, a failure part way leaves an earlier pack untouched, and a
re-run replaces it cleanly.  :func:`evidence_pack_zip` returns the same
files as a zip archive in memory, for a browser download button.

Files of a pack (:data:`PACK_FILES`):

``evidence.csv``
    one row per closed, re-houred or opened site; band figures prefixed by the band name.
``evidence.json``
    the same, nested, with the summary, the rule checks and each catchment's LSOA codes.
``evidence.xlsx``
    a Summary sheet, a Sites sheet, a Where-they-go sheet, a Rules sheet and a sheet per borough.
``catchments.geojson``
    each catchment as one (multi)polygon dissolved from the LSOA 2021 boundaries,
    with its figures as properties (WGS84, as RFC 7946 requires).
``report.html``
    the self-contained committee report (maps embedded; works offline).
``report.pdf``
    the same report laid out for print.
``README.txt``
    what each file holds.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from estate import text
from estate.coverage import WHOLE_CODES
from estate.errors import OutputError
from estate.evidence import EFFECT_GAIN, EFFECT_LOSS, Evidence
from estate.outputs._escape import csv_text
from estate.outputs.files import check_can_create
from estate.outputs.geometry import GeographySource, geometry_for
from estate.outputs.report_html import render_html
from estate.outputs.report_pdf import render_pdf
from estate.outputs.staticmaps import start_evidence_maps
from estate.outputs.xlsx import Sheet, Workbook
from estate.text import json_number as _clean
from geodata import atomic_directory
from geodata.areas import GROUPS
from geodata.travel.base import ProgressFn

__all__ = [
    "PACK_FILES",
    "SITE_COLUMNS",
    "catchments_frame",
    "check_out_dir",
    "evidence_frame",
    "evidence_pack_zip",
    "flows_frame",
    "pack_name",
    "rules_frame",
    "summary_frame",
    "write_catchments_geojson",
    "write_evidence",
    "write_evidence_csv",
    "write_evidence_json",
    "write_evidence_xlsx",
    "write_report_html",
    "write_report_pdf",
]

log = logging.getLogger(__name__)

PACK_FILES: tuple[str, ...] = (
    "evidence.csv", "evidence.json", "evidence.xlsx", "catchments.geojson", "report.html", "report.pdf",
    "README.txt",
)
_MARKER = "evidence.json"


def pack_name(ev: Evidence) -> str:
    """A folder name for a pack, e.g. ``evidence-met-proposal-2025-vs-baseline-2024-walk-day``.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> pack_name(NS(scenario_id="a", against="b", mode="walk", bands=(NS(name="day"), NS(name="night"))))
    'evidence-a-vs-b-walk-day-night'
    """
    raw = f"evidence-{ev.scenario_id}-vs-{ev.against}-{ev.mode}-{'-'.join(b.name for b in ev.bands)}"
    return re.sub(r"[^A-Za-z0-9.-]+", "-", raw)


# ---- tables ---------------------------------------------------------------------------------

def _flows_text(flows: Sequence[Any]) -> str:
    return "; ".join(f"{f.name} {text.share(f.share)}" + (f" [{f.hours}]" if f.hours else "") for f in flows)


#: The site columns of ``evidence.csv``, in order; the ``<band>_`` columns follow, band by band.
SITE_COLUMNS: tuple[str, ...] = (
    "site_id", "name", "change", "located", "rank", "severity", "verdict", "uncertainty", "rule_breaches",
    "rule_context",
    "kind", "host", "borough_code", "borough", "address", "postcode", "easting", "northing",
    "hours_before", "hours_after", "footfall_per_day", "footfall_note", "rationale", "source", "location_note",
    "worst_band", "mitigation", "best_host_id", "best_host", "best_host_hours_needed", "best_host_recovered",
    "best_host_recovered_share", "swap_harms_fewer",
)


def evidence_frame(ev: Evidence) -> pd.DataFrame:
    """One row per changed site (``evidence.csv``), sorted by rank (unranked last); band figures ``<band>_``.

    ``rule_breaches`` are the ids of the rules the change breaks, alone or jointly (``;``-separated);
    ``rule_context`` the rules other changes break in its borough.
    """
    rows = []
    for c in ev.cases:
        h = c.host_option
        better = [o.site_id for o in c.swap_options if o.harms_fewer]
        row: dict[str, Any] = {
            "site_id": c.site_id, "name": c.name, "change": c.change, "located": c.located,
            "rank": c.rank, "severity": c.severity, "verdict": c.verdict, "uncertainty": c.uncertainty,
            "rule_breaches": ";".join(c.rule_breaches), "rule_context": "; ".join(c.rule_context),
            "kind": c.kind, "host": c.host,
            "borough_code": c.area_code, "borough": c.area_name, "address": c.address, "postcode": c.postcode,
            "easting": _clean(c.x, 1), "northing": _clean(c.y, 1),
            "hours_before": c.hours_before, "hours_after": c.hours_after,
            "footfall_per_day": _clean(c.footfall), "footfall_note": c.footfall_note,
            "rationale": c.rationale, "source": c.source, "location_note": c.location_note,
            "worst_band": c.worst_band, "mitigation": c.mitigation,
            "best_host_id": h.site_id if h else "", "best_host": h.name if h else "",
            "best_host_hours_needed": h.hours_needed if h else "",
            "best_host_recovered": _clean(round(h.recovered)) if h else None,
            "best_host_recovered_share": _clean(h.share, 4) if h else None,
            "swap_harms_fewer": ";".join(better),
        }
        for b in ev.bands:
            bc = c.bands.get(b.name)
            p = f"{b.name}_"
            if bc is None:
                continue
            row[p + "effect"] = bc.effect
            row[p + "note"] = bc.note
            row[p + "lsoas"] = len(bc.units)
            row[p + "residents"] = _clean(round(bc.residents))
            for g in GROUPS:
                row[p + f"{g}_residents"] = _clean(round(bc.group_residents.get(g, 0.0))) if bc.has_catchment else 0
                row[p + f"{g}_share"] = _clean(bc.group_share.get(g, math.nan), 4)
                row[p + f"{g}_borough_share"] = _clean(bc.borough_share.get(g, math.nan), 4)
            for when, st in (("before", bc.before), ("after", bc.after)):
                for k in ("mean", "median", "p95", "max"):
                    row[p + f"{when}_{k}_min"] = _clean(getattr(st, k), 2) if st else None
            row[p + "mean_change_min"] = _clean(bc.mean_change, 2)
            for t in ev.thresholds:
                row[p + f"newly_beyond_{t}"] = _clean(round(bc.newly_beyond.get(t, 0.0)))
            for t in ev.thresholds:
                row[p + f"newly_within_{t}"] = _clean(round(bc.newly_within.get(t, 0.0)))
            row[p + "unreachable"] = _clean(round(bc.unreachable))
            row[p + "total_resident_minutes"] = _clean(bc.total_minutes, 1)
            row[p + "without_site_mean_min"] = _clean(bc.without.mean, 2) if bc.without else None
            row[p + "marginal_saving_min"] = _clean(bc.marginal_saving, 2)
            row[p + ("came_from" if bc.effect == EFFECT_GAIN else "go_instead")] = _flows_text(bc.flows)
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=list(SITE_COLUMNS))
    df = pd.DataFrame(rows)
    df["rank"] = df["rank"].astype("Int64")
    return df


def flows_frame(ev: Evidence) -> pd.DataFrame:
    """Long table of where each catchment's residents go (loss) or came from (gain)."""
    rows = []
    for c in ev.cases:
        for bname, bc in c.bands.items():
            for f in bc.flows:
                rows.append({
                    "site_id": c.site_id, "name": c.name, "change": c.change, "band": bname,
                    "direction": "goes to" if bc.effect == EFFECT_LOSS else "came from",
                    "other_site_id": f.site_id, "other_site": f.name, "other_borough": f.area_name,
                    "share": _clean(f.share, 4), "residents": _clean(round(f.residents)),
                    "mean_min": _clean(f.mean_minutes, 2), "hours": f.hours, "is_24_7": f.is_24_7,
                    "open_at_night": f.open_at_night,
                })
    cols = ["site_id", "name", "change", "band", "direction", "other_site_id", "other_site", "other_borough",
            "share", "residents", "mean_min", "hours", "is_24_7", "open_at_night"]
    return pd.DataFrame(rows, columns=cols)


def summary_frame(ev: Evidence) -> pd.DataFrame:
    """Per band and area (London last in each band): the coverage change and crossings."""
    frames = []
    for b in ev.summary_bands:
        df = pd.DataFrame(ev.summary[b.name])
        df.insert(0, "band", b.name)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    return out.replace([np.inf, -np.inf], np.nan)


def rules_frame(ev: Evidence) -> pd.DataFrame:
    """One row per rule and borough."""
    rows = []
    for c in ev.rules.checks:
        d = c.to_dict()
        d["base_sites"] = ", ".join(d["base_sites"])
        d["scenario_sites"] = ", ".join(d["scenario_sites"])
        rows.append(d)
    return pd.DataFrame(rows)


def catchments_frame(source: GeographySource, ev: Evidence) -> gpd.GeoDataFrame:
    """Each non-empty catchment (site x band) dissolved from the LSOA polygons, with its figures (EPSG:4326)."""
    geo = geometry_for(source)
    records, geoms = [], []
    for c in ev.cases:
        for b in ev.bands:
            bc = c.bands.get(b.name)
            if bc is None or not bc.has_catchment:
                continue
            geoms.append(geo.union(bc.units))
            rec: dict[str, Any] = {
                "site_id": c.site_id, "name": c.name, "change": c.change, "band": b.name,
                "band_label": b.label, "effect": bc.effect, "borough": c.area_name,
                "hours_before": c.hours_before, "hours_after": c.hours_after, "lsoas": len(bc.units),
                "residents": _clean(round(bc.residents)),
            }
            for g in GROUPS:
                rec[f"{g}_residents"] = _clean(round(bc.group_residents.get(g, 0.0)))
                rec[f"{g}_share"] = _clean(bc.group_share.get(g, math.nan), 4)
                rec[f"{g}_borough_share"] = _clean(bc.borough_share.get(g, math.nan), 4)
            for when, st in (("before", bc.before), ("after", bc.after)):
                for k in ("mean", "median", "p95", "max"):
                    rec[f"{when}_{k}_min"] = _clean(getattr(st, k), 2) if st else None
            for t in ev.thresholds:
                rec[f"newly_beyond_{t}"] = _clean(round(bc.newly_beyond.get(t, 0.0)))
                rec[f"newly_within_{t}"] = _clean(round(bc.newly_within.get(t, 0.0)))
            rec["unreachable"] = _clean(round(bc.unreachable))
            rec["go_instead" if bc.effect == EFFECT_LOSS else "came_from"] = _flows_text(bc.flows)
            rec["rationale"] = c.rationale
            rec["source"] = c.source
            records.append(rec)
    gdf = gpd.GeoDataFrame(records, geometry=geoms, crs=geo.crs)
    if gdf.crs is None:  # pragma: no cover - the manifest refuses layers without a CRS
        return gdf
    return gdf.to_crs(4326)


# ---- writers (each writes one file; the pack folder is made atomic around them) ----------------

def write_evidence_csv(ev: Evidence, path: Path) -> None:
    """``evidence.csv``."""
    Path(path).write_text(csv_text(evidence_frame(ev)), encoding="utf-8")


def write_evidence_json(ev: Evidence, path: Path) -> None:
    """``evidence.json``."""
    Path(path).write_text(json.dumps(ev.to_dict(), indent=1, ensure_ascii=False, allow_nan=False),
                          encoding="utf-8")


def write_catchments_geojson(source: GeographySource, ev: Evidence, path: Path) -> None:
    """``catchments.geojson`` (a FeatureCollection; empty when nothing closes)."""
    gdf = catchments_frame(source, ev)
    if gdf.empty:
        text = json.dumps({"type": "FeatureCollection", "features": []})
    else:
        gdf["geometry"] = shapely.set_precision(gdf.geometry.to_numpy(), 1e-6)
        text = gdf.to_json(drop_id=True, na="null")
    Path(path).write_text(text, encoding="utf-8")


def write_report_html(ev: Evidence, maps: dict[str, bytes], path: Path) -> None:
    """``report.html``."""
    Path(path).write_text(render_html(ev, maps), encoding="utf-8")


def write_report_pdf(ev: Evidence, maps: dict[str, bytes], path: Path) -> None:
    """``report.pdf``."""
    Path(path).write_bytes(render_pdf(ev, maps))


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", name).strip()[:31] or "Sheet"
    out, k = base, 2
    while out.lower() in used:
        suffix = f" ({k})"
        out, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(out.lower())
    return out


def _fmt_for(col: str) -> str | None:
    if "share" in col:
        return "0.0%"
    if any(k in col for k in ("residents", "population", "beyond", "within", "unreachable")):
        return "#,##0"
    if col.endswith(("_min", "_minutes")) or "_min_" in col or col.startswith(("mean", "median", "p95")):
        return "0.0"
    return None


_HEADER_FILL = "E9EDF5"


def _write_table(ws: Sheet, top: int, df: pd.DataFrame, title: str = "", *, by_row: bool = False) -> int:
    """Write ``df`` at row ``top`` (1-based) with a bold header; return the next free row.

    Number formats follow the column names, or the first column's value with ``by_row``
    (for tables with one metric per row).
    """
    r = top
    if title:
        ws.set(r, 1, title, bold=True, size=12)
        r += 1
    for j, col in enumerate(df.columns, start=1):
        ws.set(r, j, str(col), bold=True, fill=_HEADER_FILL)
    fmts: list[str | None] = [_fmt_for(str(col)) for col in df.columns]
    columns = [col.tolist() for _, col in df.items()]  # whole columns to Python values at once (fast)
    for i, values in enumerate(zip(*columns, strict=True), start=r + 1):
        if by_row:
            fmts = [None, *[_fmt_for(str(values[0]).replace(" ", "_"))] * (len(values) - 1)]
        for j, v in enumerate(values, start=1):
            v = _clean(v)
            if isinstance(v, float) and math.isnan(v):
                v = None
            if v is not None and not isinstance(v, (int, float, str, bool)):
                v = str(v)
            ws.set(i, j, v, number_format=fmts[j - 1])
    return r + len(df) + 2


def _borough_metrics(ev: Evidence, code: str) -> pd.DataFrame:
    """Metric rows x (band before/after/change) columns for one borough."""
    th = ev.thresholds
    metrics: list[tuple[str, str, str, str]] = [("open sites", "open_sites_base", "open_sites_scenario", ""),
                                                ("open 24/7", "open_24_7_base", "open_24_7_scenario", "")]
    for k in ("mean", "median", "p95"):
        metrics.append((f"{k} minutes", f"{k}_min_base", f"{k}_min_scenario", f"{k}_min_change"))
    for t in th:
        metrics.append((f"share within {t} min", f"share_within_{t}_base", f"share_within_{t}_scenario",
                        f"share_within_{t}_change"))
    for t in th:
        metrics.append((f"residents beyond {t} min", f"beyond_{t}_base", f"beyond_{t}_scenario", f"beyond_{t}_change"))
    for t in th:
        metrics.append((f"residents newly beyond {t} min", "", "", f"newly_beyond_{t}"))
    for g in GROUPS:
        for t in th:
            metrics.append((f"{g} newly beyond {t} min", "", "", f"{g}_newly_beyond_{t}"))
    data: dict[str, list[Any]] = {"metric": [m[0] for m in metrics]}
    for b in ev.summary_bands:
        row = next(r for r in ev.summary[b.name] if r["code"] == code)
        data[f"{b.name} before"] = [_clean(row.get(m[1])) if m[1] else None for m in metrics]
        data[f"{b.name} after"] = [_clean(row.get(m[2])) if m[2] else None for m in metrics]
        data[f"{b.name} change"] = [_clean(row.get(m[3])) if m[3] else None for m in metrics]
    return pd.DataFrame(data)


def write_evidence_xlsx(ev: Evidence, path: Path) -> None:
    """``evidence.xlsx``: Summary, Sites, Where they go, Rules, and one sheet per borough.

    Written by :mod:`estate.outputs.xlsx` (no cell is a formula; text that starts like one
    carries the quote prefix).
    """
    wb = Workbook()
    used: set[str] = set()
    ws = wb.sheet(_sheet_name("Summary", used))
    ws.set(1, 1, ev.title(), bold=True, size=14)
    info = [("Scenario", f"{ev.scenario_title} ({ev.scenario_id})"), ("Against", f"{ev.against_title} ({ev.against})"),
            ("Mode", f"{ev.mode} (engine {ev.engine})"), ("Travel times", ev.engine_note),
            ("Site bands", ", ".join(b.label for b in ev.bands)),
            ("Summary bands", ", ".join(b.label for b in ev.summary_bands)),
            ("Closed", len(ev.closed)), ("Hours changed", len(ev.rehoured)), ("Opened", len(ev.opened)),
            ("Generated", ev.generated)]
    info += [("Note", n) for n in ev.notes]
    for i, (k, v) in enumerate(info, start=2):
        ws.set(i, 1, k, bold=True)
        ws.set(i, 2, v)
    r = len(info) + 3
    summ = summary_frame(ev)
    whole = summ["code"].isin(WHOLE_CODES)
    r = _write_table(ws, r, summ[whole].reset_index(drop=True), str(summ.loc[whole, "name"].iloc[0]) if whole.any() else "Total")
    r = _write_table(ws, r, summ[~whole].reset_index(drop=True), "Boroughs" if (summ["code"] == "london").any() else "Districts")
    rule_rows = pd.DataFrame(ev.rules.summary())
    for col in ("kinds", "broken", "already_failing", "fixed", "exempt"):
        if col in rule_rows:
            rule_rows[col] = rule_rows[col].map(lambda v: ", ".join(v))
    _write_table(ws, r, rule_rows, "Rules")
    ws.autowidth()

    sites = evidence_frame(ev)
    ws = wb.sheet(_sheet_name("Sites", used))
    _write_table(ws, 1, sites)
    ws.freeze = "C2"
    ws.autowidth(cap=40)
    ws = wb.sheet(_sheet_name("Where they go", used))
    _write_table(ws, 1, flows_frame(ev))
    ws.freeze = "B2"
    ws.autowidth()
    ws = wb.sheet(_sheet_name("Rules", used))
    _write_table(ws, 1, rules_frame(ev))
    ws.freeze = "A2"
    ws.autowidth()

    codes = [r["code"] for r in ev.summary[ev.summary_bands[0].name][:-1]]
    names = {r["code"]: r["name"] for r in ev.summary[ev.summary_bands[0].name][:-1]}
    by_borough = ({str(c): g for c, g in sites.groupby("borough_code", sort=False)} if "borough_code" in sites
                  else {})
    for code in codes:
        ws = wb.sheet(_sheet_name(names[code], used))
        ws.set(1, 1, f"{names[code]} ({code})", bold=True, size=14)
        r = _write_table(ws, 3, _borough_metrics(ev, code), "Coverage before and after", by_row=True)
        here = by_borough.get(code, sites.iloc[0:0])
        if len(here):
            cols = [c for c in ("site_id", "name", "change", "rank", "severity", "verdict", "rule_breaches",
                                "rule_context", "mitigation") if c in here]  # every figure: the Sites sheet
            r = _write_table(ws, r, here[cols].reset_index(drop=True), "Sites closed, re-houred or opened here")
        else:
            ws.set(r, 1, "No site in this borough is closed, re-houred or opened.")
            r += 2
        checks = [c.to_dict() for c in ev.rules.for_area(code)]
        if checks:
            df = pd.DataFrame(checks)[["title", "required", "base_count", "scenario_count", "status", "exempt_reason"]]
            _write_table(ws, r, df, "Rules")
        ws.autowidth()
    Path(path).write_bytes(wb.to_bytes())


def _readme(ev: Evidence) -> str:
    return (
        f"{ev.title()}\n{ev.subtitle()}\nGenerated {ev.generated}\n\n"
        "report.html         the committee report: open it in any browser (works offline)\n"
        "report.pdf          the same report laid out for print\n"
        "evidence.csv        one row per closed, re-houred or opened site\n"
        "evidence.json       the same, nested, with the summary, rule checks and each catchment's LSOAs\n"
        "evidence.xlsx       Summary, Sites, Where they go, Rules, and a sheet per borough\n"
        "catchments.geojson  each catchment as a polygon (WGS84) with its figures\n\n"
        f"Travel times: {ev.engine_note}.\n"
        "Sources and licences: see the 'Method and sources' section of the report.\n"
    )


# ---- the pack ---------------------------------------------------------------------------------

def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _is_pack(folder: Path) -> bool:
    marker = folder / _MARKER
    try:
        return bool(json.loads(marker.read_text(encoding="utf-8")).get("pack") == "estate-evidence")
    except (OSError, ValueError, AttributeError):
        return False


def check_out_dir(out_dir: str | os.PathLike[str], *,
                  protected: Mapping[str, str | os.PathLike[str]] | None = None) -> Path:
    """Refuse an output path that is a file, unwritable, or a folder holding something other than a pack.

    ``protected`` names folders (e.g. ``{"scenarios folder": path}``) the pack may not be
    written inside, nor around: the pack replaces its folder whole.
    """
    out = Path(out_dir).expanduser()
    for what, folder in (protected or {}).items():
        f = Path(folder).expanduser().resolve()
        o = out.resolve()
        if o == f or f in o.parents or o in f.parents:
            raise OutputError(f"{out} is {'inside' if f in o.parents or o == f else 'around'} the {what} {f}; "
                              "the pack replaces its folder whole, so write it somewhere else, "
                              "e.g. ./evidence-pack beside the scenarios")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file, not a folder: give a folder path for the evidence pack "
                          "(it is created, or replaced whole if it holds an earlier pack)")
    resolved = out.resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise OutputError(f"{out} is the root or your home folder; the pack replaces its folder whole, "
                          "so give a new folder such as ./evidence-pack")
    if out.is_dir() and any(out.iterdir()) and not _is_pack(out):
        raise OutputError(f"{out} holds files that are not an evidence pack; the pack replaces its folder "
                          "whole, so give a new or empty folder (or remove this one first)")
    check_can_create(out)
    return out


#: ``step(done, total, what)``: a pack's progress with what is being written ("maps 3/40", "PDF report")
StepFn = Callable[[int, int, str], None]


def _write_files(source: GeographySource, ev: Evidence, folder: Path, progress: ProgressFn | None,
                 workers: int = 1, step_fn: StepFn | None = None) -> None:
    """Every file of the pack into ``folder``.

    The maps are started first (in ``workers`` forked processes when more than one), the
    tables are written while they draw, then the two reports that embed them.
    ``progress(done, total)`` counts the steps; ``step_fn(done, total, what)`` also says what
    is being written before each step.
    """
    # the boundaries first (the workers inherit them; the catchments need them too), then the maps
    _ = source.unit_polygons, source.areas
    pending = start_evidence_maps(source, ev, workers=workers)
    maps: dict[str, bytes] = {}
    tables: list[tuple[str, Callable[[Path], None]]] = [
        ("evidence.csv", lambda p: write_evidence_csv(ev, p)),
        ("evidence.json", lambda p: write_evidence_json(ev, p)),
        ("evidence.xlsx", lambda p: write_evidence_xlsx(ev, p)),
        ("catchments.geojson", lambda p: write_catchments_geojson(source, ev, p)),
        ("README.txt", lambda p: _write_text(p, _readme(ev))),
    ]
    reports: list[tuple[str, str, Callable[[Path], None]]] = [
        ("report.html", "HTML report", lambda p: write_report_html(ev, maps, p)),
        ("report.pdf", "PDF report", lambda p: write_report_pdf(ev, maps, p)),
    ]
    total = pending.total + len(tables) + len(reports)
    done = 0

    def tell(what: str, at: int | None = None) -> None:
        if step_fn:
            step_fn(done if at is None else at, total, what)

    def step(name: str) -> None:
        nonlocal done
        done += 1
        log.debug("wrote %s", name)
        if progress:
            progress(done, total)

    for k, (name, write) in enumerate(tables, 1):
        tell(f"tables {k}/{len(tables)} ({name})")
        write(folder / name)
        step(name)

    def map_progress(d: int, t: int) -> None:
        if progress:
            progress(done + d, total)
        tell(f"maps {d}/{t}", done + d)

    tell(f"maps 0/{pending.total}")
    maps.update(pending.result(progress=map_progress))
    done += pending.total
    for name, label, write in reports:
        tell(label)
        write(folder / name)
        step(name)
    tell("done")


def write_evidence(source: GeographySource, ev: Evidence, out_dir: str | os.PathLike[str], *,
                   progress: ProgressFn | None = None, workers: int = 1) -> Path:
    """Write an already built :class:`Evidence` as a pack in ``out_dir``, atomically.

    An earlier pack there is replaced in one step; files a user added to it are
    kept (copied into the new pack).  Staging folders of killed runs are removed.
    ``workers`` > 1 draws the maps in that many forked processes while the tables are written
    (the CLI uses two; the app one).

    Raises
    ------
    OutputError
        When ``out_dir`` is a file, cannot be written, or is a folder holding
        something other than an earlier pack.
    """
    out = check_out_dir(out_dir)
    try:
        with atomic_directory(out, keep=lambda entry: entry.name not in PACK_FILES) as stage:
            _write_files(source, ev, stage, progress, workers)
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write the evidence pack to {out}: {exc}; any earlier pack there is "
                          "untouched. Check the folder's permissions and free space.") from exc
    log.info("wrote the evidence pack %s (%d sites)", out, len(ev.cases))
    return out


def evidence_pack_zip(source: GeographySource, ev: Evidence, *, progress: ProgressFn | None = None,
                      step_fn: StepFn | None = None) -> bytes:
    """The pack's files as a zip archive (for a download button), under a folder named :func:`pack_name`.

    ``step_fn(done, total, what)`` is told what is being written before each step (see :data:`StepFn`).
    """
    name = pack_name(ev)
    with tempfile.TemporaryDirectory(prefix="evidence-") as tmp:
        folder = Path(tmp)
        _write_files(source, ev, folder, progress, step_fn=step_fn)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for f in PACK_FILES:
                zf.write(folder / f, arcname=f"{name}/{f}")
    return buf.getvalue()
