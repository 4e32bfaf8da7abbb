"""The optimiser's questions as one reduced location-allocation instance.

Every question toggles each *decision site* between two hour states:

==============  ==========================  ===========================
question        state 0 (``x = 0``)          state 1 (``x = 1``)
==============  ==========================  ===========================
``close``       closed                       its hours in the start
``open``        not opened                   the hours for its host type
``keep-24-7``   part-time hours              ``24/7``
==============  ==========================  ===========================

and asks for the ``p`` sites in state 1 that minimise harm.  In each band a
decision site is then either open whatever ``x`` is, shut whatever it is, or
open exactly when ``x = 1``; so every (band, unit) pair becomes a *row* with a
weight, a *base* cost (its nearest site among those open whatever happens) and
the *pairs* (row, site) whose cost beats the base.  Harm is

    const + sum over rows of weight x min(base, min over selected sites of cost)

which is a p-median (``mean``) or a maximal covering problem (``beyond``, costs
0 or 1).  Only pairs that beat the base can matter, so the instance holds
those alone (the exact model's reduction).  Borough rules become linear rows
``A x >= b``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estate.coverage import nearest
from estate.errors import InfeasibleError, OptimiseError
from estate.optimise.names import MEASURES, QUESTIONS
from estate.register import Estate
from estate.rules import RuleSet, effective_kind
from estate.scenario import Scenario, ScenarioState, resolve
from geodata.areas import Units
from geodata.travel.base import TimeBand, parse_band
from geodata.travel.sparse import SparseTimes

__all__ = [
    "DEFAULT_HOST_HOURS",
    "MEASURES",
    "QUESTIONS",
    "Constraint",
    "Context",
    "Harm",
    "Instance",
    "close_instance",
    "keep_24_7_instance",
    "open_instance",
]

log = logging.getLogger(__name__)


#: Hours a new contact point keeps, per host type, unless told otherwise (assumed, not published:
#: a large supermarket's week under Sunday trading law; a library's and a post office's usual day;
#: a fire station is crewed round the clock).
DEFAULT_HOST_HOURS: dict[str, str] = {
    "supermarket": "Mo-Sa 08:00-22:00; Su 10:00-16:00",
    "library": "Mo-Sa 09:00-17:00",
    "post_office": "Mo-Fr 09:00-17:30; Sa 09:00-12:30",
    "fire_station": "24/7",
}
#: Hours for any other host type.
FALLBACK_HOST_HOURS = "Mo-Sa 08:00-22:00; Su 10:00-16:00"


@dataclass(frozen=True)
class Harm:
    """What the optimiser minimises, stated plainly.

    ``beyond``: residents beyond ``threshold`` minutes; ``mean``: the
    population-weighted mean minutes, a resident with no site within
    ``cutoff_min`` counted at the cutoff.  Each band's figure is multiplied by
    its weight and the bands summed.  Residents aged 65+ and residents of the
    most deprived areas (IMD deciles 1-2) can count extra: a resident's weight
    is ``1 + weight_65_plus x [65+] + weight_deprived x [deprived]``.

    Examples
    --------
    >>> Harm("beyond", 45, (("night", 1.0),)).describe()
    'residents beyond 45 minutes (night)'
    """

    measure: str = "beyond"
    threshold: int = 45
    bands: tuple[tuple[str, float], ...] = (("day", 1.0),)
    cutoff_min: float = 180.0
    weight_65_plus: float = 0.0
    weight_deprived: float = 0.0

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise OptimiseError(f"measure {self.measure!r}: use 'beyond' (residents beyond the threshold) or 'mean'")
        if isinstance(self.threshold, bool) or int(self.threshold) != self.threshold or self.threshold <= 0:
            raise OptimiseError(f"threshold {self.threshold!r} must be a whole number of minutes above 0")
        if not self.bands:
            raise OptimiseError("give at least one band (e.g. day, night)")
        names = [b for b, _ in self.bands]
        for name, w in self.bands:
            parse_band(name)
            if not (w > 0 and np.isfinite(w)):
                raise OptimiseError(f"band {name!r}: weight {w!r} must be a number above 0")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise OptimiseError(f"band(s) {dup} given more than once; give each band once, with its weight")
        if not (self.cutoff_min > 0 and np.isfinite(self.cutoff_min)):
            raise OptimiseError(f"cutoff {self.cutoff_min!r} must be a number of minutes above 0")
        for label, w in (("65+", self.weight_65_plus), ("deprived", self.weight_deprived)):
            if not (w >= 0 and np.isfinite(w)):
                raise OptimiseError(f"the extra weight on {label} residents ({w!r}) must be 0 or more")

    def unit_weights(self, weights: Mapping[str, np.ndarray]) -> np.ndarray:
        """Each unit's weight: residents, plus the extra weight on 65+ and deprived residents."""
        w = np.asarray(weights["all"], dtype=np.float64).copy()
        if self.weight_65_plus:
            w += self.weight_65_plus * np.asarray(weights["age_65_plus"], dtype=np.float64)
        if self.weight_deprived:
            w += self.weight_deprived * np.asarray(weights["imd_decile_1_2"], dtype=np.float64)
        return w

    def cost(self, minutes: np.ndarray) -> np.ndarray:
        """A resident's harm at these minutes (1 beyond the threshold, or the capped minutes)."""
        if self.measure == "beyond":
            return (minutes > self.threshold).astype(np.float64)
        return np.minimum(minutes, self.cutoff_min)

    @property
    def unit(self) -> str:
        """What one unit of harm is."""
        return "residents" if self.measure == "beyond" else "minutes"

    def describe(self) -> str:
        """One plain phrase: what is minimised."""
        bands = ", ".join(b if w == 1 else f"{b} x {w:g}" for b, w in self.bands)
        if self.measure == "beyond":
            text = f"residents beyond {self.threshold} minutes ({bands})"
        else:
            text = (f"population-weighted mean minutes ({bands}; "
                    f"no site within {self.cutoff_min:g} minutes counts as {self.cutoff_min:g})")
        extra = []
        if self.weight_65_plus:
            extra.append(f"65+ residents x {1 + self.weight_65_plus:g}")
        if self.weight_deprived:
            extra.append(f"residents of IMD deciles 1-2 x {1 + self.weight_deprived:g}")
        return text + (f", counting {' and '.join(extra)}" if extra else "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"measure": self.measure, "threshold_min": int(self.threshold),
                "bands": {b: w for b, w in self.bands}, "cutoff_min": self.cutoff_min,
                "weight_65_plus": self.weight_65_plus, "weight_deprived": self.weight_deprived,
                "description": self.describe()}


@dataclass
class Context:
    """What the optimiser reads: the estate, the units, a mode's matrices, the scenarios.

    ``matrix(band)`` returns the units x site-columns matrix of seconds for the
    mode in that band.
    """

    estate: Estate
    units: Units
    matrix: Callable[[TimeBand], np.ndarray]
    scenarios: Mapping[str, Scenario] = field(default_factory=dict)
    mode: str = ""
    engine: str = ""

    @classmethod
    def from_planner(cls, planner: Any, mode: str) -> Context:
        """The context of a :class:`~estate.planner.Planner` for one mode."""
        facts = planner.engine_facts(mode)  # the engine's identity, without building its network
        return cls(estate=planner.estate, units=planner.units,
                   matrix=lambda band: planner.matrix(mode, band), scenarios=planner.scenarios,
                   mode=mode, engine=facts.name)

    def state(self, scenario_id: str) -> ScenarioState:
        """The estate as ``scenario_id`` leaves it."""
        return resolve(scenario_id, dict(self.scenarios), self.estate)

    @property
    def areas(self) -> list[tuple[str, str]]:
        """(code, name) of every area."""
        return list(zip(self.units.area_codes.tolist(), self.units.area_names.tolist(), strict=True))

    def site_name(self, site_id: str) -> str:
        """A site's name."""
        return str(self.estate.sites.at[site_id, "name"])


@dataclass(frozen=True)
class Constraint:
    """One borough rule in one area as a row of ``A x >= b``."""

    rule_id: str
    title: str
    area_code: str
    area_name: str
    need: float


@dataclass
class Instance:
    """One question, reduced: decision sites, rows, pairs (by site) and rule rows."""

    question: str
    harm: Harm
    start_id: str
    #: decision sites and their hours in state 0 ('' = closed) and state 1
    site_ids: list[str]
    hours0: list[str]
    hours1: list[str]
    #: how many decision sites end in state 1, and which are in state 1 at the start
    p: int
    start_x: np.ndarray
    #: pairs by site: site j's pairs are ``ptr[j]:ptr[j+1]`` of ``pair_row`` / ``pair_cost``
    ptr: np.ndarray
    pair_row: np.ndarray
    pair_cost: np.ndarray
    row_weight: np.ndarray
    row_base: np.ndarray
    #: harm of the rows no decision can change
    const: float
    A: np.ndarray
    b: np.ndarray
    constraints: list[Constraint]
    #: sites the question fixes: site -> hours in the answer ('' = closed), with the reason
    fixed: dict[str, str]
    locked: dict[str, tuple[str, str]]
    notes: list[str]
    #: the sites' hours that hold whatever is chosen (start, locks)
    base_hours: dict[str, str]
    candidates_total: int = 0
    #: sites with no location held open (close question without ``allow_unlocated``)
    unlocated_held: list[str] = field(default_factory=list)

    @property
    def n_sites(self) -> int:
        """Number of decision sites."""
        return len(self.site_ids)

    @property
    def n_pairs(self) -> int:
        """Number of (row, site) pairs that can matter."""
        return len(self.pair_row)

    def objective(self, x: np.ndarray) -> float:
        """Harm of selection ``x`` (boolean per decision site), from scratch."""
        x = np.asarray(x, dtype=bool)
        best = self.row_base.copy()
        site = np.repeat(np.arange(self.n_sites), np.diff(self.ptr))
        m = x[site]
        np.minimum.at(best, self.pair_row[m], self.pair_cost[m])
        return float(self.const + self.row_weight @ best)

    def feasible(self, x: np.ndarray) -> bool:
        """Does ``x`` select ``p`` sites and meet every rule row?"""
        x = np.asarray(x, dtype=bool)
        return int(x.sum()) == self.p and bool(np.all(self.A @ x >= self.b - 1e-9))

    def hours_of(self, x: np.ndarray) -> dict[str, str]:
        """Every open site's hours in the answer ``x`` (the scenario state it describes)."""
        out = dict(self.base_hours)
        for sid, on, h0, h1 in zip(self.site_ids, np.asarray(x, bool), self.hours0, self.hours1, strict=True):
            h = h1 if on else h0
            if h:
                out[sid] = h
            else:
                out.pop(sid, None)
        return out


# ---- harm of a whole estate state ------------------------------------------------------------
def band_minutes(ctx: Context, hours: Mapping[str, str], band: TimeBand) -> np.ndarray:
    """Minutes from each unit to its nearest site open in ``band`` among ``hours``."""
    st = ScenarioState("optimise", dict(hours))
    secs, _ = nearest(ctx.matrix(band), st.open_columns(ctx.estate, band))
    return secs.astype(np.float64) / 60.0


def harm_of_hours(ctx: Context, harm: Harm, hours: Mapping[str, str]) -> tuple[float, dict[str, float]]:
    """Harm of an estate state (sites -> hours), and each band's own figure (unweighted by band)."""
    w = harm.unit_weights(ctx.units.weights())
    total, per = 0.0, {}
    for name, bw in harm.bands:
        cost = harm.cost(band_minutes(ctx, hours, parse_band(name)))
        v = float(w @ cost)
        if harm.measure == "mean":
            v /= float(w.sum())
        per[name] = v
        total += bw * v
    return total, per


# ---- building instances ----------------------------------------------------------------------
def _check_locks(ctx: Context, lock_open: Sequence[str], lock_closed: Sequence[str]) -> None:
    seen: Counter[str] = Counter()
    for sid in (*lock_open, *lock_closed):
        ctx.estate.check_id(sid, "lock: ")
        seen[sid] += 1
    dup = sorted(s for s, n in seen.items() if n > 1)
    if dup:
        both = [s for s in dup if s in lock_open and s in lock_closed]
        why = "both locked open and locked closed" if both else "locked more than once"
        raise OptimiseError(f"site id(s) {dup} {why}; name each site once, in --lock-open or --lock-closed")


#: the sparse layout's stored pairs read at once while building an instance (bounds the working memory)
PAIRS_PER_BLOCK = 4_000_000


def _better_pairs(times: np.ndarray | SparseTimes, cols: np.ndarray, harm: Harm,
                  base: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (toggled site, unit) pairs whose cost beats the unit's base, and their costs.

    Dense: a units x toggled block.  Sparse: only the stored pairs of the toggled columns (a
    pair not stored is beyond the layout's cutoff, so its cost is the most a resident can
    count, never below a base), so memory follows the pairs within reach, not units x
    candidates (England and Wales: about 3 GB a block of every candidate host).  Both give the
    same pairs, ordered by site, then unit.
    """
    if isinstance(times, SparseTimes):
        # in blocks of columns of about PAIRS_PER_BLOCK stored pairs, so the working arrays stay bounded
        # (driving across England and Wales: 47 million pairs, most of which beat no base)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        parts.append((np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)))  # none toggled
        for part in times.column_groups(cols, PAIRS_PER_BLOCK):
            pos, which = times.entries(cols[part])
            units = times.indices[pos].astype(np.int64)
            cost = harm.cost(times.data[pos].astype(np.float64) / 60.0)
            keep = cost < base[units]
            parts.append((which[keep] + part.start, units[keep], cost[keep]))
        jj, uu, cc = (np.concatenate([p[i] for p in parts]) for i in range(3))
        order = np.lexsort((uu, jj))
        return jj[order], uu[order], cc[order]
    block = harm.cost(times[:, cols].astype(np.float64) / 60.0)  # units x toggled
    jj, uu = np.nonzero((block < base[:, None]).T)  # by site, then unit
    return jj, uu, block[uu, jj]


def _rows_and_pairs(ctx: Context, harm: Harm, fixed_hours: Mapping[str, str], site_ids: Sequence[str],
                    hours0: Sequence[str], hours1: Sequence[str]) -> dict[str, Any]:
    """Rows (band x unit), their base cost, and the (row, site) pairs that beat it."""
    est = ctx.estate
    w_unit = harm.unit_weights(ctx.units.weights())
    n_units = len(w_unit)
    total_w = float(w_unit.sum())
    rows_w, rows_base, p_site, p_row, p_cost = [], [], [], [], []
    const = 0.0
    n_rows = 0
    for name, bw in harm.bands:
        band = parse_band(name)
        times = ctx.matrix(band)
        always = dict(fixed_hours)
        toggled: list[int] = []
        for j, (sid, h0, h1) in enumerate(zip(site_ids, hours0, hours1, strict=True)):
            o0 = bool(h0) and est.hours(h0).is_open(band.weekday, band.minute)
            o1 = bool(h1) and est.hours(h1).is_open(band.weekday, band.minute)
            if o0 and o1:
                always[sid] = h1
            elif o1 and est.has_column(sid):
                toggled.append(j)
            elif o0:
                raise OptimiseError(f"site {sid!r} would be open at {band.label} only when not chosen; "
                                    "the optimiser needs the chosen hours to cover the other's")
        base = harm.cost(band_minutes(ctx, always, band))
        scale = bw / total_w if harm.measure == "mean" else bw
        w_rows = w_unit * scale
        if toggled:
            cols = np.array([est.column(site_ids[j]) for j in toggled], dtype=np.int64)
            jj, uu, cost_jj = _better_pairs(times, cols, harm, base)
            keep_rows = np.unique(uu)
        else:
            jj = uu = keep_rows = np.empty(0, np.int64)
            cost_jj = np.empty(0)
        # rows no choice can improve are a constant
        mask = np.ones(n_units, bool)
        mask[keep_rows] = False
        const += float(w_rows[mask] @ base[mask])
        remap = np.full(n_units, -1, np.int64)
        remap[keep_rows] = np.arange(len(keep_rows)) + n_rows
        rows_w.append(w_rows[keep_rows])
        rows_base.append(base[keep_rows])
        if len(jj):
            p_site.append(np.asarray(toggled, np.int64)[jj])
            p_row.append(remap[uu])
            p_cost.append(cost_jj)
        n_rows += len(keep_rows)
    site = np.concatenate(p_site) if p_site else np.empty(0, np.int64)
    row = np.concatenate(p_row) if p_row else np.empty(0, np.int64)
    cost_all = np.concatenate(p_cost) if p_cost else np.empty(0)
    order = np.lexsort((row, site))
    site, row, cost_all = site[order], row[order], cost_all[order]
    ptr = np.zeros(len(site_ids) + 1, np.int64)
    np.cumsum(np.bincount(site, minlength=len(site_ids)), out=ptr[1:])
    return {"ptr": ptr, "pair_row": row, "pair_cost": cost_all, "row_weight": np.concatenate(rows_w),
            "row_base": np.concatenate(rows_base), "const": const}


def _rule_rows(ctx: Context, rules: RuleSet | None, start: ScenarioState, fixed_hours: Mapping[str, str],
               site_ids: Sequence[str], hours0: Sequence[str], hours1: Sequence[str], *,
               skip: Callable[[Any], bool] = lambda rule: False,
               notes: list[str]) -> tuple[np.ndarray, np.ndarray, list[Constraint]]:
    """Rule rows ``A x >= b``: per rule and non-exempt area, enough qualifying sites stay."""
    est = ctx.estate
    rows: list[np.ndarray] = []
    need: list[float] = []
    labels: list[Constraint] = []
    if rules is None:
        return np.zeros((0, len(site_ids))), np.zeros(0), []
    area_of = est.sites["area_code"].astype(str)
    for rule in rules:
        if skip(rule):
            notes.append(f"rule {rule.id!r} ({rule.title}) does not apply to this question")
            continue

        def q(sid: str, h: str, rule: Any = rule) -> bool:
            return bool(h) and effective_kind(est, sid) in rule.kinds and rule.qualifies(est.hours(h))

        start_count: Counter[str] = Counter(area_of[s] for s, h in start.hours.items() if q(s, h))
        fixed_count: Counter[str] = Counter(area_of[s] for s, h in fixed_hours.items() if q(s, h))
        for code, name in ctx.areas:
            if rule.exempt.get(code):
                continue
            coef = np.zeros(len(site_ids))
            base = fixed_count[code]
            for j, sid in enumerate(site_ids):
                if area_of[sid] != code:
                    continue
                a0, a1 = q(sid, hours0[j]), q(sid, hours1[j])
                base += a0
                coef[j] = float(a1) - float(a0)
            rhs = rule.min_sites - base
            if start_count[code] < rule.min_sites:
                notes.append(f"rule {rule.id!r} already fails in {name} in {start.scenario_id} "
                             f"({start_count[code]} of {rule.min_sites}); not imposed there")
                continue
            if rhs <= 0 and (coef >= 0).all():
                continue
            if coef.clip(min=0).sum() < rhs:
                raise InfeasibleError(
                    f"rule {rule.id!r} ({rule.title}) cannot hold in {name} with these locks: it needs "
                    f"{rule.min_sites} qualifying site(s) and at most {int(base + coef.clip(min=0).sum())} remain; "
                    "unlock a site there, or change the rules", binding=(rule.id,), most=None)
            rows.append(coef)
            need.append(float(rhs))
            labels.append(Constraint(rule.id, rule.title, code, name, float(rhs)))
    A = np.vstack(rows) if rows else np.zeros((0, len(site_ids)))
    return A, np.asarray(need, dtype=np.float64), labels


def _instance(ctx: Context, question: str, harm: Harm, start: ScenarioState, site_ids: list[str],
              hours0: list[str], hours1: list[str], p: int, start_x: np.ndarray, fixed_hours: dict[str, str],
              locked: dict[str, tuple[str, str]], notes: list[str], A: np.ndarray, b: np.ndarray,
              constraints: list[Constraint], candidates_total: int) -> Instance:
    parts = _rows_and_pairs(ctx, harm, fixed_hours, site_ids, hours0, hours1)
    return Instance(question=question, harm=harm, start_id=start.scenario_id, site_ids=site_ids,
                    hours0=hours0, hours1=hours1, p=p, start_x=start_x, A=A, b=b, constraints=constraints,
                    fixed={s: h for s, (h, _) in locked.items()}, locked=locked, notes=notes,
                    base_hours=dict(fixed_hours), candidates_total=candidates_total, **parts)


def _count(k: Any, what: str) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise OptimiseError(f"{what} {k!r} must be a whole number")
    return int(k)


def close_instance(ctx: Context, start_id: str, harm: Harm, *, k: int | None = None, keep: int | None = None,
                   rules: RuleSet | None = None, lock_open: Sequence[str] = (), lock_closed: Sequence[str] = (),
                   allow_unlocated: bool = False) -> Instance:
    """Close ``k`` of the start's open sites (or keep ``keep`` open), least harm first.

    Sites with no location are locked open unless ``allow_unlocated`` (closing
    them would look free: they are in no travel time).
    """
    if (k is None) == (keep is None):
        raise OptimiseError("give either k (how many to close) or keep (how many stay open)")
    start = ctx.state(start_id)
    _check_locks(ctx, lock_open, lock_closed)
    for sid in (*lock_open, *lock_closed):
        if sid not in start.hours:
            raise OptimiseError(f"locked site {sid!r} is not open in {start_id}; lock only sites open there")
    n_open = len(start.hours)
    k_total = _count(k, "k") if k is not None else n_open - _count(keep, "keep")
    if keep is not None and not 0 <= int(keep) <= n_open:
        raise OptimiseError(f"keep {keep}: {start_id} has {n_open} open sites; keep between 0 and {n_open}")
    notes: list[str] = []
    unlocated = [s for s in sorted(start.hours) if not ctx.estate.has_column(s)
                 and s not in lock_open and s not in lock_closed]
    if unlocated and not allow_unlocated:
        notes.append(f"{', '.join(unlocated)} ha{'s' if len(unlocated) == 1 else 've'} no location and "
                     "stay{} open (closing a site with no travel times would look free; "
                     "--allow-unlocated lets them close)".format("s" if len(unlocated) == 1 else ""))
    locked: dict[str, tuple[str, str]] = {}
    for sid in lock_open:
        locked[sid] = (start.hours[sid], "locked open")
    for sid in lock_closed:
        locked[sid] = ("", "locked closed")
    site_ids = [s for s in sorted(start.hours) if s not in locked and (allow_unlocated or ctx.estate.has_column(s))]
    k_free = k_total - len(lock_closed)
    if k_total < 1 or k_free < 0 or k_free > len(site_ids):
        raise OptimiseError(
            f"k {k_total}: {start_id} has {n_open} open sites, {len(site_ids)} of them free to close "
            f"({len(lock_closed)} locked closed); ask for between {max(1, len(lock_closed))} and "
            f"{len(site_ids) + len(lock_closed)} closures")
    fixed = {s: h for s, h in start.hours.items() if s not in site_ids and s not in lock_closed}
    hours1 = [start.hours[s] for s in site_ids]
    hours0 = [""] * len(site_ids)
    A, b, cons = _rule_rows(ctx, rules, start, fixed, site_ids, hours0, hours1, notes=notes)
    inst = _instance(ctx, "close", harm, start, site_ids, hours0, hours1, len(site_ids) - k_free,
                     np.ones(len(site_ids), bool), fixed, locked, notes, A, b, cons, len(site_ids))
    inst.unlocated_held = [] if allow_unlocated else unlocated
    return inst


def host_hours_for(host: str, host_hours: Mapping[str, str] | None) -> str:
    """The hours a new contact point at ``host`` keeps (given, else :data:`DEFAULT_HOST_HOURS`)."""
    given = dict(host_hours or {})
    if host in given:
        return given[host]
    if "*" in given:
        return given["*"]
    return DEFAULT_HOST_HOURS.get(host, FALLBACK_HOST_HOURS)


def open_instance(ctx: Context, start_id: str, harm: Harm, *, k: int, hosts: Iterable[str] = (),
                  boroughs: Iterable[str] = (), retailers: Iterable[str] = (),
                  host_hours: Mapping[str, str] | None = None, lock_open: Sequence[str] = (),
                  lock_closed: Sequence[str] = ()) -> Instance:
    """Open ``k`` contact points among the candidate hosts (filtered), on top of the start.

    Borough rules are not imposed: opening a site never breaks one.
    """
    k = _count(k, "k")
    start = ctx.state(start_id)
    _check_locks(ctx, lock_open, lock_closed)
    est = ctx.estate
    cand = est.candidates
    cand = cand[~cand.index.isin(list(start.hours))]
    hosts, boroughs, retailers = list(hosts), list(boroughs), list(retailers)
    known_hosts = sorted(set(est.candidates["host"]))
    for h in hosts:
        if h not in known_hosts:
            raise OptimiseError(f"host type {h!r} has no candidates; known: {', '.join(known_hosts)}")
    if hosts:
        cand = cand[cand["host"].isin(hosts)]
    if boroughs:
        want = {b.strip().lower() for b in boroughs}
        names = {str(n).lower() for n in ctx.units.area_names} | {str(c).lower() for c in ctx.units.area_codes}
        bad = sorted(want - names)
        if bad:
            raise OptimiseError(f"borough(s) {bad} not known; give a borough name or GSS code")
        cand = cand[cand["area_name"].str.lower().isin(want) | cand["area_code"].str.lower().isin(want)]
    if retailers:
        want = {r.strip().lower() for r in retailers}
        cand = cand[cand["retailer"].astype(str).str.lower().isin(want)]
    for sid in (*lock_open, *lock_closed):
        if sid not in est.candidates.index:
            raise OptimiseError(f"locked site {sid!r} is not a candidate host; lock candidates "
                                "(`estate sites --candidates`)")
        if sid in start.hours:
            raise OptimiseError(f"locked site {sid!r} is already open in {start_id}")
    for h in (host_hours or {}).values():
        est.hours(h)
    locked = {sid: (host_hours_for(str(est.sites.at[sid, "host"]), host_hours), "locked open") for sid in lock_open}
    locked.update({sid: ("", "locked closed") for sid in lock_closed})
    site_ids = [s for s in cand.index if s not in locked and est.has_column(s)]
    k_free = k - len(lock_open)
    if k < 1 or k_free < 0 or k_free > len(site_ids):
        raise OptimiseError(f"k {k}: {len(site_ids)} candidate hosts match the filters "
                            f"({len(lock_open)} locked open); ask for between {max(1, len(lock_open))} and "
                            f"{len(site_ids) + len(lock_open)}")
    hours1 = [host_hours_for(str(est.sites.at[s, "host"]), host_hours) for s in site_ids]
    fixed = dict(start.hours)
    fixed.update({s: h for s, (h, _) in locked.items() if h})
    notes = ["borough rules are not imposed when opening: a new contact point cannot break one"]
    return _instance(ctx, "open", harm, start, site_ids, [""] * len(site_ids), hours1, k_free,
                     np.zeros(len(site_ids), bool), fixed, locked, notes, np.zeros((0, len(site_ids))),
                     np.zeros(0), [], len(site_ids))


def part_time_hours_of(ctx: Context, start: ScenarioState) -> str:
    """The start's part-time hours: the commonest hours of its open front counters that are not 24/7."""
    est = ctx.estate
    c = Counter(h for s, h in start.hours.items()
                if effective_kind(est, s) == "front_counter" and not est.hours(h).is_24_7)
    if not c:
        raise OptimiseError(f"{start.scenario_id} has no part-time counter to copy hours from; "
                            "give the part-time hours (e.g. \"Mo-Fr 10:00-22:00; Sa,Su 09:00-19:00\")")
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def keep_24_7_instance(ctx: Context, start_id: str, harm: Harm, *, m: int, rules: RuleSet | None = None,
                       lock_open: Sequence[str] = (), lock_closed: Sequence[str] = (),
                       part_time_hours: str | None = None) -> Instance:
    """Keep ``m`` of the start's open front counters 24/7, the rest on part-time hours.

    ``lock_open`` sites stay 24/7, ``lock_closed`` ones go part-time.  Rules
    that ask for 24/7 counters are not imposed (they are the question); the
    others are.
    """
    m = _count(m, "m")
    start = ctx.state(start_id)
    _check_locks(ctx, lock_open, lock_closed)
    est = ctx.estate
    counters = [s for s in sorted(start.hours) if effective_kind(est, s) == "front_counter"]
    for sid in (*lock_open, *lock_closed):
        if sid not in counters:
            raise OptimiseError(f"locked site {sid!r} is not an open front counter in {start_id}")
    pt = part_time_hours or part_time_hours_of(ctx, start)
    if est.hours(pt).is_24_7:
        raise OptimiseError(f"part-time hours {pt!r} are 24/7; give hours with a gap")

    def part(s: str) -> str:
        h = start.hours[s]
        return pt if est.hours(h).is_24_7 else h

    notes = [f"counters not kept 24/7 open {pt} (or keep their own part-time hours)"]
    unlocated = [s for s in counters if not est.has_column(s) and s not in lock_open and s not in lock_closed]
    if unlocated:
        notes.append(f"{', '.join(unlocated)}: no location, so not a choice here; hours left as in {start_id}")
    locked = {s: ("24/7", "locked 24/7") for s in lock_open}
    locked.update({s: (part(s), "locked part-time") for s in lock_closed})
    site_ids = [s for s in counters if s not in locked and est.has_column(s)]
    m_free = m - len(lock_open)
    if m < 1 or m_free < 0 or m_free > len(site_ids):
        raise OptimiseError(f"m {m}: {start_id} has {len(counters)} open front counters, {len(site_ids)} free "
                            f"to choose ({len(lock_open)} locked 24/7); ask for between "
                            f"{max(1, len(lock_open))} and {len(site_ids) + len(lock_open)}")
    fixed = {s: h for s, h in start.hours.items() if s not in site_ids}
    fixed.update({s: h for s, (h, _) in locked.items()})
    hours0 = [part(s) for s in site_ids]
    hours1 = ["24/7"] * len(site_ids)
    A, b, cons = _rule_rows(ctx, rules, start, fixed, site_ids, hours0, hours1, notes=notes,
                            skip=lambda rule: rule.hours == "24/7")
    start_x = np.array([est.hours(start.hours[s]).is_24_7 for s in site_ids], dtype=bool)
    return _instance(ctx, "keep-24-7", harm, start, site_ids, hours0, hours1, m_free, start_x, fixed,
                     locked, notes, A, b, cons, len(site_ids))

