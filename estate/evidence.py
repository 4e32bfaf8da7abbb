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

from estate import mitigation, text, verdicts
from estate.cases import (
    _CHANGE_ORDER,
    _NIGHT,
    CHANGE_CLOSED,
    CHANGE_HOURS,
    CHANGE_OPENED,
    EFFECT_GAIN,
    EFFECT_LOSS,
    EFFECT_NONE,
    EFFECT_UNLOCATED,
    BandCase,
    Evidence,
    Flow,
    HostOption,
    SiteCase,
    SwapOption,
    TimeStats,
    time_stats,
)
from estate.coverage import THRESHOLDS, CoverageResult
from estate.errors import ScenarioError
from estate.rules import DEFAULT_RULES, RuleReport, RuleSet, check_rules
from estate.scenario import REGISTER, Change, Scenario, ScenarioState
from geodata.areas import GROUPS
from geodata.travel.base import ProgressFn, TimeBand, parse_band, parse_mode

if TYPE_CHECKING:
    from estate.planner import Planner
    from estate.sweep import SweepSummary

__all__ = [
    "CHANGE_CLOSED",
    "CHANGE_HOURS",
    "CHANGE_OPENED",
    "DEFAULT_BANDS",
    "EFFECT_GAIN",
    "EFFECT_LOSS",
    "EFFECT_NONE",
    "EFFECT_UNLOCATED",
    "BandCase",
    "Evidence",
    "Flow",
    "SiteCase",
    "TimeStats",
    "build_evidence",
    "data_sources",
    "evidence_bands",
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
        return BandCase(b.name, b.label, EFFECT_UNLOCATED,
                        "No published location, so its catchment cannot be computed.", reason="no location")
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
            reason = "open before and after"
            note = f"Open at {b.label} both before and after; its catchment changes only through other sites."
        elif case.change == CHANGE_OPENED:
            reason = "not open after"
            note = f"Not open at {b.label} under its new hours, so it serves nobody in this band."
        else:
            reason = "closed in the base"
            note = (f"No {b.name} case: it was already closed at {b.label} in the base ({case.hours_before}), "
                    "so nobody relied on it then.")
        return BandCase(b.name, b.label, EFFECT_NONE, note, reason=reason)
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
        pushed = (before <= t) & (after > t)
        bc.newly_beyond[t] = float(w[pushed].sum())
        bc.newly_within[t] = float(w[(after <= t) & (before > t)].sum())
        bc.newly_beyond_groups[t] = {g: float(wg[idx][pushed].sum()) for g, wg in ctx.weights.items() if g != "all"}
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


#: The bands every pack covers, whatever else is asked for (the Assembly asked for day and night).
DEFAULT_BANDS: tuple[str, ...] = ("day", "night")


def evidence_bands(named: Iterable[str | TimeBand] = ()) -> tuple[TimeBand, ...]:
    """Day and night, then any other bands named (each once): what the CLI and the app both evidence.

    Raises
    ------
    UnknownBandError
        For a band name that is neither a named band nor a weekday and time.

    Examples
    --------
    >>> [b.name for b in evidence_bands(["Sat 03:00", "night"])]
    ['day', 'night', 'sat-03:00']
    """
    return _unique_bands([*DEFAULT_BANDS, *named])


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


_CAUSE_WORDS = {CHANGE_CLOSED: "closure", CHANGE_HOURS: "hours cut", CHANGE_OPENED: "opening"}


def _cause(case: SiteCase | None, sid: str, planner: Planner) -> str:
    if case is None:
        return str(planner.estate.sites.loc[sid, "name"])
    return f"{case.name}'s {_CAUSE_WORDS[case.change]}"


def _joined(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _attribute_rules(planner: Planner, cases: list[SiteCase], report: RuleReport) -> None:
    """Blame each breach, jointly, on the changes that removed a qualifying site; the rest get context."""
    by_id = {c.site_id: c for c in cases}
    broken = report.broken()
    for c in cases:
        mine = report.breaches_of(c.site_id)
        c.rule_breaches = [r.rule_id for r in mine]
        for r in mine:
            others = [_cause(by_id.get(s), s, planner) for s in r.removed if s != c.site_id]
            joint = f", jointly with {_joined(others)}" if others else ""
            c.breach_notes.append(f"breaks '{r.title}' in {r.area_name} ({r.base_count} → {r.scenario_count} "
                                  f"sites){joint}")
        for r in broken:
            if r.area_code != c.area_code or c.site_id in r.removed:
                continue
            causes = _joined([_cause(by_id.get(s), s, planner) for s in r.removed])
            c.rule_context.append(f"the borough no longer meets '{r.title}' (because of {causes})")
        for r in report.for_area(c.area_code):
            if r.status == "already failing in the base":
                c.rule_context.append(f"'{r.title}' already fails in {r.area_name} in the base "
                                      "(blamed on no change)")


def _host_option(ctxs: dict[str, _Context], case: SiteCase, candidates: np.ndarray) -> HostOption | None:
    """The candidate host that, opened with the site's old hours, recovers most over the loss bands.

    Chosen on the sum over the bands where the change is a loss; reported in the case's worst band.
    """
    t = verdicts.HARM_THRESHOLD
    per_band: dict[str, mitigation.HostRecovery] = {}
    for name, bc in case.bands.items():
        if bc.effect != EFFECT_LOSS or not bc.has_catchment or name not in ctxs:
            continue
        ctx = ctxs[name]
        per_band[name] = mitigation.host_recovery(ctx.times, bc.units, bc.before_min, bc.after_min,
                                                  ctx.weights["all"][bc.units], candidates, t)
    if not per_band:
        return None
    total = sum(per_band.values(), start=mitigation.HostRecovery.zero(candidates))
    k = mitigation.best_host(total)
    if k is None:
        return None
    est = next(iter(ctxs.values())).estate
    sid = str(est.column_ids[int(total.columns[k])])
    row = est.sites.loc[sid]
    band = case.worst_band if case.worst_band in per_band else next(iter(per_band))
    r = per_band[band]
    return HostOption(sid, str(row["name"]), str(row["host"]), str(row["area_name"]), case.hours_before,
                      float(r.recovered[k]), r.newly_beyond, float(r.minutes_saved[k]), t, band, tuple(per_band))


def _swap_options(ctxs: dict[str, _Context], case: SiteCase, scen: ScenarioState) -> list[SwapOption]:
    """For a closure: close each other counter of the borough instead (keeping this one), whole area, every band."""
    est = next(iter(ctxs.values())).estate
    if not case.located or case.change != CHANGE_CLOSED:
        return []
    sites = est.sites
    others = [s for s in sorted(scen.hours) if s != case.site_id and est.has_column(s)
              and str(sites.loc[s, "area_code"]) == case.area_code and str(sites.loc[s, "kind"]) == "front_counter"]
    t = verdicts.HARM_THRESHOLD
    col = est.column(case.site_id)
    as_is = instead_harm = None
    out = []
    for other in others:
        o_col = est.column(other)
        h_as, m_as, h_in, m_in = 0.0, 0.0, 0.0, 0.0
        for ctx in ctxs.values():
            w = ctx.weights["all"]
            before = ctx.base_cov.unit_minutes
            cols = set(ctx.scen_open)
            if col in ctx.base_open:
                cols.add(col)
            cols.discard(o_col)
            alt = mitigation.nearest_minutes(ctx.times, np.asarray(sorted(cols), dtype=np.int64))
            as_is = mitigation.area_harm(before, ctx.scen_cov.unit_minutes, w, t)  # the same for every other
            instead_harm = mitigation.area_harm(before, alt, w, t)
            h_as += as_is.newly_beyond
            m_as += as_is.extra_minutes
            h_in += instead_harm.newly_beyond
            m_in += instead_harm.extra_minutes
        out.append(SwapOption(other, str(sites.loc[other, "name"]), h_as, h_in, m_as, m_in, t))
    return out


def _mitigation_sentence(case: SiteCase) -> str:
    parts = []
    h = case.host_option
    if h is not None:
        bc = case.bands[h.band]
        if h.newly_beyond <= 0:
            parts.append(f"Best alternative host: {h.name} ({h.host.replace('_', ' ')}, {h.area_name}), open "
                         f"{h.hours_needed}, would save {text.count(h.minutes_saved)} of the "
                         f"{text.count(bc.total_minutes)} extra resident-minutes {verdicts.band_words(bc)}")
        else:
            parts.append(f"Best alternative host: {h.name} ({h.host.replace('_', ' ')}, {h.area_name}), open "
                         f"{h.hours_needed}, would bring {text.count(h.recovered)} of the "
                         f"{text.count(h.newly_beyond)} residents newly beyond {h.threshold} minutes "
                         f"{verdicts.band_words(bc)} back within it ({text.share(h.share, digits=0)})")
    elif case.change in (CHANGE_CLOSED, CHANGE_HOURS) and case.has_effect:
        parts.append("No candidate host would bring anyone back within "
                     f"{verdicts.HARM_THRESHOLD} minutes")
    if case.change == CHANGE_CLOSED and case.located:
        better = [o for o in case.swap_options if o.harms_fewer]
        if better:
            o = min(better, key=lambda o: (o.harm_instead, o.minutes_instead))
            parts.append(f"closing {o.name} instead (and keeping this site) would put "
                         f"{text.count(o.harm_as_is - o.harm_instead)} fewer residents beyond {o.threshold} minutes "
                         "across London (bands added together)")
        elif case.swap_options:
            parts.append("closing another counter in " + (case.area_name or "the borough") +
                         " instead would not harm fewer residents")
        else:
            parts.append(f"{case.area_name or 'the borough'} has no other counter open in the scenario to close instead")
    return ("; ".join(parts) + ".") if parts else ""


def _new_cases(planner: Planner, base: ScenarioState, scen: ScenarioState, scenario_id: str | Scenario,
               against: str) -> list[SiteCase]:
    """One empty case per site closed, re-houred or opened, in the order ties in rank keep."""
    est = planner.estate
    closed = sorted(set(base.hours) - set(scen.hours))
    opened = sorted(set(scen.hours) - set(base.hours))
    rehoured = sorted(s for s in set(base.hours) & set(scen.hours)
                      if est.hours(base.hours[s]) != est.hours(scen.hours[s]))
    cases = ([_site_case(planner, s, CHANGE_CLOSED, base, scen, scenario_id, against) for s in closed]
             + [_site_case(planner, s, CHANGE_HOURS, base, scen, scenario_id, against) for s in rehoured]
             + [_site_case(planner, s, CHANGE_OPENED, base, scen, scenario_id, against) for s in opened])
    cases.sort(key=lambda c: (_CHANGE_ORDER[c.change], c.area_name, c.name))
    return cases


def band_cases(planner: Planner, scenario_id: str | Scenario, *, against: str, mode: str, band: str | TimeBand,
               thresholds: tuple[int, ...] = THRESHOLDS) -> tuple[list[SiteCase], CoverageResult, CoverageResult]:
    """The cases of one band, ranked as :func:`build_evidence` ranks them, with the base's and the scenario's
    coverage; without the mitigation, rules and summary a pack adds (what a settings sweep needs per draw)."""
    m, b = parse_mode(mode), parse_band(band)
    base, scen = planner.state(against), planner.state(scenario_id)
    cases = _new_cases(planner, base, scen, scenario_id, against)
    ctx = _Context(planner, base, scen, b, m, tuple(thresholds))
    for c in cases:
        c.bands[b.name] = _band_case(ctx, c)
    return verdicts.rank_cases(cases), ctx.base_cov, ctx.scen_cov


def build_evidence(
    planner: Planner,
    scenario_id: str | Scenario,
    *,
    against: str,
    mode: str,
    bands: Sequence[str | TimeBand] = DEFAULT_BANDS,
    rules: RuleSet | None = None,
    thresholds: tuple[int, ...] = THRESHOLDS,
    summary_bands: Sequence[str | TimeBand] = DEFAULT_BANDS,
    progress: ProgressFn | None = None,
    sweep: SweepSummary | None = None,
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
    sweep
        A settings sweep of the same scenario, base and mode (:class:`estate.sweep.SweepSummary`):
        each case then states its rank and harm across the draws, and the notes say what was drawn.

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
    if sweep is not None:
        sweep.check_fits(sid, against, str(mode))
    case_bands = _unique_bands(bands)
    if not case_bands:
        raise ScenarioError("no time band given: pass at least one band (e.g. 'day' or 'night')")
    all_bands = _unique_bands([*summary_bands, *case_bands])
    base = planner.state(against)
    scen = planner.state(scenario_id)
    est = planner.estate
    cases = _new_cases(planner, base, scen, scenario_id, against)
    closed = [c.site_id for c in cases if c.change == CHANGE_CLOSED]
    opened = [c.site_id for c in cases if c.change == CHANGE_OPENED]
    rehoured = [c.site_id for c in cases if c.change == CHANGE_HOURS]

    summary: dict[str, list[dict[str, Any]]] = {}
    eng = planner.engine(mode)
    ctxs: dict[str, _Context] = {}
    for k, b in enumerate(all_bands):
        ctx = _Context(planner, base, scen, b, mode, tuple(thresholds))
        summary[b.name] = _summary(ctx)
        if b in case_bands:
            ctxs[b.name] = ctx
            for c in cases:
                c.bands[b.name] = _band_case(ctx, c)
        if progress:
            progress(k + 1, len(all_bands))

    areas = list(zip(planner.areas["code"].astype(str), planner.areas["name"].astype(str), strict=True))
    report = check_rules(rules or DEFAULT_RULES, est, base, scen, areas)
    _attribute_rules(planner, cases, report)
    kinds = est.sites.loc[est.column_ids, "kind"].to_numpy(str)
    candidates = np.flatnonzero(kinds == "candidate")
    for c in cases:
        c.worst_band = verdicts.worst_band(c) if c.located else ""
        if c.change in (CHANGE_CLOSED, CHANGE_HOURS) and c.located:
            c.host_option = _host_option(ctxs, c, candidates)
            c.swap_options = _swap_options(ctxs, c, scen)
            c.mitigation = _mitigation_sentence(c)
    cases = verdicts.rank_cases(cases)
    n_ranked = sum(c.rank is not None for c in cases)
    for c in cases:
        c.verdict = verdicts.verdict(c, n_ranked, mode)
        c.uncertainty = sweep.statement(c.site_id) if sweep is not None else ""

    notes = [sweep.note()] if sweep is not None else []
    if not cases:
        notes.append(f"{sid} changes nothing against {against}: it closes no site, opens no site "
                     "and changes no opening hours. There is no closure to evidence, and coverage is unchanged.")
    elif not closed:
        notes.append(f"{sid} closes no site against {against}.")
    if getattr(planner, "deprivation_note", ""):  # outside London: England's IMD and Wales's WIMD
        notes.append(planner.deprivation_note[0].upper() + planner.deprivation_note[1:] + ".")
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

