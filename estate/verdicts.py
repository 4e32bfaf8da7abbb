"""A verdict per case: its harm, its rank among the scenario's cases, a severity class and one sentence.

**Harm** of a case in a band (from its :class:`~estate.cases.BandCase`): the
residents of its catchment newly beyond 30 and 45 minutes, the extra
resident-minutes, and the residents left with no open site in reach.  A case
is judged in its **worst band**: the band with most residents newly beyond
45 minutes (then most extra resident-minutes).

**Rank** (1 = most harmful), over every located case of the scenario:

1. losses, by residents newly beyond 45 minutes in the worst band, then extra
   resident-minutes there;
2. gains (openings, hours extended), by residents newly within 45 minutes in
   their best band, then resident-minutes saved;
3. cases with no effect in any band, by name.

Sites with no published location are not ranked; they come after the ranked cases.

**Severity** (:data:`SEVERITIES`; cut-offs :data:`CUTOFFS`, on the worst band):

``severe``     100,000 or more residents newly beyond 45 minutes, or 10,000 or more left with no site in reach
``high``       25,000 or more newly beyond 45 minutes, or 1,000 or more with no site in reach
``moderate``   5,000 or more newly beyond 45, or 10,000 or more newly beyond 30, or anyone with no site in reach
``low``        longer journeys, but below those numbers
``benefit``    the change only brings residents nearer a site
``no effect``  nobody's nearest site changes in any band
``not assessed``  no published location

The cut-offs are absolute numbers of residents, the same for every mode, so a
class means the same thing in every pack (a London borough has about 270,000
residents).  Every sentence's numbers go through :mod:`estate.text`.
"""

from __future__ import annotations

from collections.abc import Sequence

from estate import text
from estate.cases import (
    CHANGE_CLOSED,
    CHANGE_HOURS,
    CHANGE_OPENED,
    EFFECT_GAIN,
    EFFECT_LOSS,
    EFFECT_NONE,
    BandCase,
    SiteCase,
)

__all__ = [
    "CUTOFFS",
    "HARM_THRESHOLD",
    "NOT_ASSESSED",
    "SEVERITIES",
    "UNLOCATED_VERDICT",
    "band_words",
    "mode_words",
    "rank_cases",
    "severity",
    "verdict",
    "worst_band",
]

#: The threshold (minutes) a case is ranked and classed by.
HARM_THRESHOLD = 45
#: The second threshold of the harm score.
NEAR_THRESHOLD = 30

SEVERE, HIGH, MODERATE, LOW, BENEFIT, NO_EFFECT, NOT_ASSESSED = (
    "severe", "high", "moderate", "low", "benefit", "no effect", "not assessed")
#: Severity classes, worst first.
SEVERITIES: tuple[str, ...] = (SEVERE, HIGH, MODERATE, LOW, BENEFIT, NO_EFFECT, NOT_ASSESSED)

#: class -> (residents newly beyond 45 min, residents newly beyond 30 min, residents with no site in reach):
#: a loss reaches the class when any one figure reaches its cut-off (``None``: not a criterion).
CUTOFFS: dict[str, tuple[float | None, float | None, float | None]] = {
    SEVERE: (100_000, None, 10_000),
    HIGH: (25_000, None, 1_000),
    MODERATE: (5_000, 10_000, 1),
}

UNLOCATED_VERDICT = "cannot be assessed: no published location"

_MODE_WORDS = {"walk": "on foot", "drive": "by car", "transit": "by public transport", "cycle": "by bicycle"}
_GROUP_WORDS = {"age_65_plus": "65 or over"}


def band_words(bc: BandCase) -> str:
    """``by day (Wed 12:00)``, ``at night (Wed 03:00)``."""
    if bc.band == "day":
        return f"by day ({bc.band_label.split('(')[-1].rstrip(')')})" if "(" in bc.band_label else "by day"
    return f"at {bc.band_label}"


def mode_words(mode: str) -> str:
    """``walk`` -> "on foot", ``transit`` -> "by public transport"."""
    return _MODE_WORDS.get(str(mode), f"by {mode}")


def _loss_key(bc: BandCase) -> tuple[float, float]:
    return (bc.newly_beyond.get(HARM_THRESHOLD, 0.0), bc.total_minutes)


def _gain_key(bc: BandCase) -> tuple[float, float]:
    return (bc.newly_within.get(HARM_THRESHOLD, 0.0), bc.total_minutes)


def worst_band(case: SiteCase) -> str:
    """The band a case is judged in: its worst loss, else its best gain, else its first band ("" for none)."""
    losses = [bc for bc in case.bands.values() if bc.effect == EFFECT_LOSS and bc.has_catchment]
    if losses:
        return max(losses, key=_loss_key).band
    gains = [bc for bc in case.bands.values() if bc.effect == EFFECT_GAIN and bc.has_catchment]
    if gains:
        return max(gains, key=_gain_key).band
    return next(iter(case.bands), "")


def severity(case: SiteCase) -> str:
    """The case's class in :data:`SEVERITIES` (see the module's cut-offs)."""
    if not case.located:
        return NOT_ASSESSED
    bc = case.bands.get(case.worst_band or worst_band(case))
    if bc is None or not bc.has_catchment or bc.effect not in (EFFECT_LOSS, EFFECT_GAIN):
        return NO_EFFECT
    if bc.effect == EFFECT_GAIN:
        return BENEFIT
    figures = (bc.newly_beyond.get(HARM_THRESHOLD, 0.0), bc.newly_beyond.get(NEAR_THRESHOLD, 0.0), bc.unreachable)
    for cls, cuts in CUTOFFS.items():
        if any(c is not None and v >= c for v, c in zip(figures, cuts, strict=True)):
            return cls
    return LOW


def _sort_key(case: SiteCase) -> tuple[int, float, float, str]:
    bc = case.bands.get(case.worst_band)
    if bc is not None and bc.has_catchment and bc.effect == EFFECT_LOSS:
        a, b = _loss_key(bc)
        return (0, -a, -b, case.name)
    if bc is not None and bc.has_catchment and bc.effect == EFFECT_GAIN:
        a, b = _gain_key(bc)
        return (1, -a, -b, case.name)
    return (2, 0.0, 0.0, case.name)


def rank_cases(cases: Sequence[SiteCase]) -> list[SiteCase]:
    """Set each case's ``worst_band``, ``severity`` and ``rank``; return them ranked, unlocated ones last."""
    for c in cases:
        c.worst_band = worst_band(c) if c.located else ""
        c.severity = severity(c)
    located = sorted((c for c in cases if c.located), key=_sort_key)
    for k, c in enumerate(located, start=1):
        c.rank = k
    rest = sorted((c for c in cases if not c.located), key=lambda c: c.name)
    for c in rest:
        c.rank = None
    return [*located, *rest]


def _doing(case: SiteCase) -> str:
    if case.change == CHANGE_CLOSED:
        return f"Closing {case.name}"
    if case.change == CHANGE_OPENED:
        return f"Opening {case.name}"
    verb = "Cutting" if any(bc.effect == EFFECT_LOSS for bc in case.bands.values()) else "Changing"
    return f"{verb} {case.name}'s hours ({case.hours_before} → {case.hours_after})"


def _no_case_clauses(case: SiteCase) -> list[str]:
    """Why a band has no case, for the bands the site did not serve in the base."""
    out = []
    for bc in case.bands.values():
        if bc.effect == EFFECT_NONE and bc.reason == "closed in the base":
            out.append(f"it was already closed {band_words(bc)} in the base ({case.hours_before}), "
                       f"so it has no {bc.band} case")
    return out


def verdict(case: SiteCase, n_ranked: int, mode: str) -> str:
    """One plain sentence (or two) a councillor can read aloud; needs ``rank``, ``worst_band``, ``severity``."""
    if not case.located:
        return UNLOCATED_VERDICT
    bc = case.bands.get(case.worst_band)
    place = f"({text.ordinal(case.rank)} of {n_ranked})" if case.rank else ""
    extra = _no_case_clauses(case)
    tail = ("; " + "; ".join(extra)) if extra else ""
    how = mode_words(mode)
    if bc is None or not bc.has_catchment or bc.effect not in (EFFECT_LOSS, EFFECT_GAIN):
        why = "it is nobody's nearest open site in any band, before or after"
        if case.change == CHANGE_HOURS:
            why = "its hours change outside the bands assessed, so nobody's nearest open site changes"
        s = f"{_doing(case)} changes no resident's journey {place}: {why}"
        return s + tail + "."
    if bc.effect == EFFECT_GAIN:
        nw = bc.newly_within.get(HARM_THRESHOLD, 0.0)
        s = (f"{_doing(case)} is the nearest open site for {text.count(bc.residents)} residents "
             f"{band_words(bc)} {place}")
        if nw > 0:
            s += f" and brings {text.count(nw)} of them within {HARM_THRESHOLD} minutes {how}"
        if bc.total_minutes > 0:
            s += f", saving {text.count(bc.total_minutes)} resident-minutes"
        return s + tail + "."
    nb = bc.newly_beyond.get(HARM_THRESHOLD, 0.0)
    if nb > 0:
        s = (f"{_doing(case)} puts {text.count(nb)} residents beyond {HARM_THRESHOLD} minutes {how} "
             f"{band_words(bc)} {place}")
        g = bc.newly_beyond_groups.get(HARM_THRESHOLD, {})
        old = g.get("age_65_plus")
        if old is not None and nb > 0:
            s += (f"; {text.share(old / nb, digits=0)} of them are {_GROUP_WORDS['age_65_plus']}, against "
                  f"{text.share(bc.borough_share.get('age_65_plus'), digits=0)} in {case.area_name or 'the borough'}")
    else:
        s = (f"{_doing(case)} lengthens the journeys of {text.count(bc.residents)} residents {how} "
             f"{band_words(bc)} by {text.minutes(bc.mean_change, unit=True)} on average {place}, but pushes "
             f"nobody beyond {HARM_THRESHOLD} minutes")
    if bc.unreachable > 0:
        s += f"; {text.count(bc.unreachable)} are left with no open site within reach"
    top = bc.flows[0] if bc.flows else None
    if top is not None and top.site_id:
        hours = "open 24/7" if top.is_24_7 else f"open {top.hours}" if top.hours else "open"
        s += f"; most ({text.share(top.share, digits=0)}) now go to {top.name}, {hours}"
    elif top is not None:
        s += f"; most ({text.share(top.share, digits=0)}) have no open site within reach"
    return s + tail + "."
