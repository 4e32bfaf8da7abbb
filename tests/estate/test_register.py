"""The site register: the Met counters in the pack, and a user's register CSV."""

from __future__ import annotations

import pytest

from estate.errors import DuplicateSiteError, HoursError, UnknownSiteError
from estate.register import load_register_csv
from geodata.errors import DataError, OutsideAreaError
from tests import toy


def csv(tmp_path, text):
    p = tmp_path / "sites.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_register_csv_loads_and_finds_boroughs(tmp_path):
    p = csv(tmp_path, "site_id,name,hours,easting,northing,footfall\n"
                      "north,North,24/7,531000,181000,3\nsouth,South,Mo-Fr 10:00-22:00,536000,181000,\n")
    df = load_register_csv(p, toy.areas())
    assert df["area_code"].tolist() == ["A", "B"]
    assert df["located"].all() and (df["problem"] == "").all()
    assert df["footfall"].iloc[0] == 3


def test_duplicate_site_id_names_rows(tmp_path):
    p = csv(tmp_path, "site_id,name,hours,easting,northing\na,A,24/7,531000,181000\nb,B,24/7,531000,181000\na,C,24/7,531000,181000\n")
    with pytest.raises(DuplicateSiteError, match=r"sites\.csv: site_id 'a' appears on rows \[2, 4\]"):
        load_register_csv(p, toy.areas())


def test_bad_hours_names_row_and_site(tmp_path):
    p = csv(tmp_path, "site_id,name,hours,easting,northing\na,A,9 to 5,531000,181000\n")
    with pytest.raises(HoursError, match=r"sites\.csv row 2 \(a\).*'9 to 5'"):
        load_register_csv(p, toy.areas())


def test_coordinates_outside_great_britain(tmp_path):
    p = csv(tmp_path, "site_id,name,hours,lon,lat\na,A,24/7,-0.1,51.5\nparis,Paris,24/7,2.35,48.85\n")
    with pytest.raises(OutsideAreaError, match=r"sites\.csv row 3 \(paris\)"):
        load_register_csv(p, toy.areas())


def test_missing_location_is_a_problem_not_a_crash(tmp_path):
    p = csv(tmp_path, "site_id,name,hours,easting,northing\na,A,24/7,531000,181000\nb,B,24/7,,\n")
    df = load_register_csv(p, toy.areas())
    assert df.set_index("site_id").loc["b", "problem"].startswith("no coordinates")
    assert not df.set_index("site_id").loc["b", "located"]


def test_site_in_the_wrong_borough_is_reported(tmp_path):
    p = csv(tmp_path, "site_id,name,hours,easting,northing,borough\na,A,24/7,536000,181000,A\n")
    df = load_register_csv(p, toy.areas())
    assert df["problem"].iloc[0] == "claims Area A but lies in Area B"


def test_register_needs_columns(tmp_path):
    p = csv(tmp_path, "id,name\n1,x\n")
    with pytest.raises(DataError, match=r"lacks required column\(s\) site_id"):
        load_register_csv(p, toy.areas())


def test_unknown_site_id_suggestions(toy_case):
    with pytest.raises(UnknownSiteError, match="Did you mean 's1'"):
        toy_case.estate.check_id("s1x")


@pytest.mark.london
def test_met_register(london):
    reg = london.estate.register
    assert len(reg) == 40
    assert int(reg["open"].sum()) == 37  # the Met's 37 public counters, 2024
    open_ = reg[reg["open"]]
    assert int((open_["hours"] == "24/7").sum()) == 32
    assert set(london.estate.problems.index) == {"church-street", "royalty-studios"}
    # every located counter lies inside the borough it claims (or it would be a problem)
    assert (reg.loc[reg["located"], "problem"] == "").all()
    assert reg.loc["charing-cross", "footfall"] == 15
    assert london.estate.sites.index.is_unique
    assert len(london.estate.candidates) > 2400
