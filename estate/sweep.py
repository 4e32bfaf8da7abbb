"""Verdicts with their uncertainty: a case's harm and rank across draws of the engine's settings.

Every figure rests on assumed speeds, allowances and walking limits.  A sweep
draws those settings from ranges (uniform, independent, from one seeded
generator, so the same seed gives the same draws), rebuilds the one matrix
each draw needs (one mode, one band) on a Dask cluster, evaluates the
scenario and its base there, and brings back only the small per-case and
per-area figures.  It then reports, for each case, its rank and harm across
the draws (median and 5-95% range) and, for the whole study area and each
area, the headline figures with their ranges.

**Harm** of a case here is the ranking's first figure (:mod:`estate.verdicts`):
residents newly beyond 45 minutes in the band for a loss, minus the residents
newly within 45 minutes for a gain; **minutes** is the extra resident-minutes
(negative: minutes saved).  **Rank** is the verdicts' rank with this one band
as the worst band.  Quantiles: ranks use the ``inverted_cdf`` rule (always a
rank some draw had); counts and minutes numpy's linear rule.

A draw's matrix is built uncached (``Planner.with_settings``): nothing is
written to disk, however many draws.  Each task holds one matrix (about
50 MB for London) and the scenario's arrays.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from estate import settings as config
from estate import text
from estate.coverage import THRESHOLDS
from estate.errors import ScenarioError, SettingsError, SweepError
from geodata.travel.base import Mode, TimeBand, parse_band, parse_mode

if TYPE_CHECKING:
    from estate.planner import Planner

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_SEED",
    "MAX_DRAWS",
    "DrawResult",
    "Range",
    "SweepResult",
    "SweepSummary",
    "check_draws",
    "default_ranges",
    "draw_values",
    "evaluate_draw",
    "load_summary",
    "parse_range",
    "run_sweep",
]

#: the threshold cases are ranked by (:data:`estate.verdicts.HARM_THRESHOLD`; a test checks they agree:
#: estate.verdicts imports pandas, and ``estate --help`` should not)
HARM_THRESHOLD = 45
#: the most draws one sweep may ask for (each rebuilds a matrix)
MAX_DRAWS = 1000
DEFAULT_DRAWS = 20
DEFAULT_SEED = 1
#: the headline figures per area, each for the base, the scenario and the change
FIGURES = ("beyond", "mean_min", "unreachable")

#: the settings sections each mode's engine reads
_SECTIONS: dict[Mode, tuple[str, ...]] = {
    Mode.WALK: ("crowfly", "streets"), Mode.DRIVE: ("crowfly", "streets"), Mode.TRANSIT: ("transit",),
}

#: the default ranges: mode -> (key, low, high, night bands only (None: both), why); the README repeats them
_DEFAULTS: dict[Mode, tuple[tuple[str, float, float, bool | None, str], ...]] = {
    Mode.WALK: (
        ("walk_kmh", 4.0, 5.4, None,
         "4.8 km/h is the planning figure (TfL PTAL); measured mean walking speeds run from about 4.5 km/h "
         "(pedestrians 65+) to 5.4 km/h (younger adults) (Knoblauch, Pietrucha & Nitzburg 1996, TRR 1538); "
         "4.0 allows for slower walkers"),
    ),
    Mode.DRIVE: (
        ("drive_kmh", 18.0, 30.0, False,
         "24 km/h is about DfT's average for London's local A roads on weekdays (CGN0501); central London "
         "runs slower and outer London faster: an assumed +-25%"),
        ("drive_night_kmh", 24.0, 40.0, True, "32 km/h on emptier roads at night: an assumed +-25%"),
    ),
    Mode.TRANSIT: (
        ("bus_day_kmh", 9.0, 13.0, False,
         "TfL's bus speed statistics put London's average at about 11 km/h with stops, slowest in the centre"),
        ("bus_night_kmh", 13.0, 19.0, True, "night buses run on empty roads, about 1.5x the day figure: +-3 km/h"),
        ("walk_kmh", 4.0, 5.4, None, "as for walking (Knoblauch et al. 1996)"),
        ("max_access_m", 640.0, 960.0, None,
         "TfL's PTAL counts bus stops within 640 m and rail stations within 960 m walked"),
        ("board_penalty_min", 0.5, 2.0, None, "an allowance for reaching the stop and boarding, not measured"),
        ("bus_low_frequency_headway_min", 15.0, 30.0, None,
         "TfL's low-frequency routes (under 5 buses an hour) typically run every 15-30 min"),
    ),
}


@dataclass(frozen=True)
class Range:
    """One setting drawn from ``low``..``high`` (uniform; whole numbers for a whole-number setting)."""

    key: str
    #: the (section, setting) pairs it sets: a bare name sets it in every section the mode's engine reads
    targets: tuple[tuple[str, str], ...]
    low: float
    high: float
    integer: bool = False
    source: str = ""

    def describe(self) -> str:
        """``walk_kmh 4.2-5.2``."""
        return f"{self.key} {text.plain(self.low)}-{text.plain(self.high)}"

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "sets": [f"{s}.{k}" for s, k in self.targets],
                **({"source": self.source} if self.source else {})}


def _fields() -> dict[str, dict[str, Any]]:
    """section -> setting -> its default."""
    defaults = config._defaults()
    return {sec: {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)} for sec, obj in defaults.items()}


def _numeric(default: Any) -> bool:
    return isinstance(default, (int, float)) and not isinstance(default, bool)


def parse_range(spec: str, mode: str | Mode) -> Range:
    """``KEY=LOW:HIGH`` -> a :class:`Range` for ``mode``'s engine.

    ``KEY`` is a setting's name (``walk_kmh``: every section of ``mode``'s engine that has it) or
    ``section.name`` (``transit.walk_kmh``).  Both ends are checked as an engine-settings file's
    values are (:func:`estate.settings.check_settings`).

    Raises
    ------
    SettingsError
        For an unknown key (with the nearest names), a key ``mode``'s engine does not read, a
        setting that is not a number, or an end outside the setting's allowed values.
    SweepError
        For a spec that is not ``KEY=LOW:HIGH`` with two numbers, or ``LOW > HIGH``.
    """
    m = parse_mode(mode)
    shown = str(spec)[:120].encode("unicode_escape").decode("ascii")
    key, sep, rest = str(spec).partition("=")
    key = key.strip()
    lo_s, sep2, hi_s = rest.partition(":")
    if not sep or not sep2 or not key:
        raise SweepError(f"--vary {shown!r}: give KEY=LOW:HIGH, e.g. --vary walk_kmh=4.2:5.2")
    try:
        low, high = float(lo_s), float(hi_s)
    except ValueError:
        raise SweepError(f"--vary {shown!r}: LOW and HIGH must be numbers, e.g. --vary walk_kmh=4.2:5.2") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise SweepError(f"--vary {shown!r}: LOW and HIGH must be finite numbers")
    if low > high:
        raise SweepError(f"--vary {shown!r}: LOW ({low:g}) is above HIGH ({high:g}); give the range as LOW:HIGH")
    fields = _fields()
    mine = _SECTIONS[m]
    section, dot, name = key.rpartition(".")
    if dot:
        if section not in fields or name not in fields[section]:
            raise SettingsError(f"--vary {key}: no such setting{_suggest(key, fields)}")
        if section not in mine:
            raise SettingsError(f"--vary {key}: --mode {m} does not read the {section} settings "
                                f"(it reads {', '.join(mine)}); sweep a setting of those")
        targets: tuple[tuple[str, str], ...] = ((section, name),)
    else:
        name = key
        targets = tuple((s, name) for s in mine if name in fields[s])
        if not targets:
            elsewhere = [s for s in fields if name in fields[s]]
            if elsewhere:
                raise SettingsError(f"--vary {key}: a {' and '.join(elsewhere)} setting, which --mode {m} does "
                                    f"not read (it reads {', '.join(mine)}); sweep it with --mode "
                                    f"{'transit' if 'transit' in elsewhere else 'walk or drive'}")
            raise SettingsError(f"--vary {key}: no such setting{_suggest(key, fields)}")
    defaults = [fields[s][n] for s, n in targets]
    if not all(_numeric(d) for d in defaults):
        raise SettingsError(f"--vary {key}: not a number (its default is {defaults[0]!r}), so it cannot be drawn "
                            "from a range; set it in a --settings file instead")
    integer = all(isinstance(d, int) for d in defaults)
    if integer and not (low.is_integer() and high.is_integer()):
        raise SweepError(f"--vary {shown!r}: {name} is a whole number; give whole-number ends")
    for s, n in targets:
        for v in (low, high):
            try:
                config.check_settings({s: {n: int(v) if integer else v}}, where="--vary")
            except SettingsError as exc:
                raise SettingsError(f"--vary {shown!r}: {str(exc).removeprefix('--vary: ')}") from None
    return Range(key, targets, low, high, integer)


def _suggest(key: str, fields: dict[str, dict[str, Any]]) -> str:
    names = sorted({n for f in fields.values() for n, d in f.items() if _numeric(d)}
                   | {f"{s}.{n}" for s, f in fields.items() for n, d in f.items() if _numeric(d)})
    close = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else "; see `estate sweep --help` and docs/transit.md"


def default_ranges(mode: str | Mode, band: str | TimeBand) -> tuple[Range, ...]:
    """The documented default ranges for ``mode`` in ``band`` (night-only settings at night only)."""
    m, b = parse_mode(mode), parse_band(band)
    out = []
    for key, lo, hi, night, why in _DEFAULTS[m]:
        if night is None or night == b.is_night:
            out.append(dataclasses.replace(parse_range(f"{key}={lo}:{hi}", m), source=why))
    return tuple(out)


def check_draws(draws: int, seed: int) -> None:
    """Raise :class:`SweepError` unless ``1 <= draws <= MAX_DRAWS`` and ``seed`` is a whole number >= 0."""
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= MAX_DRAWS:
        raise SweepError(f"--draws {draws!r}: give 1 to {MAX_DRAWS:,} draws (each rebuilds one matrix; "
                         f"{DEFAULT_DRAWS} give a usable 5-95% range)")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise SweepError(f"--seed {seed!r}: give a whole number from 0 (the same seed gives the same draws)")


def draw_values(ranges: Sequence[Range], draws: int, seed: int) -> np.ndarray:
    """``draws`` x ``len(ranges)`` values, uniform in each range, from one generator seeded with ``seed``."""
    check_draws(draws, seed)
    rng = np.random.default_rng(seed)
    out = np.empty((draws, len(ranges)))
    for j, r in enumerate(ranges):
        if r.integer:
            out[:, j] = rng.integers(int(r.low), int(r.high), endpoint=True, size=draws)
        else:
            out[:, j] = rng.uniform(r.low, r.high, size=draws)
    return out


def draw_settings(base: dict[str, dict[str, Any]], ranges: Sequence[Range], values: Sequence[float],
                  ) -> dict[str, dict[str, Any]]:
    """``base`` overrides with each range's target set to its drawn value."""
    out = {s: dict(v) for s, v in base.items()}
    for r, v in zip(ranges, values, strict=True):
        for s, n in r.targets:
            out.setdefault(s, {})[n] = int(v) if r.integer else float(v)
    return out


# ---- one draw ---------------------------------------------------------------------------

@dataclass
class DrawResult:
    """What one draw brings back: per case (in :attr:`site_ids` order) and per area (the whole area last)."""

    site_ids: list[str]
    rank: list[float]
    harm: list[float]
    minutes: list[float]
    n_ranked: int
    #: figure name ("beyond_base", "mean_min_change", ...) -> per area, the whole study area last
    figures: dict[str, list[float]]
    engine: str = ""
    engine_note: str = ""
    #: per case: (name, change, area name); filled at the default settings only
    labels: list[tuple[str, str, str]] = field(default_factory=list)


def evaluate_draw(planner: Planner, scenario: str, against: str, mode: str | Mode, band: str | TimeBand,
                  threshold: int = HARM_THRESHOLD) -> DrawResult:
    """Rank, harm and minutes per case, and the headline figures per area, on ``planner``'s settings."""
    from estate.cases import EFFECT_GAIN, EFFECT_LOSS
    from estate.evidence import band_cases

    m, b = parse_mode(mode), parse_band(band)
    cases, base, scen = band_cases(planner, scenario, against=against, mode=m, band=b)
    cases = sorted(cases, key=lambda c: c.site_id)
    rank, harm, mins = [], [], []
    for c in cases:
        bc = c.bands.get(b.name)
        rank.append(float(c.rank) if c.rank is not None else math.nan)
        if bc is None or not c.located:
            harm.append(math.nan)
            mins.append(math.nan)
        elif bc.effect == EFFECT_LOSS and bc.has_catchment:
            harm.append(bc.newly_beyond.get(HARM_THRESHOLD, 0.0))
            mins.append(bc.total_minutes)
        elif bc.effect == EFFECT_GAIN and bc.has_catchment:
            harm.append(-bc.newly_within.get(HARM_THRESHOLD, 0.0))
            mins.append(-bc.total_minutes)
        else:
            harm.append(0.0)
            mins.append(0.0)
    figures: dict[str, list[float]] = {}
    for name, key in (("beyond", f"beyond_{threshold}"), ("mean_min", "mean"), ("unreachable", "unreachable")):
        vb = np.asarray(base.metrics["all"][key], dtype=np.float64)
        vs = np.asarray(scen.metrics["all"][key], dtype=np.float64)
        figures[f"{name}_base"], figures[f"{name}_scenario"] = vb.tolist(), vs.tolist()
        figures[f"{name}_change"] = (vs - vb).tolist()
    facts = planner.engine_facts(m)
    return DrawResult([c.site_id for c in cases], rank, harm, mins, sum(c.rank is not None for c in cases),
                      figures, facts.name, facts.describe,
                      [(c.name, c.change, c.area_name) for c in cases])


def _draw_task(template: Planner, settings: dict[str, dict[str, Any]], scenario: str, against: str,
               mode: str, band: str, threshold: int) -> DrawResult:
    """One Dask task: the draw's settings on a copy of the planner, one matrix built uncached, one evaluation."""
    res = evaluate_draw(template.with_settings(settings), scenario, against, mode, band, threshold)
    res.labels = []
    return res


# ---- the sweep --------------------------------------------------------------------------

def _q(values: np.ndarray, *, ranks: bool = False) -> tuple[float, float, float]:
    """(5th, 50th, 95th) percentiles over the draws, ignoring NaN; NaN when every draw is NaN."""
    v = values[np.isfinite(values)]
    if not len(v):
        return (math.nan, math.nan, math.nan)
    q = np.percentile(v, [5, 50, 95], method="inverted_cdf" if ranks else "linear")
    return (float(q[0]), float(q[1]), float(q[2]))


def _num(x: float, digits: int = 2) -> float | int | None:
    if x is None or not math.isfinite(x):
        return None
    return round(x, digits) if digits else round(x)


@dataclass
class SweepResult:
    """A sweep's draws and what each brought back (per draw, in draw order), with the default settings' result."""

    scenario: str
    against: str
    mode: Mode
    band: TimeBand
    threshold: int
    seed: int
    ranges: tuple[Range, ...]
    #: draws x ranges
    values: np.ndarray
    draws: list[DrawResult]
    default: DrawResult
    area_codes: list[str]
    area_names: list[str]
    whole: tuple[str, str] = ("london", "London")

    def _stack(self, attr: str) -> np.ndarray:
        return np.array([getattr(d, attr) for d in self.draws], dtype=np.float64).reshape(len(self.draws), -1)

    def to_dict(self) -> dict[str, Any]:
        """The ``estate sweep --format json`` document (and what ``estate evidence --sweep FILE`` reads)."""
        d0 = self.default
        ranks, harms, mins = self._stack("rank"), self._stack("harm"), self._stack("minutes")
        cases = []
        for j, sid in enumerate(d0.site_ids):
            name, change, area = d0.labels[j] if d0.labels else (sid, "", "")
            r = ranks[:, j]
            rp5, rmed, rp95 = _q(r, ranks=True)
            row: dict[str, Any] = {"site_id": sid, "name": name, "change": change, "area": area,
                                   "rank_median": _num(rmed, 0), "rank_p5": _num(rp5, 0), "rank_p95": _num(rp95, 0)}
            hp5, hmed, hp95 = _q(harms[:, j])
            row.update(harm_median=_num(hmed, 0), harm_p5=_num(hp5, 0), harm_p95=_num(hp95, 0))
            mp5, mmed, mp95 = _q(mins[:, j])
            row.update(minutes_median=_num(mmed, 0), minutes_p5=_num(mp5, 0), minutes_p95=_num(mp95, 0))
            fin = r[np.isfinite(r)].astype(int)
            if len(fin):
                vals, counts = np.unique(fin, return_counts=True)
                k = int(np.argmax(counts))
                row.update(rank_mode=int(vals[k]), rank_mode_share=round(float(counts[k] / len(r)), 4))
            else:
                row.update(rank_mode=None, rank_mode_share=None)
            row.update(rank_default=_num(d0.rank[j], 0), harm_default=_num(d0.harm[j], 0),
                       minutes_default=_num(d0.minutes[j], 0))
            cases.append(row)
        cases.sort(key=lambda c: (c["rank_median"] is None, c["rank_median"] or 0, c["rank_default"] or 0,
                                  c["site_id"]))
        n = len(self.area_codes)
        blocks = [self._area_block(i) for i in range(n + 1)]
        whole = blocks[-1]
        return {
            "pack": "estate-sweep", "version": 1,
            "scenario": self.scenario, "against": self.against, "mode": str(self.mode),
            "band": self.band.name, "band_label": self.band.label, "engine": d0.engine, "engine_note": d0.engine_note,
            "threshold_min": self.threshold, "harm_threshold_min": HARM_THRESHOLD,
            "draws": len(self.draws), "seed": self.seed,
            "varied": {r.key: r.to_dict() for r in self.ranges},
            "draw_values": [{r.key: round(float(v), 4) for r, v in zip(self.ranges, row, strict=True)}
                            for row in self.values],
            "n_ranked": d0.n_ranked,
            "quantiles": ("p5, median, p95 over the draws: ranks by the inverted_cdf rule (a rank some draw had), "
                          "counts and minutes by linear interpolation; *_default: at the default settings"),
            "cases": cases,
            "areas": blocks[:-1],
            "total": whole,
            **({"london": whole} if self.whole[0] == "london" else {}),
        }

    def _area_block(self, i: int) -> dict[str, Any]:
        n = len(self.area_codes)
        code, name = (self.area_codes[i], self.area_names[i]) if i < n else self.whole
        out: dict[str, Any] = {"code": code, "name": name}
        for key in self.default.figures:
            v = np.array([d.figures[key][i] for d in self.draws], dtype=np.float64)
            p5, med, p95 = _q(v)
            digits = 2 if key.startswith("mean") else 0
            out[key] = {"median": _num(med, digits), "p5": _num(p5, digits), "p95": _num(p95, digits),
                        "default": _num(self.default.figures[key][i], digits)}
        return out

    def summary(self) -> SweepSummary:
        """The figures the evidence pack states (the same as the JSON document's)."""
        return SweepSummary(self.to_dict())

    def table(self) -> str:
        """The ``--format table`` text: the cases by median rank, then the whole area and each area."""
        return self.summary().table()


ProgressFn = Callable[[int, int], None]


def _uses_barrier(planner: Planner, mode: Mode) -> bool:
    """Does ``mode``'s engine cross the Thames by its crossings (London, barrier on)?"""
    if not planner.area.is_london:
        return False
    section = "transit" if mode is Mode.TRANSIT else "crowfly"
    return bool(planner.overrides.get(section, {}).get("thames_barrier", True))


def run_sweep(planner: Planner, scenario: str, *, against: str, mode: str | Mode, band: str | TimeBand,
              ranges: Sequence[Range] | None = None, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED,
              threshold: int = HARM_THRESHOLD, workers: int | None = None, scheduler: str | None = None,
              progress: ProgressFn | None = None) -> SweepResult:
    """Draw ``draws`` settings from ``ranges`` (default :func:`default_ranges`), evaluate each on a Dask cluster.

    The draws are made here, from ``seed``, before anything runs, and results are
    put back in draw order, so one worker and many give the same result.  The
    default settings' result is computed here (from the matrix cache).

    Raises
    ------
    SweepError
        For bad ``draws`` or ``seed``, or a scenario the same as its base.
    ClusterError
        For bad ``workers`` / ``scheduler``, or a scheduler that does not answer.
    """
    from geodata.cluster import check_scheduler_address, check_workers, open_client

    m, b = parse_mode(mode), parse_band(band)
    check_draws(draws, seed)
    _ = check_scheduler_address(scheduler) if scheduler is not None else check_workers(workers)
    if scenario == against:
        raise ScenarioError(f"the scenario and the base are both {scenario!r}: a sweep compares a scenario with "
                            "a different base; pass --against the scenario it changes")
    rs = tuple(ranges) if ranges else default_ranges(m, b)
    values = draw_values(rs, draws, seed)
    default = evaluate_draw(planner, scenario, against, m, b, threshold)  # also loads what the copies share
    if _uses_barrier(planner, m):  # built once here, not once a draw
        planner._river()
    t = planner.tables
    settings = [draw_settings(planner.overrides, rs, row) for row in values]
    results: list[DrawResult | None] = [None] * draws
    with open_client(workers, scheduler) as client:
        from distributed import as_completed

        [shared] = client.scatter([planner], broadcast=True, hash=False)
        futures = [client.submit(_draw_task, shared, s, scenario, against, str(m), b.name, threshold,
                                 key=f"estate-sweep-{seed}-{i}-{id(values)}", pure=False)
                   for i, s in enumerate(settings)]
        index = {f.key: i for i, f in enumerate(futures)}
        for done, fut in enumerate(as_completed(futures, loop=client.loop), start=1):
            results[index[fut.key]] = fut.result()
            if progress:
                progress(done, draws)
    out = [r for r in results if r is not None]
    return SweepResult(scenario, against, m, b, threshold, seed, rs, values, out, default,
                       [str(c) for c in t.area_codes], [str(n) for n in t.area_names], planner.whole)


def add_arguments(p: Any) -> None:
    """The ``estate sweep`` arguments besides ``--mode``, ``--band``, ``--format`` and ``--out`` (an argparse parser)."""
    p.add_argument("scenario")
    p.add_argument("--against", required=True, help="the base scenario")
    p.add_argument("--draws", type=int, default=DEFAULT_DRAWS,
                   help=f"how many draws (1 to {MAX_DRAWS:,}; default {DEFAULT_DRAWS})")
    p.add_argument("--vary", action="append", metavar="KEY=LOW:HIGH", help="a setting and its range, e.g. "
                   "bus_day_kmh=9:13 (repeatable; default: the README's ranges for the mode and band)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"the draws' seed (default {DEFAULT_SEED}; the same seed gives the same draws)")
    p.add_argument("--threshold", type=int, default=HARM_THRESHOLD, choices=THRESHOLDS,
                   help="minutes of the area figures (default 45)")
    p.add_argument("--workers", type=int, help="local Dask worker processes (default: the cores)")
    p.add_argument("--scheduler", help="an existing Dask scheduler, e.g. tcp://host:8786 (not with --workers)")


# ---- what the evidence pack and the table say -------------------------------------------

class SweepSummary:
    """A sweep's JSON document, checked, with the sentences it adds to a pack (from a run or a file)."""

    def __init__(self, doc: Any, *, where: str = "the sweep") -> None:
        if not isinstance(doc, dict) or doc.get("pack") != "estate-sweep":
            raise SweepError(f"{where} is not an `estate sweep --format json` document (no \"pack\": \"estate-sweep\")")
        for k in ("scenario", "against", "mode", "band", "band_label", "draws", "seed", "varied", "cases",
                  "n_ranked", "total"):
            if k not in doc:
                raise SweepError(f"{where}: the key {k!r} is missing; write it again with estate sweep --format json")
        if not isinstance(doc["cases"], list) or not all(isinstance(c, dict) and "site_id" in c
                                                         for c in doc["cases"]):
            raise SweepError(f"{where}: \"cases\" must be a list of objects with a site_id")
        self.doc, self.where = doc, where
        self.by_site = {str(c["site_id"]): c for c in doc["cases"]}

    @property
    def scenario(self) -> str:
        return str(self.doc["scenario"])

    @property
    def against(self) -> str:
        return str(self.doc["against"])

    @property
    def mode(self) -> str:
        return str(self.doc["mode"])

    def check_fits(self, scenario: str, against: str, mode: str) -> None:
        """Raise :class:`SweepError` unless the sweep is of this scenario, base and mode."""
        got, want = (self.scenario, self.against, self.mode), (scenario, against, str(mode))
        if got != want:
            raise SweepError(f"{self.where} is a sweep of {got[0]} against {got[1]} by {got[2]}, not of {want[0]} "
                             f"against {want[1]} by {want[2]}: run estate sweep {want[0]} --against {want[1]} "
                             f"--mode {want[2]} --format json --out FILE")

    def varied_words(self) -> str:
        return ", ".join(f"{k} {text.plain(v.get('low'))}-{text.plain(v.get('high'))}"
                         for k, v in self.doc["varied"].items()) or "no setting"

    def note(self) -> str:
        """The pack's note on the sweep (what was drawn, how many times, the seed)."""
        from estate.verdicts import mode_words

        d = self.doc
        label = str(d["band_label"])
        when = f"by {label}" if label.startswith("day") else f"at {label}"
        return (f"Uncertainty: {d['draws']} draws of the engine's settings ({self.varied_words()}; uniform, "
                f"seed {d['seed']}), each rebuilding the travel times {mode_words(self.mode)} {when}. "
                "Each case's statement gives its rank and residents newly beyond "
                f"{HARM_THRESHOLD} minutes across the draws (median and 5-95% range) in that one band, so its "
                "rank there can differ from its rank in this pack, which judges each case in its worst band.")

    def statement(self, site_id: str) -> str:
        """``Across 20 draws ...: ranked 2nd of 18 in 95% of draws ...`` for one case ("" if not in the sweep)."""
        from estate.cases import CHANGE_CLOSED, CHANGE_OPENED
        from estate.verdicts import mode_words

        c = self.by_site.get(site_id)
        if c is None or c.get("rank_mode") is None:
            return ""
        d = self.doc
        n = int(d["n_ranked"])
        share = float(c.get("rank_mode_share") or 0.0)
        label = str(d["band_label"])
        when = f"by {label}" if label.startswith("day") else f"at {label}"
        s = (f"Across {d['draws']} draws of the settings ({self.varied_words()}) {mode_words(self.mode)} {when}: "
             f"ranked {text.ordinal(int(c['rank_mode']))} of {n} in "
             f"{text.share(share, digits=0)} of draws")
        if c.get("rank_p5") is not None and c["rank_p5"] != c["rank_p95"]:
            s += f" ({text.ordinal(int(c['rank_p5']))} to {text.ordinal(int(c['rank_p95']))} in 90% of them)"
        harm = c.get("harm_median")
        if harm is not None and harm > 0:
            s += f"; {text.count(harm)} residents newly beyond {HARM_THRESHOLD} minutes"
            s += (" in every draw" if c.get("harm_p5") == c.get("harm_p95") else
                  f" ({text.count(c.get('harm_p5'))} to {text.count(c.get('harm_p95'))} in 90% of draws)")
        elif c.get("change") == CHANGE_CLOSED and harm == 0 and c.get("harm_p95") == 0:
            s += f"; nobody newly beyond {HARM_THRESHOLD} minutes in any draw"
        elif c.get("change") == CHANGE_OPENED and harm is not None and harm < 0:
            s += f"; {text.count(-harm)} residents newly within {HARM_THRESHOLD} minutes (median)"
        return s + "."

    def table(self) -> str:
        """Plain text: the cases by median rank, then the whole study area and each area."""
        d = self.doc
        t = int(d.get("threshold_min", HARM_THRESHOLD))
        lines = [f"{d['scenario']} against {d['against']}: {d['mode']}, {d['band_label']}; {d['draws']} draws, "
                 f"seed {d['seed']}; varied: {self.varied_words()}",
                 f"engine {d.get('engine', '')} (at the default settings): {d.get('engine_note', '')}",
                 "", f"{'rank (5-95%)':>14}  {'newly beyond ' + str(HARM_THRESHOLD) + ' (5-95%)':>32}  "
                 f"{'extra resident-min (5-95%)':>36}  case"]
        for c in d["cases"]:
            rank = (f"{c['rank_median']} ({c['rank_p5']}-{c['rank_p95']})" if c.get("rank_median") is not None
                    else text.MISSING)
            harm = f"{text.count(c.get('harm_median'))} ({text.count(c.get('harm_p5'))}-{text.count(c.get('harm_p95'))})"
            mins = (f"{text.count(c.get('minutes_median'))} ({text.count(c.get('minutes_p5'))}-"
                    f"{text.count(c.get('minutes_p95'))})")
            lines.append(f"{rank:>14}  {harm:>32}  {mins:>36}  {c.get('name') or c['site_id']} ({c.get('change', '')})")
        lines += ["", f"{'area':28s} {'beyond ' + str(t) + ' change (5-95%)':>30}  {'mean min change (5-95%)':>28}"]
        for a in [d["total"], *d.get("areas", [])]:
            b, mm = a.get("beyond_change", {}), a.get("mean_min_change", {})
            lines.append(f"{str(a.get('name', ''))[:28]:28s} "
                         f"{text.count(b.get('median'), signed=True) + ' (' + text.count(b.get('p5'), signed=True) + ' to ' + text.count(b.get('p95'), signed=True) + ')':>30}  "
                         f"{text.minutes(mm.get('median'), signed=True) + ' (' + text.minutes(mm.get('p5'), signed=True) + ' to ' + text.minutes(mm.get('p95'), signed=True) + ')':>28}")
        return "\n".join(lines)


def load_summary(path: str) -> SweepSummary:
    """A sweep's JSON file (``estate sweep --format json --out FILE``), checked.

    Raises
    ------
    SweepError
        For a file that cannot be read, is not JSON, or is not a sweep document.
    """
    from pathlib import Path

    try:
        raw = Path(path).read_bytes()
        if len(raw) > 50_000_000:
            raise SweepError(f"{path}: over 50 MB, not a sweep document")
        doc = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SweepError(f"{path}: cannot read the sweep file ({exc}); give the file written by "
                         "estate sweep --format json --out FILE") from None
    return SweepSummary(doc, where=str(path))
