"""Data enters once, checked: the London facts, and clear errors for bad files."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geodata import settings
from geodata._manifest import LAYERS, read_layer, read_table
from geodata.areas import load_areas, load_units
from geodata.errors import (
    CRSError,
    DataError,
    MissingColumnError,
    MissingDataError,
    OutsideAreaError,
)
from geodata.places import check_in_great_britain, load_host_places, load_places_csv
from geodata.postcodes import Geocoder, UnknownPostcodeError, normalise_postcode


@pytest.mark.london
def test_boroughs_and_units(london_data):
    areas = load_areas(london_data)
    assert len(areas) == 33
    assert areas["code"].tolist() == [f"E090000{i:02d}" for i in range(1, 34)]
    units = load_units(london_data)
    f = units.frame
    assert len(f) == 4994 and f["unit_id"].is_unique
    assert f["population"].sum() == 8_799_631
    assert f["pop_65_plus"].sum() == 1_043_427
    assert set(f["area_code"]) == set(areas["code"])
    assert f["imd_decile"].between(1, 10).all()
    # IMD carried from LSOA 2011: London has 795 LSOA11s in deciles 1-2 (107 + 688);
    # splits and merges move the LSOA21 count only a little
    assert 780 <= int((f["imd_decile"] <= 2).sum()) <= 860
    # every population-weighted centroid lies inside the borough it reports to
    pts = gpd.GeoDataFrame(f, geometry=gpd.points_from_xy(f.x, f.y), crs=27700)
    j = gpd.sjoin(pts, areas[["code", "geometry"]], predicate="within")
    assert (j["area_code"] == j["code"]).all() and len(j) == 4994


@pytest.mark.london
def test_host_places(london_data):
    places = load_host_places(london_data, load_areas(london_data))
    counts = places["host"].value_counts().to_dict()
    assert counts["supermarket"] == 2009  # GEOLYTIX rows with county = Greater London
    assert 330 <= counts["library"] <= 345  # 381 rows less the 38 closed, inside the boroughs
    assert 100 <= counts["fire_station"] <= 102  # 103 open in 2014 incl. the river station
    assert places["place_id"].is_unique
    assert "post_office" not in counts  # the pack has no Post Office list


@pytest.mark.london
def test_geocoder(london_data):
    g = Geocoder.from_data_dir(london_data)
    assert len(g) > 180_000
    x, y = g.lookup("w3 9bh")  # Acton police station
    assert abs(x - 519748) < 1 and abs(y - 180249) < 1
    with pytest.raises(UnknownPostcodeError, match="not in Code-Point Open, the postcode list of August 2014"):
        g.lookup("W6 7NX")  # newer than the 2014 file
    with pytest.raises(UnknownPostcodeError, match="not a UK postcode"):
        g.lookup("hello")


def test_normalise_postcode():
    assert normalise_postcode("sw1a1aa") == "SW1A 1AA"


def test_data_dir_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("ESTATE_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(MissingDataError) as e:
        settings.data_dir()
    msg = str(e.value)
    assert "ESTATE_DATA" in msg and "GEOLYTIX" in msg and "boroughs/London_Borough_Excluding_MHW.shp" in msg


def test_missing_file_names_publisher(tmp_path):
    with pytest.raises(MissingDataError) as e:
        read_table("population", tmp_path)
    assert "london_lsoa21_pwc_population_2021.csv" in str(e.value) and "Census 2021" in str(e.value)


def test_missing_column_names_file_and_column(tmp_path):
    path = LAYERS["population"].locate(tmp_path)
    path.parent.mkdir(parents=True)
    pd.DataFrame({"LSOA21CD": ["E01000001"], "pop_total_2021": [5]}).to_csv(path, index=False)
    with pytest.raises(MissingColumnError) as e:
        read_table("population", tmp_path)
    assert str(path) in str(e.value) and "'pwc_x_bng'" in str(e.value)
    assert isinstance(e.value, KeyError)


def test_wrong_row_count(tmp_path, london_data):
    src = LAYERS["imd2019"].locate(london_data)
    dst = LAYERS["imd2019"].locate(tmp_path)
    dst.parent.mkdir(parents=True)
    dst.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:11]), encoding="utf-8")
    with pytest.raises(DataError, match="has 10 rows, expected 4,835"):
        read_table("imd2019", tmp_path)


def test_layer_without_crs_is_refused(tmp_path):
    path = LAYERS["boroughs"].locate(tmp_path)
    path.parent.mkdir(parents=True)
    gdf = gpd.GeoDataFrame({"NAME": ["X"], "GSS_CODE": ["E09000001"]}, geometry=[box(0, 0, 1, 1)])
    with pytest.warns(UserWarning, match="crs"):
        gdf.to_file(path)
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(CRSError, match=r"no coordinate reference system .*set_crs\(27700\)"):
        read_layer("boroughs", tmp_path)


def test_malformed_csv(tmp_path):
    path = LAYERS["fire_stations"].locate(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'Station_Name,Postcode\n"unclosed,1\n\xff\xfe\x00bad')
    with pytest.raises(DataError, match=r"fire_stations_lfb_2013_london\.csv"):
        read_table("fire_stations", tmp_path)


def test_points_outside_great_britain():
    check_in_great_britain(530_000, 180_000, "ok")
    with pytest.raises(OutsideAreaError, match=r"row 3.*outside Great Britain"):
        check_in_great_britain(-0.12, 51.5, "sites.csv row 3")  # degrees given as metres


def test_places_csv_bad_rows(tmp_path):
    p = tmp_path / "po.csv"
    p.write_text("id,name,lon,lat\n1,A,-0.1,51.5\n1,B,-0.2,51.5\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"po\.csv row 3: duplicate id '1'"):
        load_places_csv(p, "post_office")
    p.write_text("id,name,easting,northing\n1,A,abc,180000\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2: a coordinate is not a number"):
        load_places_csv(p, "post_office")
    p.write_text("id,name,lon,lat\n1,A,-0.1,51.5\n2,B,2.35,48.85\n", encoding="utf-8")
    with pytest.raises(OutsideAreaError, match="row 3"):
        load_places_csv(p, "post_office")
    p.write_text("id,name,lon,lat\n7,Upper Street,-0.103,51.538\n", encoding="utf-8")
    df = load_places_csv(p, "post_office")
    assert df["place_id"].tolist() == ["post-office-7"]
    assert np.isclose(df["x"].iloc[0], 531_661, atol=5)


@pytest.mark.london
def test_post_offices_load_when_present(tmp_path, london_data):
    # a data dir that is the pack plus a post office list
    data = tmp_path / "data"
    shutil.copytree(london_data, data, ignore=shutil.ignore_patterns("*.xlsx", "*.pdf", "*.gz", "network"))
    (data / "estate").chmod(0o755)  # the pack is read-only; the copy need not be
    (data / "estate" / "post_offices.csv").write_text(
        "id,name,postcode\n1,Acton High Street,W3 9BH\n", encoding="utf-8")
    places = load_host_places(data, load_areas(data), geocoder=Geocoder.from_data_dir(data))
    po = places[places["host"] == "post_office"]
    assert po["place_id"].tolist() == ["post-office-1"] and po["area_name"].iloc[0] == "Ealing"
