"""The Map page: any borough metric, the sidebar's borough in neighbourhood detail, a standalone export."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.common import build_map, engine_ready, show_map
from estate.outputs import maps, views
from estate.outputs import ui_text as T


def page(c: dict[str, Any]) -> None:
    st.header("Coverage map")
    if not engine_ready(c["mode"], c["band"]):
        return
    if st.session_state.get("metric") not in maps.METRICS:
        st.session_state["metric"] = "beyond_change"
    metric = st.selectbox("Colour boroughs by", list(maps.METRICS), key="metric",
                          format_func=lambda k: maps.METRICS[k].label.format(t=c["t"]), help=T.HELP["metric"])
    if not c["borough"]:
        st.caption(T.MESSAGES["choose_borough"])
    title = views.comparison_title(c["base"], c["scenario"], c["mode"], c["band"], c["t"])
    m = build_map(c["base"], c["scenario"], c, metric=metric, title=title)
    show_map(m, key="main_map", height=640, title=title)
    offline = maps.offline_assets_available()
    st.download_button("Export this map (standalone HTML)", m.encode("utf-8"),
                       file_name=f"{c['scenario']}-{c['mode']}-{c['band']}-map.html", mime="text/html",
                       key="export_map", on_click="ignore")
    st.caption(T.EXPORT_NOTE_OFFLINE if offline else T.EXPORT_NOTE_ONLINE)
