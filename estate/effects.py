"""What each edit of a draft does, in every band at once, and why an edit does nothing.

The effect of one edit is the draft's coverage minus the coverage of the draft
without that edit (:meth:`Scenario.undo`), in residents beyond the threshold
across London, for each band side by side.  An edit with no effect in a band
gets a plain reason ("Walworth is not open at night (Wed 03:00) in the base:
its hours are Mo-Fr 10:00-18:00").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from estate import text
from estate.scenario import Scenario
from geodata.travel.base import TimeBand, parse_band

__all__ = ["Effect", "edit_effects", "own_changes"]


@dataclass(frozen=True)
class Effect:
    """One edit in one band: the change in residents beyond the threshold, and why it is zero."""

    site_id: str
    name: str
    kind: str
    band: TimeBand
    beyond_change: int
    reason: str = ""

    def describe(self, threshold: int) -> str:
        """``"+75,722 more beyond 45 min"``, or ``"no effect: <reason>"``."""
        if self.beyond_change == 0:
            return f"no effect: {self.reason}" if self.reason else "no effect"
        word = "more" if self.beyond_change > 0 else "fewer"
        return f"{text.count(self.beyond_change, signed=True)} {word} beyond {threshold} min"


def own_changes(draft: Scenario, start: Scenario | None) -> list[str]:
    """Site ids the draft changes differently from the scenario it started from (its own edits), in order."""
    out: list[str] = []
    for kind in ("close", "open", "set_hours"):
        for c in getattr(draft, kind):
            theirs = start.change_of(c.site_id) if start is not None else None
            if (theirs is None or theirs[0] != kind or theirs[1] != c) and c.site_id not in out:
                out.append(c.site_id)
    return out


def _reason(planner: Any, kind: str, site: str, name: str, band: TimeBand, with_state: Any, without_state: Any,
            threshold: int) -> str:
    estate = planner.estate
    if not estate.has_column(site):
        return "it has no known location, so it is left out of the travel times"
    if kind == "close":
        h = without_state.hours.get(site)
        if h is None:
            return "it is already closed"
        if not estate.hours(h).is_open(band.weekday, band.minute):
            return f"it is not open at {band.label} anyway (hours: {h})"
        return f"everyone who used {name} still reaches another counter within {threshold} min"
    h = with_state.hours.get(site)
    if h is not None and not estate.hours(h).is_open(band.weekday, band.minute):
        return f"its hours ({h}) do not cover {band.label}"
    old = without_state.hours.get(site)
    if kind == "set_hours" and old is not None and h is not None and (
            estate.hours(old).is_open(band.weekday, band.minute) == estate.hours(h).is_open(band.weekday, band.minute)):
        return f"the old hours ({old}) and the new ({h}) agree at {band.label}"
    return f"nobody is brought within {threshold} min by it (others are nearer, or it is too far)"


def _without(draft: Scenario, site: str, start: Scenario | None) -> Scenario:
    """The draft with ``site`` as the starting scenario had it (its change there, or none)."""
    out = draft.undo(site)
    theirs = start.change_of(site) if start is not None else None
    if theirs is not None:
        kind, change = theirs
        out = dataclasses.replace(out, **{kind: (*getattr(out, kind), change)})  # type: ignore[arg-type]
    return out


def edit_effects(planner: Any, draft: Scenario, site_ids: Sequence[str], *, mode: str,
                 bands: Sequence[str | TimeBand], threshold: int, start: Scenario | None = None) -> list[list[Effect]]:
    """For each site in ``site_ids`` (edits of ``draft``), its :class:`Effect` in each band.

    An edit's effect is measured against the draft with that site as ``start``
    (the scenario the draft began from) had it.  The planner must have the
    matrices of ``mode`` in ``bands`` (or build them).
    """
    bs = [parse_band(b) for b in bands]
    with_state = planner.state(draft)
    totals = {b: planner.coverage(draft, mode, b).beyond(threshold)[-1] for b in bs}
    out: list[list[Effect]] = []
    for site in site_ids:
        found = draft.change_of(site)
        if found is None:
            continue
        kind = found[0]
        without = _without(draft, site, start)
        without_state = planner.state(without)
        name = str(planner.estate.sites.loc[site, "name"]) if site in planner.estate.sites.index else site
        row = []
        for b in bs:
            delta = round(float(totals[b] - planner.coverage(without, mode, b).beyond(threshold)[-1]))
            reason = "" if delta else _reason(planner, kind, site, name, b, with_state, without_state, threshold)
            row.append(Effect(site, name, kind, b, delta, reason))
        out.append(row)
    return out
