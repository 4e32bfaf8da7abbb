"""The app on a study area other than London (``ESTATE_AREA=newport``): every page draws,
its figures are the library's, its words name the area, not London."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from estate import text
from estate.planner import Planner
from tests.app_support import APP, ROOT

NATIONAL = ROOT.parent / "shared" / "national"

pytestmark = [
    pytest.mark.skipif(not (NATIONAL / "newport").is_dir(), reason="the national pack is not available"),
    pytest.mark.usefixtures("clear_streamlit_caches"),
]




def test_every_page_draws_for_newport_with_the_librarys_figures(monkeypatch) -> None:
    monkeypatch.setenv("ESTATE_AREA", "newport")
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    side = {w.key: w for w in at.sidebar.selectbox}
    assert side["borough"].options == ["All Newport", "Newport"]
    base, scen, mode, band = (side[k].value for k in ("base", "scenario", "mode", "band"))
    assert (base, scen) == ("register", "example-two-close")
    got = {m.label: m.value for m in at.metric}
    p = Planner(area="newport")
    t = 45  # the app's default threshold
    want = [round(float(p.coverage(s, mode, band).beyond(t)[-1])) for s in (base, scen)]
    assert got[f"Beyond {t} min: base"] == text.count(want[0])
    assert got[f"Beyond {t} min: scenario"] == text.count(want[1])
    assert want[0] != want[1]  # the example changes something
    words = " ".join(m.value for m in at.markdown)
    assert "Londoners" not in words and "residents are more than" in words
    for page in ("map", "point", "build", "optimise", "evidence", "about"):
        at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
    about = " ".join(m.value for m in at.markdown)
    assert "**Newport**" in about and "Metropolitan Police" not in about
    assert "GEOLYTIX" in about and "within each nation" in about


def test_an_unknown_area_is_a_clear_message_not_a_traceback(monkeypatch) -> None:
    monkeypatch.setenv("ESTATE_AREA", "atlantis")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    msg = " ".join(e.value for e in at.error)
    assert "unknown study area 'atlantis'" in msg and "newport" in msg


def test_the_app_reports_by_community_safety_partnership(monkeypatch) -> None:
    monkeypatch.setenv("ESTATE_AREAS", "csp")
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    p = Planner(grouping="csp")
    side = {w.key: w for w in at.sidebar.selectbox}
    names = dict(zip(p.areas["code"], p.areas["name"], strict=True))
    assert len(side["borough"].options) == 1 + len(names) == 34  # London's 33 CSPs are its boroughs
    assert set(side["borough"].options[1:]) == set(names.values())
    assert p.areas["code"].str.startswith("E22").all()  # CSP 2024 codes, not district codes


REGISTER = ROOT / "registers" / "newport_osm_police_stations.csv"


def test_a_force_with_no_register_says_how_to_give_one(monkeypatch) -> None:
    monkeypatch.setenv("ESTATE_FORCE", "Gwent")
    monkeypatch.delenv("ESTATE_REGISTER", raising=False)
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    msg = " ".join(e.value for e in at.error)
    assert "no national list of front counters" in msg and "ESTATE_REGISTER" in msg, msg


def test_every_page_draws_for_a_force_with_its_own_register(monkeypatch, tmp_path) -> None:
    """ESTATE_FORCE=Gwent, ESTATE_REGISTER (Newport's five OSM police stations) and its scenarios in
    ESTATE_SCENARIOS (a force with no folder of its own): the figures are the library's."""
    import shutil

    scen = tmp_path / "scenarios"
    scen.mkdir()
    shutil.copy(ROOT / "scenarios" / "newport" / "example-two-close.yaml", scen)
    monkeypatch.setenv("ESTATE_FORCE", "Gwent")
    monkeypatch.setenv("ESTATE_REGISTER", str(REGISTER))
    monkeypatch.setenv("ESTATE_SCENARIOS", str(scen))
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    side = {w.key: w for w in at.sidebar.selectbox}
    assert side["borough"].options == ["All Gwent", "Blaenau Gwent", "Caerphilly", "Monmouthshire", "Newport",
                                       "Torfaen"]
    assert (side["base"].value, side["scenario"].value) == ("register", "example-two-close")
    from geodata.studyarea import study_area

    p = Planner(area=study_area(force="Gwent"), register_csv=REGISTER, scenarios_dir=scen)
    mode, band = side["mode"].value, side["band"].value
    got = {m.label: m.value for m in at.metric}
    want = round(float(p.coverage("example-two-close", mode, band).beyond(45)[-1]))
    assert got["Beyond 45 min: scenario"] == text.count(want)
    for page in ("map", "point", "build", "optimise", "evidence"):
        at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
    # from a place: walking and driving answer, public transport (no timetable here) is named, not a failure
    at.sidebar.radio(key="page").set_value("point").run()
    at.text_input(key="postcode").set_value("NP20 2EH").run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert any("public transport in Gwent needs a GTFS feed" in i.value for i in at.info)
    modes = set(at.table[0].value.index.get_level_values(0))
    assert modes == {"Walking", "Driving"}, modes
    at.sidebar.radio(key="page").set_value("about").run()
    # the national pack has no timetable for Gwent: the About page says what public transport needs
    assert [e.value for e in at.error] == [
        "**Public transport**: The public transport travel-time engine is not available: NoTimetableError: "
        "public transport in Gwent needs a GTFS feed (--gtfs FILE; the app: ESTATE_GTFS=FILE): the national "
        "pack has a timetable for Newport alone (--area newport); walking and driving work without one. "
        "Choose another mode; the other pages still work."]
