"""The Thames barrier: a toy river checked by hand, the shipped crossings, bad crossing files."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import shapely

from geodata.errors import DataError
from geodata.travel.barrier import Crossing, barrier_from_areas, load_crossings, thames_barrier

BOROUGHS = (
    Path(os.environ.get("ESTATE_DATA", Path(__file__).resolve().parents[3] / "shared" / "london"))
    / "geography" / "boroughs" / "London_Borough_Excluding_MHW.shp"
)

# two banks, 0..10 km east, with a 500 m river between y = 0 and y = 500
NORTH = shapely.box(0, 500, 10_000, 5_000)
SOUTH = shapely.box(0, -5_000, 10_000, 0)
CROSSINGS = (
    Crossing("foot tunnel", 5_000, 250, True, False, "24/7", "toy"),
    Crossing("road bridge", 9_000, 250, True, True, "24/7", "toy"),
    Crossing("ferry", 1_000, 250, True, True, "06:10-20:00", "toy"),
)


@pytest.fixture
def toy():
    return thames_barrier([NORTH, SOUTH], upstream_pair=None, crossings=CROSSINGS)


def test_banks_and_sides(toy) -> None:
    assert toy.water.area == pytest.approx(10_000 * 500, rel=0.1)
    xy = np.array([[5_000, 2_000], [5_000, -2_000], [5_000, 250], [-3_000, 9_000]])
    assert toy.side(xy).tolist() == [0, 1, 0, 0]  # 0 is the north bank; off-land: the nearer


def test_a_walk_that_must_use_a_crossing(toy) -> None:
    a, b = np.array([[2_000, 2_000]]), np.array([[2_000, -2_000]])
    # by day the ferry at x = 1 km is nearest: |a f| + |f b|
    via_ferry = math.hypot(1_000, 1_750) + math.hypot(1_000, 2_250)
    assert toy.pair_metres("walk", 12 * 60)(a, b)[0] == pytest.approx(via_ferry)
    # at night the ferry does not run: the foot tunnel at x = 5 km
    via_tunnel = math.hypot(3_000, 1_750) + math.hypot(3_000, 2_250)
    assert toy.pair_metres("walk", 3 * 60)(a, b)[0] == pytest.approx(via_tunnel)
    # a car cannot use the foot tunnel: the bridge at x = 9 km
    via_bridge = math.hypot(7_000, 1_750) + math.hypot(7_000, 2_250)
    assert toy.pair_metres("drive", 3 * 60)(a, b)[0] == pytest.approx(via_bridge)
    # the same bank: the straight line
    c = np.array([[8_000, 4_000]])
    assert toy.pair_metres("walk", 720)(a, c)[0] == pytest.approx(math.hypot(6_000, 2_000))
    m = toy.matrix_metres(np.vstack([a, c]), np.vstack([b, c]), "walk", 3 * 60)
    assert m[0, 0] == pytest.approx(via_tunnel, rel=1e-6)
    assert m[1, 1] == 0.0


def test_transit_walks_use_the_crossing(tmp_path: Path) -> None:
    from geodata.travel.transit import TransitEngine
    from tests.geodata.test_transit import TOY, bus_xy, write_toy_tfl  # the toy TfL network

    # a river between the toy's southern stops (y = 0) and S4 (y = 3 km), crossed at
    # x = 5 km east of S1 only
    e0, n0 = bus_xy("S1")
    south = shapely.box(e0 - 20_000, n0 - 20_000, e0 + 20_000, n0 + 1_500)
    north = shapely.box(e0 - 20_000, n0 + 2_000, e0 + 20_000, n0 + 20_000)
    crossing = (Crossing("bridge", e0 + 5_000, n0 + 1_750, True, True, "24/7", "toy"),)
    barrier = thames_barrier([north, south], upstream_pair=None, crossings=crossing)
    eng = TransitEngine(write_toy_tfl(tmp_path / "pt"), settings=TOY, barrier=barrier)
    s1, s4 = np.array([bus_xy("S1")]), np.array([bus_xy("S4")])
    walked = math.hypot(5_000, 1_750) + math.hypot(5_000 - 2_100, 3_000 - 1_750)
    assert eng.walk_seconds(s1, s4)[0, 0] == pytest.approx(walked / TOY.walk_mps, rel=1e-6)


# ----------------------------------------------------------------------------------
# the shipped list and the London river
# ----------------------------------------------------------------------------------


def test_shipped_crossings_file() -> None:
    cs = load_crossings()
    assert len(cs) >= 30
    names = {c.name for c in cs}
    assert {"Tower Bridge", "Greenwich foot tunnel", "Woolwich foot tunnel", "Woolwich Ferry",
            "Blackwall Tunnel", "Rotherhithe Tunnel", "Kingston Bridge"} <= names
    by = {c.name: c for c in cs}
    assert by["Greenwich foot tunnel"].walk and not by["Greenwich foot tunnel"].drive
    assert by["Blackwall Tunnel"].drive and not by["Blackwall Tunnel"].walk
    assert not by["Woolwich Ferry"].open_at(3 * 60) and by["Woolwich Ferry"].open_at(12 * 60)
    assert all(c.source for c in cs)


@pytest.mark.london
@pytest.mark.skipif(not BOROUGHS.is_file(), reason="no borough layer in the data pack")
def test_london_river_and_crossings() -> None:
    import geopandas as gpd

    b = gpd.read_file(BOROUGHS)
    barrier = barrier_from_areas(list(b["NAME"]), list(b.geometry))
    assert 15e6 < barrier.water.area < 25e6  # the tidal Thames in London, about 18 km2
    bounds = barrier.water.bounds
    assert bounds[0] < 517_000 and bounds[2] > 551_000  # Teddington to Erith
    kr = shapely.intersection(
        shapely.boundary(b.loc[b.NAME == "Kingston upon Thames"].geometry.iloc[0]),
        shapely.boundary(b.loc[b.NAME == "Richmond upon Thames"].geometry.iloc[0]),
    )
    outside = {"Hampton Court Bridge", "Dartford Crossing"}  # beyond London's boroughs
    for c in barrier.crossings:
        if c.name in outside:
            continue
        p = shapely.Point(c.x, c.y)
        assert min(barrier.water.distance(p), kr.distance(p)) < 60, c.name
    # boroughs on the banks they are on
    def side_of(name: str) -> int:
        pt = b.loc[name == b.NAME].geometry.iloc[0].representative_point()
        return int(barrier.side(np.array([[pt.x, pt.y]]))[0])

    north = ["Camden", "Tower Hamlets", "Newham", "Havering", "Hounslow", "Westminster"]
    south = ["Lambeth", "Southwark", "Greenwich", "Bexley", "Kingston upon Thames", "Wandsworth"]
    assert {side_of(n) for n in north} == {0} and {side_of(n) for n in south} == {1}
    # North Woolwich -> Plumstead: 2.1 km straight, via the Woolwich foot tunnel on foot
    nw, pl = np.array([[543_500, 179_900]]), np.array([[545_000, 178_500]])
    d = barrier.pair_metres("walk", 12 * 60)(nw, pl)[0]
    tunnel = next(c for c in barrier.crossings if c.name == "Woolwich foot tunnel")
    assert d == pytest.approx(math.dist(nw[0], (tunnel.x, tunnel.y)) + math.dist((tunnel.x, tunnel.y), pl[0]))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Bridge,abc,180000,yes,yes,24/7,x", "easting/northing"),
        ("Bridge,530000,180000,maybe,yes,24/7,x", "walk is 'maybe'"),
        ("Bridge,530000,180000,yes,yes,Mo-Fr,x", "hours 'Mo-Fr'"),
    ],
)
def test_bad_crossings_file(tmp_path: Path, row: str, message: str) -> None:
    p = tmp_path / "c.csv"
    p.write_text("name,easting,northing,walk,drive,hours,source\n" + row + "\n")
    with pytest.raises(DataError, match=message) as exc:
        load_crossings(p)
    assert "row 2" in str(exc.value) and "Bridge" in str(exc.value)
    p.write_text("name,x,y\nA,1,2\n")
    with pytest.raises(DataError, match="expected the columns"):
        load_crossings(p)
