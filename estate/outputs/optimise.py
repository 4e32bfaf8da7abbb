"""How an optimiser answer reads: the CLI's table, the trade-off curve as a table and a chart.

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

__all__ = ["answer_text", "curve_chart_html", "curve_chart_png", "curve_text", "harm_value"]

_COUNT_LABEL = {"close": "closures", "open": "new contact points", "keep-24-7": "counters open 24/7"}


def harm_value(v: float, unit: str, *, signed: bool = False) -> str:
    """A harm figure: residents as a count, minutes to two decimals."""
    if unit == "residents":
        return text.count(v, signed=signed)
    return text.number(v, 2, signed=signed)


def _gap(ans: Answer) -> str:
    if ans.optimal:
        return "proven optimal"
    if ans.gap is not None and math.isfinite(ans.gap):
        return f"within {text.share(ans.gap, digits=2)} of the best bound (time limit reached)"
    return "no bound (the heuristic proves none; --method exact gives one)"


def answer_text(ans: Answer, *, engine_note: str = "") -> str:
    """The answer as the CLI prints it: what was asked, how it was solved, harm, each change."""
    u = ans.harm.unit
    lines = [
        f"{ans.scenario.title}",
        f"question: {ans.question} from {ans.scenario.base}; mode {ans.mode}; harm = {ans.harm.describe()}",
        f"method: {ans.to_dict()['method_label']}: {_gap(ans)}; {text.number(ans.seconds, 2)} s",
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
