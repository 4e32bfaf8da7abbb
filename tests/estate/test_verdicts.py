"""Verdicts, ranks, causes and alternatives, checked by hand on the toy (``_toy_evidence.py``).

``pair`` closes both of Northam's counters: alpha (24/7) and beta (Mo-Fr 10:00-18:00).

Base, by day (alpha, beta, gamma open): u0 5 (alpha), u1 10 (alpha), u2 8 (beta), u3 14 (beta),
u4 14 (alpha).  At night (alpha, gamma): alpha serves u0-u4 and u8 (25 against gamma's 28).
After ``pair`` only gamma is open: u0 50, u1 40, u2 35, u3 30, u4 16, u8 28.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estate.evidence import EFFECT_LOSS, EFFECT_NONE, build_evidence
from estate.outputs.export import SITE_COLUMNS, evidence_frame
from estate.verdicts import CUTOFFS, SEVERITIES, severity
from tests.estate import _toy_evidence as toy


@pytest.fixture
def planner(tmp_path):
    return toy.toy_planner(tmp_path)


@pytest.fixture
def pair(planner):
    return build_evidence(planner, "pair", against="base", mode="walk")


def case(ev, sid):
    return next(c for c in ev.cases if c.site_id == sid)


def test_default_bands_are_day_and_night(pair):
    assert [b.name for b in pair.bands] == ["day", "night"]


def test_rank_order_by_residents_newly_beyond_45_then_minutes(pair):
    # alpha: 100 newly beyond 45 (u0, 5 -> 50) by day and at night; night adds more minutes:
    # day (u0, u1, u4, u8) 45x100 + 30x200 + 2x100 + 3x100 = 11,000; night also u2 23x100, u3 10x300 = 16,300.
    alpha, beta = case(pair, "alpha"), case(pair, "beta")
    assert alpha.worst_band == "night"
    assert alpha.bands["night"].total_minutes == 16300 and alpha.bands["day"].total_minutes == 11000
    # beta: nobody beyond 45 (u2 8 -> 35, u3 14 -> 30), 27x100 + 16x300 = 7,500 minutes by day
    assert beta.bands["day"].newly_beyond[45] == 0 and beta.bands["day"].total_minutes == 7500
    assert [(c.site_id, c.rank) for c in pair.cases] == [("alpha", 1), ("beta", 2)]
    assert (alpha.severity, beta.severity) == ("low", "low")  # 100 and 0 residents: far below the cut-offs


def test_a_rule_broken_jointly_by_two_changes(pair):
    alpha, beta = case(pair, "alpha"), case(pair, "beta")
    # 'a counter in every borough': Northam had alpha and beta, keeps neither: both to blame
    assert alpha.rule_breaches == ["counter-per-borough", "counter-24-7-per-borough"]
    assert beta.rule_breaches == ["counter-per-borough"]
    assert alpha.breach_notes[0] == ("breaks 'Every borough keeps at least one front counter' in Northam "
                                     "(2 → 0 sites), jointly with Beta Police Station's closure")
    assert beta.breach_notes == ["breaks 'Every borough keeps at least one front counter' in Northam "
                                 "(2 → 0 sites), jointly with Alpha Police Station's closure"]
    # the 24/7 rule only ever counted alpha: beta gets it as context, not as its breach
    assert beta.rule_context == ["the borough no longer meets 'Every borough keeps a front counter open 24/7' "
                                 "(because of Alpha Police Station's closure)"]
    check = next(c for c in pair.rules.checks if c.rule_id == "counter-per-borough" and c.area_code == "T01")
    assert check.removed == ("alpha", "beta")


def test_a_rule_already_failing_is_blamed_on_nobody(planner):
    from estate.rules import Rule, RuleSet

    rules = RuleSet((Rule("shop-counter", "A contact point in every borough", kinds=("contact_point",)),))
    ev = build_evidence(planner, "pair", against="base", mode="walk", rules=rules)
    for c in ev.cases:
        assert c.rule_breaches == []
        assert c.rule_context == ["'A contact point in every borough' already fails in Northam in the base "
                                  "(blamed on no change)"]


def test_a_site_already_closed_at_night_has_a_day_case_and_says_why_not_at_night(pair):
    beta = case(pair, "beta")
    assert beta.bands["day"].effect == EFFECT_LOSS
    night = beta.bands["night"]
    assert night.effect == EFFECT_NONE and night.reason == "closed in the base"
    assert "it was already closed at night (Wed 03:00) in the base (Mo-Fr 10:00-18:00), so it has no night case" \
        in beta.verdict
    assert beta.verdict.startswith("Closing Beta Police Station lengthens the journeys of 400 residents on foot "
                                   "by day (Wed 12:00) by 18.8 min on average (2nd of 2)")  # (27x100 + 16x300) / 400


def test_verdict_of_the_worst_case(pair):
    assert case(pair, "alpha").verdict == (
        "Closing Alpha Police Station puts 100 residents beyond 45 minutes on foot at night (Wed 03:00) "
        "(1st of 2); 20% of them are 65 or over, against 14% in Northam; "
        "most (100%) now go to Gamma Police Station, open 24/7.")


def test_mitigation_pick_and_its_recovered_residents(pair):
    h = case(pair, "alpha").host_option
    # the only candidate host: the shop, 40 minutes from u0, so it brings u0's 100 residents back within 45;
    # at night (the worst band) it saves 10x100 + 10x200 + 5x100 + 5x300 + 6x100 + 16x100 = 7,200 minutes
    assert (h.site_id, h.hours_needed, h.band) == ("shop", "24/7", "night")
    assert (h.recovered, h.newly_beyond, h.share, h.minutes_saved) == (100, 100, 1.0, 7200)
    assert h.bands == ("day", "night")
    assert case(pair, "alpha").swap_options == []  # Northam has no other counter left
    assert "Northam has no other counter open in the scenario" in case(pair, "alpha").mitigation


def test_closing_another_counter_instead(planner):
    ev = build_evidence(planner, "cuts", against="base", mode="walk")
    (opt,) = case(ev, "alpha").swap_options
    # as is (alpha closed): 100 newly beyond 45 at night (u0); 4,500 (day: u0 +15, u1 +15) + 16,300 minutes
    # instead (beta closed, alpha kept): nobody beyond 45; u2 +4x100, u3 +6x300 = 2,200 minutes by day
    assert (opt.site_id, opt.harm_as_is, opt.harm_instead) == ("beta", 100, 0)
    assert (opt.minutes_as_is, opt.minutes_instead) == (20800, 2200)
    assert opt.harms_fewer
    assert "closing Beta Police Station instead (and keeping this site) would put 100 fewer residents" \
        in case(ev, "alpha").mitigation


def test_openings_rank_after_losses_and_unlocated_last(planner):
    ev = build_evidence(planner, "cuts", against="base", mode="walk")
    assert [(c.site_id, c.rank, c.severity) for c in ev.cases] == [
        ("alpha", 1, "low"), ("shop", 2, "benefit"), ("ghost", None, "not assessed")]
    assert ev.cases[1].verdict.startswith("Opening Shop Superstore is the nearest open site for")


def test_csv_columns_and_order(pair, planner):
    ev = build_evidence(planner, "cuts", against="base", mode="walk")
    df = evidence_frame(ev)
    band_cols = [c for c in df.columns if c.startswith(("day_", "night_"))]
    assert list(df.columns) == [*SITE_COLUMNS, *band_cols]
    for col in ("site_id", "change", "located", "rank", "severity", "verdict", "rule_breaches", "rule_context",
                "day_effect", "night_effect", "day_residents", "night_newly_beyond_45"):
        assert col in df.columns
    assert list(df["site_id"]) == ["alpha", "shop", "ghost"]
    assert df["rank"].tolist()[:2] == [1, 2] and pd.isna(df["rank"].iloc[2])
    assert set(df["day_effect"]) <= {"loss", "gain", "none", "unlocated"}
    assert df.set_index("site_id").loc["ghost", "day_effect"] == "unlocated"
    assert df.set_index("site_id").loc["alpha", "rule_breaches"] == "counter-24-7-per-borough"
    assert set(df["change"]) <= {"closed", "hours changed", "opened"}


def test_severity_cut_offs_are_documented_and_ordered():
    assert SEVERITIES[0] == "severe" and list(CUTOFFS) == ["severe", "high", "moderate"]
    assert CUTOFFS["severe"][0] > CUTOFFS["high"][0] > CUTOFFS["moderate"][0]


def test_severity_classes(pair):
    alpha = case(pair, "alpha")
    bc = alpha.bands["night"]
    for nb, want in ((100_000, "severe"), (25_000, "high"), (5_000, "moderate"), (10, "low")):
        bc.newly_beyond[45] = nb
        assert severity(alpha) == want


def test_a_scenario_with_no_changes_is_a_valid_pack_that_says_so(planner, tmp_path):
    from estate.outputs.export import write_evidence

    ev = build_evidence(planner, "nochange", against="base", mode="walk")
    out = write_evidence(planner, ev, tmp_path / "pack")
    df = pd.read_csv(out / "evidence.csv")
    assert list(df.columns) == list(SITE_COLUMNS) and df.empty
    assert "changes nothing" in (out / "report.html").read_text(encoding="utf-8")


# ---- London: outcome-2026 against baseline-2024, default bands (day and night) ------------------------

@pytest.fixture(scope="module")
def outcome(london):
    return build_evidence(london, "outcome-2026", against="baseline-2024", mode="walk")


@pytest.mark.london
def test_london_outcome_blames_the_24_7_breach_on_dagenham_not_barking(outcome):
    barking, dagenham = case(outcome, "barking-learning-centre"), case(outcome, "dagenham")
    assert "counter-24-7-per-borough" not in barking.rule_breaches
    assert "counter-24-7-per-borough" in dagenham.rule_breaches
    assert any("because of Dagenham Police Station's hours cut" in s for s in barking.rule_context)
    assert not any("24/7" in s for s in barking.breach_notes)


@pytest.mark.london
def test_london_outcome_every_closure_has_a_day_case_and_unlocated_say_so(london, outcome):
    closures = {c.site_id for c in london.scenarios["outcome-2026"].close}
    assert len(closures) == 10
    df = evidence_frame(outcome).set_index("site_id")
    for sid in closures:
        if df.loc[sid, "located"]:
            assert df.loc[sid, "day_effect"] != "none", sid
        else:
            assert (df.loc[sid, "day_effect"], df.loc[sid, "night_effect"]) == ("unlocated", "unlocated")
            assert df.loc[sid, "verdict"] == "cannot be assessed: no published location"
    assert sorted(sid for sid in closures if not df.loc[sid, "located"]) == ["church-street", "royalty-studios"]


@pytest.mark.london
def test_london_outcome_ranks_are_a_permutation_and_every_case_has_a_verdict(outcome):
    df = evidence_frame(outcome)
    located = df[df["located"]]
    assert sorted(located["rank"].tolist()) == list(range(1, len(located) + 1))
    assert df["rank"].isna().tolist() == [False] * len(located) + [True] * (len(df) - len(located))
    assert list(located["rank"]) == sorted(located["rank"])  # sorted by rank
    assert all(isinstance(v, str) and v for v in df["verdict"])
    assert "inf" not in " ".join(df["verdict"]) and "nan" not in " ".join(df["verdict"])
    # the sites already closed at night in the base say so
    mitcham = case(outcome, "mitcham")
    assert "already closed at night" in mitcham.verdict and mitcham.bands["day"].effect == EFFECT_LOSS


# ---- the report as a reader sees it -------------------------------------------------------------------

_POPPLER = all(Path(f"/usr/bin/{t}").exists() for t in ("pdftotext", "pdfimages", "pdfinfo"))


def pdf_pages(pdf: Path) -> list[tuple[int, int]]:
    """(lines of text, embedded images) of every page, as poppler reads them."""
    info = subprocess.run(["/usr/bin/pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    n = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    out = []
    for i in range(1, n + 1):
        txt = subprocess.run(["/usr/bin/pdftotext", "-f", str(i), "-l", str(i), "-layout", str(pdf), "-"],
                             check=True, capture_output=True, text=True).stdout
        lines = sum(1 for line in txt.splitlines() if any(ch.isalnum() for ch in line))
        imgs = subprocess.run(["/usr/bin/pdfimages", "-f", str(i), "-l", str(i), "-list", str(pdf)],
                              check=True, capture_output=True, text=True).stdout.splitlines()[2:]
        out.append((lines, len(imgs)))
    return out


def assert_report_pages(pdf: Path, ev) -> None:
    pages = pdf_pages(pdf)
    with_effect = sum(c.has_effect for c in ev.cases)
    assert len(pages) <= 3 + 2 * with_effect, (len(pages), with_effect)
    for k, (lines, images) in enumerate(pages, start=1):
        assert lines >= 15 or images >= 1, f"page {k}: {lines} lines of text and no map"


@pytest.mark.skipif(not _POPPLER, reason="no poppler-utils (pdftotext, pdfimages)")
@pytest.mark.parametrize("scenario", ["cuts", "pair", "nochange"])
def test_toy_report_pages_are_full_and_few(planner, tmp_path, scenario):
    from estate.outputs.export import write_evidence

    ev = build_evidence(planner, scenario, against="base", mode="walk")
    out = write_evidence(planner, ev, tmp_path / "pack")
    assert_report_pages(out / "report.pdf", ev)
    html = (out / "report.html").read_text(encoding="utf-8")
    for c in ev.cases:
        if c.has_effect:  # the index links to every case with an effect
            assert f'<a href="#site-{c.site_id}">{c.name}</a>' in html and f'id="site-{c.site_id}"' in html


@pytest.mark.london
@pytest.mark.skipif(not _POPPLER, reason="no poppler-utils (pdftotext, pdfimages)")
def test_london_outcome_report_pages(london, outcome, tmp_path):
    from estate.outputs.export import write_evidence

    out = write_evidence(london, outcome, tmp_path / "pack")
    assert_report_pages(out / "report.pdf", outcome)
    text = subprocess.run(["/usr/bin/pdftotext", str(out / "report.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    words = set(re.findall(r"[A-Za-z+-]+", text))
    assert not words & {"inf", "+inf", "-inf", "nan", "NaN", "None"}


@pytest.mark.parametrize("cells", [1, 3, 7])
def test_host_recovery_in_groups_of_candidates_gives_the_whole_blocks_answer(monkeypatch, cells):
    """England and Wales: a catchment against 20,902 candidates is read a group of candidates at a
    time; any group size gives the one-block figures (random times with unreachable pairs)."""
    from estate import mitigation
    from geodata.travel.sparse import SparseTimes

    rng = np.random.default_rng(7)
    t = rng.uniform(0, 90 * 60, (6, 5)).astype(np.float32)
    t[rng.random(t.shape) < 0.3] = np.inf
    units, cand = np.array([0, 2, 3, 5]), np.array([4, 0, 1, 3])
    before, after = np.array([10.0, 50.0, 30.0, 20.0]), np.array([60.0, np.inf, 40.0, np.inf])
    w = np.array([100.0, 50.0, 30.0, 20.0])
    whole = mitigation.host_recovery(t, units, before, after, w, cand, 45)
    monkeypatch.setattr(mitigation, "BLOCK_CELLS", cells)
    for times in (t, SparseTimes.from_dense(t)):
        got = mitigation.host_recovery(times, units, before, after, w, cand, 45)
        for name in ("recovered", "reconnected", "minutes_saved"):
            np.testing.assert_array_equal(getattr(got, name), getattr(whole, name), err_msg=name)
        assert got.newly_beyond == whole.newly_beyond
    assert whole.recovered.any() and whole.reconnected.any()
