"""Every site a scenario can name, as plain arrays: what resolving a scenario and
choosing the open matrix columns need, and no more (no pandas).

:class:`~estate.register.Estate` (the full frames, for tables, maps and
evidence) builds one and answers these questions through it;
the planner keeps one in its derived-tables cache, so a warm answer resolves
scenarios without loading the register and the candidate places again.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from estate.errors import UnknownSiteError
from estate.hours import Hours, parse_hours

__all__ = ["SiteIndex", "SiteLookup"]


class SiteLookup(Protocol):
    """What scenarios ask of the estate (:class:`SiteIndex` and :class:`~estate.register.Estate` answer)."""

    def column(self, site_id: str) -> int: ...

    def has_column(self, site_id: str) -> bool: ...

    def hours(self, text: str) -> Hours: ...

    def check_id(self, site_id: str, where: str = "") -> str: ...

    def register_hours(self) -> dict[str, str]: ...

    def default_hours(self, site_id: str) -> str: ...

    def is_located(self, site_id: str) -> bool: ...


@dataclass(frozen=True, eq=False)
class SiteIndex:
    """Site ids with their default hours, location flag and register status, in the estate's order.

    ``column_ids`` are the located sites in matrix-column order (the order they appear in).
    """

    ids: np.ndarray
    hours_text: np.ndarray
    located: np.ndarray
    in_register: np.ndarray
    register_open: np.ndarray
    _pos: dict[str, int] = field(init=False, repr=False)
    _col: dict[str, int] = field(init=False, repr=False)
    _parsed: dict[str, Hours] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ids = [str(s) for s in self.ids]
        object.__setattr__(self, "_pos", {s: i for i, s in enumerate(ids)})
        located = [s for s, ok in zip(ids, self.located, strict=True) if ok]
        object.__setattr__(self, "_col", {s: i for i, s in enumerate(located)})
        object.__setattr__(self, "_parsed", {})

    @property
    def column_ids(self) -> np.ndarray:
        """Located sites, in matrix-column order."""
        return np.asarray(list(self._col), dtype=str)

    def column(self, site_id: str) -> int:
        """The matrix column of a located site."""
        return self._col[site_id]

    def has_column(self, site_id: str) -> bool:
        """Is the site located (has a matrix column)?"""
        return site_id in self._col

    def hours(self, text: str) -> Hours:
        """Parse (memoised) an hours string."""
        if text not in self._parsed:
            self._parsed[text] = parse_hours(text)
        return self._parsed[text]

    def check_id(self, site_id: str, where: str = "") -> str:
        """Return ``site_id`` if known, else raise :class:`UnknownSiteError` with close matches."""
        if site_id in self._pos:
            return site_id
        close = difflib.get_close_matches(site_id, list(self._pos), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else (
            " List ids with `estate sites` (register) or `estate sites --candidates`."
        )
        raise UnknownSiteError(f"{where}unknown site id {site_id!r}.{hint}")

    def register_hours(self) -> dict[str, str]:
        """The register as loaded: every open register site and its hours, in register order."""
        return {str(s): str(h) for s, h, r, o in zip(self.ids, self.hours_text, self.in_register,
                                                     self.register_open, strict=True) if r and o}

    def default_hours(self, site_id: str) -> str:
        """A site's own hours (its register hours; a candidate's usual hours, often empty)."""
        return str(self.hours_text[self._pos[site_id]] or "")

    def is_located(self, site_id: str) -> bool:
        """Has the site a location (and so a matrix column)?"""
        return bool(self.located[self._pos[site_id]])

    def arrays(self) -> dict[str, np.ndarray]:
        """The index as named arrays (for the derived-tables cache)."""
        return {"site_ids": np.asarray(self.ids, dtype=str), "site_hours": np.asarray(self.hours_text, dtype=str),
                "site_located": np.asarray(self.located, dtype=bool),
                "site_in_register": np.asarray(self.in_register, dtype=bool),
                "site_register_open": np.asarray(self.register_open, dtype=bool)}

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> SiteIndex:
        """The inverse of :meth:`arrays`."""
        return cls(a["site_ids"], a["site_hours"], a["site_located"], a["site_in_register"], a["site_register_open"])
