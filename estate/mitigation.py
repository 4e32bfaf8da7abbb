"""Alternatives to a closure, evaluated over the cached matrices in milliseconds.

Two questions a committee asks of each closure (issue 10, item 5):

* **Which host would recover most of the loss?**  :func:`host_recovery`
  scores every candidate column at once: for the residents a change harms
  (its catchment, with their minutes before and after), opening column ``h``
  makes each journey ``min(after, times[:, h])``; a candidate *recovers* the
  residents newly beyond the threshold whom it brings back within it.
  :func:`best_host` picks the one recovering most (then most residents
  brought back into reach, then most resident-minutes), summed over the
  bands where the change is a loss (the host would need to be open in all
  of them: the closed site's own hours).
* **Would closing a different counter in the borough harm fewer?**
  :func:`area_harm` is the harm of a whole set of open columns against the
  base (residents newly beyond the threshold, extra resident-minutes, newly
  unreachable); the evidence compares the scenario with the scenario where
  the site stays and another closes instead.

These are plain numpy functions of ``(times, columns, weights)``: the optimiser
(:mod:`estate.optimise`) can call them for any set of sites.  Times are the
planner's matrices in **seconds** (units x columns); minutes in and out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from estate.errors import EstateError
from geodata.travel.sparse import SparseTimes

__all__ = ["Harm", "HostRecovery", "area_harm", "best_host", "host_recovery", "nearest_minutes"]


def nearest_minutes(times: np.ndarray | SparseTimes, columns: np.ndarray) -> np.ndarray:
    """Minutes from each unit to the nearest of ``columns`` (``inf`` for none in reach).

    Examples
    --------
    >>> t = np.array([[60., 600.], [1200., 120.]], dtype=np.float32)
    >>> nearest_minutes(t, np.array([0, 1])).tolist(), nearest_minutes(t, np.array([], int)).tolist()
    ([1.0, 2.0], [inf, inf])
    """
    cols = np.asarray(columns, dtype=np.int64)
    if len(cols) == 0:
        return np.full(times.shape[0], np.inf)
    if isinstance(times, SparseTimes):
        return times.nearest(cols)[0].astype(np.float64) / 60.0
    return times[:, cols].min(axis=1).astype(np.float64) / 60.0


@dataclass(frozen=True)
class Harm:
    """What a change of open sites does to residents, against a base."""

    #: residents with before <= threshold < after
    newly_beyond: float
    #: resident-minutes added (journeys that got longer; shorter ones do not offset them),
    #: over residents reachable before and after
    extra_minutes: float
    #: residents reachable before and not after
    newly_unreachable: float

    def key(self) -> tuple[float, float, float]:
        """Order: more residents newly beyond first, then more newly unreachable, then more minutes."""
        return (self.newly_beyond, self.newly_unreachable, self.extra_minutes)


def area_harm(before: np.ndarray, after: np.ndarray, weights: np.ndarray, threshold: float) -> Harm:
    """The :class:`Harm` of going from ``before`` to ``after`` minutes (per unit, weighted).

    Examples
    --------
    >>> h = area_harm(np.array([10., 20., 50., 5.]), np.array([50., 20., 60., np.inf]),
    ...               np.array([100., 200., 50., 10.]), 45)
    >>> h.newly_beyond, h.extra_minutes, h.newly_unreachable
    (110.0, 4500.0, 10.0)
    """
    before = np.asarray(before, dtype=np.float64)
    after = np.asarray(after, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    fin = np.isfinite(before) & np.isfinite(after)
    longer = np.zeros_like(after)
    longer[fin] = np.maximum(after[fin] - before[fin], 0.0)  # inf - inf (unreachable both ways) never computed
    return Harm(
        newly_beyond=float(w[(before <= threshold) & (after > threshold)].sum()),
        extra_minutes=float((w * longer).sum()),
        newly_unreachable=float(w[np.isfinite(before) & ~np.isfinite(after)].sum()),
    )


@dataclass(frozen=True)
class HostRecovery:
    """Per candidate column: what opening it would bring back for the harmed residents."""

    columns: np.ndarray
    #: residents newly beyond the threshold whom the candidate brings back within it
    recovered: np.ndarray
    #: residents with no site in reach after, whom the candidate brings into reach
    reconnected: np.ndarray
    #: resident-minutes saved against the scenario (finite journeys only)
    minutes_saved: np.ndarray
    #: residents newly beyond the threshold in the first place (the most any candidate can recover)
    newly_beyond: float

    @classmethod
    def zero(cls, columns: np.ndarray) -> HostRecovery:
        """Nothing recovered, over ``columns`` (the start of a sum over bands)."""
        z = np.zeros(len(columns))
        return cls(np.asarray(columns, dtype=np.int64), z, z.copy(), z.copy(), 0.0)

    def __add__(self, other: HostRecovery) -> HostRecovery:
        if not np.array_equal(self.columns, other.columns):
            raise EstateError("host recoveries over different candidate columns cannot be added")
        return HostRecovery(self.columns, self.recovered + other.recovered, self.reconnected + other.reconnected,
                            self.minutes_saved + other.minutes_saved, self.newly_beyond + other.newly_beyond)


#: the most (unit, candidate) cells :func:`host_recovery` reads at once (4 million: 16 MB of seconds)
BLOCK_CELLS = 4_000_000


def _candidate_groups(times: np.ndarray | SparseTimes, cand: np.ndarray, n_units: int) -> list[slice]:
    """Consecutive groups of ``cand``, each at most :data:`BLOCK_CELLS` cells of ``n_units`` rows and, on
    the sparse layout, at most :data:`BLOCK_CELLS` stored pairs (a few rows of thousands of columns
    would otherwise walk every stored pair at once)."""
    step = max(1, BLOCK_CELLS // max(n_units, 1))
    if isinstance(times, SparseTimes):
        return times.column_groups(cand, BLOCK_CELLS, max_cols=step)
    return [slice(lo, lo + step) for lo in range(0, len(cand), step)]


def host_recovery(times: np.ndarray | SparseTimes, units: np.ndarray, before: np.ndarray, after: np.ndarray,
                  weights: np.ndarray, candidates: np.ndarray, threshold: float) -> HostRecovery:
    """Score every candidate column for the residents of ``units`` (their minutes ``before`` / ``after``).

    One ``units x candidates`` block of the matrix, a ``minimum`` and three
    weighted sums: a catchment of 300 units against 2,500 candidates is a few
    milliseconds.

    Examples
    --------
    Two residents' units pushed from 10 and 40 minutes to 50 and 60; candidate 0
    is 20 minutes from both, candidate 1 is 44 from the first and 70 from the second:

    >>> t = np.array([[20., 44.], [20., 70.]]) * 60
    >>> r = host_recovery(t, np.array([0, 1]), np.array([10., 40.]), np.array([50., 60.]),
    ...                   np.array([100., 300.]), np.array([0, 1]), 45)
    >>> r.recovered.tolist(), r.minutes_saved.tolist(), r.newly_beyond
    ([400.0, 100.0], [15000.0, 600.0], 400.0)
    """
    units = np.asarray(units, dtype=np.int64)
    cand = np.asarray(candidates, dtype=np.int64)
    before = np.asarray(before, dtype=np.float64)
    after = np.asarray(after, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if len(units) == 0 or len(cand) == 0:
        z = np.zeros(len(cand))
        return HostRecovery(cand, z, z.copy(), z.copy(), 0.0)
    pushed = (before <= threshold) & (after > threshold)
    lost = ~np.isfinite(after)  # min(inf, t) is t
    fin = np.isfinite(after)
    after_fin = after[fin][:, None]
    recovered, reconnected, saved = (np.zeros(len(cand)) for _ in range(3))
    # candidates in groups, so one block is at most about BLOCK_CELLS (England and Wales: a catchment of
    # thousands of LSOAs against 20,902 candidate hosts would be gigabytes at once)
    for part in _candidate_groups(times, cand, len(units)):
        block = times[np.ix_(units, cand[part])]  # seconds; each group of rows is converted only where used
        if pushed.any():
            # pushed rows have after > threshold, so min(after, t) <= threshold is t <= threshold
            recovered[part] = w[pushed] @ (block[pushed].astype(np.float64) / 60.0 <= threshold)
        if lost.any():
            reconnected[part] = w[lost] @ np.isfinite(block[lost])
        if fin.any():
            new = block[fin].astype(np.float64)
            new /= 60.0
            np.minimum(after_fin, new, out=new)
            saved[part] = w[fin] @ (after_fin - new)
    return HostRecovery(cand, recovered, reconnected, saved, float(w[pushed].sum()))


def best_host(recovery: HostRecovery) -> int | None:
    """Index (into ``recovery.columns``) of the candidate recovering most; ``None`` when none helps at all.

    Ties break by residents brought back into reach, then resident-minutes saved, then
    the lower column (so the choice is reproducible).

    Examples
    --------
    >>> r = HostRecovery(np.array([7, 8, 9]), np.array([5., 9., 9.]), np.zeros(3), np.array([1., 2., 3.]), 10.)
    >>> best_host(r)
    2
    """
    if len(recovery.columns) == 0:
        return None
    order = np.lexsort((recovery.columns, -recovery.minutes_saved, -recovery.reconnected, -recovery.recovered))
    k = int(order[0])
    if recovery.recovered[k] <= 0 and recovery.reconnected[k] <= 0 and recovery.minutes_saved[k] <= 0:
        return None
    return k
