"""Coordinate reference systems: the one place that converts between them.

Everything in the planner is measured in British National Grid metres
(EPSG:27700).  Inputs that come as WGS84 longitude/latitude (GTFS stops, the
Tube station list, supermarkets, a postcode lookup) go through
:func:`lonlat_to_bng`; maps drawn on web tiles go back through
:func:`bng_to_lonlat`.  Each direction has a single transformer, built on first
use (pyproj's set-up costs a few milliseconds), then shared.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from pyproj import Transformer

__all__ = ["BNG", "WGS84", "bng_to_lonlat", "is_bng", "lonlat_to_bng"]

#: British National Grid, metres: the CRS of every geometry and point in the planner
BNG = "EPSG:27700"
#: WGS84 longitude/latitude degrees, as GPS, GTFS and web maps give them
WGS84 = "EPSG:4326"


@cache
def _transformer(src: str, dst: str) -> Transformer:
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def is_bng(crs: object) -> bool:
    """True if ``crs`` (anything pyproj reads) is British National Grid.

    ESRI-style ``.prj`` files that name it without an EPSG code count too.

    Examples
    --------
    >>> is_bng("EPSG:27700"), is_bng(27700), is_bng("EPSG:4326")
    (True, True, False)
    """
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    # the name first: it settles every British National Grid .prj at once (the EPSG search costs 50 ms)
    return "british_national_grid" in c.name.lower().replace(" ", "_") or c.to_epsg(min_confidence=20) == 27700


def lonlat_to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude/latitude to EPSG:27700 easting/northing (metres).

    Examples
    --------
    >>> x, y = lonlat_to_bng(np.array([-0.1276]), np.array([51.5072]))
    >>> round(float(x[0]) / 1000), round(float(y[0]) / 1000)  # Charing Cross, km
    (530, 180)
    """
    x, y = _transformer(WGS84, BNG).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def bng_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:27700 easting/northing to WGS84 longitude/latitude (degrees)."""
    lon, lat = _transformer(BNG, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)
