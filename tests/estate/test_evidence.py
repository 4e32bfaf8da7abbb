"""Closure evidence: hand-checked arithmetic on a toy, London facts, atomic packs, bad inputs.

The toy (``_toy_evidence.py``) gives travel minutes by hand; every expected
number below was worked out on paper from its tables.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from estate.cli import write_evidence_pack
from estate.errors import OutputError, ScenarioError, UnknownScenarioError
from estate.evidence import (
    CHANGE_CLOSED,
    CHANGE_HOURS,
    CHANGE_OPENED,
    EFFECT_GAIN,
    EFFECT_LOSS,
    EFFECT_NONE,
    EFFECT_UNLOCATED,
    Evidence,
    build_evidence,
    time_stats,
)
from estate.outputs import export
from estate.outputs.export import (
    PACK_FILES,
    evidence_pack_zip,
    pack_name,
    write_evidence,
)
from geodata.errors import UnknownBandError, UnknownModeError
from tests.estate import _toy_evidence as toy

approx = pytest.approx


@pytest.fixture
def planner(tmp_path):
    return toy.toy_planner(tmp_path)


@pytest.fixture
def cuts(planner) -> Evidence:
    return build_evidence(planner, "cuts", against="base", mode="walk", bands=("day", "night"))


def case(ev: Evidence, site_id: str):
    return next(c for c in ev.cases if c.site_id == site_id)


# ---- the toy arithmetic -------------------------------------------------------------------------

def test_time_stats_weighted():
    s = time_stats(np.array([25.0, 5.0, 14.0, 10.0]), np.array([100.0, 100.0, 100.0, 200.0]))
    assert (s.residents, s.mean, s.median, s.p95, s.max) == (500.0, 12.8, 10.0, 25.0, 25.0)
    assert np.isnan(time_stats(np.array([]), np.array([])).mean)
    assert time_stats(np.array([5.0, np.inf]), np.array([1.0, 1.0])).mean == np.inf


def test_cases_are_the_changed_sites(cuts):
    assert [(c.site_id, c.change) for c in cuts.cases] == [
        ("alpha", CHANGE_CLOSED), ("shop", CHANGE_OPENED), ("ghost", CHANGE_CLOSED)]  # by rank, unlocated last
    alpha = case(cuts, "alpha")
    assert alpha.rationale == "Low use at night"
    assert alpha.source == "https://example.org/cuts"
    assert alpha.footfall == 4.5
    assert (alpha.hours_before, alpha.hours_after) == ("24/7", "closed")
    assert case(cuts, "shop").hours_after == "Mo-Sa 08:00-20:00"


def test_closed_site_catchment_and_groups(cuts):
    bc = case(cuts, "alpha").bands["day"]
    assert bc.effect == EFFECT_LOSS
    # day: alpha is nearest for u0 (5), u1 (10), u4 (14 vs gamma 16), u8 (25 vs gamma 28)
    assert bc.unit_ids == ["u0", "u1", "u4", "u8"]
    assert bc.residents == 500
    assert bc.group_residents == {"age_65_plus": 30, "imd_decile_1_2": 200}
    assert bc.group_share == approx({"age_65_plus": 30 / 500, "imd_decile_1_2": 200 / 500})
    # Northam: 800 residents, 110 aged 65+, 200 in deciles 1-2 (u0, u2)
    assert bc.borough_share == approx({"age_65_plus": 110 / 800, "imd_decile_1_2": 200 / 800})
    # both boroughs: 1500 residents, 200 aged 65+, 400 in deciles 1-2 (u0, u2, u5, u8)
    assert bc.london_share == approx({"age_65_plus": 200 / 1500, "imd_decile_1_2": 400 / 1500})


def test_closed_site_times_before_and_after(cuts):
    bc = case(cuts, "alpha").bands["day"]
    # before 5, 10, 14, 25 (weights 100, 200, 100, 100); after 20 (beta), 25 (beta), 10 (shop), 12 (shop)
    b, a = bc.before, bc.after
    assert (b.mean, b.median, b.p95, b.max) == approx((12.8, 10.0, 25.0, 25.0))
    assert (a.mean, a.median, a.p95, a.max) == approx((18.4, 20.0, 25.0, 25.0))
    assert bc.mean_change == approx(5.6)
    assert bc.total_minutes == approx(15 * 100 + 15 * 200 - 4 * 100 - 13 * 100)
    assert bc.unreachable == 0


def test_reassignment_shares(cuts):
    flows = case(cuts, "alpha").bands["day"].flows
    assert [(f.site_id, f.residents, f.share) for f in flows] == [("beta", 300, approx(0.6)), ("shop", 200, approx(0.4))]
    beta, shop = flows
    assert beta.mean_minutes == approx((20 * 100 + 25 * 200) / 300)
    assert shop.mean_minutes == approx(11.0)
    assert (beta.hours, beta.is_24_7, beta.open_at_night) == ("Mo-Fr 10:00-18:00", False, False)
    assert (shop.hours, shop.open_at_night) == ("Mo-Sa 08:00-20:00", False)


def test_threshold_crossings(cuts):
    day = case(cuts, "alpha").bands["day"]
    # u0 5->20 and u1 10->25 cross 15; u8 25->12 comes within 15
    assert day.newly_beyond == {15: 300, 30: 0, 45: 0, 60: 0}
    assert day.newly_within == {15: 100, 30: 0, 45: 0, 60: 0}
    night = case(cuts, "alpha").bands["night"]
    # night: only gamma stays open; u0 5->50, u1 10->40, u2 12->35, u3 20->30, u4 14->16, u8 25->28
    assert night.unit_ids == ["u0", "u1", "u2", "u3", "u4", "u8"]
    assert night.residents == 900
    assert night.newly_beyond == {15: 500, 30: 400, 45: 100, 60: 0}
    assert night.newly_within == {15: 0, 30: 0, 45: 0, 60: 0}
    assert [(f.site_id, f.share) for f in night.flows] == [("gamma", 1.0)]
    assert night.before.mean == approx(13600 / 900)
    assert night.after.mean == approx(29900 / 900)
    assert (night.after.median, night.after.p95) == (30.0, 50.0)


def test_opened_site_serves_and_saves(cuts):
    bc = case(cuts, "shop").bands["day"]
    assert bc.effect == EFFECT_GAIN
    # shop is nearest in the scenario for u4 (10), u6 (5), u8 (12), u9 (35)
    assert bc.unit_ids == ["u4", "u6", "u8", "u9"]
    assert bc.residents == 600
    assert bc.before.mean == approx(15900 / 600)  # 14, 20, 25, 40 in the base
    assert bc.after.mean == approx(17.0)
    assert bc.mean_change == approx(-9.5)
    assert bc.total_minutes == approx(5700)  # resident-minutes saved against the base
    assert bc.newly_within == {15: 300, 30: 0, 45: 0, 60: 0}  # u6 20->5, u8 25->12
    assert [(f.site_id, f.share) for f in bc.flows] == [("gamma", approx(2 / 3)), ("alpha", approx(1 / 3))]
    # without shop they would go to gamma or beta: 16, 20, 28, 40
    assert bc.without.mean == approx(16400 / 600)
    assert bc.marginal_saving == approx(6200 / 600)
    assert bc.group_share == approx({"age_65_plus": 60 / 600, "imd_decile_1_2": 100 / 600})
    assert bc.borough_share == approx({"age_65_plus": 90 / 700, "imd_decile_1_2": 200 / 700})


def test_opened_site_not_open_in_band(cuts):
    bc = case(cuts, "shop").bands["night"]
    assert bc.effect == EFFECT_NONE and not bc.has_catchment
    assert "Not open at night" in bc.note


def test_site_without_location_is_noted_not_computed(cuts):
    ghost = case(cuts, "ghost")
    assert not ghost.located
    for bc in ghost.bands.values():
        assert bc.effect == EFFECT_UNLOCATED and bc.residents == 0
        assert bc.note == "No published location, so its catchment cannot be computed."
    assert ghost.rank is None and ghost.verdict == "cannot be assessed: no published location"
    assert "no coordinates" in ghost.location_note


def test_daytime_site_has_empty_night_catchment(planner):
    # against 'cuts', going back to 'base' closes shop, which 'cuts' opens in daytime only
    ev = build_evidence(planner, "base", against="cuts", mode="walk", bands=("night",))
    shop = case(ev, "shop")
    assert shop.change == CHANGE_CLOSED
    assert shop.rationale == ""
    bc = shop.bands["night"]
    assert bc.effect == EFFECT_NONE and bc.residents == 0
    assert bc.note == ("No night case: it was already closed at night (Wed 03:00) in the base "
                       "(Mo-Sa 08:00-20:00), so nobody relied on it then.")
    assert bc.reason == "closed in the base"


def test_hours_change_is_a_loss_only_where_hours_are_lost(planner):
    ev = build_evidence(planner, "nightcut", against="base", mode="walk", bands=("day", "night"))
    (alpha,) = ev.cases
    assert alpha.change == CHANGE_HOURS
    assert alpha.rationale == "Daytime only"
    assert alpha.bands["day"].effect == EFFECT_NONE
    night = alpha.bands["night"]
    assert night.effect == EFFECT_LOSS
    assert night.residents == 900
    assert night.newly_beyond == {15: 500, 30: 400, 45: 100, 60: 0}
    # a pure reduction: nobody's journey gets shorter
    assert (night.after_min >= night.before_min).all()


def test_residents_with_no_site_in_reach(planner, tmp_path):
    class FarEngine(toy.ToyEngine):  # u0 cannot reach gamma: after alpha closes, nothing at night
        def matrix(self, origins, destinations, band, *, progress=None):
            m = super().matrix(origins, destinations, band)
            m[list(origins.ids).index("u0"), list(destinations.ids).index("gamma")] = np.inf
            return m

    planner._engines["walk"] = FarEngine("walk")
    ev = build_evidence(planner, "cuts", against="base", mode="walk", bands=("night",))
    bc = case(ev, "alpha").bands["night"]
    assert bc.unreachable == 100
    assert bc.after.mean == np.inf and bc.after.median == 30.0
    assert bc.newly_beyond == {15: 500, 30: 400, 45: 100, 60: 100}  # u0: 5 -> no site at all
    assert [(f.site_id, f.residents) for f in bc.flows] == [("gamma", 800), ("", 100)]
    assert bc.flows[1].name == "no open site within reach"
    lon = ev.london("night")
    assert (lon["unreachable_base"], lon["unreachable_scenario"]) == (0, 100)
    doc = json.loads(json.dumps(ev.to_dict(), allow_nan=False))
    assert doc["sites"][0]["bands"]["night"]["minutes_after"]["mean"] is None
    out = write_evidence(planner, ev, tmp_path / "pack")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Residents with no open site within reach: 0 → 100" in html
    assert "100 are left with no open site within reach" in html


def test_summary_per_borough_and_london(cuts):
    assert list(cuts.summary) == ["day", "night"]
    day = {r["code"]: r for r in cuts.summary["day"]}
    lon = day["london"]
    assert lon["population"] == 1500
    assert (lon["newly_beyond_15"], lon["newly_within_15"]) == (300, 300)
    assert (lon["beyond_15_base"], lon["beyond_15_scenario"], lon["beyond_15_change"]) == (500, 500, 0)
    assert lon["age_65_plus_newly_beyond_15"] == 30  # u0 (20) and u1 (10)
    assert lon["imd_decile_1_2_newly_beyond_15"] == 100  # u0
    assert (lon["open_sites_base"], lon["open_sites_scenario"]) == (3, 3)
    assert (lon["open_24_7_base"], lon["open_24_7_scenario"]) == (2, 1)
    assert day["T01"]["newly_beyond_15"] == 300 and day["T02"]["newly_beyond_15"] == 0
    assert day["T02"]["newly_within_15"] == 300
    night = cuts.london("night")
    assert [night[f"newly_beyond_{t}"] for t in (15, 30, 45, 60)] == [500, 400, 100, 0]
    assert night["share_within_15_change"] == approx(-500 / 1500)


def test_summary_always_has_day_and_night(planner):
    ev = build_evidence(planner, "cuts", against="base", mode="walk", bands=("evening",))
    assert [b.name for b in ev.summary_bands] == ["day", "night", "evening"]
    assert set(ev.summary) == {"day", "night", "evening"}
    assert list(case(ev, "alpha").bands) == ["evening"]


def test_rule_flags_on_closed_sites(cuts):
    assert case(cuts, "alpha").rule_flags == [
        "breaks 'Every borough keeps a front counter open 24/7' in Northam (1 → 0 sites)"]
    assert case(cuts, "ghost").rule_flags == []  # Southam keeps gamma, a 24/7 front counter
    assert case(cuts, "shop").rule_flags == []
    broken = [(c.rule_id, c.area_code) for c in cuts.rules.broken()]
    assert broken == [("counter-24-7-per-borough", "T01")]


def test_evidence_json_is_plain_and_complete(cuts):
    doc = json.loads(json.dumps(cuts.to_dict(), allow_nan=False))
    assert doc["counts"] == {"closed": 2, "opened": 1, "hours_changed": 0}
    alpha = doc["sites"][0]
    assert alpha["bands"]["day"]["catchment"]["residents"] == 500
    assert alpha["bands"]["day"]["go_instead"][0]["share"] == 0.6
    assert alpha["bands"]["day"]["minutes_after"] == {"mean": 18.4, "median": 20.0, "p95": 25.0, "max": 25.0}
    assert doc["sites"][1]["bands"]["day"]["came_from"][0]["site_id"] == "gamma"
    assert doc["summary"]["night"]["london"]["newly_beyond_30"] == 400


# ---- the pack --------------------------------------------------------------------------------------

def test_pack_has_every_file_with_the_figures(planner, cuts, tmp_path):
    out = write_evidence(planner, cuts, tmp_path / "pack")
    assert sorted(p.name for p in out.iterdir()) == sorted(PACK_FILES)

    csv = pd.read_csv(out / "evidence.csv")
    assert list(csv["site_id"]) == ["alpha", "shop", "ghost"]  # by rank, unranked last
    row = csv.set_index("site_id").loc["alpha"]
    assert (row["day_residents"], row["night_residents"]) == (500, 900)
    assert (row["day_newly_beyond_15"], row["night_newly_beyond_30"]) == (300, 400)
    assert row["day_go_instead"].startswith("Beta Police Station 60.0%")
    assert not csv.set_index("site_id").loc["ghost", "located"]

    gj = gpd.read_file(out / "catchments.geojson")
    assert gj.crs.to_epsg() == 4326
    assert sorted(zip(gj["site_id"], gj["band"], strict=True)) == [
        ("alpha", "day"), ("alpha", "night"), ("shop", "day")]
    metres = gj.to_crs(27700).set_index(["site_id", "band"])
    # alpha's day catchment is four 1 km squares; at night six
    assert metres.loc[("alpha", "day")].geometry.area == approx(4e6, rel=1e-3)
    assert metres.loc[("alpha", "night")].geometry.area == approx(6e6, rel=1e-3)
    assert metres.loc[("alpha", "day"), "residents"] == 500

    from openpyxl import load_workbook

    wb = load_workbook(out / "evidence.xlsx", read_only=True)
    assert wb.sheetnames == ["Summary", "Sites", "Where they go", "Rules", "Northam", "Southam"]

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and 'src="http' not in html and "<link " not in html
    assert html.count("data:image/png;base64,") == 2 + 3  # two overviews, three site maps
    for text in ("1. Alpha Police Station — closes", "2. Shop Superstore — opens", "Ghost Counter",
                 "cannot be assessed: no published location",
                 "breaks &#x27;Every borough keeps a front counter open 24/7&#x27; in Northam",
                 "https://example.org/cuts"):
        assert text in html
    assert "12.8 → 18.4" in html  # alpha, day: mean minutes before and after, computed, not typed
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_pack_for_a_scenario_that_changes_nothing(planner, tmp_path):
    out = write_evidence_pack(planner, "nochange", against="base", mode="walk", bands=("day",),
                              out_dir=tmp_path / "empty")
    doc = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert doc["counts"] == {"closed": 0, "opened": 0, "hours_changed": 0}
    assert doc["sites"] == [] and "changes nothing" in doc["notes"][0]
    assert len(pd.read_csv(out / "evidence.csv")) == 0
    assert json.loads((out / "catchments.geojson").read_text())["features"] == []
    assert "changes nothing against base" in (out / "report.html").read_text(encoding="utf-8")
    assert doc["summary"]["day"]["london"]["newly_beyond_15"] == 0


def test_zip_for_download(planner, cuts):
    data = evidence_pack_zip(planner, cuts)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as zf:
        names = sorted(zf.namelist())
    assert pack_name(cuts) == "evidence-cuts-vs-base-walk-day-night"
    assert names == sorted(f"{pack_name(cuts)}/{f}" for f in PACK_FILES)


def test_zip_progress_says_each_step(planner, cuts):
    steps: list[tuple[int, int, str]] = []
    evidence_pack_zip(planner, cuts, step_fn=lambda d, t, what: steps.append((d, t, what)))
    whats = [w for _, _, w in steps]
    n_maps = steps[0][1] - 5 - 2  # five tables, two reports
    assert whats[:5] == ["tables 1/5 (evidence.csv)", "tables 2/5 (evidence.json)", "tables 3/5 (evidence.xlsx)",
                         "tables 4/5 (catchments.geojson)", "tables 5/5 (README.txt)"]
    assert whats[5] == f"maps 0/{n_maps}" and f"maps {n_maps}/{n_maps}" in whats
    assert whats[-3:] == ["HTML report", "PDF report", "done"]
    assert [d for d, _, _ in steps] == sorted(d for d, _, _ in steps)  # never goes back
    assert steps[-1][0] == steps[-1][1]


def test_progress_reaches_the_end(planner, tmp_path):
    seen = []
    write_evidence_pack(planner, "cuts", against="base", mode="walk", out_dir=tmp_path / "p",
                        progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] and seen[-1][1] >= len(PACK_FILES)


# ---- atomic writing ----------------------------------------------------------------------------------

def test_failure_part_way_keeps_the_earlier_pack_and_rerun_replaces_it(planner, tmp_path, monkeypatch):
    out = tmp_path / "pack"
    write_evidence_pack(planner, "cuts", against="base", mode="walk", out_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken_pdf(ev, maps, path):
        Path(path).write_bytes(b"%PDF-half")
        raise RuntimeError("disk gremlin")

    monkeypatch.setattr(export, "write_report_pdf", broken_pdf)
    with pytest.raises(RuntimeError, match="gremlin"):
        write_evidence_pack(planner, "nightcut", against="base", mode="walk", out_dir=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if "pack" in p.name) == ["pack"]  # no staging left

    monkeypatch.undo()
    write_evidence_pack(planner, "nightcut", against="base", mode="walk", out_dir=out)
    assert sorted(p.name for p in out.iterdir()) == sorted(PACK_FILES)
    doc = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert doc["scenario"]["id"] == "nightcut"
    assert sorted(p.name for p in tmp_path.iterdir() if "pack" in p.name) == ["pack"]


# ---- bad input -----------------------------------------------------------------------------------------

def _file(tmp_path: Path) -> Path:
    f = tmp_path / "notes.txt"
    f.write_text("mine", encoding="utf-8")
    return f


def _foreign(tmp_path: Path) -> Path:
    d = tmp_path / "documents"
    d.mkdir()
    (d / "keep.txt").write_text("mine", encoding="utf-8")
    return d


@pytest.mark.parametrize(("make_out", "match"), [
    (lambda tmp: _file(tmp), "is a file, not a folder"),
    (lambda tmp: _file(tmp) / "pack", "is a file, not a folder"),
    (lambda tmp: _foreign(tmp), "not an evidence pack"),
], ids=["output-is-a-file", "parent-is-a-file", "folder-of-other-files"])
def test_bad_output_paths(planner, tmp_path, make_out, match):
    out = make_out(tmp_path)
    with pytest.raises(OutputError, match=match) as info:
        write_evidence_pack(planner, "cuts", against="base", mode="walk", out_dir=out)
    assert str(tmp_path) in str(info.value)
    assert isinstance(info.value, OSError)
    if out.name == "documents":
        assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_folder(planner, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            write_evidence_pack(planner, "cuts", against="base", mode="walk", out_dir=ro / "pack")
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"scenario_id": "cuts", "against": "cuts"}, ScenarioError, "both 'cuts'"),
    ({"scenario_id": "cutz", "against": "base"}, UnknownScenarioError, "unknown scenario 'cutz'.*Did you mean 'cuts'"),
    ({"scenario_id": "cuts", "against": "nope"}, UnknownScenarioError, "unknown scenario 'nope'"),
    ({"scenario_id": "cuts", "against": "base", "mode": "teleport"}, UnknownModeError, "teleport"),
    ({"scenario_id": "cuts", "against": "base", "bands": ("noon-ish",)}, UnknownBandError, "noon-ish"),
], ids=["same-base-and-scenario", "unknown-scenario", "unknown-base", "unknown-mode", "unknown-band"])
def test_bad_scenario_inputs(planner, tmp_path, kwargs, error, match):
    args = {"mode": "walk", "bands": ("day",), **kwargs}
    sid = args.pop("scenario_id")
    with pytest.raises(error, match=match):
        write_evidence_pack(planner, sid, out_dir=tmp_path / "pack", **args)
    assert not (tmp_path / "pack").exists()


# ---- London ------------------------------------------------------------------------------------------

# ``london``: the session-wide Planner on the real pack (tests/conftest.py), skipped when it is absent.
@pytest.fixture(scope="module")
def met(london) -> Evidence:
    return build_evidence(london, "met-proposal-2025", against="baseline-2024", mode="walk", bands=("day", "night"))


@pytest.mark.london
def test_london_met_proposal_has_exactly_its_18_closures(london, met):
    expected = {c.site_id for c in london.scenarios["met-proposal-2025"].close}
    assert len(expected) == 18
    assert {c.site_id for c in met.closed} == expected
    assert len(met.closed) == 18
    assert [c.site_id for c in met.opened] == ["wood-green"]
    assert met.rehoured == []


@pytest.mark.london
def test_london_catchments_never_exceed_london(london, met):
    total = london.units.frame["population"].sum()
    for band in ("day", "night"):
        units = np.concatenate([c.bands[band].units for c in met.closed])
        assert len(units) == len(np.unique(units)), "a unit in two catchments"
        assert sum(c.bands[band].residents for c in met.closed) <= total


@pytest.mark.london
def test_london_no_shorter_trip_from_a_closure(london, met):
    wood_green = london.estate.column("wood-green")
    for c in met.closed:
        for bc in c.bands.values():
            if bc.effect == EFFECT_LOSS:
                not_new = bc.other_column != wood_green
                assert (bc.after_min[not_new] >= bc.before_min[not_new]).all(), c.site_id
    # outcome-2026 only closes and cuts hours: nobody anywhere gets a shorter trip
    ev = build_evidence(london, "outcome-2026", against="baseline-2024", mode="walk", bands=("day", "night"))
    assert ev.opened == []
    for band in ("day", "night"):
        losses = [c.bands[band] for c in ev.cases if c.bands[band].effect == EFFECT_LOSS]
        for bc in losses:
            assert (bc.after_min >= bc.before_min).all()
        lon = ev.london(band)
        for t in ev.thresholds:  # every crossing in London is inside some lost site's catchment
            assert lon[f"newly_beyond_{t}"] == approx(sum(bc.newly_beyond[t] for bc in losses), abs=len(losses))
            assert lon[f"newly_within_{t}"] == 0


@pytest.mark.london
def test_london_sites_without_location_and_part_time_counters(met):
    for sid in ("church-street", "royalty-studios"):
        c = next(c for c in met.closed if c.site_id == sid)
        assert not c.located
        assert all(bc.effect == EFFECT_UNLOCATED for bc in c.bands.values())
    mitcham = next(c for c in met.closed if c.site_id == "mitcham")
    assert mitcham.bands["day"].has_catchment
    assert not mitcham.bands["night"].has_catchment
    assert "already closed at night" in mitcham.bands["night"].note


@pytest.mark.london
def test_london_cli_writes_the_pack(london, tmp_path):
    from estate.cli import main

    out = tmp_path / "met"
    assert main(["evidence", "met-proposal-2025", "--against", "baseline-2024", "--mode", "walk",
                 "--band", "night", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(PACK_FILES)
    doc = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert doc["counts"]["closed"] == 18
    assert main(["evidence", "met-proposal-2025", "--against", "met-proposal-2025", "--out", str(out)]) == 2


@pytest.mark.skipif(not Path("/usr/bin/pdftoppm").exists(), reason="no pdftoppm: apt-get install poppler-utils")
def test_pdf_renders_to_pages_with_content(planner, cuts, tmp_path):
    """The PDF is checked as a reader sees it: rendered page by page to images."""
    import subprocess

    out = write_evidence(planner, cuts, tmp_path / "pack")
    subprocess.run(["/usr/bin/pdftoppm", "-r", "40", "-png", str(out / "report.pdf"), str(tmp_path / "page")],
                   check=True, capture_output=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3  # the summary, and a section for each of the three sites
    from matplotlib.image import imread

    for page in pages:
        img = imread(page)
        ink = (img[..., :3].mean(axis=2) < 0.6).mean()
        assert 0.002 < ink < 0.6, f"{page.name}: {ink:.1%} of the page is ink (blank or solid?)"


def test_evidence_of_an_unsaved_draft_is_its_saved_files_evidence(planner):
    from estate.scenario import Scenario

    saved = build_evidence(planner, "cuts", against="base", mode="walk", bands=("day", "night"))
    draft = Scenario.from_scenario(planner.scenarios["cuts"]).with_meta(title="Not saved yet")
    ev = build_evidence(planner, draft, against="base", mode="walk", bands=("day", "night"))
    assert ev.scenario_title == "Not saved yet"
    assert [c.site_id for c in ev.cases] == [c.site_id for c in saved.cases]
    for a, b in zip(ev.cases, saved.cases, strict=True):
        assert (a.rationale, a.hours_after) == (b.rationale, b.hours_after)
        assert a.bands["night"].residents == b.bands["night"].residents
    # the planner keys both by content: the same coverage object, not a second evaluation
    assert planner.content_key(draft) == planner.content_key("cuts")
    assert planner.coverage(draft, "walk", "night") is planner.coverage("cuts", "walk", "night")
    assert planner.content_key(draft.undo(saved.cases[0].site_id)) != planner.content_key("cuts")
