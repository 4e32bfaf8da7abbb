"""The ``estate`` command line, end to end on the London data."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from estate.cli import main

pytestmark = pytest.mark.london


@pytest.fixture(autouse=True)
def _env(london_data, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ESTATE_DATA", str(london_data))
    monkeypatch.setenv("ESTATE_CACHE", str(tmp_path_factory.getbasetemp() / "cli-cache"))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scenarios_and_sites(capsys):
    code, out, _ = run(capsys, "scenarios", "--format", "json")
    assert code == 0
    ids = [r["id"] for r in json.loads(out)]
    assert ids == ["baseline-2024", "met-proposal-2025", "outcome-2026"]
    code, out, _ = run(capsys, "sites", "--problems", "--format", "csv")
    assert code == 0 and "church-street" in out and "royalty-studios" in out
    code, out, _ = run(capsys, "sites", "--candidates", "--host", "library")
    assert code == 0 and "library-" in out and "supermarket-" not in out


def test_coverage_json(capsys):
    code, out, _ = run(capsys, "coverage", "baseline-2024", "--mode", "walk", "--band", "day", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert set(d) >= {"scenario", "mode", "band", "engine", "thresholds_min", "areas", "london"}
    assert len(d["areas"]) == 33 and d["london"]["population"] == 8_799_631


def test_coverage_csv_and_table(capsys, tmp_path):
    out_file = tmp_path / "cov.csv"
    code, _, err = run(capsys, "coverage", "outcome-2026", "--band", "Sat 03:00", "--format", "csv", "--out", str(out_file))
    assert code == 0 and "wrote" in err
    lines = out_file.read_text().splitlines()
    assert len(lines) == 1 + 33 + 1 and lines[0].startswith("scenario,mode,band,engine,code,name,population")
    code, out, _ = run(capsys, "coverage", "baseline-2024")
    assert code == 0 and "Westminster" in out and "crowfly" in out


def test_compare_formats(capsys):
    code, out, _ = run(capsys, "compare", "baseline-2024", "outcome-2026", "--band", "night", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["london"]["scenario"]["open_sites"] == 2
    code, out, _ = run(capsys, "compare", "baseline-2024", "outcome-2026", "--threshold", "30")
    assert code == 0 and "beyond_30" in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["coverage", "nope"], "unknown scenario 'nope'"),
        (["coverage", "baseline-2024", "--mode", "cycle"], "unknown travel mode 'cycle'"),
        (["coverage", "baseline-2024", "--band", "teatime"], "unknown time band 'teatime'"),
        (["compare", "baseline-2024", "outcom-2026"], "Did you mean 'outcome-2026'"),
        (["evidence", "outcome-2026", "--against", "baseline-2024", "--band", "teatime", "--out", "x"],
         "unknown time band 'teatime'"),
    ],
)
def test_user_errors_exit_2_with_a_message(capsys, argv, fragment):
    code, _out, err = run(capsys, *argv)
    assert code == 2 and fragment in err and "Traceback" not in err


def test_bad_scenario_file_in_a_folder(capsys, tmp_path):
    (tmp_path / "typo.yaml").write_text("id: typo\ntitle: Typo\nbase: register\nclose:\n  - kentish-twn\n")
    code, _, err = run(capsys, "--scenarios", str(tmp_path), "coverage", "typo")
    assert code == 2
    assert "typo.yaml line 5" in err and "'kentish-twn'" in err and "kentish-town" in err


def test_python_dash_m(london_data):
    r = subprocess.run([sys.executable, "-m", "estate", "scenarios"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "outcome-2026" in r.stdout


def test_map_writes_a_standalone_html(capsys, tmp_path):
    out = tmp_path / "map.html"
    code, _, err = run(capsys, "map", "baseline-2024", "outcome-2026", "--band", "night", "--out", str(out))
    assert code == 0 and "wrote" in err
    html = out.read_text(encoding="utf-8")
    assert "Charing Cross Police Station" in html and "Legend" in html
    assert "unpkg.com/leaflet" not in html and "L.map(" in html  # Leaflet inlined: opens offline
    code, _, err = run(capsys, "map", "baseline-2024", "outcome-2026", "--metric", "nope", "--out", str(out))
    assert code == 2 and "unknown metric 'nope'" in err


def test_evidence_refuses_an_output_folder_inside_the_scenarios_folder(capsys, tmp_path):
    import shutil
    from pathlib import Path

    scen = tmp_path / "scen"
    shutil.copytree(Path(__file__).resolve().parents[1] / "scenarios", scen)
    code, _, err = run(capsys, "--scenarios", str(scen), "evidence", "outcome-2026", "--against", "baseline-2024",
                       "--out", str(scen / "pack"))
    assert code == 2 and "inside the scenarios folder" in err and "Traceback" not in err
    assert not (scen / "pack").exists()


def test_evidence_refuses_a_rules_file_naming_an_unknown_kind(capsys, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {id: pubs, title: A pub in every borough, kinds: [pub]}\n", encoding="utf-8")
    code, _, err = run(capsys, "evidence", "outcome-2026", "--against", "baseline-2024", "--rules", str(rules),
                       "--out", str(tmp_path / "pack"))
    assert code == 2 and "rules.yaml" in err and "expected some of front_counter" in err
    assert not (tmp_path / "pack").exists()
