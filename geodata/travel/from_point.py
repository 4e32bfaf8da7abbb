"""Travel times from one point to many: a single search, not a matrix rebuild.

A point query ("how long from my street to a counter, and to everywhere
else?") needs the times from one origin to every destination.  The engines'
:meth:`~geodata.travel.base.TravelEngine.matrix` already runs one search from
the smaller side for the street and crow-fly engines, so for them a one-row
matrix *is* the one-to-many search.  The transit engine searches from each
destination (on the reversed graph) because a units x sites matrix has far
fewer sites than units; from one point that would be one search per
destination.  :func:`times_from` instead runs one Dijkstra from the point over
the forward stop graph, joined to the point and the destinations by the
matrix's own walking links (``near_links``, the same arguments) and capped by
the same walk all the way, so a point query and a matrix cell agree (a test
checks it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geodata.errors import DataError
from geodata.travel.base import Points, TimeBand, TravelEngine, parse_band

__all__ = ["times_from"]

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


#: destinations' egress links, by (id of the stop graph, the destinations' fingerprint): the same every query
_EGRESS: dict[tuple[int, str], tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}


def _transit_times_from(engine: Any, origin: Points, destinations: Points, band: TimeBand) -> np.ndarray:
    """The transit matrix's journeys, searched forward from the origin: one Dijkstra.

    ``travel_matrix(G, O, D)`` is access(O) + shortest path in ``G`` + egress(D),
    searched from each of ``D`` on ``G`` reversed.  Here the same links
    (:func:`near_links` with the matrix's own arguments) join the origin to its
    stops and the destinations to theirs, and one Dijkstra runs from the origin
    over ``G`` itself.  The destinations' links are kept between queries.
    """
    import inspect

    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from geodata.travel import _transit_graph as tg

    s = engine.settings
    graph = engine.graph(band)
    cutoff = s.cutoff_min * 60.0
    reach: dict[str, Any] = {"radius_m": s.max_access_m, "walk_mps": s.walk_mps}
    params = inspect.signature(tg.near_links).parameters
    if "nearest" in params:
        reach.update(nearest=getattr(s, "access_nearest", 0), max_m=cutoff * s.walk_mps)
    if "pair_metres" in params and hasattr(engine, "_pair_metres"):
        reach["pair_metres"] = engine._pair_metres(band)
    out = np.full(len(destinations), np.inf, dtype=np.float64)
    n_stops = graph.net.n_stops
    if n_stops:
        key = (id(graph), destinations.fingerprint())
        hit = _EGRESS.get(key)
        if hit is None or hit[0] is not graph:
            hit = (graph, tg.near_links(graph, destinations.xy, **reach))
            _EGRESS[key] = hit
        e_pt, e_stop, e_s = hit[1]
        _, a_stop, a_s = tg.near_links(graph, origin.xy, **reach)
        if len(a_stop) and len(e_pt):
            n = graph.n_nodes
            g = sp.csr_array((np.concatenate([graph.weight, a_s]),
                              (np.concatenate([graph.row, np.full(len(a_stop), n)]),
                               np.concatenate([graph.col, a_stop]))), shape=(n + 1, n + 1))
            dist = dijkstra(g, directed=True, indices=n, limit=cutoff)[:n_stops]
            t = dist[e_stop] + e_s
            np.minimum.at(out, e_pt, t)
    try:
        walk = engine.walk_seconds(origin.xy, destinations.xy, band)[0]
    except TypeError:  # an engine whose walk takes no band
        walk = engine.walk_seconds(origin.xy, destinations.xy)[0]
    res = np.minimum(out.astype(np.float32), walk).astype(np.float32)
    res[res > cutoff] = np.inf
    return res
