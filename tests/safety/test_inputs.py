"""Hostile and impossible inputs (issue 13, classes 2, 3, 6, 7, 12 and the size half of 13).

Each class is a list of payloads, each paired with the project error it must raise
and words its message must hold (the file, the line or row, the fix).
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from estate.drafts import read_upload
from estate.errors import (
    HoursError,
    RegisterError,
    RulesError,
    ScenarioError,
    SettingsError,
    UploadError,
)
from estate.hours import parse_hours
from estate.register import MAX_SITES, load_register_csv, parse_bool
from estate.rules import parse_rules
from estate.scenario import (
    MAX_BASE_DEPTH,
    load_scenario,
    parse_scenario,
    resolve,
    save_scenario,
    scan_scenarios,
)
from estate.settings import load_overrides
from geodata.errors import OutsideAreaError
from tests import toy

# ---- 2. alias bombs and other YAML expansions ------------------------------------------------------

# six levels (9**6 leaves): enough to show the hole, small enough not to hurt a machine without the fix
BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcde", "bcdef", strict=True))

YAML_BOMBS = {
    "billion laughs": BOMB,
    "one alias": "id: x\ntitle: &t T\ndescription: *t\n",
    "alias of a list": "id: x\ntitle: T\nclose: &c [s1]\nnotes: *c\n",
    "merge key": "id: x\ntitle: T\n<<: {base: register}\n",
    "deep nesting": "id: x\ntitle: T\nnotes: " + "[" * 5000 + "]" * 5000 + "\n",
    "huge text": "id: x\ntitle: T\ndescription: '" + "y" * 1_100_000 + "'\n",
}


def _peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 1e6


@pytest.mark.parametrize("payload", list(YAML_BOMBS.values()), ids=list(YAML_BOMBS))
@pytest.mark.parametrize("reader", ["scenario", "settings", "rules", "upload"])
def test_yaml_expansions_are_refused_cheaply(payload, reader, tmp_path, toy_case):
    def scenario():
        parse_scenario(payload, path="x.yaml")

    def settings():
        f = tmp_path / "s.yaml"
        f.write_text(payload, encoding="utf-8")
        load_overrides(f)

    def rules():
        parse_rules(payload, path="r.yaml")

    def upload():
        read_upload("x.yaml", payload.encode(), estate=toy_case.estate, scenarios={}, limit=10_000_000)

    fn, err = {"scenario": (scenario, ScenarioError), "settings": (settings, SettingsError),
               "rules": (rules, RulesError), "upload": (upload, UploadError)}[reader]
    def expect() -> None:
        with pytest.raises(err, match=r"not accepted|nested more than|nesting depth|more than this tool reads|more than"):
            fn()

    t0 = time.perf_counter()
    assert _peak_mb(expect) < 100
    assert time.perf_counter() - t0 < 10


def test_alias_error_names_the_line():
    with pytest.raises(ScenarioError, match=r"x.yaml line 3, column 14: malformed YAML \(found undefined alias"):
        parse_scenario("id: x\ntitle: T\ndescription: *t\n", path="x.yaml")


# ---- 3. impossible settings ------------------------------------------------------------------------

SETTINGS = [
    ("crowfly:\n  walk_kmh: -4.8\n", "crowfly.walk_kmh is -4.8; allowed: above 0 up to 300 km/h"),
    ("transit:\n  bus_day_headway_min: -9\n", "transit.bus_day_headway_min is -9; allowed: above 0"),
    ("crowfy:\n  walk_kmh: 5\n", "unknown section(s) 'crowfy' (did you mean 'crowfly'?)"),
    ("crowfly:\n  walk_kmh: 0\n", "crowfly.walk_kmh is 0; allowed: above 0"),
    ("crowfly:\n  walk_kmh: null\n", "crowfly.walk_kmh is empty"),
    ("crowfly:\n  walk_kmh: fast\n", "crowfly.walk_kmh is 'fast'; expected a number"),
    ("crowfly:\n  walk_kmh: 1e9\n", "crowfly.walk_kmh is 1000000000.0; allowed: above 0 up to 300"),
    ("crowfly:\n  walk_detour: 0.5\n", "crowfly.walk_detour is 0.5; allowed: from 1 up to 5"),
    ("crowfly:\n  cutoff_min: .inf\n", "crowfly.cutoff_min is inf"),
    ("crowfly:\n  walk_kmh: true\n", "crowfly.walk_kmh is True; expected a number"),
    ("crowfly:\n  speed: 5\n", "unknown key(s) ['speed']"),
    ("transit:\n  line_headway_min: [[Liberty, -30]]\n", "transit.line_headway_min[0] is -30"),
    ("transit:\n  night_tube_nights: [4, 9]\n", "transit.night_tube_nights[1] is 9"),
    ("transit:\n  night_routes_regex: '('\n", "not a valid regular expression"),
    ("transit: [1, 2]\n", "settings must be sections"),
    ("- crowfly\n", "settings must be sections"),
    ("streets:\n  drive_speed_factor: -1\n", "streets.drive_speed_factor is -1"),
]


@pytest.mark.parametrize(("text", "message"), SETTINGS, ids=[m[:40] for _, m in SETTINGS])
def test_impossible_settings_are_refused_with_file_key_value_and_range(text, message, tmp_path):
    f = tmp_path / "settings.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as exc:
        load_overrides(f)
    assert str(exc.value).startswith(str(f)), exc.value
    assert message in str(exc.value)


def test_good_settings_still_load(tmp_path):
    f = tmp_path / "settings.yaml"
    f.write_text("crowfly:\n  walk_kmh: 6\ntransit:\n  line_headway_min: [[Liberty, 30]]\n", encoding="utf-8")
    assert load_overrides(f) == {"crowfly": {"walk_kmh": 6.0}, "transit": {"line_headway_min": (("Liberty", 30.0),)}}


# ---- 6. duplicate keys -----------------------------------------------------------------------------

DUPLICATES = [
    ("id: x\ntitle: T\nclose: [s1]\nclose: [s2]\n", "key 'close' appears twice in one mapping (lines 3 and 4)"),
    ("id: x\ntitle: T\ntitle: U\n", "key 'title' appears twice in one mapping (lines 2 and 3)"),
    ("id: x\ntitle: T\nopen:\n  - id: c1\n    hours: 24/7\n    hours: Mo 10:00-12:00\n",
     "key 'hours' appears twice in one mapping (lines 5 and 6)"),
    ("id: x\ntitle: T\nset_hours:\n  s1: 24/7\n  s1: Mo 10:00-11:00\n", "key 's1' appears twice"),
]


@pytest.mark.parametrize(("text", "message"), DUPLICATES)
def test_duplicate_keys_are_refused_with_both_lines(text, message):
    with pytest.raises(ScenarioError, match=r"x.yaml line"):
        parse_scenario(text, path="x.yaml")
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(text, path="x.yaml")
    assert message in str(exc.value)


def test_duplicate_keys_in_rules_and_settings(tmp_path):
    with pytest.raises(RulesError, match="key 'rules' appears twice"):
        parse_rules("rules: []\nrules: []\n", path="r.yaml")
    f = tmp_path / "s.yaml"
    f.write_text("crowfly:\n  walk_kmh: 5\n  walk_kmh: 6\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"line 3: key 'walk_kmh' appears twice .*lines 2 and 3"):
        load_overrides(f)


# ---- 7. register columns read with one vocabulary ------------------------------------------------

@pytest.mark.parametrize(("word", "value"), [
    ("1", True), ("0", False), ("true", True), ("FALSE", False), ("False", False), ("N", False),
    ("n", False), ("Y", True), ("yes", True), ("No", False), ("closed", False), ("Open", True),
    (" OPEN ", True), ("", True)])
def test_register_booleans(word, value):
    assert parse_bool(word, "r.csv row 2", "open", default=True) is value


def _register(tmp_path: Path, rows: list[str], header: str = "site_id,name,hours,easting,northing,open") -> Path:
    f = tmp_path / "register.csv"
    f.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return f


@pytest.mark.parametrize("word", ["maybe", "2", "O", "shut", "-1", "ja"])
def test_register_boolean_outside_the_vocabulary_names_the_row(word, tmp_path):
    f = _register(tmp_path, ["a,A,24/7,531000,181000,1", f"b,B,24/7,532000,181000,{word}"])
    with pytest.raises(RegisterError, match=rf"row 3: open is '{word}'; write one of true/false"):
        load_register_csv(f, toy.areas(), None)


def test_register_false_words_close_the_site(tmp_path):
    f = _register(tmp_path, ["a,A,24/7,531000,181000,FALSE", "b,B,24/7,532000,181000,N",
                             "c,C,24/7,533000,181000,closed", "d,D,24/7,534000,181000,Yes"])
    reg = load_register_csv(f, toy.areas(), None)
    assert dict(zip(reg["site_id"], reg["open"], strict=True)) == {"a": False, "b": False, "c": False, "d": True}


def test_swapped_easting_northing_is_refused_naming_the_cause(tmp_path):
    rows = [f"s{i},S{i},24/7,{181000 + 500 * i % 4000},{531000 + 700 * i}" for i in range(6)]
    f = _register(tmp_path, [r + ",1" for r in rows])
    with pytest.raises(RegisterError, match="easting and northing were swapped"):
        load_register_csv(f, toy.areas(), None)


@pytest.mark.parametrize(("lon", "err", "message"), [
    (0.05, RegisterError, "look like longitude and latitude"),
    (-0.1, OutsideAreaError, "outside Great Britain.*degree-valued columns"),
])
def test_lon_lat_in_easting_northing_is_refused_naming_the_cause(lon, err, message, tmp_path):
    f = _register(tmp_path, [f"s{i},S{i},24/7,{lon + i / 100},{51.5 + i / 100},1" for i in range(4)])
    with pytest.raises(err, match=message):
        load_register_csv(f, toy.areas(), None)


@pytest.mark.parametrize(("rows", "header", "message"), [
    ([], "site_id,name,hours,easting,northing", "has a header but no sites"),
    (["a,A,24/7,531000,181000,lots"], "site_id,name,hours,easting,northing,footfall",
     r"row 2: footfall is 'lots', not a number"),
    (["a,A,24/7,531000,181000,-3"], "site_id,name,hours,easting,northing,annual_cost",
     r"row 2: annual_cost is '-3'; expected a number of 0 or more"),
])
def test_register_bad_cells_name_the_row(rows, header, message, tmp_path):
    with pytest.raises(RegisterError, match=message):
        load_register_csv(_register(tmp_path, rows, header), toy.areas(), None)


def test_a_register_path_that_is_missing_or_a_folder(tmp_path):
    with pytest.raises(RegisterError, match=r"cannot be read .*check the --register path"):
        load_register_csv(tmp_path / "nope.csv", toy.areas(), None)
    with pytest.raises(RegisterError, match="is a folder, not a CSV file"):
        load_register_csv(tmp_path, toy.areas(), None)


# ---- 13 (size). a register too big is refused early, saying what fits --------------------------------

@pytest.mark.parametrize("n", [MAX_SITES + 1, 500_000])
def test_a_huge_register_is_refused_before_reading_it(n, tmp_path):
    f = tmp_path / "big.csv"
    with f.open("w") as fh:
        fh.write("site_id,name,hours,easting,northing\n")
        fh.writelines(f"s{i},S,24/7,531000,181000\n" for i in range(n))
    t0 = time.perf_counter()
    with pytest.raises(RegisterError, match=rf"at most {MAX_SITES:,} sites fit") as exc:
        load_register_csv(f, toy.areas(), None)
    assert time.perf_counter() - t0 < 5
    assert f"{n:,} rows" in str(exc.value) and "GB" in str(exc.value)


# ---- 12. scenario semantics: one meaning per change --------------------------------------------------

SEMANTICS = [
    ("close: [s1, s1]\n", ScenarioError, r"close names 's1' twice \(lines 3, 3\)|close names 's1' twice"),
    ("open:\n  - {id: c1, hours: 24/7}\n  - {id: c1, hours: 'Mo 10:00-12:00'}\n", ScenarioError,
     "open names 'c1' twice"),
    ("close: [s1]\nopen:\n  - {id: s1, hours: 24/7}\n", ScenarioError, "'s1' is under both close and open"),
    ("set_hours:\n  - {id: s2, hours: 'off'}\n", ScenarioError, "which never open; to close the site, list it under close"),
    ("set_hours:\n  - {id: s2, hours: 'Mo-Su off'}\n", ScenarioError, "which never open"),
    ("open:\n  - {id: c1, hours: closed}\n", ScenarioError, "which never open"),
    ("set_hours:\n  - {id: s2, hours: 'Mo-Fr 10:00-10:00'}\n", HoursError, "opens and closes at the same time"),
]


@pytest.mark.parametrize(("body", "err", "message"), SEMANTICS)
def test_contradictions_in_one_file(body, err, message, tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("id: x\ntitle: T\n" + body, encoding="utf-8")
    with pytest.raises(err, match=message):
        load_scenario(f)


@pytest.mark.parametrize(("body", "message"), [
    ("open:\n  - {id: s1, hours: 24/7}\n", "opens 's1', which is already open in its base 'register'; to change its hours"),
    ("close: [c1]\n", "closes 'c1', which is not open in its base 'register'"),
    ("set_hours:\n  - {id: c1, hours: 24/7}\n", "set_hours names 'c1', which is not open in its base"),
])
def test_contradictions_with_the_base(body, message, tmp_path, toy_case):
    (tmp_path / "x.yaml").write_text("id: x\ntitle: T\n" + body, encoding="utf-8")
    folder = scan_scenarios(tmp_path)
    with pytest.raises(ScenarioError, match=message):
        resolve("x", folder.good, toy_case.estate)


def test_a_scenario_named_register_is_refused(tmp_path):
    (tmp_path / "register.yaml").write_text("id: register\ntitle: Shadow\nclose: [s1]\n", encoding="utf-8")
    folder = scan_scenarios(tmp_path)
    assert folder.good == {}
    assert "built-in register's name" in str(folder.broken["register"])


@pytest.mark.parametrize("depth", [MAX_BASE_DEPTH + 1, 1500])
def test_a_deep_base_chain_is_a_clear_error(depth, tmp_path, toy_case):
    for i in range(depth):
        base = f"s-{i - 1}" if i else "register"
        (tmp_path / f"s-{i}.yaml").write_text(f"id: s-{i}\ntitle: S{i}\nbase: {base}\n", encoding="utf-8")
    folder = scan_scenarios(tmp_path)
    with pytest.raises(ScenarioError, match=f"stands on more than {MAX_BASE_DEPTH} bases"):
        resolve(f"s-{depth - 1}", folder.good, toy_case.estate)
    assert resolve(f"s-{MAX_BASE_DEPTH - 1}", folder.good, toy_case.estate).hours  # deep but allowed


def test_one_broken_file_blocks_only_itself_and_its_children(tmp_path, toy_case):
    (tmp_path / "good.yaml").write_text("id: good\ntitle: G\nclose: [s2]\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("id: bad\ntitle: B\nclose: [s1]\nclose: [s3]\n", encoding="utf-8")
    (tmp_path / "child.yaml").write_text("id: child\ntitle: C\nbase: bad\n", encoding="utf-8")
    (tmp_path / "junk.yaml").write_text("id: [\n", encoding="utf-8")
    folder = scan_scenarios(tmp_path)
    assert sorted(folder.good) == ["child", "good"] and sorted(folder.broken) == ["bad", "junk"]
    assert "s2" not in resolve("good", folder.good, toy_case.estate, broken=folder.broken).hours
    with pytest.raises(ScenarioError, match=r"scenario 'bad' .*the base of .*child.yaml.* cannot be used: .*appears twice"):
        resolve("child", folder.good, toy_case.estate, broken=folder.broken)


def test_a_save_that_would_break_a_child_is_refused_before_writing(tmp_path, toy_case):
    (tmp_path / "parent.yaml").write_text("id: parent\ntitle: P\nclose: [s2]\n", encoding="utf-8")
    (tmp_path / "kid.yaml").write_text("id: kid\ntitle: K\nbase: parent\nset_hours:\n  - {id: s1, hours: 'Mo 10:00-12:00'}\n",
                                       encoding="utf-8")
    folder = scan_scenarios(tmp_path)
    before = (tmp_path / "parent.yaml").read_text()
    new_parent = folder.good["parent"].toggle("s1", toy_case.estate, resolve("register", {}, toy_case.estate))
    with pytest.raises(ScenarioError, match="saving 'parent' would break 'kid', which is based on it"):
        save_scenario(new_parent, tmp_path, toy_case.estate, folder.good, overwrite=True)
    assert (tmp_path / "parent.yaml").read_text() == before


def test_same_hours_start_and_end_is_an_error_but_midnight_spans_work():
    with pytest.raises(HoursError, match="opens and closes at the same time"):
        parse_hours("Mo-Fr 10:00-10:00")
    assert parse_hours("Mo 22:00-02:00").is_open(1, 60)
    assert parse_hours("Mo-Su 00:00-24:00").is_24_7
