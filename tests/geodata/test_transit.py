"""Tests of the transit engine: hand-computable toy networks, bad inputs, real data.

Toy TfL-format files are written per test into ``tmp_path``; the toy GTFS feed is
``tests/data/gtfs_toy`` (hand-made, see its README).  Tests marked ``london`` use the
real data pack and are skipped when it is absent.
"""

from __future__ import annotations

import math
import os
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from geodata.errors import (
    CRSError,
    GTFSError,
    MissingColumnError,
    MissingDataError,
    UnknownBandError,
)
from geodata.travel import _transit_graph
from geodata.travel.base import Points, TravelEngine, parse_band
from geodata.travel.transit import TransitDataWarning, TransitEngine, TransitSettings

TOY_GTFS = Path(__file__).resolve().parents[1] / "data" / "gtfs_toy"
DATA = Path(
    os.environ.get("ESTATE_DATA", Path(__file__).resolve().parents[3] / "shared" / "london")
)
NEWPORT = DATA / "network" / "gtfs_sample" / "newport_bus_bods_20230613_gtfs.zip"
needs_london = pytest.mark.skipif(
    not (DATA / "network" / "public_transport").is_dir(), reason=f"no data pack at {DATA}"
)
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

# ----------------------------------------------------------------------------------
# a toy network in the TfL file formats
# ----------------------------------------------------------------------------------

#: round numbers: walking 1 m/s on the straight line, buses and Overground 10 m/s
TOY = replace(
    TransitSettings(),
    walk_kmh=3.6,
    walk_detour=1.0,
    walk_detour_km=(),
    bus_day_kmh=36.0,
    bus_night_kmh=36.0,
    overground_kmh=36.0,
    bus_day_headway_min=10.0,
    bus_night_headway_min=30.0,
    board_penalty_min=1.0,
    rail_board_penalty_min=2.0,
    tube_day_headway_min=4.0,
    tube_night_headway_min=10.0,
    planned_wait_from_min=0.0,  # hand-computed waits: half the headway (the planned wait has its own test)
)
#: the GTFS toy's settings: waits of half the headway, as computed by hand below
HALF = TransitSettings(planned_wait_from_min=0.0)
E0, N0 = 520000.0, 170000.0  # bus stops' origin, far from the toy stations
BUS_STOPS = {  # code: (dx, dy, name)
    "S1": (0, 0, "STOP ONE"),
    "S2": (1000, 0, "STOP TWO"),
    "V": (1500, 500, "TIMING POINT"),
    "S3": (2000, 0, "STOP THREE #"),
    "S3B": (2100, 0, "STOP THREE B"),
    "S4": (2100, 3000, "STOP FOUR"),
}
STATIONS = {1: (51.50, -0.10, "Tee One"), 2: (51.52, -0.10, "Tee Two")}
OG = {"Romford": (550000.0, 190000.0), "Emerson Park": (553400.0, 190000.0)}


def _bus_rows() -> list[str]:
    """Route 1: S1 S2 (V) S3; route 2: S3B S4; night route N1: S1 S4."""
    rows = []
    for route, codes in (
        ("1", ["S1", "S2", "V", "S3"]),
        ("2", ["S3B", "S4"]),
        ("N1", ["S1", "S4"]),
    ):
        for seq, code in enumerate(codes, start=1):
            dx, dy, name = BUS_STOPS[code]
            virtual = "1" if code == "V" else "0"
            naptan = "NONE" if code == "V" else f"4900{code}"
            rows.append(
                f"{route},1,{seq},{code},{code},{naptan},{name},"
                f"{E0 + dx:.0f},{N0 + dy:.0f},90,{virtual}"
            )
    return rows


def write_toy_tfl(
    folder: Path, bus_rows: list[str] | None = None, bus_header: str | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = bus_header or (
        "Route,Run,Sequence,Stop_Code_LBSL,Bus_Stop_Code,Naptan_Atco,"
        "Stop_Name,Location_Easting,Location_Northing,Heading,Virtual_Bus_Stop"
    )
    body = "\r\n".join([header, *(bus_rows if bus_rows is not None else _bus_rows())]) + "\r\n"
    (folder / "tfl_bus_sequences_2019.csv").write_bytes(b"\xef\xbb\xbf" + body.encode())
    (folder / "tube_dlr_elizabeth_stations.csv").write_text(
        "id,latitude,longitude,name,display_name,zone,total_lines,rail\n"
        + "".join(f"{i},{lat},{lon},{n},NULL,1,2,0\n" for i, (lat, lon, n) in STATIONS.items())
    )
    (folder / "tube_dlr_elizabeth_lines.csv").write_text(
        '"line","name","colour","stripe"\n1,"Bakerloo Line","B36305",NULL\n'
        '11,"Victoria Line","0098D4",NULL\n5,"East London Line","FBAE34",NULL\n'
    )
    # Bakerloo 3 min (day only), Victoria 5 min (a Night Tube line); the superseded
    # East London Line (2 min) must be ignored
    (folder / "tube_dlr_elizabeth_connections.csv").write_text(
        '"station1","station2","line","time"\n1,2,1,3\n1,2,11,5\n1,2,5,2\n'
    )
    nodes = "".join(
        f'<node id="{n}"><data key="d0">({x}, {y})</data></node>' for n, (x, y) in OG.items()
    )
    (folder / "casa0002_london_rail_network.graphml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        '<key attr.name="line_name" attr.type="string" for="edge" id="d2"/>'
        '<key attr.name="length" attr.type="double" for="edge" id="d1"/>'
        '<key attr.name="coords" attr.type="string" for="node" id="d0"/>'
        f'<graph edgedefault="undirected">{nodes}'
        '<edge source="Romford" target="Emerson Park"><data key="d2">London Overground</data>'
        '<data key="d1">3400.0</data></edge></graph></graphml>'
    )
    return folder


def bus_xy(code: str, dx: float = 0.0) -> tuple[float, float]:
    x, y, _ = BUS_STOPS[code]
    return (E0 + x + dx, N0 + y)


def station_xy(i: int) -> tuple[float, float]:
    lat, lon, _ = STATIONS[i]
    x, y = TO_BNG.transform(lon, lat)
    return (float(x), float(y))


def points(xy: list[tuple[float, float]], ids: list[str] | None = None) -> Points:
    """Points from a list of (x, y)."""
    a = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return Points(
        np.asarray(ids if ids is not None else [str(i) for i in range(len(a))]), a[:, 0], a[:, 1]
    )


def one(engine: TransitEngine, a: tuple[float, float], b: tuple[float, float], band: str) -> float:
    m = engine.matrix(points([a], ["o"]), points([b], ["d"]), parse_band(band))
    assert m.dtype == np.float32 and m.shape == (1, 1)
    return float(m[0, 0])


def capped_walk(engine: TransitEngine, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Walking the whole way, ``inf`` beyond the cutoff: the most any cell may be."""
    walk = engine.walk_seconds(a, b)
    return np.where(walk > engine.settings.cutoff_min * 60, np.inf, walk)


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    return write_toy_tfl(tmp_path / "pt")


@pytest.fixture
def toy(toy_dir: Path) -> TransitEngine:
    return TransitEngine(toy_dir, settings=TOY)


# ----------------------------------------------------------------------------------
# TfL toy: exact times
# ----------------------------------------------------------------------------------


def test_engine_meets_protocol(toy: TransitEngine) -> None:
    assert isinstance(toy, TravelEngine)
    assert (toy.name, toy.mode) == ("transit", "transit")


@pytest.mark.parametrize(
    ("band", "variant"),
    [
        ("day", "day"),
        ("evening", "day"),
        ("night", "night"),  # Wednesday 03:00 = Tuesday night
        ("Sat 03:00", "night-tube"),  # Friday night
        ("Sun 03:00", "night-tube"),  # Saturday night
        ("Mon 03:00", "night"),  # Sunday night
        ("Fri 23:30", "day"),  # before the night band starts
    ],
)
def test_variant_by_band(toy: TransitEngine, band: str, variant: str) -> None:
    assert toy.variant(parse_band(band)) == variant


def test_bus_ride_with_wait_and_virtual_shape_point(toy: TransitEngine) -> None:
    # wait 600/2 + 60 boarding; ride 1000 m + 2 x 707.1 m (via the virtual point) at 10 m/s
    expected = 300 + 60 + (1000 + 2 * math.hypot(500, 500)) / 10
    assert one(toy, bus_xy("S1"), bus_xy("S3"), "day") == pytest.approx(expected, abs=0.01)


def test_transfer_walk_and_access_walk(toy: TransitEngine) -> None:
    to_s3 = 360 + (1000 + 2 * math.hypot(500, 500)) / 10
    # change from S3 to S3B (100 m walk), wait 360, ride 3000 m
    via = to_s3 + 100 + 360 + 300
    assert one(toy, bus_xy("S1"), bus_xy("S4"), "day") == pytest.approx(via, abs=0.01)
    # start 100 m west of S1: 100 s more
    assert one(toy, bus_xy("S1", -100), bus_xy("S4"), "day") == pytest.approx(via + 100, abs=0.01)


def test_virtual_stop_is_not_boardable(toy: TransitEngine) -> None:
    # to the virtual point V: ride S1 -> S2 and walk the 707 m from S2
    expected = 360 + 100 + math.hypot(500, 500)
    assert one(toy, bus_xy("S1"), bus_xy("V"), "day") == pytest.approx(expected, abs=0.01)


def test_night_uses_night_routes_only(toy: TransitEngine) -> None:
    # S1 -> S3: only route 1 serves it, which does not run at night: walk (2000 m at 1 m/s)
    assert one(toy, bus_xy("S1"), bus_xy("S3"), "night") == pytest.approx(2000, abs=0.01)
    # S1 -> S4 by N1: wait 1800/2 + 60, ride straight 3662 m
    n1 = 900 + 60 + math.hypot(2100, 3000) / 10
    assert one(toy, bus_xy("S1"), bus_xy("S4"), "night") == pytest.approx(n1, abs=0.01)
    lines = set(toy.network("night").line_names)
    assert lines == {"night bus N1"}


def test_planned_wait_beyond_a_10_min_headway(toy_dir: Path) -> None:
    """The default waits: half the headway up to 10 min, then 2 min + 0.3 x the headway."""
    from geodata.travel.transit_settings import wait_seconds

    np.testing.assert_allclose(wait_seconds(np.array([240.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0]),
                                            (10.0, 2.0, 0.3)), [120, 300, 390, 480, 660, 1200])
    eng = TransitEngine(toy_dir, settings=replace(TOY, planned_wait_from_min=10.0))
    # S1 -> S4 by N1 every 30 min: wait 2 x 60 + 0.3 x 1800 = 660 s (not 900) + 60 boarding
    n1 = 660 + 60 + math.hypot(2100, 3000) / 10
    assert one(eng, bus_xy("S1"), bus_xy("S4"), "night") == pytest.approx(n1, abs=0.01)
    # the Tube every 4 min by day still waits half: Bakerloo 120 + 120 boarding + 180 ride
    assert one(eng, station_xy(1), station_xy(2), "day") == pytest.approx(120 + 120 + 180, abs=0.01)
    j = eng.route(bus_xy("S1"), bus_xy("S4"), "night")
    wait = next(lg for lg in j.legs if lg.kind == "wait")
    assert wait.seconds == pytest.approx(720) and "planned by the timetable, every 30 min" in wait.text
    assert "2 min + 0.3 x the headway" in eng.describe()
    assert "0.3 x the headway" not in TransitEngine(toy_dir, settings=TOY).describe()


def test_extra_24_hour_routes_run_at_night(tmp_path: Path) -> None:
    eng = TransitEngine(write_toy_tfl(tmp_path), settings=replace(TOY, night_24h_routes=("1",)))
    expected = 900 + 60 + (1000 + 2 * math.hypot(500, 500)) / 10
    assert one(eng, bus_xy("S1"), bus_xy("S3"), "night") == pytest.approx(expected, abs=0.01)


def test_night_tube_on_friday_night_not_wednesday(toy: TransitEngine) -> None:
    a, b = station_xy(1), station_xy(2)
    walk = math.dist(a, b)
    # day: Bakerloo (3 min) beats Victoria (5 min): wait 4/2 min + 2 min boarding
    assert one(toy, a, b, "day") == pytest.approx(120 + 120 + 180, abs=0.01)
    # Friday night: Victoria only, every 10 min
    assert one(toy, a, b, "Sat 03:00") == pytest.approx(300 + 120 + 300, abs=0.01)
    # Wednesday night: no Tube at all, so walk
    assert one(toy, a, b, "Wed 03:00") == pytest.approx(walk, abs=0.01)
    assert walk > 720


def test_night_closed_station(tmp_path: Path) -> None:
    s = replace(TOY, night_closed_stations=(("Victoria", ("Tee Two",)),))
    eng = TransitEngine(write_toy_tfl(tmp_path), settings=s)
    a, b = station_xy(1), station_xy(2)
    assert one(eng, a, b, "Sat 03:00") == pytest.approx(math.dist(a, b), abs=0.01)


def test_overground_line_headway_and_speed(toy: TransitEngine) -> None:
    # the Liberty line runs every 30 min; 3400 m at 10 m/s
    t = one(toy, OG["Romford"], OG["Emerson Park"], "day")
    assert t == pytest.approx(900 + 120 + 340, abs=0.01)
    assert "Overground Liberty line" in set(toy.network("day").line_names)


def test_superseded_east_london_line_ignored(toy: TransitEngine) -> None:
    assert not any("East London" in n for n in toy.network("day").line_names)


def test_walk_cap(tmp_path: Path) -> None:
    fast = TransitEngine(write_toy_tfl(tmp_path), settings=replace(TOY, walk_kmh=36.0))
    # walking 2000 m at 10 m/s beats any bus
    assert one(fast, bus_xy("S1"), bus_xy("S3"), "day") == pytest.approx(200, abs=0.01)


def test_matrix_never_exceeds_walking(toy: TransitEngine) -> None:
    pts = [bus_xy(c) for c in BUS_STOPS] + [station_xy(1), station_xy(2)]
    p = points(pts)
    for band in ("day", "night", "Sat 03:00"):
        m = toy.matrix(p, p, parse_band(band))
        walk = capped_walk(toy, p.xy, p.xy)
        assert (m <= walk + 1e-3).all()
        assert np.allclose(np.diag(m), 0)


def test_cutoff_gives_inf(tmp_path: Path) -> None:
    eng = TransitEngine(write_toy_tfl(tmp_path), settings=replace(TOY, cutoff_min=5.0))
    assert one(eng, bus_xy("S1"), bus_xy("S4"), "day") == math.inf
    assert one(eng, bus_xy("S1"), bus_xy("S1", -100), "day") == pytest.approx(100)


def test_route_legs_match_matrix(toy: TransitEngine) -> None:
    j = toy.route(bus_xy("S1"), bus_xy("S4"), "day")
    assert [lg.kind for lg in j.legs] == [
        "walk",
        "wait",
        "ride",
        "transfer",
        "wait",
        "ride",
        "walk",
    ]
    rides = [lg for lg in j.legs if lg.kind == "ride"]
    assert [lg.line for lg in rides] == ["bus 1", "bus 2"]
    assert rides[0].from_stop == "Stop One" and rides[0].to_stop == "Stop Three"
    assert "2 stops" in rides[0].text
    assert sum(lg.seconds for lg in j.legs) == pytest.approx(j.seconds, abs=0.01)
    assert j.seconds == pytest.approx(one(toy, bus_xy("S1"), bus_xy("S4"), "day"), abs=0.01)
    assert "bus 2" in j.describe()


def test_route_walks_when_walking_is_faster(toy: TransitEngine) -> None:
    j = toy.route(bus_xy("S1"), bus_xy("S1", -300), "day")
    assert j.walks_all_the_way and j.seconds == pytest.approx(300)


def test_parallel_equals_serial(
    toy: TransitEngine, toy_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pts = [bus_xy(c, dx) for c in BUS_STOPS for dx in (0, 50, -50)]
    p = points(pts)
    serial = toy.matrix(p, p, parse_band("day"))
    monkeypatch.setattr(_transit_graph, "PARALLEL_MIN_WORK", 0)
    par = TransitEngine(toy_dir, settings=TOY, workers=2)
    res = _transit_graph.travel_matrix(
        par.graph("day"),
        p.xy,
        p.xy,
        access_m=800,
        walk_mps=1.0,
        cutoff_s=1e4,
        access_nearest=TOY.access_nearest,
        chunk=2,
        workers=2,
    )
    np.minimum(res, par.walk_seconds(p.xy, p.xy), out=res)
    np.testing.assert_array_equal(serial, res)


def test_progress_reports(toy: TransitEngine) -> None:
    calls: list[tuple[int, int]] = []
    pts = points([bus_xy("S1"), bus_xy("S4")])
    toy.matrix(pts, pts, parse_band("day"), progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1]


def test_settings_key_and_describe(toy: TransitEngine, toy_dir: Path) -> None:
    key = toy.settings_key()
    assert key["engine"] == "transit" and key["source"] == "tfl"
    assert key["bus_day_headway_min"] == 10.0
    assert any(f[0].endswith("tfl_bus_sequences_2019.csv") and f[1] > 0 for f in key["files"])
    other = TransitEngine(toy_dir, settings=replace(TOY, max_access_m=500.0))
    assert other.settings_key() != key
    text = toy.describe()
    assert "24 hours" in text and "Night Tube" in text and "walking the whole way" in text
    assert text.count(".") <= 3  # one sentence (decimals aside)


# ----------------------------------------------------------------------------------
# TfL: bad inputs
# ----------------------------------------------------------------------------------


def test_stop_without_coordinates_is_skipped_with_warning(tmp_path: Path) -> None:
    rows = _bus_rows()
    parts = rows[1].split(",")  # route 1, S2 (file line 3)
    parts[7] = ""
    rows[1] = ",".join(parts)
    eng = TransitEngine(write_toy_tfl(tmp_path, rows), settings=TOY)
    with pytest.warns(TransitDataWarning, match=r"tfl_bus_sequences_2019\.csv.*line\(s\) 3\b"):
        eng.validate()
    net = eng.network("day")
    assert "Stop Two" not in set(net.stop_names)
    # route 1 now runs S1 -> (V) -> S3
    expected = 360 + (math.hypot(1500, 500) + math.hypot(500, 500)) / 10
    assert one(eng, bus_xy("S1"), bus_xy("S3"), "day") == pytest.approx(expected, abs=0.01)


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"tfl_bus_sequences_2019\.csv"):
        TransitEngine(tmp_path)
    folder = write_toy_tfl(tmp_path / "network" / "public_transport")
    (folder / "tube_dlr_elizabeth_connections.csv").unlink()
    with pytest.raises(MissingDataError, match=r"tube_dlr_elizabeth_connections\.csv"):
        TransitEngine(tmp_path)
    with pytest.raises(MissingDataError, match="data_dir"):
        TransitEngine()


def test_missing_column(tmp_path: Path) -> None:
    header = (
        "Route,Run,Sequence,Stop_Code_LBSL,Bus_Stop_Code,Naptan_Atco,Stop_Name,"
        "Easting,Location_Northing,Heading,Virtual_Bus_Stop"
    )
    eng = TransitEngine(write_toy_tfl(tmp_path, bus_header=header), settings=TOY)
    with pytest.raises(MissingColumnError, match="Location_Easting"):
        eng.matrix(points([(E0, N0)]), points([(E0, N0)]), parse_band("day"))


def test_unknown_band(toy: TransitEngine) -> None:
    p = points([(E0, N0)])
    with pytest.raises(UnknownBandError, match="teatime"):
        toy.matrix(p, p, "teatime")
    with pytest.raises(UnknownBandError):
        toy.variant("Funday 03:00")


def test_lon_lat_points_rejected(toy: TransitEngine) -> None:
    p = points([(-0.1, 51.5)])
    with pytest.raises(CRSError, match="27700"):
        toy.matrix(p, p, parse_band("day"))


# ----------------------------------------------------------------------------------
# GTFS: the hand-made toy feed
# ----------------------------------------------------------------------------------


def gtfs_stop_xy(stop: str) -> tuple[float, float]:
    st = pd.read_csv(TOY_GTFS / "stops.txt", dtype={"stop_id": str}).set_index("stop_id")
    x, y = TO_BNG.transform(st.loc[stop, "stop_lon"], st.loc[stop, "stop_lat"])
    return (float(x), float(y))


@pytest.fixture(scope="module")
def gtfs_toy() -> TransitEngine:
    return TransitEngine.from_gtfs(TOY_GTFS, settings=HALF)


def test_gtfs_headways_counted_in_window(gtfs_toy: TransitEngine) -> None:
    net = gtfs_toy.network("Wed 12:00")
    hw = dict(zip(net.line_names, net.line_headway_s, strict=True))
    assert hw == {"bus R1": 600.0, "bus R2": 1200.0, "bus R3": 1800.0}
    night = gtfs_toy.network("Wed 02:00")
    assert dict(zip(night.line_names, night.line_headway_s, strict=True)) == {"bus N1": 1800.0}


def test_gtfs_exact_times(gtfs_toy: TransitEngine) -> None:
    a, c, d = gtfs_stop_xy("A"), gtfs_stop_xy("C"), gtfs_stop_xy("D")
    # A -> C on R1 (frequencies.txt): wait 300 + 60, ride 5 + 7 min
    assert one(gtfs_toy, a, c, "Wed 12:00") == pytest.approx(1080, abs=0.01)
    # A -> D: R3 express (wait 900 + 60, ride 600) beats R1 + R2 (1080 + 660 + 360)
    assert one(gtfs_toy, a, d, "Wed 12:00") == pytest.approx(1560, abs=0.01)
    # Saturday: no R3, so R1 then R2 at the same stop C
    assert one(gtfs_toy, a, d, "Sat 12:00") == pytest.approx(2100, abs=0.01)
    j = gtfs_toy.route(a, d, "Sat 12:00")
    assert [lg.line for lg in j.legs if lg.kind == "ride"] == ["bus R1", "bus R2"]


def test_gtfs_times_past_midnight(gtfs_toy: TransitEngine) -> None:
    a, c, d = gtfs_stop_xy("A"), gtfs_stop_xy("C"), gtfs_stop_xy("D")
    # Wed 02:00 is served by Tuesday's N1 trips timed 25:40, 26:10: wait 900 + 60, ride 900
    assert one(gtfs_toy, a, d, "Wed 02:00") == pytest.approx(1860, abs=0.01)
    s = gtfs_toy.settings
    walk = float(gtfs_toy.walk_seconds(np.array([a]), np.array([c]))[0, 0])
    # C is not on N1: walk all the way, or ride N1 to D and walk on from there (no cap
    # on that last walk: a resident walks as far as it takes)
    via_d = 1860 + math.dist(d, c) * s.walk_detour / (s.walk_kmh / 3.6)
    assert one(gtfs_toy, a, c, "Wed 02:00") == pytest.approx(min(walk, via_d), rel=1e-5)


def test_gtfs_band_with_no_service_walks(gtfs_toy: TransitEngine) -> None:
    # nothing runs around Sunday 04:00 (N1's last trip leaves A at 27:10 on Saturday)
    assert gtfs_toy.network("Sun 04:00").n_stops == 0
    a, d = gtfs_stop_xy("A"), gtfs_stop_xy("D")
    j = gtfs_toy.route(a, d, "Sun 04:00")
    assert j.walks_all_the_way
    assert one(gtfs_toy, a, d, "Sun 04:00") == pytest.approx(j.walk_seconds, rel=1e-6)


def test_gtfs_service_date_and_exceptions() -> None:
    # 2024-01-03 is a Wednesday on which calendar_dates.txt removes R3
    eng = TransitEngine.from_gtfs(TOY_GTFS, settings=HALF, date="2024-01-03")
    assert one(eng, gtfs_stop_xy("A"), gtfs_stop_xy("D"), "Wed 12:00") == pytest.approx(
        2100, abs=0.01
    )
    assert eng.settings_key()["gtfs_date"] == "2024-01-03"
    assert eng.variant(parse_band("Wed 12:00")) == "gtfs-wed-1200"


def test_gtfs_zip_same_as_folder(gtfs_toy: TransitEngine, tmp_path: Path) -> None:
    z = tmp_path / "toy.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in TOY_GTFS.glob("*.txt"):
            zf.write(f, f.name)
    zipped = TransitEngine.from_gtfs(z, settings=HALF)
    pts = [gtfs_stop_xy(s) for s in "ABCD"]
    p = points(pts, list("ABCD"))
    band = parse_band("Wed 12:00")
    np.testing.assert_array_equal(zipped.matrix(p, p, band), gtfs_toy.matrix(p, p, band))


def _broken_feed(tmp_path: Path) -> Path:
    feed = tmp_path / "feed"
    shutil.copytree(TOY_GTFS, feed)
    return feed


def _rewrite(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


@pytest.mark.parametrize(
    ("breakage", "error", "message"),
    [
        (lambda f: (f / "stops.txt").unlink(), GTFSError, r"required file stops\.txt is missing"),
        (
            lambda f: ((f / "calendar.txt").unlink(), (f / "calendar_dates.txt").unlink()),
            GTFSError,
            r"neither calendar\.txt nor calendar_dates\.txt",
        ),
        (
            lambda f: _rewrite(f / "stop_times.txt", "stop_sequence", "seq"),
            MissingColumnError,
            r"stop_times\.txt lacks required column\(s\) stop_sequence",
        ),
        (
            lambda f: _rewrite(f / "stops.txt", "stop_lat", "latitude"),
            KeyError,
            r"stops\.txt lacks required column\(s\) stop_lat",
        ),
        (
            lambda f: _rewrite(f / "stop_times.txt", "r2_1100,11:06:00", "r2_1100,11h06"),
            GTFSError,
            r"stop_times\.txt row \d+: arrival_time is '11h06'",
        ),
        (
            lambda f: _rewrite(
                f / "stop_times.txt", "r2_1100,11:00:00,11:00:00,C", "r2_1100,11:00:00,11:00:00,Z"
            ),
            GTFSError,
            r"stop_id 'Z' is not in stops\.txt",
        ),
        (
            lambda f: _rewrite(f / "frequencies.txt", ",600", ",0"),
            GTFSError,
            r"frequencies\.txt row 2: headway_secs",
        ),
    ],
    ids=[
        "no-stops",
        "no-calendar",
        "no-stop_sequence",
        "no-stop_lat",
        "bad-time",
        "unknown-stop",
        "zero-headway",
    ],
)
def test_gtfs_bad_feeds(tmp_path: Path, breakage, error: type[Exception], message: str) -> None:
    feed = _broken_feed(tmp_path)
    breakage(feed)
    with pytest.raises(error, match=message) as info:
        TransitEngine.from_gtfs(feed).validate()
    assert isinstance(info.value, GTFSError)
    assert "feed" in str(info.value)


def test_gtfs_used_stop_without_coordinates_warns(tmp_path: Path) -> None:
    feed = _broken_feed(tmp_path)
    _rewrite(feed / "stops.txt", "B,Bravo,51.5,-0.1712", "B,Bravo,,")
    with pytest.warns(TransitDataWarning, match=r"stops\.txt row\(s\) 3 .*skipped"):
        eng = TransitEngine.from_gtfs(feed).validate()
    # R1 now runs A -> C straight, still 12 min
    assert one(eng, gtfs_stop_xy("A"), gtfs_stop_xy("C"), "Wed 12:00") == pytest.approx(
        1080, abs=0.01
    )


def test_gtfs_pickup_type_forbids_boarding(tmp_path: Path) -> None:
    feed = _broken_feed(tmp_path)
    st = pd.read_csv(feed / "stop_times.txt", dtype=str)
    st["pickup_type"] = np.where(
        st["trip_id"].str.startswith("r3_") & (st["stop_id"] == "A"), "1", "0"
    )
    st.to_csv(feed / "stop_times.txt", index=False)
    eng = TransitEngine.from_gtfs(feed, settings=HALF)
    # R3 may not be boarded at A, so A -> D is R1 then R2 even on a Wednesday
    assert one(eng, gtfs_stop_xy("A"), gtfs_stop_xy("D"), "Wed 12:00") == pytest.approx(
        2100, abs=0.01
    )


def test_gtfs_not_a_feed(tmp_path: Path) -> None:
    bad = tmp_path / "feed.zip"
    bad.write_text("not a zip")
    with pytest.raises(GTFSError, match="not a zip"):
        TransitEngine.from_gtfs(bad).validate()
    with pytest.raises(MissingDataError, match="does not exist"):
        TransitEngine.from_gtfs(tmp_path / "nowhere.zip")


# ----------------------------------------------------------------------------------
# GTFS: the real Newport fixture
# ----------------------------------------------------------------------------------


@pytest.mark.london
@pytest.mark.london
@pytest.mark.skipif(not NEWPORT.is_file(), reason="Newport GTFS fixture not present")
def test_newport_gtfs() -> None:
    eng = TransitEngine.from_gtfs(NEWPORT)
    net = eng.network("Tue 12:00")
    assert net.n_stops > 100 and len(net.line_names) >= 8
    # lat/lon became British National Grid: Newport is near E 331000 N 188000
    assert np.median(net.stop_x) == pytest.approx(331000, abs=15000)
    assert np.median(net.stop_y) == pytest.approx(188000, abs=15000)
    assert {"bus", "coach"} <= set(net.line_modes)
    # at 03:00 only the overnight coaches run, from trips timed past 24:00
    night = eng.network("Wed 03:00")
    assert set(night.line_modes) == {"coach"}
    # ride times are stop_times differences: every ride link is a whole number of seconds
    assert np.all(net.ride_s >= 0) and np.allclose(net.ride_s % 1, 0)
    # a journey between two stops along the busiest line uses that line
    i = int(np.argmax(np.bincount(net.node_line)))
    first = np.flatnonzero(net.node_line == i)
    a = net.node_stop[net.ride_from[np.isin(net.ride_from, first)][0]]
    b = net.node_stop[net.ride_to[np.isin(net.ride_from, first)][0]]
    j = eng.route((net.stop_x[a], net.stop_y[a]), (net.stop_x[b], net.stop_y[b]), "Tue 12:00")
    assert j.seconds <= j.walk_seconds


# ----------------------------------------------------------------------------------
# the real London data
# ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def london() -> TransitEngine:
    if not (DATA / "network" / "public_transport").is_dir():
        pytest.skip(f"no data pack at {DATA}")
    return TransitEngine(DATA)


@pytest.fixture(scope="module")
def counters() -> dict[str, tuple[float, float]]:
    fc = pd.read_csv(DATA / "estate" / "met_front_counters_2024_2026_status.csv")
    fc = fc.dropna(subset=["easting", "northing"])
    return {n: (e, no) for n, e, no in zip(fc["name"], fc["easting"], fc["northing"], strict=True)}


@pytest.mark.london
@needs_london
def test_london_networks(london: TransitEngine) -> None:
    day, night, ntube = (london.network(b) for b in ("day", "night", "Sat 03:00"))
    assert day.n_stops > 19000 and len(day.line_names) > 1000
    assert {"tube", "dlr", "elizabeth", "overground", "bus", "tram"} <= set(day.line_modes)
    assert not any(n.startswith("night bus") for n in day.line_names)
    assert set(night.line_modes) == {"bus", "rail"}  # National Rail's night trains
    # the N routes and the QSI file's 56 day routes that run 24 hours
    buses = {str(n) for n, m in zip(night.line_names, night.line_modes, strict=True) if m == "bus"}
    assert {"bus 88", "bus 24", "night bus N29"} <= buses
    assert all(n.startswith("night bus") or n in {f"bus {r}" for r in london._tfl.routes_24h}
               for n in buses)
    assert len(london._tfl.routes_24h) == 56
    assert {"Victoria line", "Jubilee line", "Overground Windrush line"} <= set(ntube.line_names)
    assert "Bakerloo line" not in set(ntube.line_names)
    # no school, rail-replacement or tourist river routes
    assert not any(n in day.line_names for n in ("bus UL1", "bus 603", "river bus RT1"))


@pytest.mark.london
@needs_london
def test_london_worked_journeys(london: TransitEngine, counters: dict) -> None:
    cx, lew = counters["Charing Cross Police Station"], counters["Lewisham Police Station"]
    day = london.route(cx, lew, "day")
    # must hold (issue 9): under 36 minutes by day, with a National Rail ride leg (the
    # train itself is about 16 minutes); walks, waits and boarding allowances included
    assert 20 * 60 < day.seconds < 36 * 60
    assert any(lg.kind == "ride" and lg.mode == "rail" for lg in day.legs)
    night = london.route(cx, lew, "night")
    assert not any(lg.mode in ("tube", "dlr") for lg in night.legs if lg.kind == "ride")
    kt, bx = counters["Kentish Town Police Station"], counters["Brixton Police Station"]
    fri = london.route(kt, bx, "Sat 03:00")
    wed = london.route(kt, bx, "Wed 03:00")
    assert any(
        lg.line in {"Victoria line", "Northern line"} for lg in fri.legs if lg.kind == "ride"
    )
    assert not any(lg.line and "line" in lg.line for lg in wed.legs if lg.kind == "ride")
    assert fri.seconds < wed.seconds


@pytest.mark.london
@needs_london
def test_london_matrix_matches_routes(london: TransitEngine, counters: dict) -> None:
    names = [
        "Charing Cross Police Station",
        "Brixton Police Station",
        "Croydon Police Station",
        "Stratford Police Station",
        "Wood Green Police Station",
        "Romford Police Station",
    ]
    xy = np.array([counters[n] for n in names])
    p = Points(np.asarray(names), xy[:, 0], xy[:, 1])
    for band in ("day", "night", "Sat 03:00"):
        m = london.matrix(p, p, parse_band(band))
        assert (m <= capped_walk(london, xy, xy) + 1e-3).all()
        for i in (0, 1, 3):
            for j in (2, 4, 5):
                r = london.route(tuple(xy[i]), tuple(xy[j]), band)
                assert r.seconds == pytest.approx(float(m[i, j]), abs=1.0), (band, i, j)


# ----------------------------------------------------------------------------------
# issue 9: no access cap, bus headways by route (QSI), 24-hour routes
# ----------------------------------------------------------------------------------

QSI_HEADER = "route,category,day_route_if_24h,service_class,scheduled_wait_min,est_headway_min,on_time_percent"


def write_qsi(folder: Path, rows: list[str]) -> None:
    (folder / "tfl_bus_route_service_qsi_2025q3.csv").write_text(
        "\n".join([QSI_HEADER, *rows]) + "\n"
    )


def test_access_walk_of_1500_m(toy: TransitEngine) -> None:
    # 1.5 km south of S1, no stop within the 800 m radius: the resident walks to S1
    # (the nearest stop) and takes route 1, instead of being stranded
    far = (E0, N0 - 1500)
    s3 = bus_xy("S3")
    by_bus = 1500 / TOY.walk_mps + one(toy, bus_xy("S1"), s3, "day")
    walk_all = math.dist(far, s3) / TOY.walk_mps
    assert by_bus < walk_all
    assert one(toy, far, s3, "day") == pytest.approx(by_bus, rel=1e-5)
    j = toy.route(far, s3, "day")
    assert j.legs[0].kind == "walk" and j.legs[0].seconds == pytest.approx(1500 / TOY.walk_mps)
    capped = TransitEngine(toy._folder, settings=replace(TOY, access_nearest=0))
    assert one(capped, far, s3, "day") == pytest.approx(walk_all, rel=1e-5)  # the old cap


def test_bus_headways_from_qsi_and_24_hour_routes(toy_dir: Path) -> None:
    # route 1 every 6 min (SWT 3), route 2 timetabled; N1 every 12; route 2 runs 24 hours
    write_qsi(toy_dir, [
        "1,day_route,,high-frequency,3,6,",
        "2,day_route,,low-frequency,,,95",
        "N1,night_route,,high-frequency,6,12,",
        "N2,night_portion_of_24h_route,2,low-frequency,,,90",
    ])
    eng = TransitEngine(toy_dir, settings=TOY)
    day, night = eng.network("day"), eng.network("night")
    hw = dict(zip(day.line_names, day.line_headway_s / 60, strict=True))
    assert hw["bus 1"] == 6 and hw["bus 2"] == TOY.bus_low_frequency_headway_min
    nhw = dict(zip(night.line_names, night.line_headway_s / 60, strict=True))
    assert nhw["night bus N1"] == 12
    assert nhw["bus 2"] == TOY.bus_24h_night_headway_min  # the day route at night
    assert "bus 1" not in nhw
    # a wait is half the headway plus the boarding allowance: S1 -> S2 on route 1
    t = one(eng, bus_xy("S1"), bus_xy("S2"), "day")
    assert t == pytest.approx(3 * 60 + 60 + 1000 / 10, abs=0.01)
    assert "QSI" in eng.describe() and "24 hours" in eng.describe()
    # a list in the settings overrides the file's 24-hour routes
    none24 = TransitEngine(toy_dir, settings=replace(TOY, night_24h_routes=()))
    assert "bus 2" not in set(none24.network("night").line_names)


def test_qsi_unknown_route_is_a_counted_warning(toy_dir: Path) -> None:
    from geodata.travel._qsi import QSIDataWarning

    write_qsi(toy_dir, ["1,day_route,,high-frequency,3,6,", "99,day_route,,high-frequency,4,8,"])
    with pytest.warns(QSIDataWarning, match=r"1 QSI route\(s\) have no stop sequence \(not modelled: 99\)"):
        TransitEngine(toy_dir, settings=TOY).validate()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1,weekday_route,,high-frequency,3,6,", "category 'weekday_route'"),
        ("1,day_route,,high-frequency,3,,", "est_headway_min ''"),
        ("1,day_route,,high-frequency,3,-6,", "est_headway_min '-6'"),
        ("1,day_route,,sometimes,3,6,", "service_class 'sometimes'"),
        ("N9,night_portion_of_24h_route,9,low-frequency,,,", "day route\\(s\\) 9"),
    ],
)
def test_bad_qsi_file_is_a_clear_error(toy_dir: Path, row: str, message: str) -> None:
    from geodata.errors import DataError

    write_qsi(toy_dir, [row])
    with pytest.raises(DataError, match=message) as exc:
        TransitEngine(toy_dir, settings=TOY).validate()
    assert "tfl_bus_route_service_qsi_2025q3.csv" in str(exc.value)


@pytest.mark.london
@needs_london
def test_london_qsi_and_cif_warnings_are_counted_once() -> None:
    import warnings as w

    from geodata.travel._cif import CIFDataWarning
    from geodata.travel._qsi import QSIDataWarning

    with w.catch_warnings(record=True) as got:
        w.simplefilter("always")
        eng = TransitEngine(DATA).validate()
    qsi = [str(x.message) for x in got if issubclass(x.category, QSIDataWarning)]
    assert len(qsi) == 1 and "have no stop sequence" in qsi[0] and "SL1" in qsi[0]
    assert any(issubclass(x.category, CIFDataWarning) for x in got)
    assert eng.rail_kind() == "pooled"
    assert "Contains Rail Delivery Group timetable data" in eng.describe()


def test_assembled_network_refuses_duplicate_and_unknown_stops() -> None:
    import pandas as pd

    from geodata.errors import DataError
    from geodata.travel._transit_graph import assemble_network

    stops = pd.DataFrame({"id": ["a", "b", "a"], "name": list("abc"), "x": [0.0] * 3, "y": [0.0] * 3})
    lines = pd.DataFrame({"name": ["1"], "mode": ["bus"], "headway_s": [600.0], "board_s": [60.0]})
    rides = pd.DataFrame({"line": [0], "stop_a": ["a"], "stop_b": ["z"], "seconds": [60.0]})
    with pytest.raises(DataError, match="stop id 'a' appears twice"):
        assemble_network(stops, lines, rides)
    with pytest.raises(DataError, match=r"not in the stop list, e\.g\. \['z'\]"):
        assemble_network(stops.iloc[:2], lines, rides)
