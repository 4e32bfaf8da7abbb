"""Offline geocoding of UK postcodes from OS Code-Point Open.

Two editions can be at hand: the data pack's London extract (August 2014, which
places the register's sites) and, beside the pack, the national file of a newer
edition (``../national/geocoding/codepoint_open_<yyyy>_<mm>_gb.csv.gz``), which
the app's postcode search prefers (:func:`newest_geocoder`).  A postcode missing
from a file is reported as "not in the postcode list of <edition>".
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geodata._manifest import read_table
from geodata.errors import DataError

__all__ = ["Geocoder", "UnknownPostcodeError", "national_postcode_file", "newest_geocoder", "normalise_postcode"]

_PC_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_NATIONAL_RE = re.compile(r"^codepoint_open_(\d{4})_(\d{2})_gb\.csv(\.gz)?$")


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
        shown = str(text)[:20]
        raise UnknownPostcodeError(f"{shown!r} is not a UK postcode (expected e.g. 'W3 9BH')")
    return f"{m.group(1)} {m.group(2)}"


class Geocoder:
    """Postcode -> (easting, northing) in EPSG:27700, offline.

    ``table`` has columns ``postcode``, ``easting``, ``northing``; rows without a
    location (0 or missing) are left out.  ``edition`` names the file's date in
    messages ("August 2014").
    """

    def __init__(self, table: pd.DataFrame, *, edition: str = "August 2014", vintage: str | None = None) -> None:
        t = table.dropna(subset=["easting", "northing"])
        t = t[(t["easting"] > 0) & (t["northing"] > 0)]
        keys = t["postcode"].astype(str).str.replace(" ", "", regex=False).str.upper().to_numpy().astype("S7")
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.ones(len(keys), bool)
        first[1:] = keys[1:] != keys[:-1]
        self._keys = keys[first]
        self._x = t["easting"].to_numpy(np.float64)[order][first]
        self._y = t["northing"].to_numpy(np.float64)[order][first]
        self.edition = vintage if vintage else edition
        #: the edition's year as the register's messages give it ("2014")
        self.vintage = vintage if vintage else self.edition.split()[-1]

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> Geocoder:
        """Load the Code-Point Open file of the data directory (the 2014 London extract)."""
        return cls(read_table("postcodes", data_dir, usecols=["postcode", "easting", "northing"]))

    @classmethod
    def from_codepoint_file(cls, path: Path) -> Geocoder:
        """Load a national Code-Point Open CSV (columns ``Postcode``, ``Eastings``, ``Northings``).

        Raises
        ------
        DataError
            The file cannot be read or lacks those columns.
        """
        m = _NATIONAL_RE.match(Path(path).name)
        edition = f"{_MONTHS[int(m.group(2)) - 1]} {m.group(1)}" if m and 1 <= int(m.group(2)) <= 12 else Path(path).name
        try:
            t = pd.read_csv(path, usecols=["Postcode", "Eastings", "Northings"],
                            dtype={"Postcode": str, "Eastings": "float64", "Northings": "float64"})
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot read the Code-Point Open file ({exc}); expected the columns "
                            "Postcode, Eastings, Northings") from exc
        return cls(t.rename(columns={"Postcode": "postcode", "Eastings": "easting", "Northings": "northing"}),
                   edition=edition)

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, postcode: str) -> tuple[float, float]:
        """Return ``(x, y)`` for a postcode, or raise :class:`UnknownPostcodeError`."""
        key = normalise_postcode(postcode)
        compact = key.replace(" ", "").encode("ascii")
        i = int(np.searchsorted(self._keys, compact))
        if i >= len(self._keys) or self._keys[i] != compact:
            raise UnknownPostcodeError(
                f"postcode {key!r} is not in Code-Point Open, the postcode list of {self.edition}: "
                "it may be newer or mistyped; check it, or give an easting/northing instead"
            )
        return float(self._x[i]), float(self._y[i])


def national_postcode_file(data_dir: Path) -> Path | None:
    """The newest national Code-Point Open file beside the data folder (``../national/geocoding/``), if any."""
    folder = Path(data_dir).parent / "national" / "geocoding"
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if _NATIONAL_RE.match(p.name))
    return found[-1] if found else None


def newest_geocoder(data_dir: Path) -> Geocoder:
    """The national file's geocoder where present (:func:`national_postcode_file`), else the pack's 2014 one."""
    path = national_postcode_file(data_dir)
    return Geocoder.from_codepoint_file(path) if path else Geocoder.from_data_dir(data_dir)
