"""Offline geocoding of UK postcodes from OS Code-Point Open."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geodata._manifest import read_table
from geodata.errors import DataError

__all__ = ["Geocoder", "UnknownPostcodeError", "normalise_postcode"]

_PC_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


class UnknownPostcodeError(KeyError, DataError):
    """A postcode that is malformed or not in the Code-Point Open file."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown postcode"


def normalise_postcode(text: str) -> str:
    """Upper-case a postcode with one space before the inward code.

    Examples
    --------
    >>> normalise_postcode(" w3 9bh ")
    'W3 9BH'
    >>> normalise_postcode("IG117NB")
    'IG11 7NB'
    """
    compact = re.sub(r"\s+", "", str(text)).upper()
    m = _PC_RE.match(compact)
    if not m:
        raise UnknownPostcodeError(f"{text!r} is not a UK postcode (expected e.g. 'W3 9BH')")
    return f"{m.group(1)} {m.group(2)}"


class Geocoder:
    """Postcode -> (easting, northing) in EPSG:27700, offline."""

    def __init__(self, table: pd.DataFrame, *, vintage: str = "2014") -> None:
        self.vintage = vintage
        t = table.drop_duplicates("postcode")
        self._xy = pd.DataFrame(
            {"x": t["easting"].to_numpy(np.float64), "y": t["northing"].to_numpy(np.float64)},
            index=pd.Index(t["postcode"].astype(str).str.upper().str.strip(), name="postcode"),
        )

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> Geocoder:
        """Load the Code-Point Open file of the data directory."""
        return cls(read_table("postcodes", data_dir, usecols=["postcode", "easting", "northing"]))

    def __len__(self) -> int:
        return len(self._xy)

    def lookup(self, postcode: str) -> tuple[float, float]:
        """Return ``(x, y)`` for a postcode, or raise :class:`UnknownPostcodeError`."""
        key = normalise_postcode(postcode)
        try:
            row = self._xy.loc[key]
        except KeyError:
            raise UnknownPostcodeError(
                f"postcode {key!r} is not in Code-Point Open ({self.vintage}); it may be newer or retired. "
                "Give the site's easting/northing or lon/lat instead."
            ) from None
        return float(row["x"]), float(row["y"])
