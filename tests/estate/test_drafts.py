"""Scenario drafts: editing, resolving like a saved file, safe saving, upload checks.

Toy estate: counters s1 (24/7) and s2 (part-time) open in the register,
station w1 closed, candidates c1 (supermarket, Tesco, Beta) and c2 (library, Alpha).
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import yaml

from estate import drafts
from estate.errors import HoursError, ScenarioError, UnknownSiteError
from estate.outputs.ui_text import DEFAULT_NEW_HOURS
from estate.register import SITE_COLUMNS, Estate
from estate.scenario import Change, Scenario, load_scenario, parse_scenario, resolve


def _site(sid, kind, host, area, hours, is_open, retailer=""):
    row = {c: "" for c in SITE_COLUMNS}
    row.update(site_id=sid, name=f"{sid.upper()} site", kind=kind, host=host, area_code=area[0],
               area_name=area[1], x=530_000.0, y=180_000.0, hours=hours, open=is_open, footfall=np.nan,
               annual_cost=np.nan, located=True, retailer=retailer, postcode="N1 1AA")
    return row


A, B = ("E09000001", "Alpha"), ("E09000002", "Beta")


@pytest.fixture
def estate():
    return Estate(pd.DataFrame([
        _site("s1", "front_counter", "police", A, "24/7", True),
        _site("s2", "front_counter", "police", B, "Mo-Fr 10:00-18:00", True),
        _site("w1", "police_station", "police", B, "24/7", False),
        _site("c1", "candidate", "supermarket", B, "", False, "Tesco"),
        _site("c2", "candidate", "library", A, "", False),
    ]))


@pytest.fixture
def scenarios():
    return {"base-a": Scenario(id="base-a", title="Base A", base="register",
                               close=(Change("s2", rationale="quiet"),))}


@pytest.fixture
def folder(tmp_path, scenarios):
    d = tmp_path / "scenarios"
    d.mkdir()
    (d / "base-a.yaml").write_text("id: base-a\ntitle: Base A\nbase: register\nclose:\n  - id: s2\n    rationale: quiet\n")
    return d


def reg_state(estate):
    return resolve("register", {}, estate)


# ---- editing --------------------------------------------------------------------
def test_toggle_closes_and_reopens_a_base_site(estate):
    base = reg_state(estate)
    d = Scenario.blank("register", title="T")
    d1 = d.toggle("s1", estate, base)
    assert [c.site_id for c in d1.close] == ["s1"]
    assert "s1" not in drafts.draft_state(d1, {}, estate).hours
    d2 = d1.toggle("s1", estate, base)
    assert d2.close == () and drafts.draft_state(d2, {}, estate).hours == base.hours


def test_toggle_opens_a_closed_station_with_its_register_hours_and_closes_it_again(estate):
    base = reg_state(estate)
    d = Scenario.blank("register").toggle("w1", estate, base)
    assert d.open == (Change("w1", "24/7"),)
    assert drafts.draft_state(d, {}, estate).hours["w1"] == "24/7"
    assert d.toggle("w1", estate, base).open == ()


def test_toggle_opens_a_candidate_with_default_hours(estate):
    d = Scenario.blank("register").toggle("c1", estate, reg_state(estate))
    assert d.open == (Change("c1", DEFAULT_NEW_HOURS),)


def test_add_candidate_hours_rationale_undo(estate):
    base = reg_state(estate)
    d = Scenario.blank("register").add_open("c1", "Mo-Sa 08:00-20:00", estate, base, rationale="busy")
    assert d.open == (Change("c1", "Mo-Sa 08:00-20:00", "busy"),)
    d = d.with_hours("c1", "24/7", base).with_rationale("c1", "open all night")
    assert d.open == (Change("c1", "24/7", "open all night"),)
    st = drafts.draft_state(d, {}, estate)
    assert st.hours["c1"] == "24/7" and st.opened["c1"].rationale == "open all night"
    assert d.undo("c1").open == ()


def test_set_hours_of_a_base_site_and_back(estate):
    base = reg_state(estate)
    d = Scenario.blank("register").with_hours("s1", "Mo-Fr 10:00-22:00", base)
    assert d.set_hours == (Change("s1", "Mo-Fr 10:00-22:00"),)
    assert drafts.draft_state(d, {}, estate).rehoured["s1"].hours == "Mo-Fr 10:00-22:00"
    assert d.with_hours("s1", "24/7", base).set_hours == ()  # same as the base: no change


@pytest.mark.parametrize(("call", "exc"), [
    (lambda d, e, b: d.toggle("nope", e, b), UnknownSiteError),
    (lambda d, e, b: d.add_open("c1", "whenever", e, b), HoursError),
    (lambda d, e, b: d.with_hours("c2", "24/7", b), ScenarioError),  # not open: open it first
    (lambda d, e, b: d.toggle("s1", e, b).with_hours("s1", "24/7", b), ScenarioError),  # closed by the draft
    (lambda d, e, b: d.with_rationale("s1", "why"), ScenarioError),  # not changed
])
def test_bad_edits_raise(estate, call, exc):
    with pytest.raises(exc):
        call(Scenario.blank("register"), estate, reg_state(estate))


def test_draft_from_scenario_keeps_its_changes_and_resolves_like_the_file(estate, scenarios):
    d = Scenario.from_scenario(scenarios["base-a"])
    assert d.base == "register" and d.close == (Change("s2", rationale="quiet"),)
    assert drafts.draft_state(d, scenarios, estate).hours == resolve("base-a", scenarios, estate).hours
    reopened = d.toggle("s2", estate, reg_state(estate))
    assert "s2" in drafts.draft_state(reopened, scenarios, estate).hours


def test_fingerprint_changes_with_coverage_not_with_title(estate):
    d = Scenario.blank("register", title="A")
    assert d.fingerprint() == d.with_meta(title="B", id="b").fingerprint()
    assert d.fingerprint() != d.toggle("s1", estate, reg_state(estate)).fingerprint()


def test_site_table_edits_toggle_sites(estate):
    base = reg_state(estate)
    d = Scenario.blank("register")
    before = drafts.site_table(estate, base, base, d)
    assert list(before["site_id"]) == ["s1", "s2", "w1"]
    assert list(before["open"]) == [True, True, False]
    after = before.copy()
    after.loc[after["site_id"] == "s1", "open"] = False
    after.loc[after["site_id"] == "w1", "open"] = True
    d2 = drafts.apply_open_edits(d, before, after, estate, base)
    assert [c.site_id for c in d2.close] == ["s1"] and [c.site_id for c in d2.open] == ["w1"]
    tbl = drafts.site_table(estate, base, drafts.draft_state(d2, {}, estate), d2).set_index("site_id")
    assert tbl.at["s1", "change"] == "closed by this draft" and tbl.at["w1", "change"] == "opened by this draft"
    assert list(drafts.filter_table(before, "beta s2")["site_id"]) == ["s2"]


def test_change_frame_edits_apply_rationale_hours_and_undo(estate):
    base = reg_state(estate)
    d = (Scenario.blank("register").toggle("s1", estate, base)
         .add_open("c1", "24/7", estate, base))
    ch = drafts.change_frame(d, estate)
    assert list(ch["change"]) == ["close", "open"]
    ch.loc[0, "rationale"] = "too quiet"
    ch.loc[1, "hours"] = "Mo-Fr 09:00-17:00"
    d2 = drafts.apply_change_edits(d, ch, base)
    assert d2.close == (Change("s1", rationale="too quiet"),)
    assert d2.open == (Change("c1", "Mo-Fr 09:00-17:00"),)
    ch.loc[0, "undo"] = True
    assert drafts.apply_change_edits(d2, ch, base).close == ()
    ch.loc[1, "hours"] = "sometimes"
    with pytest.raises(HoursError):
        drafts.apply_change_edits(d2, ch, base)


def test_candidate_filters(estate):
    assert drafts.candidate_options(estate) == {"host": ["library", "supermarket"], "borough": ["Alpha", "Beta"],
                                               "retailer": ["Tesco"]}
    assert list(drafts.filter_candidates(estate, hosts=["supermarket"])["site_id"]) == ["c1"]
    assert list(drafts.filter_candidates(estate, boroughs=["Alpha"])["site_id"]) == ["c2"]
    assert list(drafts.filter_candidates(estate, retailers=["Tesco"], query="c1")["site_id"]) == ["c1"]
    assert list(drafts.filter_candidates(estate, exclude=["c1"])["site_id"]) == ["c2"]


# ---- saving ----------------------------------------------------------------------
def _draft(estate):
    base = reg_state(estate)
    return (Scenario.blank("register", title="Keep it lean").with_meta(id="lean-2027")
            .toggle("s2", estate, base).with_rationale("s2", "quiet after 6pm")
            .add_open("c1", "Mo-Sa 08:00-22:00", estate, base, rationale="open late"))


def test_save_writes_valid_yaml_that_resolves_to_the_draft(estate, scenarios, folder):
    d = _draft(estate)
    path = drafts.save_draft(d, folder, estate, scenarios)
    assert path == (folder / "lean-2027.yaml").resolve()
    data = yaml.safe_load(path.read_text())
    assert data["close"] == [{"id": "s2", "rationale": "quiet after 6pm"}]
    sc = load_scenario(path)
    assert resolve(sc.id, {**scenarios, sc.id: sc}, estate).hours == drafts.draft_state(d, scenarios, estate).hours
    assert not list(folder.glob(".*.tmp"))


def test_save_never_overwrites_without_confirmation_and_detects_a_later_change(estate, scenarios, folder):
    d = _draft(estate)
    drafts.save_draft(d, folder, estate, scenarios)
    first = (folder / "lean-2027.yaml").read_text()
    with pytest.raises(FileExistsError):
        drafts.save_draft(d.with_meta(title="Second"), folder, estate, scenarios)
    assert (folder / "lean-2027.yaml").read_text() == first
    seen = drafts.file_digest(folder / "lean-2027.yaml")
    # another session saves in between
    drafts.save_draft(d.with_meta(title="Other session"), folder, estate, scenarios, overwrite=True)
    with pytest.raises(drafts.SaveConflictError) as err:
        drafts.save_draft(d.with_meta(title="Mine"), folder, estate, scenarios, overwrite=True, expected_digest=seen)
    assert err.value.digest == drafts.file_digest(folder / "lean-2027.yaml")
    assert "Other session" in (folder / "lean-2027.yaml").read_text()
    drafts.save_draft(d.with_meta(title="Mine"), folder, estate, scenarios, overwrite=True,
                      expected_digest=err.value.digest)
    assert "title: Mine" in (folder / "lean-2027.yaml").read_text()


def test_two_sessions_saving_a_new_id_at_once_write_one_file_and_refuse_the_other(estate, scenarios, folder):
    d = _draft(estate)
    results: list[str] = []

    def save(title):
        try:
            drafts.save_draft(d.with_meta(title=title), folder, estate, scenarios)
            results.append("saved")
        except FileExistsError:
            results.append("asked")

    threads = [threading.Thread(target=save, args=(f"T{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["asked", "asked", "asked", "saved"]
    assert parse_scenario((folder / "lean-2027.yaml").read_text()).id == "lean-2027"


@pytest.mark.parametrize("bad_id", ["../evil", "a/b", "UPPER", "", "-lead", "register", "x" * 65, "dot.yaml"])
def test_bad_ids_are_refused_before_anything_is_written(estate, scenarios, folder, bad_id):
    before = sorted(p.name for p in folder.parent.rglob("*"))
    with pytest.raises(ScenarioError):
        drafts.save_draft(_draft(estate).with_meta(id=bad_id), folder, estate, scenarios)
    assert sorted(p.name for p in folder.parent.rglob("*")) == before
    assert drafts.check_scenario_id(bad_id)


def test_save_needs_a_title_and_a_resolving_draft(estate, scenarios, folder):
    with pytest.raises(ScenarioError, match="title"):
        drafts.save_draft(_draft(estate).with_meta(title=" "), folder, estate, scenarios)
    broken = Scenario(id="broken", title="Broken", base="no-such-base")
    with pytest.raises(KeyError):
        drafts.save_draft(broken, folder, estate, scenarios)
    assert not (folder / "broken.yaml").exists()


# ---- uploads --------------------------------------------------------------------
GOOD = b"id: up-1\ntitle: Uploaded\nbase: base-a\nopen:\n  - id: c1\n    hours: 24/7\n    rationale: new\n"


def test_good_upload_becomes_a_draft(estate, scenarios):
    d = drafts.read_upload("plan.yaml", GOOD, estate=estate, scenarios=scenarios)
    assert d.id == "up-1" and d.base == "base-a" and d.open == (Change("c1", "24/7", "new"),)
    assert d.started_from == "upload:plan.yaml"


@pytest.mark.parametrize(("name", "data", "match"), [
    ("big.yaml", b"#" * 300_000, "at most 256 KB"),
    ("plan.txt", GOOD, "ending in .yaml"),
    ("latin.yaml", "id: x\ntitle: caf\u00e9\n".encode("latin-1"), "not UTF-8"),
    ("broken.yaml", b"id: x\ntitle: [unclosed\n", "malformed YAML"),
    ("evil.yaml", b"!!python/object/apply:os.system ['echo hi']\n", "malformed YAML"),
    ("list.yaml", b"- a\n- b\n", "YAML mapping"),
    ("noid.yaml", b"title: no id\n", "id ''"),
    ("site.yaml", b"id: x\ntitle: X\nclose: [nope]\n", "unknown site id 'nope'"),
    ("base.yaml", b"id: x\ntitle: X\nbase: nowhere\n", "unknown scenario 'nowhere'"),
    ("hours.yaml", b"id: x\ntitle: X\nopen:\n  - id: c1\n    hours: soon\n", "opening hours"),
    ("nul.yaml", b"id: x\x00\n", "not a text file"),
])
def test_bad_uploads_give_plain_errors(estate, scenarios, name, data, match):
    with pytest.raises(drafts.UploadError, match=match) as err:
        drafts.read_upload(name, data, estate=estate, scenarios=scenarios)
    assert "Traceback" not in str(err.value)


def test_upload_name_cannot_make_resolve_read_a_local_file(estate, scenarios, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.yaml").write_text("secret: 1\n")
    with pytest.raises(drafts.UploadError) as err:
        drafts.read_upload("x.yaml", b"id: x\ntitle: X\nclose: [nope]\n", estate=estate, scenarios=scenarios)
    assert "secret" not in str(err.value)


def test_folder_signature_changes_when_a_file_does(folder):
    sig = drafts.scenario_folder_signature(folder)
    (folder / "new.yaml").write_text("id: new\ntitle: New\n")
    assert drafts.scenario_folder_signature(folder) != sig
