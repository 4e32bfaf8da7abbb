"""Facts on the real London data: coverage and comparison of the shipped scenarios."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.london


def test_baseline_coverage_shape_and_totals(london):
    d = london.coverage("baseline-2024", "walk", "day").to_dict()
    assert d["engine"] == "crowfly" and "straight-line" in d["engine_note"]
    assert d["thresholds_min"] == [15, 30, 45, 60]
    assert len(d["areas"]) == 33
    assert [a["code"] for a in d["areas"]] == sorted(a["code"] for a in d["areas"])
    lon = d["london"]
    assert lon["population"] == 8_799_631
    assert sum(a["population"] for a in d["areas"]) == 8_799_631
    assert lon["groups"]["age_65_plus"]["population"] == 1_043_427
    assert lon["open_sites"] == 35  # 37 counters less the two with no location
    assert lon["open_24_7"] == 32
    for a in d["areas"]:
        assert set(a) >= {"code", "name", "population", "open_sites", "open_24_7", "share_within",
                          "beyond", "mean_min", "median_min", "p95_min", "groups"}
        s = a["share_within"]
        assert 0 <= s["15"] <= s["30"] <= s["45"] <= s["60"] <= 1
        assert a["beyond"]["45"] == pytest.approx(a["population"] * (1 - s["45"]), abs=a["population"] * 1e-4 + 1)
        assert a["median_min"] <= a["p95_min"]
    # every borough had a 24/7 counter in 2024 except the City (policed by City of London Police)
    assert [a["name"] for a in d["areas"] if a["open_24_7"] == 0] == ["City of London"]


def test_night_band_drops_part_time_counters(london):
    day = london.coverage("baseline-2024", "walk", "day").to_dict()["london"]
    night = london.coverage("baseline-2024", "walk", "night").to_dict()["london"]
    assert (day["open_sites"], night["open_sites"]) == (35, 32)
    assert night["beyond"]["45"] >= day["beyond"]["45"]


def test_outcome_2026(london):
    res = london.coverage("outcome-2026", "walk", "night")
    d = res.to_dict()
    assert d["london"]["open_sites"] == 2 and d["london"]["open_24_7"] == 2
    day = london.coverage("outcome-2026", "walk", "day").to_dict()
    no_counter = {a["name"] for a in day["areas"] if a["open_sites"] == 0}
    assert {"Harrow", "Merton", "Richmond upon Thames", "Waltham Forest", "Kensington and Chelsea"} <= no_counter


@pytest.mark.parametrize("scenario", ["outcome-2026"])
@pytest.mark.parametrize("band", ["day", "night"])
def test_closures_never_shorten_a_trip(london, scenario, band):
    base = london.coverage("baseline-2024", "walk", band)
    scen = london.coverage(scenario, "walk", band)
    assert np.all(scen.unit_minutes >= base.unit_minutes - 1e-6)
    assert scen.beyond(45)[-1] >= base.beyond(45)[-1]


def test_compare_json_shape(london):
    c = london.compare("baseline-2024", "met-proposal-2025", "drive", "night").to_dict()
    assert (c["base"], c["scenario"], c["mode"], c["band"]) == ("baseline-2024", "met-proposal-2025", "drive", "night")
    assert len(c["areas"]) == 33
    a = c["areas"][0]
    assert set(a) == {"code", "name", "base", "scenario"}
    assert c["london"]["base"]["open_sites"] == 32 and c["london"]["scenario"]["open_sites"] == 18
    assert c["london"]["scenario"]["beyond"]["15"] >= c["london"]["base"]["beyond"]["15"]


def test_scenario_table(london):
    t = london.scenario_table().set_index("id")
    assert t.loc["met-proposal-2025", "close"] == 18
    assert t.loc["outcome-2026", "open_sites"] == 27 and t.loc["outcome-2026", "open_24_7"] == 2
    assert t.loc["baseline-2024", "open_sites"] == 37


def test_partial_street_network_network_inside_crowfly_outside(london_data, tmp_path):
    """The pack's Marylebone-Fitzrovia extract on all of London: the 20 LSOAs it covers get
    network times to the sites it covers; every other pair is crow-fly (Thames crossings
    included); every output says which, with the covered share."""
    import json

    from estate.cli import main
    from estate.planner import Planner
    from geodata.travel.base import BANDS, Points
    from geodata.travel.crowfly import CrowflyEngine
    from geodata.travel.partial import PartialStreetEngine

    pbf = london_data / "network" / "osm" / "central_london_marylebone_fitzrovia_2023-03.osm.pbf"
    p = Planner(london_data, cache_dir=tmp_path, street_network=pbf)
    eng = p.engine("walk")
    assert isinstance(eng, PartialStreetEngine)
    units, sites = p.units.points, p.estate.points()
    u_on, s_on = eng.street.covered(units), eng.street.covered(sites)
    assert u_on.sum() == 20 and s_on.sum() >= 10 and len(eng.outside_ids) == 4994 - 20
    cov = eng.coverage()
    on = int(p.units.frame.loc[u_on, "population"].sum())
    assert cov == {"units_on_network": 20, "units": 4994, "residents_on_network": on,
                   "residents": 8_799_631, "residents_share": round(on / 8_799_631, 4)}
    times = p.matrix("walk", "day")
    crow = CrowflyEngine("walk", barrier=p._river).matrix(units, sites, BANDS["day"])
    net = eng.street.matrix(Points(units.ids[u_on], units.x[u_on], units.y[u_on]),
                            Points(sites.ids[s_on], sites.x[s_on], sites.y[s_on]), BANDS["day"])
    np.testing.assert_allclose(times[np.ix_(u_on, s_on)], net, rtol=1e-6)  # on the network: its times
    assert not np.allclose(net, crow[np.ix_(u_on, s_on)], rtol=0.02)
    off = ~u_on[:, None] | ~s_on[None, :]
    np.testing.assert_allclose(times[off], crow[off], rtol=1e-6)  # everything else: crow-fly
    d = p.coverage("baseline-2024", "walk", "day").to_dict()
    assert d["engine"] == "streets+crowfly"
    note = d["engine_note"]
    assert f"covers 20 of the 4994 LSOAs ({on:,} of 8,799,631 residents, 0.4%)" in note
    assert "LSOAs on the network: " in note and all(u in note for u in eng.covered_ids)
    assert "straight-line" in note and "Thames" in note and "no street network loaded" not in note
    out = tmp_path / "access.json"
    rc = main(["--data", str(london_data), "--streets", str(pbf), "access", "--mode", "walk", "--band", "day",
               "--format", "json", "--out", str(out)])
    assert rc == 0
    j = json.loads(out.read_text())
    assert j["engine"] == "streets+crowfly" and j["engine_coverage"]["units_on_network"] == 20
    engines = {r["unit_id"]: r["engine"] for r in j["units"]}
    assert sorted(u for u, e in engines.items() if e == "streets") == sorted(eng.covered_ids)
    assert sum(e == "crowfly" for e in engines.values()) == 4974


def test_transit_never_slower_than_walking_and_usually_faster(london):
    """All 4,994 units to 42 sites (every 60th located site) on the real day and night graphs."""
    from geodata.travel.base import Points, parse_band

    eng = london.engine("transit")
    allsites = london.estate.points()
    pick = np.arange(0, len(allsites), 60)
    sites = Points(allsites.ids[pick], allsites.x[pick], allsites.y[pick])
    units = london.units.points
    for band in ("day", "night"):
        walk = eng.walk_seconds(units.xy, sites.xy, band)  # over the Thames by a crossing open then
        m = eng.matrix(units, sites, parse_band(band))
        ok = np.isfinite(m)
        assert np.all(m[ok] <= walk[ok] + 1e-3)  # the cap: never slower than walking the whole way
        faster = (m[ok] < walk[ok] * 0.8).mean()
        assert faster > (0.9 if band == "day" else 0.5), f"{band}: only {faster:.0%} of trips beat walking by 20%"


def test_coverage_quantiles_exact_to_the_minute_on_london(london):
    """Histogram medians and 95th percentiles = the sorted weighted quantiles rounded up to the minute."""
    from estate.coverage import weighted_quantiles

    for mode, band in (("walk", "day"), ("transit", "night")):
        res = london.coverage("outcome-2026", mode, band)
        n = len(res.area_codes)
        groups = np.concatenate([london.units.area_index, np.full(len(london.units.area_index), n)])
        mins = np.concatenate([res.unit_minutes, res.unit_minutes])
        capped = mins if res.cutoff_min is None else np.where(np.isfinite(mins), mins, res.cutoff_min)
        for g, w in london.units.weights().items():
            ref = weighted_quantiles(capped, np.concatenate([w, w]), groups, n + 1, (0.5, 0.95))
            assert np.array_equal(res.metrics[g]["median"], np.ceil(ref[0]), equal_nan=True)
            assert np.array_equal(res.metrics[g]["p95"], np.ceil(ref[1]), equal_nan=True)
            beyond = np.bincount(groups, weights=np.concatenate([w, w]) * ~(mins <= 45), minlength=n + 1)
            assert np.allclose(res.metrics[g]["beyond_45"], beyond, rtol=0, atol=1e-6)


def test_outcome_2026_night_transit_strands_fewer_than_1pct(london):
    """Issue 9: no access cap strands people; every AREA block says who is unreachable."""
    d = london.coverage("outcome-2026", "transit", "night").to_dict()
    lon = d["london"]
    assert lon["cutoff_min"] == 180.0
    assert 0 < lon["unreachable"] < 0.01 * 8_799_631  # was 1.63 million with the 800 m cap
    assert lon["mean_is_lower_bound"] is True
    for block in [*d["areas"], lon]:
        assert {"unreachable", "cutoff_min", "mean_is_lower_bound"} <= set(block)
        for k in ("mean_min", "median_min", "p95_min"):
            assert isinstance(block[k], float) and 0 < block[k] <= 180.0, (block["name"], k)
        assert block["mean_is_lower_bound"] == (block["unreachable"] > 0)
    assert sum(a["unreachable"] for a in d["areas"]) == pytest.approx(lon["unreachable"], abs=33)
    assert "Contains Rail Delivery Group timetable data" in d["engine_note"]
