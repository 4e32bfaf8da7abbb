"""Travel times from one point to many: a single search, not a matrix rebuild.

A point query ("how long from my street to a counter, and to everywhere
else?") needs the times from one origin to every destination.  The engines'
:meth:`~geodata.travel.base.TravelEngine.matrix` already runs one search from
the smaller side for the street and crow-fly engines, so for them a one-row
matrix *is* the one-to-many search.  The transit engine searches from each
destination (on the reversed graph) because a units x sites matrix has far
fewer sites than units; from one point that would be one search per
destination.  :func:`times_from` instead hands the transit engine's own
:func:`travel_matrix` the *reversed* stop graph with origins and destinations
swapped: one Dijkstra from the point over the forward graph, with the very
access, egress and walk-all-the-way rules of the matrix, so a point query and
a matrix cell agree (a test checks it).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from geodata.errors import DataError
from geodata.travel.base import Points, TimeBand, TravelEngine, parse_band

__all__ = ["times_from"]

#: reversed stop graphs, by the id of the forward graph (one per band variant in use)
_REVERSED: dict[int, tuple[Any, Any]] = {}


def _reversed(graph: Any) -> Any:
    hit = _REVERSED.get(id(graph))
    if hit is not None and hit[0] is graph:
        return hit[1]
    rev = dataclasses.replace(graph, row=graph.col, col=graph.row, _csr=None)
    _REVERSED[id(graph)] = (graph, rev)
    return rev


def times_from(engine: TravelEngine, origin_xy: tuple[float, float], destinations: Points,
               band: TimeBand | str) -> np.ndarray:
    """Seconds from one EPSG:27700 point to each destination (``inf`` beyond the engine's cutoff).

    Equals row 0 of ``engine.matrix(Points([origin]), destinations, band)``, at
    the cost of one search.

    Raises
    ------
    DataError
        The origin has no finite coordinates.
    """
    x, y = float(origin_xy[0]), float(origin_xy[1])
    if not (np.isfinite(x) and np.isfinite(y)):
        raise DataError(f"times_from: the origin ({x}, {y}) has no finite coordinates")
    b = parse_band(band)
    origin = Points(np.array(["origin"]), np.array([x]), np.array([y]))
    if len(destinations) == 0:
        return np.empty(0, np.float32)
    if getattr(engine, "name", "") != "transit" or not hasattr(engine, "graph"):
        return np.asarray(engine.matrix(origin, destinations, b), np.float32)[0]
    return _transit_times_from(engine, origin, destinations, b)


def _transit_times_from(engine: Any, origin: Points, destinations: Points, band: TimeBand) -> np.ndarray:
    """The transit matrix's rules, searched from the origin: the reversed graph, roles swapped.

    ``travel_matrix(G, O, D)`` is access(O) + shortest path in ``G`` + egress(D),
    searched from ``D`` on ``G`` reversed.  Called as ``travel_matrix(reverse(G), D, [o])``
    it searches from ``o`` on ``G`` itself: the same journeys, one Dijkstra.
    """
    import inspect

    from geodata.travel import _transit_graph as tg

    s = engine.settings
    graph = engine.graph(band)
    cutoff = s.cutoff_min * 60.0
    kw: dict[str, Any] = {"access_m": s.max_access_m, "walk_mps": s.walk_mps, "cutoff_s": cutoff}
    params = inspect.signature(tg.travel_matrix).parameters
    if "access_nearest" in params and hasattr(s, "access_nearest"):
        kw["access_nearest"] = s.access_nearest
    if "pair_metres" in params and hasattr(engine, "_pair_metres"):
        kw["pair_metres"] = engine._pair_metres(band)
    t = tg.travel_matrix(_reversed(graph), destinations.xy, origin.xy, **kw)[:, 0]
    try:
        walk = engine.walk_seconds(origin.xy, destinations.xy, band)[0]
    except TypeError:  # an engine whose walk takes no band
        walk = engine.walk_seconds(origin.xy, destinations.xy)[0]
    out = np.minimum(t, walk).astype(np.float32)
    out[out > cutoff] = np.inf
    return out
