"""The settings sweep on a toy worked by hand, on Dask (one worker and two), and its bad input.

The toy is ``_toy_evidence``'s row of ten 1 km LSOAs with crow-fly walking on a flat
detour of 1 (time = straight-line km x 60 / walk_kmh minutes).  Scenario ``pair``
closes alpha (at u0) and beta (at u3); by day gamma (at u7) is left.  By hand:

* alpha's catchment: u0 (100 residents, 0 -> 7 km) and u1 (200, 1 -> 6 km):
  700 + 1,000 = 1,700 km of extra journeys; u0 is newly beyond 45 minutes when
  7 km > 0.75 v, u1 when 6 km > 0.75 v: both for every v below 8 km/h, so 300.
* beta's: u2 (100, 1 -> 5 km), u3 (300, 0 -> 4 km), u4 (100, 1 -> 3 km), and
  u5 (100, 2 km either way): 1,800 km; newly beyond 45 minutes: u2 below
  6.67 km/h, u3 below 5.33 km/h, u4 below 4 km/h.

So for 4 <= v < 16/3 beta harms 400 and ranks 1st, alpha (300) 2nd; for
16/3 <= v < 6.67 beta harms 100 and alpha ranks 1st.  Extra resident-minutes
are 1,700 x 60 / v and 1,800 x 60 / v.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from estate import settings as config
from estate import verdicts
from estate.errors import ScenarioError, SettingsError, SweepError
from estate.sweep import (
    HARM_THRESHOLD,
    MAX_DRAWS,
    SweepSummary,
    default_ranges,
    draw_values,
    load_summary,
    parse_range,
    run_sweep,
)
from geodata.errors import ClusterError
from tests.estate._toy_evidence import toy_planner

FLAT = {"crowfly": {"walk_detour_km": [], "walk_detour": 1.0, "thames_barrier": False}}
FLIP_KMH = 16 / 3


def crow_toy(tmp_path: Path):
    p = toy_planner(tmp_path)
    p._engines.clear()  # crow-fly times from the settings, not the toy's hand-given minutes
    p.overrides = config.check_settings(FLAT)
    return p


def hand_rank_alpha(v: float) -> int:
    return 1 if v >= FLIP_KMH else 2


def by_site(doc):
    return {c["site_id"]: c for c in doc["cases"]}


def test_harm_threshold_is_the_verdicts():
    assert HARM_THRESHOLD == verdicts.HARM_THRESHOLD


def test_one_value_range_gives_the_hand_computed_figures(tmp_path):
    res = run_sweep(crow_toy(tmp_path), "pair", against="base", mode="walk", band="day",
                    ranges=[parse_range("walk_kmh=4.8:4.8", "walk")], draws=3, seed=7, workers=1)
    doc = res.to_dict()
    assert doc["draws"] == 3 and doc["varied"]["walk_kmh"]["sets"] == ["crowfly.walk_kmh", "streets.walk_kmh"]
    c = by_site(doc)
    assert [x["site_id"] for x in doc["cases"]] == ["beta", "alpha"]
    assert (c["beta"]["rank_p5"], c["beta"]["rank_median"], c["beta"]["rank_p95"]) == (1, 1, 1)
    assert (c["alpha"]["rank_p5"], c["alpha"]["rank_median"], c["alpha"]["rank_p95"]) == (2, 2, 2)
    assert c["beta"]["harm_median"] == 400 and c["alpha"]["harm_median"] == 300
    # 1 km = 12.5 minutes at 4.8 km/h
    assert c["beta"]["minutes_median"] == 1800 * 12.5 and c["alpha"]["minutes_median"] == 1700 * 12.5
    assert c["alpha"]["rank_mode"] == 2 and c["alpha"]["rank_mode_share"] == 1.0
    # the whole area: 700 residents newly beyond 45 (u0 u1 u2 u3), base nobody beyond
    tot = doc["total"]
    assert tot["beyond_change"]["median"] == 700 and tot["beyond_base"]["p95"] == 0
    assert doc["london"] == tot and [a["code"] for a in doc["areas"]] == ["T01", "T02"]


def test_walk_speed_scales_every_minute_and_keeps_ranks(tmp_path):
    """5.5-6.5 km/h stays between the flips: alpha 1st, beta 2nd in every draw; minutes = km x 60 / v."""
    rng = [parse_range("walk_kmh=5.5:6.5", "walk")]
    res = run_sweep(crow_toy(tmp_path), "pair", against="base", mode="walk", band="day", ranges=rng,
                    draws=5, seed=11, workers=1)
    v = draw_values(rng, 5, 11)[:, 0]
    assert np.array_equal(res.values[:, 0], v) and ((v >= 5.5) & (v <= 6.5)).all()
    for d, speed in zip(res.draws, v, strict=True):
        got = dict(zip(d.site_ids, zip(d.rank, d.harm, d.minutes, strict=True), strict=True))
        assert got["alpha"][:2] == (1.0, 300.0) and got["beta"][:2] == (2.0, 100.0)
        assert got["alpha"][2] == pytest.approx(1700 * 60 / speed, rel=1e-5)
        assert got["beta"][2] == pytest.approx(1800 * 60 / speed, rel=1e-5)
    c = by_site(res.to_dict())
    assert c["alpha"]["rank_p95"] == 1 and c["beta"]["rank_p5"] == 2
    assert c["alpha"]["minutes_median"] == round(1700 * 60 / float(np.median(v)))


def test_the_rank_order_flips_at_the_hand_computed_speed(tmp_path):
    rng = [parse_range("walk_kmh=4.5:6.0", "walk")]
    res = run_sweep(crow_toy(tmp_path), "pair", against="base", mode="walk", band="day", ranges=rng,
                    draws=12, seed=3, workers=1)
    speeds = res.values[:, 0]
    want = [hand_rank_alpha(s) for s in speeds]
    got = [d.rank[d.site_ids.index("alpha")] for d in res.draws]
    assert got == want and 1 in want and 2 in want  # both sides of the flip were drawn
    c = by_site(res.to_dict())
    share2 = sum(r == 2 for r in want) / len(want)
    mode = 2 if share2 >= 0.5 else 1
    assert c["alpha"]["rank_mode"] == mode
    assert c["alpha"]["rank_mode_share"] == pytest.approx(max(share2, 1 - share2), abs=1e-4)
    text = SweepSummary(res.to_dict()).statement("alpha")
    assert f"of 2 in {round(100 * max(share2, 1 - share2))}% of draws" in text and "walk_kmh 4.5-6" in text


def test_two_workers_give_the_one_worker_result(tmp_path):
    rng = [parse_range("walk_kmh=4.0:6.5", "walk"), parse_range("cutoff_min=60:180", "walk")]
    one = run_sweep(crow_toy(tmp_path / "a"), "pair", against="base", mode="walk", band="day", ranges=rng,
                    draws=6, seed=5, workers=1).to_dict()
    two = run_sweep(crow_toy(tmp_path / "b"), "pair", against="base", mode="walk", band="day", ranges=rng,
                    draws=6, seed=5, workers=2).to_dict()
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)


def test_a_sweep_over_the_sparse_layout_gives_the_dense_sweep(tmp_path):
    """England and Wales is sparse: each draw's matrix is then built inside its Dask task, chunk by
    chunk in that worker (a worker cannot start a cluster of its own), with the dense sweep's result."""
    rng = [parse_range("walk_kmh=4.0:6.5", "walk")]
    dense = run_sweep(crow_toy(tmp_path / "a"), "pair", against="base", mode="walk", band="day", ranges=rng,
                      draws=4, seed=5, workers=1).to_dict()
    p = crow_toy(tmp_path / "b")
    p.sparse_above, p.sparse_cutoff_min, p.workers = 0, 1440.0, 1
    try:
        assert p.is_sparse()
        sparse = run_sweep(p, "pair", against="base", mode="walk", band="day", ranges=rng, draws=4, seed=5,
                           workers=1).to_dict()
    finally:
        p.close()
    assert json.dumps(dense, sort_keys=True) == json.dumps(sparse, sort_keys=True)


def test_the_same_seed_draws_the_same_values_and_another_does_not():
    rng = [parse_range("walk_kmh=4.2:5.2", "walk")]
    assert np.array_equal(draw_values(rng, 4, 9), draw_values(rng, 4, 9))
    assert not np.array_equal(draw_values(rng, 4, 9), draw_values(rng, 4, 10))
    whole = draw_values([parse_range("access_nearest=2:4", "transit")], 50, 1)
    assert set(whole[:, 0]) == {2.0, 3.0, 4.0}


def test_default_ranges_are_documented_and_by_band():
    for mode in ("walk", "drive", "transit"):
        for band in ("day", "night"):
            rs = default_ranges(mode, band)
            assert rs and all(r.source and r.low < r.high for r in rs)
    assert [r.key for r in default_ranges("drive", "day")] == ["drive_kmh"]
    assert [r.key for r in default_ranges("drive", "night")] == ["drive_night_kmh"]
    day = {r.key for r in default_ranges("transit", "day")}
    assert "bus_day_kmh" in day and "bus_night_kmh" not in day
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for mode in ("walk", "drive", "transit"):
        for band in ("day", "night"):
            for r in default_ranges(mode, band):
                assert f"`{r.key}`" in readme


@pytest.mark.parametrize(("spec", "mode", "error", "words"), [
    ("walk_kms=4:5", "walk", SettingsError, "did you mean walk_kmh"),
    ("bus_day_kmh=9:13", "walk", SettingsError, "a transit setting"),
    ("transit.walk_kmh=4:5", "walk", SettingsError, "does not read the transit settings"),
    ("nosuch.walk_kmh=4:5", "walk", SettingsError, "no such setting"),
    ("walk_kmh=5:4", "walk", SweepError, "above HIGH"),
    ("walk_kmh=a:b", "walk", SweepError, "must be numbers"),
    ("walk_kmh=nan:5", "walk", SweepError, "finite"),
    ("walk_kmh", "walk", SweepError, "KEY=LOW:HIGH"),
    ("walk_kmh=0:5", "walk", SettingsError, "allowed: above 0"),
    ("max_access_m=-5:800", "transit", SettingsError, "allowed"),
    ("thames_barrier=0:1", "walk", SettingsError, "not a number"),
    ("access_nearest=2.5:4", "transit", SweepError, "whole number"),
])
def test_bad_ranges_are_clear_errors(spec, mode, error, words):
    with pytest.raises(error, match=words):
        parse_range(spec, mode)


def test_bad_draws_seed_workers_and_same_base(tmp_path):
    p = crow_toy(tmp_path)
    for draws in (0, -1, MAX_DRAWS + 1):
        with pytest.raises(SweepError, match="--draws"):
            run_sweep(p, "pair", against="base", mode="walk", band="day", draws=draws)
    with pytest.raises(SweepError, match="--seed"):
        run_sweep(p, "pair", against="base", mode="walk", band="day", draws=2, seed=-3)
    with pytest.raises(ClusterError, match="--workers"):
        run_sweep(p, "pair", against="base", mode="walk", band="day", draws=2, workers=0)
    with pytest.raises(ScenarioError, match="both 'base'"):
        run_sweep(p, "base", against="base", mode="walk", band="day", draws=2)


def test_cli_bad_input_exits_2_with_one_line(capsys):
    from estate.cli import main

    for argv, words in [
        (["--vary", "walk_kms=4:5"], "did you mean walk_kmh"),
        (["--vary", "walk_kmh=6:5"], "above HIGH"),
        (["--vary", "walk_kmh=x"], "KEY=LOW:HIGH"),
        (["--vary", "walk_kmh=0:5"], "allowed"),
        (["--draws", "0"], "--draws 0"),
        (["--draws", "5000000"], "1 to 1,000"),
    ]:
        code = main(["sweep", "met-proposal-2025", "--against", "baseline-2024", "--mode", "walk", *argv])
        err = capsys.readouterr().err
        assert code == 2, err
        assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_evidence_pack_carries_the_sweep(tmp_path):
    from estate.evidence import build_evidence

    p = crow_toy(tmp_path)
    res = run_sweep(p, "pair", against="base", mode="walk", band="day",
                    ranges=[parse_range("walk_kmh=4.5:5.0", "walk")], draws=4, seed=2, workers=1)
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(res.to_dict()), encoding="utf-8")
    summary = load_summary(str(path))
    ev = build_evidence(p, "pair", against="base", mode="walk", sweep=summary)
    cases = {c.site_id: c for c in ev.cases}
    assert cases["beta"].uncertainty.startswith("Across 4 draws of the settings (walk_kmh 4.5-5) on foot by day")
    assert "ranked 1st of 2 in 100% of draws" in cases["beta"].uncertainty
    assert "400 residents newly beyond 45 minutes in every draw" in cases["beta"].uncertainty
    assert any(n.startswith("Uncertainty: 4 draws") for n in ev.notes)
    assert ev.to_dict()["sites"][0]["uncertainty"] == cases[ev.cases[0].site_id].uncertainty
    with pytest.raises(SweepError, match="not of cuts against base"):
        build_evidence(p, "cuts", against="base", mode="walk", sweep=summary)
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(SweepError, match="not an `estate sweep"):
        load_summary(str(bad))
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(SweepError, match="cannot read the sweep file"):
        load_summary(str(bad))
    assert "NaN" not in path.read_text(encoding="utf-8")  # missing figures are null in JSON, never NaN
