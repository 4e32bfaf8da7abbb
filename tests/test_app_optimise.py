"""The app's Optimise page under ``streamlit.testing.v1.AppTest``, on the London data by public
transport: the page's answer is the CLI's for the same inputs, a refusal is the optimiser's
sentence, and "Open in Build" makes the answer the draft.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from estate.cli import main
from tests.app_support import APP, LONDON_APP_MARKS

TIMEOUT = 300

pytestmark = LONDON_APP_MARKS


def _optimise_page(**state) -> AppTest:
    """The Optimise page by public transport, with the question's widgets set (in order)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.sidebar.selectbox(key="mode").set_value("transit").run()
    at.sidebar.radio(key="page").set_value("optimise").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.header[0].value == "Optimise"
    for key, value in state.items():
        widget = next(w for kind in ("radio", "selectbox", "number_input", "multiselect")
                      for w in getattr(at, kind) if w.key == key)
        widget.set_value(value).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def _frame(at: AppTest, column: str):
    """The page's table with this column (AppTest does not expose a dataframe's key)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    return found[0] if found else None


def _cli_json(capsys, scen_dir: Path, *argv: str) -> dict:
    code = main(["--scenarios", str(scen_dir), "optimise", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_close_k_on_the_page_is_the_cli_answer(scen_dir, capsys):
    at = _optimise_page(question="close", start="baseline-2024", k=3)
    assert at.selectbox(key="rules").value == "default"
    assert at.multiselect(key="opt_bands_close").value == ["day"]
    assert at.radio(key="method").value == "heuristic"
    at.button(key="opt_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    cli = _cli_json(capsys, scen_dir, "close", "--k", "3", "--from", "baseline-2024", "--mode", "transit",
                    "--band", "day")
    changes = _frame(at, "Rationale")
    assert sorted(changes["site_id"]) == sorted(c["id"] for c in cli["changes"]["close"])
    assert len(changes) == 3 and set(changes["Change"]) == {"close"}
    assert list(changes["Rationale"]) == [c["rationale"] for c in cli["changes"]["close"]]
    m = {x.label: x.value for x in at.metric}
    assert m["Harm: the answer"] == f"{round(cli['harm']['value']):,}"
    assert m["Harm: start (baseline-2024)"] == f"{round(cli['harm']['start']):,}"
    assert m["Difference"] == f"{round(cli['harm']['difference']):+,}"
    assert any("heuristic (greedy, then swaps)" in x.value and "no bound" in x.value for x in at.markdown)
    # the curve: one point per count the rules allow, the answer's own count among them
    curve = _frame(at, "Closures")
    assert list(curve["Closures"]) == list(range(1, len(curve) + 1)) and 3 in set(curve["Closures"])
    assert curve.loc[curve["Closures"] == 3, "Harm (residents)"].iloc[0] == pytest.approx(cli["harm"]["value"])
    # the link carries the question
    q = {k: v if isinstance(v, str) else v[0] for k, v in dict(at.query_params).items()}
    assert q["page"] == "optimise" and q["k"] == "3" and q["question"] == "close" and q["start"] == "baseline-2024"
    assert q["rules"] == "default" and q["measure"] == "beyond" and q["method"] == "heuristic"
    # a changed choice marks the answer as not the current one
    at.number_input(key="k").set_value(2).run()
    assert any("choices changed" in i.value for i in at.info)


def test_over_the_rules_k_is_refused_with_the_binding_rule(scen_dir):
    at = _optimise_page(question="close", start="baseline-2024", k=18)
    at.button(key="opt_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert "cannot close 18 sites from baseline-2024" in errors[0]
    assert "'counter-per-borough'" in errors[0] and "at most" in errors[0]
    assert _frame(at, "Rationale") is None  # no answer shown


def test_open_in_build_makes_the_answer_the_draft(scen_dir):
    at = _optimise_page(question="keep-24-7", start="outcome-2026", m=2)
    assert at.multiselect(key="opt_bands_keep-24-7").value == ["night"]
    at.button(key="opt_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    answer = at.session_state["opt_answer"]
    assert answer.question == "keep-24-7" and answer.changes["set_hours"]
    at.button(key="opt_open_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.radio(key="page").value == "build"
    assert at.header[0].value == "Build a scenario"
    draft = at.session_state["draft"]
    assert draft.base == "outcome-2026" and draft.started_from == "outcome-2026"
    assert draft.set_hours == answer.scenario.set_hours and draft.close == () and draft.open == ()
    # Build lists the answer's changes as the draft's own, with the optimiser's rationales
    own = next(d.value for d in at.data_editor if d.key and d.key.startswith("own-"))
    assert sorted(own["site_id"]) == sorted(c.site_id for c in answer.scenario.set_hours)
    assert all(r.startswith(("kept open 24/7 by the optimiser", "hours cut to")) for r in own["rationale"])


def test_a_link_sets_the_page_choices_and_a_zero_time_limit_is_refused(scen_dir):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in {"page": "optimise", "mode": "transit", "question": "keep-24-7", "start": "outcome-2026",
                 "m": "3", "method": "exact", "rules": "none", "k": "nine"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="question").value == "keep-24-7" and at.selectbox(key="start").value == "outcome-2026"
    assert at.number_input(key="m").value == 3 and at.radio(key="method").value == "exact"
    assert at.selectbox(key="rules").value == "none"
    assert any("values the app does not know for k" in w.value for w in at.warning)
    at.number_input(key="opt_time_limit").set_value(0.0).run()
    at.button(key="opt_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == ["time limit 0.0 s: give a number of seconds above 0 (e.g. 60)"]


def test_a_target_no_24_7_set_meets_is_refused_with_the_best_reachable(scen_dir):
    at = _optimise_page(question="keep-24-7", start="outcome-2026")
    at.radio(key="opt_by").set_value("target").run()
    at.slider(key="target").set_value(95).run()
    at.button(key="opt_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "no number of 24/7 counters keeps 95% of residents within 45 minutes" in errors[0]
    assert "the best reachable is" in errors[0]
    assert _frame(at, "Rationale") is None


def test_open_in_build_asks_before_replacing_a_draft_with_unsaved_edits(scen_dir):
    from estate.planner import Planner
    from estate.scenario import Scenario

    at = _optimise_page(question="keep-24-7", start="outcome-2026", m=2)
    p = Planner(scenarios_dir=scen_dir)
    mine = Scenario.from_scenario(p.scenarios["met-proposal-2025"]).with_meta(id="", title="", description="")
    at.session_state["draft"] = mine
    at.session_state["draft_origin"] = Scenario.blank("baseline-2024", title="")
    at.button(key="opt_run").click().run()
    at.button(key="opt_open_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.radio(key="page").value == "build"
    asked = [w.value for w in at.warning if "unsaved edit" in w.value]
    assert asked and "the optimiser's answer" in asked[0]
    assert at.session_state["draft"] == mine  # nothing replaced yet
    at.button(key="discard_cancel").click().run()
    assert at.session_state["draft"] == mine  # kept
    at.sidebar.radio(key="page").set_value("optimise").run()
    at.button(key="opt_run").click().run()  # the page shows its answer again only after a run
    at.button(key="opt_open_build").click().run()
    at.button(key="discard_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    answer = at.session_state["opt_answer"]
    assert at.session_state["draft"].set_hours == answer.scenario.set_hours  # replaced, as asked
