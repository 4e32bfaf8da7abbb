"""The travel-time interface every engine implements.

An engine turns *origins* (population units) and *destinations* (sites) into a
units x sites matrix of travel times in seconds (``float32``; ``inf`` where a
destination is beyond the engine's cutoff).  Coordinates are always British
National Grid metres (EPSG:27700).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import numpy as np

from geodata.errors import DataError, UnknownBandError, UnknownModeError

__all__ = [
    "BANDS",
    "MODES",
    "Mode",
    "Points",
    "ProgressFn",
    "TimeBand",
    "TravelEngine",
    "parse_band",
    "parse_mode",
]


class Mode(StrEnum):
    """A travel mode.  Also a ``str``: it equals, hashes, formats and JSON-encodes as its text.

    (``yaml.safe_dump`` wants plain text: write ``str(mode)``.)

    Text becomes a ``Mode`` once, where it enters (:func:`parse_mode`); engines and
    everything below take a ``Mode``.

    Examples
    --------
    >>> Mode.WALK == "walk", str(Mode.TRANSIT), f"{Mode.DRIVE}"
    (True, 'transit', 'drive')
    """

    WALK = "walk"
    DRIVE = "drive"
    TRANSIT = "transit"


#: Travel modes the planner knows, in display order.
MODES: tuple[Mode, ...] = tuple(Mode)

#: ``progress(done, total)``: called by long work; the CLI shows a bar, the app ``st.progress``.
ProgressFn = Callable[[int, int], None]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_mode(text: str | Mode) -> Mode:
    """The :class:`Mode` named by ``text`` (``walk``, ``drive``, ``transit``; any case).

    Raises
    ------
    UnknownModeError
        For any other text; the message lists the modes.

    Examples
    --------
    >>> parse_mode("walk")
    <Mode.WALK: 'walk'>
    >>> parse_mode(" Transit ") is Mode.TRANSIT
    True
    """
    if isinstance(text, Mode):
        return text
    try:
        return Mode(str(text).strip().lower())
    except ValueError:
        raise UnknownModeError(
            f"unknown travel mode {text!r}: expected one of {', '.join(MODES)}"
        ) from None


@dataclass(frozen=True)
class TimeBand:
    """A moment in the week at which sites' hours and networks are judged.

    ``weekday`` is 0 for Monday to 6 for Sunday; ``minute`` counts from midnight.
    """

    name: str
    weekday: int
    minute: int

    @property
    def label(self) -> str:
        """Human label, e.g. ``'night (Wed 03:00)'``."""
        day = _DAYS[self.weekday].capitalize()
        when = f"{day} {self.minute // 60:02d}:{self.minute % 60:02d}"
        return when if self.name == when.lower().replace(" ", "-") else f"{self.name} ({when})"

    @property
    def is_night(self) -> bool:
        """True between 00:30 and 05:30, when only night transport runs."""
        return 30 <= self.minute < 330

    @property
    def night_of(self) -> int:
        """The weekday whose evening this night belongs to (Sat 03:00 -> Friday night = 4)."""
        return (self.weekday - 1) % 7 if self.minute < 12 * 60 else self.weekday


#: The named bands.  ``day`` is a Wednesday noon, ``night`` a Wednesday 03:00.
BANDS: dict[str, TimeBand] = {
    "day": TimeBand("day", 2, 12 * 60),
    "night": TimeBand("night", 2, 3 * 60),
    "evening": TimeBand("evening", 2, 20 * 60),
    "weekend-day": TimeBand("weekend-day", 5, 12 * 60),
    "weekend-night": TimeBand("weekend-night", 5, 3 * 60),
}

_BAND_RE = re.compile(r"^\s*([A-Za-z]{2,9})[\s-]+(\d{1,2}):(\d{2})\s*$")


def parse_band(text: str | TimeBand) -> TimeBand:
    """Parse a band name (``day``, ``night``...) or a weekday and time (``Sat 03:00``).

    Examples
    --------
    >>> parse_band("night").minute
    180
    >>> parse_band("Sat 03:00")
    TimeBand(name='sat-03:00', weekday=5, minute=180)
    """
    if isinstance(text, TimeBand):
        return text
    key = str(text).strip().lower()
    if key in BANDS:
        return BANDS[key]
    m = _BAND_RE.match(key)
    if m:
        day, hh, mm = m.group(1)[:3], int(m.group(2)), int(m.group(3))
        if day in _DAYS and hh < 24 and mm < 60:
            return TimeBand(f"{day}-{hh:02d}:{mm:02d}", _DAYS.index(day), hh * 60 + mm)
    raise UnknownBandError(
        f"unknown time band {text!r}: use one of {', '.join(BANDS)} "
        "or a weekday and time such as 'Sat 03:00'"
    )


@dataclass(frozen=True, eq=False)
class Points:
    """Labelled points in EPSG:27700 metres (population units or sites)."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    _fp: list[str] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", np.asarray(self.ids).astype(str))
        object.__setattr__(self, "x", np.asarray(self.x, dtype=np.float64))
        object.__setattr__(self, "y", np.asarray(self.y, dtype=np.float64))
        if not (len(self.ids) == len(self.x) == len(self.y)):
            raise DataError(
                f"Points: ids, x and y must have the same length, not {len(self.ids)}, "
                f"{len(self.x)} and {len(self.y)}"
            )

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def xy(self) -> np.ndarray:
        """An (n, 2) array of coordinates."""
        return np.column_stack([self.x, self.y])

    def fingerprint(self) -> str:
        """A hash of ids and coordinates (to the centimetre), for cache keys."""
        if not self._fp:
            h = hashlib.sha256()
            h.update("\x1f".join(self.ids.tolist()).encode())
            h.update(np.round(self.xy, 2).tobytes())
            self._fp.append(h.hexdigest())
        return self._fp[0]


@runtime_checkable
class TravelEngine(Protocol):
    """What every travel-time engine provides."""

    #: engine name as reported in every output: ``crowfly``, ``streets``, ``transit``
    name: str
    #: the travel mode it serves
    mode: Mode

    def variant(self, band: TimeBand) -> str:
        """The key of the network that applies in ``band`` (e.g. ``'all'``, ``'day'``, ``'night-tube'``).

        Bands with the same variant share one matrix.
        """
        ...

    def settings_key(self) -> dict[str, Any]:
        """Everything that changes the result (settings, input file identities), for cache keys."""
        ...

    def describe(self) -> str:
        """One plain sentence of how times are computed, shown in outputs (the approximations)."""
        ...

    def matrix(
        self,
        origins: Points,
        destinations: Points,
        band: TimeBand,
        *,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """Travel times in seconds, shape ``(len(origins), len(destinations))``, float32."""
        ...
