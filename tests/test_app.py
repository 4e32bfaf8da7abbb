"""Every page of ``streamlit_app.py`` under ``streamlit.testing.v1.AppTest``, on the London data.

The app reads and writes scenarios in a temporary copy of ``scenarios/``
(``ESTATE_SCENARIOS``), never the repository's folder; caches are cleared
before and after each test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
import yaml
from streamlit.testing.v1 import AppTest

from estate import drafts
from estate.planner import Planner
from estate.scenario import load_scenario, resolve
from geodata import settings
from geodata.errors import MissingDataError
from geodata.travel.base import MODES

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 120


def _data_dir() -> Path | None:
    try:
        return settings.data_dir()
    except MissingDataError:
        return None


pytestmark = [
    pytest.mark.london,
    pytest.mark.skipif(_data_dir() is None, reason="no London data pack (set ESTATE_DATA or put it at ../shared/london)"),
]


@pytest.fixture
def scen_dir(tmp_path, monkeypatch):
    d = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", d)
    monkeypatch.setenv("ESTATE_SCENARIOS", str(d))
    return d


@pytest.fixture(autouse=True)
def _clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


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


def test_map_page_metric_detail_and_export(scen_dir):
    at = _run("Map")
    assert at.selectbox(key="map_metric").value == "beyond_change"
    assert at.radio(key="map_detail").options == ["Boroughs", "LSOAs in one borough", "LSOAs across London (zoom in)"]
    at.radio(key="map_detail").set_value("borough").run()
    assert at.selectbox(key="map_borough").value
    at.selectbox(key="map_metric").set_value("mean_min").run()
    assert not at.exception
    assert any("standalone" in c.value or "internet" in c.value for c in at.caption)
    assert [b for b in at.get("download_button") if "Export this map" in b.proto.label]


def test_build_page_add_candidate_save_and_overwrite(scen_dir):
    at = _run("Build a scenario")
    assert at.selectbox(key="build_start").value == "outcome-2026"
    n0 = len(at.dataframe[-1].value)  # the changes table
    picks = at.selectbox(key="cand_pick").options
    assert picks, "candidate hosts listed"
    p = Planner(scenarios_dir=scen_dir)
    cid = drafts.filter_candidates(p.estate)["site_id"].iloc[0]
    at.selectbox(key="cand_pick").set_value(cid).run()
    at.text_input(key="cand_why").input("Open late, near the closed counter").run()
    at.button(key="cand_add").click().run()
    assert not at.exception
    changes = at.dataframe[-1].value
    assert len(changes) == n0 + 1 and "open" in set(changes["change"])
    title = at.text_input(key="title-outcome-2026")
    title.input("Outcome plus a supermarket").run()
    at.text_input(key="id-outcome-2026").input("outcome-plus").run()
    at.button(key="save").click().run()
    assert not at.exception
    path = scen_dir / "outcome-plus.yaml"
    assert path.exists()
    assert not (ROOT / "scenarios" / "outcome-plus.yaml").exists()
    sc = load_scenario(path)
    assert sc.title == "Outcome plus a supermarket" and len(sc.open) == 1
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
    at = _run("Build a scenario")
    (editor,) = [d for d in at.data_editor if d.key and d.key.startswith("sites-")]
    rows = editor.value
    i = int(rows.index[rows["site_id"] == "charing-cross"][0])
    assert bool(rows.loc[i, "open"])
    before = _metrics(at)
    at.session_state[editor.key] = {"edited_rows": {i: {"open": False}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    changes = at.dataframe[-1].value
    assert "charing-cross" in set(changes.loc[changes["change"] == "close", "site_id"])
    assert _metrics(at) != before  # the live figures moved


def test_build_page_bad_upload_shows_a_plain_error(scen_dir):
    at = _run("Build a scenario")
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
    at = _run("Evidence")
    assert at.header[0].value == "Closure evidence"
    sites = at.selectbox(key="ev_site").options
    assert len(sites) == 35  # every case of outcome-2026: ten closures and 25 hours cuts
    assert sites[0].startswith("1. ") and sites[-1].startswith("—. ")  # by rank, unlocated last
    assert at.multiselect(key="ev_bands").value == ["day", "night"]
    ranked = at.dataframe[0].value
    assert list(ranked["Rank"])[:3] == ["1", "2", "3"] and all(ranked["Verdict"].str.len() > 0)
    assert any("Where they go instead" in m.value for m in at.markdown)
    assert any(m.value.startswith("**Cutting ") for m in at.markdown)  # the first case's verdict, an hours cut
    at.selectbox(key="ev_site").select_index(2).run()
    assert not at.exception


def test_evidence_of_the_unsaved_draft(scen_dir):
    at = _run("Build a scenario")  # starts a draft from outcome-2026
    at.sidebar.radio(key="page").set_value("Evidence").run()
    at.toggle(key="ev_draft").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.selectbox(key="ev_site").options) == 35  # the draft changes what outcome-2026 changes
    files = list(scen_dir.glob("*.yaml"))
    assert len(files) == len(list((ROOT / "scenarios").glob("*.yaml")))  # nothing was saved to get here


def test_about_page_sources_licences_and_engines(scen_dir):
    at = _run("About the data")
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
