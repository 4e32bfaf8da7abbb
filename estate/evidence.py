"""Case-by-case closure evidence: for each site a scenario closes (or opens),
who it served, how their journeys change, and where they go instead.

Definitions (one mode, one time band at a time):

* **Catchment of a closed site**: the population units whose nearest open
  site in the *base* is that site.  Empty when the site is not open in the
  band in the base (a daytime counter at night), and not computed for a site
  with no location.
* **Before / after**: minutes to the nearest open site in the base / in the
  scenario.  "After" reflects the whole scenario (every closure and opening
  together), not the one closure alone.
* **Where they go instead**: the nearest open site in the scenario, with the
  share of the catchment's residents each takes.
* **Newly beyond T**: residents with ``before <= T < after``; **newly
  within T**: residents with ``after <= T < before``.
* **Catchment of an opened site**: the units whose nearest open site in the
  *scenario* is that site; the minutes it saves are ``before - after``.
* A site whose hours change is treated as closed in the bands where it was
  open in the base and is not in the scenario, and as opened in the reverse.

Everything is numpy over the planner's matrix; no per-resident Python loops.
The pack writers (CSV, JSON, XLSX, GeoJSON, HTML, PDF) are in :mod:`estate.outputs.export`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from estate.cases import (
    _CHANGE_ORDER,
    _NIGHT,
    CHANGE_CLOSED,
    CHANGE_HOURS,
    CHANGE_OPENED,
    EFFECT_GAIN,
    EFFECT_LOSS,
    EFFECT_NONE,
    BandCase,
    Evidence,
    Flow,
    SiteCase,
    TimeStats,
    time_stats,
)
from estate.coverage import THRESHOLDS, CoverageResult
from estate.errors import ScenarioError
from estate.rules import DEFAULT_RULES, RuleSet, check_rules
from estate.scenario import REGISTER, Change, Scenario, ScenarioState
from geodata.areas import GROUPS
from geodata.travel.base import ProgressFn, TimeBand, parse_band, parse_mode

if TYPE_CHECKING:
    from estate.planner import Planner

__all__ = [
    "CHANGE_CLOSED",
    "CHANGE_HOURS",
    "CHANGE_OPENED",
    "EFFECT_GAIN",
    "EFFECT_LOSS",
    "EFFECT_NONE",
    "BandCase",
    "Evidence",
    "Flow",
    "SiteCase",
    "TimeStats",
    "build_evidence",
    "data_sources",
    "time_stats",
]

log = logging.getLogger(__name__)


# ---- computation -------------------------------------------------------------------

def _title(planner: Planner, ref: str | Scenario) -> str:
    if isinstance(ref, Scenario):
        return ref.title or "An unsaved draft"
    if ref == REGISTER:
        return "The register as loaded"
    return planner.scenarios[ref].title


def _change_for(planner: Planner, scenario: str | Scenario, against: str, site_id: str) -> Change | None:
    """The scenario's own entry for a site (rationale, source), walking its chain of bases to ``against``."""
    ref: str | Scenario = scenario
    seen: set[str] = set()
    while True:
        if isinstance(ref, str):
            if ref in (against, REGISTER) or ref in seen or ref not in planner.scenarios:
                return None
            seen.add(ref)
            nxt = planner.scenarios[ref].base
        else:
            nxt = ref.base
        st = planner.state(ref)
        for d in (st.closed, st.opened, st.rehoured):
            if site_id in d:
                return d[site_id]
        ref = nxt


class _Context:
    """Arrays shared by every case of one band."""

    def __init__(self, planner: Planner, base: ScenarioState, scen: ScenarioState, band: TimeBand,
                 mode: str, thresholds: tuple[int, ...]) -> None:
        self.planner, self.band, self.thresholds = planner, band, thresholds
        self.estate = planner.estate
        self.times = planner.matrix(mode, band)
        self.base_cov: CoverageResult = planner.coverage_of_state(base, mode, band, thresholds=thresholds)
        self.scen_cov: CoverageResult = planner.coverage_of_state(scen, mode, band, thresholds=thresholds)
        self.base_open = set(base.open_columns(self.estate, band).tolist())
        self.scen_open = set(scen.open_columns(self.estate, band).tolist())
        self.base_hours, self.scen_hours = base.hours, scen.hours
        units = planner.units
        self.weights = units.weights()
        self.unit_area = units.area_index
        n_areas = len(units.area_codes)
        self.area_pos = {c: i for i, c in enumerate(units.area_codes)}
        self.area_tot = {g: np.bincount(self.unit_area, weights=w, minlength=n_areas) for g, w in self.weights.items()}
        self.london_tot = {g: float(w.sum()) for g, w in self.weights.items()}
        self.unit_ids = units.frame["unit_id"].to_numpy(str)


def _flows(ctx: _Context, idx: np.ndarray, cols: np.ndarray, minutes: np.ndarray, hours: dict[str, str]) -> list[Flow]:
    """Residents of ``idx`` grouped by the site column they use, largest first."""
    w = ctx.weights["all"][idx]
    tot = float(w.sum())
    if tot <= 0:
        return []
    uniq, inv = np.unique(cols, return_inverse=True)
    res = np.bincount(inv, weights=w, minlength=len(uniq))
    mins = np.bincount(inv, weights=w * np.where(np.isfinite(minutes), minutes, 0.0), minlength=len(uniq))
    out = []
    sites = ctx.estate.sites
    for k, col in enumerate(uniq.tolist()):
        if col < 0:
            out.append(Flow("", "no open site within reach", "", "", "", "", False, False,
                            float(res[k]), float(res[k] / tot), math.inf))
            continue
        sid = str(ctx.estate.column_ids[col])
        row = sites.loc[sid]
        text = hours.get(sid, "")
        h = ctx.estate.hours(text) if text else None
        out.append(Flow(
            sid, str(row["name"]), str(row["kind"]), str(row["host"]), str(row["area_name"]), text,
            bool(h is not None and h.is_24_7),
            bool(h is not None and h.is_open(_NIGHT.weekday, _NIGHT.minute)),
            float(res[k]), float(res[k] / tot), float(mins[k] / res[k]) if res[k] > 0 else math.nan,
        ))
    out.sort(key=lambda f: (-f.residents, f.name))
    return out


def _band_case(ctx: _Context, case: SiteCase) -> BandCase:
    b = ctx.band
    if not case.located:
        return BandCase(b.name, b.label, EFFECT_NONE, "No location in the sources, catchment not computed.")
    col = ctx.estate.column(case.site_id)
    was, now = col in ctx.base_open, col in ctx.scen_open
    if was and not now:
        effect = EFFECT_LOSS
        mask = ctx.base_cov.unit_site == col
    elif now and not was:
        effect = EFFECT_GAIN
        mask = ctx.scen_cov.unit_site == col
    else:
        if was:
            note = f"Open at {b.label} both before and after; its catchment changes only through other sites."
        elif case.change == CHANGE_OPENED:
            note = f"Not open at {b.label} under its new hours, so it serves nobody in this band."
        else:
            note = f"Not open at {b.label} in the base, so nobody's nearest counter in this band: its catchment is empty."
        return BandCase(b.name, b.label, EFFECT_NONE, note)
    idx = np.flatnonzero(mask)
    before = ctx.base_cov.unit_minutes[idx]
    after = ctx.scen_cov.unit_minutes[idx]
    w = ctx.weights["all"][idx]
    bc = BandCase(b.name, b.label, effect, "", units=idx, unit_ids=ctx.unit_ids[idx].tolist(),
                  before_min=before, after_min=after)
    bc.residents = float(w.sum())
    if bc.residents <= 0:
        bc.note = (f"Open at {b.label} in the base but nobody's nearest site, so its catchment is empty."
                   if effect == EFFECT_LOSS else
                   f"Open at {b.label}, but nobody's nearest site: every resident has a nearer one.")
    pos = ctx.area_pos.get(case.area_code)
    for g, wg in ctx.weights.items():
        if g == "all":
            continue
        r = float(wg[idx].sum())
        bc.group_residents[g] = r
        bc.group_share[g] = r / bc.residents if bc.residents > 0 else math.nan
        if pos is not None and ctx.area_tot["all"][pos] > 0:
            bc.borough_share[g] = float(ctx.area_tot[g][pos] / ctx.area_tot["all"][pos])
        else:
            bc.borough_share[g] = math.nan
        bc.london_share[g] = ctx.london_tot[g] / ctx.london_tot["all"] if ctx.london_tot["all"] > 0 else math.nan
    bc.before = time_stats(before, w)
    bc.after = time_stats(after, w)
    for t in ctx.thresholds:
        bc.newly_beyond[t] = float(w[(before <= t) & (after > t)].sum())
        bc.newly_within[t] = float(w[(after <= t) & (before > t)].sum())
    finite = np.isfinite(before) & np.isfinite(after)
    if bc.residents > 0 and finite.all():
        bc.mean_change = float(((after - before) * w).sum() / bc.residents)
    elif bc.residents > 0:
        bc.mean_change = math.inf if effect == EFFECT_LOSS else -math.inf
    delta = np.where(finite, after - before, 0.0)
    if effect == EFFECT_LOSS:
        bc.other_column = ctx.scen_cov.unit_site[idx]
        bc.unreachable = float(w[~np.isfinite(after)].sum())
        bc.total_minutes = float((delta * w).sum())
        bc.flows = _flows(ctx, idx, bc.other_column, after, ctx.scen_hours)
    else:
        bc.other_column = ctx.base_cov.unit_site[idx]
        bc.unreachable = float(w[~np.isfinite(before)].sum())
        bc.total_minutes = float((-delta * w).sum())
        bc.flows = _flows(ctx, idx, bc.other_column, before, ctx.base_hours)
        others = np.asarray(sorted(ctx.scen_open - {col}), dtype=np.int64)
        if len(others):
            alt = ctx.times[np.ix_(idx, others)].min(axis=1).astype(np.float64) / 60.0
        else:
            alt = np.full(len(idx), math.inf)
        bc.without = time_stats(alt, w)
        if bc.residents > 0:
            bc.marginal_saving = (float(((alt - after) * w).sum() / bc.residents)
                                  if np.isfinite(alt).all() else math.inf)
    return bc


def _summary(ctx: _Context) -> list[dict[str, Any]]:
    """Per-area rows (and the whole study area last) for one band."""
    b, s = ctx.base_cov, ctx.scen_cov
    n = len(b.area_codes)
    groups = np.concatenate([ctx.unit_area, np.full(len(ctx.unit_area), n)])
    before, after = b.unit_minutes, s.unit_minutes
    crossed: dict[tuple[str, int, str], np.ndarray] = {}
    for g, w in ctx.weights.items():
        ww = np.concatenate([w, w])
        for t in ctx.thresholds:
            beyond = np.concatenate([(before <= t) & (after > t)] * 2)
            within = np.concatenate([(after <= t) & (before > t)] * 2)
            crossed[(g, t, "beyond")] = np.bincount(groups, weights=ww * beyond, minlength=n + 1)
            crossed[(g, t, "within")] = np.bincount(groups, weights=ww * within, minlength=n + 1)
    mb, ms = b.metrics["all"], s.metrics["all"]
    w_all = np.concatenate([ctx.weights["all"]] * 2)
    unreach_b = np.bincount(groups, weights=w_all * ~np.isfinite(np.concatenate([before] * 2)), minlength=n + 1)
    unreach_s = np.bincount(groups, weights=w_all * ~np.isfinite(np.concatenate([after] * 2)), minlength=n + 1)
    rows = []
    for i in range(n + 1):
        code = b.whole[0] if i == n else str(b.area_codes[i])
        name = b.whole[1] if i == n else str(b.area_names[i])
        pop = float(mb["population"][i])
        row: dict[str, Any] = {"code": code, "name": name, "population": round(pop),
                               "open_sites_base": int(b.open_sites[i]), "open_sites_scenario": int(s.open_sites[i]),
                               "open_24_7_base": int(b.open_24_7[i]), "open_24_7_scenario": int(s.open_24_7[i])}
        for t in ctx.thresholds:
            sb = float(mb[f"within_{t}"][i] / pop) if pop > 0 else math.nan
            ss = float(ms[f"within_{t}"][i] / pop) if pop > 0 else math.nan
            row[f"share_within_{t}_base"] = sb
            row[f"share_within_{t}_scenario"] = ss
            row[f"share_within_{t}_change"] = ss - sb
        for t in ctx.thresholds:
            bb, bs = float(mb[f"beyond_{t}"][i]), float(ms[f"beyond_{t}"][i])
            row[f"beyond_{t}_base"] = round(bb)
            row[f"beyond_{t}_scenario"] = round(bs)
            row[f"beyond_{t}_change"] = round(bs) - round(bb)
            row[f"newly_beyond_{t}"] = round(float(crossed[("all", t, "beyond")][i]))
            row[f"newly_within_{t}"] = round(float(crossed[("all", t, "within")][i]))
        row["unreachable_base"] = round(float(unreach_b[i]))
        row["unreachable_scenario"] = round(float(unreach_s[i]))
        for key in ("mean", "median", "p95"):
            vb, vs = float(mb[key][i]), float(ms[key][i])
            row[f"{key}_min_base"] = vb
            row[f"{key}_min_scenario"] = vs
            row[f"{key}_min_change"] = vs - vb if math.isfinite(vb) and math.isfinite(vs) else math.nan
        for g in GROUPS:
            row[f"{g}_population"] = round(float(b.metrics[g]["population"][i]))
            for t in ctx.thresholds:
                row[f"{g}_newly_beyond_{t}"] = round(float(crossed[(g, t, "beyond")][i]))
        rows.append(row)
    return rows


def data_sources(planner: Planner) -> list[dict[str, str]]:
    """The manifest's layers present in the planner's data folder, with publisher and licence."""
    from geodata import LAYERS

    out = []
    for layer in LAYERS.values():
        if layer.locate(planner.data_dir).exists():
            out.append({"name": layer.name, "file": layer.path, "publisher": layer.publisher,
                        "licence": layer.licence})
    return out


def _unique_bands(bands: Iterable[str | TimeBand]) -> tuple[TimeBand, ...]:
    out: list[TimeBand] = []
    for b in bands:
        tb = parse_band(b)
        if all(tb.name != o.name for o in out):
            out.append(tb)
    return tuple(out)


def _site_case(planner: Planner, site_id: str, change: str, base: ScenarioState, scen: ScenarioState,
               scenario_id: str | Scenario, against: str) -> SiteCase:
    row = planner.estate.sites.loc[site_id]
    ch = _change_for(planner, scenario_id, against, site_id)
    foot = float(row["footfall"]) if row["footfall"] == row["footfall"] else math.nan
    src = str(row["source"])
    foot_note = src.split("footfall:", 1)[1].strip() if "footfall:" in src else (
        "" if math.isfinite(foot) else "not published")
    located = bool(row["located"])
    return SiteCase(
        site_id=site_id, name=str(row["name"]), change=change, kind=str(row["kind"]), host=str(row["host"]),
        area_code=str(row["area_code"]), area_name=str(row["area_name"]),
        address=str(row["address"] or ""), postcode=str(row["postcode"] or ""), located=located,
        x=float(row["x"]) if located else math.nan, y=float(row["y"]) if located else math.nan,
        hours_before=base.hours.get(site_id, "closed"), hours_after=scen.hours.get(site_id, "closed"),
        footfall=foot, footfall_note=foot_note,
        rationale=ch.rationale if ch else "", source=ch.source if ch else "",
        location_note="" if located else (str(row["problem"]) or "no location in the sources"),
    )


def build_evidence(
    planner: Planner,
    scenario_id: str | Scenario,
    *,
    against: str,
    mode: str,
    bands: Sequence[str | TimeBand] = ("day",),
    rules: RuleSet | None = None,
    thresholds: tuple[int, ...] = THRESHOLDS,
    summary_bands: Sequence[str | TimeBand] = ("day", "night"),
    progress: ProgressFn | None = None,
) -> Evidence:
    """The case-by-case evidence of ``scenario_id`` against ``against``.

    Parameters
    ----------
    planner
        The planner holding the data, estate, scenarios and matrices.
    scenario_id
        The scenario whose changes are evidenced: an id, or a :class:`Scenario`
        value (a draft being edited, saved or not).
    against
        The base it is compared with (any scenario id, or ``"register"``).
    mode
        Travel mode (``walk``, ``drive``, ``transit``).
    bands
        Time bands of the per-site evidence (``day``, ``night``, ``'Sat 03:00'``...).
    rules
        Borough rules to check (default :data:`estate.rules.DEFAULT_RULES`).
    thresholds
        Minutes at which residents are counted as newly beyond / within.
    summary_bands
        Bands of the scenario summary, besides ``bands`` (default day and night,
        as the Assembly asked for both).
    progress
        ``progress(done, total)`` over the bands.

    Raises
    ------
    ScenarioError
        When the scenario and the base are the same.
    UnknownScenarioError
        For an unknown scenario or base id.
    UnknownModeError, UnknownBandError
        For an unknown mode or band.
    """
    mode = parse_mode(mode)
    value = scenario_id if isinstance(scenario_id, Scenario) else None
    sid = scenario_id if isinstance(scenario_id, str) else (scenario_id.id or "draft")
    if sid == against and value is None:
        raise ScenarioError(
            f"the scenario and the base are both {sid!r}: evidence compares a scenario with a "
            "different base; pass --against the scenario it changes (e.g. its 'base' in the YAML)"
        )
    case_bands = _unique_bands(bands)
    if not case_bands:
        raise ScenarioError("no time band given: pass at least one band (e.g. 'day' or 'night')")
    all_bands = _unique_bands([*summary_bands, *case_bands])
    base = planner.state(against)
    scen = planner.state(scenario_id)
    est = planner.estate

    closed = sorted(set(base.hours) - set(scen.hours))
    opened = sorted(set(scen.hours) - set(base.hours))
    rehoured = sorted(s for s in set(base.hours) & set(scen.hours)
                      if est.hours(base.hours[s]) != est.hours(scen.hours[s]))
    cases = ([_site_case(planner, s, CHANGE_CLOSED, base, scen, scenario_id, against) for s in closed]
             + [_site_case(planner, s, CHANGE_HOURS, base, scen, scenario_id, against) for s in rehoured]
             + [_site_case(planner, s, CHANGE_OPENED, base, scen, scenario_id, against) for s in opened])
    cases.sort(key=lambda c: (_CHANGE_ORDER[c.change], c.area_name, c.name))

    summary: dict[str, list[dict[str, Any]]] = {}
    eng = planner.engine(mode)
    for k, b in enumerate(all_bands):
        ctx = _Context(planner, base, scen, b, mode, tuple(thresholds))
        summary[b.name] = _summary(ctx)
        if b in case_bands:
            for c in cases:
                c.bands[b.name] = _band_case(ctx, c)
        if progress:
            progress(k + 1, len(all_bands))

    areas = list(zip(planner.areas["code"].astype(str), planner.areas["name"].astype(str), strict=True))
    report = check_rules(rules or DEFAULT_RULES, est, base, scen, areas)
    for c in cases:
        if c.change != CHANGE_OPENED:
            c.rule_flags = report.flags_for_area(c.area_code)

    notes = []
    if not cases:
        notes.append(f"{sid} changes nothing against {against}: it closes no site, opens no site "
                     "and changes no opening hours. There is no closure to evidence, and coverage is unchanged.")
    elif not closed:
        notes.append(f"{sid} closes no site against {against}.")
    if value is not None:
        sc_notes = list(value.notes)
    else:
        sc_notes = list(planner.scenarios[sid].notes) if sid in planner.scenarios else []
    ev = Evidence(
        scenario_id=sid, scenario_title=_title(planner, scenario_id), against=against,
        against_title=_title(planner, against), mode=mode, engine=eng.name, engine_note=eng.describe(),
        bands=case_bands, summary_bands=all_bands, thresholds=tuple(thresholds), cases=cases,
        summary=summary, rules=report, notes=notes, scenario_notes=sc_notes, sources=data_sources(planner),
        generated=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
    )
    log.info("evidence %s vs %s (%s): %d closed, %d opened, %d re-houred", sid, against, mode,
             len(closed), len(opened), len(rehoured))
    return ev

