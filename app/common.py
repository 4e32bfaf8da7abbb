"""What every page shares: the cached planner and shapes, the background matrix builds,
the sidebar (its keys are the URL's query parameters), the map component and the headline.

No logic of its own: figures come from :mod:`estate`, words from
:mod:`estate.outputs.ui_text`, links from :mod:`estate.outputs.links`.
"""

from __future__ import annotations

import gc
import hashlib
import threading
import time
from collections import OrderedDict
from typing import Any

import streamlit as st

from estate import drafts, settings, text
from estate.background import Warmup
from estate.coverage import THRESHOLDS, CoverageResult
from estate.outputs import links, maps, pointmap, views
from estate.outputs import optimise as optimise_view
from estate.outputs import ui_text as T
from estate.outputs.tables import compare_frame
from estate.planner import REGISTER_ID, Planner
from estate.scenario import Scenario, ScenarioState
from geodata import normalise_postcode
from geodata.errors import PlannerError

_map_component = st.components.v2.component("estate_map", js=maps.EMBED_JS)
_shade_component = st.components.v2.component("estate_shade", js=pointmap.SHADE_JS)

#: (mode, band) matrices built in the background at start-up, in this order
WARM_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (m, b) for b in ("night", "day") for m in T.MODE_CHOICES) + tuple(
    (m, b) for b in T.BAND_CHOICES if b not in ("night", "day") for m in T.MODE_CHOICES)


def page_icon() -> Any:
    """The tab's icon, drawn here (a named Material icon would be fetched from fonts.gstatic.com)."""
    from PIL import Image, ImageDraw

    from estate.outputs import _palette as palette

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((4, 4, 60, 60), fill=palette.colour("open"), outline=palette.colour("marker edge"), width=3)
    d.rectangle((22, 20, 42, 44), fill=palette.colour("background"))
    return img


# ---- cached data ----------------------------------------------------------------
def config() -> tuple[str, ...]:
    """(data folder, scenario folder, area, force, grouping, register) from the environment: the key of
    every cache."""
    return settings.environment().key


@st.cache_resource(show_spinner="Loading the data pack…")
def _planner(data_dir: str, scenarios_dir: str, area: str, force: str, grouping: str, register: str) -> Planner:
    from geodata.studyarea import study_area

    where = study_area(area or None, force or None)
    # $ESTATE_DATA is London's pack; other areas read the national pack ($ESTATE_NATIONAL); a force
    # area's scenarios are $ESTATE_SCENARIOS unless it ships its own (the planner decides)
    p = Planner((data_dir or None) if where.is_london else None,
                scenarios_dir=(scenarios_dir or None) if where.is_london else None, area=where,
                grouping=grouping or None, register_csv=register or None)
    _ = p.estate, p.units, p.areas  # load now, once
    return p


def planner() -> Planner:
    return _planner(*config())


@st.cache_resource(show_spinner="Preparing the map shapes…")
def geometry(cfg: tuple[str, ...]) -> maps.MapGeometry:
    p = planner()
    return maps.geometry_for(p).web  # the same preparation the evidence pack's maps use


@st.cache_resource(show_spinner=False)
def warmup(cfg: tuple[str, ...]) -> Warmup:
    """The background builds of this server: what a page waits for first; once the first page is
    drawn (:func:`release_background`), the LSOA shapes, the postcode list, a first point query (it
    sets up the engines' searches) and every other matrix.  What is loaded by then lives as long as
    the server, so it is frozen out of the garbage collector's full passes (``gc.freeze``)."""
    p = planner()
    return Warmup(p, WARM_PAIRS, extra=[lambda: geometry(cfg).lsoas, lambda: p.postcode_geocoder,
                                        lambda: _first_point_query(p), gc.freeze], hold=30.0).start()


def _first_point_query(p: Planner) -> None:
    """One point query (at the first population unit), so the engines' one-to-many searches are set up
    before a click."""
    from estate.pointquery import point_query

    ids = set(p.scenarios)
    pts = p.units.points
    modes = [m for m in T.MODE_CHOICES if views.try_engine(p, m)[1] is None]  # those with an engine here
    if T.DEFAULT_MODE not in modes:
        return
    point_query(p, float(pts.x[0]), float(pts.y[0]), scenario=T.DEFAULT_SCENARIO if T.DEFAULT_SCENARIO in ids else REGISTER_ID,
                base=T.DEFAULT_BASE if T.DEFAULT_BASE in ids else REGISTER_ID, modes=modes,
                bands=("day", "night"), shown=(T.DEFAULT_MODE, T.DEFAULT_BAND))


#: seconds between the first page's script finishing and the background extras starting: the page's
#: messages are still being sent and drawn (measured: the first page drawn 5.4-5.6 s after launch
#: with the extras held back, 6.8-7.6 s with them started at once)
RELEASE_AFTER_S = 3.0


def release_background() -> None:
    """The page is drawn: let the background work start (it would compete with the first page)."""
    warmup(config()).release(after=RELEASE_AFTER_S)


@st.cache_resource(show_spinner=False)
def _last_signature(cfg: tuple[str, ...]) -> dict[str, Any]:
    return {}


def scenario_signature() -> tuple[tuple[str, int, int], ...]:
    """Re-read the scenario folder when any file in it changed (another session saved)."""
    p = planner()
    sig = drafts.scenario_folder_signature(p.scenarios_dir)
    seen = _last_signature(config())
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


def compare_rows(base: str | Scenario, scen: str | Scenario, mode: str, band: str, t: int) -> Any:
    """One row per borough and the whole area (:func:`~estate.outputs.tables.compare_frame`):
    made once per view, for the borough table and its CSV."""
    return compare_frame(coverage(base, mode, band), coverage(scen, mode, band), t)


def site_frame(base: str | Scenario, scen: str | Scenario, mode: str, band: str, *,
               include_closed: bool = False) -> Any:
    p = planner()
    return maps.site_frame(p.estate, state_of(base), state_of(scen), coverage(base, mode, band),
                           coverage(scen, mode, band), p.units.weights()["all"], include_closed=include_closed)


# ---- the sidebar and the link ------------------------------------------------------
def scenario_label(sid: str, p: Planner | None = None) -> str:
    if sid == REGISTER_ID:
        return "register (every counter open in the register)"
    sc = (p or planner()).scenarios.get(sid)
    return f"{sid} — {sc.title}" if sc else sid


def scenario_ids() -> list[str]:
    scenario_signature()
    return [REGISTER_ID, *sorted(planner().scenarios)]


def index_of(options: list[str], wanted: str, fallback: int = 0) -> int:
    return options.index(wanted) if wanted in options else min(fallback, len(options) - 1)


def borough_names() -> dict[str, str]:
    p = planner()
    return dict(zip(p.areas["code"], p.areas["name"], strict=True))


def _postcode_ok(value: str) -> bool:
    try:
        normalise_postcode(value)
        return True
    except PlannerError:
        return False


def _choices(pages: list[str], ids: list[str]) -> dict[str, list[str]]:
    return {"page": pages, "base": ids, "scenario": ids, "mode": list(T.MODE_CHOICES),
            "band": list(T.BAND_CHOICES), "threshold": [str(t) for t in THRESHOLDS],
            "borough": ["", *borough_names()], "metric": list(maps.METRICS), **optimise_view.link_choices(ids)}


def read_link(pages: list[str]) -> None:
    """On a session's first run, take the URL's known choices into the widgets; say what was ignored."""
    if st.session_state.get("_link_read"):
        return
    st.session_state["_link_read"] = True
    view = links.read_view(dict(st.query_params.to_dict()), _choices(pages, scenario_ids()),
                           free={"postcode": _postcode_ok, "draft": drafts.is_draft_token})
    for key, val in view.values.items():
        if key == "draft":  # the kept draft's key; the session's draft itself is "draft"
            st.session_state["draft_token"] = val
            continue
        st.session_state[key] = int(val) if key in links.INTEGER_PARAMS else val
    if view.ignored:
        st.session_state["_link_message"] = view.message()


def _init(key: str, default: Any, options: list[Any]) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def default_controls() -> dict[str, Any]:
    """The sidebar's choices in a new session opened without a link (what :func:`sidebar_controls` returns
    then): the launcher draws this view's Compare map before a browser connects."""
    ids = scenario_ids()
    return {"base": T.DEFAULT_BASE if T.DEFAULT_BASE in ids else ids[0],
            "scenario": T.DEFAULT_SCENARIO if T.DEFAULT_SCENARIO in ids else ids[-1],
            "mode": T.DEFAULT_MODE, "band": T.DEFAULT_BAND, "t": T.DEFAULT_THRESHOLD, "borough": ""}


def sidebar_controls() -> dict[str, Any]:
    """Base, scenario, mode and band (select boxes), threshold and borough; keys = query parameter names."""
    ids = scenario_ids()
    sb = st.sidebar
    d = default_controls()
    _init("base", d["base"], ids)
    _init("scenario", d["scenario"], ids)
    _init("mode", d["mode"], list(T.MODE_CHOICES))
    _init("band", d["band"], list(T.BAND_CHOICES))
    _init("threshold", d["t"], list(THRESHOLDS))
    names = borough_names()
    boroughs = ["", *sorted(names, key=lambda k: names[k])]
    _init("borough", d["borough"], boroughs)
    p = planner()  # once: each look-up in the resource cache costs about a millisecond
    labels = {sid: scenario_label(sid, p) for sid in ids}
    base = sb.selectbox("Base", ids, key="base", format_func=labels.__getitem__, help=T.HELP["base"])
    scen = sb.selectbox("Scenario", ids, key="scenario", format_func=labels.__getitem__, help=T.HELP["scenario"])
    mode = sb.selectbox("Travel mode", list(T.MODE_CHOICES), key="mode", format_func=T.mode_label,
                        help=T.HELP["mode"])
    band = sb.selectbox("Time of the week", list(T.BAND_CHOICES), key="band", format_func=T.band_label,
                        help=T.HELP["band"])
    t = sb.select_slider("Threshold (minutes)", options=list(THRESHOLDS), key="threshold", help=T.HELP["threshold"])
    borough = sb.selectbox("Borough (neighbourhood detail)", boroughs, key="borough",
                           format_func=lambda k: names.get(k, f"All {p.area.label}"), help=T.HELP["borough"])
    return {"base": base, "scenario": scen, "mode": mode, "band": band, "t": int(t), "borough": borough}


def share_link(page: str, c: dict[str, Any], **extra: Any) -> None:
    """Write the view into the URL and show it with a copy button."""
    values = {"page": page, "base": c["base"], "scenario": c["scenario"], "mode": c["mode"], "band": c["band"],
              "threshold": c["t"], "borough": c["borough"], **extra,
              "draft": st.session_state.get("draft_token", "")}
    query = links.view_query(values)
    wanted = {k: _unquote(v) for k, v in (pair.split("=", 1) for pair in query.split("&") if pair)}
    if dict(st.query_params.to_dict()) != wanted:
        st.query_params.from_dict(wanted)
    base = ""
    try:
        base = str(st.context.url or "").split("?", 1)[0]
    except Exception:  # no browser (tests): a relative link still reproduces the view
        base = ""
    st.sidebar.caption(T.COPY_LINK)
    st.sidebar.code(f"{base}?{query}", language=None, wrap_lines=True)
    msg = st.session_state.pop("_link_message", None)
    if msg:
        st.warning(msg, icon=":material/link_off:")


def _unquote(v: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(v)


# ---- the draft: kept across reloads, never replaced without asking ----------------------
@st.cache_resource(show_spinner=False)
def draft_store(cfg: tuple[str, ...]) -> drafts.DraftStore:
    """Drafts kept beside the scenarios (``<scenario folder>/.drafts/``); old ones pruned at start."""
    store = drafts.DraftStore(planner().scenarios_dir / ".drafts")
    store.prune()
    return store


def set_draft(draft: Scenario, *, origin: Scenario | None = None) -> None:
    """Make ``draft`` the session's draft; ``origin`` (what counts as saved) defaults to the draft itself."""
    st.session_state["draft"] = draft
    st.session_state["draft_origin"] = draft if origin is None else origin


def draft_unsaved() -> int:
    """How many unsaved edits the session's draft holds (0 without a draft)."""
    draft = st.session_state.get("draft")
    return 0 if draft is None else drafts.unsaved_edits(draft, st.session_state.get("draft_origin"))


def restore_draft() -> None:
    """On a session's first run, take back the draft kept under the link's ``draft=`` key (after a reload)."""
    if st.session_state.get("_draft_checked"):
        return
    st.session_state["_draft_checked"] = True
    token = st.session_state.get("draft_token")
    if not token or "draft" in st.session_state:
        return
    try:
        kept = draft_store(config()).load(token)
    except PlannerError as exc:
        st.session_state["_draft_note"] = ("error", f"The draft kept for this page could not be read back: {exc}")
        st.session_state["draft_token"] = drafts.new_draft_token()  # the damaged file is left as it is
        return
    if kept is None:
        return
    set_draft(kept.draft, origin=kept.origin)
    st.session_state["_kept"] = repr((kept.draft, kept.origin))
    n = draft_unsaved()
    if n:
        st.session_state["_draft_note"] = ("info", T.draft_restored(
            n, T.draft_name(kept.draft.title, kept.draft.started_from)))


def keep_draft() -> None:
    """Write the session's draft to the store when it changed (from its first unsaved edit on)."""
    draft = st.session_state.get("draft")
    if draft is None:
        return
    origin = st.session_state.get("draft_origin") or draft
    token = st.session_state.get("draft_token")
    if not token and not drafts.unsaved_edits(draft, origin):
        return
    sig = repr((draft, origin))
    if st.session_state.get("_kept") == sig:
        return
    if not token:
        token = st.session_state["draft_token"] = drafts.new_draft_token()
        st.query_params["draft"] = token
    try:
        draft_store(config()).keep(token, draft, origin)
    except PlannerError as exc:
        st.warning(str(exc), icon=":material/warning:")
        return
    st.session_state["_kept"] = sig


def draft_note() -> None:
    """Say, once, that the draft came back after a reload (or why it could not)."""
    note = st.session_state.pop("_draft_note", None)
    if note:
        (st.error if note[0] == "error" else st.info)(note[1], icon=":material/restore:")


# ---- engines, progress ----
#: figures left from the previous run while the page recomputes are greyed at once
#: (Streamlit marks them ``data-stale``); a recompute under 0.3 s does not flicker
STALE_CSS = """<style>
[data-testid="stElementContainer"][data-stale="true"] { opacity: 0.25 !important; filter: grayscale(1);
  transition: opacity 0.2s ease-in 0.3s, filter 0.2s ease-in 0.3s; }
</style>"""


def stale_style() -> None:
    st.html(STALE_CSS)


def engine_ready(mode: str, band: str) -> bool:
    """The matrix is ready (else wait for the background build, showing its progress); False on failure."""
    w = warmup(config())
    s = w.status(mode, band)
    if not s.ready and not s.error:
        w.want(mode, band)
        box = st.empty()
        with box.container():
            st.caption(T.RECOMPUTING)
            bar = st.progress(s.done, text=T.building(mode, band, 0.0))
        started = time.monotonic()
        while not s.ready and not s.error:
            time.sleep(0.25)
            s = w.status(mode, band)
            bar.progress(s.done, text=T.building(mode, band, time.monotonic() - started))
        box.empty()
    if s.error:
        st.error(T.engine_failed(mode, s.error), icon=":material/error:")
        return False
    return True


def show_map(m: Any, *, key: str, height: int = 580, title: str = "Coverage map",
             on_click: Any = None, on_point: Any = None) -> None:
    """Render a folium map (or its HTML, from :func:`build_map`) in the map component.

    ``on_click(site_id)`` runs, before the rerun, for a clicked marker; ``on_point(lat, lon)`` for a clicked place.
    """
    html_text = m if isinstance(m, str) else maps.map_html(m)
    digest = hashlib.sha1(html_text.encode("utf-8")).hexdigest()

    def clicked() -> None:
        site = (st.session_state.get(key) or {}).get("site")
        if site and on_click is not None:
            on_click(str(site))

    def pointed() -> None:
        pt = (st.session_state.get(key) or {}).get("point")
        if on_point is not None and isinstance(pt, list | tuple) and len(pt) == 2:
            try:
                on_point(float(pt[0]), float(pt[1]))
            except (TypeError, ValueError):
                return

    _map_component(data={"html": html_text, "height": height, "key": digest, "title": title, "name": key},
                   key=key, height=height, on_site_change=clicked, on_point_change=pointed)


def shade_map(name: str, shading: dict[str, Any]) -> None:
    """Shade the map shown under ``name`` in place (:func:`estate.outputs.pointmap.point_shading`):
    only the colours, minutes and the place travel to the browser; the map is not drawn again."""
    _shade_component(data={"target": name, "shade": shading}, key=f"{name}_shade", height="content")


_MAPS_LOCK = threading.Lock()
#: one lock per map being drawn (by its key in :func:`build_map`)
_MAPS_DRAWING: dict[Any, threading.Lock] = {}


@st.cache_resource(show_spinner=False)
def _maps_kept(cfg: tuple[str, ...]) -> OrderedDict[Any, str]:
    """Map HTML drawn in this server, by everything that decides it (the newest 48)."""
    return OrderedDict()


def ref_key(ref: str | Scenario) -> tuple[str, str]:
    return planner().content_key(ref), ref if isinstance(ref, str) else f"draft:{ref.id}"


def kept_map(key: tuple[Any, ...], draw: Any) -> str:
    """The map HTML drawn by ``draw()`` for ``key`` (everything that decides it), kept in this server
    (the newest 48): going back to a view already drawn costs a look-up, not a new map."""
    key = (scenario_signature(), *key)
    kept = _maps_kept(config())
    with _MAPS_LOCK:  # sessions (and the launcher's preload) share the server's maps
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return found
        drawing = _MAPS_DRAWING.setdefault(key, threading.Lock())
    with drawing:  # a second caller of a map being drawn waits for it rather than drawing it again
        try:
            with _MAPS_LOCK:
                found = kept.get(key)
            if found is not None:
                return found
            html_text = maps.map_html(draw())
            with _MAPS_LOCK:
                kept[key] = html_text
                while len(kept) > 48:
                    kept.popitem(last=False)
        finally:
            with _MAPS_LOCK:
                if _MAPS_DRAWING.get(key) is drawing:
                    del _MAPS_DRAWING[key]
    return html_text


def build_map(base: str | Scenario, scen: str | Scenario, c: dict[str, Any], *, metric: str,
              candidates: Any = None, clickable: bool = False, title: str = "",
              include_closed: bool = False) -> str:
    """The coverage map's HTML: classes chosen for the values shown; the sidebar's borough in detail."""
    key = ("coverage", ref_key(base), ref_key(scen), c["mode"], c["band"], c["t"], c.get("borough"),
           metric, None if candidates is None else tuple(candidates["site_id"]), clickable, title, include_closed)
    return kept_map(key, lambda: _draw_map(base, scen, c, metric=metric, candidates=candidates,
                                           clickable=clickable, title=title, include_closed=include_closed))


def _draw_map(base: str | Scenario, scen: str | Scenario, c: dict[str, Any], *, metric: str,
              candidates: Any, clickable: bool, title: str, include_closed: bool) -> Any:
    p = planner()
    b, s = coverage(base, c["mode"], c["band"]), coverage(scen, c["mode"], c["band"])
    values = maps.metric_values(metric, b, s, c["t"])
    change = maps.METRICS[metric].change
    unit = maps.METRICS[metric].unit
    kw: dict[str, Any] = {}
    if c.get("borough"):
        lv = maps.lsoa_values(metric, b, s)
        in_b = (p.units.frame["area_code"] == c["borough"]).to_numpy()
        kw = {"lsoa_values": maps.values_by_code(p.units.frame["unit_id"], lv),
              "lsoa_scale": maps.lsoa_data_scale(metric, lv[in_b]), "lsoa": "borough", "focus": c["borough"],
              "lsoa_describe": lambda v: maps.value_text(v, "minutes", change=change)}
    return maps.coverage_map(
        geometry(config()), borough_values=maps.values_by_code(s.area_codes, values),
        borough_scale=maps.data_scale(metric, c["t"], values[: len(s.area_codes)]),
        sites=site_frame(base, scen, c["mode"], c["band"], include_closed=include_closed),
        candidates=candidates, band_label=T.band_label(c["band"]), title=title, clickable=clickable,
        describe=lambda v: maps.value_text(v, unit if unit != "% of residents" else "% of residents",
                                           change=change, threshold=c["t"]), **kw)


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
