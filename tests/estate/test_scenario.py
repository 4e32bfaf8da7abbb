"""Scenario files: loading, resolving over a base, validation, saving."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from estate.errors import HoursError, ScenarioError, UnknownScenarioError, UnknownSiteError
from estate.scenario import (
    Change,
    Scenario,
    load_scenario,
    load_scenarios,
    parse_scenario,
    resolve,
    save_scenario,
    scenario_to_yaml,
)
from geodata.travel.base import parse_band

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, sid: str, body: dict) -> Path:
    p = tmp_path / f"{sid}.yaml"
    p.write_text(yaml.safe_dump({"id": sid, "title": sid, **body}), encoding="utf-8")
    return p


def test_resolve_chain(tmp_path, toy_case):
    write(tmp_path, "base", {"base": "register", "close": ["s2"]})
    write(tmp_path, "next", {"base": "base", "open": [{"id": "c1", "hours": "24/7", "rationale": "why"}],
                             "set_hours": [{"id": "s1", "hours": "Mo-Fr 10:00-22:00"}]})
    scs = load_scenarios(tmp_path)
    st = resolve("next", scs, toy_case.estate)
    assert st.hours == {"s1": "Mo-Fr 10:00-22:00", "s3": "24/7", "c1": "24/7"}
    assert list(st.opened) == ["c1"] and st.opened["c1"].rationale == "why"
    assert list(st.rehoured) == ["s1"]
    assert st.closed == {}  # s2 was closed by the base, not by this scenario
    assert resolve("base", scs, toy_case.estate).closed == {"s2": Change("s2")}
    # at night s1 (now 10-22 weekdays) is shut; s3 and c1 are 24/7
    cols = st.open_columns(toy_case.estate, parse_band("night")).tolist()
    assert cols == [toy_case.estate.column("s3"), toy_case.estate.column("c1")]


def test_unknown_site_suggests_close_matches(tmp_path, toy_case):
    p = tmp_path / "bad.yaml"
    p.write_text("id: bad\ntitle: Bad\nbase: register\nclose:\n  - s1\n  - s22\n", encoding="utf-8")
    with pytest.raises(UnknownSiteError) as e:
        resolve("bad", load_scenarios(tmp_path), toy_case.estate)
    msg = str(e.value)
    assert str(p) in msg and "line 6" in msg and "'s22'" in msg and "Did you mean" in msg
    assert isinstance(e.value, KeyError)


def test_malformed_yaml_names_file_and_line(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("id: broken\ntitle: [unclosed\nclose:\n  - a\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken\.yaml line \d+, column \d+: malformed YAML"):
        load_scenario(p)


@pytest.mark.parametrize(
    "text, exc, fragment",
    [
        ("- just\n- a list\n", ScenarioError, "YAML mapping"),
        ("id: x\ntitle: t\nclosures: [a]\n", ScenarioError, "unknown key"),
        ("id: Bad_Id\ntitle: t\n", ScenarioError, "lower-case"),
        ("id: x\n", ScenarioError, "needs a 'title'"),
        ("id: x\ntitle: t\nset_hours:\n  - id: s1\n", ScenarioError, "needs 'hours'"),
        ("id: x\ntitle: t\nopen:\n  - id: c1\n    hours: 'Mon 9-5'\n", HoursError, "line 5"),
        ("id: x\ntitle: t\nclose: s1\n", ScenarioError, "must be a list"),
        ("id: x\ntitle: t\n!!python/object:os.system ls\n", ScenarioError, "malformed YAML"),
    ],
)
def test_bad_scenarios(text, exc, fragment):
    with pytest.raises(exc, match=fragment):
        parse_scenario(text, path="x.yaml")


def test_file_name_must_match_id(tmp_path):
    p = tmp_path / "one.yaml"
    p.write_text("id: two\ntitle: t\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="must match the file name"):
        load_scenario(p)


def test_unknown_scenario_and_base_loops(tmp_path, toy_case):
    write(tmp_path, "a", {"base": "b"})
    write(tmp_path, "b", {"base": "a"})
    scs = load_scenarios(tmp_path)
    with pytest.raises(UnknownScenarioError, match="Did you mean 'a'"):
        resolve("aa", scs, toy_case.estate)
    with pytest.raises(ScenarioError, match="loop"):
        resolve("a", scs, toy_case.estate)


def test_set_hours_on_a_closed_site_is_an_error(tmp_path, toy_case):
    write(tmp_path, "x", {"close": ["s1"], "set_hours": [{"id": "s1", "hours": "24/7"}]})
    with pytest.raises(ScenarioError, match="under both close and set_hours"):
        load_scenario(tmp_path / "x.yaml")


def test_opening_a_candidate_needs_hours(tmp_path, toy_case):
    write(tmp_path, "x", {"open": ["c1"]})
    with pytest.raises(ScenarioError, match="needs 'hours'"):
        resolve("x", load_scenarios(tmp_path), toy_case.estate)


def test_save_round_trip_and_refusals(tmp_path, toy_case):
    sc = Scenario("new-one", "New", base="register", close=(Change("s2", rationale="quiet", source="memo"),),
                  open=(Change("c1", hours="Mo-Sa 08:00-20:00"),))
    path = save_scenario(sc, tmp_path, toy_case.estate, {})
    assert path == tmp_path.resolve() / "new-one.yaml"
    again = load_scenario(path)
    assert again.close == sc.close and again.open == sc.open
    with pytest.raises(FileExistsError, match="confirm"):
        save_scenario(sc, tmp_path, toy_case.estate, {})
    save_scenario(sc, tmp_path, toy_case.estate, {}, overwrite=True)
    for bad in ("../escape", "a/b", "UPPER", ""):
        with pytest.raises(ScenarioError):
            save_scenario(Scenario(bad, "t"), tmp_path, toy_case.estate, {})
    # an invalid scenario (unknown site) is never written
    with pytest.raises(UnknownSiteError):
        save_scenario(Scenario("ghost", "t", close=(Change("nope"),)), tmp_path, toy_case.estate, {})
    assert not (tmp_path / "ghost.yaml").exists()
    assert "rationale: quiet" in scenario_to_yaml(sc)


def test_shipped_scenarios_parse():
    scs = load_scenarios(REPO / "scenarios")
    assert {"baseline-2024", "met-proposal-2025", "outcome-2026"} <= set(scs)
    assert len(scs["met-proposal-2025"].close) == 18
    assert len(scs["outcome-2026"].close) == 10
    for sc in scs.values():
        assert sc.notes, f"{sc.id} must say where its facts are uncertain"
