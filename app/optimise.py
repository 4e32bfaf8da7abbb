"""The Optimise page: pick the question, the constraints, the measure and the method; run the
optimiser with its progress shown; read the answer's changes, harm, method and gap, its map and
the trade-off curve; open it in Build.

Widgets only: the request, the run, the answer and every figure come from
:mod:`estate.optimise` (:func:`~estate.optimise.run`, the CLI's own entry point), the
frames and the chart from :mod:`estate.outputs.optimise`, the map from :mod:`estate.outputs.maps`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.common import (
    build_map,
    draft_unsaved,
    engine_ready,
    planner,
    scenario_ids,
    scenario_label,
    set_draft,
    show_map,
)
from estate import drafts, optimise
from estate.optimise.names import MEASURES, METHODS, QUESTIONS
from estate.outputs import optimise as O
from estate.outputs import ui_text as T
from estate.rules import effective_kind
from geodata.errors import PlannerError

MAX_COUNT = O.MAX_COUNT


def link_values() -> dict[str, Any]:
    """The page's choices as they stand, for the URL (only those its question uses)."""
    ss = st.session_state
    q = ss.get("question", "close")
    keys = ["question", "start", "measure", "method"]
    keys += {"close": ["k", "rules"], "open": ["k"]}.get(q, ["m" if ss.get("opt_by", "m") == "m" else "target",
                                                             "rules"])
    return {k: ss[k] for k in keys if k in ss}


def _init(key: str, default: Any, options: list[Any] | None = None) -> None:
    if key not in st.session_state or (options is not None and st.session_state[key] not in options):
        st.session_state[key] = default


def _site_label(sid: str) -> str:
    est = planner().estate
    return f"{est.sites.at[sid, 'name']} ({est.sites.at[sid, 'area_name']})"


def _question_controls(q: str, start: str) -> dict[str, Any]:
    """The count, rules, locks and filters of the question; returns the request's fields."""
    p = planner()
    state = p.state(start)
    out: dict[str, Any] = {}
    cols = st.columns(3)
    if q in ("close", "open"):
        _init("k", 3 if q == "close" else 5)
        out["k"] = int(cols[0].number_input("How many to close" if q == "close" else "How many to open",
                                            min_value=1, max_value=MAX_COUNT, step=1, key="k",
                                            help=O.PAGE_HELP["k"]))
    else:
        by = cols[0].radio("Choose", ["m", "target"], key="opt_by", horizontal=True,
                           format_func={"m": "how many stay 24/7", "target": "the fewest meeting a target"}.get)
        if by == "m":
            _init("m", 2)
            out["m"] = int(cols[0].number_input("Counters open 24/7", min_value=1, max_value=MAX_COUNT, step=1,
                                                key="m", help=O.PAGE_HELP["m"]))
        else:
            _init("target", 60)
            pct = cols[0].slider("Residents within the threshold in every band (%)", 1, 100, key="target",
                                 help=O.PAGE_HELP["target"])
            out["target"] = int(pct) / 100
    if q != "open":
        _init("rules", "default", list(O.RULES_LABELS))
        rule_opts: list[str] = list(O.RULES_LABELS)
        out["rules"] = cols[1].selectbox("Borough rules", rule_opts, key="rules",
                                         format_func=lambda r: O.RULES_LABELS[r], help=O.PAGE_HELP["rules"])
    if q == "close":
        out["allow_unlocated"] = cols[2].checkbox("Allow sites with no location to close", key="opt_unlocated",
                                                  help=O.PAGE_HELP["allow_unlocated"])
        pool = sorted(state.hours)
    elif q == "keep-24-7":
        pool = [s for s in sorted(state.hours) if effective_kind(p.estate, s) == "front_counter"]
    else:
        hosts = drafts.candidate_options(p.estate)["host"]
        out["hosts"] = tuple(cols[1].multiselect("Host types", hosts, key="opt_hosts",
                                                 format_func=lambda h: T.HOST_LABELS.get(h, h),
                                                 help=O.PAGE_HELP["hosts"]))
        out["curve_max"] = int(cols[2].number_input("Curve up to (openings)", min_value=1, max_value=MAX_COUNT,
                                                    value=10, step=1, key="opt_curve_max"))
        pool = list(drafts.filter_candidates(p.estate, hosts=out["hosts"], exclude=state.hours)["site_id"])
    lk = st.columns(2)
    for col, key in ((lk[0], "lock_open"), (lk[1], "lock_closed")):
        wkey = f"opt_{key}_{q}"
        if wkey in st.session_state:  # a start or filter change can leave a lock outside the pool
            st.session_state[wkey] = [s for s in st.session_state[wkey] if s in pool]
        label = {"lock_open": {"close": "Keep open", "open": "Must open", "keep-24-7": "Keep 24/7"},
                 "lock_closed": {"close": "Must close", "open": "Never open", "keep-24-7": "Part-time"}}[key][q]
        out[key] = tuple(col.multiselect(f"Locked: {label.lower()}", pool, key=wkey, format_func=_site_label,
                                         help=O.PAGE_HELP[key]))
    return out


def _measure_controls(q: str, c: dict[str, Any]) -> dict[str, Any]:
    """Measure, bands with weights, extra weights; the threshold and mode are the sidebar's."""
    cols = st.columns([2, 3, 2])
    _init("measure", "beyond", list(MEASURES))
    measure = cols[0].radio("Harm", list(MEASURES), key="measure", format_func=lambda m: O.MEASURE_LABELS[m],
                            help=O.PAGE_HELP["measure"])
    default = [b for b, _ in optimise.default_bands(q)]
    bands = cols[1].multiselect("Time bands", list(T.BAND_CHOICES), default=default, key=f"opt_bands_{q}",
                                format_func=T.band_label, help=O.PAGE_HELP["bands"]) or default
    weights = []
    if len(bands) > 1:
        wc = cols[1].columns(len(bands))
        for col, b in zip(wc, bands, strict=True):
            weights.append((b, float(col.number_input(f"Weight: {T.band_label(b)}", min_value=0.1, max_value=10.0,
                                                      value=1.0, step=0.5, key=f"opt_w_{b}"))))
    else:
        weights = [(bands[0], 1.0)]
    w65 = cols[2].number_input("Extra weight on residents aged 65+", min_value=0.0, max_value=10.0, value=0.0,
                               step=0.5, key="opt_w65")
    wdep = cols[2].number_input("Extra weight on the most deprived (IMD deciles 1-2)", min_value=0.0,
                                max_value=10.0, value=0.0, step=0.5, key="opt_wdep")
    st.caption(f"{T.mode_label(c['mode'])}; threshold {c['t']} minutes (both from the sidebar).")
    return {"measure": measure, "bands": tuple(weights), "threshold": int(c["t"]), "mode": c["mode"],
            "weight_65_plus": float(w65), "weight_deprived": float(wdep)}


def _method_controls() -> dict[str, Any]:
    cols = st.columns([3, 1, 2])
    _init("method", "heuristic", list(METHODS))
    method = cols[0].radio("Method", list(METHODS), key="method", format_func=lambda m: O.METHOD_LABELS[m],
                           help=O.PAGE_HELP["method"])
    limit = cols[1].number_input("Time limit (s)", min_value=0.0, max_value=600.0, value=60.0, step=10.0,
                                 key="opt_time_limit", help=O.PAGE_HELP["time_limit"], disabled=method != "exact")
    curve = cols[2].checkbox("Draw the trade-off curve", value=True, key="opt_curve", help=O.PAGE_HELP["curve"])
    return {"method": method, "time_limit": float(limit) if method == "exact" else 60.0, "curve": curve}


def _run(req: optimise.Request) -> None:
    """Run the request with a progress bar; keep the answer (or the refusal) for the page."""
    bar = st.progress(0.0, text="Starting the optimiser…")

    def progress(share: float, what: str) -> None:
        bar.progress(min(max(share, 0.0), 1.0), text=what)

    st.session_state["opt_request"] = req
    try:
        st.session_state["opt_answer"] = optimise.run(planner(), req, progress=progress)
        st.session_state.pop("opt_error", None)
    except PlannerError as exc:  # refusals (rules, targets, bad choices) are messages, not tracebacks
        st.session_state.pop("opt_answer", None)
        st.session_state["opt_error"] = O.page_words(str(exc))
    bar.empty()


def _open_in_build(ans: Any) -> None:
    """Button callback (before the rerun): the answer becomes the draft and the page switches to Build.

    A draft holding unsaved edits is not replaced at once: Build asks first, as Start and an upload do.
    """
    new = optimise.as_draft(ans)
    for key in ("pending_overwrite", "pending_click", "upload_error"):
        st.session_state.pop(key, None)
    st.session_state["page"] = "build"
    if draft_unsaved():
        st.session_state["pending_discard"] = {"with": new, "label": O.ANSWER_LABEL, "uploaded": False}
        return
    set_draft(new)


def _show_answer(ans: Any, req: optimise.Request, c: dict[str, Any]) -> None:
    u = ans.harm.unit
    st.subheader(ans.scenario.title)
    st.markdown(O.method_text(ans))
    cols = st.columns(3)
    cols[0].metric(f"Harm: start ({ans.scenario.base})", O.harm_value(ans.start_value, u))
    cols[1].metric("Harm: the answer", O.harm_value(ans.value, u),
                   delta=O.harm_value(ans.difference, u, signed=True), delta_color="inverse")
    cols[2].metric("Difference", O.harm_value(ans.difference, u, signed=True))
    st.caption(f"Harm: {ans.harm.describe()}.")
    st.dataframe(O.harm_frame(ans), hide_index=True, key="opt_harm")
    for note in ans.notes[2:]:
        st.caption(O.page_words(note))
    if ans.rules_broken:
        st.warning(f"Rules broken (already broken in the start, not imposed there): {', '.join(ans.rules_broken)}")
    st.markdown("**The answer's changes**")
    st.dataframe(O.changes_frame(ans), hide_index=True, key="opt_changes",
                 column_config={"Rationale": st.column_config.TextColumn(width="large")})
    b = st.columns([1, 2, 2])
    b[0].button("Open in Build", key="opt_open_build", type="primary", on_click=_open_in_build, args=(ans,),
                help=O.PAGE_HELP["open_in_build"])
    b[1].download_button("Download the answer (YAML)", ans.scenario.to_yaml(),
                         file_name=f"{ans.scenario.id}.yaml", mime="text/yaml", key="opt_yaml",
                         on_click="ignore")
    bands = [bd for bd, _ in ans.harm.bands]
    st.subheader("Map")
    band = st.selectbox("Band shown", bands, key="opt_map_band", format_func=T.band_label) if len(bands) > 1 \
        else bands[0]
    mc = {"mode": req.mode, "band": band, "t": ans.harm.threshold, "borough": c["borough"]}
    if engine_ready(req.mode, band):
        title = f"{ans.scenario.title} vs {ans.scenario.base} ({T.band_label(band)})"
        show_map(build_map(ans.scenario.base, ans.scenario, mc, metric="beyond_change", title=title),
                 key="opt_map", height=560, title=title)
    if ans.curve:
        st.subheader("Trade-off curve")
        count = {"close": len(ans.changes["close"]), "open": len(ans.changes["open"])}.get(
            ans.question, int(req.m) if req.m is not None else None)
        st.altair_chart(O.curve_chart(ans.curve, ans.question, u, chosen=count), width="stretch", key="opt_curve_chart")
        if ans.method == "exact":
            st.caption(O.CURVE_HEURISTIC_NOTE)
        fmt = "localized" if u == "residents" else "%.2f"
        st.dataframe(O.curve_frame(ans.curve, ans.question, u), hide_index=True, key="opt_curve_table",
                     column_config={f"Harm ({u})": st.column_config.NumberColumn(format=fmt)})


def page(c: dict[str, Any]) -> None:
    st.header("Optimise")
    st.caption(O.PAGE_INTRO)
    ids = scenario_ids()
    _init("question", "close", list(QUESTIONS))
    q = st.radio("Question", list(QUESTIONS), key="question", format_func=lambda m: O.QUESTION_LABELS[m], horizontal=True,
                 help=O.PAGE_HELP["question"])
    _init("start", T.DEFAULT_BASE if T.DEFAULT_BASE in ids else ids[0], ids)
    start = st.selectbox("Start from", ids, key="start",
                         format_func=scenario_label, help=O.PAGE_HELP["start"])
    fields: dict[str, Any] = {"question": q, "start": start}
    try:
        fields.update(_question_controls(q, start))
    except PlannerError as exc:
        st.error(str(exc))
        return
    fields.update(_measure_controls(q, c))
    fields.update(_method_controls())
    req = optimise.Request(**fields)
    if st.button("Run the optimiser", key="opt_run", type="primary") and all(
            engine_ready(req.mode, b) for b, _ in req.bands or ()):
        _run(req)
    if st.session_state.get("opt_error") and st.session_state.get("opt_request") == req:
        st.error(st.session_state["opt_error"], icon=":material/block:")
    ans = st.session_state.get("opt_answer")
    if ans is None:
        return
    done = st.session_state.get("opt_request")
    if done != req:
        st.info(O.STALE_NOTE, icon=":material/history:")
    _show_answer(ans, done if done is not None else req, c)
