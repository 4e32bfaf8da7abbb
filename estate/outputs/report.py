"""The committee report of an evidence pack, as self-contained HTML and as PDF.

Both are rendered from one document model (:func:`build_document`: headings,
paragraphs, fact lists, tables, figures), so they always carry the same
sections and the same figures:

1. the scenario summary, London-wide and per borough, for every summary band;
2. the borough rule checks;
3. an overview map, and a contents list of the sites;
4. one section per closed, re-houred or opened site with its map and figures;
5. method, definitions and data sources (with their licences).

Every number comes from :class:`estate.evidence.Evidence`; nothing is typed
in.  The HTML embeds its maps as base64 PNG and loads nothing from the
network.  The PDF uses DejaVu Sans (shipped with matplotlib) for full
Unicode text.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estate.evidence import (
    CHANGE_CLOSED,
    CHANGE_HOURS,
    CHANGE_OPENED,
    EFFECT_GAIN,
    EFFECT_LOSS,
    BandCase,
    Evidence,
    SiteCase,
    TimeStats,
)
from estate.outputs.staticmaps import map_key
from estate.rules import STATUS_ALREADY_FAILING, STATUS_BROKEN
from geodata.areas import GROUPS

__all__ = [
    "Block",
    "Facts",
    "Figure",
    "Heading",
    "PageBreak",
    "Para",
    "Table",
    "build_document",
    "fmt_int",
    "fmt_minutes",
    "fmt_pct",
    "render_html",
    "render_pdf",
]

_GROUP_SHORT = {"age_65_plus": "aged 65+", "imd_decile_1_2": "in IMD deciles 1-2 (most deprived 20%)"}
_CHANGE_VERB = {CHANGE_CLOSED: "closes", CHANGE_OPENED: "opens", CHANGE_HOURS: "changes its hours"}


# ---- formatting -------------------------------------------------------------------

def fmt_int(x: float | None) -> str:
    """Residents with thousands separators; a dash when missing.

    Examples
    --------
    >>> fmt_int(1234567.4), fmt_int(None), fmt_int(float("nan"))
    ('1,234,567', '—', '—')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{round(float(x)):,}"


def fmt_minutes(x: float | None, *, signed: bool = False) -> str:
    """Minutes to one decimal; ``no site`` when unreachable; a dash when missing.

    Examples
    --------
    >>> fmt_minutes(12.345), fmt_minutes(3.0, signed=True), fmt_minutes(float("inf"))
    ('12.3', '+3.0', 'no site in reach')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "no site in reach" if x > 0 else "—"
    return f"{x:+.1f}" if signed else f"{x:.1f}"


def fmt_pct(x: float | None, *, signed: bool = False) -> str:
    """A share as a percentage to one decimal (``signed``: percentage points).

    Examples
    --------
    >>> fmt_pct(0.1234), fmt_pct(-0.05, signed=True)
    ('12.3%', '-5.0 pts')
    """
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return "—"
    return f"{x * 100:+.1f} pts" if signed else f"{x * 100:.1f}%"


def _arrow(a: str, b: str) -> str:
    return a if a == b else f"{a} → {b}"


def _said(x: float | None) -> str:
    """Minutes inside a sentence: ``undefined`` rather than 'no site in reach'.

    Examples
    --------
    >>> _said(12.34), _said(float("inf"))
    ('12.3', 'undefined')
    """
    if x is not None and isinstance(x, float) and math.isinf(x):
        return "undefined"
    return fmt_minutes(x)


def _cap(text: str) -> str:
    """Capitalise the first letter only.

    Examples
    --------
    >>> _cap("night (Wed 03:00)")
    'Night (Wed 03:00)'
    """
    return text[:1].upper() + text[1:]


def _yes(b: bool) -> str:
    return "yes" if b else "no"


# ---- the document model -------------------------------------------------------------

@dataclass
class Heading:
    """A section heading; ``anchor`` makes it a link target (and a PDF bookmark)."""

    text: str
    level: int = 2
    anchor: str = ""


@dataclass
class Para:
    """A paragraph; ``style`` is ``body``, ``note``, ``flag`` (a rule broken) or ``small``."""

    text: str
    style: str = "body"
    link: str = ""


@dataclass
class Facts:
    """Label: value rows; values that are web addresses become links."""

    rows: list[tuple[str, str]]


@dataclass
class Table:
    """A table of text cells; ``numeric`` columns align right; ``highlight`` rows stand out."""

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: set[int] = field(default_factory=set)
    highlight: set[int] = field(default_factory=set)
    #: relative column widths for the PDF (None: equal)
    widths: list[float] | None = None
    small: bool = False


@dataclass
class Figure:
    """A map, by its key in the maps dictionary."""

    key: str
    caption: str


@dataclass
class PageBreak:
    """A new page in the PDF (a rule in the HTML)."""


Block = Heading | Para | Facts | Table | Figure | PageBreak


def _anchor(site_id: str) -> str:
    return f"site-{site_id}"


def _summary_blocks(ev: Evidence) -> list[Block]:
    out: list[Block] = [Heading("Summary", 2, "summary")]
    n_c, n_o, n_h = len(ev.closed), len(ev.opened), len(ev.rehoured)
    if ev.is_empty:
        out += [Para(note, "flag") for note in ev.notes]
    else:
        parts = [f"closes {n_c} site{'s' if n_c != 1 else ''}"]
        if n_h:
            parts.append(f"changes the opening hours of {n_h}")
        parts.append(f"opens {n_o}")
        out.append(Para(f"Against {ev.against_title} ({ev.against}), this scenario " + ", ".join(parts) + "."))
        out += [Para(note, "note") for note in ev.notes]
    th = ev.thresholds
    for band in ev.summary_bands:
        row = ev.london(band.name)
        out.append(Heading(f"London: {band.label}", 3))
        text = (f"Open sites {_arrow(str(row['open_sites_base']), str(row['open_sites_scenario']))}; "
                f"open 24/7 {_arrow(str(row['open_24_7_base']), str(row['open_24_7_scenario']))}. "
                f"Minutes to the nearest open site: mean {_said(row['mean_min_base'])} → "
                f"{_said(row['mean_min_scenario'])}; median {_said(row['median_min_base'])} → "
                f"{_said(row['median_min_scenario'])}; 95th percentile {_said(row['p95_min_base'])} → "
                f"{_said(row['p95_min_scenario'])}.")
        if row["unreachable_base"] or row["unreachable_scenario"]:
            text += (f" Residents with no open site within reach: {fmt_int(row['unreachable_base'])} → "
                     f"{fmt_int(row['unreachable_scenario'])} (so the mean, and any percentile they reach, "
                     "is undefined).")
        out.append(Para(text))
        rows = []
        for t in th:
            rows.append([
                f"{t} min", fmt_pct(row[f"share_within_{t}_base"]), fmt_pct(row[f"share_within_{t}_scenario"]),
                fmt_pct(row[f"share_within_{t}_change"], signed=True), fmt_int(row[f"newly_beyond_{t}"]),
                *(fmt_int(row[f"{g}_newly_beyond_{t}"]) for g in GROUPS), fmt_int(row[f"newly_within_{t}"]),
            ])
        out.append(Table(
            ["Threshold", "Within it, before", "Within it, after", "Change", "Residents newly beyond",
             "of them 65+", "of them IMD 1-2", "Residents newly within"],
            rows, caption=f"Residents within each threshold of their nearest open site, {band.label}.",
            numeric=set(range(1, 8)), widths=[1.1, 1.2, 1.2, 1.1, 1.4, 1.1, 1.2, 1.3]))
    out.append(Heading("Borough by borough", 2, "boroughs"))
    out.append(Para("Per borough of residence: open sites and 24/7 sites in the borough, the mean journey, the "
                    "change in the share within 30 minutes, and the residents pushed past each threshold. "
                    "Highlighted rows have residents newly beyond a threshold."))
    for band in ev.summary_bands:
        rows, hi = [], set()
        for i, r in enumerate(ev.summary[band.name]):
            pushed = [r[f"newly_beyond_{t}"] for t in th]
            if any(pushed):
                hi.add(i)
            rows.append([
                r["name"], _arrow(str(r["open_sites_base"]), str(r["open_sites_scenario"])),
                _arrow(str(r["open_24_7_base"]), str(r["open_24_7_scenario"])),
                f"{fmt_minutes(r['mean_min_base'])} → {fmt_minutes(r['mean_min_scenario'])}",
                fmt_pct(r.get("share_within_30_change", math.nan), signed=True) if 30 in th else "—",
                *(fmt_int(v) for v in pushed),
            ])
        out.append(Table(["Borough", "Sites", "24/7", "Mean minutes", "Within 30 min",
                          *(f"Newly beyond {t}" for t in th)], rows,
                         caption=f"Boroughs, {band.label}; the last row is London. 'no site in reach': some "
                                 "residents have no open site within the engine's cutoff, so the mean is undefined.",
                         numeric=set(range(1, 5 + len(th))), highlight=hi,
                         widths=[2.6, 0.8, 0.8, 1.5, 1.2, *([1.1] * len(th))], small=True))
    return out


def _rules_blocks(ev: Evidence) -> list[Block]:
    rep = ev.rules
    out: list[Block] = [Heading("Borough rules", 2, "rules")]
    out.append(Para(f"Rules checked ({rep.rules.source}). A rule counts the sites open at some time of the "
                    "week in each borough (of the kinds named), in the base and in the scenario."))
    for s in rep.summary():
        verdict = (f"broken by the scenario in {len(s['broken'])} borough(s): {', '.join(s['broken'])}."
                   if s["broken"] else "not broken by the scenario.")
        out.append(Para(f"{s['title']} ({', '.join(s['kinds'])}; hours: {s['hours']}; at least "
                        f"{s['min_sites']}): {verdict}", "flag" if s["broken"] else "body"))
        if s["already_failing"]:
            out.append(Para(f"Already failing in the base: {', '.join(s['already_failing'])}.", "note"))
        if s["fixed"]:
            out.append(Para(f"Fixed by the scenario: {', '.join(s['fixed'])}.", "note"))
        if s["exempt"]:
            reasons = {c.area_name: c.exempt_reason for c in rep.checks if c.rule_id == s["rule_id"] and c.exempt_reason}
            out.append(Para("Exempt: " + "; ".join(f"{a} ({r})" for a, r in reasons.items()) + ".", "note"))
    rows, hi = [], set()
    for i, c in enumerate(c for c in rep.checks if c.status != "ok"):
        rows.append([c.area_name, c.title, f"{c.base_count} → {c.scenario_count}", c.status])
        if c.status in (STATUS_BROKEN, STATUS_ALREADY_FAILING):
            hi.add(i)
    if rows:
        out.append(Table(["Borough", "Rule", "Qualifying sites", "Status"], rows,
                         caption="Every borough where a rule is not simply met (all others pass).",
                         numeric={2}, highlight=hi, widths=[2.2, 3.6, 1.3, 2.0], small=True))
    return out


def _time_table(bc: BandCase) -> Table:
    gain = bc.effect == EFFECT_GAIN
    b, a = bc.before, bc.after
    assert b is not None and a is not None
    cols = ["Minutes to the nearest open site", "Before", "After", "Change"]
    if gain:
        cols.append("Without this site")
    rows = []
    for label, key in (("mean", "mean"), ("median", "median"), ("95th percentile", "p95"), ("maximum", "max")):
        vb, va = getattr(b, key), getattr(a, key)
        ch = va - vb if math.isfinite(vb) and math.isfinite(va) else (math.inf if math.isinf(va) else math.nan)
        row = [label, fmt_minutes(vb), fmt_minutes(va), fmt_minutes(ch, signed=True)]
        if gain:
            w: TimeStats | None = bc.without
            row.append(fmt_minutes(getattr(w, key)) if w else "—")
        rows.append(row)
    return Table(cols, rows, numeric=set(range(1, len(cols))), widths=[3.2] + [1.3] * (len(cols) - 1),
                 caption="Population-weighted over the catchment's residents (weighted median and percentile).")


def _group_table(bc: BandCase, case: SiteCase) -> Table:
    rows = [["all residents", fmt_int(bc.residents), "100%", "—", "—"]]
    for g in GROUPS:
        rows.append([f"residents {_GROUP_SHORT.get(g, g)}", fmt_int(bc.group_residents.get(g)),
                     fmt_pct(bc.group_share.get(g)), fmt_pct(bc.borough_share.get(g)),
                     fmt_pct(bc.london_share.get(g))])
    return Table(["Who lives in the catchment", "Residents", "Share of catchment",
                  f"Share in {case.area_name or 'the borough'}", "Share in London"], rows,
                 numeric={1, 2, 3, 4}, widths=[3.2, 1.2, 1.3, 1.6, 1.2])


def _flow_table(bc: BandCase) -> Table:
    gain = bc.effect == EFFECT_GAIN
    rows = []
    for f in bc.flows:
        rows.append([f.name, f.area_name or "—", fmt_pct(f.share), fmt_int(f.residents), fmt_minutes(f.mean_minutes),
                     f.hours or "—", _yes(f.is_24_7) if f.site_id else "—", _yes(f.open_at_night) if f.site_id else "—"])
    title = "Where they went before" if gain else "Where they go instead"
    return Table([title, "Borough", "Share", "Residents", "Mean minutes", "Opening hours", "24/7", "Open at night"],
                 rows, numeric={2, 3, 4}, widths=[2.6, 1.6, 0.8, 1.0, 0.9, 2.4, 0.6, 0.8], small=True,
                 caption=("Sites these residents used in the base (minutes: their journey then)." if gain else
                          "Their nearest open site in the scenario (minutes: their journey there). "
                          "'Open at night' is judged at Wed 03:00."))


def _threshold_table(bc: BandCase, thresholds: Sequence[int]) -> Table:
    rows = [[f"{t} min", fmt_int(bc.newly_beyond.get(t)), fmt_int(bc.newly_within.get(t))] for t in thresholds]
    return Table(["Threshold", "Residents newly beyond it", "Residents newly within it"], rows, numeric={1, 2},
                 widths=[3.2, 2.0, 2.0],
                 caption="Newly beyond: before ≤ T < after. Newly within: after ≤ T < before.")


def _band_sentence(case: SiteCase, bc: BandCase, thresholds: Sequence[int]) -> str:
    b, a = bc.before, bc.after
    assert b is not None and a is not None
    if bc.effect == EFFECT_LOSS:
        worst = max(thresholds, key=lambda t: bc.newly_beyond.get(t, 0.0))
        top = bc.flows[0] if bc.flows else None
        s = (f"{_cap(bc.band_label)}: {case.name} was the nearest open site for {fmt_int(bc.residents)} residents "
             f"({len(bc.units)} LSOAs). ")
        if math.isfinite(a.mean):
            s += f"Their mean journey goes from {fmt_minutes(b.mean)} to {fmt_minutes(a.mean)} minutes"
        else:
            s += f"Their median journey goes from {_said(b.median)} to {_said(a.median)} minutes"
        if bc.newly_beyond.get(worst, 0) > 0:
            s += f"; {fmt_int(bc.newly_beyond[worst])} are newly more than {worst} minutes away"
        if top is not None:
            s += f". Most ({fmt_pct(top.share)}) go to {top.name} instead"
        if bc.unreachable > 0:
            s += f"; {fmt_int(bc.unreachable)} have no open site within reach"
        return s + "."
    s = (f"{_cap(bc.band_label)}: {case.name} is the nearest open site for {fmt_int(bc.residents)} residents "
         f"({len(bc.units)} LSOAs). " + (
             f"Against the base their mean journey changes by {fmt_minutes(bc.mean_change, signed=True)} minutes"
             if math.isfinite(bc.mean_change) else
             f"In the base {fmt_int(bc.unreachable)} of them had no open site within reach"))
    if math.isfinite(bc.marginal_saving):
        s += (f"; without this site they would travel {fmt_minutes(bc.marginal_saving)} minutes further on "
              "average to the next open site of the scenario")
    return s + "."


def _site_blocks(ev: Evidence, case: SiteCase) -> list[Block]:
    verb = _CHANGE_VERB[case.change]
    out: list[Block] = [PageBreak(), Heading(f"{case.name} — {verb}", 2, _anchor(case.site_id))]
    for flag in case.rule_flags:
        out.append(Para(f"Rule: {flag}.", "flag"))
    foot = (f"{case.footfall:g} crimes reported a day" + (f" ({case.footfall_note})" if case.footfall_note else "")
            if math.isfinite(case.footfall) else f"not known ({case.footfall_note or 'not published'})")
    facts = [("Borough", case.area_name or "—"), ("Kind", case.kind.replace("_", " ")),
             ("Host", case.host.replace("_", " ")), ("Address", ", ".join(p for p in (case.address, case.postcode) if p) or "—"),
             ("Hours before", case.hours_before), ("Hours after", case.hours_after),
             ("Footfall", foot), ("Rationale", case.rationale or "none given in the scenario"),
             ("Source", case.source or "none given in the scenario")]
    if not case.located:
        facts.append(("Location", f"no location in the sources, catchment not computed ({case.location_note})"))
    out.append(Facts(facts))
    for bname, bc in case.bands.items():
        out.append(Heading(_cap(bc.band_label), 3))
        if bc.note:
            out.append(Para(bc.note, "note"))
        if not bc.has_catchment:
            continue
        out.append(Para(_band_sentence(case, bc, ev.thresholds)))
        out.append(Figure(map_key(case.site_id, bname),
                          f"{case.name}, {bc.band_label}: its catchment (LSOAs shaded by minutes "
                          f"{'saved' if bc.effect == EFFECT_GAIN else 'added'}) and "
                          f"{'where residents went before' if bc.effect == EFFECT_GAIN else 'where residents go instead'}."))
        out.append(_group_table(bc, case))
        out.append(_time_table(bc))
        out.append(_threshold_table(bc, ev.thresholds))
        out.append(_flow_table(bc))
    return out


def _contents_blocks(ev: Evidence) -> list[Block]:
    out: list[Block] = [Heading("The sites", 2, "sites")]
    if not ev.cases:
        out.append(Para("No site is closed, opened or re-houred, so there are no site sections.", "note"))
        return out
    first = ev.bands[0].name
    rows = []
    for c in ev.cases:
        bc = c.bands.get(first)
        res = fmt_int(bc.residents) if bc is not None and bc.has_catchment else "—"
        rows.append([c.name, c.area_name or "—", c.change, res,
                     fmt_int(bc.newly_beyond.get(30)) if bc is not None and bc.has_catchment and 30 in ev.thresholds else "—",
                     "yes" if c.rule_flags else ""])
    out.append(Table(["Site", "Borough", "Change", f"Catchment residents ({first})",
                      f"Newly beyond 30 min ({first})", "Breaks a rule"], rows, numeric={3, 4},
                     widths=[3.0, 2.2, 1.3, 1.6, 1.6, 1.0], small=True,
                     caption="Closures first, then hours changes, then openings; by borough."))
    return out


def _method_blocks(ev: Evidence) -> list[Block]:
    out: list[Block] = [PageBreak(), Heading("Method and sources", 2, "method")]
    out.append(Para(f"Travel times: {ev.engine_note} (engine '{ev.engine}', mode {ev.mode})."))
    out.append(Para("Residents are the Census 2021 usual residents of each LSOA 2021, placed at its "
                    "population-weighted centroid. A site counts in a time band only if its opening hours "
                    "cover that moment. The catchment of a closed site is the set of LSOAs whose nearest open "
                    "site in the base was that site; 'after' is the nearest open site once the whole scenario "
                    "applies. The catchment of an opened site is the set of LSOAs whose nearest open site in "
                    "the scenario is that site. Shares and averages are weighted by residents; the median and "
                    "95th percentile are the smallest value reached by 50% and 95% of residents."))
    out.append(Para("Deprivation: IMD 2019 national deciles carried from LSOA 2011 to LSOA 2021 "
                    "(merged LSOAs take the population-weighted mean rank)."))
    for note in ev.scenario_notes:
        out.append(Para(f"Scenario note: {note}", "note"))
    out.append(Table(["Data", "Publisher", "Licence"],
                     [[s["file"], s["publisher"], s["licence"]] for s in ev.sources],
                     widths=[3.4, 3.6, 2.8], small=True))
    out.append(Para(f"Generated {ev.generated} by the police estate planner. Every figure in this report is "
                    "computed from the data above; the same figures are in evidence.csv, evidence.json and "
                    "evidence.xlsx.", "small"))
    return out


def build_document(ev: Evidence, *, maps: Mapping[str, bytes] | None = None) -> list[Block]:
    """The report as a list of blocks (headings, paragraphs, tables, figures)."""
    maps = maps or {}
    out: list[Block] = [
        Heading(ev.title(), 1, "top"),
        Para(f"{ev.scenario_title} ({ev.scenario_id}), compared with {ev.against_title} ({ev.against}). "
             f"Travel by {ev.mode}; site evidence at {', '.join(b.label for b in ev.bands)}; "
             f"summary at {', '.join(b.label for b in ev.summary_bands)}."),
        Para(f"Travel times: {ev.engine_note}.", "note"),
    ]
    out += _summary_blocks(ev)
    out += _rules_blocks(ev)
    for b in ev.bands:
        key = f"overview/{b.name}"
        if key in maps:
            out.append(Figure(key, f"Every changed site, with the catchments at {b.label} shaded."))
    out += _contents_blocks(ev)
    for case in ev.cases:
        out += _site_blocks(ev, case)
    out += _method_blocks(ev)
    return out


# ---- HTML ---------------------------------------------------------------------------------

_CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;margin:0 auto;max-width:60em;
 padding:1.5em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{font-size:1.35em;border-bottom:2px solid #1f3b70;padding-bottom:.2em;
 margin-top:2em;color:#1f3b70}h3{font-size:1.1em;margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em;width:100%}
th,td{border:1px solid #c8ccd4;padding:.25em .45em;vertical-align:top;text-align:left}
th{background:#e9edf5}td.num,th.num{text-align:right;white-space:nowrap}
table.small{font-size:.8em}tr.hi td{background:#fff1e6}caption{caption-side:bottom;text-align:left;
 font-size:.85em;color:#555;padding-top:.3em}
p.note{color:#555;font-size:.92em}p.small{color:#666;font-size:.8em}
p.flag{background:#fde8e8;border-left:4px solid #c0392b;padding:.35em .6em}
dl.facts{display:grid;grid-template-columns:10em 1fr;gap:.2em 1em;margin:.6em 0 1em}
dl.facts dt{font-weight:600;color:#333}dl.facts dd{margin:0}
figure{margin:.8em 0 1.2em}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85em;color:#555}nav a{margin-right:1em}hr{border:none;border-top:1px solid #ddd;margin:2em 0}
@media print{body{max-width:none}hr{page-break-after:always;border:none}h2{page-break-after:avoid}
 table,figure{page-break-inside:avoid}}
"""


def _link_or_text(text: str) -> str:
    t = text.strip()
    if t.startswith(("http://", "https://")) and " " not in t:
        e = html.escape(t, quote=True)
        return f'<a href="{e}">{e}</a>'
    return html.escape(text)


def render_html(ev: Evidence, maps: Mapping[str, bytes]) -> str:
    """One self-contained HTML file: no scripts, no network; maps as base64 PNG."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(ev.title())}</title><style>{_CSS}</style></head><body>",
             '<nav><a href="#summary">Summary</a><a href="#boroughs">Boroughs</a><a href="#rules">Rules</a>'
             '<a href="#sites">Sites</a><a href="#method">Method and sources</a></nav>']
    site_names = {_anchor(c.site_id): c.name for c in ev.cases}
    for block in build_document(ev, maps=maps):
        if isinstance(block, Heading):
            aid = f' id="{html.escape(block.anchor)}"' if block.anchor else ""
            parts.append(f"<h{block.level}{aid}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            parts.append(f'<p class="{block.style}">{html.escape(block.text)}</p>')
        elif isinstance(block, Facts):
            items = "".join(f"<dt>{html.escape(k)}</dt><dd>{_link_or_text(v)}</dd>" for k, v in block.rows)
            parts.append(f'<dl class="facts">{items}</dl>')
        elif isinstance(block, Table):
            parts.append(_html_table(block, ev, site_names))
        elif isinstance(block, Figure):
            data = maps.get(block.key)
            if data is None:
                continue
            b64 = base64.b64encode(data).decode("ascii")
            parts.append(f'<figure><img alt="{html.escape(block.caption, quote=True)}" '
                         f'src="data:image/png;base64,{b64}"><figcaption>{html.escape(block.caption)}'
                         "</figcaption></figure>")
        elif isinstance(block, PageBreak):
            parts.append("<hr>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(t: Table, ev: Evidence, site_names: Mapping[str, str]) -> str:
    cls = ' class="small"' if t.small else ""
    head = "".join(f'<th{" class=num" if i in t.numeric else ""}>{html.escape(c)}</th>' for i, c in enumerate(t.columns))
    anchors = {name: a for a, name in site_names.items()}
    body = []
    for r, row in enumerate(t.rows):
        cells = []
        for i, v in enumerate(row):
            text = html.escape(v)
            if i == 0 and t.columns and t.columns[0] == "Site" and v in anchors:
                text = f'<a href="#{anchors[v]}">{text}</a>'
            cells.append(f'<td{" class=num" if i in t.numeric else ""}>{text}</td>')
        body.append(f'<tr{" class=hi" if r in t.highlight else ""}>{"".join(cells)}</tr>')
    cap = f"<caption>{html.escape(t.caption)}</caption>" if t.caption else ""
    return f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# ---- PDF ----------------------------------------------------------------------------------

def _fonts() -> tuple[str, str]:
    """Register DejaVu Sans (from matplotlib's fonts) once; fall back to Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "EvDejaVu" in pdfmetrics.getRegisteredFontNames():
        return "EvDejaVu", "EvDejaVu-Bold"
    try:
        import matplotlib

        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("EvDejaVu", str(ttf / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("EvDejaVu-Bold", str(ttf / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily("EvDejaVu", normal="EvDejaVu", bold="EvDejaVu-Bold",
                                      italic="EvDejaVu", boldItalic="EvDejaVu-Bold")
        return "EvDejaVu", "EvDejaVu-Bold"
    except (OSError, ImportError):  # pragma: no cover - matplotlib always ships DejaVu
        return "Helvetica", "Helvetica-Bold"


def _x(text: str) -> str:
    """Escape text for reportlab's paragraph markup."""
    return html.escape(text, quote=False)


def render_pdf(ev: Evidence, maps: Mapping[str, bytes]) -> bytes:
    """The report laid out for print: A4, numbered pages, bookmarks for every section."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        Image,
        KeepTogether,
        PageTemplate,
        Paragraph,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus import Table as RLTable

    regular, bold = _fonts()
    base = ParagraphStyle("ev-body", fontName=regular, fontSize=9, leading=12, spaceAfter=5)
    styles = {
        "body": base,
        "note": ParagraphStyle("ev-note", parent=base, textColor=colors.HexColor("#555555"), fontSize=8.5),
        "small": ParagraphStyle("ev-small", parent=base, textColor=colors.HexColor("#666666"), fontSize=7.5),
        "flag": ParagraphStyle("ev-flag", parent=base, backColor=colors.HexColor("#fde8e8"),
                               borderColor=colors.HexColor("#c0392b"), borderWidth=0, borderPadding=3,
                               leftIndent=3, spaceBefore=3, spaceAfter=7),
        1: ParagraphStyle("ev-h1", parent=base, fontName=bold, fontSize=17, leading=21, spaceAfter=8,
                          textColor=colors.HexColor("#1f3b70")),
        2: ParagraphStyle("ev-h2", parent=base, fontName=bold, fontSize=13, leading=16, spaceBefore=10,
                          spaceAfter=6, textColor=colors.HexColor("#1f3b70")),
        3: ParagraphStyle("ev-h3", parent=base, fontName=bold, fontSize=10.5, leading=13, spaceBefore=8,
                          spaceAfter=4),
    }
    cell = ParagraphStyle("ev-cell", parent=base, fontSize=7.5, leading=9, spaceAfter=0)
    cell_small = ParagraphStyle("ev-cell-s", parent=cell, fontSize=6.6, leading=8)
    caption = ParagraphStyle("ev-cap", parent=base, fontSize=7.2, leading=9, textColor=colors.HexColor("#555555"))

    class _Doc(BaseDocTemplate):
        def afterFlowable(self, flowable: Any) -> None:
            key = getattr(flowable, "_ev_bookmark", None)
            if key:
                text, level = key
                self.canv.bookmarkPage(text + str(id(flowable)))
                self.canv.addOutlineEntry(text, text + str(id(flowable)), level=max(0, level - 1), closed=level > 1)

    buf = io.BytesIO()
    doc = _Doc(buf, pagesize=A4, leftMargin=1.6 * cm, rightMargin=1.6 * cm, topMargin=1.5 * cm,
               bottomMargin=1.6 * cm, title=ev.title(), author="police estate planner", subject=ev.subtitle())
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    footer_text = f"{ev.scenario_id} against {ev.against} · {ev.mode} · generated {ev.generated}"

    def footer(canvas: Any, d: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(d.leftMargin, 0.9 * cm, footer_text)
        canvas.drawRightString(d.leftMargin + d.width, 0.9 * cm, f"page {d.page}")
        canvas.restoreState()

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=footer)])
    story: list[Any] = []
    first = True
    for block in build_document(ev, maps=maps):
        if isinstance(block, Heading):
            p = Paragraph(_x(block.text), styles[min(block.level, 3)])
            if block.level <= 3:
                p._ev_bookmark = (block.text, block.level)
            story.append(p)
        elif isinstance(block, Para):
            story.append(Paragraph(_x(block.text), styles.get(block.style, base)))
        elif isinstance(block, Facts):
            rows = []
            for k, v in block.rows:
                vt = v.strip()
                val = (f'<link href="{_x(vt)}" color="#1f5fbf">{_x(vt)}</link>'
                       if vt.startswith(("http://", "https://")) and " " not in vt else _x(v))
                rows.append([Paragraph(f"<b>{_x(k)}</b>", cell), Paragraph(val, cell)])
            t = RLTable(rows, colWidths=[3.2 * cm, doc.width - 3.2 * cm])
            t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                                   ("TOPPADDING", (0, 0), (-1, -1), 1)]))
            story += [t, Spacer(1, 4)]
        elif isinstance(block, Table):
            st = cell_small if block.small else cell
            right = ParagraphStyle("ev-cell-r", parent=st, alignment=TA_RIGHT)
            head = [Paragraph(f"<b>{_x(c)}</b>", right if i in block.numeric else st) for i, c in enumerate(block.columns)]
            data = [head] + [[Paragraph(_x(v), right if i in block.numeric else st) for i, v in enumerate(r)]
                             for r in block.rows]
            w = block.widths or [1.0] * len(block.columns)
            tot = sum(w)
            t = RLTable(data, colWidths=[doc.width * x / tot for x in w], repeatRows=1)
            style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8ccd4")),
                     ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9edf5")),
                     ("VALIGN", (0, 0), (-1, -1), "TOP"),
                     ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                     ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
            for r in block.highlight:
                style.append(("BACKGROUND", (0, r + 1), (-1, r + 1), colors.HexColor("#fff1e6")))
            t.setStyle(TableStyle(style))
            flow: list[Any] = [t]
            if block.caption:
                flow.append(Paragraph(_x(block.caption), caption))
            flow.append(Spacer(1, 6))
            if len(block.rows) <= 12:  # short tables stay whole; long ones split, repeating the header
                story.append(KeepTogether(flow))
            else:
                story += flow
        elif isinstance(block, Figure):
            png = maps.get(block.key)
            if png is None:
                continue
            from PIL import Image as PILImage

            with PILImage.open(io.BytesIO(png)) as im:
                wpx, hpx = im.size
            width = doc.width
            img = Image(io.BytesIO(png), width=width, height=width * hpx / wpx)
            story.append(KeepTogether([img, Paragraph(_x(block.caption), caption), Spacer(1, 6)]))
        elif isinstance(block, PageBreak) and not first:
            story.append(RLPageBreak())
        first = False
    doc.build(story)
    return buf.getvalue()
