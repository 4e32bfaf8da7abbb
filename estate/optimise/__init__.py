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
per change; :func:`trade_off` gives harm against the count.  :func:`run` does all of it for
one :class:`Request` (the CLI's and the app's entry point).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from estate.optimise.names import MEASURES, METHODS, QUESTIONS

if TYPE_CHECKING:  # pragma: no cover - the lazy names below, for type checkers
    from estate.optimise.answers import (
        Answer,
        CurvePoint,
        answer,
        check_feasible,
        save_answer,
        shares_within,
        smallest_m,
        solve,
        trade_off,
    )
    from estate.optimise.exact import ExactResult, solve_exact
    from estate.optimise.heuristic import Evaluator, HeuristicResult, solve_heuristic
    from estate.optimise.problem import (
        DEFAULT_HOST_HOURS,
        Context,
        Harm,
        Instance,
        close_instance,
        harm_of_hours,
        keep_24_7_instance,
        open_instance,
    )
    from estate.optimise.request import (
        Request,
        as_draft,
        curve_counts,
        default_bands,
        rules_of,
        run,
    )

#: name -> the module holding it; loaded on first use, so ``import estate.optimise`` stays cheap
_LAZY = {
    **dict.fromkeys(("Answer", "CurvePoint", "answer", "check_feasible", "save_answer", "shares_within",
                     "smallest_m", "solve", "trade_off"), "estate.optimise.answers"),
    **dict.fromkeys(("ExactResult", "solve_exact"), "estate.optimise.exact"),
    **dict.fromkeys(("Request", "as_draft", "curve_counts", "default_bands", "rules_of", "run"),
                    "estate.optimise.request"),
    **dict.fromkeys(("Evaluator", "HeuristicResult", "solve_heuristic"), "estate.optimise.heuristic"),
    **dict.fromkeys(("DEFAULT_HOST_HOURS", "Context", "Harm", "Instance", "close_instance", "harm_of_hours",
                     "keep_24_7_instance", "open_instance"), "estate.optimise.problem"),
}

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
    "Request",
    "answer",
    "as_draft",
    "check_feasible",
    "close_instance",
    "curve_counts",
    "default_bands",
    "harm_of_hours",
    "keep_24_7_instance",
    "open_instance",
    "rules_of",
    "run",
    "save_answer",
    "shares_within",
    "smallest_m",
    "solve",
    "solve_exact",
    "solve_heuristic",
    "trade_off",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
