"""Every colour the outputs use, by what it means: one place.

Call sites name a meaning (``colour("worse")``, ``ramp("better")``), never a
hex code, so the app, the web maps, the static maps and the report agree on
what orange or purple says.  All colours are colour-blind safe: ColorBrewer
PuOr for change (orange = worse, purple = better), viridis for levels,
Okabe-Ito for site status.

One colour language (issue 10): **orange is always worse** (longer journeys, more residents
beyond a threshold, fewer within it), whether the map shows a level or a change; **purple is
only ever better** (a change for the better); **unreachable** is near-black, never a shade of
either, and every legend names it in the words of :data:`WORDS`.  Levels use
:func:`levels` (one hue, light = good to dark = bad), changes :func:`diverging` (purple
through pale grey to orange).  The app's maps, the exported maps and the report's maps all
take their classes from here (via :mod:`estate.outputs.scales` and
:mod:`estate.outputs.staticmaps`).

Meanings (:data:`COLOURS`):

``worse`` / ``better`` / ``no change``
    a change for residents (longer / shorter journeys, more / fewer beyond a threshold).
``unreachable``
    no open site in reach (drawn, not left blank).
``missing``
    no data (e.g. no counter open in either scenario).
``open`` / ``closing`` / ``new`` / ``candidate`` / ``closed``
    a site's status; ``open part-time`` a part-time site residents go to instead.
``boundary``, ``outline``, ``highlight``, ``marker edge``, ``candidate edge``, ``swatch edge``,
    ``label``, ``note``, ``background``
    the lines, edges and text of a map.
``ink``, ``heading``, ``rule``, ``faint rule``, ``table header``, ``highlight row``, ``flag``, ``flag border``, ``term``, ``link``
    the report's text, headings, table lines, highlighted rows and broken-rule flags.
"""

from __future__ import annotations

from estate.errors import UnknownNameError

__all__ = [
    "CIVIDIS",
    "COLOURS",
    "OKABE_ITO",
    "PUOR",
    "STATUS_COLOURS",
    "VIRIDIS",
    "WORDS",
    "categorical",
    "colour",
    "diverging",
    "levels",
    "ramp",
    "rgba",
]

#: viridis, 7 classes, dark to light.
VIRIDIS: tuple[str, ...] = ("#440154", "#443983", "#31688e", "#21918c", "#35b779", "#90d743", "#fde725")
#: cividis, 7 classes, dark to light (safe for every colour-vision deficiency).
CIVIDIS: tuple[str, ...] = ("#00224e", "#233e6c", "#4c546c", "#6b6f76", "#958f78", "#c3b369", "#fee838")
#: ColorBrewer PuOr, 7 classes, purple (better) to orange (worse).
PUOR: tuple[str, ...] = ("#542788", "#998ec3", "#d8daeb", "#f7f7f7", "#fee0b6", "#f1a340", "#b35806")
#: Okabe-Ito qualitative colours.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999",
}

#: Colour by meaning.
COLOURS: dict[str, str] = {
    "worse": PUOR[-1],
    "better": PUOR[0],
    "no change": PUOR[3],
    "unreachable": "#252525",
    "missing": "#bdbdbd",
    "open": OKABE_ITO["blue"],
    "open part-time": OKABE_ITO["sky"],
    "closing": OKABE_ITO["vermillion"],
    "new": OKABE_ITO["green"],
    "candidate": OKABE_ITO["grey"],
    "closed": "#6e6e6e",
    "boundary": "#8a8a8a",
    "outline": "#555555",
    "highlight": "#000000",
    "marker edge": "#000000",
    "candidate edge": "#333333",
    "label": "#666666",
    "swatch edge": "#999999",
    "note": "#555555",
    "background": "#ffffff",
    # the report (HTML and PDF alike)
    "ink": "#1b1b1b",
    "heading": "#1f3b70",
    "rule": "#c8ccd4",
    "table header": "#e9edf5",
    "highlight row": "#fff1e6",
    "flag": "#fde8e8",
    "flag border": "#c0392b",
    "faint rule": "#dddddd",
    "term": "#333333",
    "link": "#1f5fbf",
    "box": "#f3f6fb",
    "box border": "#8da2c8",
}

#: Site status -> marker colour (the status meanings of :data:`COLOURS`).
STATUS_COLOURS: dict[str, str] = {s: COLOURS[s] for s in ("open", "closing", "new", "candidate", "closed")}

#: Six classes from slight to large, for a change that is worse or better (PuOr, extended).
_RAMPS: dict[str, tuple[str, ...]] = {
    "worse": ("#fef3e4", "#fee0b6", "#fdb863", "#e08214", "#b35806", "#7f3b08"),
    "better": ("#efeef6", "#d8daeb", "#b2abd2", "#8073ac", "#542788", "#2d004b"),
}


#: Twenty distinct colours (matplotlib's tab20) for telling neighbouring catchments apart.
_CATEGORICAL: tuple[str, ...] = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5",
    "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
)


#: Seven classes of a level where more is worse, light (good) to dark (bad): the 'worse' hue (ColorBrewer Oranges).
_WORSE_LEVELS: tuple[str, ...] = ("#fff5eb", "#fee0b6", "#fdb863", "#f1a340", "#e08214", "#b35806", "#7f3b08")

#: What each meaning says in a legend: the same words in the app, the exported maps and the report.
WORDS: dict[str, str] = {
    "worse": "worse: longer journeys, more residents beyond",
    "better": "better: shorter journeys, fewer residents beyond",
    "no change": "no change",
    "unreachable": "no open site within reach (beyond the engine's cutoff)",
    "missing": "no data",
}


def levels(*, more_is_worse: bool = True) -> tuple[str, ...]:
    """Seven classes of a level (minutes, residents beyond, share within), low to high values.

    Darker orange is always worse: when more is better (a share within a threshold) the
    ramp runs the other way.

    Examples
    --------
    >>> levels()[-1] == levels(more_is_worse=False)[0] == _WORSE_LEVELS[-1]
    True
    """
    return _WORSE_LEVELS if more_is_worse else _WORSE_LEVELS[::-1]


def categorical(k: int) -> str:
    """The ``k``-th of twenty distinct colours (cycling): one per catchment on an overview map."""
    return _CATEGORICAL[k % len(_CATEGORICAL)]


def colour(meaning: str) -> str:
    """The colour of a meaning.

    Examples
    --------
    >>> colour("worse"), colour("better")
    ('#b35806', '#542788')
    """
    try:
        return COLOURS[meaning]
    except KeyError:
        raise UnknownNameError(f"no colour for {meaning!r}; known meanings: {', '.join(COLOURS)}") from None


def ramp(meaning: str) -> tuple[str, ...]:
    """Six classes, slight to large, of a ``worse`` or ``better`` change."""
    try:
        return _RAMPS[meaning]
    except KeyError:
        raise UnknownNameError(f"no ramp for {meaning!r}; known: {', '.join(_RAMPS)}") from None


def diverging(*, better_first: bool = True) -> tuple[str, ...]:
    """The 7-class change scale: better (purple) through no change to worse (orange)."""
    return PUOR if better_first else PUOR[::-1]


def rgba(meaning: str, alpha: float) -> str:
    """A CSS ``rgba()`` of a meaning's colour.

    Examples
    --------
    >>> rgba("worse", 0.5)
    'rgba(179, 88, 6, 0.50)'
    """
    h = colour(meaning).lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha:.2f})"
