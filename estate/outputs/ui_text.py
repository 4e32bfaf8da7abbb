"""Every label, default, help text and the About text of the browser app, in one place.

The app (``streamlit_app.py``) reads its words from here, so a wording change, a
new default or a translation touches one module.  Nothing here computes.
"""

from __future__ import annotations

from typing import Any

from estate import text
from estate.drafts import DEFAULT_NEW_HOURS, UPLOAD_LIMIT_BYTES
from geodata.travel.base import BANDS, MODES

__all__ = [
    "ABOUT_APPROXIMATE",
    "ABOUT_DATA_SOURCES",
    "ABOUT_INTRO",
    "ABOUT_NATIONAL_SOURCES",
    "ABOUT_PRIVACY",
    "APP_TITLE",
    "BAND_CHOICES",
    "CANDIDATES_LISTED",
    "CANDIDATES_ON_MAP",
    "CHART_KEY",
    "COPY_LINK",
    "DEFAULT_BAND",
    "DEFAULT_BASE",
    "DEFAULT_MODE",
    "DEFAULT_NEW_HOURS",
    "DEFAULT_SCENARIO",
    "DEFAULT_THRESHOLD",
    "EXPORT_NOTE_OFFLINE",
    "EXPORT_NOTE_ONLINE",
    "HELP",
    "HOST_LABELS",
    "MESSAGES",
    "MODE_CHOICES",
    "MODE_LABELS",
    "PAGES",
    "POINT_ASK",
    "POINT_INTRO",
    "RATIONALE_PLACEHOLDER",
    "STATUS_LABELS",
    "TABLE_COLUMNS",
    "UPLOAD_LIMIT_BYTES",
    "about_intro_area",
    "band_label",
    "building",
    "candidate_labels",
    "candidates_caption",
    "click_question",
    "draft_caption",
    "effects_heading",
    "engine_failed",
    "inherited_caption",
    "mode_label",
    "no_effect_note",
    "overwrite_question",
    "point_heading",
    "point_map_title",
    "postcode_note",
    "route_line",
]

APP_TITLE = "Police front counters: who can reach one?"

#: Pages by their id in links (``?page=compare``) -> their name, in the order of the sidebar.
PAGES: dict[str, str] = {"compare": "Compare", "map": "Map", "point": "From a place", "build": "Build a scenario",
                         "optimise": "Optimise", "evidence": "Evidence", "about": "About the data"}

#: Said above the Compare chart.
CHART_KEY = ("Orange: more residents beyond the threshold (worse); purple: fewer (better); "
             "light grey outline only: no change. Sorted by the change, largest rise first.")

#: Said above the link in the sidebar.
COPY_LINK = "Link to this view (copy it with the button at its right):"


def building(mode: str, band: str, seconds: float) -> str:
    """The progress line while a matrix is built.

    Examples
    --------
    >>> building("transit", "day", 12.4)
    'Travel times by public transport, day (Wed 12:00): building in the background (12 s so far); the figures appear when it is done.'
    """
    return (f"Travel times by {mode_label(mode).lower()}, {band_label(band)}: building in the background "
            f"({seconds:.0f} s so far); the figures appear when it is done.")


#: the caption over figures being recomputed (the old ones below it are greyed until replaced)
RECOMPUTING = ("Recomputing… the figures below are from before your change and stay greyed until the new "
               "ones are drawn.")


def building_evidence(done: int, total: int) -> str:
    """The progress line while the evidence is built (over the time bands)."""
    return f"Recomputing the evidence: time band {min(done + 1, total)} of {total}…"


#: the caption over the pack's progress (the page below is greyed while it is written)
PACK_WAIT = "Writing the pack: the page below is greyed until it is ready; its figures do not change."


def pack_step(what: str, done: int, total: int) -> str:
    """The progress line while the evidence pack is written.

    Examples
    --------
    >>> pack_step("maps 3/40", 8, 47)
    'Preparing the evidence pack: maps 3/40 (step 8 of 47).'
    """
    return f"Preparing the evidence pack: {what} (step {done} of {total})."


POINT_INTRO = ("Type a postcode or click anywhere on the map: the minutes from there to the nearest counter "
               "open at each time, by each mode, in the scenario and in its base, and the route. The map shades "
               "every neighbourhood by its minutes from that place (the sidebar's mode and time).")
POINT_ASK = "Type a postcode in the study area above, or click a place on the map."


def postcode_note(edition: str) -> str:
    """Which postcode list answers.

    Examples
    --------
    >>> postcode_note("October 2025")
    'Postcodes from OS Code-Point Open, October 2025 (offline).'
    """
    return f"Postcodes from OS Code-Point Open, {edition} (offline)." if edition else \
        "The postcode list is loading in the background (a few seconds)."


def point_heading(label: str, area: str) -> str:
    """The heading over a point query's answers."""
    return f"From {label} ({area})"


def point_map_title(mode: str, band: str) -> str:
    """The title of the point query's map."""
    return f"Minutes from the place, {mode_label(mode).lower()}, {band_label(band)}"


def route_line(answer: Any) -> str:
    """The route to the nearest open counter in the scenario, leg by leg (markdown)."""
    legs = "; ".join(f"{text.minutes(lg.minutes, unit=True)} {lg.text}" for lg in answer.scenario.legs)
    return f"**Route by {mode_label(answer.mode).lower()}, {answer.band.label}:** {legs}."


RATIONALE_PLACEHOLDER = "e.g. lease ends March 2026; footfall under 5 a day"


def click_question(name: str, *, closing: bool) -> str:
    """What a click on a marker asks."""
    return (f"**Close {name}?** Say why: the rationale goes into the scenario file and the evidence."
            if closing else f"**Open {name}** in this draft?")


def inherited_caption(n: int, start: str) -> str:
    """The label of the folded list of changes the draft inherited."""
    return f"{n} change(s) inherited from {start}"


def effects_heading(threshold: int, mode: str) -> str:
    """The heading of the per-edit effects table."""
    return f"What each of your edits does: residents beyond {threshold} min, {mode_label(mode).lower()}"


def no_effect_note(name: str, band: str, reason: str) -> str:
    """The note under the effects table for an edit that changes nothing in the band shown."""
    return f"Your edit of {name} changes nothing at {band}: {reason}. The table shows the other times."


def engine_failed(mode: str, error: str) -> str:
    """A plain message for an engine (or its matrix) that failed."""
    return (f"The {mode_label(mode).lower()} travel-time engine is not available: {error}. "
            "Choose another mode; the other pages still work.")

DEFAULT_BASE = "baseline-2024"
DEFAULT_SCENARIO = "outcome-2026"
DEFAULT_MODE = "walk"
DEFAULT_BAND = "night"
DEFAULT_THRESHOLD = 45

MODE_LABELS: dict[str, str] = {
    "walk": "Walking",
    "drive": "Driving",
    "transit": "Public transport",
}

HOST_LABELS: dict[str, str] = {
    "police": "Police station",
    "supermarket": "Supermarket",
    "library": "Library",
    "fire_station": "Fire station",
    "post_office": "Post office",
    "council": "Council office",
    "other": "Other",
}

#: Marker status -> legend label.
STATUS_LABELS: dict[str, str] = {
    "open": "Open counter",
    "closing": "Closes in this scenario",
    "new": "New or reopened in this scenario",
    "candidate": "Candidate host (click to add)",
    "closed": "Closed in both (click to reopen)",
}

#: Column labels of the borough comparison table; ``{t}`` is the threshold in minutes.
TABLE_COLUMNS: dict[str, str] = {
    "name": "Borough",
    "population": "Residents",
    "open_sites_base": "Counters open (base)",
    "open_sites_scenario": "Counters open (scenario)",
    "open_24_7_base": "24/7 (base)",
    "open_24_7_scenario": "24/7 (scenario)",
    "beyond_base": "Beyond {t} min (base)",
    "beyond_scenario": "Beyond {t} min (scenario)",
    "beyond_change": "Beyond {t} min: change",
    "share_base": "Within {t} min, % (base)",
    "share_scenario": "Within {t} min, % (scenario)",
    "share_change": "Within {t} min: change (points)",
    "mean_base": "Mean minutes (base)",
    "mean_scenario": "Mean minutes (scenario)",
    "mean_change": "Mean minutes: change",
}


def mode_label(mode: str) -> str:
    """The label of a travel mode.

    Examples
    --------
    >>> mode_label("transit")
    'Public transport'
    """
    return MODE_LABELS.get(mode, mode)


def band_label(band: str) -> str:
    """The label of a named time band.

    Examples
    --------
    >>> band_label("night")
    'night (Wed 03:00)'
    """
    return BANDS[band].label if band in BANDS else band


#: Time bands offered in the app, in order.
BAND_CHOICES: tuple[str, ...] = tuple(BANDS)
#: Travel modes offered in the app: every mode the planner knows.
MODE_CHOICES: tuple[str, ...] = MODES


HELP: dict[str, str] = {
    "evidence_pack": "Writes every file of the pack (tables, maps, the HTML and PDF reports), showing each step, "
                     "then offers the ZIP for download.",
    "start_button": "Replace the draft with this scenario (asks first if the draft holds unsaved edits)",
    "base": "The scenario everything is compared with.",
    "scenario": "The scenario being judged.",
    "mode": "How residents travel to the counter. Each mode has its own travel-time engine.",
    "band": "The moment in the week: a counter counts only if its hours cover it.",
    "threshold": "Residents whose nearest open counter is further than this many minutes.",
    "postcode": "A postcode in the study area; it is looked up offline in OS Code-Point Open.",
    "borough": "Choose a borough to see its neighbourhoods (LSOAs) on the maps; the other boroughs show as outlines.",
    "metric": "What the colours show, per borough (and per LSOA when zoomed in or chosen).",
    "lsoa": "LSOAs are neighbourhoods of about 1,600 residents (4,994 in London).",
    "start": "The scenario your draft begins from; its changes are kept and can be undone.",
    "compare_with": "The live figures compare your draft with this scenario.",
    "site_search": "Type part of a name, borough or id.",
    "hours": "OpenStreetMap opening_hours, e.g. '24/7' or 'Mo-Fr 10:00-22:00; Sa,Su 09:00-19:00'.",
    "scenario_id": "Lower-case letters, digits and hyphens; the file is scenarios/<id>.yaml.",
    "upload": "A scenario YAML file (at most {limit} KB). It is checked before it is used.",
    "overwrite": "The file exists (or changed since you opened it). Tick to replace it.",
    "evidence_site": "A counter that closes in the scenario.",
    "bands_evidence": "Time bands included in the evidence pack.",
    "evidence_draft": "Build the evidence of the scenario being edited on the Build page, against the base chosen in the sidebar.",
}

#: Said beside the export button when Leaflet is bundled.
#: Candidate hosts listed in the Build page's picker, and at most shown on its map.
CANDIDATES_LISTED = 500
CANDIDATES_ON_MAP = 400

#: Messages of the Build page; ``{...}`` fields are filled by the page.
MESSAGES: dict[str, str] = {
    "uploaded": "Loaded {name}: {n} changes.",
    "filter_to_map": "Filter the candidate hosts above (at most {n}) to show them on the map and add one by clicking.",
    "no_changes": "No changes yet.",
    "choose_borough": "Choose a borough in the sidebar to see its neighbourhoods (LSOAs).",
    "draft_broken": "This draft cannot be applied: {error}",
    "no_own_changes": "No edits of your own yet: the changes below come from {start}.",
    "band_building": "travel times still building…",
    "title_placeholder": "e.g. Outcome 2026 keeping Walworth open",
    "needs_title": "Give the new scenario its own title (and id) before saving.",
    "evidence_draft": "Evidence for your draft (Build page), saved or not",
}


def candidates_caption(n: int, listed: int) -> str:
    """How many candidate hosts match (and that only the first ``listed`` are listed).

    Examples
    --------
    >>> candidates_caption(1234, 500)
    '1,234 candidate hosts match (first 500 listed)'
    """
    return f"{text.count(n)} candidate hosts match" + (f" (first {listed} listed)" if n > listed else "")


def candidate_labels(frame: Any) -> dict[str, str]:
    """``site_id -> "name — borough (host)"`` for the candidate picker (a frame of :func:`estate.drafts.filter_candidates`)."""
    return {r.site_id: f"{r.name} — {r.borough} ({HOST_LABELS.get(r.host, r.host)})" for r in frame.itertuples()}


def draft_caption(n_changes: int, base: str, mode: str, band: str) -> str:
    """The line under the Build page's comparison selector."""
    return f"{n_changes} change(s) over base '{base}'. {mode_label(mode)}, {band_label(band)}."


def draft_name(title: str, started_from: str) -> str:
    """How a message names the draft: its title, else where it started.

    Examples
    --------
    >>> draft_name("", "upload:plan.yaml"), draft_name("Keep Harrow", "outcome-2026")
    ('the draft started from plan.yaml', "the draft 'Keep Harrow'")
    """
    if title.strip():
        return f"the draft {title.strip()[:80]!r}"
    return f"the draft started from {started_from.removeprefix('upload:') or 'the register'}"


def discard_question(n: int, name: str, replacement: str) -> str:
    """What Start or an upload asks before it would replace a draft holding unsaved edits.

    Examples
    --------
    >>> discard_question(2, "the draft started from outcome-2026", "baseline-2024")
    'You have 2 unsaved edits in the draft started from outcome-2026. Replacing it with baseline-2024 discards them: discard them, or keep your draft?'
    """
    edits = "1 unsaved edit" if n == 1 else f"{n} unsaved edits"
    return (f"You have {edits} in {name}. Replacing it with {replacement} discards them: "
            "discard them, or keep your draft?")


def draft_restored(n: int, name: str) -> str:
    """The note when a reload finds the session's kept draft."""
    edits = "1 unsaved edit" if n == 1 else f"{n} unsaved edits"
    return f"Your draft was kept across the reload: {name}, with {edits}."


def overwrite_question(scenario_id: str, *, conflict: bool) -> str:
    """The question asked before a save replaces an existing scenario file."""
    return (f"scenarios/{scenario_id}.yaml already exists"
            + (" and was changed by someone else since" if conflict else "") + ". Overwrite it?")


EXPORT_NOTE_OFFLINE = (
    "The exported file is standalone: Leaflet, the boroughs, LSOAs and sites are inside it, so "
    "it opens without the internet. The grey base map (streets and place names) is fetched "
    "from the OpenStreetMap tile servers and appears only when online."
)
#: Said when the Leaflet bundle (the ``folium-offline`` package) is missing.
EXPORT_NOTE_ONLINE = (
    "The exported file needs the internet: it loads the Leaflet map library and the base map "
    "tiles from the web (install the 'folium-offline' package to bundle Leaflet into the file). "
    "The coverage data itself is inside the file."
)

ABOUT_INTRO = """
This planner judges the Metropolitan Police's public front counters (and possible contact
points in supermarkets, libraries and fire stations) by how long residents would take to
reach the nearest one that is open at a given moment. Every figure is population-weighted
over the 4,994 Census 2021 neighbourhoods (LSOAs) of Greater London, from each
neighbourhood's population-weighted centre.
"""

def about_intro_area(label: str, units: int) -> str:
    """The About page's opening for a study area other than London (the national pack)."""
    return (
        f"This planner judges the police front counters of **{label}** (from the register in use; "
        "there is no national list of front counters, so a force brings its own) and possible contact "
        "points in supermarkets, libraries and fire stations, by how long residents would take to reach "
        f"the nearest one that is open at a given moment. Every figure is population-weighted over the "
        f"{units:,} Census 2021 neighbourhoods (LSOAs) of the area, from each neighbourhood's "
        "population-weighted centre. \"Most deprived fifth\" is within each nation: England's IMD and "
        "Wales's WIMD are separate indices."
    )


#: The national pack's sources (areas other than London), as (what, source, licence).
ABOUT_NATIONAL_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("LSOA 2021 centroids, residents and age; districts and police force areas",
     "Office for National Statistics (Census 2021, ONS Open Geography Portal)", "Open Government Licence v3.0"),
    ("Deprivation", "English Indices of Deprivation 2019 and 2025 (MHCLG); Welsh Index of Multiple "
     "Deprivation 2019 (Welsh Government)", "Open Government Licence v3.0"),
    ("Supermarkets", "GEOLYTIX Retail Points v34 (December 2024)", "GEOLYTIX open data licence"),
    ("Libraries and fire stations", "Arts Council England (2023), Libraries Hacked (Wales), Home Office "
     "(fire stations, England, 2018)", "Open Government Licence v3.0"),
    ("Postcodes", "OS Code-Point Open 2025 (Contains OS data © Crown copyright and database right 2025; "
     "Contains Royal Mail data © Royal Mail copyright and database right 2025)", "Open Government Licence v3.0"),
    ("Newport streets and police stations", "© OpenStreetMap contributors (the register is OpenStreetMap "
     "police stations, not an official counter list)", "ODbL 1.0"),
    ("Newport buses and trains", "DfT Bus Open Data Service GTFS (March 2024); Rail Delivery Group "
     "timetable data (GTFS, 5 March 2024)", "Open Government Licence v3.0; CC BY 2.0 UK"),
)


ABOUT_DATA_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("Borough and LSOA boundaries, population-weighted centroids",
     "ONS Open Geography Portal; GLA London Datastore (Statistical GIS Boundary Files for London)",
     "Open Government Licence v3.0. Contains National Statistics data © Crown copyright and "
     "database right; Contains Ordnance Survey data © Crown copyright and database right."),
    ("Residents and residents aged 65+ (Census 2021, TS007A)", "ONS via Nomis",
     "Open Government Licence v3.0"),
    ("Deprivation (IMD 2019 deciles)",
     "English Indices of Deprivation 2019, Ministry of Housing, Communities & Local Government "
     "(MHCLG); Greater London Authority (GLA) Intelligence Unit, London Datastore",
     "Open Government Licence v3.0"),
    ("Postcode locations (Code-Point Open 2014), used to place sites",
     "Ordnance Survey",
     "OGL. Contains OS data © Crown copyright and database right 2014; Contains Royal Mail "
     "data © Royal Mail copyright and database right 2014; Contains National Statistics data "
     "© Crown copyright and database right 2014"),
    ("Met front counters 2024-2026, their 24/7 status and the 2025-26 changes",
     "compiled from public statements and press reports (see FRONT_COUNTER_FACTS.md in the "
     "data pack)", "facts from public sources; coordinates OGL (Code-Point Open) and ODbL (OSM)"),
    ("Supermarkets (Retail Points v34, Dec 2024)", "GEOLYTIX",
     "GEOLYTIX open data. Credit: GEOLYTIX"),
    ("Public libraries (basic dataset, July 2016)",
     "DCMS Libraries Taskforce, compiled by Libraries Hacked",
     "Open Government Licence v3.0 (compilation MIT)"),
    ("Fire stations (c. 2013/14)", "London Fire Brigade list, compiled by isildirik",
     "no licence stated (public addresses)"),
    ("Bus routes, Tube, DLR and Elizabeth line (public transport engine)",
     "Transport for London open data (Powered by TfL Open Data)",
     "TfL transport data terms, based on the OGL; contains OS data © Crown copyright and "
     "database rights"),
    ("National Rail timetable (CIF sample, March 2020)", "Rail Delivery Group",
     "Creative Commons Attribution 2.0 UK: Contains Rail Delivery Group timetable data"),
    ("Bus frequencies and 24-hour routes (QSI results, Q3 2025/26)",
     "Transport for London open data (Powered by TfL Open Data)", "TfL transport data terms, based on the OGL"),
    ("Street networks, police points, base map", "OpenStreetMap",
     "ODbL 1.0, © OpenStreetMap contributors"),
)

ABOUT_PRIVACY = """
Nothing about your use of this app leaves this computer: no usage statistics (the
repository's `.streamlit/config.toml` turns them off), no web fonts, icons or scripts, in the
app or in any file it exports. **The one exception** is the grey base map behind the maps:
its tiles are fetched from `tile.openstreetmap.org` (© OpenStreetMap contributors), so that
server sees which part of London is on screen. Without the internet the maps still draw,
without the base map.
"""

ABOUT_APPROXIMATE = """
**What is approximate**

- *Where people live*: each neighbourhood (LSOA, about 1,760 residents) is one point, its
  population-weighted centre; everyone in it is given that point's journey.
- *Travel times*: see the engine of each mode above. Without a street network for the whole
  of London, walking and driving times are straight-line distances times a detour factor at
  a typical speed; they ignore railways and congestion at particular hours. Walks cross the
  Thames only at a bridge, tunnel or the Woolwich Ferry.
- *Public transport* is not a journey planner: a wait is half a headway (each bus route's
  from TfL's published scheduled waits; defaults elsewhere), or for services less frequent
  than every 10 minutes 2 minutes plus 0.3 x the headway, as passengers time their arrival
  (a fit to waits observed in Austin, Texas, not London). National Rail comes from a
  one-weekend sample of the national timetable, so its waits are a default per operator and
  a few lines are missing. At night the N buses and the 56 day routes that run 24 hours
  run. A resident may walk as far as it takes to a stop; "unreachable" means nothing open
  within 3 hours, and averages then count them at 3 hours (a lower bound).
- *Opening hours*: five part-time counters' hours were never published; Mo-Fr 10:00-18:00 is
  assumed. Two counters (Church Street, Royalty Studios) have no published address and are
  left out of the travel-time figures.
- *Candidate hosts* are today's (2024) supermarkets, 2016 libraries and 2013/14 fire
  stations; a site being listed does not mean it has room or would agree.
- *Deprivation* is IMD 2019 (2011 LSOAs) carried to 2021 LSOAs; merged LSOAs take a
  population-weighted rank.
- *A time band* is one moment in the week (e.g. Wednesday 03:00), not an average over hours.
"""
