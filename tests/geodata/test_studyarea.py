"""Study areas: names with suggestions, deciles within each nation, national loaders,
and the partial street engine (network where it reaches, crow-fly elsewhere)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.errors import UnknownAreaError
from geodata.studyarea import _decile, study_area
from geodata.travel.base import BANDS, Points
from geodata.travel.crowfly import CrowflyEngine, CrowflySettings
from geodata.travel.partial import PartialStreetEngine
from geodata.travel.streets import StreetEngine, StreetSettings, street_engine_or_crowfly

NATIONAL = Path(__file__).resolve().parents[2].parent / "shared" / "national"
RECTANGLE = Path(__file__).resolve().parents[1] / "data" / "streets_rectangle_27700.graphml"
A, C = (530000.0, 180000.0), (530300.0, 180400.0)  # two corners of the 300 x 400 m rectangle


@pytest.fixture(scope="module")
def national() -> Path:
    if not (NATIONAL / "geography" / "lsoa21_master_ew.csv").exists():
        pytest.skip("the national pack is not available (../shared/national)")
    return NATIONAL


def test_named_areas() -> None:
    assert study_area().is_london and study_area("LONDON").is_london
    newport = study_area(" Newport ")
    assert (newport.key, newport.kind, newport.codes) == ("newport", "districts", ("W06000022",))


def test_unknown_area_suggests_names() -> None:
    with pytest.raises(UnknownAreaError, match=r"did you mean 'newport'\?"):
        study_area("newprt")
    with pytest.raises(UnknownAreaError, match="known areas are london, newport"):
        study_area("atlantis")
    with pytest.raises(UnknownAreaError, match="not both"):
        study_area("newport", "Gwent")


def test_forces_by_name_or_code(national: Path) -> None:
    for name in ("Gwent", "gwent police", "W15000002", "w15000002"):
        a = study_area(force=name, national=national)
        assert (a.kind, a.codes, a.label) == ("force", ("W15000002",), "Gwent")
    assert study_area(force="Devon and Cornwall", national=national).label == "Devon & Cornwall"
    with pytest.raises(UnknownAreaError, match=r"did you mean 'Gwent'\?"):
        study_area(force="Gwnet Police", national=national)
    every = study_area(force="all", national=national)
    assert (every.key, every.label, len(every.codes)) == ("force-all", "England and Wales", 43)


def test_deciles_are_within_each_nation() -> None:
    # merged LSOAs (two 2011 parents) take the decile of their mean rank in their own nation:
    # England ranks 32,844 LSOAs (3,284.4 a decile), Wales 1,909 (190.9 a decile)
    rows = pd.DataFrame({
        "imd19_rank_from_lsoa11": [3284.0, 3285.0, 100.0], "imd19_decile_from_lsoa11": [1.5, 1.5, 1.0],
        "wimd19_rank_from_lsoa11": [190.0, 191.0, 1909.0], "wimd19_decile_from_lsoa11": [1.5, 1.5, 10.0],
        "n_lsoa11_parents": [2.0, 2.0, 1.0],
    })
    np.testing.assert_array_equal(_decile(rows, "E"), [1, 2, 1])
    np.testing.assert_array_equal(_decile(rows, "W"), [1, 2, 10])


def test_newport_units_districts_places(national: Path) -> None:
    from geodata.studyarea import load_area_districts, load_area_places, load_area_units

    units = load_area_units(study_area("newport"), national)
    f = units.frame
    assert len(units) == 100 and int(f["population"].sum()) == 159_611
    assert set(f["nation"]) == {"W"} and list(units.area_codes) == ["W06000022"]
    master = pd.read_csv(national / "geography" / "lsoa21_master_ew.csv")
    master = master[master["ltla24_code"] == "W06000022"].set_index("lsoa21_code")
    # Welsh LSOAs take WIMD 2019 deciles (none of Newport's is merged)
    np.testing.assert_array_equal(f.set_index("unit_id")["imd_decile"],
                                  master.loc[f["unit_id"], "wimd19_decile_from_lsoa11"].astype(int))
    districts = load_area_districts(study_area("newport"), national, ["W06000022"])
    assert list(districts["name"]) == ["Newport"] and districts.crs.to_epsg() == 27700
    places = load_area_places(national, districts)
    assert set(places["host"]) >= {"supermarket", "library", "post_office"}
    assert (places["area_code"] == "W06000022").all()
    assert (places["host"] == "post_office").sum() == 13  # every OSM post office lies in the city


# ---------------------------------------------------------------- partial street engine


def _pts(*xy: tuple[float, float]) -> Points:
    arr = np.asarray(xy, dtype=float)
    return Points(np.array([f"p{i}" for i in range(len(arr))]), arr[:, 0], arr[:, 1])


def test_partial_engine_network_inside_crowfly_outside() -> None:
    street = StreetEngine.from_file(RECTANGLE, "walk", settings=StreetSettings(snap_detour=1.3))
    crow = CrowflyEngine("walk", CrowflySettings())
    far = (A[0] - 3000.0, A[1])  # 3 km west: outside the network
    origins = _pts(A, far)
    sites = _pts(C, (C[0] + 2000.0, C[1]))  # one site on the network, one 2 km off it
    engine = PartialStreetEngine(street, crow, origins)
    assert engine.outside_ids == ("p1",)
    m = engine.matrix(origins, sites, BANDS["day"])
    cf = crow.matrix(origins, sites, BANDS["day"])
    assert m[0, 0] == pytest.approx(700 / (4.8 / 3.6), rel=1e-6)  # along the streets, A to C
    np.testing.assert_allclose(m[1], cf[1], rtol=1e-6)  # the far origin: crow-fly to every site
    np.testing.assert_allclose(m[:, 1], cf[:, 1], rtol=1e-6)  # the far site: crow-fly from everyone
    assert "covers 1 of the 2 LSOAs" in engine.describe() and "p1" in engine.describe()
    assert engine.name == "streets+crowfly" and engine.variant(BANDS["night"]) == "all"


def test_factory_gives_the_partial_engine_only_when_asked() -> None:
    origins = _pts(A, (A[0] - 3000.0, A[1]))
    assert isinstance(street_engine_or_crowfly("walk", RECTANGLE, origins), CrowflyEngine)
    assert isinstance(street_engine_or_crowfly("walk", RECTANGLE, origins, partial=True), PartialStreetEngine)
    assert isinstance(street_engine_or_crowfly("walk", RECTANGLE, _pts(A), partial=True), StreetEngine)


def test_merged_gtfs_feeds_keep_each_feed_apart(tmp_path: Path) -> None:
    import zipfile

    from geodata.travel.gtfs_merge import merge_feeds
    from geodata.travel.transit import TransitEngine

    toy = Path(__file__).resolve().parents[1] / "data" / "gtfs_toy"
    merged = merge_feeds([toy, toy], tmp_path)
    assert merge_feeds([toy, toy], tmp_path) == merged  # written once, then reused
    stops = zipfile.ZipFile(merged).read("stops.txt").decode().splitlines()
    assert stops[1].startswith("0:A,") and any(s.startswith("1:A,") for s in stops)
    one = TransitEngine.from_gtfs(toy).network("Wed 12:00")
    two = TransitEngine.from_gtfs(merged).network("Wed 12:00")
    # each feed's lines stay its own (same names, same headways), not one line run twice as often
    assert len(two.line_names) == 2 * len(one.line_names)
    assert sorted(two.line_headway_s) == sorted([*one.line_headway_s, *one.line_headway_s])
