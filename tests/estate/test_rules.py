"""Borough rules: the defaults, YAML rule sets, and the checks on the toy estate."""

from __future__ import annotations

import pytest

from estate.evidence import build_evidence
from estate.rules import (
    DEFAULT_RULES,
    STATUS_ALREADY_FAILING,
    STATUS_BROKEN,
    STATUS_EXEMPT,
    STATUS_FIXED,
    STATUS_OK,
    Rule,
    RulesError,
    check_rules,
    effective_kind,
    load_rules,
    parse_rules,
)
from geodata.errors import DataError, PlannerError
from tests.estate import _toy_evidence as toy

AREAS = [("T01", "Northam"), ("T02", "Southam")]


@pytest.fixture
def planner(tmp_path):
    return toy.toy_planner(tmp_path)


def statuses(report):
    return {(c.rule_id, c.area_code): (c.base_count, c.scenario_count, c.status) for c in report.checks}


def test_default_rules():
    assert [r.id for r in DEFAULT_RULES] == ["counter-per-borough", "counter-24-7-per-borough"]
    assert [r.hours for r in DEFAULT_RULES] == ["any", "24/7"]
    assert all(r.kinds == ("front_counter",) and r.min_sites == 1 for r in DEFAULT_RULES)
    assert all("E09000001" in r.exempt for r in DEFAULT_RULES)  # the City has its own police


def test_default_rules_on_the_toy(planner):
    est = planner.estate
    rep = check_rules(DEFAULT_RULES, est, planner.state("base"), planner.state("cuts"), AREAS)
    # Northam: alpha (24/7) and beta (daytime) -> beta; Southam: gamma (24/7) and ghost -> gamma (+ shop,
    # a contact point, not counted)
    assert statuses(rep) == {
        ("counter-per-borough", "T01"): (2, 1, STATUS_OK),
        ("counter-per-borough", "T02"): (2, 1, STATUS_OK),
        ("counter-24-7-per-borough", "T01"): (1, 0, STATUS_BROKEN),
        ("counter-24-7-per-borough", "T02"): (1, 1, STATUS_OK),
    }
    assert [c.area_name for c in rep.broken()] == ["Northam"]
    assert rep.flags_for_area("T01") == ["breaks 'Every borough keeps a front counter open 24/7' in Northam (1 → 0 sites)"]
    assert rep.flags_for_area("T02") == []
    summary = {s["rule_id"]: s for s in rep.summary()}
    assert summary["counter-24-7-per-borough"]["broken"] == ["Northam"]
    assert summary["counter-per-borough"]["ok"] == 2


def test_yaml_rule_set_counts_contact_points_and_unlocated_sites(planner, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("""
rules:
  - id: two-by-day
    title: Two places to report a crime at noon
    kinds: [front_counter, contact_point]
    hours: day
    min_sites: 2
  - id: night-counter
    title: A counter open at night
    hours: night
    exempt:
      T02: has a river police base
""", encoding="utf-8")
    rules = load_rules(path)
    assert rules.source == str(path)
    rep = check_rules(rules, planner.estate, planner.state("base"), planner.state("cuts"), AREAS)
    assert statuses(rep) == {
        # Northam at noon: alpha, beta -> beta
        ("two-by-day", "T01"): (2, 1, STATUS_BROKEN),
        # Southam at noon: gamma and ghost (no location, still a counter) -> gamma and the shop
        ("two-by-day", "T02"): (2, 2, STATUS_OK),
        ("night-counter", "T01"): (1, 0, STATUS_BROKEN),
        ("night-counter", "T02"): (1, 1, STATUS_EXEMPT),
    }
    check = next(c for c in rep.checks if c.rule_id == "two-by-day" and c.area_code == "T02")
    assert check.base_sites == ("gamma", "ghost") and check.scenario_sites == ("gamma", "shop")
    assert next(c for c in rep.checks if c.status == STATUS_EXEMPT).exempt_reason == "has a river police base"


def test_already_failing_and_fixed(planner):
    rules = [Rule("shop-counter", "A contact point in every borough", kinds=("contact_point",))]
    rep = check_rules(rules, planner.estate, planner.state("base"), planner.state("cuts"), AREAS)
    assert statuses(rep) == {("shop-counter", "T01"): (0, 0, STATUS_ALREADY_FAILING),
                             ("shop-counter", "T02"): (0, 1, STATUS_FIXED)}
    assert [c.area_code for c in rep.failing()] == ["T01"]


def test_effective_kind(planner):
    est = planner.estate
    assert effective_kind(est, "alpha") == "front_counter"
    assert effective_kind(est, "shop") == "contact_point"  # a candidate opened in a supermarket


def test_custom_rules_flow_into_the_evidence(planner):
    rules = parse_rules("rules:\n  - {id: two-counters, title: Two counters, min_sites: 2}")
    ev = build_evidence(planner, "cuts", against="base", mode="walk", rules=rules)
    alpha = next(c for c in ev.cases if c.site_id == "alpha")
    ghost = next(c for c in ev.cases if c.site_id == "ghost")
    assert alpha.rule_flags == ["breaks 'Two counters' in Northam (2 → 1 sites)"]
    assert ghost.rule_flags == ["breaks 'Two counters' in Southam (2 → 1 sites)"]
    assert ev.to_dict()["rules"]["source"] == "<rules>"


@pytest.mark.parametrize(("text", "match"), [
    ("rules: [", "malformed YAML"),
    ("- just a list of words", "rule 1 must be a mapping"),
    ("rules: {id: x}", "a 'rules' list"),
    ("rules: []\nextra: 1", "unknown top-level key"),
    ("rules:\n  - {id: a, title: A, colour: red}", r"unknown key\(s\) \['colour'\]"),
    ("rules:\n  - {title: A}", "needs 'id'"),
    ("rules:\n  - {id: a}", "needs 'title'"),
    ("rules:\n  - {id: Bad_Id, title: A}", "lower-case"),
    ("rules:\n  - {id: a, title: A, kinds: [pub]}", "expected some of front_counter"),
    ("rules:\n  - {id: a, title: A, hours: teatime}", "'any', '24/7' or a time band"),
    ("rules:\n  - {id: a, title: A, min_sites: 0}", "1 or more"),
    ("rules:\n  - {id: a, title: A, min_sites: two}", "whole number"),
    ("rules:\n  - {id: a, title: A, exempt: 3}", "borough codes to reasons"),
    ("rules:\n  - {id: a, title: A}\n  - {id: a, title: B}", r"\['a'\] appear more than once"),
], ids=["malformed", "list-of-words", "rules-not-a-list", "extra-key", "unknown-rule-key", "no-id",
        "no-title", "bad-id", "bad-kind", "bad-hours", "zero-min", "word-min", "bad-exempt", "duplicate"])
def test_bad_rule_sets(text, match):
    with pytest.raises(RulesError, match=match) as info:
        parse_rules(text, path="policy.yaml")
    assert isinstance(info.value, (DataError, ValueError, PlannerError))
    assert "policy.yaml" in str(info.value)


def test_missing_rule_file(tmp_path):
    with pytest.raises(RulesError, match="cannot read the rule set"):
        load_rules(tmp_path / "nope.yaml")
