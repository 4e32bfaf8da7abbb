"""The Compare page: headline, borough table, the change chart and the map."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.common import build_map, compare_rows, coverage, engine_ready, headline_block, show_map
from estate.outputs import ui_text as T
from estate.outputs import views
from estate.outputs.tables import csv_text


def compare_map(c: dict[str, Any]) -> tuple[str, str]:
    """The page's map (HTML, kept by :func:`~app.common.build_map`) and its title; the launcher
    (:mod:`app.serve`) draws the default view's before a browser connects."""
    title = views.comparison_title(c["base"], c["scenario"], c["mode"], c["band"], c["t"])
    return build_map(c["base"], c["scenario"], c, metric="beyond_change", title=title), title


def compare_table(c: dict[str, Any]) -> tuple[Any, Any, str]:
    """The borough table, its change chart and the table's CSV text, from one
    :func:`~app.common.compare_rows` (the launcher makes the default view's once, which loads
    Altair before a browser connects)."""
    rows = compare_rows(c["base"], c["scenario"], c["mode"], c["band"], c["t"])
    table = views.borough_table_of(rows, c["t"])
    return table, views.change_chart(table, c["t"]), csv_text(rows)


def page(c: dict[str, Any]) -> None:
    st.header("Compare two scenarios")
    if not engine_ready(c["mode"], c["band"]):
        return
    s = coverage(c["scenario"], c["mode"], c["band"])
    st.caption(f"{T.mode_label(c['mode'])}, {T.band_label(c['band'])}. Engine {s.engine}: {s.engine_note}")
    headline_block(c["base"], c["scenario"], c, c["base"], c["scenario"])
    table, chart, csv = compare_table(c)
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
    # The CSV's bytes go with the page, not a deferred download: Streamlit gives a deferred
    # button a new id on every rerun and drops the file it makes after two script runs end,
    # so a click during a rerun (the click itself starts one) could download nothing (seen
    # on a loaded CI machine). These bytes keep one id while they are unchanged, and the
    # click does not rerun the page.
    st.download_button("Download the table (CSV)", csv.encode("utf-8"),
                       file_name=f"{c['scenario']}-vs-{c['base']}.csv", mime="text/csv", key="compare_csv",
                       on_click="ignore")
