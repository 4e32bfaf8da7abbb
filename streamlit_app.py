"""The browser app: compare scenarios, read coverage maps, build a scenario, take evidence away.

    streamlit run streamlit_app.py

A thin layer: it reads widgets, calls :mod:`estate` and renders.  Data folder:
``$ESTATE_DATA`` (default ``../shared/london``); scenario folder:
``$ESTATE_SCENARIOS`` (default the repository's ``scenarios/``).  Words and
defaults live in :mod:`estate.outputs.ui_text`, maps in :mod:`estate.outputs.maps`, draft
editing and safe saving in :mod:`estate.drafts`, figures in :mod:`estate.outputs.views`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from estate import drafts, settings, text
from estate.coverage import THRESHOLDS, CoverageResult
from estate.evidence import evidence_bands
from estate.outputs import export, maps, views
from estate.outputs import ui_text as T
from estate.outputs.tables import compare_frame, csv_text
from estate.planner import REGISTER_ID, Planner
from estate.scenario import Scenario, ScenarioState
from geodata.errors import PlannerError

st.set_page_config(page_title=T.APP_TITLE, page_icon=":material/local_police:", layout="wide")

_map_component = st.components.v2.component("estate_map", js=maps.EMBED_JS)


# ---- cached data ----------------------------------------------------------------
def _config() -> tuple[str, str]:
    """(data folder, scenario folder) from the environment: the key of every cache."""
    return settings.environment().key


@st.cache_resource(show_spinner="Loading the data pack…")
def _planner(data_dir: str, scenarios_dir: str) -> Planner:
    p = Planner(data_dir or None, scenarios_dir=scenarios_dir or None)
    _ = p.estate, p.units, p.areas  # load now, once
    return p


@st.cache_resource(show_spinner="Preparing the map shapes…")
def _geometry(cfg: tuple[str, str]) -> maps.MapGeometry:
    p = planner()
    return maps.geometry_for(p).web  # the same preparation the evidence pack's maps use


@st.cache_resource(show_spinner=False)
def _matrix(cfg: tuple[str, str], mode: str, band: str) -> bool:
    """Build or load the travel-time matrix once per server (with a progress bar)."""
    bar = st.progress(0.0, text=f"Travel times by {T.mode_label(mode).lower()}…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0))

    planner().matrix(mode, band, progress=progress)
    bar.empty()
    return True


@st.cache_resource(show_spinner=False)
def _last_signature(cfg: tuple[str, str]) -> dict[str, Any]:
    return {}


def planner() -> Planner:
    return _planner(*_config())


def scenario_signature() -> tuple[tuple[str, int, int], ...]:
    """Re-read the scenario folder when any file in it changed (another session saved)."""
    p = planner()
    sig = drafts.scenario_folder_signature(p.scenarios_dir)
    seen = _last_signature(_config())
    if seen.get("sig") != sig:
        p.reload_scenarios()
        seen["sig"] = sig
    return sig


def state_of(ref: str | Scenario) -> ScenarioState:
    scenario_signature()
    return planner().state(ref)


def coverage(ref: str | Scenario, mode: str, band: str) -> CoverageResult:
    """Coverage of a saved scenario or the draft: the planner keeps results by content."""
    scenario_signature()
    return planner().coverage(ref, mode, band)


def borough_table(base: str | Scenario, scen: str | Scenario, mode: str, band: str, t: int) -> Any:
    return views.borough_table(coverage(base, mode, band), coverage(scen, mode, band), t)


def site_frame(base: str | Scenario, scen: str | Scenario, mode: str, band: str) -> Any:
    p = planner()
    return maps.site_frame(p.estate, state_of(base), state_of(scen), coverage(base, mode, band),
                           coverage(scen, mode, band), p.units.weights()["all"])


# ---- shared widgets --------------------------------------------------------------
def scenario_label(sid: str) -> str:
    if sid == REGISTER_ID:
        return "register (every counter open in the register)"
    sc = planner().scenarios.get(sid)
    return f"{sid} — {sc.title}" if sc else sid


def scenario_ids() -> list[str]:
    scenario_signature()
    return [REGISTER_ID, *sorted(planner().scenarios)]


def _index(options: list[str], wanted: str, fallback: int = 0) -> int:
    return options.index(wanted) if wanted in options else min(fallback, len(options) - 1)


def sidebar_controls() -> dict[str, Any]:
    ids = scenario_ids()
    sb = st.sidebar
    base = sb.selectbox("Base", ids, index=_index(ids, T.DEFAULT_BASE), key="base",
                        format_func=scenario_label, help=T.HELP["base"])
    scen = sb.selectbox("Scenario", ids, index=_index(ids, T.DEFAULT_SCENARIO, len(ids) - 1), key="scenario",
                        format_func=scenario_label, help=T.HELP["scenario"])
    mode = sb.selectbox("Travel mode", list(T.MODE_CHOICES), index=_index(list(T.MODE_CHOICES), T.DEFAULT_MODE),
                        key="mode", format_func=T.mode_label, help=T.HELP["mode"])
    band = sb.selectbox("Time of the week", list(T.BAND_CHOICES),
                        index=_index(list(T.BAND_CHOICES), T.DEFAULT_BAND), key="band",
                        format_func=T.band_label, help=T.HELP["band"])
    t = sb.select_slider("Threshold (minutes)", options=list(THRESHOLDS), value=T.DEFAULT_THRESHOLD,
                         key="threshold", help=T.HELP["threshold"])
    return {"base": base, "scenario": scen, "mode": mode, "band": band, "t": int(t)}


def engine_ready(mode: str, band: str) -> bool:
    """Build/load the matrix; on failure say so plainly and return False."""
    try:
        _matrix(_config(), mode, band)
        return True
    except Exception as exc:  # any engine failure is shown, never a traceback
        st.error(views.engine_failure_message(mode, exc), icon=":material/error:")
        return False


def show_map(m: Any, *, key: str, height: int = 580, title: str = "Coverage map",
             on_click: Any = None) -> None:
    """Render a folium map in the map component; ``on_click(site_id)`` runs, before the rerun, for a clicked marker."""
    text = maps.map_html(m)
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()

    def clicked() -> None:
        site = (st.session_state.get(key) or {}).get("site")
        if site and on_click is not None:
            on_click(str(site))

    _map_component(data={"html": text, "height": height, "key": digest, "title": title},
                   key=key, height=height, on_site_change=clicked)


def _toggle_clicked(site_id: str) -> None:
    """Map-click callback of the Build page: close or reopen (or add) the clicked site."""
    p = planner()
    draft = st.session_state.get("draft")
    if draft is None or site_id not in p.estate.sites.index:
        return
    try:
        st.session_state["draft"] = draft.toggle(site_id, p.estate, p.state(draft.base))
    except (PlannerError, KeyError, ValueError) as exc:
        st.session_state["click_error"] = str(exc)


def build_map(base: str | Scenario, scen: str | Scenario, c: dict[str, Any], *, metric: str,
              lsoa: str = "off", focus: str | None = None, candidates: Any = None,
              clickable: bool = False, title: str = "") -> Any:
    p = planner()
    b, s = coverage(base, c["mode"], c["band"]), coverage(scen, c["mode"], c["band"])
    kw: dict[str, Any] = {}
    if lsoa != "off":
        kw = {"lsoa_values": maps.values_by_code(p.units.frame["unit_id"], maps.lsoa_values(metric, b, s)),
              "lsoa_scale": maps.lsoa_scale(metric), "lsoa": lsoa, "focus": focus}
    elif focus:
        kw = {"focus": focus}
    return maps.coverage_map(
        _geometry(_config()),
        borough_values=maps.values_by_code(s.area_codes, maps.metric_values(metric, b, s, c["t"])),
        borough_scale=maps.metric_scale(metric, c["t"]), sites=site_frame(base, scen, c["mode"], c["band"]),
        candidates=candidates, band_label=T.band_label(c["band"]), title=title, clickable=clickable, **kw)


def headline_block(base: str | Scenario, scen: str | Scenario, c: dict[str, Any],
                   base_title: str, scen_title: str, *, labels: tuple[str, str] = ("base", "scenario")) -> None:
    h = views.headline(coverage(base, c["mode"], c["band"]), coverage(scen, c["mode"], c["band"]), c["t"])
    cols = st.columns(3)
    cols[0].metric(f"Beyond {c['t']} min: {labels[0]}", text.count(h.london.base))
    cols[1].metric(f"Beyond {c['t']} min: {labels[1]}", text.count(h.london.scenario),
                   delta=text.count(h.london.change, signed=True), delta_color="inverse")
    cols[2].metric(f"Within {c['t']} min: {labels[1]}", text.share(h.scenario_share),
                   delta=text.share(h.scenario_share - h.base_share, signed=True))
    st.markdown(h.sentence(base_title, scen_title))
    if h.worst:
        st.markdown("**Worst hit:** " + "; ".join(f"{w.name} {w.change:+,}" for w in h.worst))


def title_of(ref: str | Scenario) -> str:
    if isinstance(ref, Scenario):
        return "your draft"
    return ref


# ---- pages ------------------------------------------------------------------------
def page_compare(c: dict[str, Any]) -> None:
    st.header("Compare two scenarios")
    if not engine_ready(c["mode"], c["band"]):
        return
    s = coverage(c["scenario"], c["mode"], c["band"])
    st.caption(f"{T.mode_label(c['mode'])}, {T.band_label(c['band'])}. Engine {s.engine}: {s.engine_note}")
    headline_block(c["base"], c["scenario"], c, c["base"], c["scenario"])
    table = borough_table(c["base"], c["scenario"], c["mode"], c["band"], c["t"])
    st.subheader("Boroughs")
    st.dataframe(views.style_borough_table(table, c["t"]), hide_index=True, height=420, key="compare_table")
    csv = csv_text(compare_frame(coverage(c["base"], c["mode"], c["band"]), s, c["t"]))
    st.download_button("Download the table (CSV)", csv, file_name=f"{c['scenario']}-vs-{c['base']}.csv",
                       mime="text/csv")
    left, right = st.columns([2, 3])
    with left:
        st.subheader(f"Change in residents beyond {c['t']} min")
        chart = views.change_chart_frame(table, c["t"])
        st.bar_chart(chart, x="Borough", y="Change in residents", color="colour", horizontal=True,
                     sort="-Change in residents", height=620)
    with right:
        st.subheader("Map")
        title = views.comparison_title(c["base"], c["scenario"], c["mode"], c["band"], c["t"])
        show_map(build_map(c["base"], c["scenario"], c, metric="beyond_change", title=title),
                 key="compare_map", height=620, title=title)


def page_map(c: dict[str, Any]) -> None:
    st.header("Coverage map")
    if not engine_ready(c["mode"], c["band"]):
        return
    p = planner()
    cols = st.columns([3, 2, 2])
    metric = cols[0].selectbox("Colour boroughs by", list(maps.METRICS), key="map_metric",
                               format_func=lambda k: maps.METRICS[k].label.format(t=c["t"]),
                               help=T.HELP["metric"])
    detail = cols[1].radio("Detail", ["off", "borough", "zoom"], key="map_detail", help=T.HELP["lsoa"],
                           format_func={"off": "Boroughs", "borough": "LSOAs in one borough",
                                        "zoom": "LSOAs across London (zoom in)"}.get)
    names: dict[str, str] = dict(zip(p.areas["code"], p.areas["name"], strict=True))
    focus = None
    if detail == "borough":
        focus = cols[2].selectbox("Borough", sorted(names, key=lambda k: names[k]), key="map_borough",
                                  format_func=lambda k: names[k])
    title = views.comparison_title(c["base"], c["scenario"], c["mode"], c["band"], c["t"])
    m = build_map(c["base"], c["scenario"], c, metric=metric, lsoa=detail, focus=focus, title=title)
    show_map(m, key="main_map", height=640, title=title)
    offline = maps.offline_assets_available()
    st.download_button("Export this map (standalone HTML)", maps.map_html(m).encode("utf-8"),
                       file_name=f"{c['scenario']}-{c['mode']}-{c['band']}-map.html", mime="text/html",
                       key="export_map")
    st.caption(T.EXPORT_NOTE_OFFLINE if offline else T.EXPORT_NOTE_ONLINE)


def _start_draft(sid: str) -> None:
    p = planner()
    if sid == REGISTER_ID:
        st.session_state["draft"] = Scenario.blank(REGISTER_ID, title="")
    else:
        st.session_state["draft"] = Scenario.from_scenario(p.scenarios[sid])
    st.session_state.pop("pending_overwrite", None)


def _build_start(ids: list[str]) -> None:
    """Start the draft from a scenario, or from an uploaded file."""
    p = planner()
    top = st.columns([3, 1, 3])
    start = top[0].selectbox("Start from", ids, index=_index(ids, T.DEFAULT_SCENARIO), key="build_start",
                             format_func=scenario_label, help=T.HELP["start"])
    if top[1].button("Start", key="build_start_btn", help=T.HELP["start_button"]) or "draft" not in st.session_state:
        _start_draft(start)
    with top[2]:
        up = st.file_uploader("…or upload a scenario file", type=["yaml", "yml"], key="upload", max_upload_size=1,
                              help=T.HELP["upload"].format(limit=T.UPLOAD_LIMIT_BYTES // 1024))
        if up is None:
            st.session_state.pop("upload_error", None)
            return
        if st.session_state.get("upload_seen") != up.file_id:
            st.session_state["upload_seen"] = up.file_id
            try:
                st.session_state["draft"] = drafts.read_upload(up.name, up.getvalue(), estate=p.estate,
                                                               scenarios=p.scenarios)
                st.session_state.pop("upload_error", None)
                st.success(T.MESSAGES["uploaded"].format(name=up.name, n=st.session_state["draft"].n_changes))
            except drafts.UploadError as exc:
                st.session_state["upload_error"] = str(exc)
        if st.session_state.get("upload_error"):
            st.error(st.session_state["upload_error"], icon=":material/error:")


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
    ed = st.data_editor(ch, hide_index=True, key=f"changes-{hash(draft)}",
                        disabled=["site_id", "name", "borough", "change"],
                        column_config={"rationale": st.column_config.TextColumn("Rationale", width="large"),
                                       "hours": st.column_config.TextColumn("Hours", help=T.HELP["hours"]),
                                       "undo": st.column_config.CheckboxColumn("Undo")})
    try:
        new = drafts.apply_change_edits(draft, ed, base_state)
    except (PlannerError, ValueError) as exc:
        st.error(str(exc))
        new = draft
    _replace_draft(draft, new)


def _build_save(draft: Scenario) -> None:
    """Title, id and description; save (asking before replacing a file) or download the YAML."""
    st.subheader("Save")
    s = st.columns([2, 2])
    title = s[0].text_input("Title", value=draft.title, key=f"title-{draft.started_from}")
    sid = s[1].text_input("Id (file name)", value=draft.id or drafts.suggest_id(title), key=f"id-{draft.started_from}",
                          help=T.HELP["scenario_id"])
    desc = st.text_area("Description", value=draft.description, key=f"desc-{draft.started_from}")
    draft = draft.with_meta(id=sid, title=title, description=desc)
    st.session_state["draft"] = draft
    problem = drafts.check_scenario_id(draft.id)
    if problem:
        st.warning(problem)
    b = st.columns([1, 1, 3])
    if b[0].button("Save", key="save", type="primary", disabled=bool(problem)):
        _save(draft, overwrite=False, digest=None)
    b[1].download_button("Download YAML", draft.to_yaml(), file_name=f"{draft.id or 'draft'}.yaml",
                         mime="text/yaml", key="download_yaml")
    pending = st.session_state.get("pending_overwrite")
    if pending and pending.get("id") == draft.id:
        st.warning(T.overwrite_question(draft.id, conflict=bool(pending.get("conflict"))))
        confirmed = st.checkbox("Yes, replace the existing file", key="confirm_overwrite", help=T.HELP["overwrite"])
        if confirmed and st.button("Overwrite", key="overwrite"):
            _save(draft, overwrite=True, digest=pending["digest"])
    msg = st.session_state.pop("saved_msg", None)
    if msg:
        st.success(msg)


def page_build(c: dict[str, Any]) -> None:
    st.header("Build a scenario")
    p = planner()
    ids = scenario_ids()
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
    cand_frame = _build_candidates(draft, base_state, state)
    st.subheader("Map: click a counter to close or reopen it")
    m = build_map(against, draft, c, metric="beyond_change", candidates=cand_frame, clickable=True,
                  title=f"Your draft vs {against}")
    show_map(m, key="build_map", height=560, title="Draft map", on_click=_toggle_clicked)
    if st.session_state.get("click_error"):
        st.error(st.session_state.pop("click_error"))
    _build_tables(draft, base_state, state)
    _build_save(draft)


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
    p.reload_scenarios()
    st.session_state["saved_msg"] = f"Saved {path.name} in the scenario folder."
    st.rerun()


@st.cache_resource(show_spinner="Building the evidence…", max_entries=32)
def _evidence(cfg: tuple[str, str], sig: Any, key: str, _ref: str | Scenario, against: str, mode: str,
              bands: tuple[str, ...]) -> Any:
    """The evidence of a saved scenario or the draft, kept by the planner's content key."""
    from estate.evidence import build_evidence

    return build_evidence(planner(), _ref, against=against, mode=mode, bands=bands)


def page_evidence(c: dict[str, Any]) -> None:
    st.header("Closure evidence")
    draft: Scenario | None = st.session_state.get("draft")
    use_draft = draft is not None and st.toggle(T.MESSAGES["evidence_draft"], key="ev_draft",
                                                help=T.HELP["evidence_draft"])
    ref: str | Scenario = draft if (use_draft and draft is not None) else c["scenario"]
    if not use_draft and c["scenario"] == c["base"]:
        st.info("Choose a scenario different from the base in the sidebar: evidence compares the two.")
        return
    chosen = st.multiselect("Time bands", list(T.BAND_CHOICES), default=sorted({"day", "night", c["band"]}),
                            format_func=T.band_label, key="ev_bands", help=T.HELP["bands_evidence"])
    bands = [b.name for b in evidence_bands(chosen)]  # day and night always, as in the CLI's pack
    if not all(engine_ready(c["mode"], b) for b in bands):
        return
    key = f"{planner().content_key(ref)}:{ref if isinstance(ref, str) else ref.id}"
    ev = _evidence(_config(), scenario_signature(), key, ref, c["base"], c["mode"], tuple(bands))
    st.caption(ev.subtitle())
    for note in ev.notes:
        st.info(note)
    st.download_button(
        "Download the evidence pack (ZIP: CSV, XLSX, GeoJSON, HTML, PDF)",
        lambda: export.evidence_pack_zip(planner(), ev),
        file_name=f"{export.pack_name(ev)}.zip", mime="application/zip", key="ev_pack")
    if not ev.cases:
        return
    st.markdown("**Every case, by rank** (closures, hours cuts and openings; unlocated sites last)")
    st.dataframe(views.ranked_cases_frame(ev), hide_index=True)
    cases = {case.site_id: case for case in ev.cases}
    sid = st.selectbox("Case", list(cases), key="ev_site", help=T.HELP["evidence_site"],
                       format_func=lambda k: f"{cases[k].rank or '—'}. {cases[k].name} ({cases[k].change}, "
                                             f"{cases[k].area_name})")
    case = cases[sid]
    st.subheader(f"{case.rank or 'Not ranked'}. {case.name}")
    st.markdown(f"**{case.verdict}**")
    foot = f"{text.plain(case.footfall)} crimes reported a day" if case.footfall == case.footfall else case.footfall_note
    st.markdown(f"**Severity:** {case.severity}. **Hours before:** {case.hours_before}; **after:** "
                f"{case.hours_after}. **Footfall:** {foot or 'not published'}.")
    if case.rationale:
        st.markdown(f"**Rationale:** {case.rationale}" + (f" ([source]({case.source}))" if case.source else ""))
    if case.location_note:
        st.warning(f"Not located: {case.location_note}")
    for flag in case.breach_notes:
        st.warning(flag)
    for ctx in case.rule_context:
        st.info(ctx)
    if case.mitigation:
        st.info(f"Alternatives: {case.mitigation}")
    for b in bands:
        bc = case.bands.get(b)
        if bc is None:
            continue
        st.markdown(f"#### {T.band_label(b)}")
        if not bc.has_catchment:
            st.caption(bc.note or "Nobody's nearest counter in this band.")
            continue
        a, b2 = st.columns(2)
        a.markdown("**Journey times before and after (minutes)**")
        a.dataframe(views.case_times_frame(bc), hide_index=True)
        b2.markdown("**Residents pushed past each threshold**")
        b2.dataframe(views.case_thresholds_frame(bc), hide_index=True)
        st.markdown("**Who they are**")
        st.dataframe(views.case_groups_frame(bc), hide_index=True)
        st.markdown("**Where they went before**" if bc.effect == "gain" else "**Where they go instead**")
        st.dataframe(views.case_flows_frame(bc), hide_index=True)
        dest = [f.site_id for f in bc.flows if f.site_id]
        sites = site_frame(c["base"], ref, c["mode"], b)
        sites = sites[sites["site_id"].isin([sid, *dest])]
        m = maps.catchment_map(_geometry(_config()), unit_ids=bc.unit_ids,
                               change_minutes=bc.after_min - bc.before_min, sites=sites,
                               title=f"{case.name}: catchment, {T.band_label(b)}", band_label=T.band_label(b))
        show_map(m, key=f"ev_map_{b}", height=480, title=f"Catchment of {case.name}")


def page_about(c: dict[str, Any]) -> None:
    st.header("About the data")
    st.markdown(T.ABOUT_INTRO)
    st.subheader("Travel-time engines")
    for row in views.engine_status(planner()).to_dict("records"):
        if row["Problem"]:
            st.error(f"**{row['Mode']}**: {row['Problem']}")
        else:
            st.markdown(f"- **{row['Mode']}**: {row['Engine and assumptions']}")
    st.markdown(T.ABOUT_APPROXIMATE)
    st.subheader("Data sources and licences")
    st.markdown("\n".join(f"- **{what}**: {source}. *{licence}*" for what, source, licence in T.ABOUT_DATA_SOURCES))
    p = planner()
    st.caption(f"Data folder: {p.data_dir}. Scenario folder: {p.scenarios_dir}.")


PAGES = dict(zip(T.PAGES, (page_compare, page_map, page_build, page_evidence, page_about), strict=True))


def main() -> None:
    st.sidebar.title("Front counters")
    page = st.sidebar.radio("Page", list(PAGES), key="page", label_visibility="collapsed")
    try:
        c = sidebar_controls()
    except PlannerError as exc:
        st.error(f"The data or the scenario files could not be read: {exc}")
        return
    for name, why in planner().scenario_problems().items():  # the others still work
        st.error(f"Scenario {name} is left out: {why}", icon=":material/error:")
    try:
        PAGES[page](c)
    except PlannerError as exc:
        st.error(str(exc))


main()
