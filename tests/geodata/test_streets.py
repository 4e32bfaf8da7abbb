"""The ``streets`` engine: hand-computable toy networks, filters, bad files, the London extract."""

from __future__ import annotations

import bz2
import logging
import os
import re
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import pyproj
import pytest

from geodata.errors import CRSError, DataError, NetworkFileError, PlannerError
from geodata.travel import _osm
from geodata.travel import streets as streets_mod
from geodata.travel.base import BANDS, Points, TravelEngine
from geodata.travel.crowfly import CrowflyEngine, CrowflySettings
from geodata.travel.streets import (
    StreetEngine,
    StreetSettings,
    download_street_graph,
    load_street_graph,
    parse_maxspeed,
    street_engine_or_crowfly,
)

DATA = Path(__file__).resolve().parents[1] / "data"
RECTANGLE = DATA / "streets_rectangle_27700.graphml"  # 300 x 400 m, all two-way, 20 mph
TINY_OSM = DATA / "streets_tiny.osm"

WALK_MS = 4.8 / 3.6  # 4/3 m/s
SNAP_S_PER_M = 1.3 / WALK_MS  # 0.975 s per metre of snap gap
A, B, C, D = (530000.0, 180000.0), (530300.0, 180000.0), (530300.0, 180400.0), (530000.0, 180400.0)


def pts(*xy: tuple[float, float]) -> Points:
    arr = np.asarray(xy, dtype=float).reshape(-1, 2)
    return Points(np.array([f"p{i}" for i in range(len(arr))]), arr[:, 0], arr[:, 1])


# --------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_way_filters_match_installed_osmnx(mode: str) -> None:
    text = ox._overpass._get_network_filter(mode)
    clauses = re.findall(r'\["([^"]+)"(?:!~"([^"]*)")?\]', text)
    assert tuple((k, rx or None) for k, rx in clauses) == _osm.WAY_FILTERS[mode]


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("20 mph", 32.18688),
        ("30mph", 48.28032),
        ("50", 50.0),
        ("GB:nsl_single", 96.56064),
        (["20 mph", "30 mph"], 40.2336),
        ("20 mph;30 mph", 40.2336),
        ("signals", None),
        ("none", None),
        (None, None),
        ("0", None),
    ],
)
def test_parse_maxspeed(value: object, kmh: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(kmh) if kmh is not None else None)


@pytest.mark.parametrize(
    ("tags", "walk", "drive"),
    [
        ({"highway": "residential"}, True, True),
        ({"highway": "footway"}, True, False),
        ({"highway": "motorway_link"}, False, True),
        ({"highway": "service", "service": "parking_aisle"}, True, False),
        ({"highway": "residential", "access": "private"}, False, False),
        ({"highway": "primary", "sidewalk": "separate"}, False, True),
        ({"highway": "pedestrian", "area": "yes"}, False, False),
        ({"building": "yes"}, False, False),
    ],
)
def test_way_passes(tags: dict[str, str], walk: bool, drive: bool) -> None:
    assert (_osm.way_passes(tags, "walk"), _osm.way_passes(tags, "drive")) == (walk, drive)


# --------------------------------------------------------------------------- hand-made rectangle


@pytest.fixture(scope="module")
def rect_walk() -> StreetEngine:
    # explicit settings: the hand computation must not move when defaults are recalibrated
    return StreetEngine.from_file(RECTANGLE, "walk", settings=StreetSettings(snap_detour=1.3))


def test_rectangle_walk_times_by_hand(rect_walk: StreetEngine) -> None:
    origins = pts(A, (A[0] - 30.0, A[1]), B)  # at A; 30 m west of A; at B
    sites = pts(C, (C[0], C[1] + 40.0))  # at C; 40 m north of C
    m = rect_walk.matrix(origins, sites, BANDS["day"])
    assert m.dtype == np.float32 and m.shape == (3, 2)
    a_to_c = 700 / WALK_MS  # 525 s either way round
    expected = [
        [a_to_c, a_to_c + 40 * SNAP_S_PER_M],
        [a_to_c + 30 * SNAP_S_PER_M, a_to_c + 70 * SNAP_S_PER_M],  # 554.25, 593.25
        [400 / WALK_MS, 400 / WALK_MS + 40 * SNAP_S_PER_M],  # 300, 339
    ]
    np.testing.assert_allclose(m, expected, rtol=1e-6)
    # the same pairs run from the other side (more destinations than origins)
    np.testing.assert_allclose(rect_walk.matrix(sites, origins, BANDS["night"]), m.T, rtol=1e-6)
    assert rect_walk.variant(BANDS["day"]) == rect_walk.variant(BANDS["night"]) == "all"
    _, gap = rect_walk.snap(origins)
    np.testing.assert_allclose(gap, [0.0, 30.0, 0.0])


def test_cutoff_uses_dijkstra_limit_and_gives_inf(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = StreetEngine.from_file(RECTANGLE, "walk", settings=StreetSettings(cutoff_min=4.0))
    limits: list[float] = []
    real = streets_mod.dijkstra

    def spy(*args: object, **kwargs: object) -> np.ndarray:
        limits.append(kwargs["limit"])  # type: ignore[arg-type]
        return real(*args, **kwargs)

    monkeypatch.setattr(streets_mod, "dijkstra", spy)
    origins = pts(A, (A[0] - 30.0, A[1]))
    m = engine.matrix(origins, pts(B, C, D), BANDS["day"])
    # A->B 225 s is inside 240 s; 30 m of snap walking (29.25 s) pushes it past;
    # A->C (525 s) and A->D (300 s) are past the cutoff on the network alone
    assert m[0, 0] == pytest.approx(225.0)
    assert np.isinf(m[0, 1:]).all() and np.isinf(m[1]).all()
    assert limits == [pytest.approx(240.0)]  # cutoff minus the smallest source-side snap time


def _one_way_rectangle() -> nx.MultiDiGraph:
    """The rectangle with A->B one-way (B->A must go round by C and D), all 20 mph."""
    g = nx.MultiDiGraph(crs="EPSG:27700")
    for n, (x, y) in zip("ABCD", (A, B, C, D), strict=True):
        g.add_node(n, x=x, y=y)
    for a, b in ("AB", "BC", "CB", "CD", "DC", "DA", "AD"):
        g.add_edge(a, b, highway="residential", maxspeed="20 mph")
    return g


def test_drive_one_way_times_by_hand() -> None:
    engine = StreetEngine(_one_way_rectangle(), "drive")
    # every limit is 20 mph, so the day factor makes every edge exactly 24 km/h
    assert engine.free_flow_kmh() == pytest.approx(32.18688)
    assert engine.speed_factor(BANDS["day"]) == pytest.approx(24 / 32.18688)
    assert engine.variant(BANDS["day"]) == "day" and engine.variant(BANDS["night"]) == "night"
    day = 24 / 3.6
    # four origins, one destination: searched backwards from A on the transposed graph
    to_a = engine.matrix(pts(A, B, C, D), pts(A), BANDS["day"])[:, 0]
    np.testing.assert_allclose(to_a, [0.0, 1100 / day, 700 / day, 400 / day], rtol=1e-6)
    # one origin, three destinations: searched forwards from B
    from_b = engine.matrix(pts(B), pts(A, C, D), BANDS["day"])[0]
    np.testing.assert_allclose(from_b, [1100 / day, 400 / day, 700 / day], rtol=1e-6)
    from_a = engine.matrix(pts(A), pts(B), BANDS["night"])[0, 0]
    assert from_a == pytest.approx(300 / (32 / 3.6))  # 33.75 s at 32 km/h


def test_drive_speed_defaults_and_pinned_factor() -> None:
    g = nx.MultiDiGraph(crs="EPSG:27700")
    g.add_node(1, x=0.0, y=0.0)
    g.add_node(2, x=1000.0, y=0.0)
    g.add_edge(1, 2, highway="primary")  # no maxspeed: 30 mph default
    g.add_edge(2, 1, highway="residential", maxspeed="20 mph")
    engine = StreetEngine(g, "drive")
    assert engine.free_flow_kmh() == pytest.approx(2 / (1 / 20 + 1 / 30) * 1.609344)  # 24 mph
    pinned = StreetEngine(g, "drive", settings=StreetSettings(drive_speed_factor=0.5))
    t = pinned.matrix(pts((0.0, 0.0)), pts((1000.0, 0.0)), BANDS["day"])[0, 0]
    assert t == pytest.approx(1000 / (30 * 1.609344 * 0.5 / 3.6))


def test_engine_protocol_key_and_description(tmp_path: Path) -> None:
    path = tmp_path / "rect.graphml"
    shutil.copy(RECTANGLE, path)
    engine = StreetEngine.from_file(path, "walk")
    assert isinstance(engine, TravelEngine) and engine.name == "streets"
    key = engine.settings_key()
    assert key["network"]["path"] == str(path.resolve())
    assert key["network"]["size"] == path.stat().st_size and key["walk_kmh"] == 4.8
    text = engine.describe()
    assert "\n" not in text and text.endswith(".") and text.count(". ") == 0
    assert "rect.graphml" in text and "4.8 km/h" in text
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert StreetEngine.from_file(path, "walk").settings_key() != key


def test_cache_dir_skips_reparsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = StreetEngine.from_file(TINY_OSM, "walk", cache_dir=tmp_path)
    assert len(list(tmp_path.glob("streets-walk-*.npz"))) == 1

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again despite the cache")

    monkeypatch.setattr(streets_mod, "load_street_graph", boom)
    second = StreetEngine.from_file(TINY_OSM, "walk", cache_dir=tmp_path)
    assert second.settings_key() == first.settings_key()
    to_bng = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
    o, d = pts(to_bng.transform(-0.1400, 51.5220)), pts(to_bng.transform(-0.1385, 51.5229))
    np.testing.assert_array_equal(
        first.matrix(o, d, BANDS["day"]), second.matrix(o, d, BANDS["day"])
    )


def test_corrupt_street_cache_is_reported_and_parsed_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = StreetEngine.from_file(TINY_OSM, "walk", cache_dir=tmp_path)
    (cache,) = tmp_path.glob("streets-walk-*.npz")
    cache.write_bytes(cache.read_bytes()[:100])
    with caplog.at_level("WARNING"):
        again = StreetEngine.from_file(TINY_OSM, "walk", cache_dir=tmp_path)
    assert "unreadable" in caplog.text and "parsing the street network again" in caplog.text
    assert again.settings_key() == first.settings_key()
    assert StreetEngine.from_file(TINY_OSM, "walk", cache_dir=tmp_path).n_nodes == first.n_nodes


# --------------------------------------------------------------------------- OSM files


def _edges(g: nx.MultiDiGraph) -> set[tuple[int, int]]:
    return {(u, v) for u, v, _ in g.edges}


def test_osm_xml_filters_one_ways_and_components() -> None:
    walk = load_street_graph(TINY_OSM, "walk")
    drive = load_street_graph(TINY_OSM, "drive")
    # walk: no motorway link (6), private road (8) or building (9-11)
    assert sorted(walk.nodes) == [1, 2, 3, 4, 5, 7]
    # drive: no footway (5), parking aisle (7), private road or building
    assert sorted(drive.nodes) == [1, 2, 3, 4, 6]
    assert walk.graph["crs"] == drive.graph["crs"] == "EPSG:27700"
    assert (2, 3) in _edges(drive) and (3, 2) not in _edges(drive)  # one-way East Street
    assert {(2, 3), (3, 2)} <= _edges(walk)  # walkers ignore one-ways
    # node 6 can be reached by the one-way link but not left: dropped before routing
    engine = StreetEngine(drive, "drive")
    assert engine.n_nodes == 4
    # limits: 20 mph tagged, 30 mph tagged on West Road, 20 mph default on North Street
    lengths = {
        (u, v): np.hypot(
            drive.nodes[u]["x"] - drive.nodes[v]["x"], drive.nodes[u]["y"] - drive.nodes[v]["y"]
        )
        for u, v in _edges(drive)
        if 6 not in (u, v)
    }
    mph = {(1, 4): 30, (4, 1): 30}
    hours = sum(length / (mph.get(e, 20) * 1609.344) for e, length in lengths.items())
    assert engine.free_flow_kmh() == pytest.approx(sum(lengths.values()) / 1000 / hours)


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_osm_bz2_and_pbf_give_the_same_graph(tmp_path: Path, mode: str) -> None:
    bz = tmp_path / "tiny.osm.bz2"
    bz.write_bytes(bz2.compress(TINY_OSM.read_bytes()))
    pbf = tmp_path / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(TINY_OSM)):
            writer.add(obj)
    ref = load_street_graph(TINY_OSM, mode)
    for path in (bz, pbf):
        g = load_street_graph(path, mode)
        assert sorted(g.nodes) == sorted(ref.nodes) and _edges(g) == _edges(ref)


def _truncated_pbf(tmp_path: Path) -> Path:
    pbf = tmp_path / "whole.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(TINY_OSM)):
            writer.add(obj)
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(pbf.read_bytes()[: pbf.stat().st_size * 2 // 3])
    return cut


def _bad(kind: str, tmp: Path) -> tuple[Path, str]:
    """A bad network file of ``kind`` and a word its error message must contain."""
    if kind == "missing":
        return tmp / "greater-london-latest.osm.pbf", "not found"
    if kind == "directory":
        (tmp / "net.osm").mkdir()
        return tmp / "net.osm", "directory"
    if kind == "extension":
        path = tmp / "roads.shp"
        path.write_bytes(b"\0" * 100)
        return path, "unknown file type"
    if kind == "truncated":
        return _truncated_pbf(tmp), "truncated or corrupt"
    if kind == "not-osm":
        path = tmp / "notes.osm"
        path.write_text("this is not XML\n")
        return path, "truncated or corrupt"
    if kind == "no-streets":
        path = tmp / "buildings.osm"
        text = TINY_OSM.read_text()
        path.write_text(re.sub(r'<tag k="highway" v="[^"]*"/>', "", text))
        return path, "holds no"
    if kind == "bad-graphml":
        path = tmp / "net.graphml"
        path.write_text("<graphml><graph><node id=")
        return path, "GraphML"
    if kind == "graphml-of-other-mode":
        g = ox.load_graphml(RECTANGLE)
        g.graph["network_type"] = "drive"
        ox.save_graphml(g, tmp / "drive.graphml")
        return tmp / "drive.graphml", "is a drive network (its network_type is 'drive')"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "directory",
        "extension",
        "truncated",
        "not-osm",
        "no-streets",
        "bad-graphml",
        "graphml-of-other-mode",
    ],
)
def test_bad_network_files_raise(tmp_path: Path, kind: str) -> None:
    path, words = _bad(kind, tmp_path)
    with pytest.raises(NetworkFileError) as info:
        load_street_graph(path, "walk")
    message = str(info.value)
    assert path.name in message and words in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, PlannerError)


def _save_one_way_graphml(tmp: Path) -> Path:
    """The one-way rectangle saved as an osmnx GraphML with no network_type (as a plain
    ``ox.save_graphml`` of someone's drive graph)."""
    path = tmp / "someones_drive.graphml"
    ox.save_graphml(nx.relabel_nodes(_one_way_rectangle(), {"A": 1, "B": 2, "C": 3, "D": 4}), path)
    assert "network_type" not in ox.load_graphml(path).graph
    return path


def test_drive_graphml_asked_for_walking_is_refused_naming_both_fixes(tmp_path: Path) -> None:
    path = _save_one_way_graphml(tmp_path)
    assert _osm.one_way_edges(ox.load_graphml(path)) == [(1, 2, 0)]
    for load in (lambda: load_street_graph(path, "walk"), lambda: StreetEngine.from_file(path, "walk")):
        with pytest.raises(NetworkFileError) as info:
            load()
        msg = str(info.value)
        assert path.name in msg and "is a drive network (1 of its 7 edges are one-way)" in msg
        assert "--mode walk" in msg and "walk_on_drive_graph: true" in msg
    # an in-memory drive graph too; driving on it is fine
    with pytest.raises(NetworkFileError, match="drive network"):
        StreetEngine(_one_way_rectangle(), "walk")
    assert load_street_graph(path, "drive").number_of_edges() == 7


def test_drive_graph_made_two_way_for_walking_says_so(tmp_path: Path) -> None:
    path = _save_one_way_graphml(tmp_path)
    settings = StreetSettings(walk_kmh=4.8, snap_detour=1.0, walk_on_drive_graph=True)
    engine = StreetEngine.from_file(path, "walk", settings=settings, cache_dir=tmp_path / "cache")
    assert engine.walk_on_drive and engine.n_edges == 8  # B->A added
    # B -> A walks the 300 m one-way street against its direction: 300 m at 80 m/min
    assert float(engine.matrix(pts(B), pts(A), BANDS["day"])[0, 0]) == pytest.approx(225.0)
    assert "drive network in someones_drive.graphml, made two-way" in engine.describe()
    again = StreetEngine.from_file(path, "walk", settings=settings, cache_dir=tmp_path / "cache")
    assert again.walk_on_drive and "made two-way" in again.describe()  # from the cache
    # a real walk network is not "made two-way"
    walk = StreetEngine.from_file(RECTANGLE, "walk", settings=settings)
    assert not walk.walk_on_drive and "made two-way" not in walk.describe()
    in_memory = StreetEngine(_one_way_rectangle(), "walk", settings=settings)
    assert in_memory.walk_on_drive and in_memory.n_edges == 8


def test_network_covering_none_of_the_origins_raises(rect_walk: StreetEngine) -> None:
    far = pts((560000.0, 160000.0), (500000.0, 200000.0))
    assert rect_walk.coverage_fraction(far) == 0.0
    with pytest.raises(NetworkFileError, match=r"covers none of the 2 origins.*crowfly"):
        rect_walk.matrix(far, pts(A), BANDS["day"])


def test_points_without_coordinates_and_graphs_without_crs(rect_walk: StreetEngine) -> None:
    bad = Points(np.array(["ok", "lost"]), np.array([A[0], np.nan]), np.array([A[1], A[1]]))
    with pytest.raises(DataError, match="'lost'"):
        rect_walk.matrix(bad, pts(C), BANDS["day"])
    g = _one_way_rectangle()
    del g.graph["crs"]
    with pytest.raises(CRSError, match="no 'crs'"):
        StreetEngine(g, "drive")


def test_unprojected_graph_is_projected_and_progress_reported() -> None:
    engine = StreetEngine(_osm.graph_from_osm_file(TINY_OSM, "walk"), "walk")
    assert engine.n_nodes == 6
    to_bng = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
    node1, node3 = to_bng.transform(-0.1400, 51.5220), to_bng.transform(-0.1385, 51.5229)
    seen: list[tuple[int, int]] = []
    m = engine.matrix(
        pts(node1), pts(node3), BANDS["day"], progress=lambda d, t: seen.append((d, t))
    )
    # node 1 -> 2 -> 3: 104 m east then 100 m north, give or take projection
    assert 200 / WALK_MS < m[0, 0] < 210 / WALK_MS
    assert seen == [(1, 1)]


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="walk and drive"):
        load_street_graph(TINY_OSM, "transit")


# --------------------------------------------------------------------------- factory


def test_factory_uses_streets_where_covered_else_crowfly(caplog: pytest.LogCaptureFixture) -> None:
    inside = pts(A, B, (530150.0, 180200.0))
    assert isinstance(street_engine_or_crowfly("walk", RECTANGLE, inside), StreetEngine)
    assert isinstance(street_engine_or_crowfly("walk", None, inside), CrowflyEngine)
    mostly_outside = pts(A, (540000.0, 180000.0), (520000.0, 170000.0))
    slow = CrowflySettings(walk_kmh=3.0)
    with caplog.at_level(logging.WARNING, logger="geodata.travel.streets"):
        engine = street_engine_or_crowfly("walk", RECTANGLE, mostly_outside, crowfly_settings=slow)
    assert isinstance(engine, CrowflyEngine) and engine.name == "crowfly"
    assert engine.settings.walk_kmh == 3.0
    assert "covers 33.3% of the 3 origins" in caplog.text
    # a broken file is an error, not a silent fallback
    with pytest.raises(NetworkFileError):
        street_engine_or_crowfly("walk", RECTANGLE.with_name("nope.graphml"), inside)


def test_factory_street_settings_follow_crowfly_settings() -> None:
    cs = CrowflySettings(walk_kmh=5.0, walk_detour=1.2, cutoff_min=90.0)
    engine = street_engine_or_crowfly("walk", RECTANGLE, pts(A), crowfly_settings=cs)
    assert isinstance(engine, StreetEngine)
    assert (engine.settings.walk_kmh, engine.settings.snap_detour) == (5.0, 1.2)
    assert engine.settings.cutoff_min == 90.0


# --------------------------------------------------------------------------- download


def test_download_street_graph_saves_loadable_graphml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []

    def fake_graph_from_place(
        place: str, *, network_type: str, **kwargs: object
    ) -> nx.MultiDiGraph:
        calls.append((place, network_type))
        return _osm.graph_from_osm_file(TINY_OSM, network_type)

    monkeypatch.setattr(ox, "graph_from_place", fake_graph_from_place)
    out = download_street_graph("Marylebone, London, UK", "walk", tmp_path / "g" / "walk.graphml")
    assert calls == [("Marylebone, London, UK", "walk")] and out.is_file()
    g = load_street_graph(out, "walk")
    assert sorted(g.nodes) == [1, 2, 3, 4, 5, 7] and g.graph["crs"] == "EPSG:27700"
    with pytest.raises(NetworkFileError, match="holds a 'walk' network"):
        load_street_graph(out, "drive")
    with pytest.raises(NetworkFileError, match=r"should end in \.graphml"):
        download_street_graph("Marylebone", "walk", tmp_path / "walk.osm")


@pytest.mark.network
def test_download_street_graph_online(tmp_path: Path) -> None:
    out = download_street_graph("City of London, UK", "drive", tmp_path / "city_drive.graphml")
    engine = StreetEngine.from_file(out, "drive")
    assert engine.n_nodes > 500


# --------------------------------------------------------------------------- the London extract

PACK_PBF = Path("network/osm/central_london_marylebone_fitzrovia_2023-03.osm.pbf")


@pytest.fixture(scope="module")
def pack(london_data: Path) -> Path:
    """The London data pack (the shared fixture in tests/conftest.py skips without it)."""
    return london_data


@pytest.fixture(scope="module")
def extract_engines(pack: Path) -> dict[str, StreetEngine]:
    return {mode: StreetEngine.from_file(pack / PACK_PBF, mode) for mode in ("walk", "drive")}


@pytest.fixture(scope="module")
def lsoa(pack: Path) -> pd.DataFrame:
    return pd.read_csv(pack / "geography/derived/london_lsoa21_pwc_population_2021.csv")


def _points(df: pd.DataFrame) -> Points:
    return Points(df["LSOA21CD"].to_numpy(), df["pwc_x_bng"].to_numpy(), df["pwc_y_bng"].to_numpy())


def _in_extract(df: pd.DataFrame) -> pd.DataFrame:
    # the extract's cut box is about lon -0.1512..-0.1212, lat 51.5189..51.5270
    return df[df.pwc_lon.between(-0.1500, -0.1225) & df.pwc_lat.between(51.5195, 51.5262)]


@pytest.mark.london
def test_extract_loads_with_thousands_of_nodes(extract_engines: dict[str, StreetEngine]) -> None:
    assert extract_engines["walk"].n_nodes > 3000
    assert extract_engines["drive"].n_nodes > 1000
    assert extract_engines["walk"].n_edges > extract_engines["drive"].n_edges


@pytest.mark.london
def test_extract_times_are_plausible(
    extract_engines: dict[str, StreetEngine], lsoa: pd.DataFrame
) -> None:
    inside = _points(_in_extract(lsoa))
    assert len(inside) >= 5
    straight = np.hypot(
        inside.x[:, None] - inside.x[None, :], inside.y[:, None] - inside.y[None, :]
    )
    far = straight > 300
    walk = extract_engines["walk"].matrix(inside, inside, BANDS["day"])
    ratio = walk[far] / (straight[far] / WALK_MS)
    assert np.isfinite(walk).all()
    assert ratio.min() >= 1.0 and ratio.max() < 2.0 and 1.15 < np.median(ratio) < 1.7
    drive_day = extract_engines["drive"].matrix(inside, inside, BANDS["day"])
    drive_night = extract_engines["drive"].matrix(inside, inside, BANDS["night"])
    assert np.isfinite(drive_day).all() and (drive_night[far] < drive_day[far]).all()
    assert (drive_day[far] < walk[far]).mean() > 0.5  # driving beats walking over 300 m+
    assert 0.7 < extract_engines["drive"].speed_factor(BANDS["day"]) < 0.8


@pytest.mark.london
def test_factory_on_the_pack(
    pack: Path, lsoa: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    pbf = pack / PACK_PBF
    with caplog.at_level(logging.WARNING, logger="geodata.travel.streets"):
        everyone = street_engine_or_crowfly("walk", pbf, _points(lsoa))
    assert isinstance(everyone, CrowflyEngine)
    assert "using the crowfly engine for walk" in caplog.text
    inside = _points(_in_extract(lsoa))
    for mode in ("walk", "drive"):
        engine = street_engine_or_crowfly(mode, pbf, inside)
        assert isinstance(engine, StreetEngine) and engine.mode == mode
        assert engine.coverage_fraction(inside) == 1.0


@pytest.mark.london
def test_truncated_copy_of_the_pack_pbf(pack: Path, tmp_path: Path) -> None:
    cut = tmp_path / "central_london_cut.osm.pbf"
    cut.write_bytes((pack / PACK_PBF).read_bytes()[:300_000])
    with pytest.raises(NetworkFileError, match=r"central_london_cut\.osm\.pbf.*truncated"):
        load_street_graph(cut, "drive")
