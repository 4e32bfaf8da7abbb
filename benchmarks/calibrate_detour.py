"""Measure the crow-fly detour factor (network distance / straight line) on an OSM extract.

Run from the repository root::

    python benchmarks/calibrate_detour.py            # the pack's central-London extract
    python benchmarks/calibrate_detour.py --pbf my.osm.pbf --points 800

For walk and drive separately it draws random points uniformly inside the
extract's cut box, snaps each to its nearest node of the network the ``streets``
engine uses (largest strongly connected component), and for every ordered pair
of snapped nodes 0.5-3 km apart takes the shortest *distance* along the network
(one-way streets respected for drive) over the straight line between the nodes.

Edge effects.  The extract is a clipped box: a route between two points inside
it may really run through streets outside it, so the in-box distance can only
be too long.  For a pair (a, b) let ``r_max`` be the smallest
``(|ax| + |xb|) / |ab|`` over points x on the box boundary: any route that
leaves the box has a ratio of at least ``r_max``.  So a measured ratio at or
below ``r_max`` is exact, and a larger one only says the true ratio is at least
``r_max``.  The "validated" sample keeps pairs whose ``r_max >= --bound``
(chosen by geometry, not by outcome): in it every ratio up to ``--bound`` is
exact and the rest are censored above ``--bound``, so quantiles below the
censored share are exact and the mean is bracketed.

The cut box is taken from the data: the bounding box of the nodes no way
references (``osmium extract`` keeps only those inside its box, whereas ways
that cross the box arrive with all their nodes).  It is a conservative (inner)
estimate of the true box, which only makes the validation stricter.

Also times the engine on the extract (load, build, matrix).  Prints only; the
figures are copied into ``docs/streets.md`` by hand.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import osmium
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geodata.travel.base import BANDS, Points
from geodata.travel.streets import NetworkArrays, StreetEngine, load_street_graph

__all__ = ["main"]

logger = logging.getLogger("calibrate_detour")

_PACK_PBF = Path("network/osm/central_london_marylebone_fitzrovia_2023-03.osm.pbf")


def _default_pbf() -> Path:
    root = Path(
        os.environ.get("ESTATE_DATA", Path(__file__).resolve().parents[2] / "shared/london")
    )
    return root / _PACK_PBF


def cut_box(path: Path) -> shapely.Polygon:
    """The extract's cut box in EPSG:27700: the bbox of nodes that no way references."""
    referenced: set[int] = set()
    free: dict[int, tuple[float, float]] = {}
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
        if isinstance(obj, osmium.osm.Node):
            free[obj.id] = (obj.location.lon, obj.location.lat)
        elif isinstance(obj, osmium.osm.Way):
            referenced.update(n.ref for n in obj.nodes)
    lonlat = np.array([xy for nid, xy in free.items() if nid not in referenced])
    (lon0, lat0), (lon1, lat1) = lonlat.min(axis=0), lonlat.max(axis=0)
    to_bng = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
    corners = [(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1)]
    print(
        f"cut box from {len(lonlat)} unreferenced nodes: lon {lon0:.4f}..{lon1:.4f}, "
        f"lat {lat0:.4f}..{lat1:.4f}"
    )
    return shapely.Polygon([to_bng.transform(lo, la) for lo, la in corners])


def exit_ratio(a: np.ndarray, b: np.ndarray, box: shapely.Polygon) -> np.ndarray:
    """``min over x on the box boundary of (|ax| + |xb|) / |ab|`` for pairs of points inside.

    On each (straight) side the minimum of ``|ax| + |xb|`` is where the line from
    ``a`` to ``b`` mirrored in that side crosses it, or else at the nearer end of
    the side (the sum is convex along the side).
    """
    ring = np.asarray(box.exterior.coords)
    best = np.full(len(a), np.inf)
    for p, q in itertools.pairwise(ring):
        d = (q - p) / np.linalg.norm(q - p)
        rel = b - p
        foot = p + np.outer(rel @ d, d)
        mirrored = 2 * foot - b
        # where a -> mirrored b crosses the side's line, as a fraction t along the side
        n = np.array([-d[1], d[0]])
        da, dm = (a - p) @ n, (mirrored - p) @ n
        with np.errstate(divide="ignore", invalid="ignore"):
            s = da / (da - dm)
        cross = a + s[:, None] * (mirrored - a)
        t = (cross - p) @ d
        side_len = np.linalg.norm(q - p)
        on_side = (t >= 0) & (t <= side_len)
        via_mirror = np.linalg.norm(mirrored - a, axis=1)
        via_p = np.linalg.norm(a - p, axis=1) + np.linalg.norm(b - p, axis=1)
        via_q = np.linalg.norm(a - q, axis=1) + np.linalg.norm(b - q, axis=1)
        best = np.minimum(best, np.where(on_side, via_mirror, np.minimum(via_p, via_q)))
    return best / np.linalg.norm(b - a, axis=1)


def _summary(label: str, ratios: np.ndarray) -> None:
    q1, med, q3 = np.percentile(ratios, [25, 50, 75])
    print(
        f"  {label}: n={len(ratios):,} median {med:.3f} mean {ratios.mean():.3f} "
        f"IQR {q1:.3f}-{q3:.3f}"
    )


def calibrate(
    path: Path,
    mode: str,
    box: shapely.Polygon,
    *,
    points: int,
    bound: float,
    min_km: float,
    max_km: float,
    seed: int,
    margin_m: float = 150.0,
) -> None:
    """Print the detour factors of ``mode`` on ``path``."""
    t0 = time.perf_counter()
    net = NetworkArrays.from_graph(load_street_graph(path, mode), str(path))
    size = len(net.x)
    # shortest distance, not shortest time: the detour factor is about distance
    order = np.lexsort((net.length_m, net.v, net.u))
    u, v, w = net.u[order], net.v[order], net.length_m[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    graph = sp.csr_matrix((np.maximum(w[first], 1e-6), (u[first], v[first])), shape=(size, size))

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = box.bounds
    xy = rng.uniform((x0, y0), (x1, y1), size=(points * 3, 2))
    xy = xy[shapely.contains_xy(box, xy[:, 0], xy[:, 1])][:points]
    node_xy = np.column_stack([net.x, net.y])
    inside = np.flatnonzero(shapely.contains_xy(box, net.x, net.y))
    snap_dist, snap = cKDTree(node_xy[inside]).query(xy)
    nodes = np.unique(inside[snap])
    dist = dijkstra(graph, directed=True, indices=nodes)[:, nodes]
    elapsed = time.perf_counter() - t0

    grid = np.meshgrid(np.arange(len(nodes)), np.arange(len(nodes)), indexing="ij")
    src, dst = grid[0].ravel(), grid[1].ravel()
    a, b = node_xy[nodes[src]], node_xy[nodes[dst]]
    straight = np.linalg.norm(b - a, axis=1)
    band = (straight >= min_km * 1000) & (straight <= max_km * 1000)
    network = dist[src, dst][band]
    a, b, straight = a[band], b[band], straight[band]
    finite = np.isfinite(network)
    ratio = network[finite] / straight[finite]
    rmax = exit_ratio(a[finite], b[finite], box)

    print(
        f"\n{mode}: {size:,} nodes; {len(nodes)} sampled nodes (median snap "
        f"{np.median(snap_dist):.0f} m); {len(ratio):,} ordered pairs {min_km}-{max_km} km "
        f"({(~finite).sum()} unreachable) in {elapsed:.1f} s"
    )
    _summary("all pairs in the box (edge effects bias this up)", ratio)
    ring = box.exterior
    margin = np.minimum(
        shapely.distance(ring, shapely.points(a[finite])),
        shapely.distance(ring, shapely.points(b[finite])),
    )
    _summary(f"both ends >= {margin_m:g} m inside the box", ratio[margin >= margin_m])
    # per pair the true ratio lies in [lower, measured]: exact where measured <= r_max
    lower = np.where(ratio <= rmax, ratio, rmax)
    exact = ratio <= rmax
    lo_q, hi_q = np.percentile(lower, [25, 50, 75]), np.percentile(ratio, [25, 50, 75])
    print(
        f"  bracket, all pairs ({exact.mean():.1%} exact): median {lo_q[1]:.3f}-{hi_q[1]:.3f}, "
        f"mean {lower.mean():.3f}-{ratio.mean():.3f}, Q1 {lo_q[0]:.3f}-{hi_q[0]:.3f}, "
        f"Q3 {lo_q[2]:.3f}-{hi_q[2]:.3f}"
    )
    s_f = straight[finite]
    for lo, hi in ((0.5, 0.75), (0.75, 1.0), (1.0, 1.5), (1.5, 3.0)):
        sel = (s_f >= lo * 1000) & (s_f < hi * 1000)
        if sel.any():
            print(
                f"    {lo}-{hi} km: n={sel.sum():,} median {np.median(lower[sel]):.3f}-"
                f"{np.median(ratio[sel]):.3f} ({exact[sel].mean():.1%} exact)"
            )
    valid = rmax >= bound
    r = ratio[valid]
    censored = r > bound
    print(
        f"  validated (r_max >= {bound}): {valid.sum():,} pairs, straight line "
        f"{np.percentile(straight[finite][valid], 50):.0f} m median "
        f"({straight[finite][valid].min():.0f}-{straight[finite][valid].max():.0f} m); "
        f"{censored.mean():.1%} censored (true ratio > {bound})"
    )
    q = np.percentile(r, [25, 50, 75])
    ok = [censored.mean() < 1 - p for p in (0.25, 0.5, 0.75)]
    shown = [f"{v:.3f}" if good else f"> {bound}" for v, good in zip(q, ok, strict=True)]
    # a pair's true ratio is r where r <= r_max, else somewhere in [r_max, r]
    lower = np.where(r <= rmax[valid], r, rmax[valid]).mean()
    print(
        f"  validated: median {shown[1]} IQR {shown[0]}-{shown[2]} mean between "
        f"{lower:.3f} and {r.mean():.3f}"
    )
    for lo, hi in ((0.5, 0.75), (0.75, 1.0), (1.0, 1.5), (1.5, 3.0)):
        sel = (straight[finite][valid] >= lo * 1000) & (straight[finite][valid] < hi * 1000)
        if sel.sum() >= 20:
            share = (r[sel] > bound).mean()
            med = f"{np.median(r[sel]):.3f}" if share < 0.5 else f"> {bound}"
            print(f"    {lo}-{hi} km: n={sel.sum():,} median {med} ({share:.1%} censored)")
        else:
            print(f"    {lo}-{hi} km: n={sel.sum()} (too few to report)")


def timings(path: Path, box: shapely.Polygon, *, seed: int) -> None:
    """Time load, build and matrix for both modes on ``path``."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = box.bounds
    print("\ntimings (wall clock, this machine):")
    for mode in ("walk", "drive"):
        t0 = time.perf_counter()
        graph = load_street_graph(path, mode)
        t1 = time.perf_counter()
        engine = StreetEngine(graph, mode, source=path)
        t2 = time.perf_counter()
        for n_o, n_d in ((2000, 20), (5000, 100)):
            o = Points(np.arange(n_o), rng.uniform(x0, x1, n_o), rng.uniform(y0, y1, n_o))
            d = Points(np.arange(n_d), rng.uniform(x0, x1, n_d), rng.uniform(y0, y1, n_d))
            t3 = time.perf_counter()
            engine.matrix(o, d, BANDS["day"])
            t4 = time.perf_counter()
            print(
                f"  {mode}: load {t1 - t0:.2f} s, build {t2 - t1:.3f} s "
                f"({engine.n_nodes:,} nodes, {engine.n_edges:,} edges), "
                f"matrix {n_o}x{n_d} {t4 - t3:.3f} s"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pbf", type=Path, default=_default_pbf())
    parser.add_argument("--points", type=int, default=600, help="random points per mode")
    parser.add_argument("--bound", type=float, default=1.6, help="validation bound on r_max")
    parser.add_argument("--min-km", type=float, default=0.5)
    parser.add_argument("--max-km", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-timings", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.pbf.is_file():
        print(f"no such file: {args.pbf} (set ESTATE_DATA or pass --pbf)", file=sys.stderr)
        return 2
    box = cut_box(args.pbf)
    x0, y0, x1, y1 = box.bounds
    print(
        f"box in EPSG:27700: E {x0:.0f}-{x1:.0f}, N {y0:.0f}-{y1:.0f} "
        f"({(x1 - x0) / 1000:.2f} x {(y1 - y0) / 1000:.2f} km)"
    )
    for mode in ("walk", "drive"):
        calibrate(
            args.pbf,
            mode,
            box,
            points=args.points,
            bound=args.bound,
            min_km=args.min_km,
            max_km=args.max_km,
            seed=args.seed,
        )
    if not args.no_timings:
        timings(args.pbf, box, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
