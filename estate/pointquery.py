"""A point query, as TfL's WebCAT answers it: from one place (a postcode or a
click), minutes to the nearest open counter by each mode and time band, for a
scenario and its base; which counter; the route leg by leg; and the minutes
from that place to every neighbourhood.

One search per mode and network variant from the point
(:func:`geodata.travel.times_from`), never a matrix rebuild: a query answers
on a click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from estate import text
from estate.errors import OutsideAreaError, UnknownNameError
from estate.scenario import Scenario
from geodata.crs import bng_to_lonlat, lonlat_to_bng
from geodata.travel import Points, times_from
from geodata.travel.base import Mode, TimeBand, parse_band, parse_mode

__all__ = ["BandAnswer", "Leg", "Nearest", "PointAnswer", "locate_lonlat", "locate_postcode", "point_query"]


@dataclass(frozen=True)
class Leg:
    """One step of the route: ``walk``, ``wait``, ``ride``, ``transfer`` or ``drive``."""

    kind: str
    minutes: float
    text: str


@dataclass(frozen=True)
class Nearest:
    """The nearest counter open in a band (``site_id`` is ``None`` when none is within reach)."""

    minutes: float
    site_id: str | None
    name: str
    legs: tuple[Leg, ...] = ()

    def summary(self) -> str:
        """``"12 min to Charing Cross"`` or ``"no counter within reach"``."""
        if self.site_id is None:
            return "no open counter within reach"
        return f"{text.minutes(self.minutes, unit=True)} to {self.name}"


@dataclass(frozen=True)
class BandAnswer:
    """The nearest open counter in one mode and band, in the scenario and in its base."""

    mode: Mode
    band: TimeBand
    scenario: Nearest
    base: Nearest

    @property
    def change(self) -> float:
        """Scenario minus base minutes (``inf`` when the scenario leaves none in reach, ``nan`` when neither has one)."""
        a, b = self.scenario.minutes, self.base.minutes
        if np.isinf(a) and np.isinf(b):
            return float("nan")
        return float(a - b)


@dataclass(frozen=True)
class PointAnswer:
    """Everything a point query shows."""

    label: str
    x: float
    y: float
    lon: float
    lat: float
    area_code: str
    area_name: str
    answers: tuple[BandAnswer, ...]
    #: the mode and band of :attr:`unit_minutes`
    shown: tuple[Mode, TimeBand]
    #: minutes from the point to every population unit (unit order), ``inf`` beyond reach
    unit_minutes: np.ndarray

    def answer(self, mode: str | Mode, band: str | TimeBand) -> BandAnswer:
        """The answer of one mode and band (:class:`UnknownNameError` if it was not asked)."""
        m, b = parse_mode(mode), parse_band(band)
        for a in self.answers:
            if a.mode is m and a.band == b:
                return a
        raise UnknownNameError(f"{m}/{b.name} was not part of this query")


def _area_at(planner: Any, x: float, y: float) -> tuple[str, str]:
    areas = planner.areas
    hit = shapely.contains_xy(areas.geometry.to_numpy(), x, y)
    if not hit.any():
        raise OutsideAreaError(
            f"that place (easting {x:,.0f}, northing {y:,.0f}) is outside the {len(areas)} boroughs of the "
            "study area: choose a place in London")
    i = int(np.flatnonzero(hit)[0])
    return str(areas["code"].iloc[i]), str(areas["name"].iloc[i])


def locate_postcode(planner: Any, postcode: str) -> tuple[float, float, str]:
    """``(x, y, label)`` of a postcode in the newest postcode list at hand.

    Raises
    ------
    geodata.UnknownPostcodeError
        Malformed, or not in the list ("not in the postcode list of October 2025").
    OutsideAreaError
        A real postcode outside the study area.
    """
    from geodata import normalise_postcode

    key = normalise_postcode(postcode)
    x, y = planner.postcode_geocoder.lookup(key)
    try:
        _area_at(planner, x, y)
    except OutsideAreaError:
        raise OutsideAreaError(f"postcode {key} is outside the study area (the {len(planner.areas)} London "
                               "boroughs): choose a London postcode") from None
    return x, y, key


def locate_lonlat(planner: Any, lon: float, lat: float) -> tuple[float, float, str]:
    """``(x, y, label)`` of a clicked longitude/latitude.

    Raises
    ------
    OutsideAreaError
        Not a finite coordinate, or outside the study area.
    """
    if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise OutsideAreaError("that is not a place on the map: choose a place in London")
    xs, ys = lonlat_to_bng(np.array([lon]), np.array([lat]))
    x, y = float(xs[0]), float(ys[0])
    try:
        _area_at(planner, x, y)
    except OutsideAreaError:
        raise OutsideAreaError(f"the point clicked ({lat:.4f}° N, {lon:.4f}° E) is outside the study area "
                               f"(the {len(planner.areas)} London boroughs): click inside London") from None
    return x, y, f"the point clicked ({lat:.4f}, {lon:.4f})"


def _nearest(planner: Any, secs: np.ndarray, cols: np.ndarray) -> tuple[float, str | None]:
    if len(cols) == 0:
        return float("inf"), None
    t = secs[cols]
    i = int(np.argmin(t))
    if not np.isfinite(t[i]):
        return float("inf"), None
    return float(t[i]) / 60.0, str(planner.estate.column_ids[cols[i]])


def _legs(planner: Any, mode: Mode, band: TimeBand, xy: tuple[float, float], site: str | None,
          minutes: float) -> tuple[Leg, ...]:
    if site is None:
        return ()
    row = planner.estate.sites.loc[site]
    eng = planner.engine(mode)
    if mode is Mode.TRANSIT and hasattr(eng, "route"):
        j = eng.route(xy, (float(row["x"]), float(row["y"])), band)
        return tuple(Leg(lg.kind, lg.seconds / 60.0, lg.text) for lg in j.legs)
    verb = "walk" if mode is Mode.WALK else "drive"
    return (Leg(verb, minutes, f"{verb} to {row['name']} ({eng.name} engine)"),)


def point_query(planner: Any, x: float, y: float, *, scenario: str | Scenario, base: str | Scenario,
                modes: Sequence[str | Mode], bands: Sequence[str | TimeBand], shown: tuple[str, str],
                label: str = "") -> PointAnswer:
    """Answer a point query at EPSG:27700 ``(x, y)`` (see :func:`locate_postcode`, :func:`locate_lonlat`).

    One search per mode and network variant; ``shown`` (mode, band) also gives
    the minutes to every population unit, and the route legs (for its mode, every band).

    Raises
    ------
    OutsideAreaError
        The point is outside the study area.
    """
    code, name = _area_at(planner, x, y)
    estate = planner.estate
    sites = estate.points()
    units = planner.units.points
    s_mode, s_band = parse_mode(shown[0]), parse_band(shown[1])
    both = Points(np.concatenate([sites.ids, units.ids]), np.concatenate([sites.x, units.x]),
                  np.concatenate([sites.y, units.y]))
    searched: dict[tuple[Mode, str], np.ndarray] = {}
    unit_minutes = np.full(len(units), np.inf)

    def secs_of(m: Mode, b: TimeBand, *, with_units: bool) -> np.ndarray:
        eng = planner.engine(m)
        key = (m, eng.variant(b))
        have = searched.get(key)
        if have is None or (with_units and len(have) < len(both)):
            have = times_from(eng, (x, y), both if with_units else sites, b)
            searched[key] = have
        return have

    s_state, b_state = planner.state(scenario), planner.state(base)
    routes: dict[tuple[Mode, str, str | None], tuple[Leg, ...]] = {}

    def legs_of(m: Mode, b: TimeBand, site: str | None, mins: float) -> tuple[Leg, ...]:
        if m is not s_mode:  # routes are drawn for the mode shown
            return ()
        key = (m, planner.engine(m).variant(b), site)
        if key not in routes:
            routes[key] = _legs(planner, m, b, (x, y), site, mins)
        return routes[key]

    answers = []
    for m in map(parse_mode, modes):
        for b in map(parse_band, bands):
            secs = secs_of(m, b, with_units=(m is s_mode and b == s_band))
            near = []
            for state in (s_state, b_state):
                mins, site = _nearest(planner, secs, state.open_columns(estate, b))
                nm = str(estate.sites.loc[site, "name"]) if site else ""
                near.append(Nearest(mins, site, nm, legs_of(m, b, site, mins)))
            answers.append(BandAnswer(m, b, near[0], near[1]))
    secs = secs_of(s_mode, s_band, with_units=True)
    unit_minutes = np.asarray(secs[len(sites):], np.float64) / 60.0
    lon, lat = bng_to_lonlat(np.array([x]), np.array([y]))
    return PointAnswer(label or f"easting {x:,.0f}, northing {y:,.0f}", x, y, float(lon[0]), float(lat[0]),
                       code, name, tuple(answers), (s_mode, s_band), unit_minutes)
