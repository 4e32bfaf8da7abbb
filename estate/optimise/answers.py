"""Answering the optimiser's questions: solve, explain each change, and return a scenario.

The answer is a :class:`~estate.scenario.Scenario` over the starting scenario,
so the evidence pack and the app read it like any other; each change carries a
rationale with its own figure.  The harm of the start and of the answer are
re-evaluated from the matrices (not taken from the solver), so what is printed
is what the coverage of that scenario gives.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from estate import text
from estate.errors import InfeasibleError, OptimiseError
from estate.optimise.exact import min_selected, solve_exact
from estate.optimise.heuristic import Evaluator, solve_heuristic
from estate.optimise.names import METHODS
from estate.optimise.problem import Context, Harm, Instance, harm_of_hours
from estate.rules import RuleSet, check_rules
from estate.scenario import ID_RE, Change, Scenario, ScenarioState, save_scenario

__all__ = ["METHODS", "Answer", "CurvePoint", "answer", "check_feasible", "save_answer", "shares_within",
           "smallest_m", "solve", "trade_off"]

log = logging.getLogger(__name__)

_METHOD_LABEL = {"heuristic": "heuristic (greedy, then swaps)",
                 "exact": "exact (mixed-integer model, HiGHS, with a Lagrangian bound)"}


@dataclass
class Solution:
    """A selection and how it was found."""

    x: np.ndarray
    method: str
    seconds: float
    gap: float | None = None
    bound: float | None = None
    optimal: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


def _num(v: float, unit: str) -> str:
    return text.count(v) if unit == "residents" else text.number(v, 2)


def check_feasible(inst: Instance, rules: RuleSet | None, *, k_total: int | None = None) -> None:
    """Refuse a count the rules cannot allow, naming the binding rule and the most (or fewest) allowed."""
    if not len(inst.b):
        return
    p_min = min_selected(inst.A, inst.b)
    if p_min is None:
        raise InfeasibleError("the rules cannot all hold, whatever is chosen")
    if inst.p >= p_min:
        return
    locked_off = sum(1 for _, why in inst.locked.values() if why == "locked closed")
    ids = list(dict.fromkeys(c.rule_id for c in inst.constraints))
    titles = {c.rule_id: c.title for c in inst.constraints}
    alone = {}
    for rid in ids:
        rows = [i for i, c in enumerate(inst.constraints) if c.rule_id == rid]
        alone[rid] = min_selected(inst.A[rows], inst.b[rows]) or 0
    binding = tuple(r for r in ids if alone[r] > inst.p) or tuple(ids)
    if inst.question == "close":
        most = inst.n_sites - p_min + locked_off
        asked = k_total if k_total is not None else inst.n_sites - inst.p + locked_off
        parts = [f"rule {r!r} ({titles[r]}) lets at most {inst.n_sites - alone[r] + locked_off} close" for r in binding]
        held = (f" ({', '.join(inst.unlocated_held)}, with no location, stay open: --allow-unlocated lets them "
                "count)" if inst.unlocated_held else "")
        raise InfeasibleError(
            f"cannot close {asked} sites from {inst.start_id}: {'; '.join(parts)}. With these rules at most "
            f"{most} can close{held}: ask for {most} or fewer, or give other rules (--rules FILE, or --rules none)",
            binding=binding, most=most)
    fewest = p_min + sum(1 for _, why in inst.locked.values() if why.startswith("locked 24/7"))
    parts = [f"rule {r!r} ({titles[r]}) needs at least {alone[r]}" for r in binding]
    raise InfeasibleError(f"too few asked for: {'; '.join(parts)}. At least {fewest} are needed",
                          binding=binding, most=fewest)


def solve(inst: Instance, *, method: str = "heuristic", time_limit: float = 60.0,
          start: np.ndarray | None = None) -> Solution:
    """Solve with the heuristic, or exactly (HiGHS, started from the heuristic's answer)."""
    if method not in METHODS:
        raise OptimiseError(f"method {method!r}: use 'heuristic' or 'exact'")
    if isinstance(time_limit, bool) or not (time_limit > 0):
        raise OptimiseError(f"time limit {time_limit!r} s must be above 0 (e.g. 60)")
    h = solve_heuristic(inst, start=start)
    if method == "heuristic":
        return Solution(h.x, "heuristic", h.seconds, detail={
            "evaluations": h.evaluations, "greedy_value": h.greedy_value, "swaps": h.swaps,
            "direction": h.direction})
    e = solve_exact(inst, time_limit=time_limit, start=h.x)
    x = e.x if e.value <= h.value + 1e-9 * (1 + abs(h.value)) else h.x
    return Solution(x, "exact", h.seconds + e.seconds, gap=e.gap, bound=e.bound, optimal=e.optimal,
                    detail={"status": e.status, "heuristic_value": h.value, "heuristic_seconds": h.seconds,
                            "exact_seconds": e.seconds, "variables": e.n_vars, "rows": e.n_rows,
                            "nonzeros": e.n_nonzeros, "pairs": inst.n_pairs})


@dataclass
class CurvePoint:
    """One point of the trade-off curve: the best found with ``count`` sites changed/kept."""

    count: int
    value: float
    sites: list[str]
    share_within: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"count": self.count, "harm": self.value, "sites": self.sites, "share_within": self.share_within}


def shares_within(ctx: Context, harm: Harm, hours: dict[str, str]) -> dict[str, float]:
    """Share of residents within the threshold in each band (plain residents, no extra weights)."""
    plain = Harm("beyond", harm.threshold, harm.bands)
    pop = float(ctx.units.weights()["all"].sum())
    _, per = harm_of_hours(ctx, plain, hours)
    return {b: 1.0 - v / pop for b, v in per.items()}


def _counted(inst: Instance, x: np.ndarray) -> list[str]:
    """The sites the count is about: closed (close) or chosen (open, 24/7)."""
    ids = np.asarray(inst.site_ids)
    if inst.question == "close":
        return sorted([*ids[~x].tolist(), *[s for s, (_, w) in inst.locked.items() if w == "locked closed"]])
    return sorted([*ids[x].tolist(), *[s for s, (h, w) in inst.locked.items() if w in ("locked open", "locked 24/7")]])


def trade_off(ctx: Context, inst: Instance, counts: Sequence[int], *, method: str = "heuristic",
              time_limit: float = 60.0, on_point: Callable[[int, int], None] | None = None) -> list[CurvePoint]:
    """Harm against the count (closures, openings or 24/7 counters), each point solved on its own.

    The heuristic starts each point from the previous one's answer.  ``on_point(i, n)`` is called
    after the ``i``-th of the ``n`` counts (for a progress bar).
    """
    locked_off = sum(1 for _, w in inst.locked.values() if w == "locked closed")
    locked_on = sum(1 for _, w in inst.locked.values() if w in ("locked open", "locked 24/7"))
    out: list[CurvePoint] = []
    prev: np.ndarray | None = None
    for i, c in enumerate(counts, 1):
        if on_point is not None:
            on_point(i - 1, len(counts))
        p = inst.n_sites - (c - locked_off) if inst.question == "close" else c - locked_on
        if not 0 <= p <= inst.n_sites:
            continue
        sub = dataclasses.replace(inst, p=p)
        if len(sub.b) and (min_selected(sub.A, sub.b) or 0) > p:
            break
        sol = solve(sub, method=method, time_limit=time_limit, start=prev)
        prev = sol.x
        hours = sub.hours_of(sol.x)
        value, _ = harm_of_hours(ctx, inst.harm, hours)
        shares = shares_within(ctx, inst.harm, hours) if inst.harm.measure == "beyond" else {}
        out.append(CurvePoint(c, value, _counted(sub, sol.x), shares))
    return out


def smallest_m(ctx: Context, inst: Instance, target: float, *, method: str = "heuristic",
               time_limit: float = 60.0) -> tuple[int, list[CurvePoint]]:
    """The fewest 24/7 counters whose answer keeps ``target`` of residents within the threshold in every band.

    Raises :class:`InfeasibleError` with the best share reachable (all of them 24/7) when no count can.
    """
    if inst.question != "keep-24-7":
        raise OptimiseError("a coverage target applies to keep-24-7")
    if inst.harm.measure != "beyond":
        raise OptimiseError("a coverage target needs --measure beyond (a share within the threshold)")
    if not 0 < target <= 1:
        raise OptimiseError(f"target {target!r} must be a share between 0 and 1 (e.g. 0.6 for 60%)")
    locked_on = sum(1 for _, w in inst.locked.values() if w == "locked 24/7")
    counts = list(range(max(1, locked_on), inst.n_sites + locked_on + 1))
    curve = []
    for pt in trade_off(ctx, inst, counts, method="heuristic"):
        curve.append(pt)
        if min(pt.share_within.values()) >= target:
            m = pt.count
            if method == "exact":  # a smaller count may meet it exactly
                while m - 1 >= max(1, locked_on):
                    sub = dataclasses.replace(inst, p=m - 1 - locked_on)
                    sol = solve(sub, method="exact", time_limit=time_limit)
                    if min(shares_within(ctx, inst.harm, sub.hours_of(sol.x)).values()) < target:
                        break
                    m -= 1
            return m, curve
    all_on = dataclasses.replace(inst, p=inst.n_sites)
    best = shares_within(ctx, inst.harm, all_on.hours_of(np.ones(inst.n_sites, bool)))
    worst_band = min(best, key=lambda b: best[b])
    raise InfeasibleError(
        f"no number of 24/7 counters keeps {target:.0%} of residents within {inst.harm.threshold} minutes "
        f"({', '.join(best)}): with all {inst.n_sites + locked_on} open 24/7 the best reachable is "
        f"{best[worst_band]:.1%} ({worst_band}); lower the target or open more sites",
        most=best[worst_band])


# ---- the answer -------------------------------------------------------------------------------
@dataclass
class Answer:
    """An optimiser answer: the scenario it proposes, how it was found, and its harm beside the start's."""

    question: str
    harm: Harm
    method: str
    gap: float | None
    bound: float | None
    optimal: bool
    value: float
    start_value: float
    per_band: dict[str, float]
    start_per_band: dict[str, float]
    scenario: Scenario
    changes: dict[str, list[dict[str, Any]]]
    notes: list[str]
    seconds: float
    detail: dict[str, Any]
    mode: str = ""
    rules_source: str = "none"
    rules_broken: list[str] = field(default_factory=list)
    curve: list[CurvePoint] | None = None

    @property
    def difference(self) -> float:
        """Answer minus start (negative = less harm)."""
        return self.value - self.start_value

    def to_dict(self) -> dict[str, Any]:
        """The ``estate optimise --format json`` document."""
        d: dict[str, Any] = {
            "question": self.question, "measure": self.harm.to_dict(), "method": self.method,
            "method_label": _METHOD_LABEL[self.method], "gap": text.json_number(self.gap),
            "bound": text.json_number(self.bound),
            "proven_optimal": self.optimal, "scenario_id": self.scenario.id, "base": self.scenario.base,
            "mode": self.mode, "changes": self.changes,
            "harm": {"value": self.value, "start": self.start_value, "difference": self.difference,
                     "bands": {b: {"value": self.per_band[b], "start": self.start_per_band[b]} for b in self.per_band},
                     "unit": self.harm.unit},
            "rules": {"source": self.rules_source, "broken": self.rules_broken},
            "notes": self.notes, "seconds": self.seconds,
            "detail": {k: text.json_number(v) for k, v in self.detail.items()},
        }
        if self.curve is not None:
            d["curve"] = [p.to_dict() for p in self.curve]
        return d


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:64].strip("-") or "optimised"


def answer(ctx: Context, inst: Instance, sol: Solution, *, scenario_id: str | None = None,
           rules: RuleSet | None = None, title: str | None = None) -> Answer:
    """Turn a solution into an :class:`Answer`: a validated scenario with a rationale per change."""
    x = np.asarray(sol.x, bool)
    if not inst.feasible(x):
        raise OptimiseError("internal: the solution breaks the count or a rule")  # pragma: no cover
    est = ctx.estate
    start = ctx.state(inst.start_id)
    harm = inst.harm
    value, per = harm_of_hours(ctx, harm, inst.hours_of(x))
    start_value, start_per = harm_of_hours(ctx, harm, start.hours)
    ev = Evaluator(inst)
    ev.commit(x)
    label = _METHOD_LABEL[sol.method]
    phrase = harm.describe()
    unit = harm.unit
    ids = inst.site_ids
    chosen = np.flatnonzero(x).tolist()
    unchosen = np.flatnonzero(~x).tolist()
    # each change's own figure, given the rest of the answer
    add_if_on = {j: ev.delta_close(j) for j in chosen}  # harm a chosen site's state-1 hours save
    add_if_off = {j: ev.delta_open(j) for j in unchosen}  # harm change were an unchosen site chosen (<= 0)
    close: list[dict[str, Any]] = []
    opened: list[dict[str, Any]] = []
    set_hours: list[dict[str, Any]] = []
    n_cand = inst.candidates_total

    def name(s: str) -> str:
        return str(est.sites.at[s, "name"])

    def entry(s: str, rationale: str, figure: float | None, hours: str = "") -> dict[str, Any]:
        d: dict[str, Any] = {"id": s, "name": name(s), "borough": str(est.sites.at[s, "area_name"])}
        if hours:
            d["hours"] = hours
        d["harm_change"] = figure
        d["rationale"] = rationale
        return d

    if inst.question == "close":
        # per closure, the cheapest other closure among the kept sites the rules would let close in its place
        def swappable(closed: int, kept: int) -> bool:
            y = x.copy()
            y[kept], y[closed] = False, True
            return not len(inst.b) or bool(np.all(inst.A @ y >= inst.b - 1e-9))

        for j in unchosen:
            allowed = [i for i in chosen if swappable(closed=j, kept=i)]
            floor = min((add_if_on[i] for i in allowed), default=None)
            other = "other site the rules let close" if len(allowed) < len(chosen) else "site kept"
            more = (f"; closing any {other} instead would add at least {_num(floor, unit)}" if floor is not None
                    else "; the rules let no site kept close in its place" if chosen else "")
            cost = -add_if_off[j]
            close.append(entry(ids[j], f"chosen by the optimiser ({label}): with the other closures, closing it adds "
                               f"{_num(cost, unit)} {_unit_phrase(harm)}{more} ({text.count(n_cand)} candidates)", cost))
    elif inst.question == "open":
        for j in chosen:
            gain = add_if_on[j]
            opened.append(entry(ids[j], f"chosen by the optimiser ({label}): opening it ({inst.hours1[j]}) cuts "
                                f"{_num(gain, unit)} from {phrase} that the other openings leave; "
                                f"among {text.count(n_cand)} candidate hosts", -gain, inst.hours1[j]))
    else:
        for j in range(inst.n_sites):
            s = ids[j]
            new = inst.hours1[j] if x[j] else inst.hours0[j]
            if new == start.hours[s]:
                continue
            if x[j]:
                why = (f"kept open 24/7 by the optimiser ({label}): its 24/7 hours cut {_num(add_if_on[j], unit)} "
                       f"from {phrase}")
                set_hours.append(entry(s, why, -add_if_on[j], new))
            else:
                cost = -add_if_off[j]
                why = (f"hours cut to {new} by the optimiser ({label}): this adds {_num(cost, unit)} "
                       f"{_unit_phrase(harm)}, given the counters kept 24/7")
                set_hours.append(entry(s, why, cost, new))
    for s, (hours, why) in sorted(inst.locked.items()):
        if why == "locked closed" and inst.question == "close":
            close.append(entry(s, "closed as asked (--lock-closed)", None))
        elif why == "locked open" and inst.question == "open":
            opened.append(entry(s, f"opened as asked (--lock-open), {hours}", None, hours))
        elif inst.question == "keep-24-7" and hours != start.hours.get(s):
            set_hours.append(entry(s, f"{why} as asked", None, hours))
    changes = {"close": close, "open": opened, "set_hours": set_hours}
    sid = scenario_id or _slug(f"optimised-{inst.question}-{inst.start_id}")
    if not ID_RE.match(sid):
        raise OptimiseError(f"scenario id {sid!r} must be lower-case letters, digits and hyphens (e.g. 'close-18')")
    gap_text = ("proven optimal" if sol.optimal else
                f"gap to the best bound {sol.gap:.2%}" if sol.gap is not None and np.isfinite(sol.gap) else
                "no bound (heuristic)")
    what = {"close": f"close {len(close)}", "open": f"open {len(opened)}",
            "keep-24-7": f"keep {int(x.sum()) + sum(1 for _, w in inst.locked.values() if w == 'locked 24/7')} 24/7"}
    title = title or f"Optimiser: {what[inst.question]} from {inst.start_id}, least {phrase}"
    notes = [
        f"made by estate optimise {inst.question} ({label}; {gap_text}); mode {ctx.mode or '?'}"
        f"{' (engine ' + ctx.engine + ')' if ctx.engine else ''}",
        f"harm ({phrase}): {_num(value, unit)} against {_num(start_value, unit)} in {inst.start_id}",
        *inst.notes,
    ]
    sc = Scenario(
        id=sid, title=title, base=inst.start_id,
        description=f"Least-harm answer to '{inst.question}' over {inst.start_id}: {phrase}.",
        close=tuple(Change(c["id"], "", c["rationale"]) for c in close),
        open=tuple(Change(c["id"], c["hours"], c["rationale"]) for c in opened),
        set_hours=tuple(Change(c["id"], c["hours"], c["rationale"]) for c in set_hours),
        notes=tuple(notes),
    )
    broken: list[str] = []
    if rules is not None:
        st = ScenarioState(sid, inst.hours_of(x))
        applied = [r for r in rules if not (inst.question == "keep-24-7" and r.hours == "24/7")]
        report = check_rules(applied, est, start, st, ctx.areas)
        broken = [f"{c.rule_id} in {c.area_name}" for c in report.broken()]
    return Answer(question=inst.question, harm=harm, method=sol.method, gap=sol.gap, bound=sol.bound,
                  optimal=sol.optimal, value=value, start_value=start_value, per_band=per,
                  start_per_band=start_per, scenario=sc, changes=changes, notes=notes, seconds=sol.seconds,
                  detail={**sol.detail, "objective": inst.objective(x), "pairs": inst.n_pairs,
                          "decision_sites": inst.n_sites, "rows": len(inst.row_weight)},
                  mode=ctx.mode, rules_source=rules.source if rules is not None else "none",
                  rules_broken=broken)


def _unit_phrase(harm: Harm) -> str:
    bands = ", ".join(b for b, _ in harm.bands)
    if harm.measure == "beyond":
        return f"residents beyond {harm.threshold} minutes ({bands})"
    return f"minutes to the population-weighted mean ({bands})"


def save_answer(ans: Answer, ctx: Context, directory: str | Path, *, force: bool = False,
                reload: Callable[[], Any] | None = None) -> Path:
    """Write the answer's scenario as ``directory/<id>.yaml`` (validated, atomic; refuses to overwrite
    unless ``force``)."""
    path = save_scenario(ans.scenario, Path(directory), ctx.estate, dict(ctx.scenarios), overwrite=force)
    if reload is not None:
        reload()
    return path
