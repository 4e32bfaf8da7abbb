"""One optimiser request, from its choices to its answer: what ``estate optimise`` and the app's
Optimise page both run, so the two give the same answer for the same inputs.

A :class:`Request` holds the choices (question, start, measure, constraints,
method); :func:`run` builds the instance, refuses what the rules cannot allow,
solves, explains and, if asked, draws the trade-off curve, reporting progress
as it goes.  :func:`as_draft` makes an answer the Build page's draft.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estate import text
from estate.errors import OptimiseError
from estate.optimise.answers import (
    Answer,
    answer,
    check_feasible,
    shares_within,
    smallest_m,
    solve,
    trade_off,
)
from estate.optimise.names import METHODS, QUESTIONS
from estate.optimise.problem import Context, Harm, close_instance, keep_24_7_instance, open_instance
from estate.rules import DEFAULT_RULES, RuleSet, load_rules
from estate.scenario import Scenario

__all__ = ["Progress", "Request", "as_draft", "curve_counts", "default_bands", "rules_of", "run"]

#: ``progress(share_done, what)``: a share in [0, 1] and a plain sentence of the step under way
Progress = Callable[[float, str], None]


def default_bands(question: str) -> tuple[tuple[str, float], ...]:
    """The band a question is judged in unless told: at night for the 24/7 set, else by day."""
    return (("night", 1.0),) if question == "keep-24-7" else (("day", 1.0),)


def rules_of(spec: str | None) -> RuleSet | None:
    """``None``/``"default"``: the default borough rules; ``"none"``: no rules; else a rules YAML file."""
    if spec in (None, "", "default"):
        return DEFAULT_RULES
    if spec == "none":
        return None
    return load_rules(Path(spec))


@dataclass(frozen=True)
class Request:
    """The choices of one optimiser run (the CLI's options, the Optimise page's widgets).

    ``k`` closures or openings (or ``keep`` open, for close); ``m`` counters 24/7
    or the fewest meeting ``target`` (a share within the threshold in every band).
    """

    question: str
    start: str = "register"
    mode: str = "walk"
    bands: tuple[tuple[str, float], ...] | None = None
    measure: str = "beyond"
    threshold: int = 45
    cutoff_min: float = 180.0
    weight_65_plus: float = 0.0
    weight_deprived: float = 0.0
    rules: str | None = "default"
    lock_open: tuple[str, ...] = ()
    lock_closed: tuple[str, ...] = ()
    allow_unlocated: bool = False
    method: str = "heuristic"
    time_limit: float = 60.0
    k: int | None = None
    keep: int | None = None
    m: int | None = None
    target: float | None = None
    hosts: tuple[str, ...] = ()
    boroughs: tuple[str, ...] = ()
    retailers: tuple[str, ...] = ()
    host_hours: Mapping[str, str] = field(default_factory=dict)
    part_time_hours: str | None = None
    scenario_id: str | None = None
    curve: bool = False
    curve_max: int = 10

    def harm(self) -> Harm:
        """What this request minimises."""
        return Harm(self.measure, self.threshold, self.bands or default_bands(self.question),
                    cutoff_min=self.cutoff_min, weight_65_plus=self.weight_65_plus,
                    weight_deprived=self.weight_deprived)

    def check(self) -> None:
        """Refuse choices that cannot make a question, before any matrix is read."""
        if self.question not in QUESTIONS:
            raise OptimiseError(f"question {self.question!r}: use one of {', '.join(QUESTIONS)}")
        if self.method not in METHODS:
            raise OptimiseError(f"method {self.method!r}: use 'heuristic' or 'exact'")
        if isinstance(self.time_limit, bool) or not (self.time_limit > 0):
            raise OptimiseError(f"time limit {self.time_limit!r} s: give a number of seconds above 0 (e.g. 60)")
        if self.question == "close" and (self.k is None) == (self.keep is None):
            raise OptimiseError("close: give k (--k: how many close) or keep (--keep: how many stay open)")
        if self.question == "open" and self.k is None:
            raise OptimiseError("open: give k (--k: how many contact points to open)")
        if self.question == "keep-24-7" and (self.m is None) == (self.target is None):
            raise OptimiseError("keep-24-7: give m (--m: how many stay 24/7) or a target (--target: a share, e.g. 0.6)")


def curve_counts(req: Request, n_sites: int, n_locked: int) -> list[int]:
    """The counts of the trade-off curve: k = 1..N (every site that could change; up to ``curve_max`` openings)."""
    if req.question == "open":
        return list(range(1, req.curve_max + 1))
    return list(range(1, n_sites + n_locked + 1))


def run(planner: Any, req: Request, *, progress: Progress | None = None) -> Answer:
    """Answer ``req`` on ``planner``'s data: the same steps as ``estate optimise``.

    Raises :class:`~estate.errors.OptimiseError` (an :class:`~estate.errors.InfeasibleError`
    when the rules or a target cannot be met) with a sentence naming the binding rule or the best reachable.
    """
    say: Progress = progress or (lambda share, what: None)
    req.check()
    harm = req.harm()
    rules = rules_of(req.rules)
    say(0.0, f"Reading the {req.mode} travel times")
    for name, _ in harm.bands:
        planner.matrix(req.mode, name)
    ctx = Context.from_planner(planner, req.mode)
    locks = {"lock_open": list(req.lock_open), "lock_closed": list(req.lock_closed)}
    say(0.1, "Reducing the problem to the pairs that can matter")
    if req.question == "close":
        inst = close_instance(ctx, req.start, harm, k=req.k, keep=req.keep, rules=rules,
                              allow_unlocated=req.allow_unlocated, **locks)
    elif req.question == "open":
        inst = open_instance(ctx, req.start, harm, k=int(req.k or 0), hosts=req.hosts, boroughs=req.boroughs,
                             retailers=req.retailers, host_hours=dict(req.host_hours), **locks)
    else:
        m = req.m if req.m is not None else 1 + len(req.lock_open)
        inst = keep_24_7_instance(ctx, req.start, harm, m=m, rules=rules, part_time_hours=req.part_time_hours,
                                  **locks)
    check_feasible(inst, rules, k_total=req.k if req.question == "close" else None)
    m_found = None
    if req.question == "keep-24-7" and req.target is not None:
        say(0.2, f"Finding the fewest 24/7 counters keeping {text.share(req.target)} within {harm.threshold} minutes")
        m_found, _ = smallest_m(ctx, inst, req.target, method=req.method, time_limit=req.time_limit)
        inst = dataclasses.replace(inst, p=m_found - len(req.lock_open))
    say(0.3, "Solving exactly (HiGHS), within the time limit" if req.method == "exact"
        else "Solving (greedy, then swaps)")
    sol = solve(inst, method=req.method, time_limit=req.time_limit)
    say(0.6, "Explaining each change")
    ans = answer(ctx, inst, sol, scenario_id=req.scenario_id, rules=rules)
    if m_found is not None and req.target is not None:
        got = shares_within(ctx, harm, inst.hours_of(sol.x))
        ans.notes.insert(2, f"the fewest 24/7 counters keeping {text.share(req.target)} of residents within "
                            f"{harm.threshold} minutes in every band: {m_found} ("
                            + ", ".join(f"{b} {text.share(v)}" for b, v in got.items()) + ")")
    if req.curve:
        locked = sum(1 for _, w in inst.locked.values()
                     if w in ("locked closed" if req.question == "close" else "locked 24/7",))
        counts = curve_counts(req, inst.n_sites, locked)

        def point(i: int, n: int) -> None:
            say(0.7 + 0.3 * i / max(n, 1), f"Trade-off curve: {i} of {n} points")

        ans.curve = trade_off(ctx, inst, counts, on_point=point)
        if ans.curve and ans.curve[-1].count < counts[-1]:
            ans.notes.append(f"the trade-off curve stops at {ans.curve[-1].count}: the rules allow no more")
    say(1.0, "Done")
    return ans


def as_draft(ans: Answer) -> Scenario:
    """The answer as a draft to edit in Build: its changes are the draft's own, over the start.

    The draft starts from the answer's starting scenario (so Build compares with it), keeps the
    answer's title and description, and has no id (the planner names it before saving).
    """
    sc = ans.scenario
    return dataclasses.replace(sc, id="", path="", started_from=sc.base)
