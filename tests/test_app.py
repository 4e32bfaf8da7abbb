"""Every page of ``streamlit_app.py`` under ``streamlit.testing.v1.AppTest``, on the London data.

The app reads and writes scenarios in a temporary copy of ``scenarios/``
(``ESTATE_SCENARIOS``), never the repository's folder; caches are cleared
before and after each test.
"""

from __future__ import annotations

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from estate import drafts
from estate.planner import Planner
from estate.scenario import load_scenario, resolve
from geodata.travel.base import MODES
from tests.app_support import APP, LONDON_APP_MARKS, ROOT

TIMEOUT = 120

pytestmark = LONDON_APP_MARKS


def _run(page: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page:
        at.sidebar.radio(key="page").set_value(page).run()
    for k, v in state.items():
        at.sidebar.selectbox(key=k).set_value(v).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_compare_page_widgets_headline_table_and_scenario_change(scen_dir):
    at = _run()
    side = {w.key for w in at.sidebar.selectbox}
    assert {"base", "scenario", "mode", "band"} <= side
    assert at.sidebar.selectbox(key="mode").options == [
        {"walk": "Walking", "drive": "Driving", "transit": "Public transport"}[m] for m in MODES]
    assert at.sidebar.select_slider(key="threshold").value == 45
    assert at.header[0].value == "Compare two scenarios"
    before = at.dataframe[0].value
    assert len(before) == 33 and before.columns[0] == "Borough"
    head = _metrics(at)
    assert head["Beyond 45 min: base"] != head["Beyond 45 min: scenario"]
    # the figures are the library's
    p = Planner(scenarios_dir=scen_dir)
    cmp_ = p.compare("baseline-2024", "outcome-2026", "walk", "night")
    assert head["Beyond 45 min: scenario"] == f"{round(cmp_.scenario.beyond(45)[-1]):,}"
    at.sidebar.selectbox(key="scenario").set_value("met-proposal-2025").run()
    after = at.dataframe[0].value
    assert not before.equals(after)
    assert _metrics(at)["Beyond 45 min: scenario"] != head["Beyond 45 min: scenario"]
    at.sidebar.select_slider(key="threshold").set_value(30).run()
    assert "Beyond 30 min: base" in _metrics(at)
    assert any("Beyond 30 min" in c for c in at.dataframe[0].value.columns)
    assert at.get("download_button")


def test_map_page_metric_borough_detail_and_export(scen_dir):
    at = _run("map")
    assert at.selectbox(key="metric").value == "beyond_change"
    at.sidebar.selectbox(key="borough").set_value("E09000022").run()  # Lambeth in detail
    assert not at.exception
    at.selectbox(key="metric").set_value("mean_min").run()
    assert not at.exception
    assert any("standalone" in c.value or "internet" in c.value for c in at.caption)
    assert [b for b in at.get("download_button") if "Export this map" in b.proto.label]


def _changes(at: AppTest, which: str = "own-"):
    eds = [d for d in at.data_editor if d.key and d.key.startswith(which)]
    return eds[0].value if eds else None


def test_build_page_add_candidate_save_and_overwrite(scen_dir):
    at = _run("build")
    assert at.selectbox(key="build_start").value == "outcome-2026"
    assert _changes(at) is None  # no edits of its own yet
    assert len(_changes(at, "inherited-")) >= 30  # outcome-2026's changes, folded
    picks = at.selectbox(key="cand_pick").options
    assert picks, "candidate hosts listed"
    p = Planner(scenarios_dir=scen_dir)
    cid = drafts.filter_candidates(p.estate)["site_id"].iloc[0]
    at.selectbox(key="cand_pick").set_value(cid).run()
    at.text_input(key="cand_why").input("Open late, near the closed counter").run()
    at.button(key="cand_add").click().run()
    assert not at.exception
    changes = _changes(at)
    assert len(changes) == 1 and "open" in set(changes["change"])  # the draft's own edit, listed first
    # the starting scenario's id and title are not offered: saving needs new ones
    assert at.text_input(key="title-outcome-2026").value == "" and at.text_input(key="id-outcome-2026").value == ""
    assert at.button(key="save").disabled
    title = at.text_input(key="title-outcome-2026")
    title.input("Outcome plus a supermarket").run()
    at.text_input(key="id-outcome-2026").input("outcome-plus").run()
    at.button(key="save").click().run()
    assert not at.exception
    path = scen_dir / "outcome-plus.yaml"
    assert path.exists()
    assert not (ROOT / "scenarios" / "outcome-plus.yaml").exists()
    sc = load_scenario(path)
    assert path.stat().st_mode & 0o777 == (ROOT / "scenarios" / "outcome-2026.yaml").stat().st_mode & 0o777 == 0o644
    assert sc.title == "Outcome plus a supermarket" and len(sc.open) == 1 and sc.id == "outcome-plus"
    assert sc.open[0].site_id == cid
    assert sc.open[0].site_id in resolve(sc.id, p.scenarios, p.estate).hours
    assert any("Saved outcome-plus.yaml" in s.value for s in at.success)
    # saving again asks before overwriting
    at.text_input(key="title-outcome-2026").input("Changed title").run()
    at.button(key="save").click().run()
    assert any("already exists" in w.value for w in at.warning)
    assert load_scenario(path).title == "Outcome plus a supermarket"
    at.checkbox(key="confirm_overwrite").check().run()
    at.button(key="overwrite").click().run()
    assert load_scenario(path).title == "Changed title"


def test_build_page_close_a_counter_from_the_table(scen_dir):
    at = _run("build")
    (editor,) = [d for d in at.data_editor if d.key and d.key.startswith("sites-")]
    rows = editor.value
    i = int(rows.index[rows["site_id"] == "charing-cross"][0])
    assert bool(rows.loc[i, "open"])
    before = _metrics(at)
    at.session_state[editor.key] = {"edited_rows": {i: {"open": False}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    changes = _changes(at)
    assert "charing-cross" in set(changes.loc[changes["change"] == "close", "site_id"])
    assert _metrics(at) != before  # the live figures moved


def test_build_page_bad_upload_shows_a_plain_error(scen_dir):
    at = _run("build")
    at.file_uploader(key="upload").set_value(("bad.yaml", b"id: bad\ntitle: Bad\nclose: [no-such-counter]\n",
                                               "application/x-yaml")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("unknown site id 'no-such-counter'" in e for e in errors), errors
    at.file_uploader(key="upload").set_value(("huge.yaml", b"#" * 400_000, "application/x-yaml")).run()
    assert any("at most 256 KB" in e.value for e in at.error)
    good = yaml.safe_dump({"id": "uploaded", "title": "Uploaded", "base": "baseline-2024", "close": ["harrow"]})
    at.file_uploader(key="upload").set_value(("good.yaml", good.encode(), "application/x-yaml")).run()
    assert not at.error
    assert any("Loaded good.yaml" in s.value for s in at.success)


def test_evidence_page(scen_dir):
    at = _run("evidence")
    assert at.header[0].value == "Closure evidence"
    sites = at.selectbox(key="ev_site").options
    assert len(sites) == 35  # every case of outcome-2026: ten closures and 25 hours cuts
    assert sites[0].startswith("1. ") and sites[-1].startswith("—. ")  # by rank, unlocated last
    assert at.multiselect(key="ev_bands").value == ["day", "night"]
    ranked = at.dataframe[0].value
    assert list(ranked["Rank"])[:3] == ["1", "2", "3"] and all(ranked["Verdict"].str.len() > 0)
    assert any("Where they go instead" in m.value for m in at.markdown)
    assert any(m.value.startswith("**Cutting ") for m in at.markdown)  # the first case's verdict, an hours cut
    # the pack is prepared on request (its progress shown step by step), then offered
    assert not [b for b in at.get("download_button") if "evidence pack" in b.proto.label]
    at.button(key="ev_prepare").click().run()
    assert not at.exception
    assert [b for b in at.get("download_button") if b.proto.label.startswith("Download the evidence pack (")]
    at.selectbox(key="ev_site").select_index(2).run()
    assert not at.exception


def test_evidence_of_the_unsaved_draft(scen_dir):
    at = _run("build")  # starts a draft from outcome-2026
    at.sidebar.radio(key="page").set_value("evidence").run()
    at.toggle(key="ev_draft").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.selectbox(key="ev_site").options) == 35  # the draft changes what outcome-2026 changes
    files = list(scen_dir.glob("*.yaml"))
    assert len(files) == len(list((ROOT / "scenarios").glob("*.yaml")))  # nothing was saved to get here


def test_about_page_sources_licences_and_engines(scen_dir):
    at = _run("about")
    text = " ".join(m.value for m in at.markdown)
    assert "approximate" in text
    for label in ("Walking", "Driving", "Public transport"):
        assert f"**{label}**" in text
    for needed in ("GEOLYTIX", "© OpenStreetMap contributors", "DCMS Libraries Taskforce",
                   "Contains OS data © Crown copyright and database right 2014; Contains Royal Mail data "
                   "© Royal Mail copyright and database right 2014; Contains National Statistics data "
                   "© Crown copyright and database right 2014", "Open Government Licence"):
        assert needed in text


def test_a_failing_engine_is_a_message_not_a_traceback(scen_dir, monkeypatch):
    real = Planner.matrix

    def matrix(self, mode, band, **kw):
        if mode == "drive":
            raise RuntimeError("network file unreadable")
        return real(self, mode, band, **kw)

    monkeypatch.setattr(Planner, "matrix", matrix)
    at = _run(mode="drive")
    assert not at.exception
    assert any("not available" in e.value and "network file unreadable" in e.value for e in at.error)
    at.sidebar.selectbox(key="mode").set_value("walk").run()
    assert not at.error and at.dataframe[0].value is not None


def test_a_broken_scenario_file_is_reported_plainly(scen_dir):
    (scen_dir / "broken.yaml").write_text("id: broken\ntitle: [oops\n")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("malformed YAML" in e.value for e in at.error)


def _with_query(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def test_sidebar_keys_are_the_query_parameters_and_a_link_reproduces_a_view(scen_dir):
    at = _with_query(page="map", base="baseline-2024", scenario="met-proposal-2025", mode="drive", band="day",
                     threshold="30", borough="E09000005")
    assert not at.exception
    assert at.sidebar.radio(key="page").value == "map"
    for key, want in (("base", "baseline-2024"), ("scenario", "met-proposal-2025"), ("mode", "drive"),
                      ("band", "day"), ("borough", "E09000005")):
        assert at.sidebar.selectbox(key=key).value == want, key
    assert at.sidebar.select_slider(key="threshold").value == 30
    assert at.header[0].value == "Coverage map"
    # the view goes back into the URL, and the link shown carries it
    at.sidebar.selectbox(key="band").set_value("night").run()
    assert at.query_params["band"] == "night" and at.query_params["borough"] == "E09000005"
    link = at.sidebar.code[0].value
    assert "page=map" in link and "band=night" in link and "scenario=met-proposal-2025" in link


@pytest.mark.parametrize("params", [
    {"mode": "<script>alert(1)</script>"}, {"band": "![x](https://example.org/x.png)"},
    {"scenario": "../../etc/passwd"}, {"threshold": "1e9"}, {"page": "javascript:alert(1)"}, {"evil": "1"},
])
def test_unknown_or_malicious_link_values_are_ignored_with_a_message(scen_dir, params):
    at = _with_query(**params)
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("were ignored" in w for w in warnings), warnings
    shown = " ".join(warnings + [m.value for m in at.markdown] + [c.value for c in at.caption])
    for v in params.values():
        assert len(v) < 3 or v not in shown  # never echoed
    assert at.sidebar.selectbox(key="mode").value == "walk" and at.sidebar.radio(key="page").value == "compare"


def test_point_page_by_postcode_every_mode_and_band(scen_dir):
    at = _run("point")
    assert at.header[0].value.startswith("From a place")
    at.text_input(key="postcode").input("se1 7pb").run()
    assert not at.exception and not at.error
    table = at.table[0].value.reset_index()
    assert len(table) == 6 and set(table["Time"]) == {"day (Wed 12:00)", "night (Wed 03:00)"}
    assert set(table["Mode"]) == {"Walking", "Driving", "Public transport"}
    assert all(v.replace(".", "").isdigit() for v in table["Minutes (outcome-2026)"])
    assert any("Route by walking" in m.value for m in at.markdown)
    assert at.query_params["postcode"].upper() == "SE1 7PB"


@pytest.mark.parametrize(("postcode", "message"), [
    ("ZZ99 9ZZ", "not in Code-Point Open, the postcode list of"),
    ("AB10 1AB", "outside the study area"),
    ("hello", "is not a UK postcode"),
])
def test_point_page_bad_postcodes_are_plain_errors(scen_dir, postcode, message):
    at = _run("point")
    at.text_input(key="postcode").input(postcode).run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]


def test_point_page_click_outside_london_is_a_plain_error(scen_dir):
    at = _run("point")
    at.session_state["point_click"] = (48.8566, 2.3522)  # Paris
    at.run()
    assert not at.exception
    assert any("outside the study area" in e.value for e in at.error)


def test_build_page_an_edit_only_by_day_is_explained_at_night(scen_dir):
    at = _run("build")
    (editor,) = [d for d in at.data_editor if d.key and d.key.startswith("sites-")]
    rows = editor.value
    i = int(rows.index[rows["site_id"] == "acton"][0])  # day-only in outcome-2026
    at.session_state[editor.key] = {"edited_rows": {i: {"open": False}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    effects = at.table[0].value
    row = effects.loc["Acton Police Station"]
    assert row["day (Wed 12:00)"].startswith("+") and "more beyond 45 min" in row["day (Wed 12:00)"]
    assert row["night (Wed 03:00)"].startswith("no effect") and "not open at night" in row["night (Wed 03:00)"]
    assert any("changes nothing at night" in i.value for i in at.info)


def test_build_page_closing_from_the_map_asks_for_a_rationale(scen_dir):
    at = _run("build")
    at.session_state["pending_click"] = "charing-cross"
    at.run()
    assert any("Close Charing Cross Police Station?" in m.value for m in at.markdown)
    at.text_input(key="click_why").input("Lease ends").run()
    at.button(key="click_confirm").click().run()
    assert not at.exception
    changes = _changes(at)
    row = changes[changes["site_id"] == "charing-cross"].iloc[0]
    assert row["change"] == "close" and row["rationale"] == "Lease ends"


def _close_in_table(at: AppTest, site: str) -> None:
    (editor,) = [d for d in at.data_editor if d.key and d.key.startswith("sites-")]
    rows = editor.value
    i = int(rows.index[rows["site_id"] == site][0])
    at.session_state[editor.key] = {"edited_rows": {i: {"open": False}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception


def _warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_build_page_start_and_upload_ask_before_discarding_unsaved_edits(scen_dir):
    at = _run("build")
    # a fresh draft holds nothing unsaved: Start replaces it without a question
    at.selectbox(key="build_start").set_value("met-proposal-2025").run()
    at.button(key="build_start_btn").click().run()
    assert not any("unsaved" in w for w in _warnings(at))
    assert at.text_input(key="title-met-proposal-2025").value == ""
    _close_in_table(at, "charing-cross")
    assert "charing-cross" in set(_changes(at)["site_id"])
    # Start again: asked first; "keep" keeps the edit
    at.selectbox(key="build_start").set_value("baseline-2024").run()
    at.button(key="build_start_btn").click().run()
    asked = [w for w in _warnings(at) if "unsaved edit" in w]
    assert asked and "1 unsaved edit in the draft started from met-proposal-2025" in asked[0]
    assert "charing-cross" in set(_changes(at)["site_id"])  # nothing replaced yet
    at.button(key="discard_cancel").click().run()
    assert not any("unsaved edit" in w for w in _warnings(at))
    assert "charing-cross" in set(_changes(at)["site_id"])
    # an upload asks too; "keep" leaves the draft as it was
    good = yaml.safe_dump({"id": "uploaded", "title": "Uploaded", "base": "baseline-2024", "close": ["harrow"]})
    at.file_uploader(key="upload").set_value(("good.yaml", good.encode(), "application/x-yaml")).run()
    assert any("Replacing it with good.yaml" in w for w in _warnings(at))
    at.button(key="discard_cancel").click().run()
    assert "charing-cross" in set(_changes(at)["site_id"])
    # Start, then discard: the new start replaces the draft
    at.button(key="build_start_btn").click().run()
    at.button(key="discard_confirm").click().run()
    assert not at.exception
    assert at.text_input(key="title-baseline-2024").value == ""
    assert _changes(at) is None  # the new draft has no edits of its own


def test_build_draft_is_kept_across_a_reload(scen_dir):
    at = _run("build")
    assert "draft" not in at.query_params  # nothing kept before the first edit
    _close_in_table(at, "charing-cross")
    token = at.query_params["draft"]
    assert drafts.is_draft_token(token)
    kept = scen_dir / ".drafts" / f"{token}.json"
    assert kept.exists() and kept.stat().st_mode & 0o777 == 0o644
    at.text_input(key="title-outcome-2026").input("Outcome without Charing Cross").run()
    # a reload is a new session with the same URL
    again = _with_query(page="build", draft=token)
    assert not again.exception
    assert any("kept across the reload" in i.value and "2 unsaved edits" in i.value for i in again.info)
    assert "charing-cross" in set(_changes(again)["site_id"])
    assert again.text_input(key="title-outcome-2026").value == "Outcome without Charing Cross"
    # and the restored draft still asks before Start discards it
    again.button(key="build_start_btn").click().run()
    assert any("2 unsaved edits" in w for w in _warnings(again))
    # a damaged kept draft is a plain message, and the page still works
    kept.write_text('{"format": 1, "draft": {"close": [["x"]]}}')
    broken = _with_query(page="build", draft=token)
    assert not broken.exception
    assert any("could not be read back" in e.value for e in broken.error)
    assert _changes(broken) is None


def test_a_link_draft_key_that_is_not_a_key_is_ignored(scen_dir):
    at = _with_query(page="build", draft="../../scenarios/outcome-2026")
    assert not at.exception
    assert any("were ignored" in w and "draft" in w for w in _warnings(at))
    assert not (scen_dir / ".drafts").exists()
