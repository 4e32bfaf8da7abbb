"""The ``streets`` engine: shortest paths on an OpenStreetMap street network.

A walk or drive network is read from a local OSM file (``.osm.pbf``, ``.osm``,
``.osm.bz2``) or an osmnx GraphML, with osmnx's own ``walk`` / ``drive`` way
filters, projected to EPSG:27700 and turned into a :mod:`scipy.sparse` matrix of
edge travel times.  Points are snapped to their nearest network node with a
KD-tree; the straight-line gap is added as walking (x a detour factor) in both
modes; :func:`scipy.sparse.csgraph.dijkstra` with ``limit=`` does the rest.

Where no network covers the study area, :func:`street_engine_or_crowfly` falls
back to the straight-line engine.  See ``docs/streets.md``.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass
from importlib.metadata import version as _pkg_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geodata.errors import CacheError, DataError, NetworkFileError
from geodata.travel import _osm
from geodata.travel._osm import DEFAULT_HIGHWAY_MPH, NetworkArrays, parse_maxspeed
from geodata.travel.base import Mode, Points, ProgressFn, TimeBand
from geodata.travel.cache import digest, load_arrays, save_arrays
from geodata.travel.crowfly import CrowflyEngine, CrowflySettings
from geodata.travel.partial import PartialStreetEngine
from geodata.travel.street_graphs import (
    STREET_MODES,
    download_street_graph,
    load_street_graph,
    street_mode,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from geodata.travel.barrier import RiverBarrier

__all__ = [
    "DEFAULT_HIGHWAY_MPH",
    "STREET_MODES",
    "NetworkArrays",
    "PartialStreetEngine",
    "StreetEngine",
    "StreetSettings",
    "download_street_graph",
    "load_street_graph",
    "parse_maxspeed",
    "street_engine_or_crowfly",
]

logger = logging.getLogger(__name__)

# Memory for one batch of dijkstra rows (float64, one row per source, one column per node).
_CHUNK_BYTES = 128 * 2**20
# A point on a boundary street still counts as inside the network's convex hull.
_HULL_MARGIN_M = 50.0
# Bump when the cached arrays' meaning changes.
_CACHE_FORMAT = 2  # 2: NetworkArrays.walk_on_drive


@dataclass(frozen=True)
class StreetSettings:
    """Speeds, snapping and cutoff of the street engine.

    Defaults follow :class:`~geodata.travel.crowfly.CrowflySettings`, so both
    engines assume the same walking speed and the same mean driving speeds.
    """

    #: walking speed on the network and for the snap gap, km/h
    walk_kmh: float = CrowflySettings.walk_kmh
    #: target mean driving speed by day, km/h: free-flow limits are scaled down
    #: so that the network's length-weighted mean speed equals this
    drive_kmh: float = CrowflySettings.drive_kmh
    #: target mean driving speed at night, km/h
    drive_night_kmh: float = CrowflySettings.drive_night_kmh
    #: pin the day factor on speed limits instead of deriving it from ``drive_kmh``
    drive_speed_factor: float | None = None
    #: pin the night factor on speed limits instead of deriving it from ``drive_night_kmh``
    drive_night_speed_factor: float | None = None
    #: detour factor applied to the straight line from a point to its nearest node
    snap_detour: float = CrowflySettings.walk_detour
    #: times beyond this many minutes are ``inf``
    cutoff_min: float = CrowflySettings.cutoff_min
    #: a point is covered if a network node lies within this many metres (and it is
    #: inside the network's convex hull)
    coverage_radius_m: float = 500.0
    #: walking on a drive network (one-way streets): refused unless this is set, which
    #: walks on it made two-way (every street both ways) and says so in the engine note
    walk_on_drive_graph: bool = False

    @classmethod
    def from_crowfly(cls, crowfly: CrowflySettings, **overrides: Any) -> StreetSettings:
        """Street settings that share ``crowfly``'s speeds, walk detour and cutoff."""
        base = {
            "walk_kmh": crowfly.walk_kmh,
            "drive_kmh": crowfly.drive_kmh,
            "drive_night_kmh": crowfly.drive_night_kmh,
            "snap_detour": crowfly.walk_detour,
            "cutoff_min": crowfly.cutoff_min,
        }
        return cls(**{**base, **overrides})


# --------------------------------------------------------------------------- engine


class StreetEngine:
    """Shortest-path travel times on a street network, for ``walk`` or ``drive``.

    Edge times are length / speed: walking at ``walk_kmh``; driving at each
    edge's speed limit (its ``maxspeed`` tag, else :data:`DEFAULT_HIGHWAY_MPH` for
    its road type) times one factor per band, chosen so that the network's
    length-weighted mean speed is ``drive_kmh`` by day and ``drive_night_kmh`` at
    night (never above the limit).  A point's time adds the straight line to its
    nearest node, walked at ``walk_kmh`` x ``snap_detour``, at each end.

    Parameters
    ----------
    graph
        An osmnx graph of the ``mode`` network (projected to EPSG:27700 here if
        it is not), e.g. from :func:`load_street_graph`.
    mode
        ``"walk"`` or ``"drive"``.
    settings
        Speeds, snapping and cutoff; defaults follow ``CrowflySettings``.
    source
        The file the graph came from; its path, size and modification time go
        into :meth:`settings_key`.

    Examples
    --------
    >>> import networkx as nx
    >>> from geodata.travel.base import BANDS
    >>> g = nx.MultiDiGraph(crs="EPSG:27700")
    >>> g.add_node(1, x=0.0, y=0.0); g.add_node(2, x=400.0, y=0.0)
    >>> _ = g.add_edge(1, 2); _ = g.add_edge(2, 1)
    >>> e = StreetEngine(g, "walk", settings=StreetSettings(walk_kmh=4.8, snap_detour=1.0))
    >>> o = Points(["home"], [0.0], [30.0]); d = Points(["site"], [400.0], [0.0])
    >>> float(e.matrix(o, d, BANDS["day"])[0, 0])  # (30 m + 400 m) at 80 m/min
    322.5
    """

    name = "streets"

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        mode: Mode,
        *,
        settings: StreetSettings | None = None,
        source: str | os.PathLike[str] | None = None,
    ) -> None:
        mode = street_mode(mode)
        src = Path(source) if source is not None else None
        label = str(src) if src else "street graph"
        if mode is Mode.WALK:
            two_way = settings.walk_on_drive_graph if settings is not None else False
            graph, _ = _osm.walkable(graph, repr(label), two_way=two_way)
        network = NetworkArrays.from_graph(_osm.to_bng(graph, src), label)
        self._setup(network, mode, settings, src)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        mode: Mode,
        *,
        settings: StreetSettings | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        simplify: bool = False,
    ) -> StreetEngine:
        """Load ``path`` with :func:`load_street_graph` and build the engine.

        With ``cache_dir``, the built network arrays are kept there as ``.npz``,
        keyed by the file's path, size and modification time, so a whole-London
        PBF is parsed once rather than on every start.  ``simplify`` is passed to
        :func:`load_street_graph`.
        """
        mode = street_mode(mode)
        path = Path(path)
        cache: Path | None = None
        key = ""
        if cache_dir is not None and path.is_file():
            key = digest(
                {
                    **_osm.file_identity(path),
                    "mode": mode,
                    "simplify": simplify,
                    "format": _CACHE_FORMAT,
                    "osmnx": _pkg_version("osmnx"),
                    "filters": _osm.WAY_FILTERS[mode],
                    "defaults": dict(DEFAULT_HIGHWAY_MPH),
                    "walk_on_drive": bool(settings and settings.walk_on_drive_graph and mode is Mode.WALK),
                }
            )
            cache = Path(cache_dir).expanduser() / f"streets-{mode}-{key[:20]}.npz"
            if cache.is_file():
                try:
                    network = NetworkArrays(**load_arrays(cache, key, NetworkArrays.LAYOUT))
                except CacheError as exc:
                    logger.warning("%s; parsing the street network again", exc)
                else:
                    logger.info("street network %s (%s) from cache %s", path.name, mode, cache)
                    return cls._from_network(network, mode, settings, path)
        two_way = bool(settings and settings.walk_on_drive_graph)
        graph = load_street_graph(path, mode, simplify=simplify, walk_on_drive=two_way)
        started = time.perf_counter()
        network = NetworkArrays.from_graph(graph, str(path))
        logger.info("built %s arrays in %.2f s", mode, time.perf_counter() - started)
        if cache is not None:
            try:
                save_arrays(cache, key, network.arrays(), source=str(path), mode=mode)
            except CacheError as exc:
                logger.warning("%s; the network will be parsed again next time", exc)
        return cls._from_network(network, mode, settings, path)

    @classmethod
    def _from_network(
        cls, network: NetworkArrays, mode: Mode, settings: StreetSettings | None, source: Path | None
    ) -> StreetEngine:
        self = cls.__new__(cls)
        self._setup(network, mode, settings, source)
        return self

    def _setup(
        self,
        network: NetworkArrays,
        mode: Mode,
        settings: StreetSettings | None,
        source: Path | None,
    ) -> None:
        self.mode = mode
        self.settings = settings or StreetSettings()
        self.source = source
        self._net = network
        self._source_id = _osm.file_identity(source) if source and source.is_file() else None
        self._tree = cKDTree(np.column_stack([network.x, network.y]))
        hull = shapely.MultiPoint(np.column_stack([network.x, network.y])).convex_hull
        self._hull = hull.buffer(_HULL_MARGIN_M)
        shapely.prepare(self._hull)
        self._csr: dict[str, sp.csr_matrix] = {}
        self._csr_t: dict[str, sp.csr_matrix] = {}
        self._fingerprint: str | None = None

    # ------------------------------------------------------------ facts

    @property
    def n_nodes(self) -> int:
        """Nodes in the network (its largest strongly connected component)."""
        return len(self._net.x)

    @property
    def walk_on_drive(self) -> bool:
        """Is this walk network a drive network made two-way (``walk_on_drive_graph``)?"""
        return bool(self._net.walk_on_drive.any())

    @property
    def n_edges(self) -> int:
        """Directed edges in the network."""
        return len(self._net.u)

    def speed_factor(self, band: TimeBand) -> float:
        """The factor on speed limits in ``band`` (1.0 for walking).

        The day factor is ``drive_kmh`` over the network's free-flow mean speed
        (:meth:`free_flow_kmh`), capped at 1; the night factor likewise.
        """
        return self._factor(self.variant(band))

    def _factor(self, variant: str) -> float:
        if self.mode is Mode.WALK:
            return 1.0
        s = self.settings
        night = variant == "night"
        pinned = s.drive_night_speed_factor if night else s.drive_speed_factor
        if pinned is not None:
            return float(pinned)
        target = s.drive_night_kmh if night else s.drive_kmh
        return min(1.0, target / self.free_flow_kmh())

    def free_flow_kmh(self) -> float:
        """Length-weighted mean speed at the speed limits, km/h (drive networks)."""
        n = self._net
        return float(n.length_m.sum() / (n.length_m / n.limit_kmh).sum())

    # ------------------------------------------------------------ protocol

    def variant(self, band: TimeBand) -> str:
        if self.mode is Mode.DRIVE:
            return "night" if band.is_night else "day"
        return "all"

    def settings_key(self) -> dict[str, Any]:
        if self._fingerprint is None:
            self._fingerprint = self._net.fingerprint()
        key: dict[str, Any] = {
            "engine": self.name,
            "mode": self.mode,
            **asdict(self.settings),
            "network": self._source_id,
            "graph": self._fingerprint,
        }
        return key

    def describe(self) -> str:
        s = self.settings
        where = f"in {self.source.name}" if self.source else "in the loaded street graph"
        snap = f"plus the straight line from each point to its nearest node walked at {s.walk_kmh:g} km/h x {s.snap_detour:g}"
        if self.mode is Mode.WALK:
            if self.walk_on_drive:
                return (
                    f"Walking times follow the shortest paths along the OpenStreetMap roads of the "
                    f"drive network {where}, made two-way (walk_on_drive_graph: every street "
                    f"walked both ways, one-way streets included; footpaths and pedestrian ways "
                    f"are not in a drive network, so walks are longer than on foot), at "
                    f"{s.walk_kmh:g} km/h, {snap}."
                )
            return (
                f"Walking times follow the shortest paths along the OpenStreetMap footways "
                f"and streets {where} at {s.walk_kmh:g} km/h, {snap}."
            )
        return (
            f"Driving times follow the quickest paths along the OpenStreetMap roads {where} "
            f"at their speed limits scaled to a network mean of {s.drive_kmh:g} km/h by day "
            f"and {s.drive_night_kmh:g} km/h at night, {snap}; turns, junction delays and "
            "parking are not modelled."
        )

    # ------------------------------------------------------------ snapping and coverage

    def snap(self, points: Points) -> tuple[np.ndarray, np.ndarray]:
        """Nearest network node (index) of each point, and the distance to it in metres.

        Raises :class:`~geodata.errors.DataError` for points without coordinates.
        """
        if len(points) == 0:
            return np.empty(0, np.int64), np.empty(0)
        bad = ~(np.isfinite(points.x) & np.isfinite(points.y))
        if bad.any():
            raise DataError(
                f"{int(bad.sum())} of {len(points)} points have no coordinates (NaN or inf), "
                f"e.g. id {points.ids[bad][0]!r}: drop or geocode them first"
            )
        dist, idx = self._tree.query(points.xy)
        return np.asarray(idx, np.int64), np.asarray(dist, float)

    def covered(self, points: Points, *, radius_m: float | None = None) -> np.ndarray:
        """Boolean mask: a node within ``radius_m`` and inside the network's convex hull.

        ``radius_m`` defaults to ``settings.coverage_radius_m``; the hull has a
        50 m margin so that points on a boundary street count.
        """
        _, dist = self.snap(points)
        return self._covered(points, dist, radius_m)

    def _covered(self, points: Points, dist: np.ndarray, radius_m: float | None) -> np.ndarray:
        radius = self.settings.coverage_radius_m if radius_m is None else radius_m
        if len(points) == 0:
            return np.zeros(0, bool)
        inside = shapely.contains_xy(self._hull, points.x, points.y)
        return (dist <= radius) & inside

    def coverage_fraction(self, points: Points, *, radius_m: float | None = None) -> float:
        """Share of ``points`` the network covers (see :meth:`covered`); 0 for no points."""
        if len(points) == 0:
            return 0.0
        return float(self.covered(points, radius_m=radius_m).mean())

    # ------------------------------------------------------------ matrix

    def _graph(self, variant: str, *, transposed: bool) -> sp.csr_matrix:
        if variant not in self._csr:
            n = self._net
            if self.mode is Mode.WALK:
                speed_ms = np.full(len(n.u), self.settings.walk_kmh / 3.6)
            else:
                speed_ms = n.limit_kmh * self._factor(variant) / 3.6
            seconds = np.maximum(n.length_m / speed_ms, 1e-3)  # csgraph: no zero weights
            # parallel edges: keep the quickest (a CSR would sum duplicates)
            order = np.lexsort((seconds, n.v, n.u))
            u, v, w = n.u[order], n.v[order], seconds[order]
            first = np.ones(len(u), bool)
            first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
            size = self.n_nodes
            self._csr[variant] = sp.csr_matrix((w[first], (u[first], v[first])), shape=(size, size))
        if transposed:
            if variant not in self._csr_t:
                self._csr_t[variant] = self._csr[variant].transpose().tocsr()
            return self._csr_t[variant]
        return self._csr[variant]

    def matrix(
        self,
        origins: Points,
        destinations: Points,
        band: TimeBand,
        *,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """Travel times in seconds, shape ``(len(origins), len(destinations))``, float32.

        Network time between the snapped nodes plus the snap walk at each end;
        ``inf`` past ``settings.cutoff_min``.  Dijkstra runs from the side with
        fewer distinct nodes, ``progress(done, total)`` counting those searches.

        Raises
        ------
        NetworkFileError
            The network covers none of the origins (see :meth:`covered`).
        DataError
            A point has no coordinates.
        """
        s = self.settings
        cutoff = s.cutoff_min * 60.0
        shape = (len(origins), len(destinations))
        if 0 in shape:
            return np.empty(shape, np.float32)
        o_node, o_gap = self.snap(origins)
        d_node, d_gap = self.snap(destinations)
        ok = self._covered(origins, o_gap, None)
        if not ok.any():
            raise NetworkFileError(
                f"street network {self._label()} covers none of the {len(origins)} origins "
                f"(no node within {s.coverage_radius_m:g} m inside its extent): supply a "
                "network for the whole study area (e.g. Geofabrik's greater-london-latest.osm.pbf) "
                "or use street_engine_or_crowfly(), which falls back to the crowfly engine"
            )
        if not ok.all():
            logger.warning(
                "street network %s covers %d of %d origins; the others are outside it or over "
                "%g m from a node, and their times include that straight-line walk",
                self._label(),
                int(ok.sum()),
                len(ok),
                s.coverage_radius_m,
            )
        gap_s_per_m = s.snap_detour / (s.walk_kmh / 3.6)
        o_access, d_access = o_gap * gap_s_per_m, d_gap * gap_s_per_m
        logger.debug(
            "snap distances: origins median %.0f m, max %.0f m; destinations "
            "median %.0f m, max %.0f m",
            np.median(o_gap),
            o_gap.max(),
            np.median(d_gap),
            d_gap.max(),
        )

        uo, o_inv = np.unique(o_node, return_inverse=True)
        ud, d_inv = np.unique(d_node, return_inverse=True)
        variant = self.variant(band)
        # Run from whichever side has fewer distinct nodes; from the destinations
        # that means searching the reversed (transposed) graph.
        if len(ud) < len(uo):
            limit = max(cutoff - float(d_access.min()), 0.0)
            net = self._shortest(self._graph(variant, transposed=True), ud, uo, limit, progress).T
        else:
            limit = max(cutoff - float(o_access.min()), 0.0)
            net = self._shortest(self._graph(variant, transposed=False), uo, ud, limit, progress)
        out = net[o_inv][:, d_inv]
        out += o_access[:, None]
        out += d_access[None, :]
        out[out > cutoff] = np.inf
        return out.astype(np.float32)

    def _shortest(
        self,
        graph: sp.csr_matrix,
        sources: np.ndarray,
        targets: np.ndarray,
        limit: float,
        progress: ProgressFn | None,
    ) -> np.ndarray:
        step = max(1, _CHUNK_BYTES // (8 * self.n_nodes))
        out = np.empty((len(sources), len(targets)))
        for start in range(0, len(sources), step):
            stop = min(start + step, len(sources))
            dist = dijkstra(graph, directed=True, indices=sources[start:stop], limit=limit)
            out[start:stop] = dist[:, targets]
            if progress:
                progress(stop, len(sources))
        return out

    def _label(self) -> str:
        return repr(str(self.source)) if self.source else "(in-memory graph)"


# --------------------------------------------------------------------------- factory


def street_engine_or_crowfly(
    mode: Mode,
    network_path: str | os.PathLike[str] | None,
    origins: Points,
    *,
    min_coverage: float = 0.95,
    crowfly_settings: CrowflySettings | None = None,
    street_settings: StreetSettings | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    partial: bool = False,
    weights: np.ndarray | None = None,
    barrier: RiverBarrier | Callable[[], RiverBarrier | None] | None = None,
) -> StreetEngine | CrowflyEngine | PartialStreetEngine:
    """The street engine if ``network_path`` covers ``origins``, else the crowfly engine.

    Parameters
    ----------
    mode
        ``"walk"`` or ``"drive"``.
    network_path
        A local OSM or GraphML file (see :func:`load_street_graph`), or None for
        crowfly.
    origins
        The points whose coverage decides (population units).
    min_coverage
        The share of ``origins`` that must be covered (see
        :meth:`StreetEngine.covered`); below it a warning is logged and the
        crowfly engine returned.
    crowfly_settings
        Settings of the fallback engine; the street engine's speeds, snap detour
        and cutoff follow them unless ``street_settings`` is given.
    street_settings
        Settings of the street engine.
    cache_dir
        Folder for the parsed network arrays (see :meth:`StreetEngine.from_file`).
    partial
        When the network covers some but not all origins, a
        :class:`~geodata.travel.partial.PartialStreetEngine` (network times where it
        reaches, crow-fly for the rest, naming which) instead of the crowfly engine.
    weights
        The residents of ``origins``, for the partial engine's covered share.
    barrier
        The river the crowfly engine's trips cross by a crossing (see
        :class:`~geodata.travel.crowfly.CrowflyEngine`).

    Raises
    ------
    NetworkFileError
        ``network_path`` is given but missing, unreadable or of an unknown type:
        a broken file is reported, not silently replaced by crowfly.
    """
    mode = street_mode(mode)
    crowfly = CrowflyEngine(mode, crowfly_settings, barrier=barrier)
    if network_path is None:
        logger.info("no street network given for %s: using the crowfly engine", mode)
        return crowfly
    settings = street_settings or StreetSettings.from_crowfly(crowfly.settings)
    engine = StreetEngine.from_file(network_path, mode, settings=settings, cache_dir=cache_dir)
    share = engine.coverage_fraction(origins)
    if partial and 0 < share < 1:
        logger.info("street network %s covers %.1f%% of the origins: network times there, crow-fly for the rest",
                    Path(network_path).name, 100 * share)
        return PartialStreetEngine(engine, crowfly, origins, weights)
    if share < min_coverage:
        logger.warning(
            "street network %s covers %.1f%% of the %d origins (%s needs %.0f%%): "
            "using the crowfly engine for %s",
            Path(network_path).name,
            100 * share,
            len(origins),
            mode,
            100 * min_coverage,
            mode,
        )
        return crowfly
    logger.info(
        "street network %s covers %.1f%% of the origins: using it for %s",
        Path(network_path).name,
        100 * share,
        mode,
    )
    return engine
