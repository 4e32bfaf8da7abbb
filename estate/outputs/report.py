"""The committee report of an evidence pack: its document model and content.

The HTML (:mod:`estate.outputs.report_html`) and the PDF
(:mod:`estate.outputs.report_pdf`) are both rendered from this one model
(:func:`build_document`: headings, paragraphs, fact lists, tables, figures),
so they always carry the same sections and the same figures:

1. the scenario summary, London-wide and per borough, for every summary band;
2. the borough rule checks;
3. an overview map, and a contents list of the sites;
4. one section per closed, re-houred or opened site with its map and figures;
5. method, definitions and data sources (with their licences).

Every number comes from :class:`estate.evidence.Evidence`; nothing is typed
in.  The HTML embeds its maps as base64 PNG and loads nothing from the
network.  Numbers are written by :mod:`estate.text`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from estate import text
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
]

_GROUP_SHORT = {"age_65_plus": "aged 65+", "imd_decile_1_2": "in IMD deciles 1-2 (most deprived 20%)"}
_CHANGE_VERB = {CHANGE_CLOSED: "closes", CHANGE_OPENED: "opens", CHANGE_HOURS: "changes its hours"}


# ---- formatting (every number through estate.text) -------------------------------

def _arrow(a: str, b: str) -> str:
    return a if a == b else f"{a} → {b}"


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
        para = (f"Open sites {_arrow(str(row['open_sites_base']), str(row['open_sites_scenario']))}; "
                f"open 24/7 {_arrow(str(row['open_24_7_base']), str(row['open_24_7_scenario']))}. "
                f"Minutes to the nearest open site: mean {text.minutes(row['mean_min_base'])} → "
                f"{text.minutes(row['mean_min_scenario'])}; median {text.minutes(row['median_min_base'])} → "
                f"{text.minutes(row['median_min_scenario'])}; 95th percentile {text.minutes(row['p95_min_base'])} → "
                f"{text.minutes(row['p95_min_scenario'])}.")
        if row["unreachable_base"] or row["unreachable_scenario"]:
            para += (f" Residents with no open site within reach: {text.count(row['unreachable_base'])} → "
                     f"{text.count(row['unreachable_scenario'])} (so the mean, and any percentile they reach, "
                     "is undefined).")
        out.append(Para(para))
        rows = []
        for t in th:
            rows.append([
                f"{t} min", text.share(row[f"share_within_{t}_base"]), text.share(row[f"share_within_{t}_scenario"]),
                text.share(row[f"share_within_{t}_change"], signed=True), text.count(row[f"newly_beyond_{t}"]),
                *(text.count(row[f"{g}_newly_beyond_{t}"]) for g in GROUPS), text.count(row[f"newly_within_{t}"]),
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
                f"{text.minutes(r['mean_min_base'])} → {text.minutes(r['mean_min_scenario'])}",
                text.share(r.get("share_within_30_change", math.nan), signed=True) if 30 in th else text.MISSING,
                *(text.count(v) for v in pushed),
            ])
        out.append(Table(["Borough", "Sites", "24/7", "Mean minutes", "Within 30 min",
                          *(f"Newly beyond {t}" for t in th)], rows,
                         caption=f"Boroughs, {band.label}; the last row is London. 'not reachable': some "
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
        row = [label, text.minutes(vb), text.minutes(va), text.minutes(ch, signed=True)]
        if gain:
            w: TimeStats | None = bc.without
            row.append(text.minutes(getattr(w, key)) if w else text.MISSING)
        rows.append(row)
    return Table(cols, rows, numeric=set(range(1, len(cols))), widths=[3.2] + [1.3] * (len(cols) - 1),
                 caption="Population-weighted over the catchment's residents (weighted median and percentile).")


def _group_table(bc: BandCase, case: SiteCase) -> Table:
    rows = [["all residents", text.count(bc.residents), "100%", text.MISSING, text.MISSING]]
    for g in GROUPS:
        rows.append([f"residents {_GROUP_SHORT.get(g, g)}", text.count(bc.group_residents.get(g)),
                     text.share(bc.group_share.get(g)), text.share(bc.borough_share.get(g)),
                     text.share(bc.london_share.get(g))])
    return Table(["Who lives in the catchment", "Residents", "Share of catchment",
                  f"Share in {case.area_name or 'the borough'}", "Share in London"], rows,
                 numeric={1, 2, 3, 4}, widths=[3.2, 1.2, 1.3, 1.6, 1.2])


def _flow_table(bc: BandCase) -> Table:
    gain = bc.effect == EFFECT_GAIN
    rows = []
    for f in bc.flows:
        rows.append([f.name, f.area_name or text.MISSING, text.share(f.share), text.count(f.residents), text.minutes(f.mean_minutes),
                     f.hours or text.MISSING, _yes(f.is_24_7) if f.site_id else text.MISSING, _yes(f.open_at_night) if f.site_id else text.MISSING])
    title = "Where they went before" if gain else "Where they go instead"
    return Table([title, "Borough", "Share", "Residents", "Mean minutes", "Opening hours", "24/7", "Open at night"],
                 rows, numeric={2, 3, 4}, widths=[2.6, 1.6, 0.8, 1.0, 0.9, 2.4, 0.6, 0.8], small=True,
                 caption=("Sites these residents used in the base (minutes: their journey then)." if gain else
                          "Their nearest open site in the scenario (minutes: their journey there). "
                          "'Open at night' is judged at Wed 03:00."))


def _threshold_table(bc: BandCase, thresholds: Sequence[int]) -> Table:
    rows = [[f"{t} min", text.count(bc.newly_beyond.get(t)), text.count(bc.newly_within.get(t))] for t in thresholds]
    return Table(["Threshold", "Residents newly beyond it", "Residents newly within it"], rows, numeric={1, 2},
                 widths=[3.2, 2.0, 2.0],
                 caption="Newly beyond: before ≤ T < after. Newly within: after ≤ T < before.")


def _band_sentence(case: SiteCase, bc: BandCase, thresholds: Sequence[int]) -> str:
    b, a = bc.before, bc.after
    assert b is not None and a is not None
    if bc.effect == EFFECT_LOSS:
        worst = max(thresholds, key=lambda t: bc.newly_beyond.get(t, 0.0))
        top = bc.flows[0] if bc.flows else None
        s = (f"{_cap(bc.band_label)}: {case.name} was the nearest open site for {text.count(bc.residents)} residents "
             f"({len(bc.units)} LSOAs). ")
        if math.isfinite(a.mean):
            s += f"Their mean journey goes from {text.minutes(b.mean)} to {text.minutes(a.mean)} minutes"
        else:
            s += f"Their median journey goes from {text.minutes(b.median)} to {text.minutes(a.median)} minutes"
        if bc.newly_beyond.get(worst, 0) > 0:
            s += f"; {text.count(bc.newly_beyond[worst])} are newly more than {worst} minutes away"
        if top is not None:
            s += f". Most ({text.share(top.share)}) go to {top.name} instead"
        if bc.unreachable > 0:
            s += f"; {text.count(bc.unreachable)} have no open site within reach"
        return s + "."
    s = (f"{_cap(bc.band_label)}: {case.name} is the nearest open site for {text.count(bc.residents)} residents "
         f"({len(bc.units)} LSOAs). " + (
             f"Against the base their mean journey changes by {text.minutes(bc.mean_change, signed=True)} minutes"
             if math.isfinite(bc.mean_change) else
             f"In the base {text.count(bc.unreachable)} of them had no open site within reach"))
    if math.isfinite(bc.marginal_saving):
        s += (f"; without this site they would travel {text.minutes(bc.marginal_saving)} minutes further on "
              "average to the next open site of the scenario")
    return s + "."


def _site_blocks(ev: Evidence, case: SiteCase) -> list[Block]:
    verb = _CHANGE_VERB[case.change]
    out: list[Block] = [PageBreak(), Heading(f"{case.name} — {verb}", 2, _anchor(case.site_id))]
    for flag in case.rule_flags:
        out.append(Para(f"Rule: {flag}.", "flag"))
    foot = (f"{text.plain(case.footfall)} crimes reported a day" + (f" ({case.footfall_note})" if case.footfall_note else "")
            if math.isfinite(case.footfall) else f"not known ({case.footfall_note or 'not published'})")
    facts = [("Borough", case.area_name or text.MISSING), ("Kind", case.kind.replace("_", " ")),
             ("Host", case.host.replace("_", " ")), ("Address", ", ".join(p for p in (case.address, case.postcode) if p) or text.MISSING),
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
        res = text.count(bc.residents) if bc is not None and bc.has_catchment else text.MISSING
        rows.append([c.name, c.area_name or text.MISSING, c.change, res,
                     text.count(bc.newly_beyond.get(30)) if bc is not None and bc.has_catchment and 30 in ev.thresholds else text.MISSING,
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
