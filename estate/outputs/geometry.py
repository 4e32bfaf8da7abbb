"""The study area's shapes, prepared once for every output.

:class:`StudyGeometry` aligns the LSOA polygons to the population units (by
``unit_id``) once; from that one alignment come the simplified WGS84 GeoJSON
of the web maps (:attr:`StudyGeometry.web`, a :class:`MapGeometry`), the
vertex rings of the static maps (:attr:`StudyGeometry.rings`) and the
dissolved catchments of the evidence pack (:meth:`StudyGeometry.union`).

:func:`geometry_for` keeps one per data source (the planner), so the app,
the CLI and the evidence pack never prepare the shapes twice.  Outputs are
handed a source that has ``areas``, ``unit_polygons``, ``units`` and
``estate`` (:class:`GeographySource`); they never import the planner.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from estate.errors import MapError
from estate.register import Estate
from geodata.areas import Units

__all__ = ["GeographySource", "MapGeometry", "StudyGeometry", "feature_bounds", "geometry_for", "map_geometry"]

log = logging.getLogger(__name__)


class GeographySource(Protocol):
    """What outputs need to draw: boroughs, LSOA polygons, units and the estate (the planner has them)."""

    @property
    def areas(self) -> gpd.GeoDataFrame: ...

    @property
    def unit_polygons(self) -> gpd.GeoDataFrame: ...

    @property
    def units(self) -> Units: ...

    @property
    def estate(self) -> Estate: ...


class MapGeometry:
    """Borough and LSOA shapes, simplified, in WGS84, as GeoJSON dicts.

    ``lsoa_area`` gives each LSOA feature's borough code; ``bounds`` maps a
    borough code (and ``"london"``) to ``[[south, west], [north, east]]``.
    The LSOA part (``lsoas``, ``lsoa_area``, ``unit_ids``) is made on first use
    by ``lsoa_part()``: a map of boroughs alone (the app's first page) never waits
    for 4,994 LSOA polygons to be read and simplified.
    """

    def __init__(self, boroughs: dict[str, Any], bounds: dict[str, list[list[float]]],
                 lsoa_part: Callable[[], tuple[dict[str, Any], np.ndarray, np.ndarray]]) -> None:
        self.boroughs = boroughs
        self.bounds = bounds
        self._lsoa_part = lsoa_part
        self._lock = threading.Lock()
        self._lsoa: tuple[dict[str, Any], np.ndarray, np.ndarray] | None = None

    def _part(self) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
        with self._lock:  # the app's background thread may prepare it while a page asks
            if self._lsoa is None:
                self._lsoa = self._lsoa_part()
            return self._lsoa

    @property
    def lsoas(self) -> dict[str, Any]:
        return self._part()[0]

    @property
    def lsoa_area(self) -> np.ndarray:
        return self._part()[1]

    @property
    def unit_ids(self) -> np.ndarray:
        return self._part()[2]

    @property
    def lsoas_ready(self) -> bool:
        """Whether the LSOA part has been made already."""
        return self._lsoa is not None


def _features(geoms: np.ndarray, crs: Any, ids: Sequence[str], props: Sequence[dict[str, str]],
              tolerance: float) -> dict[str, Any]:
    simple = gpd.GeoSeries(geoms, crs=crs).simplify(tolerance, preserve_topology=True).to_crs(4326)
    simple = shapely.set_precision(simple.values, 1e-5)
    feats = [{"type": "Feature", "id": str(i), "properties": p, "geometry": shapely.geometry.mapping(g)}
             for g, i, p in zip(simple, ids, props, strict=True) if g is not None and not g.is_empty]
    return {"type": "FeatureCollection", "features": feats}


def _bounds(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    w, s, e, n = gdf.to_crs(4326).total_bounds
    return [[float(s), float(w)], [float(n), float(e)]]


def feature_bounds(features: Sequence[dict[str, Any]]) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of some GeoJSON features (WGS84)."""
    lon_lat = shapely.get_coordinates([shapely.geometry.shape(f["geometry"]) for f in features])
    (w, s), (e, n) = lon_lat.min(axis=0), lon_lat.max(axis=0)
    return [[float(s), float(w)], [float(n), float(e)]]


def _rings(geoms: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Exterior rings of every polygon part, and the index of the geometry each belongs to."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    ext = shapely.get_exterior_ring(parts)
    coords, idx = shapely.get_coordinates(ext, return_index=True)
    splits = np.flatnonzero(np.diff(idx)) + 1
    return np.split(coords, splits), owner


class StudyGeometry:
    """Boroughs and LSOA polygons aligned to the population units, prepared once.

    Parameters
    ----------
    areas
        Boroughs (``code``, ``name``, geometry).
    unit_polygons
        LSOA boundaries (``unit_id``, geometry), in any order.
    units
        The population units; ``unit_geoms[i]`` is unit ``i``'s polygon (``None`` if it has none).
    """

    def __init__(self, areas: gpd.GeoDataFrame,
                 unit_polygons: gpd.GeoDataFrame | Callable[[], gpd.GeoDataFrame], units: Units) -> None:
        self.areas = areas
        self.units = units
        self._unit_polygons = unit_polygons  # or a callable reading them when first needed

    @cached_property
    def _aligned(self) -> tuple[Any, np.ndarray]:
        polygons = self._unit_polygons() if callable(self._unit_polygons) else self._unit_polygons
        polys = polygons.set_index("unit_id").reindex(self.units.frame["unit_id"])
        geoms: np.ndarray = polys.geometry.to_numpy()
        missing = int(pd.isna(geoms).sum())
        if missing:
            log.warning("%d population units have no polygon; they are left off the maps", missing)
        return polygons.crs, geoms

    @property
    def crs(self) -> Any:
        return self._aligned[0]

    @property
    def unit_geoms(self) -> np.ndarray:
        """``unit_geoms[i]`` is unit ``i``'s polygon (``None`` if it has none)."""
        return self._aligned[1]

    @cached_property
    def has_polygon(self) -> np.ndarray:
        return np.asarray(~pd.isna(self.unit_geoms))

    def web_geometry(self, *, borough_tolerance: float = 40.0, lsoa_tolerance: float = 25.0) -> MapGeometry:
        """Simplified shapes for web maps (tolerances in metres; coordinates rounded to about 1 m).

        The boroughs are made now; the LSOAs when a map first asks for them.
        """
        a = self.areas
        boroughs = _features(a.geometry.to_numpy(), a.crs, a["code"].astype(str).tolist(),
                             [{"code": str(c), "name": str(n)} for c, n in zip(a["code"], a["name"], strict=True)],
                             borough_tolerance)
        bounds = {"london": _bounds(a)}
        for code, part in a.groupby("code"):
            bounds[str(code)] = _bounds(part)

        def lsoa_part() -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
            f = self.units.frame
            ok = np.flatnonzero(self.has_polygon)
            cols = ("unit_id", "name", "area_code", "area_name")
            recs = f.iloc[ok][list(cols)].astype(str).to_dict("records")
            lsoas = _features(self.unit_geoms[ok], self.crs, [r["unit_id"] for r in recs], recs, lsoa_tolerance)
            lsoa_area = np.array([ft["properties"]["area_code"] for ft in lsoas["features"]], dtype=str)
            return lsoas, lsoa_area, np.array([ft["id"] for ft in lsoas["features"]], dtype=str)

        return MapGeometry(boroughs, bounds, lsoa_part)

    @cached_property
    def web(self) -> MapGeometry:
        """:meth:`web_geometry` at the default tolerances, made once."""
        return self.web_geometry()

    @cached_property
    def rings(self) -> list[list[np.ndarray]]:
        """Each unit's exterior rings (EPSG:27700 vertex arrays), for static maps."""
        ok = np.flatnonzero(self.has_polygon)
        out: list[list[np.ndarray]] = [[] for _ in range(len(self.unit_geoms))]
        if len(ok):
            rings, owner = _rings(self.unit_geoms[ok])
            for ring, o in zip(rings, owner, strict=True):
                out[int(ok[o])].append(ring)
        return out

    @cached_property
    def unit_bounds(self) -> np.ndarray:
        """``(n_units, 4)`` bounds (minx, miny, maxx, maxy); NaN for units with no polygon."""
        out = np.full((len(self.unit_geoms), 4), np.nan)
        ok = np.flatnonzero(self.has_polygon)
        if len(ok):
            out[ok] = shapely.bounds(self.unit_geoms[ok])
        return out

    @cached_property
    def borough_rings(self) -> list[np.ndarray]:
        """Every borough's exterior rings."""
        return _rings(self.areas.geometry.to_numpy())[0]

    def union(self, units: np.ndarray) -> Any:
        """The dissolved polygon of some units (``None`` when none has a polygon).

        LSOAs tile the study area edge to edge, so the coverage union (about 18x faster on
        London's catchments, the same areas and parts) is used; a result it cannot make
        valid falls back to the general union.
        """
        parts = self.unit_geoms[np.asarray(units, dtype=np.int64)]
        parts = parts[~pd.isna(parts)]
        if not len(parts):
            return None
        out = shapely.coverage_union_all(parts)
        return out if shapely.is_valid(out) else shapely.union_all(parts)


_CACHE: weakref.WeakKeyDictionary[Any, StudyGeometry] = weakref.WeakKeyDictionary()


def geometry_for(source: GeographySource | StudyGeometry) -> StudyGeometry:
    """The :class:`StudyGeometry` of ``source`` (the planner), prepared once and kept while it lives."""
    if isinstance(source, StudyGeometry):
        return source
    geo = _CACHE.get(source)
    if geo is None:
        ref = weakref.ref(source)  # a strong reference here would keep every planner alive in _CACHE

        def polygons() -> gpd.GeoDataFrame:
            src = ref()
            if src is None:
                raise MapError("the data source of these map shapes is gone; prepare them again (maps.geometry_for)")
            return src.unit_polygons

        geo = _CACHE[source] = StudyGeometry(source.areas, polygons, source.units)
    return geo


def map_geometry(areas: gpd.GeoDataFrame, unit_polygons: gpd.GeoDataFrame, units: Units,
                 *, borough_tolerance: float = 40.0, lsoa_tolerance: float = 25.0) -> MapGeometry:
    """Simplify boroughs (``code``, ``name``) and LSOAs (``unit_id``) for web maps.

    Tolerances are metres in EPSG:27700; coordinates are rounded to 1e-5 degrees (about 1 m).
    """
    return StudyGeometry(areas, unit_polygons, units).web_geometry(
        borough_tolerance=borough_tolerance, lsoa_tolerance=lsoa_tolerance)
