"""Community safety partnerships as areas (``--areas csp``): a toy regrouping by hand, London's
33 (its 32 Met CSPs and the City's), and a force whose CSPs join several districts."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from estate.planner import Planner
from geodata.errors import DataError, UnknownAreaError
from geodata.studyarea import check_grouping, csp_lookup, regroup_areas, regroup_frame

NATIONAL = Path(__file__).resolve().parents[2].parent / "shared" / "national"
needs_national = pytest.mark.skipif(not (NATIONAL / "geography").is_dir(), reason="the national pack is not available")

#: three districts, two CSPs: D1 and D2 make C1 (North), D3 is C2 (South)
LOOKUP = {"D1": (("C1", "North"),), "D2": (("C1", "North"),), "D3": (("C2", "South"),),
          "D4": (("C1", "North"), ("C2", "South"))}


def test_grouping_names_and_a_bad_one():
    assert check_grouping(None) == "district" and check_grouping("csp") == "csp"
    assert check_grouping("Community safety partnerships") == "csp" and check_grouping("boroughs") == "district"
    with pytest.raises(UnknownAreaError, match=r"give district .* or csp"):
        check_grouping("wards")
    with pytest.raises(UnknownAreaError, match="did you mean 'csp'"):
        check_grouping("cps")


def test_a_toy_regrouping_by_hand():
    df = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "area_code": ["D1", "D2", "D3", ""],
                       "area_name": ["One", "Two", "Three", "none"], "population": [10, 20, 30, 5]})
    out = regroup_frame(df, LOOKUP, where="toy")
    assert out["area_code"].tolist() == ["C1", "C1", "C2", ""] and out["area_name"].tolist()[:3] == ["North"] * 2 + ["South"]
    assert out.groupby("area_code")["population"].sum().to_dict() == {"": 5, "C1": 30, "C2": 30}
    assert df["area_code"].tolist()[0] == "D1"  # the input is not changed
    with pytest.raises(DataError, match=r"toy: district code\(s\) \['D9'\]"):
        regroup_frame(df.assign(area_code=["D9", "D1", "D1", "D1"]), LOOKUP, where="toy")
    with pytest.raises(DataError, match=r"split between several .*D4: North, South.* --areas district"):
        regroup_frame(df.assign(area_code=["D4", "D1", "D1", "D1"]), LOOKUP, where="toy")
    areas = gpd.GeoDataFrame({"code": ["D1", "D2", "D3"], "name": ["One", "Two", "Three"], "inner": [True, False, False]},
                             geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs=27700)
    g = regroup_areas(areas, LOOKUP)
    assert g["code"].tolist() == ["C1", "C2"] and g["name"].tolist() == ["North", "South"]
    assert g.geometry.area.tolist() == [2.0, 1.0] and g["inner"].tolist() == [True, False]


@needs_national
def test_the_lookup_covers_every_district_of_england_and_wales():
    lk = csp_lookup(NATIONAL)
    assert len(lk) == 318 and len({c for v in lk.values() for c, _ in v}) == 314
    assert sum(len(v) for v in lk.values()) == 332 and lk["E09000001"] == (("E22000180", "City of London"),)
    assert [n for _, n in lk["E06000060"]] == ["Aylesbury Vale", "Chiltern", "South Bucks", "Wycombe"]


@needs_national
def test_london_by_csp_has_the_boroughs_figures(london_data, tmp_path):
    by_csp = Planner(london_data, grouping="csp", cache_dir=tmp_path)
    by_borough = Planner(london_data, cache_dir=tmp_path)
    assert len(by_csp.areas) == 33 and all(c.startswith("E22") for c in by_csp.areas["code"])
    assert by_csp.units.frame["population"].sum() == 8_799_631
    a = by_csp.coverage("baseline-2024", "walk", "day")
    b = by_borough.coverage("baseline-2024", "walk", "day")
    lk = csp_lookup(NATIONAL)
    want = dict(zip([lk[c][0][0] for c in b.area_codes], b.beyond(45)[:-1], strict=True))
    assert dict(zip(a.area_codes, a.beyond(45)[:-1], strict=True)) == want
    assert a.beyond(45)[-1] == b.beyond(45)[-1] and a.to_dict()["london"]["population"] == 8_799_631
    # the City's CSP is exempt from the Met's rules, as the City's district is
    from estate.rules import DEFAULT_RULES

    assert all("E22000180" in r.exempt for r in DEFAULT_RULES)
    # sites report to their CSP: the register's 40 sites and the candidates, none lost
    sites = by_csp.estate.sites
    assert set(sites.loc[sites["area_code"] != "", "area_code"]) <= set(by_csp.areas["code"])
    assert len(sites) == len(by_borough.estate.sites)


@needs_national
def test_a_force_whose_csps_join_districts(tmp_path):
    from geodata.studyarea import study_area

    area = study_area(force="West Mercia", national=NATIONAL)
    csp = Planner(NATIONAL, area=area, grouping="csp", cache_dir=False)
    lad = Planner(NATIONAL, area=area, cache_dir=False)
    t = pd.read_csv(NATIONAL / "geography" / "lookup_lad24_csp24_pfa24.csv", dtype=str)
    mine = t[t["pfa24_name"] == "West Mercia"]
    assert len(lad.units.area_codes) == len(mine) and len(csp.units.area_codes) == mine["csp24_code"].nunique()
    assert mine["csp24_code"].nunique() < len(mine)  # North and South Worcester join three districts each
    assert csp.units.frame["population"].sum() == lad.units.frame["population"].sum()
    w = csp.units.weights()["all"]
    per_csp = np.bincount(csp.units.area_index, weights=w)
    north = list(csp.units.area_codes).index("E22000368")
    lads = set(mine.loc[mine["csp24_code"] == "E22000368", "ltla24_code"])
    in_north = lad.units.frame["area_code"].isin(lads).to_numpy()
    assert per_csp[north] == pytest.approx(float(w[in_north].sum()))
    assert len(csp.areas) == mine["csp24_code"].nunique()


@needs_national
def test_a_force_with_a_split_district_is_refused_clearly():
    from geodata.studyarea import study_area

    p = Planner(NATIONAL, area=study_area(force="Thames Valley", national=NATIONAL), grouping="csp", cache_dir=False)
    with pytest.raises(DataError, match=r"E06000060.*Aylesbury Vale, Chiltern"):
        p.units  # noqa: B018


def test_the_cli_refuses_an_unknown_grouping(capsys):
    from estate.cli import main

    code = main(["--areas", "wards", "coverage", "baseline-2024", "--mode", "walk"])
    err = capsys.readouterr().err
    assert code == 2 and "give district" in err and "Traceback" not in err
