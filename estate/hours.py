"""Opening hours: a subset of OpenStreetMap's ``opening_hours`` syntax.

Supported: ``24/7``; rules separated by ``;`` of the form ``DAYS HH:MM-HH:MM[,HH:MM-HH:MM]``
or ``DAYS off``, where DAYS is a list of days and day ranges (``Mo-Fr``,
``Sa,Su``, ``Mo,We-Fr``); a time range may pass midnight (``22:00-02:00``)
and ``24:00`` closes at midnight.  Later rules replace earlier ones for the
days they name, as in OSM.  Public holidays (``PH``) are not supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from estate.errors import HoursError

__all__ = ["ALWAYS", "DAY_ABBR", "Hours", "parse_hours"]

DAY_ABBR = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_MIN_PER_WEEK = 7 * 24 * 60
_TIME = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True, eq=False)
class Hours:
    """A week of opening, minute by minute."""

    text: str
    open_minutes: np.ndarray  # bool, 10080 entries from Monday 00:00

    def is_open(self, weekday: int, minute: int) -> bool:
        """Open at ``minute`` past midnight on ``weekday`` (0 = Monday)?"""
        return bool(self.open_minutes[weekday * 1440 + minute])

    @property
    def is_24_7(self) -> bool:
        """Open every minute of the week."""
        return bool(self.open_minutes.all())

    @property
    def hours_per_week(self) -> float:
        """Total opening hours in a week."""
        return float(self.open_minutes.sum()) / 60.0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hours) and bool(
            np.array_equal(self.open_minutes, other.open_minutes)
        )

    def __hash__(self) -> int:
        return hash(self.open_minutes.tobytes())


def _days(spec: str, text: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, b = (p.strip() for p in part.split("-", 1))
            if a not in DAY_ABBR or b not in DAY_ABBR:
                raise HoursError(_msg(text, f"unknown day range {part!r}"))
            i, j = DAY_ABBR.index(a), DAY_ABBR.index(b)
            out.extend((i + k) % 7 for k in range((j - i) % 7 + 1))
        elif part in DAY_ABBR:
            out.append(DAY_ABBR.index(part))
        else:
            raise HoursError(_msg(text, f"unknown day {part!r}"))
    return out


def _msg(text: str, why: str) -> str:
    return (
        f"opening hours {text!r}: {why}. Use the OSM opening_hours subset, e.g. '24/7' or "
        "'Mo-Fr 10:00-22:00; Sa,Su 09:00-19:00' (days Mo Tu We Th Fr Sa Su; times HH:MM-HH:MM)."
    )


def parse_hours(text: str) -> Hours:
    """Parse an opening-hours string.

    Examples
    --------
    >>> h = parse_hours("Mo-Fr 10:00-22:00; Sa,Su 09:00-19:00")
    >>> h.is_open(2, 12 * 60), h.is_open(2, 3 * 60), h.hours_per_week
    (True, False, 80.0)
    >>> parse_hours("24/7").is_24_7
    True
    """
    if not isinstance(text, str) or not text.strip():
        raise HoursError(_msg(str(text), "empty"))
    week = np.zeros(_MIN_PER_WEEK, dtype=bool)
    src = text.strip()
    if src in {"off", "closed"}:
        return Hours(src, week)
    for rule in (r.strip() for r in src.split(";")):
        if not rule:
            continue
        if rule == "24/7":
            week[:] = True
            continue
        parts = rule.split(None, 1)
        if len(parts) != 2:
            raise HoursError(_msg(text, f"rule {rule!r} needs days and times"))
        days = _days(parts[0], text)
        for d in days:  # a later rule replaces earlier ones for its days
            week[d * 1440:(d + 1) * 1440] = False
        if parts[1].strip() in {"off", "closed"}:
            continue
        for span in parts[1].split(","):
            m = _TIME.match(span.strip())
            if not m:
                raise HoursError(_msg(text, f"bad time range {span.strip()!r}"))
            h1, m1, h2, m2 = map(int, m.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440:
                raise HoursError(_msg(text, f"impossible time in {span.strip()!r}"))
            if end == start:
                raise HoursError(_msg(text, f"{span.strip()!r} opens and closes at the same time; for a whole "
                                             "day write 00:00-24:00, for none write off"))
            if end < start:  # passes midnight
                end += 1440
            for d in days:
                idx = (d * 1440 + np.arange(start, end)) % _MIN_PER_WEEK
                week[idx] = True
    return Hours(src, week)


#: Always open.
ALWAYS = parse_hours("24/7")
