"""The About page: engines, what is approximate, sources and licences, what leaves the computer."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.common import planner
from estate.outputs import ui_text as T
from estate.outputs import views


def page(c: dict[str, Any]) -> None:
    st.header("About the data")
    p = planner()
    london = p.area.is_london
    st.markdown(T.ABOUT_INTRO if london else T.about_intro_area(p.area.label, len(p.units.frame)))
    st.subheader("Travel-time engines")
    for row in views.engine_status(planner()).to_dict("records"):
        if row["Problem"]:
            st.error(f"**{row['Mode']}**: {row['Problem']}")
        else:
            st.markdown(f"- **{row['Mode']}**: {row['Engine and assumptions']}")
    if london:
        st.markdown(T.ABOUT_APPROXIMATE)
    st.subheader("What leaves this computer")
    st.markdown(T.ABOUT_PRIVACY)
    st.subheader("Data sources and licences")
    sources = T.ABOUT_DATA_SOURCES if london else T.ABOUT_NATIONAL_SOURCES
    st.markdown("\n".join(f"- **{what}**: {source}. *{licence}*" for what, source, licence in sources))
    st.caption(f"Data folder: {p.data_dir}. Scenario folder: {p.scenarios_dir}.")
