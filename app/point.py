"""From a place: a postcode or a click on the map -> minutes to the nearest open counter by
every mode and band, in the scenario and its base, which counter, the route; the map shaded
by minutes from that place (as TfL's WebCAT does)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.common import (
    config,
    engine_ready,
    geometry,
    kept_map,
    planner,
    ref_key,
    shade_map,
    show_map,
    site_frame,
    warmup,
)
from estate.errors import EstateError
from estate.outputs import maps, pointmap, views
from estate.outputs import ui_text as T
from estate.pointquery import PointAnswer, locate_lonlat, locate_postcode, point_query
from geodata.errors import PlannerError


def _clicked(lat: float, lon: float) -> None:
    st.session_state["point_click"] = (lat, lon)
    st.session_state["postcode"] = ""


def _where() -> tuple[float, float, str] | None:
    p = planner()
    click = st.session_state.get("point_click")
    code = str(st.session_state.get("postcode") or "").strip()
    try:
        if code:
            return locate_postcode(p, code)
        if click:
            return locate_lonlat(p, float(click[1]), float(click[0]))  # click: (lat, lon)
    except (EstateError, PlannerError) as exc:
        st.error(str(exc), icon=":material/location_off:")
    return None


def page(c: dict[str, Any]) -> None:
    st.header("From a place: how long to a counter?")
    st.caption(T.POINT_INTRO)
    w = warmup(config())
    if not w.status(c["mode"], c["band"]).ready and not engine_ready(c["mode"], c["band"]):
        return
    cols = st.columns([2, 3])
    cols[0].text_input("Postcode", key="postcode", placeholder="e.g. SE1 7PB", help=T.HELP["postcode"],
                       on_change=lambda: st.session_state.pop("point_click", None))
    p = planner()
    cols[1].caption(T.postcode_note(getattr(p.__dict__.get("postcode_geocoder"), "edition", "")))
    where = _where()
    answer: PointAnswer | None = None
    if where is not None:
        x, y, label = where
        # a mode with no engine here (public transport outside London and Newport: no timetable) is
        # named, and the others answer
        modes: list[str] = []
        for mode in T.MODE_CHOICES:
            _, problem = views.try_engine(p, mode)
            if problem is None or mode == c["mode"]:
                modes.append(mode)
            else:
                st.info(problem, icon=":material/info:")
        with st.spinner("Searching from that place…"):
            answer = point_query(p, x, y, scenario=c["scenario"], base=c["base"], modes=modes,
                                 bands=("day", "night") if c["band"] in ("day", "night") else ("day", "night", c["band"]),
                                 shown=(c["mode"], c["band"]), label=label)
        st.subheader(T.point_heading(answer.label, answer.area_name))
        st.table(views.point_frame(answer, c["base"], c["scenario"]).set_index(["Mode", "Time"]))
        for a in answer.answers:
            if a.mode == c["mode"] and a.scenario.legs:
                st.markdown(T.route_line(a))
    else:
        st.info(T.POINT_ASK)
    scale = maps.minutes_scale(T.point_map_title(c["mode"], c["band"]))

    def draw() -> Any:
        sites = site_frame(c["base"], c["scenario"], c["mode"], c["band"])
        sites = sites[sites["status"] != "closing"] if len(sites) else sites
        return pointmap.point_map(geometry(config()), scale=scale, sites=sites,
                                  title=T.point_map_title(c["mode"], c["band"]), band_label=T.band_label(c["band"]),
                                  place=p.whole[1])

    # the map is drawn once for the view; each answer only shades it in place
    m = kept_map(("point", ref_key(c["base"]), ref_key(c["scenario"]), c["mode"], c["band"]), draw)
    show_map(m, key="point_map", height=620, title="Minutes from a place", on_point=_clicked)
    values = maps.values_by_code(p.units.frame["unit_id"], answer.unit_minutes) if answer else None
    shade_map("point_map", pointmap.point_shading(geometry(config()), values, scale,
                                                  (answer.lat, answer.lon) if answer else None))
