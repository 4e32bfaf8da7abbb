"""Newport (Gwent Police) end to end on the national pack: its 100 LSOAs, the example
register of OpenStreetMap police stations, walking on the OSM extract (crow-fly only
outside it), transit on the bus GTFS, and the study area in every cache key."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from estate import settings as config
from estate.cli import main
from estate.errors import RegisterError
from estate.planner import Planner
from geodata.travel.crowfly import CrowflyEngine
from geodata.travel.partial import PartialStreetEngine

NATIONAL = Path(__file__).resolve().parents[2].parent / "shared" / "national"

pytestmark = pytest.mark.skipif(not (NATIONAL / "newport").is_dir(), reason="the national pack is not available")


@pytest.fixture(scope="module")
def newport() -> Planner:
    # the shared cache: the street arrays and matrices are keyed by content and verified on read
    return Planner(area="newport", cache_dir=config.cache_dir() or False)


def test_newport_covers_its_lsoas_and_residents(newport: Planner) -> None:
    t = newport.tables
    assert t.shape[0] == 100 and int(t.weights["all"].sum()) == 159_611
    assert list(t.area_names) == ["Newport"]
    reg = newport.estate.register
    assert len(reg) == 5 and reg["located"].all() and (reg["area_code"] == "W06000022").all()
    assert reg["notes"].str.contains("OpenStreetMap police station, not an official front-counter list").all()
    assert newport.scenarios_dir.name == "newport" and "example-two-close" in newport.scenarios


def test_newport_walk_uses_the_osm_network_inside_the_extract(newport: Planner) -> None:
    engine = newport.engine("walk")
    assert isinstance(engine, PartialStreetEngine)
    covered = engine.street.covered(newport.units.points)
    assert covered.sum() == 100 - len(engine.outside_ids) and covered.sum() > 50
    times = newport.matrix("walk", "day")
    pts, sites = newport.units.points, newport.estate.points()
    crow = CrowflyEngine("walk").matrix(pts, sites, _band())
    site_ok = engine.street.covered(sites)
    inside = np.ix_(np.flatnonzero(covered), np.flatnonzero(site_ok))
    outside = np.flatnonzero(~covered)
    # outside the extract: exactly crow-fly; inside: network times, which differ from crow-fly
    np.testing.assert_allclose(times[outside], crow[outside], rtol=1e-6)
    assert not np.allclose(times[inside], crow[inside], rtol=0.02)
    res = newport.coverage("register", "walk", "day").to_dict()
    assert res["engine"] == "streets+crowfly" and "LSOAs on crow-fly" in res["engine_note"]
    assert all(u in res["engine_note"] for u in engine.outside_ids)
    assert res["total"]["population"] == 159_611 and "london" not in res
    assert "within each nation" in res["deprivation"]


def _band():
    from geodata.travel.base import parse_band

    return parse_band("day")


def test_newport_transit_uses_the_gtfs_engine(newport: Planner) -> None:
    engine = newport.engine("transit")
    assert engine.name == "transit" and engine.source == "gtfs"  # type: ignore[attr-defined]
    assert engine.settings_key()["gtfs_week"] == "2024-03-06"  # type: ignore[attr-defined]
    res = newport.coverage("register", "transit", "day").to_dict()
    # the bus GTFS merged with the area's rail GTFS (when the London pack holds it)
    assert "newport_bus_bods_2024-03_gtfs" in res["engine_note"]
    if newport.gtfs_extra:
        assert "newport_area_rail_atoc_20240305_gtfs" in res["engine_note"]
        assert "rail" in set(engine.network("day").line_modes)  # type: ignore[attr-defined]
    assert res["total"]["population"] == 159_611
    # public transport beats walking the whole way for someone, and is never slower than it
    walk_all_the_way = newport.matrix("walk", "day")
    assert np.isfinite(newport.matrix("transit", "day")).mean() > 0.9
    assert res["total"]["mean_min"] < newport.coverage("register", "walk", "day").to_dict()["total"]["mean_min"]
    assert walk_all_the_way.shape == newport.matrix("transit", "day").shape


def test_unfound_postcodes_are_an_error_naming_the_rows(tmp_path: Path) -> None:
    csv = tmp_path / "register.csv"
    csv.write_text("site_id,name,hours,postcode\n"
                   "central,Central,24/7,NP20 2EH\n"
                   "nowhere,Nowhere,24/7,ZZ9 9ZZ\n"
                   "ghost,Ghost,Mo-Fr 09:00-17:00,NP19 8XD\n", encoding="utf-8")
    p = Planner(area="newport", register_csv=csv, cache_dir=False)
    with pytest.raises(RegisterError, match=r"2 postcode\(s\) not found in Code-Point Open 2025: "
                                            r"row 3 \(nowhere\): 'ZZ9 9ZZ'; row 4 \(ghost\): 'NP19 8XD'"):
        _ = p.estate


def test_newport_evidence_names_the_whole_area_and_the_deprivation_indices(newport: Planner) -> None:
    from estate.evidence import build_evidence

    ev = build_evidence(newport, "example-two-close", against="register", mode="walk", bands=("day",))
    doc = ev.to_dict()
    assert doc["summary"]["day"]["total"]["name"] == "Newport" and "london" not in doc["summary"]["day"]
    assert any("within each nation" in n for n in doc["notes"])
    assert {c["site_id"] for c in doc["sites"]} == {"alway", "rogerstone", "newport-central"}


def test_a_force_without_a_register_says_to_give_one() -> None:
    from geodata.studyarea import study_area

    p = Planner(area=study_area(force="Gwent"), cache_dir=False)
    assert len(p.units) > 100  # Gwent is five districts
    with pytest.raises(RegisterError, match="--register"):
        _ = p.estate


def test_cli_unknown_area_and_force_suggest_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--area", "newprt", "scenarios"]) == 2
    assert "did you mean 'newport'?" in capsys.readouterr().err
    assert main(["--force", "Gwnet", "scenarios"]) == 2
    assert "did you mean 'Gwent'?" in capsys.readouterr().err


def test_cli_newport_coverage_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--area", "newport", "coverage", "example-two-close", "--mode", "walk", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["total"]["name"] == "Newport" and doc["total"]["open_sites"] == 3 and "london" not in doc


@pytest.mark.london
def test_london_and_newport_never_share_cache_files(london_data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    lon, new = Planner(london_data, cache_dir=cache), Planner(area="newport", cache_dir=cache)
    assert lon.tables.shape[0] == 4_994 and new.tables.shape[0] == 100
    assert lon._inputs()[0][0].startswith("area:london") and new._inputs()[0][0].startswith("area:newport")
    files = sorted(p.name for p in cache.glob("estate-tables-*.npz"))
    assert len(files) == 2
    # fresh planners read their own tables back, never each other's
    assert Planner(london_data, cache_dir=cache).tables.shape[0] == 4_994
    assert Planner(area="newport", cache_dir=cache).tables.shape[0] == 100
    assert lon.coverage("baseline-2024", "walk", "day").to_dict()["london"] == \
        lon.coverage("baseline-2024", "walk", "day").to_dict()["total"]
