"""The optimiser: least-harm closures, the best new contact points, and which counters stay 24/7.

Three questions over any starting scenario, each answered as a scenario:

- :func:`close_instance`: close ``k`` (or keep ``n``) of the open sites, within the borough rules;
- :func:`open_instance`: open ``k`` contact points among the candidate hosts;
- :func:`keep_24_7_instance`: keep ``m`` counters open 24/7, the rest part-time
  (and :func:`smallest_m` for a coverage target).

Harm (:class:`Harm`) is residents beyond a threshold or the population-weighted
mean minutes, over one or more bands.  :func:`solve` runs the greedy + swap
heuristic, or the exact mixed-integer model (HiGHS) with a time limit and a
proven gap; :func:`answer` turns the solution into a scenario with a rationale
per change; :func:`trade_off` gives harm against the count.
"""

from __future__ import annotations

from estate.optimise.answer import (
    METHODS,
    Answer,
    CurvePoint,
    answer,
    check_feasible,
    save_answer,
    smallest_m,
    solve,
    trade_off,
)
from estate.optimise.exact import ExactResult, solve_exact
from estate.optimise.heuristic import Evaluator, HeuristicResult, solve_heuristic
from estate.optimise.problem import (
    DEFAULT_HOST_HOURS,
    MEASURES,
    QUESTIONS,
    Context,
    Harm,
    Instance,
    close_instance,
    harm_of_hours,
    keep_24_7_instance,
    open_instance,
)

__all__ = [
    "DEFAULT_HOST_HOURS",
    "MEASURES",
    "METHODS",
    "QUESTIONS",
    "Answer",
    "Context",
    "CurvePoint",
    "Evaluator",
    "ExactResult",
    "Harm",
    "HeuristicResult",
    "Instance",
    "answer",
    "check_feasible",
    "close_instance",
    "harm_of_hours",
    "keep_24_7_instance",
    "open_instance",
    "save_answer",
    "smallest_m",
    "solve",
    "solve_exact",
    "solve_heuristic",
    "trade_off",
]
