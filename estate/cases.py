"""The closure evidence as values: the result types of :mod:`estate.evidence`.

:class:`Evidence` holds one :class:`SiteCase` per closed, re-houred or
opened site; each holds a :class:`BandCase` per time band (catchment,
before/after :class:`TimeStats`, the :class:`Flow` of residents to other
sites).  Outputs draw these; they are built by
:func:`estate.evidence.build_evidence`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from estate.coverage import weighted_quantiles
from estate.rules import RuleReport
from estate.text import json_number
from geodata.areas import GROUPS
from geodata.travel.base import BANDS, TimeBand, parse_band

if TYPE_CHECKING:
    pass

__all__ = [
    "CHANGE_CLOSED",
    "CHANGE_HOURS",
    "CHANGE_OPENED",
    "EFFECT_GAIN",
    "EFFECT_LOSS",
    "EFFECT_NONE",
    "EFFECT_UNLOCATED",
    "BandCase",
    "Evidence",
    "Flow",
    "HostOption",
    "SiteCase",
    "SwapOption",
    "TimeStats",
    "time_stats",
]

log = logging.getLogger(__name__)

CHANGE_CLOSED = "closed"
CHANGE_OPENED = "opened"
CHANGE_HOURS = "hours changed"

#: the site's effect in one band: it serves people in the base only, in the scenario only, or neither
EFFECT_LOSS = "loss"
EFFECT_GAIN = "gain"
EFFECT_NONE = "none"
#: a site with no published location: nothing can be computed in any band
EFFECT_UNLOCATED = "unlocated"

_NIGHT = BANDS["night"]
_CHANGE_ORDER = {CHANGE_CLOSED: 0, CHANGE_HOURS: 1, CHANGE_OPENED: 2}


def _num(x: float | None, nd: int = 2) -> float | None:
    """JSON-safe float: ``None`` for missing, infinite or NaN."""
    return None if x is None else json_number(float(x), nd)


@dataclass(frozen=True)
class TimeStats:
    """Population-weighted travel minutes of a set of residents.

    ``mean``, ``p95`` and ``max`` are ``inf`` when some residents have no open
    site within the engine's cutoff; every field is ``nan`` for nobody.
    """

    residents: float
    mean: float
    median: float
    p95: float
    max: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``None`` for missing or unreachable)."""
        return {"mean": _num(self.mean), "median": _num(self.median), "p95": _num(self.p95),
                "max": _num(self.max)}


def time_stats(minutes: np.ndarray, weights: np.ndarray) -> TimeStats:
    """Weighted mean, median, 95th percentile and maximum of ``minutes``.

    Quantiles follow :func:`estate.coverage.weighted_quantiles`: the smallest
    value whose cumulative weight reaches the share.

    Examples
    --------
    >>> s = time_stats(np.array([5., 10., 14., 25.]), np.array([100., 200., 100., 100.]))
    >>> s.mean, s.median, s.p95, s.max
    (12.8, 10.0, 25.0, 25.0)
    """
    minutes = np.asarray(minutes, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    keep = weights > 0
    minutes, weights = minutes[keep], weights[keep]
    tot = float(weights.sum())
    if tot <= 0:
        return TimeStats(0.0, math.nan, math.nan, math.nan, math.nan)
    med, p95 = weighted_quantiles(minutes, weights, np.zeros(len(minutes), np.int64), 1, (0.5, 0.95))[:, 0]
    mean = float((minutes * weights).sum() / tot) if np.isfinite(minutes).all() else math.inf
    return TimeStats(tot, round(mean, 10), float(med), float(p95), float(minutes.max()))


@dataclass(frozen=True)
class Flow:
    """Residents of a catchment moving to (or from) one site."""

    #: ``""`` for "no open site within reach"
    site_id: str
    name: str
    kind: str
    host: str
    area_name: str
    hours: str
    is_24_7: bool
    open_at_night: bool
    residents: float
    share: float
    #: mean minutes of these residents to this site
    mean_minutes: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"site_id": self.site_id or None, "name": self.name, "kind": self.kind, "host": self.host,
                "area_name": self.area_name, "hours": self.hours, "is_24_7": self.is_24_7,
                "open_at_night": self.open_at_night, "residents": round(self.residents),
                "share": _num(self.share, 4), "mean_minutes": _num(self.mean_minutes)}


@dataclass
class BandCase:
    """One changed site in one time band."""

    band: str
    band_label: str
    #: :data:`EFFECT_LOSS`, :data:`EFFECT_GAIN` or :data:`EFFECT_NONE`
    effect: str
    #: plain sentence when there is nothing to compute (not located, not open in this band...)
    note: str
    #: why there is no case, in short words: ``closed in the base``, ``open before and after``,
    #: ``not open after``, ``no location``; "" when there is one
    reason: str = ""
    residents: float = 0.0
    #: group key (as in :data:`geodata.areas.GROUPS`) -> residents of the catchment in that group
    group_residents: dict[str, float] = field(default_factory=dict)
    #: group key -> share of the catchment's residents in the group
    group_share: dict[str, float] = field(default_factory=dict)
    #: group key -> the same share in the site's borough
    borough_share: dict[str, float] = field(default_factory=dict)
    #: group key -> the same share in the whole study area
    london_share: dict[str, float] = field(default_factory=dict)
    before: TimeStats | None = None
    after: TimeStats | None = None
    #: threshold (minutes) -> residents with before <= T < after
    newly_beyond: dict[int, float] = field(default_factory=dict)
    #: threshold -> residents with after <= T < before
    newly_within: dict[int, float] = field(default_factory=dict)
    #: threshold -> group key -> residents of the group newly beyond it
    newly_beyond_groups: dict[int, dict[str, float]] = field(default_factory=dict)
    #: residents with no open site within reach after (before, for a gain)
    unreachable: float = 0.0
    #: weighted mean of (after - before) minutes: positive = longer journeys
    mean_change: float = math.nan
    #: resident-minutes saved (gain) or added (loss), summed
    total_minutes: float = 0.0
    #: loss: where residents go instead; gain: where they went before
    flows: list[Flow] = field(default_factory=list)
    #: gain only: minutes to the next-nearest open site of the scenario, had this site not opened
    without: TimeStats | None = None
    #: gain only: weighted mean minutes this site saves over that next-nearest site (>= 0)
    marginal_saving: float = math.nan
    #: population-unit row indices of the catchment
    units: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64), repr=False, compare=False)
    #: unit ids of the catchment
    unit_ids: list[str] = field(default_factory=list, repr=False, compare=False)
    before_min: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    after_min: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    #: matrix column each unit goes to after (loss) or came from before (gain); -1 = none
    other_column: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64), repr=False, compare=False)

    @property
    def has_catchment(self) -> bool:
        """Does anyone live in the catchment?"""
        return self.residents > 0

    def to_dict(self, thresholds: Sequence[int]) -> dict[str, Any]:
        """JSON-ready, nested."""
        out: dict[str, Any] = {
            "band": self.band, "band_label": self.band_label, "effect": self.effect, "note": self.note,
            "reason": self.reason,
            "catchment": {
                "units": len(self.units), "residents": round(self.residents),
                "groups": {g: {"residents": round(self.group_residents.get(g, 0.0)),
                               "share": _num(self.group_share.get(g), 4),
                               "borough_share": _num(self.borough_share.get(g), 4),
                               "london_share": _num(self.london_share.get(g), 4)} for g in GROUPS},
                "unit_ids": list(self.unit_ids),
            },
            "minutes_before": self.before.to_dict() if self.before else None,
            "minutes_after": self.after.to_dict() if self.after else None,
            "mean_change_min": _num(self.mean_change),
            "total_resident_minutes": _num(self.total_minutes, 1),
            "unreachable": round(self.unreachable),
            "newly_beyond": {str(t): round(self.newly_beyond.get(t, 0.0)) for t in thresholds},
            "newly_within": {str(t): round(self.newly_within.get(t, 0.0)) for t in thresholds},
            "newly_beyond_groups": {str(t): {g: round(v) for g, v in self.newly_beyond_groups.get(t, {}).items()}
                                    for t in thresholds},
        }
        key = "go_instead" if self.effect == EFFECT_LOSS else "came_from"
        out[key] = [f.to_dict() for f in self.flows]
        if self.effect == EFFECT_GAIN:
            out["minutes_without_this_site"] = self.without.to_dict() if self.without else None
            out["marginal_saving_min"] = _num(self.marginal_saving)
        return out


@dataclass(frozen=True)
class HostOption:
    """The candidate host that would recover most of a closure's loss, had it opened with the site's hours."""

    site_id: str
    name: str
    host: str
    area_name: str
    #: the opening hours it would need: the closed site's own (so it is open in every band of the loss)
    hours_needed: str
    #: residents newly beyond the threshold in ``band`` whom it brings back within it
    recovered: float
    #: residents newly beyond the threshold in ``band`` in the first place
    newly_beyond: float
    #: resident-minutes it saves against the scenario in ``band``
    minutes_saved: float
    threshold: int
    #: the band the figures are for (the case's worst)
    band: str
    #: the bands of the loss, over which the host was chosen (their sum)
    bands: tuple[str, ...]

    @property
    def share(self) -> float:
        """Recovered residents as a share of those newly beyond the threshold."""
        return self.recovered / self.newly_beyond if self.newly_beyond > 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"site_id": self.site_id, "name": self.name, "host": self.host, "area_name": self.area_name,
                "hours_needed": self.hours_needed, "recovered": round(self.recovered),
                "newly_beyond": round(self.newly_beyond), "share": _num(self.share, 4),
                "minutes_saved": _num(self.minutes_saved, 1), "threshold_min": self.threshold,
                "band": self.band, "chosen_over_bands": list(self.bands)}


@dataclass(frozen=True)
class SwapOption:
    """Closing another counter of the same borough instead (and keeping this one), over the whole area."""

    site_id: str
    name: str
    #: residents newly beyond the threshold, summed over the case bands: the scenario as it is
    harm_as_is: float
    #: the same with this site kept and ``site_id`` closed instead
    harm_instead: float
    minutes_as_is: float
    minutes_instead: float
    threshold: int

    @property
    def harms_fewer(self) -> bool:
        """Would the swap push fewer residents past the threshold (then add fewer resident-minutes)?"""
        return (self.harm_instead, self.minutes_instead) < (self.harm_as_is, self.minutes_as_is)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"site_id": self.site_id, "name": self.name, "harm_as_is": round(self.harm_as_is),
                "harm_instead": round(self.harm_instead), "minutes_as_is": _num(self.minutes_as_is, 1),
                "minutes_instead": _num(self.minutes_instead, 1), "harms_fewer": self.harms_fewer,
                "threshold_min": self.threshold}


@dataclass
class SiteCase:
    """The evidence for one closed, opened or re-houred site."""

    site_id: str
    name: str
    #: :data:`CHANGE_CLOSED`, :data:`CHANGE_OPENED` or :data:`CHANGE_HOURS`
    change: str
    kind: str
    host: str
    area_code: str
    area_name: str
    address: str
    postcode: str
    located: bool
    x: float
    y: float
    hours_before: str
    hours_after: str
    footfall: float
    footfall_note: str
    rationale: str
    source: str
    location_note: str
    bands: dict[str, BandCase] = field(default_factory=dict)
    #: ids of the rules this change breaks, alone or jointly (it removed a qualifying site where the rule held)
    rule_breaches: list[str] = field(default_factory=list)
    #: one sentence per breach, naming every change it is jointly blamed on
    breach_notes: list[str] = field(default_factory=list)
    #: rules broken in the borough by *other* changes, as context ("... because of Dagenham's hours cut")
    rule_context: list[str] = field(default_factory=list)
    #: 1 = the most harmful case; ``None`` for a site with no location
    rank: int | None = None
    #: a class of :data:`estate.verdicts.SEVERITIES`
    severity: str = ""
    #: one plain sentence a councillor can read aloud
    verdict: str = ""
    #: the band the rank and verdict are judged in (the worst one)
    worst_band: str = ""
    #: closures: the candidate host recovering most of the loss
    host_option: HostOption | None = None
    #: closures: closing each other counter of the borough instead
    swap_options: list[SwapOption] = field(default_factory=list)
    #: closures: one sentence on the alternatives
    mitigation: str = ""
    #: with a settings sweep: the case's rank and harm across the draws, in one sentence
    uncertainty: str = ""

    @property
    def rule_flags(self) -> list[str]:
        """The breaches this change is blamed for (sentences)."""
        return list(self.breach_notes)

    @property
    def has_effect(self) -> bool:
        """Does the change move anyone's nearest site in some band?"""
        return any(bc.effect in (EFFECT_LOSS, EFFECT_GAIN) and bc.has_catchment for bc in self.bands.values())

    def to_dict(self, thresholds: Sequence[int]) -> dict[str, Any]:
        """JSON-ready, nested by band."""
        return {
            "site_id": self.site_id, "name": self.name, "change": self.change, "kind": self.kind,
            "host": self.host, "area_code": self.area_code, "area_name": self.area_name,
            "address": self.address, "postcode": self.postcode, "located": self.located,
            "easting": _num(self.x, 1), "northing": _num(self.y, 1),
            "hours_before": self.hours_before, "hours_after": self.hours_after,
            "footfall_per_day": _num(self.footfall), "footfall_note": self.footfall_note,
            "rationale": self.rationale, "source": self.source, "location_note": self.location_note,
            "rank": self.rank, "severity": self.severity, "verdict": self.verdict, "uncertainty": self.uncertainty,
            "worst_band": self.worst_band,
            "rule_breaches": list(self.rule_breaches), "breach_notes": list(self.breach_notes),
            "rule_context": list(self.rule_context),
            "host_option": self.host_option.to_dict() if self.host_option else None,
            "swap_options": [o.to_dict() for o in self.swap_options], "mitigation": self.mitigation,
            "bands": {b: bc.to_dict(thresholds) for b, bc in self.bands.items()},
        }


@dataclass
class Evidence:
    """The closure evidence of a scenario against a base, for one mode and some bands."""

    scenario_id: str
    scenario_title: str
    against: str
    against_title: str
    mode: str
    engine: str
    engine_note: str
    bands: tuple[TimeBand, ...]
    summary_bands: tuple[TimeBand, ...]
    thresholds: tuple[int, ...]
    cases: list[SiteCase]
    #: band name -> per-area rows (last row: the whole study area, code ``london``)
    summary: dict[str, list[dict[str, Any]]]
    rules: RuleReport
    generated: str
    notes: list[str] = field(default_factory=list)
    scenario_notes: list[str] = field(default_factory=list)
    #: the data files behind the figures: name, file, publisher, licence
    sources: list[dict[str, str]] = field(default_factory=list)

    @property
    def closed(self) -> list[SiteCase]:
        """Cases of sites the scenario closes."""
        return [c for c in self.cases if c.change == CHANGE_CLOSED]

    @property
    def opened(self) -> list[SiteCase]:
        """Cases of sites the scenario opens."""
        return [c for c in self.cases if c.change == CHANGE_OPENED]

    @property
    def rehoured(self) -> list[SiteCase]:
        """Cases of sites whose hours the scenario changes."""
        return [c for c in self.cases if c.change == CHANGE_HOURS]

    @property
    def is_empty(self) -> bool:
        """The scenario changes nothing against the base."""
        return not self.cases

    def london(self, band: str) -> dict[str, Any]:
        """The whole-area summary row of ``band``."""
        return self.summary[band][-1]

    def title(self) -> str:
        """A one-line title."""
        return f"Closure evidence: {self.scenario_title}"

    def subtitle(self) -> str:
        """Scenario, base, mode and bands in one line."""
        bands = ", ".join(b.label for b in self.bands)
        return (f"{self.scenario_id} against {self.against}; {self.mode} ({self.engine}); "
                f"site bands: {bands}")

    def to_dict(self) -> dict[str, Any]:
        """The ``evidence.json`` document."""
        return {
            "pack": "estate-evidence",
            "version": 1,
            "generated": self.generated,
            "scenario": {"id": self.scenario_id, "title": self.scenario_title, "notes": list(self.scenario_notes)},
            "against": {"id": self.against, "title": self.against_title},
            "mode": self.mode, "engine": self.engine, "engine_note": self.engine_note,
            "bands": [{"name": b.name, "label": b.label} for b in self.bands],
            "summary_bands": [{"name": b.name, "label": b.label} for b in self.summary_bands],
            "thresholds_min": list(self.thresholds),
            "groups": dict(GROUPS),
            "counts": {"closed": len(self.closed), "opened": len(self.opened), "hours_changed": len(self.rehoured)},
            "notes": list(self.notes),
            "summary": {b: {"label": parse_band(b).label, "total": _json_row(rows[-1]),
                            **({"london": _json_row(rows[-1])} if rows[-1].get("code") == "london" else {}),
                            "areas": [_json_row(r) for r in rows[:-1]]}
                        for b, rows in self.summary.items()},
            "rules": self.rules.to_dict(),
            "sites": [c.to_dict(self.thresholds) for c in self.cases],
            "sources": list(self.sources),
        }


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, (float, np.floating)):
            out[k] = _num(float(v), 4)
        elif isinstance(v, (np.integer,)):
            out[k] = int(v)
        else:
            out[k] = v
    return out


