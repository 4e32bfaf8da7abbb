"""The browser app: compare scenarios, read coverage maps, ask from a place, build a scenario,
take evidence away.

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

from app import about, build, compare, mapview, point
from app.common import config as _config
from app.common import (
    engine_ready,
    geometry,
    keep_draft,
    page_icon,
    planner,
    read_link,
    restore_draft,
    scenario_signature,
    share_link,
    show_map,
    sidebar_controls,
    site_frame,
    warmup,
)
from estate import text
from estate.evidence import evidence_bands
from estate.outputs import export, maps, views
from estate.outputs import ui_text as T
from estate.scenario import Scenario
from geodata.errors import PlannerError

st.set_page_config(page_title=T.APP_TITLE, page_icon=page_icon(), layout="wide")


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
        m = maps.catchment_map(geometry(_config()), unit_ids=bc.unit_ids,
                               change_minutes=bc.after_min - bc.before_min, sites=sites,
                               title=f"{case.name}: catchment, {T.band_label(b)}", band_label=T.band_label(b))
        show_map(m, key=f"ev_map_{b}", height=480, title=f"Catchment of {case.name}")


PAGES = {"compare": compare.page, "map": mapview.page, "point": point.page, "build": build.page,
         "evidence": page_evidence, "about": about.page}


def main() -> None:
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
    share_link(page, c, **extra)
    try:
        PAGES[page](c)
    except PlannerError as exc:
        st.error(str(exc))


def _init_page() -> None:
    if st.session_state.get("page") not in T.PAGES:
        st.session_state["page"] = "compare"


main()
