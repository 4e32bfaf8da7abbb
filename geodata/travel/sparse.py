"""Sparse, site-partitioned travel-time matrices: per site, only the units within the cutoff.

A dense matrix holds every (unit, site) pair: 4 bytes x units x sites, 3.1 GB for
England and Wales (35,672 LSOAs x about 22,000 candidate hosts), whatever the
cutoff.  :class:`SparseTimes` holds, for each site column, the units reached
within ``cutoff_s`` and their times (compressed sparse columns: ``indptr`` per
column, ``indices`` of units, ``data`` seconds as float32), so memory follows the
pairs within reach: 8 bytes a pair.  A pair not stored is beyond the cutoff,
exactly as ``inf`` in a dense matrix.

It answers what the consumers ask of a dense matrix, with the same results:

* ``times[:, cols]`` and ``times[np.ix_(rows, cols)]``: a dense float32 block
  (``inf`` where not stored), for the few columns a closure or a case reads;
* :meth:`SparseTimes.nearest`: each unit's nearest open site, a scatter-min over
  the open columns' entries (the first column in ``columns`` order on ties, as
  :func:`estate.coverage.nearest` on a dense matrix);
* :meth:`SparseTimes.count_within`: sites within a time, per unit.

:func:`nearest_of` and :func:`count_within` take either layout.

Examples
--------
>>> dense = np.array([[60., np.inf], [300., 30.]], dtype=np.float32)
>>> s = SparseTimes.from_dense(dense)
>>> s.nnz, s[:, [1, 0]].tolist()
(3, [[inf, 60.0], [30.0, 300.0]])
>>> s.nearest(np.array([0, 1]))
(array([60., 30.], dtype=float32), array([0, 1]))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geodata.errors import DataError

__all__ = ["SPARSE_ABOVE_PAIRS", "SparseTimes", "count_within", "dense_bytes", "nearest_of"]

#: Above this many (unit, site) pairs the planner stores matrices sparse (50 million
#: pairs: a 200 MB dense float32 matrix).  London (4,994 x 2,491 = 12.4 million) and
#: any one force stay dense, so they keep the dense layout's speed.
SPARSE_ABOVE_PAIRS = 50_000_000

_POS_BITS = 32
_POS_MASK = (1 << _POS_BITS) - 1


def dense_bytes(n_units: int, n_sites: int) -> int:
    """What a dense float32 matrix of this shape takes (twice that at peak while built or loaded)."""
    return 4 * int(n_units) * int(n_sites)


def _as_columns(cols: Any, n: int) -> np.ndarray:
    if isinstance(cols, slice):
        return np.arange(n)[cols]
    c = np.asarray(cols)
    if c.dtype == bool:
        return np.flatnonzero(c)
    c = c.astype(np.int64, copy=False).reshape(-1)
    if c.size and (c.min() < -n or c.max() >= n):
        raise DataError(f"column index out of range for {n} sites")
    return np.where(c < 0, c + n, c)


@dataclass(frozen=True, eq=False)
class SparseTimes:
    """A units x sites matrix of seconds holding only the pairs within ``cutoff_s``, by site column.

    ``indptr`` (int64, sites + 1), ``indices`` (int32 unit index, ascending within
    each column) and ``data`` (float32 seconds, finite, at most ``cutoff_s``).
    """

    shape: tuple[int, int]
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    cutoff_s: float = float("inf")

    dtype = np.dtype(np.float32)
    ndim = 2

    def __post_init__(self) -> None:
        n, m = (int(v) for v in self.shape)
        object.__setattr__(self, "shape", (n, m))
        ip = np.ascontiguousarray(self.indptr, dtype=np.int64)
        ix = np.ascontiguousarray(self.indices, dtype=np.int32)
        d = np.ascontiguousarray(self.data, dtype=np.float32)
        if ip.shape != (m + 1,) or ip[0] != 0 or ip[-1] != len(ix) or len(ix) != len(d):
            raise DataError(f"sparse matrix {self.shape}: indptr, indices and data do not agree")
        if len(ip) > 1 and (np.diff(ip) < 0).any():
            raise DataError(f"sparse matrix {self.shape}: indptr is not ascending")
        if len(ix) and (ix.min() < 0 or ix.max() >= n):
            raise DataError(f"sparse matrix {self.shape}: a unit index is out of range")
        if len(d) and not (np.isfinite(d).all() and d.min() >= 0):
            raise DataError(f"sparse matrix {self.shape}: times must be finite seconds of 0 or more")
        object.__setattr__(self, "indptr", ip)
        object.__setattr__(self, "indices", ix)
        object.__setattr__(self, "data", d)

    # ---- construction -----------------------------------------------------------
    @classmethod
    def from_dense(cls, times: np.ndarray, cutoff_s: float = float("inf")) -> SparseTimes:
        """The pairs of a dense matrix that are finite and within ``cutoff_s``."""
        t = np.asarray(times, dtype=np.float32)
        keep = np.isfinite(t) & (t <= np.float32(cutoff_s) if np.isfinite(cutoff_s) else np.isfinite(t))
        # column-major walk: np.nonzero on the transpose gives (column, unit) in column order
        cols, rows = np.nonzero(keep.T)
        indptr = np.zeros(t.shape[1] + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=t.shape[1]), out=indptr[1:])
        return cls(t.shape, indptr, rows.astype(np.int32), t[rows, cols], float(cutoff_s))

    @classmethod
    def from_pairs(cls, shape: tuple[int, int], units: np.ndarray, sites: np.ndarray, seconds: np.ndarray,
                   cutoff_s: float = float("inf")) -> SparseTimes:
        """From (unit, site, seconds) triples, in any order (each pair at most once)."""
        u = np.asarray(units, dtype=np.int64)
        s = np.asarray(sites, dtype=np.int64)
        order = np.lexsort((u, s))
        indptr = np.zeros(int(shape[1]) + 1, dtype=np.int64)
        np.cumsum(np.bincount(s, minlength=int(shape[1])), out=indptr[1:])
        return cls(shape, indptr, u[order].astype(np.int32), np.asarray(seconds, np.float32)[order], float(cutoff_s))

    @classmethod
    def hstack(cls, parts: Sequence[SparseTimes]) -> SparseTimes:
        """Column blocks side by side (chunks of sites in order), one copy."""
        if not parts:
            raise DataError("no sparse chunks to join")
        n = parts[0].shape[0]
        if any(p.shape[0] != n for p in parts):
            raise DataError("sparse chunks have different numbers of units")
        offs = np.cumsum([0] + [len(p.indices) for p in parts])
        indptr = np.concatenate([[0]] + [p.indptr[1:] + o for p, o in zip(parts, offs[:-1], strict=True)])
        return cls((n, sum(p.shape[1] for p in parts)), indptr,
                   np.concatenate([p.indices for p in parts]), np.concatenate([p.data for p in parts]),
                   min(p.cutoff_s for p in parts))

    # ---- what the consumers ask -------------------------------------------------
    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nnz(self) -> int:
        """Pairs stored."""
        return len(self.data)

    @property
    def nbytes(self) -> int:
        """Bytes held (indptr, indices, data)."""
        return int(self.indptr.nbytes + self.indices.nbytes + self.data.nbytes)

    def entries(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``indices``/``data`` of every entry of ``cols``, and each entry's position in ``cols``.

        Many distinct columns (a scenario's thousands of open sites): one mask over
        every stored pair by its column (the per-pair column index is made once, 4
        bytes a pair).  Few, or repeated, columns: their ranges, one after another.
        """
        starts = self.indptr[cols]
        lens = self.indptr[cols + 1] - starts
        total = int(lens.sum())
        if total * 4 > self.nnz and len(np.unique(cols)) == len(cols):
            where = np.full(self.shape[1], -1, dtype=np.int64)
            where[cols] = np.arange(len(cols))
            which_all = where[self._column_of()]
            pos = np.flatnonzero(which_all >= 0)
            return pos, which_all[pos]
        which = np.repeat(np.arange(len(cols), dtype=np.int64), lens)
        pos = np.arange(total, dtype=np.int64) + (starts - (np.cumsum(lens) - lens))[which]
        return pos, which

    def column_groups(self, cols: np.ndarray, max_pairs: int, max_cols: int | None = None) -> list[slice]:
        """Consecutive groups of ``cols`` (slices of positions in it), each holding at most
        ``max_pairs`` stored pairs and ``max_cols`` columns (a column with more pairs than that is
        a group of its own): a consumer reads one group at a time and its working memory is bounded.

        Examples
        --------
        >>> t = SparseTimes.from_dense(np.array([[1.0, 2, 3], [4, 5, np.inf]], dtype=np.float32))
        >>> t.column_groups(np.array([0, 1, 2]), max_pairs=3)  # pairs per column: 2, 2, 1
        [slice(0, 1, None), slice(1, 3, None)]
        >>> t.column_groups(np.array([0, 1, 2]), max_pairs=10, max_cols=2)
        [slice(0, 2, None), slice(2, 3, None)]
        """
        cols = np.asarray(cols, dtype=np.int64)
        step = len(cols) if max_cols is None else max(1, int(max_cols))
        pairs = np.cumsum(self.indptr[cols + 1] - self.indptr[cols])
        out, lo = [], 0
        while lo < len(cols):
            before = int(pairs[lo - 1]) if lo else 0
            hi = min(lo + step, int(np.searchsorted(pairs, before + max_pairs, side="right")))
            hi = max(hi, lo + 1)
            out.append(slice(lo, hi))
            lo = hi
        return out

    def _column_of(self) -> np.ndarray:
        """The column of each stored pair (int32), made on first use and kept."""
        got = self.__dict__.get("_col_of")
        if got is None:
            got = np.repeat(np.arange(self.shape[1], dtype=np.int32), np.diff(self.indptr))
            object.__setattr__(self, "_col_of", got)
        return got

    def column(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Units reached from site column ``j`` and their seconds."""
        a, b = self.indptr[j], self.indptr[j + 1]
        return self.indices[a:b], self.data[a:b]

    def __getitem__(self, key: Any) -> np.ndarray:
        if not (isinstance(key, tuple) and len(key) == 2):
            raise DataError("a sparse matrix is indexed as times[rows, cols] (e.g. times[:, cols] or np.ix_)")
        rk, ck = key
        n, m = self.shape
        if isinstance(ck, (int, np.integer)):
            ck = [int(ck)]
            squeeze = True
        else:
            squeeze = False
        cols = _as_columns(ck, m)
        pos, which = self.entries(cols)
        units = self.indices[pos]
        if isinstance(rk, slice) and rk == slice(None):
            out = np.full((n, len(cols)), np.inf, dtype=np.float32)
            out[units, which] = self.data[pos]
        else:
            rows = _as_columns(rk, n)
            where = np.full(n, -1, dtype=np.int64)
            where[rows] = np.arange(len(rows))
            if len(np.unique(rows)) != len(rows):
                raise DataError("repeated rows are not supported on a sparse matrix")
            r = where[units]
            ok = r >= 0
            out = np.full((len(rows), len(cols)), np.inf, dtype=np.float32)
            out[r[ok], which[ok]] = self.data[pos[ok]]
        return out[:, 0] if squeeze else out

    def to_dense(self) -> np.ndarray:
        """The dense float32 matrix (``inf`` where no pair is stored)."""
        return self[:, slice(None)]

    def nearest(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Seconds to, and matrix column of, each unit's nearest site among ``columns``.

        Units with none within the cutoff get ``inf`` and ``-1``.  On a tie, the
        column first in ``columns`` wins (as the dense :func:`estate.coverage.nearest`).
        """
        n = self.shape[0]
        cols = _as_columns(columns, self.shape[1])
        if len(cols) == 0:
            return np.full(n, np.inf, dtype=np.float32), np.full(n, -1, dtype=np.int64)
        pos, which = self.entries(cols)
        # one int64 key per entry: the float32 time's bits (non-negative: they sort as values), then the position
        key = (self.data[pos].view(np.int32).astype(np.int64) << _POS_BITS) | which
        sentinel = np.int64(np.float32(np.inf).view(np.int32)) << _POS_BITS | _POS_MASK
        best = np.full(n, sentinel, dtype=np.int64)
        np.minimum.at(best, self.indices[pos], key)
        reached = best != sentinel
        secs = np.full(n, np.inf, dtype=np.float32)
        secs[reached] = (best[reached] >> _POS_BITS).astype(np.int32).view(np.float32)
        col = np.full(n, -1, dtype=np.int64)
        col[reached] = cols[best[reached] & _POS_MASK]
        return secs, col

    def count_within(self, columns: np.ndarray, seconds: float) -> np.ndarray:
        """Per unit, how many of ``columns`` are within ``seconds`` (int64)."""
        cols = _as_columns(columns, self.shape[1])
        pos, _ = self.entries(cols)
        keep = self.data[pos] <= seconds
        return np.bincount(self.indices[pos][keep], minlength=self.shape[0]).astype(np.int64)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to store (see :func:`geodata.travel.cache.save_arrays`)."""
        return {"indptr": self.indptr, "indices": self.indices, "data": self.data}


def nearest_of(times: np.ndarray | SparseTimes, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds to, and column of, each unit's nearest site among ``columns``, dense or sparse."""
    if isinstance(times, SparseTimes):
        return times.nearest(columns)
    cols = np.asarray(columns, dtype=np.int64)
    n = times.shape[0]
    if len(cols) == 0:
        return np.full(n, np.inf, dtype=np.float32), np.full(n, -1, dtype=np.int64)
    sub = times[:, cols]
    arg = sub.argmin(axis=1)
    best = sub[np.arange(n), arg]
    col = cols[arg]
    col[~np.isfinite(best)] = -1
    return best, col


def count_within(times: np.ndarray | SparseTimes, columns: np.ndarray, seconds: float) -> np.ndarray:
    """Per unit, how many of ``columns`` are within ``seconds``, dense or sparse."""
    if isinstance(times, SparseTimes):
        return times.count_within(columns, seconds)
    cols = np.asarray(columns, dtype=np.int64)
    if len(cols) == 0:
        return np.zeros(times.shape[0], np.int64)
    return (times[:, cols] <= seconds).sum(axis=1).astype(np.int64)
