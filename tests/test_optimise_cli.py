"""``estate optimise`` on the London data, by public transport: the issue's must-hold facts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from estate import text
from estate.cli import main

pytestmark = pytest.mark.london

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _env(london_data, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ESTATE_DATA", str(london_data))
    monkeypatch.setenv("ESTATE_CACHE", str(tmp_path_factory.getbasetemp() / "cli-cache"))


@pytest.fixture
def scen_dir(tmp_path):
    d = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", d)
    return d


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _beyond(capsys, scen_dir, scenario, band="day"):
    code, out, _ = run(capsys, "--scenarios", str(scen_dir), "coverage", scenario, "--mode", "transit",
                       "--band", band, "--format", "json")
    assert code == 0
    return json.loads(out)["london"]["beyond"]["45"]


def test_18_closures_without_rules_do_no_worse_than_the_met_proposal(capsys, scen_dir):
    code, out, err = run(capsys, "--scenarios", str(scen_dir), "optimise", "close", "--k", "18", "--rules", "none",
                         "--from", "baseline-2024", "--mode", "transit", "--band", "day", "--save", "opt-close-18",
                         "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert set(d) >= {"question", "measure", "method", "gap", "scenario_id", "changes", "harm"}
    assert d["question"] == "close" and d["scenario_id"] == "opt-close-18" and d["method"] == "heuristic"
    assert set(d["changes"]) == {"close", "open", "set_hours"} and len(d["changes"]["close"]) == 18
    assert set(d["harm"]) >= {"value", "start", "difference"}
    assert d["harm"]["difference"] == pytest.approx(d["harm"]["value"] - d["harm"]["start"])
    assert all(c["rationale"].startswith("chosen by the optimiser") for c in d["changes"]["close"])
    # the saved scenario loads like any other and its coverage is the answer's harm
    ours = _beyond(capsys, scen_dir, "opt-close-18")
    met = _beyond(capsys, scen_dir, "met-proposal-2025")
    assert ours == round(d["harm"]["value"])
    assert ours <= met
    assert (scen_dir / "opt-close-18.yaml").exists()
    # refuses to overwrite without --force
    code, _, err = run(capsys, "--scenarios", str(scen_dir), "optimise", "close", "--k", "18", "--rules", "none",
                       "--from", "baseline-2024", "--mode", "transit", "--save", "opt-close-18")
    assert code == 2 and "exists" in err


def test_exact_method_proves_the_18_closures(capsys, scen_dir):
    code, out, err = run(capsys, "--scenarios", str(scen_dir), "optimise", "close", "--k", "18", "--rules", "none",
                         "--from", "baseline-2024", "--mode", "transit", "--method", "exact", "--time-limit", "60",
                         "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["method"] == "exact" and d["gap"] is not None and d["gap"] <= 1e-6 and d["proven_optimal"]


def test_default_rules_refuse_18_closures(capsys):
    code, _, err = run(capsys, "optimise", "close", "--k", "18", "--from", "baseline-2024", "--mode", "transit")
    assert code == 2
    assert "counter-per-borough" in err and "at most 3 can close" in err


def test_two_24_7_counters_at_night_beat_charing_cross_and_lewisham(capsys, scen_dir):
    code, out, err = run(capsys, "--scenarios", str(scen_dir), "optimise", "keep-24-7", "--m", "2",
                         "--from", "outcome-2026", "--mode", "transit", "--band", "night", "--method", "exact",
                         "--format", "json", "--save", "opt-24-7")
    assert code == 0, err
    d = json.loads(out)
    start = _beyond(capsys, scen_dir, "outcome-2026", "night")
    assert d["harm"]["start"] == start
    assert d["harm"]["difference"] < -150_000  # Charing Cross and Stratford: about 172,000 fewer beyond 45 min
    kept = {c["id"] for c in d["changes"]["set_hours"] if c["hours"] == "24/7"}
    assert kept == {"stratford"}
    assert {c["id"] for c in d["changes"]["set_hours"]} == {"stratford", "lewisham"}
    assert d["rules"]["broken"] == []  # the 24/7-per-borough rule is the question, not a constraint
    assert d["proven_optimal"]
    assert _beyond(capsys, scen_dir, "opt-24-7", "night") == round(d["harm"]["value"])
    # the evidence pack reads the answer like any scenario: the two hours changes are its cases
    code, _, err = run(capsys, "--scenarios", str(scen_dir), "evidence", "opt-24-7", "--against", "outcome-2026",
                       "--mode", "transit", "--band", "night", "--out", str(scen_dir.parent / "pack"))
    assert code == 0, err
    cases = json.loads((scen_dir.parent / "pack" / "evidence.json").read_text())
    assert "tottenham" in json.dumps(cases) and "lewisham" in json.dumps(cases)
    # the table says by how much
    code, out, _ = run(capsys, "--scenarios", str(scen_dir), "optimise", "keep-24-7", "--m", "2",
                       "--from", "outcome-2026", "--mode", "transit", "--band", "night")
    assert code == 0 and f"difference {text.count(d['harm']['difference'], signed=True)})" in out


@pytest.mark.parametrize(("argv", "match"), [
    (["close", "--k", "1", "--lock-open", "nowhere-at-all"], "unknown site id 'nowhere-at-all'"),
    (["close", "--k", "1", "--lock-open", "brixton,brixton"], "more than once"),
    (["close", "--k", "1", "--time-limit", "0", "--method", "exact"], "--time-limit 0: give a number of seconds above 0"),
    (["keep-24-7", "--target", "0.99", "--from", "outcome-2026", "--band", "night"], "best reachable is"),
    (["close", "--k", "40", "--rules", "none"], "ask for between"),
])
def test_bad_input_is_a_plain_error(capsys, argv, match):
    code, out, err = run(capsys, "optimise", *argv, "--mode", "transit")
    assert code == 2 and match in err and "Traceback" not in err and out == ""


def test_open_contact_points_and_the_curve(capsys, tmp_path):
    chart = tmp_path / "curve.png"
    code, out, err = run(capsys, "optimise", "open", "--k", "3", "--host", "supermarket", "--from", "outcome-2026",
                         "--mode", "transit", "--band", "day", "--band", "night", "--curve", "--curve-max", "3",
                         "--chart", str(chart), "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert len(d["changes"]["open"]) == 3
    assert all(c["id"].startswith("supermarket-") for c in d["changes"]["open"])
    assert d["harm"]["difference"] < 0
    assert [p["count"] for p in d["curve"]] == [1, 2, 3]
    values = [p["harm"] for p in d["curve"]]
    assert values == sorted(values, reverse=True)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
