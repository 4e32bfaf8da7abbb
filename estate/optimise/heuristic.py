"""The fast heuristic: greedy, then swap (interchange) moves, evaluated incrementally.

The evaluator keeps, per row, its best and second-best cost among the selected
sites (or the base).  Then, over the cached pairs alone:

- opening site ``j`` changes harm by ``sum w * min(0, c - best)`` over j's pairs;
- closing site ``j`` changes it by ``sum w * (second - best)`` over the rows j serves;
- a swap (``a`` out, ``b`` in) is the close of ``a`` plus the open of ``b``, corrected on
  the rows ``a`` served (Whitaker's fast interchange), so one pass over the pairs
  prices every swap of ``a`` at once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from estate.errors import InfeasibleError
from estate.optimise.problem import Instance

__all__ = ["Evaluator", "HeuristicResult", "solve_heuristic"]

log = logging.getLogger(__name__)


class Evaluator:
    """Incremental harm of a selection on an :class:`Instance`."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        n = inst.n_sites
        self.n_sites = n
        self.w = inst.row_weight
        self.base = inst.row_base
        self.ptr = inst.ptr
        self.site = np.repeat(np.arange(n), np.diff(inst.ptr))
        self.row = inst.pair_row
        self.cost = inst.pair_cost
        self.pw = self.w[self.row]  # each pair's row weight
        n_rows = len(self.w)
        # the same pairs by row, then cost (for best / second best), with row pointers
        order = np.lexsort((self.cost, self.row))
        self.r_site = self.site[order]
        self.r_cost = self.cost[order]
        self.r_row = self.row[order]
        self.r_ptr = np.zeros(n_rows + 1, np.int64)
        np.cumsum(np.bincount(self.row, minlength=n_rows), out=self.r_ptr[1:])
        self.evaluations = 0
        self.x = np.zeros(n, bool)
        self.commit(self.x)

    # ---- state ------------------------------------------------------------------------
    def commit(self, x: np.ndarray) -> None:
        """Make ``x`` the current selection: best, its site, and the second best per row."""
        self.x = np.asarray(x, bool).copy()
        n_rows = len(self.w)
        best = self.base.copy()
        second = self.base.copy()
        best_site = np.full(n_rows, -1, np.int64)
        m = self.x[self.r_site]
        rows, costs, sites = self.r_row[m], self.r_cost[m], self.r_site[m]
        if len(rows):
            first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            best[rows[first]] = costs[first]
            best_site[rows[first]] = sites[first]
            nxt = first + 1
            has = nxt < len(rows)
            nxt = nxt[has]
            same = rows[nxt] == rows[first[has]]
            second[rows[nxt[same]]] = costs[nxt[same]]
        self.best, self.second, self.best_site = best, second, best_site
        self.value = float(self.inst.const + self.w @ best)

    # ---- moves ------------------------------------------------------------------------
    def delta_open(self, j: int) -> float:
        """Change in harm if site ``j`` (not selected) is selected."""
        self.evaluations += 1
        s, e = self.ptr[j], self.ptr[j + 1]
        r = self.row[s:e]
        return float(self.pw[s:e] @ np.minimum(0.0, self.cost[s:e] - self.best[r]))

    def delta_close(self, j: int) -> float:
        """Change in harm if site ``j`` (selected) is deselected."""
        self.evaluations += 1
        s, e = self.ptr[j], self.ptr[j + 1]
        r = self.row[s:e]
        r = r[self.best_site[r] == j]
        return float(self.w[r] @ (self.second[r] - self.best[r]))

    def open_deltas(self) -> np.ndarray:
        """``delta_open`` of every site at once (0 for selected sites)."""
        self.evaluations += self.n_sites
        g = self.pw * np.minimum(0.0, self.cost - self.best[self.row])
        return np.bincount(self.site, weights=g, minlength=self.n_sites).astype(np.float64)

    def swap_deltas(self, a: int, open_d: np.ndarray) -> np.ndarray:
        """Change in harm of every swap ``a`` out, ``b`` in (a vector over ``b``)."""
        close_a = self.delta_close(a)
        self.evaluations += self.n_sites
        s, e = self.ptr[a], self.ptr[a + 1]
        rows = self.row[s:e]
        rows = rows[self.best_site[rows] == a]
        d = open_d + close_a
        if len(rows):
            starts, ends = self.r_ptr[rows], self.r_ptr[rows + 1]
            lens = ends - starts
            idx = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
            rr, cc, ss = self.r_row[idx], self.r_cost[idx], self.r_site[idx]
            corr = self.w[rr] * (np.minimum(0.0, cc - self.second[rr]) - np.minimum(0.0, cc - self.best[rr]))
            d = d + np.bincount(ss, weights=corr, minlength=self.n_sites)
        return d


@dataclass
class HeuristicResult:
    """The heuristic's answer and how it got there."""

    x: np.ndarray
    value: float
    seconds: float
    evaluations: int
    greedy_value: float
    swaps: int
    direction: str


def _slack(inst: Instance, x: np.ndarray) -> np.ndarray:
    return inst.A @ x.astype(np.float64) - inst.b


def _greedy(ev: Evaluator, inst: Instance, x0: np.ndarray, direction: str) -> np.ndarray:
    x = x0.copy()
    ev.commit(x)
    eps = 1e-9
    if direction == "add":
        while x.sum() < inst.p:
            d = ev.open_deltas()
            d[x] = np.inf  # adding never lowers a rule count (coefficients >= 0)
            j = int(np.argmin(d))
            if not np.isfinite(d[j]):
                raise InfeasibleError("the greedy could not add another site within the rules; try --method exact")
            x[j] = True
            ev.commit(x)
    else:
        while x.sum() > inst.p:
            slack = _slack(inst, x)
            best_j, best_d = -1, np.inf
            for j in np.flatnonzero(x).tolist():
                if len(slack) and ((slack - inst.A[:, j]) < -1e-9).any():
                    continue
                dj = ev.delta_close(j)
                if best_j < 0 or dj < best_d - eps * (1 + abs(best_d)):
                    best_j, best_d = int(j), dj
            if best_j < 0:
                raise InfeasibleError("every remaining site is needed by a rule; no more can be dropped")
            x[best_j] = False
            ev.commit(x)
    return x


def _swaps(ev: Evaluator, inst: Instance, x: np.ndarray, *, max_rounds: int = 500) -> tuple[np.ndarray, int]:
    """Best-improvement swaps until none improves (or ``max_rounds``)."""
    swaps = 0
    has_rules = len(inst.b) > 0
    for _ in range(max_rounds):
        ev.commit(x)
        if x.all() or not x.any():
            break
        open_d = ev.open_deltas()
        slack = _slack(inst, x) if has_rules else None
        tol = 1e-9 * (1.0 + abs(ev.value))
        best = (0.0, -1, -1)
        for a in np.flatnonzero(x):
            d = ev.swap_deltas(int(a), open_d)
            d[x] = np.inf
            if slack is not None:
                ok = ((slack[:, None] - inst.A[:, [a]] + inst.A) >= -1e-9).all(axis=0)
                d[~ok] = np.inf
            b = int(np.argmin(d))
            if d[b] < best[0] - tol:
                best = (float(d[b]), int(a), b)
        if best[1] < 0:
            break
        x = x.copy()
        x[best[1]], x[best[2]] = False, True
        swaps += 1
    ev.commit(x)
    return x, swaps


def solve_heuristic(inst: Instance, *, start: np.ndarray | None = None, direction: str | None = None) -> HeuristicResult:
    """Greedy (add, or drop from everything) then swaps; ``start`` skips the greedy's first steps.

    ``start`` may hold more or fewer than ``p`` sites: the greedy drops or adds
    from it.  Without one, ``close`` drops from every site (each drop keeps the
    rules) and the other questions add from none, or drop when rules bind.
    """
    t0 = time.perf_counter()
    ev = Evaluator(inst)
    if start is None:
        if direction is None:
            direction = "drop" if inst.question == "close" or len(inst.b) else "add"
        x0 = np.ones(inst.n_sites, bool) if direction == "drop" else np.zeros(inst.n_sites, bool)
    else:
        x0 = np.asarray(start, bool)
        direction = "drop" if x0.sum() >= inst.p else "add"
    if len(inst.b) and not (_slack(inst, np.ones(inst.n_sites, bool)) >= -1e-9).all():
        raise InfeasibleError("the rules cannot hold even with every site chosen")
    if len(inst.b) and not (_slack(inst, x0) >= -1e-9).all():
        x0, direction = np.ones(inst.n_sites, bool), "drop"  # a start outside the rules: drop from everything
    x = _greedy(ev, inst, x0, direction)
    greedy_value = ev.value
    x, swaps = _swaps(ev, inst, x)
    return HeuristicResult(x=x, value=ev.value, seconds=time.perf_counter() - t0, evaluations=ev.evaluations,
                           greedy_value=greedy_value, swaps=swaps, direction=direction)
