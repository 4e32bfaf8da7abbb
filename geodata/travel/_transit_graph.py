"""Stop-graph plumbing of the transit engine: assemble, route, and build matrices.

A :class:`ServiceNetwork` is a source-neutral description of one network variant
(what runs in a time band): stops in EPSG:27700 metres, *lines* (a bus route in one
direction, a Tube line, a GTFS route and direction) with a headway and a boarding
allowance, and *ride links* between consecutive stops of a line, in seconds.  The TfL
reader (:mod:`geodata.travel.transit`) and the GTFS reader
(:mod:`geodata.travel._gtfs`) both produce one.

:func:`build_graph` turns it into a directed graph with two kinds of node:

* one **stop node** per stop;
* one **line node** per (stop, line) pair, i.e. "on board line L at stop S".

and four kinds of edge (weights in seconds):

* board: stop -> line node, half the line's headway plus the boarding allowance;
* alight: line node -> stop, 0;
* ride: line node -> next line node of the same line, the in-vehicle time;
* transfer: stop -> stop within the transfer radius, walking time both ways.

Origins and destinations are joined to stops within the access radius by walking
links.  :func:`travel_matrix` runs :func:`scipy.sparse.csgraph.dijkstra` from the
destinations over the reversed graph and reduces to origins with a min-plus over the
access links; :func:`shortest_path` returns the legs of one journey.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geodata._proc import die_with_parent
from geodata.errors import DataError, TransitDataWarning
from geodata.travel.base import ProgressFn
from geodata.travel.transit_settings import wait_seconds

__all__ = [
    "PairMetres",
    "RawLeg",
    "ServiceNetwork",
    "StopGraph",
    "TransitDataWarning",
    "assemble_network",
    "build_graph",
    "near_links",
    "shortest_path",
    "travel_matrix",
]

log = logging.getLogger(__name__)


#: edge kinds, stored per edge so journeys can be explained
BOARD, ALIGHT, RIDE, TRANSFER = 0, 1, 2, 3


@dataclass(frozen=True, eq=False)
class ServiceNetwork:
    """Stops, lines and ride links of one network variant.

    Arrays are aligned: ``stop_*`` has one entry per stop, ``line_*`` one per line,
    ``node_*`` one per line node (a (stop, line) pair) and ``ride_*`` one per ride
    link between line nodes.
    """

    stop_ids: np.ndarray
    stop_names: np.ndarray
    stop_x: np.ndarray
    stop_y: np.ndarray
    line_names: np.ndarray
    line_modes: np.ndarray
    #: mean interval between departures, seconds
    line_headway_s: np.ndarray
    #: boarding allowance, seconds (added to the wait of half a headway)
    line_board_s: np.ndarray
    node_stop: np.ndarray
    node_line: np.ndarray
    ride_from: np.ndarray
    ride_to: np.ndarray
    ride_s: np.ndarray
    #: whether passengers may board / alight at each line node (GTFS pickup and drop-off)
    node_board: np.ndarray
    node_alight: np.ndarray
    #: per line node, the headway where it differs from its line's (seconds; NaN = the line's)
    node_headway_s: np.ndarray | None = None
    #: walking links with a given time between stops (e.g. a timetable's interchange
    #: walks), stop indices and seconds; added to the proximity transfers
    xfer_from: np.ndarray | None = None
    xfer_to: np.ndarray | None = None
    xfer_s: np.ndarray | None = None

    @property
    def n_stops(self) -> int:
        """Number of stops."""
        return len(self.stop_ids)

    @property
    def n_nodes(self) -> int:
        """Number of line nodes."""
        return len(self.node_stop)

    def summary(self) -> str:
        """A one-line count of stops, lines, line nodes and ride links."""
        return (
            f"{self.n_stops} stops, {len(self.line_names)} lines, "
            f"{self.n_nodes} line nodes, {len(self.ride_s)} ride links"
        )


def assemble_network(
    stops: pd.DataFrame,
    lines: pd.DataFrame,
    rides: pd.DataFrame,
    *,
    node_flags: pd.DataFrame | None = None,
    walks: pd.DataFrame | None = None,
) -> ServiceNetwork:
    """Assemble a :class:`ServiceNetwork` from three tables.

    Parameters
    ----------
    stops
        Columns ``id`` (unique), ``name``, ``x``, ``y`` (EPSG:27700 metres).
    lines
        Columns ``name``, ``mode``, ``headway_s``, ``board_s``; the row position is
        the line number used in ``rides``.
    rides
        Columns ``line`` (row position in ``lines``), ``stop_a``, ``stop_b`` (stop
        ids) and ``seconds``: a vehicle of that line runs from a to b in that time.
        Duplicates keep the shortest time; stops and lines without rides are dropped.
    node_flags
        Optional columns ``line``, ``stop`` (id), ``board``, ``alight`` (bool): where a
        line lets passengers on or off.  Unlisted (line, stop) pairs allow both.  An
        optional column ``headway_s`` overrides the line's headway at that stop.
    walks
        Optional columns ``stop_a``, ``stop_b`` (ids), ``seconds``: walking links with a
        given time (both ways), kept where both stops are in the network.
    """
    stop_ids = stops["id"].to_numpy().astype(str)
    order = np.argsort(stop_ids, kind="stable")
    sorted_ids = stop_ids[order]
    if len(sorted_ids) > 1 and (sorted_ids[1:] == sorted_ids[:-1]).any():
        dup = str(sorted_ids[1:][sorted_ids[1:] == sorted_ids[:-1]][0])
        raise DataError(f"transit network: stop id {dup!r} appears twice; stop ids must be unique")

    def lookup_maybe(ids: np.ndarray) -> np.ndarray:
        """Row positions of ``ids`` in ``stops``, -1 where unknown."""
        if len(sorted_ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
        return np.where(sorted_ids[pos] == ids, order[pos], -1).astype(np.int64)

    def lookup(ids: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(sorted_ids, ids)
        pos = np.clip(pos, 0, max(len(sorted_ids) - 1, 0))
        if len(ids) and (len(sorted_ids) == 0 or (sorted_ids[pos] != ids).any()):
            bad = ids[(len(sorted_ids) == 0) | (sorted_ids[pos] != ids)][:3]
            raise DataError(
                f"transit network: rides refer to stops not in the stop list, e.g. {bad.tolist()}"
            )
        return order[pos]

    a = lookup(rides["stop_a"].to_numpy().astype(str))
    b = lookup(rides["stop_b"].to_numpy().astype(str))
    line = rides["line"].to_numpy().astype(np.int64)
    secs = rides["seconds"].to_numpy().astype(np.float64)
    keep = (a != b) & np.isfinite(secs)
    a, b, line, secs = a[keep], b[keep], line[keep], np.maximum(secs[keep], 0.0)

    # keep only used lines and stops, renumbered
    used_lines, line = np.unique(line, return_inverse=True)
    used_stops, ab = np.unique(np.concatenate([a, b]), return_inverse=True)
    a, b = ab[: len(a)], ab[len(a) :]
    n_s = len(used_stops)

    # line nodes: one per (line, stop) pair
    keys = np.concatenate([line * n_s + a, line * n_s + b])
    node_keys, inv = np.unique(keys, return_inverse=True)
    ride_from, ride_to = inv[: len(a)], inv[len(a) :]
    # duplicate ride links keep their shortest time
    rk = np.lexsort((secs, ride_to, ride_from))
    ride_from, ride_to, secs = ride_from[rk], ride_to[rk], secs[rk]
    first = np.ones(len(rk), dtype=bool)
    first[1:] = (ride_from[1:] != ride_from[:-1]) | (ride_to[1:] != ride_to[:-1])

    node_hw: np.ndarray | None = None
    node_board = np.ones(len(node_keys), dtype=bool)
    node_alight = np.ones(len(node_keys), dtype=bool)
    if node_flags is not None and len(node_flags):
        f_stop = lookup(node_flags["stop"].to_numpy().astype(str))
        f_line = node_flags["line"].to_numpy().astype(np.int64)
        li = np.searchsorted(used_lines, f_line)
        si = np.searchsorted(used_stops, f_stop)
        ok = (li < len(used_lines)) & (si < n_s)
        ok[ok] &= (used_lines[li[ok]] == f_line[ok]) & (used_stops[si[ok]] == f_stop[ok])
        fk = li[ok] * n_s + si[ok]
        pos = np.searchsorted(node_keys, fk)
        hit = pos < len(node_keys)
        hit[hit] &= node_keys[pos[hit]] == fk[hit]
        if "board" in node_flags:
            node_board[pos[hit]] = node_flags["board"].to_numpy(dtype=bool)[ok][hit]
        if "alight" in node_flags:
            node_alight[pos[hit]] = node_flags["alight"].to_numpy(dtype=bool)[ok][hit]
        if "headway_s" in node_flags:
            node_hw = np.full(len(node_keys), np.nan)
            node_hw[pos[hit]] = node_flags["headway_s"].to_numpy(dtype=np.float64)[ok][hit]
    xf = xt = xs = None
    if walks is not None and len(walks):
        wa = np.searchsorted(used_stops, lookup_maybe(walks["stop_a"].to_numpy().astype(str)))
        wb = np.searchsorted(used_stops, lookup_maybe(walks["stop_b"].to_numpy().astype(str)))
        ra = lookup_maybe(walks["stop_a"].to_numpy().astype(str))
        rb = lookup_maybe(walks["stop_b"].to_numpy().astype(str))
        wa = np.clip(wa, 0, max(n_s - 1, 0))
        wb = np.clip(wb, 0, max(n_s - 1, 0))
        okw = (ra >= 0) & (rb >= 0) & (n_s > 0)
        okw[okw] &= (used_stops[wa[okw]] == ra[okw]) & (used_stops[wb[okw]] == rb[okw])
        xf, xt = wa[okw].astype(np.int64), wb[okw].astype(np.int64)
        xs = walks["seconds"].to_numpy(dtype=np.float64)[okw]

    st = stops.iloc[used_stops]
    ln = lines.iloc[used_lines]
    return ServiceNetwork(
        stop_ids=st["id"].to_numpy().astype(str),
        stop_names=st["name"].fillna("").to_numpy().astype(str),
        stop_x=st["x"].to_numpy(dtype=np.float64),
        stop_y=st["y"].to_numpy(dtype=np.float64),
        line_names=ln["name"].to_numpy().astype(str),
        line_modes=ln["mode"].to_numpy().astype(str),
        line_headway_s=ln["headway_s"].to_numpy(dtype=np.float64),
        line_board_s=ln["board_s"].to_numpy(dtype=np.float64),
        node_stop=(node_keys % n_s).astype(np.int64),
        node_line=(node_keys // n_s).astype(np.int64),
        ride_from=ride_from[first].astype(np.int64),
        ride_to=ride_to[first].astype(np.int64),
        ride_s=secs[first],
        node_board=node_board,
        node_alight=node_alight,
        node_headway_s=node_hw,
        xfer_from=xf,
        xfer_to=xt,
        xfer_s=xs,
    )


@dataclass(eq=False)
class StopGraph:
    """A :class:`ServiceNetwork` as a weighted directed graph (seconds).

    Nodes ``0 .. n_stops-1`` are stops, ``n_stops ..`` line nodes.  ``row``, ``col``,
    ``weight`` and ``kind`` list the edges (one per node pair, the shortest).
    """

    net: ServiceNetwork
    row: np.ndarray
    col: np.ndarray
    weight: np.ndarray
    kind: np.ndarray
    tree: cKDTree
    _csr: Any = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of graph nodes (stops plus line nodes)."""
        return self.net.n_stops + self.net.n_nodes

    @property
    def n_edges(self) -> int:
        """Number of graph edges."""
        return len(self.row)

    def csr(self) -> sp.csr_array:
        """The forward graph as a CSR array (explicit zeros are zero-time edges)."""
        if self._csr is None:
            n = self.n_nodes
            self._csr = sp.csr_array((self.weight, (self.row, self.col)), shape=(n, n))
        return self._csr


def _dedupe_min(
    row: np.ndarray, col: np.ndarray, w: np.ndarray, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keep the lightest edge of each (row, col) pair (CSR would sum duplicates)."""
    o = np.lexsort((w, col, row))
    row, col, w, kind = row[o], col[o], w[o], kind[o]
    first = np.ones(len(o), dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    return row[first], col[first], w[first], kind[first]


def node_headways(net: ServiceNetwork) -> np.ndarray:
    """Each line node's headway in seconds (its own where given, else its line's)."""
    headway = net.line_headway_s[net.node_line]
    if net.node_headway_s is not None:
        headway = np.where(np.isfinite(net.node_headway_s), net.node_headway_s, headway)
    return headway


def build_graph(
    net: ServiceNetwork,
    *,
    walk_mps: float,
    transfer_m: float,
    pair_metres: PairMetres | None = None,
    planned_wait: tuple[float, float, float] | None = None,
) -> StopGraph:
    """Build the stop graph of ``net``.

    Parameters
    ----------
    net
        The network variant.
    walk_mps
        Effective walking speed over *straight-line* distance, metres per second
        (walking speed divided by the detour factor).
    transfer_m
        Stops closer than this (straight line) are joined by walking transfers.
    pair_metres
        The walking distance between two points where it is not the straight line
        (a river between them); see :func:`near_links`.
    planned_wait
        ``(from_min, base_min, slope)``: the wait beyond a ``from_min`` headway (see
        :func:`wait_seconds`); None: always half the headway.
    """
    n_s = net.n_stops
    k = np.arange(net.n_nodes, dtype=np.int64)
    wait = wait_seconds(node_headways(net), planned_wait) + net.line_board_s[net.node_line]
    xy = np.column_stack([net.stop_x, net.stop_y])
    tree = cKDTree(xy) if n_s else cKDTree(np.zeros((1, 2)))
    if n_s > 1 and transfer_m > 0:
        pairs = tree.query_pairs(transfer_m, output_type="ndarray").astype(np.int64)
    else:
        pairs = np.empty((0, 2), dtype=np.int64)
    if pair_metres is not None and len(pairs):
        dist = pair_metres(xy[pairs[:, 0]], xy[pairs[:, 1]])
    else:
        dist = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T) if len(pairs) else np.empty(0)
    tw = dist / walk_mps
    if net.xfer_s is not None and net.xfer_from is not None and net.xfer_to is not None:
        extra = np.column_stack([net.xfer_from, net.xfer_to]).astype(np.int64)
        pairs = np.concatenate([pairs, extra])
        tw = np.concatenate([tw, net.xfer_s])
    kb, ka = k[net.node_board], k[net.node_alight]
    row = np.concatenate(
        [net.node_stop[kb], n_s + ka, n_s + net.ride_from, pairs[:, 0], pairs[:, 1]]
    )
    col = np.concatenate([n_s + kb, net.node_stop[ka], n_s + net.ride_to, pairs[:, 1], pairs[:, 0]])
    w = np.concatenate([wait[kb], np.zeros(len(ka)), net.ride_s, tw, tw])
    kind = np.concatenate(
        [
            np.full(len(kb), BOARD),
            np.full(len(ka), ALIGHT),
            np.full(len(net.ride_s), RIDE),
            np.full(2 * len(tw), TRANSFER),
        ]
    ).astype(np.int8)
    row, col, w, kind = _dedupe_min(row, col, w, kind)
    return StopGraph(net=net, row=row, col=col, weight=w, kind=kind, tree=tree)


#: ``pair_metres(a_xy, b_xy)``: the walking distance (straight line, or via a river
#: crossing) between aligned arrays of points, before the detour factor
PairMetres = Callable[[np.ndarray, np.ndarray], np.ndarray]


def near_links(
    graph: StopGraph,
    xy: np.ndarray,
    *,
    radius_m: float,
    walk_mps: float,
    nearest: int = 0,
    max_m: float = np.inf,
    pair_metres: PairMetres | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walking links from points to stops: every stop within ``radius_m`` (straight
    line) and, beyond it, the ``nearest`` closest stops up to ``max_m``.

    So a point far from every stop still walks to the nearest ones (up to the
    cutoff), instead of being stranded by the radius.  ``pair_metres`` replaces the
    straight-line distance (e.g. to route a walk over a river crossing).  Returns
    ``(point, stop, seconds)`` arrays sorted by point.
    """
    e = np.empty(0, dtype=np.int64)
    if graph.net.n_stops == 0 or len(xy) == 0:
        return e, e, np.empty(0)
    xy = np.asarray(xy, dtype=np.float64)
    hits = graph.tree.query_ball_point(xy, radius_m)
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    point = np.repeat(np.arange(len(xy), dtype=np.int64), counts)
    stop = (
        np.fromiter((s for h in hits for s in h), dtype=np.int64, count=int(counts.sum()))
        if counts.sum()
        else e
    )
    k = min(int(nearest), graph.net.n_stops)
    if k > 0:
        d_k, i_k = graph.tree.query(xy, k=k, distance_upper_bound=max_m)
        d_k = np.asarray(d_k).reshape(len(xy), k)
        i_k = np.asarray(i_k).reshape(len(xy), k)
        far = np.isfinite(d_k) & (d_k > radius_m)
        point = np.concatenate([point, np.nonzero(far)[0].astype(np.int64)])
        stop = np.concatenate([stop, i_k[far].astype(np.int64)])
        o = np.argsort(point, kind="stable")
        point, stop = point[o], stop[o]
    sxy = np.column_stack([graph.net.stop_x[stop], graph.net.stop_y[stop]])
    if pair_metres is not None:
        d = pair_metres(xy[point], sxy)
    else:
        d = np.hypot(sxy[:, 0] - xy[point, 0], sxy[:, 1] - xy[point, 1])
    return point, stop, d / walk_mps


def _reach(
    access_m: float, walk_mps: float, nearest: int, cutoff_s: float, pair_metres: PairMetres | None
) -> dict[str, Any]:
    """The :func:`near_links` arguments of a matrix or a journey: the radius, the nearest
    stops beyond it up to the walk the cutoff allows, and the river rule."""
    return {
        "radius_m": access_m,
        "walk_mps": walk_mps,
        "nearest": nearest,
        "max_m": cutoff_s * walk_mps,
        "pair_metres": pair_metres,
    }


def _reverse_with_targets(
    graph: StopGraph, t_point: np.ndarray, t_stop: np.ndarray, t_s: np.ndarray, n_targets: int
) -> sp.csr_array:
    """The reversed graph plus one node per target with edges target -> its stops."""
    n = graph.n_nodes
    row = np.concatenate([graph.col, n + t_point])
    col = np.concatenate([graph.row, t_stop])
    w = np.concatenate([graph.weight, t_s])
    kind = np.zeros(len(w), dtype=np.int8)
    row, col, w, _ = _dedupe_min(row, col, w, kind)
    m = n + n_targets
    return sp.csr_array((w, (row, col)), shape=(m, m))


@dataclass(frozen=True, eq=False)
class _Work:
    """What each chunk of Dijkstra runs needs (read-only)."""

    graph: sp.csr_array
    limit: float
    n_stops: int
    a_stop: np.ndarray
    a_s: np.ndarray
    starts: np.ndarray

    def times(self, sources: np.ndarray) -> np.ndarray:
        """Min-plus from the targets in ``sources`` to every linked origin.

        Returns shape ``(len(sources), n_linked_origins)``: for each target, the
        minimum over an origin's access links of walk + graph time from the stop.
        """
        dist = dijkstra(self.graph, directed=True, indices=sources, limit=self.limit)
        # stop columns only, as float32, then gather (much faster than gathering float64)
        at_stops = dist[:, : self.n_stops].astype(np.float32)
        del dist
        sub = np.take(at_stops, self.a_stop, axis=1)
        sub += self.a_s
        return np.minimum.reduceat(sub, self.starts, axis=1)


# the work of the current matrix, inherited by forked worker processes: set only while
# a pool runs, and pools run only when this is the process's single thread
_FORKED: list[_Work] = []


def _forked_times(sources: np.ndarray) -> np.ndarray:
    return _FORKED[0].times(sources)


def _chunks(n: int, size: int) -> Iterator[np.ndarray]:
    for start in range(0, n, size):
        yield np.arange(start, min(start + size, n))


def travel_matrix(
    graph: StopGraph,
    origins_xy: np.ndarray,
    dests_xy: np.ndarray,
    *,
    access_m: float,
    walk_mps: float,
    cutoff_s: float,
    access_nearest: int = 0,
    pair_metres: PairMetres | None = None,
    chunk: int = 64,
    workers: int = 1,
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """Public-transport-only travel times, seconds, shape ``(n_origins, n_dests)``.

    A journey is: walk to a stop (one within ``access_m``, or one of the
    ``access_nearest`` nearest, see :func:`near_links`), then graph edges, then walk
    from such a stop to the destination.  ``inf`` where there is no such
    journey within ``cutoff_s``.  The caller applies the walk-all-the-way cap.

    Runs one Dijkstra per distinct destination point on the reversed graph (in chunks
    of ``chunk`` sources, in ``workers`` forked processes when ``workers > 1``), then
    reduces to origins with ``np.minimum.reduceat`` over the origin-sorted access links.
    """
    origins_xy = np.asarray(origins_xy, dtype=np.float64).reshape(-1, 2)
    dests_xy = np.asarray(dests_xy, dtype=np.float64).reshape(-1, 2)
    n_o, n_d = len(origins_xy), len(dests_xy)
    out = np.full((n_o, n_d), np.inf, dtype=np.float32)
    if n_o == 0 or n_d == 0 or graph.net.n_stops == 0:
        return out

    # destinations at the same spot share one Dijkstra
    uniq_xy, d_inv = np.unique(dests_xy, axis=0, return_inverse=True)
    d_inv = d_inv.reshape(-1)
    reach = _reach(access_m, walk_mps, access_nearest, cutoff_s, pair_metres)
    e_pt, e_stop, e_s = near_links(graph, uniq_xy, **reach)
    a_pt, a_stop, a_s = near_links(graph, origins_xy, **reach)
    if len(e_pt) == 0 or len(a_pt) == 0:
        return out
    linked_d = np.unique(e_pt)
    linked_o, starts = np.unique(a_pt, return_index=True)
    g = _reverse_with_targets(graph, e_pt, e_stop, e_s, len(uniq_xy))
    sources = graph.n_nodes + linked_d
    log.debug(
        "transit matrix: %d origins (%d near a stop), %d destinations (%d distinct, %d near a stop), "
        "%d access links, graph %d nodes",
        n_o,
        len(linked_o),
        n_d,
        len(uniq_xy),
        len(linked_d),
        len(a_pt),
        g.shape[0],
    )
    uniq_times = np.full((len(uniq_xy), len(linked_o)), np.inf, dtype=np.float32)
    work = _Work(g, float(cutoff_s), graph.net.n_stops, a_stop, a_s.astype(np.float32), starts)
    parts = list(_chunks(len(sources), chunk))
    size = len(sources) * g.shape[0]
    pool = workers > 1 and len(parts) > 1 and size >= PARALLEL_MIN_WORK and _can_fork()
    log.debug(
        "transit matrix: %d Dijkstra runs in %d chunks, %s",
        len(sources),
        len(parts),
        f"{workers} processes" if pool else "in this process",
    )
    done = 0
    if pool:
        import multiprocessing as mp

        _FORKED[:] = [work]
        try:
            ctx = mp.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=die_with_parent,
                                     initargs=(os.getpid(),)) as ex:
                results = ex.map(_forked_times, [sources[p] for p in parts])
                for p, res in zip(parts, results, strict=True):
                    uniq_times[linked_d[p]] = res
                    done += len(p)
                    if progress:
                        progress(done, len(sources))
        finally:
            _FORKED.clear()
    else:
        for p in parts:
            uniq_times[linked_d[p]] = work.times(sources[p])
            done += len(p)
            if progress:
                progress(done, len(sources))
    out[linked_o, :] = uniq_times[d_inv].T
    out[out > cutoff_s] = np.inf
    return out


#: run Dijkstra in worker processes only above this many (sources x nodes): below it
#: starting the processes costs more than it saves
PARALLEL_MIN_WORK = 2e7


def _can_fork() -> bool:
    """Fork workers only where fork exists and no other thread could hold a lock."""
    import multiprocessing as mp
    import threading

    return (
        os.name == "posix"
        and "fork" in mp.get_all_start_methods()
        and threading.active_count() == 1
    )


@dataclass(frozen=True)
class RawLeg:
    """One step of a journey through the graph (indices into the network's arrays).

    ``kind`` is ``walk`` (access or egress), ``wait``, ``ride`` or ``transfer``;
    ``from_stop``/``to_stop`` are stop indices (-1 for the origin or destination).
    """

    kind: str
    seconds: float
    from_stop: int
    to_stop: int
    line: int = -1
    n_stops: int = 0
    #: a wait's headway (seconds) at that stop
    headway_s: float = float("nan")


def shortest_path(
    graph: StopGraph,
    origin_xy: tuple[float, float],
    dest_xy: tuple[float, float],
    *,
    access_m: float,
    walk_mps: float,
    cutoff_s: float,
    access_nearest: int = 0,
    pair_metres: PairMetres | None = None,
) -> list[RawLeg] | None:
    """The fastest public-transport journey as legs, or None if none within ``cutoff_s``."""
    o = np.asarray([origin_xy], dtype=np.float64)
    d = np.asarray([dest_xy], dtype=np.float64)
    reach = _reach(access_m, walk_mps, access_nearest, cutoff_s, pair_metres)
    _, a_stop, a_s = near_links(graph, o, **reach)
    _, e_stop, e_s = near_links(graph, d, **reach)
    if len(a_stop) == 0 or len(e_stop) == 0:
        return None
    n = graph.n_nodes
    src, dst = n, n + 1
    row = np.concatenate([graph.row, np.full(len(a_stop), src), e_stop])
    col = np.concatenate([graph.col, a_stop, np.full(len(e_stop), dst)])
    w = np.concatenate([graph.weight, a_s, e_s])
    kind = np.concatenate([graph.kind, np.full(len(a_s) + len(e_s), TRANSFER, dtype=np.int8)])
    row, col, w, kind = _dedupe_min(row, col, w, kind)
    g = sp.csr_array((w, (row, col)), shape=(n + 2, n + 2))
    dist, pred = dijkstra(g, directed=True, indices=src, limit=cutoff_s, return_predecessors=True)
    if not np.isfinite(dist[dst]):
        return None
    path = [dst]
    while path[-1] != src:
        path.append(int(pred[path[-1]]))
    path.reverse()

    # edge lookup for the path's consecutive pairs
    def edge(u: int, v: int) -> tuple[float, int]:
        lo, hi = np.searchsorted(row, u), np.searchsorted(row, u, side="right")
        j = lo + int(np.flatnonzero(col[lo:hi] == v)[0])
        return float(w[j]), int(kind[j])

    net = graph.net
    n_s = net.n_stops

    def stop_of(node: int) -> int:
        if node >= n:
            return -1
        return node if node < n_s else int(net.node_stop[node - n_s])

    legs: list[RawLeg] = []
    for u, v in itertools.pairwise(path):
        secs, k = edge(u, v)
        if u == src or v == dst:
            legs.append(RawLeg("walk", secs, stop_of(u), stop_of(v)))
        elif k == BOARD:
            legs.append(RawLeg("wait", secs, u, u, line=int(net.node_line[v - n_s]),
                               headway_s=float(node_headways(net)[v - n_s])))
        elif k == RIDE:
            line = int(net.node_line[v - n_s])
            last = legs[-1] if legs else None
            if last is not None and last.kind == "ride" and last.line == line:
                legs[-1] = RawLeg(
                    "ride",
                    last.seconds + secs,
                    last.from_stop,
                    stop_of(v),
                    line=line,
                    n_stops=last.n_stops + 1,
                )
            else:
                legs.append(RawLeg("ride", secs, stop_of(u), stop_of(v), line=line, n_stops=1))
        elif k == TRANSFER:
            legs.append(RawLeg("transfer", secs, u, v))
        # ALIGHT edges take no time and need no leg
    return legs
