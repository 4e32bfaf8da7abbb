"""The Build page: start from a scenario (or a file), close, reopen and add sites (by the
table or the map), see each edit's effect by day and at night, and save under a new id."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.common import (
    build_map,
    config,
    draft_note,
    draft_unsaved,
    engine_ready,
    headline_block,
    index_of,
    keep_draft,
    planner,
    scenario_ids,
    scenario_label,
    set_draft,
    show_map,
    warmup,
)
from estate import drafts
from estate.effects import edit_effects, own_changes
from estate.outputs import maps
from estate.outputs import ui_text as T
from estate.planner import REGISTER_ID
from estate.scenario import Scenario, ScenarioState
from geodata.errors import PlannerError

_index = index_of


def _toggle_clicked(site_id: str) -> None:
    """Map-click callback: ask why before closing, or reopen (or add) the clicked site."""
    p = planner()
    draft = st.session_state.get("draft")
    if draft is None or site_id not in p.estate.sites.index:
        return
    st.session_state["pending_click"] = site_id


def _click_prompt(draft: Scenario, base_state: ScenarioState, state: ScenarioState) -> None:
    """The question a map click raises: close (with a rationale) or reopen the site, or cancel."""
    p = planner()
    sid = st.session_state.get("pending_click")
    if not sid or sid not in p.estate.sites.index:
        return
    name = str(p.estate.sites.loc[sid, "name"])
    closing = sid in state.hours
    with st.container(border=True):
        st.markdown(T.click_question(name, closing=closing))
        why = st.text_input("Rationale (kept in the scenario file and the evidence)", key="click_why",
                            placeholder=T.RATIONALE_PLACEHOLDER)
        b = st.columns([1, 1, 4])
        if b[0].button("Close it" if closing else "Open it", key="click_confirm", type="primary"):
            try:
                new = draft.toggle(sid, p.estate, base_state)
                if why.strip():
                    new = new.with_rationale(sid, why.strip())
                st.session_state["draft"] = new
            except (PlannerError, KeyError, ValueError) as exc:
                st.session_state["click_error"] = str(exc)
            st.session_state.pop("pending_click", None)
            st.session_state.pop("click_why", None)
            st.rerun()
        if b[1].button("Cancel", key="click_cancel"):
            st.session_state.pop("pending_click", None)
            st.rerun()


def _start_draft(sid: str) -> None:
    p = planner()
    if sid == REGISTER_ID:
        set_draft(Scenario.blank(REGISTER_ID, title=""))
    else:
        set_draft(Scenario.from_scenario(p.scenarios[sid]).with_meta(id="", title="", description=""))
    st.session_state.pop("pending_overwrite", None)
    st.session_state.pop("pending_click", None)


def _replace_asking(replacement: Scenario | str, label: str) -> None:
    """Replace the draft by a new start (a scenario id) or an uploaded draft, asking first if it holds unsaved edits."""
    if draft_unsaved():
        st.session_state["pending_discard"] = {"with": replacement, "label": label}
        return
    _do_replace(replacement, label)


def _do_replace(replacement: Scenario | str, label: str, *, uploaded: bool = True) -> None:
    st.session_state.pop("pending_discard", None)
    if isinstance(replacement, str):
        _start_draft(replacement)
    else:
        set_draft(replacement)
        if uploaded:
            st.session_state["upload_msg"] = T.MESSAGES["uploaded"].format(name=label, n=replacement.n_changes)


def _discard_prompt() -> None:
    """The question Start or an upload raises over a draft with unsaved edits: discard it, or keep it."""
    pending = st.session_state.get("pending_discard")
    draft = st.session_state.get("draft")
    if not pending or draft is None:
        return
    with st.container(border=True):
        st.warning(T.discard_question(draft_unsaved(), T.draft_name(draft.title, draft.started_from),
                                      pending["label"]), icon=":material/warning:")
        b = st.columns([2, 2, 3])
        if b[0].button("Discard my edits", key="discard_confirm", type="primary"):
            _do_replace(pending["with"], pending["label"], uploaded=pending.get("uploaded", True))
            st.rerun()
        if b[1].button("Keep my draft", key="discard_cancel"):
            st.session_state.pop("pending_discard", None)
            st.rerun()


def _build_start(ids: list[str]) -> None:
    """Start the draft from a scenario, or from an uploaded file (asking before unsaved edits are discarded)."""
    p = planner()
    top = st.columns([3, 1, 3])
    start = top[0].selectbox("Start from", ids, index=_index(ids, T.DEFAULT_SCENARIO), key="build_start",
                             format_func=scenario_label, help=T.HELP["start"])
    pressed = top[1].button("Start", key="build_start_btn", help=T.HELP["start_button"])
    if "draft" not in st.session_state:
        _start_draft(start)
    elif pressed:
        _replace_asking(start, start)
    with top[2]:
        up = st.file_uploader("…or upload a scenario file", type=["yaml", "yml"], key="upload", max_upload_size=1,
                              help=T.HELP["upload"].format(limit=T.UPLOAD_LIMIT_BYTES // 1024))
        if up is None:
            st.session_state.pop("upload_error", None)
        elif st.session_state.get("upload_seen") != up.file_id:
            st.session_state["upload_seen"] = up.file_id
            try:
                new = drafts.read_upload(up.name, up.getvalue(), estate=p.estate, scenarios=p.scenarios)
                st.session_state.pop("upload_error", None)
                _replace_asking(new, up.name)
            except drafts.UploadError as exc:
                st.session_state["upload_error"] = str(exc)
        if st.session_state.get("upload_error"):
            st.error(st.session_state["upload_error"], icon=":material/error:")
        msg = st.session_state.pop("upload_msg", None)
        if msg:
            st.success(msg)
    _discard_prompt()


def _build_candidates(draft: Scenario, base_state: ScenarioState, state: ScenarioState) -> Any:
    """The candidate-host filters and the 'add' form; returns the candidate frame for the map (or None)."""
    p = planner()
    opts = drafts.candidate_options(p.estate)
    with st.expander("Add a contact point from candidate hosts", expanded=False):
        f = st.columns(4)
        hosts = f[0].multiselect("Host type", opts["host"], key="cand_hosts",
                                 format_func=lambda h: T.HOST_LABELS.get(h, h))
        boroughs = f[1].multiselect("Borough", opts["borough"], key="cand_boroughs")
        retailers = f[2].multiselect("Retailer", opts["retailer"], key="cand_retailers")
        query = f[3].text_input("Search", key="cand_query", help=T.HELP["site_search"])
        cands = drafts.filter_candidates(p.estate, hosts=hosts, boroughs=boroughs, retailers=retailers,
                                         query=query, exclude=state.hours)
        st.caption(T.candidates_caption(len(cands), T.CANDIDATES_LISTED))
        labels = T.candidate_labels(cands.head(T.CANDIDATES_LISTED))
        g = st.columns([3, 2, 3, 1])
        pick = g[0].selectbox("Candidate", list(labels), format_func=lambda k: labels[k], key="cand_pick",
                              index=None, placeholder="Choose a host…")
        hours = g[1].text_input("Hours", value=T.DEFAULT_NEW_HOURS, key="cand_hours", help=T.HELP["hours"])
        why = g[2].text_input("Rationale", key="cand_why")
        if g[3].button("Add", key="cand_add", disabled=pick is None) and pick is not None:
            try:
                st.session_state["draft"] = draft.add_open(pick, hours, p.estate, base_state, rationale=why)
                st.rerun()
            except (PlannerError, KeyError, ValueError) as exc:
                st.error(str(exc))
        filtered = bool(hosts or boroughs or retailers or query)
    if filtered and len(cands) <= T.CANDIDATES_ON_MAP:
        return maps.candidate_frame(p.estate, list(cands["site_id"]))
    st.caption(T.MESSAGES["filter_to_map"].format(n=T.CANDIDATES_ON_MAP))
    return None


def _replace_draft(draft: Scenario, new: Scenario) -> None:
    if new != draft:
        st.session_state["draft"] = new
        st.rerun()


def _build_tables(draft: Scenario, base_state: ScenarioState, state: ScenarioState) -> None:
    """The counters (tick to keep open) and the draft's changes (hours, rationale, undo)."""
    p = planner()
    st.subheader("Counters: tick to keep open, untick to close")
    q = st.text_input("Search counters", key="site_query", help=T.HELP["site_search"])
    table = drafts.site_table(p.estate, base_state, state, draft)
    view = drafts.filter_table(table, q)
    edited = st.data_editor(view, hide_index=True, key=f"sites-{draft.fingerprint()}-{q}",
                            disabled=["site_id", "name", "borough", "kind", "hours", "change"],
                            column_order=["open", "name", "borough", "hours", "change", "kind", "site_id"],
                            column_config={"open": st.column_config.CheckboxColumn("Open")})
    _replace_draft(draft, drafts.apply_open_edits(draft, view, edited, p.estate, base_state))

    st.subheader("Changes in this draft")
    ch = drafts.change_frame(draft, p.estate)
    if ch.empty:
        st.caption(T.MESSAGES["no_changes"])
        return
    start = p.scenarios.get(draft.started_from)
    own = own_changes(draft, start)
    mine, inherited = ch[ch["site_id"].isin(own)], ch[~ch["site_id"].isin(own)]
    new = draft
    if mine.empty:
        st.caption(T.MESSAGES["no_own_changes"].format(start=draft.started_from))
    else:
        new = _change_editor(new, mine, base_state, key=f"own-{hash(draft)}")
    if not inherited.empty:
        with st.expander(T.inherited_caption(len(inherited), draft.started_from), expanded=False):
            new = _change_editor(new, inherited, base_state, key=f"inherited-{hash(draft)}")
    _replace_draft(draft, new)


def _change_editor(draft: Scenario, frame: Any, base_state: ScenarioState, *, key: str) -> Scenario:
    ed = st.data_editor(frame, hide_index=True, key=key, disabled=["site_id", "name", "borough", "change"],
                        column_config={"rationale": st.column_config.TextColumn("Rationale", width="large"),
                                       "hours": st.column_config.TextColumn("Hours", help=T.HELP["hours"]),
                                       "undo": st.column_config.CheckboxColumn("Undo")})
    try:
        return drafts.apply_change_edits(draft, ed, base_state)
    except (PlannerError, ValueError) as exc:
        st.error(str(exc))
        return draft


def _build_effects(draft: Scenario, c: dict[str, Any]) -> None:
    """Each own edit's effect by day and at night side by side, with the reason where it is none."""
    p = planner()
    start = p.scenarios.get(draft.started_from)
    own = own_changes(draft, start)
    if not own:
        return
    st.subheader(T.effects_heading(c["t"], c["mode"]))
    bands = ["day", "night"] + ([c["band"]] if c["band"] not in ("day", "night") else [])
    w = warmup(config())
    ready = [b for b in bands if w.status(c["mode"], b).ready]
    for b in bands:
        if b not in ready:
            w.want(c["mode"], b)
    rows = edit_effects(p, draft, own, mode=c["mode"], bands=ready, threshold=c["t"], start=start)
    table = []
    for row in rows:
        line = {"Site": row[0].name, "Edit": row[0].kind.replace("_", " ")}
        for eff in row:
            line[T.band_label(eff.band.name)] = eff.describe(c["t"])
        for b in bands:
            if b not in ready:
                line[T.band_label(b)] = T.MESSAGES["band_building"]
        table.append(line)
    st.table(pd.DataFrame(table).set_index("Site"))
    for row in rows:
        for eff in row:
            if eff.band.name == c["band"] and eff.beyond_change == 0:
                st.info(T.no_effect_note(eff.name, eff.band.label, eff.reason), icon=":material/info:")


def _build_save(draft: Scenario) -> None:
    """Title, id and description; save (asking before replacing a file) or download the YAML."""
    st.subheader("Save")
    s = st.columns([2, 2])
    title = s[0].text_input("Title of the new scenario", value=draft.title, key=f"title-{draft.started_from}",
                            placeholder=T.MESSAGES["title_placeholder"])
    sid = s[1].text_input("Id (file name)", value=draft.id, key=f"id-{draft.started_from}",
                          placeholder=drafts.suggest_id(title) if title else "e.g. outcome-plus-walworth",
                          help=T.HELP["scenario_id"])
    desc = st.text_area("Description: what this plan does and why", value=draft.description,
                        key=f"desc-{draft.started_from}")
    draft = draft.with_meta(id=sid or (drafts.suggest_id(title) if title else ""), title=title, description=desc)
    st.session_state["draft"] = draft
    problem = T.MESSAGES["needs_title"] if not title.strip() else drafts.check_scenario_id(draft.id)
    if problem:
        st.warning(problem)
    b = st.columns([1, 1, 3])
    if b[0].button("Save", key="save", type="primary", disabled=bool(problem)):
        _save(draft, overwrite=False, digest=None)
    b[1].download_button("Download YAML", draft.to_yaml(), file_name=f"{draft.id or 'draft'}.yaml",
                         mime="text/yaml", key="download_yaml", on_click="ignore")
    pending = st.session_state.get("pending_overwrite")
    if pending and pending.get("id") == draft.id:
        st.warning(T.overwrite_question(draft.id, conflict=bool(pending.get("conflict"))))
        confirmed = st.checkbox("Yes, replace the existing file", key="confirm_overwrite", help=T.HELP["overwrite"])
        if confirmed and st.button("Overwrite", key="overwrite"):
            _save(draft, overwrite=True, digest=pending["digest"])
    msg = st.session_state.pop("saved_msg", None)
    if msg:
        st.success(msg)


def page(c: dict[str, Any]) -> None:
    st.header("Build a scenario")
    p = planner()
    ids = scenario_ids()
    draft_note()
    _build_start(ids)
    draft: Scenario = st.session_state["draft"]
    try:
        base_state, state = p.state(draft.base), p.state(draft)
    except (PlannerError, KeyError, ValueError) as exc:
        st.error(T.MESSAGES["draft_broken"].format(error=exc))
        return
    against = st.selectbox("Compare the draft with", ids, index=_index(ids, drafts.compare_default(draft, ids)),
                           key="build_against", format_func=scenario_label, help=T.HELP["compare_with"])
    if not engine_ready(c["mode"], c["band"]):
        return
    st.caption(T.draft_caption(draft.n_changes, draft.base, c["mode"], c["band"]))
    headline_block(against, draft, c, against, "your draft", labels=(against, "your draft"))
    _build_effects(draft, c)
    cand_frame = _build_candidates(draft, base_state, state)
    st.subheader("Map: click a counter to close or reopen it")
    _click_prompt(draft, base_state, state)
    m = build_map(against, draft, c, metric="beyond_change", candidates=cand_frame, clickable=True,
                  title=f"Your draft vs {against}", include_closed=True)
    show_map(m, key="build_map", height=560, title="Draft map", on_click=_toggle_clicked)
    if st.session_state.get("click_error"):
        st.error(st.session_state.pop("click_error"))
    _build_tables(draft, base_state, state)
    _build_save(draft)
    keep_draft()


def _save(draft: Scenario, *, overwrite: bool, digest: str | None) -> None:
    p = planner()
    try:
        path = drafts.save_draft(draft, p.scenarios_dir, p.estate, p.scenarios, overwrite=overwrite,
                                 expected_digest=digest)
    except drafts.SaveConflictError as exc:
        st.session_state["pending_overwrite"] = {"id": draft.id, "digest": exc.digest, "conflict": True}
        st.rerun()
    except FileExistsError:
        st.session_state["pending_overwrite"] = {
            "id": draft.id, "digest": drafts.file_digest(p.scenarios_dir / f"{draft.id}.yaml")}
        st.rerun()
    except (PlannerError, KeyError, ValueError) as exc:
        st.error(f"Not saved: {exc}")
        return
    st.session_state.pop("pending_overwrite", None)
    st.session_state.pop("confirm_overwrite", None)
    set_draft(draft)  # saved: nothing unsaved until the next edit
    p.reload_scenarios()
    st.session_state["saved_msg"] = f"Saved {path.name} in the scenario folder."
    st.rerun()


