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


# ---- issue 9: matrix, access, journey ---------------------------------------------


def test_access_counts_every_located_site(capsys):
    code, out, _ = run(capsys, "access", "--mode", "walk", "--band", "day", "--within", "15")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "unit_id,nearest_min,sites_within" and len(lines) == 1 + 4_994
    rows = [ln.split(",") for ln in lines[1:]]
    assert all(float(r[1]) >= 0 and int(r[2]) >= 0 for r in rows)
    code, out, _ = run(capsys, "access", "--mode", "walk", "--band", "night", "--scenario", "outcome-2026",
                       "--host", "police", "--format", "json")
    d = json.loads(out)
    assert code == 0 and len(d["units"]) == 4_994
    # at night only Charing Cross and Lewisham are open: nobody has three within 30 minutes
    assert max(u["sites_within"] for u in d["units"]) <= 2


def test_matrix_long_form_csv_and_parquet(capsys, tmp_path):
    import pandas as pd

    csv = tmp_path / "m.csv"
    code, _, err = run(capsys, "matrix", "--mode", "walk", "--band", "day", "--max-minutes", "20",
                       "--host", "police", "--out", str(csv))
    assert code == 0 and "pairs" in err
    df = pd.read_csv(csv)
    assert list(df.columns) == ["from_id", "to_id", "travel_time_min"]
    assert df["travel_time_min"].max() <= 20 and df["from_id"].str.startswith("E01").all()
    pq = tmp_path / "m.parquet"
    code, _, _ = run(capsys, "matrix", "--mode", "walk", "--band", "day", "--max-minutes", "20",
                     "--host", "police", "--out", str(pq))
    assert code == 0 and pd.read_parquet(pq).equals(df)
    # never over a file unasked
    code, _, err = run(capsys, "matrix", "--mode", "walk", "--max-minutes", "20", "--out", str(csv))
    assert code == 2 and "exists" in err


def test_journey_json_has_a_national_rail_leg(capsys):
    code, out, _ = run(capsys, "journey", "charing-cross", "lewisham", "--mode", "transit", "--band", "day",
                       "--format", "json")
    assert code == 0
    j = json.loads(out)
    assert set(j) >= {"from", "to", "mode", "band", "minutes", "legs"}
    assert j["minutes"] < 36
    assert {lg["kind"] for lg in j["legs"]} <= {"walk", "wait", "ride"}
    assert any(lg["kind"] == "ride" and lg["operator"] == "Southeastern" for lg in j["legs"])
    assert sum(lg["minutes"] for lg in j["legs"]) == pytest.approx(j["minutes"], abs=0.3)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["access", "--host", "castle"], "--host 'castle'"),
        (["access", "--within", "-5"], "--within"),
        (["matrix", "--out", "m.txt"], ".csv or .parquet"),
        (["journey", "charing-cross", "nowhere-station"], "neither a site id"),
    ],
)
def test_analysis_user_errors(capsys, argv, fragment):
    code, _, err = run(capsys, *argv)
    assert code == 2 and fragment in err


def test_drive_network_asked_for_walking_is_refused_with_both_fixes(capsys, tmp_path):
    """A --streets GraphML that is a drive network (a one-way street, no network_type)
    asked for walking: exit 2 naming the file and both fixes; with walk_on_drive_graph the
    engine walks on it made two-way and every output's engine note says so."""
    import networkx as nx
    import osmnx as ox

    g = nx.MultiDiGraph(crs="EPSG:27700")
    corners = [(528900.0, 180900.0), (529700.0, 180900.0), (529700.0, 181700.0), (528900.0, 181700.0),
               (529300.0, 181300.0)]  # an 800 m square in the West End and its centre: 3 LSOAs, 5 sites
    for n, (x, y) in enumerate(corners, 1):
        g.add_node(n, x=x, y=y)
    for a, b in ((1, 2), (2, 3), (3, 2), (3, 4), (4, 3), (4, 1), (1, 4), (1, 5), (5, 1), (3, 5), (5, 3)):
        g.add_edge(a, b, highway="residential", maxspeed="20 mph")  # 1 -> 2 one-way
    path = tmp_path / "drive_soho.graphml"
    ox.save_graphml(g, path)
    code, _, err = run(capsys, "--streets", str(path), "coverage", "baseline-2024", "--mode", "walk")
    assert code == 2 and "Traceback" not in err
    assert "drive_soho.graphml" in err and "is a drive network (1 of its 11 edges are one-way)" in err
    assert "--mode walk" in err and "walk_on_drive_graph: true" in err
    settings = tmp_path / "settings.yaml"
    settings.write_text("streets:\n  walk_on_drive_graph: true\n")
    code, out, _ = run(capsys, "--streets", str(path), "--settings", str(settings), "coverage", "baseline-2024",
                       "--mode", "walk", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["engine"] == "streets+crowfly" and "drive network in drive_soho.graphml, made two-way" in d["engine_note"]
    assert "covers 3 of the 4994 LSOAs" in d["engine_note"]
