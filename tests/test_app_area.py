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
