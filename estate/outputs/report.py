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
from collections.abc import Mapping
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
)
from estate.outputs.staticmaps import map_key
from estate.rules import STATUS_ALREADY_FAILING
from estate.verdicts import mode_words
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
    """A paragraph; ``style`` is ``body``, ``verdict``, ``note``, ``flag`` (a rule broken), ``box`` or ``small``."""

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
    #: row -> anchor: the row's first cell links to that section
    links: dict[int, str] = field(default_factory=dict)


@dataclass
class Figure:
    """A map, by its key in the maps dictionary; ``width``: share of the text width in print."""

    key: str
    caption: str
    width: float = 1.0


@dataclass
class PageBreak:
    """A new page in the PDF (a rule in the HTML); ``if_less_than_cm``: only when less room is left."""

    if_less_than_cm: float = 0.0


Block = Heading | Para | Facts | Table | Figure | PageBreak


def _anchor(site_id: str) -> str:
    return f"site-{site_id}"


def _summary_blocks(ev: Evidence) -> list[Block]:
    out: list[Block] = [Heading("Appendix: London and the boroughs", 2, "london")]
    th = ev.thresholds
    for band in ev.summary_bands:
        row = ev.london(band.name)
        whole = str(row.get("name") or "London")
        out.append(Heading(f"{whole}: {band.label}", 3))
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
                         caption=f"Boroughs, {band.label}; the last row is {whole}. 'not reachable': some "
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
    out.append(Para("Which changes break each rule, borough by borough: 'Rule breaches' on the first page; every "
                    "check, borough by borough, in the Rules sheet of evidence.xlsx and in evidence.json.", "note"))
    return out


def _band_column(ev: Evidence, bc: BandCase, gain: bool, t45: int) -> list[str]:
    """One band's figures, in the rows of :func:`_figures_table`."""
    n_rows = 2 + len([t for t in ev.thresholds if t >= 30]) + (0 if gain else len(GROUPS)) + len(GROUPS) + 5
    if not bc.has_catchment or bc.before is None or bc.after is None:
        return ["no case"] * n_rows
    crossed = bc.newly_within if gain else bc.newly_beyond
    col = [text.count(bc.residents), text.count(len(bc.units))]
    col += [text.count(crossed.get(t)) for t in ev.thresholds if t >= 30]
    if not gain:
        col += [text.count(bc.newly_beyond_groups.get(t45, {}).get(g)) for g in GROUPS]
    col += [f"{text.share(bc.group_share.get(g), digits=0)} / {text.share(bc.borough_share.get(g), digits=0)}"
            for g in GROUPS]
    b, a = bc.before, bc.after
    col += [f"{text.minutes(b.mean)} → {text.minutes(a.mean)}", f"{text.minutes(b.median)} → {text.minutes(a.median)}",
            f"{text.minutes(b.p95)} → {text.minutes(a.p95)}", text.count(bc.total_minutes), text.count(bc.unreachable)]
    return col


def _figures_table(ev: Evidence, case: SiteCase) -> Table:
    """Every band side by side: who was served, who is pushed past each threshold, journey minutes."""
    bands = list(case.bands.values())
    gain = any(bc.effect == EFFECT_GAIN for bc in bands) and not any(bc.effect == EFFECT_LOSS for bc in bands)
    t45 = 45 if 45 in ev.thresholds else ev.thresholds[-1]
    labels = ["Residents whose nearest site it " + ("is" if gain else "was"), "LSOAs"]
    labels += [f"Newly {'within' if gain else 'beyond'} {t} min" for t in ev.thresholds if t >= 30]
    if not gain:
        labels += [f"  of them {_GROUP_SHORT.get(g, g)}" for g in GROUPS]
    labels += [f"Share {_GROUP_SHORT.get(g, g)}: catchment / borough" for g in GROUPS]
    labels += ["Mean minutes, before → after", "Median minutes, before → after", "95th percentile, before → after",
               "Resident-minutes " + ("saved" if gain else "added"),
               "No open site within reach " + ("before" if gain else "after")]
    cols = [_band_column(ev, bc, gain, t45) for bc in bands]
    body = [[label, *(c[i] for c in cols)] for i, label in enumerate(labels)]
    return Table(["", *(_cap(bc.band_label) for bc in bands)], body, numeric=set(range(1, len(bands) + 1)),
                 widths=[3.4, *([1.8] * len(bands))],
                 caption=f"Newly beyond T: before ≤ T < after; the groups are of those newly beyond {t45} minutes. "
                         "Minutes are population-weighted over the catchment; 'no case': the site served nobody "
                         "in that band (see the note).")


def _flows_table(case: SiteCase, top: int = 4) -> Table | None:
    rows = []
    for bc in case.bands.values():
        if not bc.has_catchment:
            continue
        for f in bc.flows[:top]:
            where = f.name if f.site_id else "no open site within reach"
            rows.append([_cap(bc.band), where, f.area_name or text.MISSING, text.share(f.share, digits=0),
                         text.count(f.residents), text.minutes(f.mean_minutes),
                         "24/7" if f.is_24_7 else (f.hours or text.MISSING)])
    if not rows:
        return None
    gain = case.change == CHANGE_OPENED
    return Table(["Band", "Where they went before" if gain else "Where they go instead", "Borough", "Share",
                  "Residents", "Mean min", "Hours"], rows, numeric={3, 4, 5},
                 widths=[0.8, 3.0, 1.8, 0.7, 1.0, 0.9, 2.4], small=True,
                 caption=f"The {top} largest flows per band (all of them in evidence.csv and the Where they go sheet).")


def _case_blocks(ev: Evidence, case: SiteCase, maps: Mapping[str, bytes]) -> list[Block]:
    verb = _CHANGE_VERB[case.change]
    out: list[Block] = [PageBreak(if_less_than_cm=9.0),
                        Heading(f"{case.rank}. {case.name} — {verb}", 2, _anchor(case.site_id)),
                        Para(case.verdict, "verdict"),
                        *([Para(f"Uncertainty: {case.uncertainty}")] if case.uncertainty else []),
                        Para(f"Severity: {case.severity}. {case.area_name or text.MISSING}; hours "
                             f"{_arrow(case.hours_before, case.hours_after)}; "
                             + (f"footfall {text.plain(case.footfall)} crimes reported a day"
                                if math.isfinite(case.footfall) else
                                f"footfall not known ({case.footfall_note or 'not published'})") + ".", "small")]
    for flag in case.breach_notes:
        out.append(Para(f"Rule: {flag}.", "flag"))
    for ctx in case.rule_context:
        out.append(Para(f"Context: {_cap(ctx)}.", "note"))
    if case.mitigation:
        out.append(Para(f"Alternatives: {case.mitigation}"))
    why = (f"Rationale given: {case.rationale}" if case.rationale else "No rationale given in the scenario") + (
        f" (source: {case.source})." if case.source else ".")
    out.append(Para(why, "small"))
    for bc in case.bands.values():
        if not bc.has_catchment and bc.note:
            out.append(Para(f"{_cap(bc.band_label)}: {bc.note}", "note"))
    out.append(_figures_table(ev, case))
    shown: list[tuple[str, BandCase, list[str]]] = []  # bands that draw the same map share one figure
    for b, bc in case.bands.items():
        png = maps.get(map_key(case.site_id, b)) if bc.has_catchment else None
        if png is None:
            continue
        twin = next((s for s in shown if maps[map_key(case.site_id, s[0])] is png), None)
        if twin is not None:
            twin[2].append(bc.band_label)
        else:
            shown.append((b, bc, [bc.band_label]))
    for b, bc, labels in shown:
        out.append(Figure(map_key(case.site_id, b),
                          f"{case.name}, {' and '.join(labels)}: its catchment, LSOAs shaded by minutes "
                          f"{'saved' if bc.effect == EFFECT_GAIN else 'added'}; arrows to "
                          f"{'where residents went before' if bc.effect == EFFECT_GAIN else 'where they go instead'}.",
                          width=0.78 if len(shown) > 1 else 0.9))
    flows = _flows_table(case)
    if flows is not None:
        out.append(flows)
    return out


def _ranked_table(ev: Evidence) -> Table:
    rows, links, hi = [], {}, set()
    for i, c in enumerate(ev.cases):
        bc = c.bands.get(c.worst_band)
        has = bc is not None and bc.has_catchment
        loss = has and bc is not None and bc.effect == EFFECT_LOSS
        nb = (bc.newly_beyond if loss else bc.newly_within).get(45) if has and bc is not None else None
        rows.append([str(c.rank) if c.rank else "—", c.name, c.change, c.area_name or text.MISSING, c.severity,
                     c.worst_band if has else "—",
                     (text.count(nb) if loss else f"{text.count(nb)} nearer") if has else "—",
                     ", ".join(c.rule_breaches) or "—"])
        if c.has_effect or not c.located:
            links[i] = _anchor(c.site_id) if c.has_effect else "no-effect"
        if c.severity in ("severe", "high"):
            hi.add(i)
    return Table(["Rank", "Site", "Change", "Borough", "Severity", "Worst band", "Newly beyond 45 min",
                  "Breaks rules"], rows, numeric={0, 6}, widths=[0.75, 3.0, 1.3, 2.1, 1.1, 0.9, 1.5, 2.4],
                 small=True, links=links, highlight=hi,
                 caption="Ranked by residents newly beyond 45 minutes in the worst band, then extra "
                         "resident-minutes; openings after the losses; sites with no published location last, "
                         "unranked. Severity cut-offs: see Method.")


def _breach_table(ev: Evidence) -> list[Block]:
    names = {c.site_id: c for c in ev.cases}
    by_area: dict[str, list[str]] = {}
    causes_of: dict[str, list[str]] = {}
    for r in ev.rules.broken():
        by_area.setdefault(r.area_name, []).append(f"{r.rule_id} ({r.base_count} → {r.scenario_count})")
        for s in r.removed:
            cause = f"{names[s].name} ({names[s].change})" if s in names else s
            if cause not in causes_of.setdefault(r.area_name, []):
                causes_of[r.area_name].append(cause)
    rows = [[area, "; ".join(rules), "; ".join(causes_of.get(area, [])) or "—"] for area, rules in by_area.items()]
    out: list[Block] = [Heading("Rule breaches", 3, "breaches")]
    if rows:
        out.append(Table(["Borough", "Rules broken (qualifying sites)", "Caused by (jointly)"], rows,
                         widths=[2.2, 4.0, 4.0], small=True,
                         caption="A breach is blamed on every change that removed a qualifying site from a "
                                 "borough where the rule held in the base."))
    else:
        out.append(Para("The scenario breaks no borough rule.", "note"))
    failing = [r for r in ev.rules.checks if r.status == STATUS_ALREADY_FAILING]
    if failing:
        out.append(Para("Already failing in the base (blamed on no change): "
                        + "; ".join(f"{r.title} in {r.area_name}" for r in failing) + ".", "note"))
    return out


def _mitigation_table(ev: Evidence, top: int = 6) -> list[Block]:
    rows = []
    for c in ev.cases:
        h = c.host_option
        if h is None:
            continue
        better = [o for o in c.swap_options if o.harms_fewer]
        rows.append([c.name, f"{h.name} ({h.host.replace('_', ' ')})", h.hours_needed,
                     f"{text.count(h.recovered)} of {text.count(h.newly_beyond)}",
                     "; ".join(o.name for o in better) or "—"])
        if len(rows) >= top:
            break
    out: list[Block] = [Heading("Top mitigations", 3, "mitigations")]
    if rows:
        out.append(Table(["Case", "Best candidate host", "Hours it would need", "Recovers (newly beyond 45)",
                          "Closing instead harms fewer"], rows, numeric={3},
                         widths=[2.4, 3.2, 2.2, 1.6, 2.0], small=True,
                         caption="For the highest-ranked losses: the candidate host (any type) that, opened with the "
                                 "site's own hours, brings most residents back within 45 minutes in the worst band."))
    else:
        out.append(Para("No loss to mitigate.", "note"))
    return out


def _approximations(ev: Evidence) -> Para:
    unloc = [c.name for c in ev.cases if not c.located]
    parts = [f"Travel times: {ev.engine_note}.",
             "'After' is the nearest open site once the whole scenario applies, so a case's figures include the "
             "other changes near it.",
             "Residents sit at their LSOA's population-weighted centroid (Census 2021).",
             "A site counts in a band only if its opening hours cover that moment "
             f"({', '.join(b.label for b in ev.bands)}).",
             "'not reachable': no open site within the engine's cutoff.",
             "A candidate host is assumed to open with the closed site's hours."]
    if unloc:
        parts.append(f"Not assessed (no published location): {', '.join(unloc)}.")
    return Para("Approximations: " + " ".join(parts), "box")


def _front_blocks(ev: Evidence) -> list[Block]:
    n_c, n_o, n_h = len(ev.closed), len(ev.opened), len(ev.rehoured)
    out: list[Block] = [Heading("What changes", 2, "summary")]
    if ev.is_empty:
        out += [Para(note, "flag") for note in ev.notes]
        out.append(_approximations(ev))
        return out
    line = (f"Against {ev.against_title} ({ev.against}), {ev.scenario_title} closes {n_c} site"
            f"{'s' if n_c != 1 else ''}, cuts or changes the hours of {n_h} and opens {n_o}.")
    for b in ev.summary_bands:
        row = ev.london(b.name)
        line += (f" {_cap(b.label)}: {text.count(row.get('newly_beyond_45'))} residents newly beyond 45 minutes, "
                 f"open sites {_arrow(str(row['open_sites_base']), str(row['open_sites_scenario']))}.")
    out.append(Para(line))
    out += [Para(note, "note") for note in ev.notes]
    out.append(Heading("Ranked cases", 3, "ranked"))
    out.append(_ranked_table(ev))
    out += _breach_table(ev)
    out += _mitigation_table(ev)
    out.append(_approximations(ev))
    return out


def _no_effect_blocks(ev: Evidence) -> list[Block]:
    quiet = [c for c in ev.cases if not c.has_effect]
    if not quiet:
        return []
    rows = [[c.name, c.change, c.area_name or text.MISSING, c.verdict] for c in quiet]
    return [PageBreak(if_less_than_cm=6.0), Heading("Cases with no effect, or not assessed", 2, "no-effect"),
            Table(["Site", "Change", "Borough", "Verdict"], rows, widths=[2.4, 1.2, 1.8, 6.0], small=True,
                  caption="Sites whose change moves nobody's nearest open site in any band, and sites with no "
                          "published location (listed after the ranked cases, unranked).")]


def _method_blocks(ev: Evidence) -> list[Block]:
    from estate.verdicts import CUTOFFS

    out: list[Block] = [Heading("Method and sources", 2, "method")]
    out.append(Para(f"Travel times: {ev.engine_note} (engine '{ev.engine}', mode {ev.mode})."))
    out.append(Para("Residents are the Census 2021 usual residents of each LSOA 2021, placed at its "
                    "population-weighted centroid. A site counts in a time band only if its opening hours "
                    "cover that moment. The catchment of a closed site is the set of LSOAs whose nearest open "
                    "site in the base was that site; 'after' is the nearest open site once the whole scenario "
                    "applies. The catchment of an opened site is the set of LSOAs whose nearest open site in "
                    "the scenario is that site. Shares and averages are weighted by residents; the median and "
                    "95th percentile are the smallest value reached by 50% and 95% of residents."))
    cut = "; ".join(f"{k}: {text.count(a)} or more newly beyond 45 minutes"
                    + (f", or {text.count(b)} newly beyond 30" if b else "")
                    + (f", or {text.count(c)} or more with no site in reach" if c else "")
                    for k, (a, b, c) in CUTOFFS.items())
    out.append(Para(f"Verdicts. Each case is judged in its worst band (most residents newly beyond 45 minutes, "
                    f"then most extra resident-minutes) and ranked on the same figures; openings rank after the "
                    f"losses, by residents brought within 45 minutes. Severity, on the worst band: {cut}; "
                    "low: longer journeys below those; benefit: residents brought nearer only. A rule breach is "
                    "blamed, jointly, on every change that removed a qualifying site from a borough where the rule "
                    "held in the base; a rule already failing in the base is blamed on no change."))
    out.append(Para("Alternatives. The best candidate host is the candidate place (of any host type) that, opened "
                    "with the closed site's own hours, brings most of the residents newly beyond 45 minutes back "
                    "within it, summed over the bands of the loss. 'Closing instead' keeps the site and closes "
                    "another counter of the same borough, comparing residents newly beyond 45 minutes across "
                    "London, bands added together."))
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
    """The report as a list of blocks: the front page, the cases by rank, the appendix, the method."""
    maps = maps or {}
    out: list[Block] = [
        Heading(ev.title(), 1, "top"),
        Para(f"{ev.scenario_title} ({ev.scenario_id}), compared with {ev.against_title} ({ev.against}). "
             f"Travel {mode_words(ev.mode)}; cases at {', '.join(b.label for b in ev.bands)}.", "small"),
    ]
    out += _front_blocks(ev)
    for case in ev.cases:
        if case.has_effect:
            out += _case_blocks(ev, case, maps)
    out += _no_effect_blocks(ev)
    out.append(PageBreak(if_less_than_cm=10.0))
    for b in ev.bands:
        key = f"overview/{b.name}"
        if key in maps:
            out.append(Figure(key, f"Every changed site, with the catchments at {b.label} shaded.", width=0.85))
    out += _summary_blocks(ev)
    out += _rules_blocks(ev)
    out += _method_blocks(ev)
    return out
