"""The browser app: compare scenarios, read coverage maps, ask from a place, build a scenario,
optimise one, take evidence away.

    streamlit run streamlit_app.py

A thin layer: it reads widgets, calls :mod:`estate` and renders; the pages live in the
:mod:`app` package (this file keeps the Evidence page).  Data folder: ``$ESTATE_DATA``
(default ``../shared/london``); scenario folder: ``$ESTATE_SCENARIOS`` (default the
repository's ``scenarios/``).  Words and defaults live in :mod:`estate.outputs.ui_text`,
maps in :mod:`estate.outputs.maps`, figures in :mod:`estate.outputs.views`.  The view
(page and every choice) is in the URL (:mod:`estate.outputs.links`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import about, build, compare, mapview, optimise, point
from app.common import config as _config
from app.common import (
    engine_ready,
    geometry,
    keep_draft,
    page_icon,
    planner,
    read_link,
    release_background,
    restore_draft,
    scenario_signature,
    share_link,
    show_map,
    sidebar_controls,
    site_frame,
    stale_style,
    warmup,
)
from estate import text
from estate.evidence import evidence_bands
from estate.outputs import maps, views
from estate.outputs import ui_text as T
from estate.scenario import Scenario
from geodata.errors import PlannerError

st.set_page_config(page_title=T.APP_TITLE, page_icon=page_icon(), layout="wide")


@st.cache_resource(show_spinner=False)
def _evidence_kept(cfg: tuple[str, ...]) -> dict[Any, Any]:
    """Evidence built in this server, by content key (the newest 32)."""
    return {}


def _evidence(key: Any, ref: str | Scenario, against: str, mode: str, bands: tuple[str, ...]) -> Any:
    """The evidence of a saved scenario or the draft: kept by the planner's content key, built with progress."""
    from estate.evidence import build_evidence

    kept = _evidence_kept(_config())
    if key in kept:
        return kept[key]
    box = st.empty()
    with box.container():
        st.caption(T.RECOMPUTING)
        bar = st.progress(0.0, text=T.building_evidence(0, len(bands)))

    def progress(d: int, t: int) -> None:
        bar.progress(d / max(t, 1), text=T.building_evidence(d, t))

    ev = build_evidence(planner(), ref, against=against, mode=mode, bands=bands, progress=progress)
    box.empty()
    while len(kept) >= 32:
        kept.pop(next(iter(kept)))
    kept[key] = ev
    return ev


def _pack_download(ev: Any, key: Any) -> None:
    """Prepare the evidence pack with its progress shown step by step, then offer it for download."""
    from estate.outputs import export  # matplotlib and reportlab: loaded only when a pack is wanted

    name = f"{export.pack_name(ev)}.zip"
    ready = st.session_state.get("ev_pack_zip")
    if not (ready and ready[0] == key):
        if not st.button("Prepare the evidence pack (ZIP: CSV, XLSX, GeoJSON, HTML, PDF)", key="ev_prepare",
                         help=T.HELP["evidence_pack"]):
            return
        box = st.empty()
        with box.container():
            st.caption(T.PACK_WAIT)
            bar = st.progress(0.0, text=T.pack_step("starting", 0, 1))
        def step(d: int, t: int, what: str) -> None:
            bar.progress(min(d / max(t, 1), 1.0), text=T.pack_step(what, d, t))

        data = export.evidence_pack_zip(planner(), ev, step_fn=step)
        box.empty()
        st.session_state["ev_pack_zip"] = ready = (key, data)
    st.download_button(f"Download the evidence pack ({len(ready[1]) / 1e6:.1f} MB ZIP)", ready[1],
                       file_name=name, mime="application/zip", key="ev_pack")


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
    key = (scenario_signature(), f"{planner().content_key(ref)}:{ref if isinstance(ref, str) else ref.id}",
           c["base"], c["mode"], tuple(bands))
    ev = _evidence(key, ref, c["base"], c["mode"], tuple(bands))
    st.caption(ev.subtitle())
    for note in ev.notes:
        st.info(note)
    _pack_download(ev, key)
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
        m = maps.catchment_map(geometry(_config()), unit_ids=bc.unit_ids,
                               change_minutes=bc.after_min - bc.before_min, sites=sites,
                               title=f"{case.name}: catchment, {T.band_label(b)}", band_label=T.band_label(b))
        show_map(m, key=f"ev_map_{b}", height=480, title=f"Catchment of {case.name}")


PAGES = {"compare": compare.page, "map": mapview.page, "point": point.page, "build": build.page,
         "optimise": optimise.page, "evidence": page_evidence, "about": about.page}


def main() -> None:
    stale_style()
    st.sidebar.title("Front counters")
    try:
        read_link(list(PAGES))
    except PlannerError as exc:
        st.error(f"The data or the scenario files could not be read: {exc}")
        return
    _init_page()
    restore_draft()
    keep_draft()
    page = st.sidebar.radio("Page", list(PAGES), key="page", format_func=T.PAGES.get,
                            label_visibility="collapsed")
    try:
        c = sidebar_controls()
    except PlannerError as exc:
        st.error(f"The data or the scenario files could not be read: {exc}")
        return
    for name, why in planner().scenario_problems().items():  # the others still work
        st.error(f"Scenario {name} is left out: {why}", icon=":material/error:")
    warmup(_config())
    extra = {"metric": st.session_state.get("metric")} if page == "map" else {}
    if page == "point" and st.session_state.get("postcode"):
        extra["postcode"] = st.session_state["postcode"]
    if page == "optimise":
        extra.update(optimise.link_values())
    share_link(page, c, **extra)
    try:
        PAGES[page](c)
    except PlannerError as exc:
        st.error(str(exc))
    release_background()


def _init_page() -> None:
    if st.session_state.get("page") not in T.PAGES:
        st.session_state["page"] = "compare"


main()
