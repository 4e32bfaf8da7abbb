"""Coverage arithmetic on the toy case, checked against hand computation."""

from __future__ import annotations

import numpy as np
import pytest

from estate.coverage import area_metrics, evaluate, nearest, weighted_quantiles
from estate.errors import CoverageError
from estate.scenario import ScenarioState
from geodata.travel.base import Mode, parse_band
from tests import toy


def run(case: toy.ToyCase, hours: dict[str, str], band: str = "day"):
    st = ScenarioState("toy", hours)
    b = parse_band(band)
    site_area = np.array([0, 0, 1, 1])
    return evaluate(
        case.seconds, st.open_columns(case.estate, b), st.open_24_7_columns(case.estate),
        weights=case.units.weights(), unit_area=case.units.area_index,
        area_codes=case.units.area_codes, area_names=case.units.area_names,
        site_area=site_area, scenario="toy", mode=Mode.WALK, band=b, engine="test",
    )


ALL_OPEN = {"s1": "24/7", "s2": "Mo-Fr 10:00-18:00", "s3": "24/7"}


def test_nearest_day_picks_the_closest_open_site(toy_case):
    res = run(toy_case, ALL_OPEN, "day")
    assert res.unit_minutes.tolist() == [5, 10, 8, 25, 20, 14, 10, 44, 46, 61]
    assert res.unit_site.tolist() == [0, 0, 1, 1, 2, 1, 2, 2, 2, 2]


def test_daytime_only_site_is_shut_at_night(toy_case):
    # Wednesday 03:00: s2 (Mo-Fr 10:00-18:00) is closed
    res = run(toy_case, ALL_OPEN, "night")
    assert res.unit_minutes.tolist() == [5, 10, 20, 30, 20, 16, 10, 44, 46, 61]
    assert 1 not in res.unit_site.tolist()
    # Saturday noon: also shut (weekdays only)
    assert run(toy_case, ALL_OPEN, "Sat 12:00").unit_minutes[2] == 20
    # Friday 17:59 open, 18:00 shut
    assert run(toy_case, ALL_OPEN, "Fri 17:59").unit_minutes[2] == 8
    assert run(toy_case, ALL_OPEN, "Fri 18:00").unit_minutes[2] == 20


def test_area_metrics_by_hand(toy_case):
    d = run(toy_case, ALL_OPEN, "day").to_dict()
    a, b, lon = d["areas"][0], d["areas"][1], d["london"]
    assert (a["code"], a["population"], a["open_sites"], a["open_24_7"]) == ("A", 700, 2, 1)
    assert (b["code"], b["population"], b["open_sites"], b["open_24_7"]) == ("B", 600, 1, 1)
    # A: minutes 5,10,8,25,20,14 with residents 100,200,100,100,100,100
    assert a["share_within"] == {"15": round(500 / 700, 4), "30": 1.0, "45": 1.0, "60": 1.0}
    assert a["beyond"] == {"15": 200, "30": 0, "45": 0, "60": 0}
    assert a["mean_min"] == round(9200 / 700, 2)
    assert a["median_min"] == 10  # cumulative 100,200,400,... reaches 350 at 10 min
    assert a["p95_min"] == 25
    # B: minutes 10,44,46,61 with residents 300,100,100,100
    assert b["share_within"] == {"15": 0.5, "30": 0.5, "45": round(400 / 600, 4), "60": round(500 / 600, 4)}
    assert b["beyond"] == {"15": 300, "30": 300, "45": 200, "60": 100}
    assert b["mean_min"] == round(18100 / 600, 2)
    assert (b["median_min"], b["p95_min"]) == (10, 61)
    assert lon["population"] == 1300
    assert lon["mean_min"] == 21.0
    assert lon["beyond"]["45"] == 200
    assert (lon["open_sites"], lon["open_24_7"]) == (3, 2)


def test_group_metrics_by_hand(toy_case):
    d = run(toy_case, ALL_OPEN, "day").to_dict()
    g65 = d["areas"][0]["groups"]["age_65_plus"]
    # A's 65+: 10,20,50,0,10,10 at 5,10,8,25,20,14 -> 100 residents, 90 within 15
    assert g65["population"] == 100
    assert g65["share_within"]["15"] == 0.9
    assert g65["mean_min"] == round((50 + 200 + 400 + 0 + 200 + 140) / 100, 2)
    imd = d["london"]["groups"]["imd_decile_1_2"]
    # deciles 1-2: u0 (100, 5 min), u2 (100, 8), u6 (300, 10), u9 (100, 61)
    assert imd["population"] == 600
    assert imd["beyond"] == {"15": 100, "30": 100, "45": 100, "60": 100}
    assert imd["median_min"] == 10


def test_closing_every_site_leaves_everyone_beyond(toy_case):
    d = run(toy_case, {}, "day").to_dict()
    assert d["london"]["beyond"]["60"] == 1300
    assert d["london"]["share_within"]["15"] == 0.0
    assert d["london"]["mean_min"] is None  # infinite: reported as null, never as a number
    assert d["london"]["open_sites"] == 0


def test_opening_a_candidate_only_helps(toy_case):
    before = run(toy_case, ALL_OPEN, "day")
    after = run(toy_case, {**ALL_OPEN, "c1": "24/7"}, "day")
    assert np.all(after.unit_minutes <= before.unit_minutes)
    assert after.unit_minutes[7:].tolist() == [30, 30, 30]
    assert after.to_dict()["areas"][1]["beyond"]["30"] == 300 - 300  # u7..u9 now within 30


def test_weighted_quantiles_groups_and_zero_weight():
    v = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    w = np.array([1.0, 1.0, 2.0, 0.0, 0.0])
    g = np.array([0, 0, 0, 1, 1])
    q = weighted_quantiles(v, w, g, 2, (0.5, 0.95))
    assert q[0, 0] == 2.0 and q[1, 0] == 3.0
    assert np.isnan(q[0, 1])  # no weight in group 1


def test_nearest_with_no_columns():
    t, c = nearest(np.ones((3, 2), np.float32), np.array([], dtype=np.int64))
    assert np.isinf(t).all() and (c == -1).all()


@pytest.mark.parametrize("band", ["day", "night", "Sun 23:30"])
def test_24_7_sites_count_in_every_band(toy_case, band):
    d = run(toy_case, ALL_OPEN, band).to_dict()
    assert d["london"]["open_24_7"] == 2


def test_nearest_matches_argmin_with_ties_and_unreachable():
    rng = np.random.default_rng(7)
    t = rng.integers(0, 6, size=(200, 9)).astype(np.float32) * 60.0  # many ties
    t[rng.random(t.shape) < 0.2] = np.inf
    t[:3] = np.inf  # units that reach nothing
    cols = np.array([8, 1, 4, 2, 0])
    best, col = nearest(t, cols)
    sub = t[:, cols]
    ref = cols[sub.argmin(axis=1)]
    ref[~np.isfinite(sub.min(axis=1))] = -1
    assert np.array_equal(best, sub.min(axis=1))
    assert np.array_equal(col, ref)  # ties go to the first listed column, as argmin does
    assert np.array_equal(nearest(np.asfortranarray(t), cols)[1], ref)


def test_quantiles_are_exact_to_the_minute():
    """The histogram quantile is the whole minute at or above the sorted weighted quantile."""
    rng = np.random.default_rng(3)
    minutes = rng.gamma(3.0, 9.0, 3000)
    minutes[rng.random(3000) < 0.01] = np.inf
    weights = rng.integers(0, 3000, 3000).astype(float)
    groups = rng.integers(0, 5, 3000)
    m = area_metrics(minutes, weights, groups, 5, (15, 30, 45, 60))
    g2 = np.concatenate([groups, np.full(3000, 5)])
    ref = weighted_quantiles(np.concatenate([minutes, minutes]), np.concatenate([weights, weights]), g2, 6, (0.5, 0.95))
    assert np.array_equal(m["median"], np.ceil(ref[0]))
    assert np.array_equal(m["p95"], np.ceil(ref[1]))
    for t in (15, 30, 45, 60):  # threshold counts exact
        ref_beyond = [weights[(groups == g) & ~(minutes <= t)].sum() for g in range(5)]
        assert np.allclose(m[f"beyond_{t}"][:5], ref_beyond, rtol=0, atol=1e-6)
    assert np.isinf(m["mean"][5])  # someone reaches nothing: the mean is undefined
    assert m["population"][5] == weights.sum()
    assert m["population"][0] == weights[groups == 0].sum()


def test_whole_minute_thresholds_only():
    with pytest.raises(CoverageError, match="whole number"):
        area_metrics(np.array([1.0]), np.array([1.0]), np.array([0]), 1, (12.5,))
