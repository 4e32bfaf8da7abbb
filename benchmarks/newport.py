"""Newport on real networks against crow-fly: the figures in the README's Newport section.

Run from the repository root (the national pack at ../shared/national)::

    python benchmarks/newport.py

Builds (or loads from the cache) the walk, drive and transit matrices of
``--area newport`` (the OSM extract for walk and drive, crow-fly for the LSOAs
outside it; the bus GTFS for the week of 6 March 2024), and prints for the unit x
site pairs the extract covers at both ends: network time over the crow-fly
engine's time, the effective detour on foot (walked distance implied by the
network time over the straight line) and the effective driving speed (straight
line over network time); then public transport against crow-fly walking from every
LSOA to its nearest register site, and the register's coverage by mode.
Prints only; nothing is asserted.
"""

from __future__ import annotations

import time

import numpy as np

from estate.planner import Planner
from geodata.travel.base import parse_band
from geodata.travel.crowfly import CrowflyEngine


def _q(a: np.ndarray) -> str:
    p = np.percentile(a, [25, 50, 75])
    return f"median {p[1]:.3f} (IQR {p[0]:.3f}-{p[2]:.3f})"


def main() -> None:
    p = Planner(area="newport")
    units, sites = p.units.points, p.estate.points()
    day = parse_band("day")
    walk_engine = p.engine("walk")
    street = walk_engine.street  # type: ignore[attr-defined]
    u_ok, s_ok = street.covered(units), street.covered(sites)
    print(f"Newport: {len(units)} LSOAs, {int(p.units.frame['population'].sum()):,} residents; "
          f"{len(sites)} sites ({len(p.estate.register)} register, {len(p.estate.candidates)} candidates)")
    print(f"the OSM extract covers {int(u_ok.sum())} LSOAs and {int(s_ok.sum())} sites; "
          f"{int((~u_ok).sum())} LSOAs are on crow-fly")
    dx = units.x[:, None] - sites.x[None, :]
    dy = units.y[:, None] - sites.y[None, :]
    dist_km = np.hypot(dx, dy) / 1000.0
    both = u_ok[:, None] & s_ok[None, :] & (dist_km >= 0.5) & (dist_km <= 5.0)
    for mode in ("walk", "drive"):
        for band in ("day", "night") if mode == "drive" else ("day",):
            b = parse_band(band)
            t0 = time.perf_counter()
            net = p.matrix(mode, band)
            took = time.perf_counter() - t0
            crow = CrowflyEngine(mode).matrix(units, sites, b)
            ok = both & np.isfinite(net)
            ratio = net[ok] / crow[ok]
            print(f"{mode} {band}: matrix {net.shape} in {took:.1f} s ({p.matrix_reports[(mode, p.engine_facts(mode).variant(b))]['status']}); "
                  f"{int(ok.sum()):,} covered pairs 0.5-5 km apart")
            print(f"  network time / crow-fly time: {_q(ratio)}")
            hours = net[ok] / 3600.0
            if mode == "walk":
                print(f"  effective detour (network time x 4.8 km/h / straight line): {_q(hours * 4.8 / dist_km[ok])}")
            else:
                print(f"  effective speed, straight line over network time (km/h): {_q(dist_km[ok] / hours)}")
    tr = p.matrix("transit", "day")
    walk_crow = CrowflyEngine("walk").matrix(units, sites, day)
    reg_cols = np.array([p.estate.column(s) for s in p.estate.register.index if p.estate.has_column(s)])
    t_near = tr[:, reg_cols].min(axis=1) / 60.0
    w_near = walk_crow[:, reg_cols].min(axis=1) / 60.0
    pop = p.units.frame["population"].to_numpy(float)
    print(f"transit (GTFS, day) to the nearest register site: population-weighted mean {np.average(t_near, weights=pop):.1f} min, "
          f"median LSOA {np.median(t_near):.1f} min; crow-fly walking {np.average(w_near, weights=pop):.1f} / {np.median(w_near):.1f} min; "
          f"transit / walking per LSOA {_q(t_near / w_near)}; transit faster for {int((t_near < w_near - 1e-6).sum())} of {len(t_near)} LSOAs")
    for mode in ("walk", "drive", "transit"):
        for band in ("day", "night"):
            res = p.coverage("register", mode, band).to_dict()["total"]
            print(f"register, {mode} {band}: mean {res['mean_min']} min, within 15/30 min "
                  f"{res['share_within']['15']:.1%} / {res['share_within']['30']:.1%}, unreachable {res['unreachable']:,}")


if __name__ == "__main__":
    main()
