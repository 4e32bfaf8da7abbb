"""Coordinate reference systems: the one place that converts between them.

Everything in the planner is measured in British National Grid metres
(EPSG:27700).  Inputs that come as WGS84 longitude/latitude (GTFS stops, the
Tube station list, supermarkets, a postcode lookup) go through
:func:`lonlat_to_bng`; maps drawn on web tiles go back through
:func:`bng_to_lonlat`.  Each direction has a single transformer, built on first
use (pyproj's set-up costs a few milliseconds), then shared.  pyproj builds a
transformer's projection again in every thread that uses it (35-100 ms each time), and
the app runs every rerun in a new thread, so every transformation runs in one
long-lived thread of the process (:func:`_transform`), where it is built once.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
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


_THREAD = "geodata-crs"
_POOL_LOCK = threading.Lock()
_POOL: list[tuple[int, ThreadPoolExecutor]] = []


def _transform(src: str, dst: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``src`` to ``dst`` in this process's one transformation thread (made again after a fork)."""
    if threading.current_thread().name.startswith(_THREAD):
        x, y = _transformer(src, dst).transform(a, b)
        return np.asarray(x, float), np.asarray(y, float)
    pid = os.getpid()
    with _POOL_LOCK:
        if not _POOL or _POOL[0][0] != pid:
            _POOL[:] = [(pid, ThreadPoolExecutor(max_workers=1, thread_name_prefix=_THREAD))]
        pool = _POOL[0][1]
    return pool.submit(_transform, src, dst, a, b).result()


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
    return _transform(WGS84, BNG, np.asarray(lon, float), np.asarray(lat, float))


def bng_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:27700 easting/northing to WGS84 longitude/latitude (degrees)."""
    return _transform(BNG, WGS84, np.asarray(x, float), np.asarray(y, float))
