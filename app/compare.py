"""The Compare page: headline, borough table, the change chart and the map."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.common import borough_table, build_map, coverage, engine_ready, headline_block, show_map
from estate.outputs import ui_text as T
from estate.outputs import views
from estate.outputs.tables import compare_frame, csv_text


def compare_map(c: dict[str, Any]) -> tuple[str, str]:
    """The page's map (HTML, kept by :func:`~app.common.build_map`) and its title; the launcher
    (:mod:`app.serve`) draws the default view's before a browser connects."""
    title = views.comparison_title(c["base"], c["scenario"], c["mode"], c["band"], c["t"])
    return build_map(c["base"], c["scenario"], c, metric="beyond_change", title=title), title


def compare_table(c: dict[str, Any]) -> tuple[Any, Any]:
    """The borough table and its change chart (the launcher makes the default view's once, which
    loads Altair before a browser connects)."""
    table = borough_table(c["base"], c["scenario"], c["mode"], c["band"], c["t"])
    return table, views.change_chart(table, c["t"])


def page(c: dict[str, Any]) -> None:
    st.header("Compare two scenarios")
    if not engine_ready(c["mode"], c["band"]):
        return
    s = coverage(c["scenario"], c["mode"], c["band"])
    st.caption(f"{T.mode_label(c['mode'])}, {T.band_label(c['band'])}. Engine {s.engine}: {s.engine_note}")
    headline_block(c["base"], c["scenario"], c, c["base"], c["scenario"])
    table, chart = compare_table(c)
    st.subheader("Map")
    html_text, title = compare_map(c)
    show_map(html_text, key="compare_map", height=600, title=title)
    left, right = st.columns([2, 3])
    with left:
        st.subheader(f"Change in residents beyond {c['t']} min")
        st.caption(T.CHART_KEY)
        st.altair_chart(chart, width="stretch", key="compare_chart")
    with right:
        st.subheader("Boroughs")
        st.dataframe(views.style_borough_table(table, c["t"]), hide_index=True, height=620, key="compare_table")
    base_cov = coverage(c["base"], c["mode"], c["band"])
    # made when the button is pressed, not on every rerun
    st.download_button("Download the table (CSV)", lambda: csv_text(compare_frame(base_cov, s, c["t"])),
                       file_name=f"{c['scenario']}-vs-{c['base']}.csv", mime="text/csv", key="compare_csv")
