"""How an optimiser answer reads: the CLI's table, the app's frames, the trade-off curve as a
table and a chart (PNG/HTML for files, Altair for the app).

Handed an :class:`~estate.optimise.Answer` (or its curve); never runs the optimiser.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from estate import text

if TYPE_CHECKING:
    from estate.optimise import Answer, CurvePoint

__all__ = ["ANSWER_LABEL", "CURVE_HEURISTIC_NOTE", "MAX_COUNT", "MEASURE_LABELS", "METHOD_LABELS", "PAGE_HELP", "PAGE_INTRO", "QUESTION_LABELS",
           "RULES_LABELS", "STALE_NOTE", "answer_text", "changes_frame", "curve_chart", "curve_chart_html",
           "curve_chart_png", "curve_frame", "curve_text", "gap_text", "harm_frame", "harm_value", "link_choices", "method_text", "page_words"]

_COUNT_LABEL = {"close": "closures", "open": "new contact points", "keep-24-7": "counters open 24/7"}


def harm_value(v: float, unit: str, *, signed: bool = False) -> str:
    """A harm figure: residents as a count, minutes to two decimals."""
    if unit == "residents":
        return text.count(v, signed=signed)
    return text.number(v, 2, signed=signed)


def gap_text(ans: Answer, *, exact_hint: str = "--method exact gives one") -> str:
    """How good the answer is known to be: proven optimal, the gap to the best bound, or no bound."""
    if ans.optimal:
        return "proven optimal"
    if ans.gap is not None and math.isfinite(ans.gap):
        return f"within {text.share(ans.gap, digits=2)} of the best bound (time limit reached)"
    return f"no bound (the heuristic proves none; {exact_hint})"


def method_text(ans: Answer) -> str:
    """One sentence: which method produced the answer, how good it is known to be, and how long it took."""
    label = ans.to_dict()["method_label"]
    return (f"Found by the {label}: {gap_text(ans, exact_hint='the exact method gives one')}; "
            f"{text.number(ans.seconds, 2)} s.")


_KIND_LABEL = {"close": "close", "open": "open", "set_hours": "set hours"}


def changes_frame(ans: Answer) -> Any:
    """The answer's changes, one row each: change, site, borough, new hours, its harm figure, rationale."""
    import pandas as pd

    u = ans.harm.unit
    rows = [{"Change": _KIND_LABEL[kind], "Site": r["name"], "Borough": r["borough"], "Hours": r.get("hours", ""),
             f"Harm change ({u})": "" if r["harm_change"] is None else harm_value(r["harm_change"], u, signed=True),
             "Rationale": r["rationale"], "site_id": r["id"]}
            for kind in ("close", "open", "set_hours") for r in ans.changes[kind]]
    cols = ["Change", "Site", "Borough", "Hours", f"Harm change ({u})", "Rationale", "site_id"]
    return pd.DataFrame(rows, columns=cols)


def harm_frame(ans: Answer) -> Any:
    """Harm of the start, of the answer and the difference: each band's own figure, then the weighted total."""
    import pandas as pd

    u = ans.harm.unit
    rows = []
    if len(ans.per_band) > 1:
        for b, v in ans.per_band.items():
            s = ans.start_per_band[b]
            rows.append({"Harm": b, f"Start ({ans.scenario.base})": harm_value(s, u), "Answer": harm_value(v, u),
                         "Difference": harm_value(v - s, u, signed=True)})
    rows.append({"Harm": "total" if len(ans.per_band) > 1 else ans.harm.describe(),
                 f"Start ({ans.scenario.base})": harm_value(ans.start_value, u), "Answer": harm_value(ans.value, u),
                 "Difference": harm_value(ans.difference, u, signed=True)})
    return pd.DataFrame(rows)


def curve_frame(curve: Sequence[CurvePoint], question: str, unit: str) -> Any:
    """The trade-off curve as a frame: count, harm, the step from the previous count, the sites."""
    import pandas as pd

    label = _COUNT_LABEL.get(question, "count")
    rows, prev = [], None
    for p in curve:
        row = {label.capitalize(): p.count, f"Harm ({unit})": float(p.value),
               "Step": "" if prev is None else harm_value(p.value - prev, unit, signed=True),
               "Sites": ", ".join(p.sites)}
        row.update({f"Within, {b}": text.share(s) for b, s in p.share_within.items()})
        rows.append(row)
        prev = p.value
    return pd.DataFrame(rows)


def curve_chart(curve: Sequence[CurvePoint], question: str, unit: str, *, chosen: int | None = None) -> Any:
    """The trade-off curve as an Altair line chart; the answer's own count marked in the 'highlight' colour."""
    import altair as alt
    import pandas as pd

    from estate.outputs import _palette as palette

    label = _COUNT_LABEL.get(question, "count")
    df = pd.DataFrame({"count": [p.count for p in curve], "harm": [float(p.value) for p in curve],
                       "text": [harm_value(p.value, unit) for p in curve],
                       "answer": [p.count == chosen for p in curve]})
    base = alt.Chart(df).encode(
        x=alt.X("count:Q", title=f"Number of {label}", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("harm:Q", title=f"Harm ({unit})", scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("count:Q", title=label.capitalize()), alt.Tooltip("text:N", title="Harm")])
    line = base.mark_line(point=True, color=palette.colour("open"))
    mark = base.transform_filter(alt.datum.answer).mark_point(size=160, filled=False, strokeWidth=2,
                                                              color=palette.colour("closing"))
    return (line + mark).properties(height=320)


def answer_text(ans: Answer, *, engine_note: str = "") -> str:
    """The answer as the CLI prints it: what was asked, how it was solved, harm, each change."""
    u = ans.harm.unit
    lines = [
        f"{ans.scenario.title}",
        f"question: {ans.question} from {ans.scenario.base}; mode {ans.mode}; harm = {ans.harm.describe()}",
        f"method: {ans.to_dict()['method_label']}: {gap_text(ans)}; {text.number(ans.seconds, 2)} s",
        f"harm: {harm_value(ans.value, u)} {u} (start {harm_value(ans.start_value, u)}; "
        f"difference {harm_value(ans.difference, u, signed=True)})",
    ]
    if len(ans.per_band) > 1:
        for b, v in ans.per_band.items():
            lines.append(f"  {b}: {harm_value(v, u)} (start {harm_value(ans.start_per_band[b], u)})")
    for kind in ("close", "open", "set_hours"):
        rows = ans.changes[kind]
        if not rows:
            continue
        lines.append(f"{kind} ({len(rows)}):")
        for r in rows:
            fig = "" if r["harm_change"] is None else f"  [{harm_value(r['harm_change'], u, signed=True)}]"
            hours = f" -> {r['hours']}" if r.get("hours") else ""
            lines.append(f"  {r['id']:<28} {r['name']} ({r['borough']}){hours}{fig}")
    if ans.rules_broken:
        lines.append(f"rules broken: {', '.join(ans.rules_broken)}")
    lines.append(f"rules: {ans.rules_source}")
    for n in ans.notes[2:]:
        lines.append(f"note: {n}")
    if engine_note:
        lines.append(f"engine: {engine_note}")
    if ans.curve is not None:
        lines.append("")
        lines.append(curve_text(ans.curve, ans.question, u))
    return "\n".join(lines)


def curve_text(curve: Sequence[CurvePoint], question: str, unit: str) -> str:
    """The trade-off curve as a plain table: count, harm, change from the previous count, shares."""
    head = f"{_COUNT_LABEL.get(question, 'count'):>20}  {'harm (' + unit + ')':>16}  {'step':>12}  within"
    out = [head]
    prev = None
    for p in curve:
        step = "" if prev is None else harm_value(p.value - prev, unit, signed=True)
        shares = ", ".join(f"{b} {text.share(s)}" for b, s in p.share_within.items())
        out.append(f"{p.count:>20}  {harm_value(p.value, unit):>16}  {step:>12}  {shares}")
        prev = p.value
    return "\n".join(out)


def _figure(curve: Sequence[CurvePoint], question: str, unit: str, title: str) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.plot([p.count for p in curve], [p.value for p in curve], marker="o", color="#0072B2")
    ax.set_xlabel(f"number of {_COUNT_LABEL.get(question, 'sites')}")
    ax.set_ylabel(f"harm ({unit})")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def curve_chart_png(curve: Sequence[CurvePoint], question: str, unit: str, title: str) -> bytes:
    """The trade-off curve as a PNG (matplotlib, no fonts or scripts fetched)."""
    import matplotlib.pyplot as plt

    fig = _figure(curve, question, unit, title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def curve_chart_html(curve: Sequence[CurvePoint], question: str, unit: str, title: str) -> str:
    """A self-contained HTML page: the chart as an inline SVG and the table beside it."""
    import matplotlib.pyplot as plt

    fig = _figure(curve, question, unit, title)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    rows = "".join(
        f"<tr><td>{p.count}</td><td>{html.escape(harm_value(p.value, unit))}</td>"
        f"<td>{html.escape(', '.join(p.sites))}</td></tr>" for p in curve)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body style='font-family:sans-serif'><h1 style='font-size:1.1em'>{html.escape(title)}</h1>{svg}"
            f"<table border='1' cellpadding='3'><tr><th>{html.escape(_COUNT_LABEL.get(question, 'count'))}</th>"
            f"<th>harm ({html.escape(unit)})</th><th>sites</th></tr>{rows}</table></body></html>")


# ---- the app's Optimise page: its words -----------------------------------------------------
#: The three questions as the page offers them.
QUESTION_LABELS: dict[str, str] = {
    "close": "Close k counters (least harm)",
    "open": "Open k contact points (candidate hosts)",
    "keep-24-7": "Choose the 24/7 counters",
}
#: The measures as the page offers them.
MEASURE_LABELS: dict[str, str] = {
    "beyond": "Residents beyond the threshold",
    "mean": "Population-weighted mean minutes",
}
#: The methods as the page offers them.
METHOD_LABELS: dict[str, str] = {
    "heuristic": "Heuristic (greedy, then swaps: well under a second)",
    "exact": "Exact (HiGHS mixed-integer model, proven gap; seconds, up to the time limit)",
}
#: The rule choices.
RULES_LABELS: dict[str, str] = {
    "default": "Default: every borough keeps a counter and a 24/7 counter (City of London exempt)",
    "none": "None (any counter may close)",
}
#: Help beside the page's widgets.
PAGE_HELP: dict[str, str] = {
    "question": "Close: which open sites to close for least harm. Open: where new contact points in "
                "candidate hosts win most back. 24/7: which counters stay open round the clock, the rest "
                "on the start's part-time hours.",
    "start": "The scenario the answer changes (the CLI's --from). Its open sites are the candidates to close.",
    "k": "How many to close (or to open). The borough rules may allow fewer: the optimiser says how many.",
    "m": "How many counters stay open 24/7.",
    "target": "The fewest 24/7 counters keeping this share of residents within the threshold in every band.",
    "rules": "Borough rules the answer must keep (the CLI's --rules). Choosing the 24/7 set does not apply the "
             "24/7-per-borough rule: that rule is the question.",
    "measure": "Beyond: residents beyond the sidebar's threshold (maximal covering). Mean: population-weighted "
               "mean minutes, a resident with no site within the cutoff counted at the cutoff (p-median).",
    "bands": "The times of the week harm is judged in; each band's figure is multiplied by its weight and summed.",
    "method": "The heuristic is for interactive use; the exact model proves how far from the optimum the answer "
              "can be.",
    "time_limit": "Seconds the exact model may run; the answer then says its gap to the best bound.",
    "lock_open": "Sites that must stay open (close), be opened (open) or stay 24/7 (24/7).",
    "lock_closed": "Sites that must close (close), not be opened (open) or go part-time (24/7).",
    "allow_unlocated": "Sites with no location are in no travel time, so closing them would look free: they stay "
                       "open unless this is ticked.",
    "hosts": "Only candidates of these host types (none chosen: every host type). Hours per host type are "
             "assumed, not published.",
    "curve": "Harm against the number changed, k = 1..N, each point solved on its own (heuristic).",
    "open_in_build": "Make this answer the Build page's draft: edit it, see each edit's effect, save it.",
}
#: Said under the page's heading.
PAGE_INTRO = ("Which counters to close, where new contact points would win most back, and which counters stay "
              "open 24/7, judged by residents' travel times. Travel mode and threshold are the sidebar's.")
#: Said beside the curve when the answer came from the exact model.
CURVE_HEURISTIC_NOTE = "Each point of the curve is the heuristic's answer for that count (no bound)."
#: Said when the choices changed since the answer shown.
#: what "Open in Build" offers in place of a draft with unsaved edits (Build's discard question names it)
ANSWER_LABEL = "the optimiser's answer"
STALE_NOTE = "The choices changed since this answer: press Run for the current ones."


#: the largest k or m the page (and a link) offers
MAX_COUNT = 100


def link_choices(ids: Sequence[str]) -> dict[str, list[str]]:
    """The values a link may give each of the Optimise page's choices (each is also the widget's key)."""
    from estate.optimise.names import MEASURES, METHODS, QUESTIONS

    counts = [str(i) for i in range(1, MAX_COUNT + 1)]
    return {"question": list(QUESTIONS), "start": list(ids), "k": counts, "m": counts,
            "target": [str(i) for i in range(1, 101)], "measure": list(MEASURES), "method": list(METHODS),
            "rules": list(RULES_LABELS)}


#: The CLI's option names in the optimiser's sentences -> the Optimise page's controls (longest first).
_PAGE_WORDS: tuple[tuple[str, str], ...] = (
    ("(--rules FILE, or --rules none)", "(Borough rules: None)"),
    ("--allow-unlocated", "'Allow sites with no location to close'"),
    ("--lock-open or --lock-closed", "one of the two lock lists"),
    ("--measure beyond", "the harm 'Residents beyond the threshold'"),
    ("--method exact", "the exact method"),
    ("--rules", "Borough rules"),
)


def page_words(sentence: str) -> str:
    """An optimiser sentence (refusal or note) with the CLI's option names put as the page's controls.

    Examples
    --------
    >>> page_words("ask for 3 or fewer, or give other rules (--rules FILE, or --rules none)")
    'ask for 3 or fewer, or give other rules (Borough rules: None)'
    """
    for cli, page in _PAGE_WORDS:
        sentence = sentence.replace(cli, page)
    return sentence
