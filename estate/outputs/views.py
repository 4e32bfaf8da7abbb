"""What the app shows, computed: headline figures, the borough table and its
colours, the chart frame, engine status.  Pure functions of coverage results;
no streamlit here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from estate import text
from estate.coverage import WHOLE_CODES, CoverageResult
from estate.outputs import _palette as palette
from estate.outputs.scales import value_text
from estate.outputs.tables import compare_frame
from estate.outputs.ui_text import TABLE_COLUMNS, band_label, mode_label
from geodata.travel.base import MODES

__all__ = [
    "BoroughChange",
    "Headline",
    "borough_table",
    "borough_table_of",
    "case_flows_frame",
    "case_groups_frame",
    "case_thresholds_frame",
    "case_times_frame",
    "change_chart",
    "change_chart_frame",
    "comparison_title",
    "engine_failure_message",
    "engine_status",
    "headline",
    "point_frame",
    "style_borough_table",
    "try_engine",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoroughChange:
    """One borough's residents beyond the threshold, before and after."""

    code: str
    name: str
    base: int
    scenario: int

    @property
    def change(self) -> int:
        """Residents added beyond the threshold (negative: fewer)."""
        return self.scenario - self.base


@dataclass(frozen=True)
class Headline:
    """The headline of a comparison: London and the worst-hit boroughs."""

    threshold: int
    population: int
    london: BoroughChange
    worst: tuple[BoroughChange, ...]
    base_share: float
    scenario_share: float

    def sentence(self, base_title: str = "the base", scenario_title: str = "the scenario") -> str:
        """One plain sentence for the page."""
        ch = self.london.change
        verb = "more" if ch > 0 else "fewer"
        if ch == 0:
            return (f"{scenario_title} leaves the number of residents more than {self.threshold} minutes "
                    f"from an open counter unchanged ({text.count(self.london.base)}).")
        return (f"{text.count(abs(ch))} {verb} residents are more than {self.threshold} minutes from an open "
                f"counter: {text.count(self.london.base)} in {base_title}, "
                f"{text.count(self.london.scenario)} in {scenario_title}.")


def headline(base: CoverageResult, scenario: CoverageResult, threshold: int, *, worst: int = 5) -> Headline:
    """Residents beyond ``threshold`` minutes in base and scenario, London-wide and worst-hit boroughs.

    The worst-hit boroughs are those with the largest increase (ties: larger
    population first); boroughs with no increase are left out.
    """
    n = len(scenario.area_codes)
    b = np.rint(base.beyond(threshold)).astype(np.int64)
    s = np.rint(scenario.beyond(threshold)).astype(np.int64)
    pop = scenario.metrics["all"]["population"]
    order = sorted(range(n), key=lambda i: (-(s[i] - b[i]), -pop[i]))
    worst_list = tuple(
        BoroughChange(str(scenario.area_codes[i]), str(scenario.area_names[i]), int(b[i]), int(s[i]))
        for i in order[:worst] if s[i] - b[i] > 0
    )
    london = BoroughChange(*scenario.whole, int(b[n]), int(s[n]))
    return Headline(threshold, round(float(pop[n])), london, worst_list,
                    float(base.share_within(threshold)[n]), float(scenario.share_within(threshold)[n]))


def borough_table(base: CoverageResult, scenario: CoverageResult, threshold: int) -> pd.DataFrame:
    """The borough comparison table (London row left out), labelled for people.

    Sorted by the change in residents beyond the threshold, largest increase first.
    """
    return borough_table_of(compare_frame(base, scenario, threshold), threshold)


def borough_table_of(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """:func:`borough_table` from a :func:`~estate.outputs.tables.compare_frame` already made
    (the app makes one per view, for the table and its CSV)."""
    t = threshold
    df = frame[~frame["code"].isin(WHOLE_CODES)]
    out = pd.DataFrame({
        "name": df["name"],
        "beyond_base": df[f"beyond_{t}_base"], "beyond_scenario": df[f"beyond_{t}_scenario"],
        "beyond_change": df[f"beyond_{t}_change"],
        "share_base": (df[f"share_within_{t}_base"].astype(float) * 100).round(1),
        "share_scenario": (df[f"share_within_{t}_scenario"].astype(float) * 100).round(1),
        "share_change": (df[f"share_within_{t}_change"].astype(float) * 100).round(1),
        "open_sites_base": df["open_sites_base"], "open_sites_scenario": df["open_sites_scenario"],
        "open_24_7_base": df["open_24_7_base"], "open_24_7_scenario": df["open_24_7_scenario"],
        "mean_base": df["mean_min_base"].astype(float).round(1),
        "mean_scenario": df["mean_min_scenario"].astype(float).round(1),
        "mean_change": df["mean_min_change"].astype(float).round(1),
        "population": df["population"],
    })
    out = out.sort_values(["beyond_change", "population"], ascending=[False, False])
    out = out.rename(columns={k: v.format(t=t) for k, v in TABLE_COLUMNS.items()})
    return out.reset_index(drop=True)


def _diverging(values: pd.Series, *, higher_is_worse: bool) -> list[str]:
    """Background colours: the palette's ``worse`` (orange) and ``better`` (purple), none at zero."""
    v = pd.to_numeric(values, errors="coerce").replace([np.inf, -np.inf], np.nan).to_numpy(float)
    finite = v[np.isfinite(v)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    out = []
    for x in v:
        if not np.isfinite(x) or scale == 0 or x == 0:
            out.append("")
            continue
        worse = (x > 0) == higher_is_worse
        a = 0.15 + 0.55 * min(abs(x) / scale, 1.0)
        ink = palette.colour("highlight") if a < 0.5 else palette.colour("background")
        out.append(f"background-color: {palette.rgba('worse' if worse else 'better', a)}; color: {ink}")
    return out


def style_borough_table(df: pd.DataFrame, threshold: int) -> Styler:
    """Colour the change columns of :func:`borough_table` (orange worse, purple better) and format numbers."""
    t = threshold
    cols = {k: v.format(t=t) for k, v in TABLE_COLUMNS.items()}
    sty = df.style
    for key, worse in (("beyond_change", True), ("share_change", False), ("mean_change", True)):
        c = cols[key]
        sty = sty.apply(lambda s, w=worse: _diverging(s, higher_is_worse=w), subset=[c])
    ints = [cols[k] for k in ("population", "beyond_base", "beyond_scenario")]
    sty = sty.format(text.count, subset=ints)
    sty = sty.format(lambda v: text.count(v, signed=True), subset=[cols["beyond_change"]])
    sty = sty.format(lambda v: text.number(v, signed=True), subset=[cols["share_change"]])
    sty = sty.format(lambda v: text.minutes(v, signed=True), subset=[cols["mean_change"]])
    sty = sty.format(text.number, subset=[cols["share_base"], cols["share_scenario"]])
    sty = sty.format(text.minutes, subset=[cols["mean_base"], cols["mean_scenario"]])
    return sty


def change_chart_frame(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Borough, change in residents beyond the threshold, its class and bar colour (the palette's
    worse / no change / better), and the tooltip text; sorted by change, largest rise first."""
    cols = {k: v.format(t=threshold) for k, v in TABLE_COLUMNS.items()}
    ch = table[cols["beyond_change"]].astype(float).round()
    cls = np.where(ch > 0, "worse", np.where(ch < 0, "better", "no change"))
    out = pd.DataFrame({
        "Borough": table[cols["name"]].astype(str).to_numpy(),
        "Change in residents": ch.to_numpy(),
        "class": cls,
        "colour": [palette.colour(c) for c in cls],
        "Change": [value_text(float(v), "residents", change=True, threshold=threshold) for v in ch],
    })
    return out.sort_values(["Change in residents", "Borough"], ascending=[False, True]).reset_index(drop=True)


def change_chart(table: pd.DataFrame, threshold: int) -> Any:
    """The borough bar chart of the change in residents beyond ``threshold`` (an Altair chart).

    The bar colours are the frame's own (``scale=None``): a chart library
    cannot reassign them.  Every borough is labelled; zero is the neutral
    "no change" colour with an outline so it shows.
    """
    import altair as alt

    df = change_chart_frame(table, threshold)
    order = list(df["Borough"])
    edge = palette.colour("swatch edge")
    return (
        alt.Chart(df)
        .mark_bar(stroke=edge, strokeWidth=0.5)
        .encode(
            x=alt.X("Change in residents:Q", title=f"Change in residents beyond {threshold} min",
                    axis=alt.Axis(format="+,d")),
            y=alt.Y("Borough:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False)),
            color=alt.Color("colour:N", scale=None),
            tooltip=[alt.Tooltip("Borough:N"), alt.Tooltip("Change:N", title="Change")],
        )
        .properties(height=alt.Step(17))
    )


def try_engine(planner: Any, mode: str) -> tuple[str, str | None]:
    """The engine's description for ``mode``, or ``("", message)`` when it cannot be built."""
    try:
        eng = planner.engine(mode)
        return f"{eng.name}: {eng.describe()}", None
    except Exception as exc:  # any engine failure must reach the user as a message
        log.warning("engine for %s failed: %s", mode, exc, exc_info=True)
        return "", engine_failure_message(mode, exc)


def engine_failure_message(mode: str, exc: BaseException) -> str:
    """A plain message for an engine (or its matrix) that failed."""
    return (f"The {mode_label(mode).lower()} travel-time engine is not available: "
            f"{type(exc).__name__}: {exc}. Choose another mode; the other pages still work.")


def engine_status(planner: Any, modes: tuple[str, ...] = MODES) -> pd.DataFrame:
    """One row per mode: its label, engine description, or what went wrong."""
    rows = []
    for m in modes:
        desc, err = try_engine(planner, m)
        rows.append({"Mode": mode_label(m), "Engine and assumptions": desc or text.MISSING, "Problem": err or ""})
    return pd.DataFrame(rows)


def comparison_title(base_id: str, scenario_id: str, mode: str, band: str, threshold: int) -> str:
    """A short title for maps and downloads.

    Examples
    --------
    >>> comparison_title("baseline-2024", "outcome-2026", "walk", "night", 45)
    'outcome-2026 vs baseline-2024: walking, night (Wed 03:00), 45 min'
    """
    return f"{scenario_id} vs {base_id}: {mode_label(mode).lower()}, {band_label(band)}, {threshold} min"


def case_times_frame(bc: Any) -> pd.DataFrame:
    """Before/after minutes of a closed site's catchment (an evidence ``BandCase``)."""
    rows = []
    for label, key in (("Mean", "mean"), ("Median", "median"), ("95th percentile", "p95"), ("Longest", "max")):
        b = getattr(bc.before, key) if bc.before else None
        a = getattr(bc.after, key) if bc.after else None
        rows.append({"Minutes": label, "Before": text.minutes(b), "After": text.minutes(a)})
    return pd.DataFrame(rows)


def ranked_cases_frame(ev: Any) -> pd.DataFrame:
    """Every case of an evidence (closures, hours cuts, openings), by rank: verdict, severity, figures as text."""
    rows = []
    for c in ev.cases:
        bc = c.bands.get(c.worst_band)
        has = bc is not None and bc.has_catchment
        rows.append({
            "Rank": str(c.rank) if c.rank else "not ranked", "Site": c.name, "Change": c.change,
            "Borough": c.area_name, "Severity": c.severity, "Worst band": c.worst_band if has else "",
            "Newly beyond 45 min": text.count(bc.newly_beyond.get(45)) if has and bc is not None else "",
            "Breaks rules": ", ".join(c.rule_breaches), "Verdict": c.verdict,
        })
    return pd.DataFrame(rows, columns=["Rank", "Site", "Change", "Borough", "Severity", "Worst band",
                                       "Newly beyond 45 min", "Breaks rules", "Verdict"])


def case_flows_frame(bc: Any) -> pd.DataFrame:
    """Where a closed site's residents go instead (or an opened site's came from): site, share, minutes, hours."""
    head = "Came from" if bc.effect == "gain" else "Goes to"
    return pd.DataFrame([{
        head: f.name or "no counter within reach", "Borough": f.area_name,
        "Residents": text.count(f.residents), "Share": text.share(f.share),
        "Mean minutes": text.minutes(f.mean_minutes), "Hours": f.hours, "24/7": "yes" if f.is_24_7 else "no",
        "Open at night": "yes" if f.open_at_night else "no",
    } for f in bc.flows], columns=[head, "Borough", "Residents", "Share", "Mean minutes", "Hours",
                                   "24/7", "Open at night"])


def case_groups_frame(bc: Any) -> pd.DataFrame:
    """Who lives in the catchment: each group's share there, in the borough and in London."""
    from geodata.areas import GROUPS

    return pd.DataFrame([{
        "Group": label, "Residents": text.count(bc.group_residents.get(g, 0.0)),
        "Catchment": text.share(bc.group_share.get(g)),
        "Borough": text.share(bc.borough_share.get(g)),
        "London": text.share(bc.london_share.get(g)),
    } for g, label in GROUPS.items()])


def case_thresholds_frame(bc: Any) -> pd.DataFrame:
    """Residents pushed past (or brought within) each threshold."""
    ts = sorted(set(bc.newly_beyond) | set(bc.newly_within))
    return pd.DataFrame([{"Threshold (min)": t, "Newly beyond": text.count(bc.newly_beyond.get(t, 0.0)),
                          "Newly within": text.count(bc.newly_within.get(t, 0.0))} for t in ts])


def point_frame(answer: Any, base_id: str, scenario_id: str) -> pd.DataFrame:
    """A point query's answers (:class:`estate.pointquery.PointAnswer`): one row per mode and band."""
    rows = []
    for a in answer.answers:
        ch = a.change
        rows.append({
            "Mode": mode_label(str(a.mode)), "Time": a.band.label,
            f"Minutes ({scenario_id})": text.minutes(a.scenario.minutes),
            f"Nearest open counter ({scenario_id})": a.scenario.name or "none within reach",
            f"Minutes ({base_id})": text.minutes(a.base.minutes),
            f"Nearest open counter ({base_id})": a.base.name or "none within reach",
            "Change": "no change" if ch == 0 else ("none in reach in either" if ch != ch
                                                   else text.minutes(ch, signed=True, unit=True)),
        })
    return pd.DataFrame(rows)
