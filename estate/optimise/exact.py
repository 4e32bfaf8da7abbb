"""The exact model: a mixed-integer program on the reduced instance, solved by HiGHS (``highspy``).

Variables: ``x_j`` (binary) per decision site.  For ``beyond`` (maximal
covering) ``y_r`` in [0, 1] per row that some site could bring within the
threshold, with ``y_r <= sum of x_j over the row's pairs``; harm is
``const + sum w_r (1 - y_r)``.  For ``mean`` (p-median with the fixed sites as
a free fallback) ``y_e`` in [0, 1] per pair, ``sum of y_e over a row <= 1``
and ``y_e <= x_j``; harm is ``const + sum w_r (base_r - sum (base_r - c_e) y_e)``.
Both with ``sum x_j = p`` and the rule rows ``A x >= b``.  The heuristic's
answer is handed to HiGHS as its first incumbent, so a time limit still returns
an answer with a proven gap.

Before HiGHS runs, the Lagrangian dual of the same model (each row's
assignment constraint relaxed, multipliers by subgradient) gives a proven lower
bound in a second or two: when it meets the heuristic's harm the answer is
optimal and the MIP is not needed.  On London's p-median instances (hundreds of
thousands of pairs) HiGHS cannot finish even the root LP within a minute, and
this bound closes the gap.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from estate.errors import InfeasibleError, OptimiseError
from estate.optimise.problem import Instance

__all__ = ["ExactResult", "lagrangian_bound", "min_selected", "solve_exact"]

log = logging.getLogger(__name__)


@dataclass
class ExactResult:
    """HiGHS's answer: the selection, its harm, the best bound and the proven gap."""

    x: np.ndarray
    value: float
    bound: float
    gap: float
    optimal: bool
    status: str
    seconds: float
    n_vars: int
    n_rows: int
    n_nonzeros: int


def _quiet_highs() -> Any:
    """A new ``highspy.Highs``: its constructor prints a banner on the C stdout, kept out of ours."""
    import highspy

    sys.stdout.flush()
    libc = ctypes.CDLL(None)
    libc.fflush(None)
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
            libc.fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def _highs(time_limit: float | None, *, threads: int | None = None) -> Any:
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-6)
    if threads:
        h.setOptionValue("threads", int(threads))
    return h


def _pass(h: Any, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, A: sp.csc_matrix,
          row_lo: np.ndarray, row_hi: np.ndarray, integer: np.ndarray, offset: float) -> None:
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = int(A.shape[0])
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.offset_ = float(offset)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                       for i in integer]
    h.passModel(lp)


def min_selected(A: np.ndarray, b: np.ndarray, *, upper: int | None = None) -> int | None:
    """The fewest sites in state 1 that meet ``A x >= b`` (``None`` if none can)."""
    n = A.shape[1]
    if len(b) == 0 or n == 0:
        return 0 if len(b) == 0 or (b <= 0).all() else None
    h = _highs(30.0)
    _pass(h, np.ones(n), np.zeros(n), np.ones(n), sp.csc_matrix(A), b.astype(np.float64),
          np.full(len(b), np.inf), np.ones(n, bool), 0.0)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        return None
    return round(h.getInfo().objective_function_value)


def solve_exact(inst: Instance, *, time_limit: float = 60.0, start: np.ndarray | None = None,
                threads: int | None = None, lagrangian: bool = True) -> ExactResult:
    """Solve ``inst`` exactly within ``time_limit`` seconds; ``start`` is a known answer.

    With ``lagrangian`` and a ``start``, the Lagrangian bound is tried first: if
    it meets the start's harm, the start is proven optimal and HiGHS is not
    needed.  Otherwise HiGHS runs the mixed-integer model (started from
    ``start``) in the time left, and the better of its bound and the
    Lagrangian one is reported.
    """
    if not (time_limit > 0):
        raise OptimiseError(f"time limit {time_limit!r} s must be above 0 (e.g. 60)")
    t0 = time.perf_counter()
    lb = float("-inf")
    if lagrangian and start is not None:
        start = np.asarray(start, bool)
        upper = inst.objective(start)
        lb = lagrangian_bound(inst, upper, start=start)
        if upper - lb <= 1e-9 * (1 + abs(upper)):
            return ExactResult(x=start, value=upper, bound=lb, gap=max(0.0, (upper - lb) / max(abs(upper), 1e-9)),
                               optimal=True, status="Optimal (the Lagrangian bound meets the answer)",
                               seconds=time.perf_counter() - t0, n_vars=0, n_rows=0, n_nonzeros=0)
    time_left = max(1.0, time_limit - (time.perf_counter() - t0))
    res = _solve_highs(inst, time_limit=time_left, start=start, threads=threads)
    if lb > res.bound or not np.isfinite(res.bound):
        res.bound = lb
        res.gap = max(0.0, (res.value - lb) / max(abs(res.value), 1e-9)) if np.isfinite(lb) else float("inf")
    res.seconds = time.perf_counter() - t0
    return res


def _solve_highs(inst: Instance, *, time_limit: float, start: np.ndarray | None, threads: int | None) -> ExactResult:
    """The mixed-integer model, by HiGHS."""
    t0 = time.perf_counter()
    n = inst.n_sites
    site = np.repeat(np.arange(n), np.diff(inst.ptr))
    rows, cost = inst.pair_row, inst.pair_cost
    w, base = inst.row_weight, inst.row_base
    n_r = len(w)
    n_e = len(rows)
    blocks_obj = [np.zeros(n)]
    if inst.harm.measure == "beyond":
        # y_r - sum x_j <= 0   (rows with pairs: base 1, every pair cost 0)
        n_y = n_r
        blocks_obj.append(-w * (base - 0.0))
        offset = inst.const + float(w @ base)
        link = sp.coo_matrix((np.r_[np.ones(n_r), -np.ones(n_e)],
                              (np.r_[np.arange(n_r), rows], np.r_[n + np.arange(n_r), site])),
                             shape=(n_r, n + n_y))
        link_lo, link_hi = np.full(n_r, -np.inf), np.zeros(n_r)
        mats = [link]
        los, his = [link_lo], [link_hi]
    else:
        n_y = n_e
        blocks_obj.append(-w[rows] * (base[rows] - cost))
        offset = inst.const + float(w @ base)
        # sum_e y_e <= 1 per row
        assign = sp.coo_matrix((np.ones(n_e), (rows, n + np.arange(n_e))), shape=(n_r, n + n_y))
        # y_e - x_j <= 0 per pair
        link = sp.coo_matrix((np.r_[np.ones(n_e), -np.ones(n_e)],
                              (np.r_[np.arange(n_e), np.arange(n_e)], np.r_[n + np.arange(n_e), site])),
                             shape=(n_e, n + n_y))
        mats = [assign, link]
        los, his = [np.full(n_r, -np.inf), np.full(n_e, -np.inf)], [np.ones(n_r), np.zeros(n_e)]
    card = sp.coo_matrix((np.ones(n), (np.zeros(n, np.int64), np.arange(n))), shape=(1, n + n_y))
    mats.append(card)
    los.append(np.array([float(inst.p)]))
    his.append(np.array([float(inst.p)]))
    if len(inst.b):
        mats.append(sp.hstack([sp.coo_matrix(inst.A), sp.coo_matrix((len(inst.b), n_y))]))
        los.append(inst.b.astype(np.float64))
        his.append(np.full(len(inst.b), np.inf))
    A = sp.vstack(mats).tocsc()
    cost_all = np.concatenate(blocks_obj)
    h = _highs(time_limit, threads=threads)
    _pass(h, cost_all, np.zeros(n + n_y), np.ones(n + n_y), A, np.concatenate(los), np.concatenate(his),
          np.r_[np.ones(n, bool), np.zeros(n_y, bool)], offset)
    if start is not None:
        _set_start(h, inst, np.asarray(start, bool), n_y)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if status == "Infeasible":
        raise InfeasibleError("no answer meets the rules and the count asked for (the exact model is infeasible)")
    sol = np.asarray(h.getSolution().col_value)
    if len(sol) < n or info.mip_node_count < 0:
        raise OptimiseError(f"HiGHS found no answer within {time_limit:g} s ({status}); allow more time")
    x = sol[:n] > 0.5
    value = inst.objective(x)
    bound = float(info.mip_dual_bound)
    gap = max(0.0, (value - bound) / max(abs(value), 1e-9)) if np.isfinite(bound) else float("inf")
    return ExactResult(x=x, value=value, bound=bound, gap=gap, optimal=status == "Optimal", status=status,
                       seconds=time.perf_counter() - t0, n_vars=n + n_y, n_rows=A.shape[0], n_nonzeros=A.nnz)


def lagrangian_bound(inst: Instance, upper: float, *, iterations: int = 300, start: np.ndarray | None = None) -> float:
    """A proven lower bound on the harm: the Lagrangian dual of the model, rows relaxed (subgradient).

    Relaxing each row's ``sum y_e <= 1`` with a multiplier ``l_r >= 0`` leaves a
    problem solved exactly by picking the ``p`` sites with the largest
    ``sum max(0, g_e - l_r)`` (``g_e`` a pair's saving); every ``l`` gives a valid
    bound (rule rows are dropped, which only lowers it), and its best equals the
    LP relaxation's.  ``upper`` (a known answer's harm) steers the Polyak steps.
    """
    n = inst.n_sites
    if n == 0 or inst.p <= 0:
        return inst.objective(np.zeros(n, bool)) if inst.p <= 0 else float("-inf")
    site = np.repeat(np.arange(n), np.diff(inst.ptr))
    rows, w, base = inst.pair_row, inst.row_weight, inst.row_base
    g = w[rows] * (base[rows] - inst.pair_cost)
    n_r = len(w)
    top = inst.const + float(w @ base)
    lam = np.zeros(n_r)
    if start is not None:  # each row's saving under a known answer: a good first multiplier
        on = np.asarray(start, bool)[site]
        np.maximum.at(lam, rows[on], g[on])
    best, theta, stall = float("-inf"), 2.0, 0
    for _ in range(iterations):
        red = np.maximum(0.0, g - lam[rows])
        rho = np.bincount(site, weights=red, minlength=n)
        chosen = np.argpartition(-rho, inst.p - 1)[: inst.p]
        value = top - float(lam.sum()) - float(rho[chosen].sum())
        if not np.isfinite(best) or value > best + 1e-12 * (1 + abs(best)):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 15:
                theta, stall = theta / 2.0, 0
        if upper - best <= 1e-9 * (1 + abs(upper)) or theta < 1e-6:
            break
        sel = np.zeros(n, bool)
        sel[chosen] = True
        used = sel[site] & (red > 0)
        grad = np.bincount(rows[used], minlength=n_r).astype(np.float64) - 1.0
        grad[(lam <= 0) & (grad < 0)] = 0.0
        norm = float(grad @ grad)
        if norm == 0:
            break
        lam = np.maximum(0.0, lam + theta * (upper - value) / norm * grad)
    return best


def _set_start(h: Any, inst: Instance, x: np.ndarray, n_y: int) -> None:
    """Hand HiGHS a full feasible solution built from selection ``x``."""
    import highspy

    n = inst.n_sites
    site = np.repeat(np.arange(n), np.diff(inst.ptr))
    rows, cost = inst.pair_row, inst.pair_cost
    y = np.zeros(n_y)
    on = x[site]
    if inst.harm.measure == "beyond":
        y[np.unique(rows[on])] = 1.0
    else:
        # each row's cheapest selected pair
        idx = np.flatnonzero(on)
        if len(idx):
            order = idx[np.lexsort((cost[idx], rows[idx]))]
            r = rows[order]
            first = order[np.r_[True, r[1:] != r[:-1]]]
            y[first] = 1.0
    s = highspy.HighsSolution()
    s.col_value = np.r_[x.astype(np.float64), y].tolist()
    s.value_valid = True
    h.setSolution(s)
