"""OpenStreetMap file plumbing for the street engine (private).

Reads local OSM files with pyosmium, keeps the ways that osmnx's own ``walk`` or
``drive`` filter would keep, and hands them to :func:`osmnx.graph_from_xml`, so
one-way handling, edge lengths and topology simplification are osmnx's own.
osmnx cannot read PBF, and ``graph_from_xml`` keeps *every* way in a file
(buildings, rivers, parks), which is why the filtering happens here first.

Also parses OSM ``maxspeed`` values, holds the default speed per road type, and
turns a projected graph into the arrays the engine routes on (:class:`NetworkArrays`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geodata.crs import BNG, is_bng
from geodata.errors import CRSError, NetworkFileError

__all__ = [
    "CRS",
    "DEFAULT_HIGHWAY_MPH",
    "GRAPHML_SUFFIXES",
    "OSM_SUFFIXES",
    "WAY_FILTERS",
    "NetworkArrays",
    "file_identity",
    "file_kind",
    "graph_from_osm_file",
    "highway_default_kmh",
    "parse_maxspeed",
    "read_graphml",
    "to_bng",
    "way_passes",
    "write_network_xml",
]

logger = logging.getLogger(__name__)

#: The planner's coordinate system: British National Grid metres.
CRS = BNG

#: File name endings read with pyosmium (then built with ``osmnx.graph_from_xml``).
OSM_SUFFIXES: tuple[str, ...] = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")
#: File name endings read with ``osmnx.load_graphml``.
GRAPHML_SUFFIXES: tuple[str, ...] = (".graphml",)

_MPH = 1.609344

# osmnx 2.1.1 ``_overpass._get_network_filter`` with ``settings.default_access``
# (``["access"!~"private"]``), as (key, regex) clauses.  ``None`` means "the key
# must exist"; a regex means Overpass's ``["key"!~"regex"]``: the key is absent or
# its value does not match (a case-sensitive search, so ``motor`` also excludes
# ``motorway_link``).  tests/geodata/test_streets.py checks this against the
# installed osmnx, so a change there fails a test rather than drifting silently.
WAY_FILTERS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "walk": (
        ("highway", None),
        ("area", "yes"),
        ("access", "private"),
        (
            "highway",
            "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|"
            "proposed|raceway|razed|rest_area|services",
        ),
        ("foot", "no"),
        ("service", "private"),
        ("sidewalk", "separate"),
        ("sidewalk:both", "separate"),
        ("sidewalk:left", "separate"),
        ("sidewalk:right", "separate"),
    ),
    "drive": (
        ("highway", None),
        ("area", "yes"),
        ("access", "private"),
        (
            "highway",
            "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|"
            "escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|"
            "razed|rest_area|service|services|steps|track",
        ),
        ("motor_vehicle", "no"),
        ("motorcar", "no"),
        ("service", "alley|driveway|emergency_access|parking|parking_aisle|private"),
    ),
}
_COMPILED = {
    mode: tuple((k, None if rx is None else re.compile(rx)) for k, rx in clauses)
    for mode, clauses in WAY_FILTERS.items()
}

#: Speed limit assumed where a drivable way has no usable ``maxspeed`` tag, in mph.
#: Great Britain's default on lit urban roads is 30 mph; most London boroughs and
#: TfL's central-London roads are 20 mph, which is what minor roads get here.
#: ``*_link`` roads take their parent's value.
DEFAULT_HIGHWAY_MPH: Mapping[str, float] = {
    "motorway": 50.0,  # London's urban motorways (A40(M), M4 spur) are mostly 40-50
    "trunk": 40.0,
    "primary": 30.0,
    "secondary": 30.0,
    "tertiary": 30.0,
    "unclassified": 20.0,
    "residential": 20.0,
    "road": 20.0,
    "busway": 20.0,
    "living_street": 10.0,
    "service": 10.0,
}
_FALLBACK_MPH = 20.0

# Named GB limits: national speed limit on single / dual carriageways, motorways.
_NAMED_MPH = {
    "gb:nsl_single": 60.0,
    "gb:nsl_dual": 70.0,
    "gb:nsl_restricted": 30.0,
    "gb:motorway": 70.0,
    "uk:nsl_single": 60.0,
    "uk:nsl_dual": 70.0,
    "uk:motorway": 70.0,
    "national": 60.0,
    "gb:zone20": 20.0,
    "gb:zone30": 30.0,
}
_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


class _Tags(Protocol):
    """What filtering needs of a tag collection (a dict or pyosmium's ``TagList``)."""

    def get(self, key: str, default: None = None, /) -> str | None: ...


def file_kind(path: Path) -> Literal["osm", "graphml"]:
    """Classify a network file by its name ending, or raise :class:`NetworkFileError`.

    Examples
    --------
    >>> file_kind(Path("greater-london-latest.osm.pbf"))
    'osm'
    >>> file_kind(Path("camden_walk.graphml"))
    'graphml'
    """
    name = path.name.lower()
    if name.endswith(GRAPHML_SUFFIXES):
        return "graphml"
    if name.endswith(OSM_SUFFIXES):
        return "osm"
    raise NetworkFileError(
        f"street network file {str(path)!r}: unknown file type; expected an OpenStreetMap "
        f"extract ({', '.join(OSM_SUFFIXES)}) or an osmnx GraphML ({', '.join(GRAPHML_SUFFIXES)}). "
        "Download e.g. greater-london-latest.osm.pbf from download.geofabrik.de, or rename "
        "the file so its ending says what it is"
    )


def file_identity(path: Path) -> dict[str, Any]:
    """Path, size and modification time of a file, for cache keys."""
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def way_passes(tags: _Tags | Mapping[str, str], mode: str) -> bool:
    """True if a way with these tags is in osmnx's ``walk`` or ``drive`` network.

    Examples
    --------
    >>> way_passes({"highway": "footway"}, "walk"), way_passes({"highway": "footway"}, "drive")
    (True, False)
    >>> way_passes({"highway": "motorway_link"}, "walk")
    False
    """
    for key, rx in _COMPILED[mode]:
        value = tags.get(key)
        if rx is None:
            if value is None:
                return False
        elif value is not None and rx.search(value):
            return False
    return True


def parse_maxspeed(value: Any) -> float | None:
    """Speed limit in km/h from an OSM ``maxspeed`` value, or None if not a number.

    UK values are in mph (``"20 mph"``); a bare number is km/h, per the OSM wiki.
    Several values (``"20 mph;30 mph"`` or an osmnx list after simplification)
    give their mean.

    Examples
    --------
    >>> parse_maxspeed("20 mph")
    32.18688
    >>> parse_maxspeed("50")
    50.0
    >>> parse_maxspeed(["20 mph", "30 mph"])
    40.2336
    >>> parse_maxspeed("signals") is None
    True
    """
    if value is None:
        return None
    if isinstance(value, str):
        parts: Iterable[Any] = value.split(";") if ";" in value else [value]
    elif isinstance(value, Iterable):
        parts = value
    else:
        parts = [value]
    speeds: list[float] = []
    for part in parts:
        if isinstance(part, int | float) and not isinstance(part, bool):
            if math.isfinite(part) and part > 0:
                speeds.append(float(part))
            continue
        text = str(part).strip().lower()
        if text in _NAMED_MPH:
            speeds.append(_NAMED_MPH[text] * _MPH)
            continue
        m = _SPEED_RE.match(text)
        if m and float(m.group(1)) > 0:
            speeds.append(float(m.group(1)) * (_MPH if m.group(2) == "mph" else 1.0))
    return round(sum(speeds) / len(speeds), 6) if speeds else None


def highway_default_kmh(highway: Any) -> float:
    """Default speed limit in km/h for an OSM ``highway`` value (or an osmnx list of them).

    Examples
    --------
    >>> round(highway_default_kmh("residential"), 2)
    32.19
    >>> round(highway_default_kmh("primary_link"), 2)
    48.28
    """
    values = [highway] if isinstance(highway, str) or highway is None else list(highway)
    mph = [
        DEFAULT_HIGHWAY_MPH.get(str(v).removesuffix("_link"), _FALLBACK_MPH) for v in values
    ] or [_FALLBACK_MPH]
    return sum(mph) / len(mph) * _MPH


def write_network_xml(src: Path, dst: Path, mode: str) -> tuple[int, int]:
    """Copy the ``mode`` ways of ``src`` and their nodes to an OSM XML file ``dst``.

    Two streaming passes with pyosmium: ways first (to learn which nodes are
    needed), then nodes and ways.  Returns the numbers of ways and nodes written.
    Raises :class:`NetworkFileError` if the file cannot be read or holds no such way.
    """
    keep_ways: set[int] = set()
    keep_nodes: set[int] = set()
    try:
        ways = osmium.FileProcessor(str(src), osmium.osm.WAY).with_filter(
            osmium.filter.KeyFilter("highway")
        )
        for way in ways:
            if isinstance(way, osmium.osm.Way) and way_passes(way.tags, mode):
                keep_ways.add(way.id)
                keep_nodes.update(n.ref for n in way.nodes)
        if not keep_ways:
            raise NetworkFileError(
                f"street network file {str(src)!r} holds no {mode} ways (no OSM way passes "
                f"osmnx's {mode!r} filter): is it an OpenStreetMap street extract? "
                "Use a full extract such as Geofabrik's greater-london-latest.osm.pbf"
            )
        writer = osmium.SimpleWriter(str(dst))
        try:
            # PBF and XML extracts are sorted nodes-then-ways, so the output is too.
            for obj in osmium.FileProcessor(str(src), osmium.osm.NODE | osmium.osm.WAY):
                if isinstance(obj, osmium.osm.Node):
                    if obj.id in keep_nodes:
                        writer.add_node(obj)
                elif isinstance(obj, osmium.osm.Way) and obj.id in keep_ways:
                    writer.add_way(obj)
        finally:
            writer.close()
    except RuntimeError as exc:  # libosmium reports bad data as RuntimeError
        raise NetworkFileError(
            f"street network file {str(src)!r} cannot be read ({exc}): it looks truncated "
            "or corrupt. Download it again (check its size against the source) or point "
            "to another extract"
        ) from exc
    return len(keep_ways), len(keep_nodes)


def graph_from_osm_file(path: Path, mode: str, *, simplify: bool = False) -> nx.MultiDiGraph:
    """Build osmnx's ``mode`` graph (unprojected) from a local OSM file."""
    with tempfile.TemporaryDirectory(prefix="geodata-osm-") as tmp:
        xml = Path(tmp) / f"{mode}.osm"
        n_ways, n_nodes = write_network_xml(path, xml, mode)
        logger.info("%s: %d %s ways, %d nodes kept", path.name, n_ways, mode, n_nodes)
        try:
            graph = ox.graph_from_xml(xml, bidirectional=mode == "walk", simplify=simplify)
        except (ValueError, KeyError) as exc:  # osmnx's own errors subclass ValueError
            raise NetworkFileError(
                f"street network file {str(path)!r}: osmnx could not build a {mode} graph "
                f"from its {n_ways} {mode} ways ({exc}). Use a full OpenStreetMap extract"
            ) from exc
    return graph


def read_graphml(path: Path, mode: str) -> nx.MultiDiGraph:
    """Read an osmnx GraphML of the ``mode`` network, or raise :class:`NetworkFileError`."""
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:  # ParseError, KeyError, ValueError...: all mean "bad file"
        raise NetworkFileError(
            f"street network file {str(path)!r} is not a readable osmnx GraphML ({exc}). "
            "Save it again with osmnx.save_graphml() or download_street_graph()"
        ) from exc
    found = graph.graph.get("network_type")
    if found is not None and found != mode and not (mode == "walk" and found == "drive"):
        raise NetworkFileError(
            f"street network file {str(path)!r} holds a {found!r} network, not {mode!r}: "
            f"pass the {mode} GraphML, or download one with download_street_graph(place, {mode!r}, ...)"
        )
    if graph.number_of_edges() == 0:
        raise NetworkFileError(f"street network file {str(path)!r} has no edges")
    return graph


def one_way_edges(graph: nx.MultiDiGraph) -> list[tuple[Any, Any, Any]]:
    """The edges ``(u, v, key)`` of ``graph`` with no edge back from ``v`` to ``u`` (one-way streets)."""
    return [(u, v, k) for u, v, k in graph.edges(keys=True) if u != v and not graph.has_edge(v, u)]


def walkable(graph: nx.MultiDiGraph, label: str, *, two_way: bool) -> tuple[nx.MultiDiGraph, bool]:
    """``graph`` for walking: a drive network is refused, or with ``two_way`` made undirected.

    A drive network (graph attribute ``network_type`` ``drive``, or any one-way edge,
    an edge with no edge back) keeps its one-way streets, which pedestrians do not
    obey, and lacks the footpaths.  Without ``two_way`` it is a
    :class:`~geodata.errors.NetworkFileError` naming ``label`` and both fixes; with it,
    every one-way edge gains its reverse.  Returns the graph and whether it was a
    drive graph made two-way.
    """
    kind = graph.graph.get("network_type")
    one_way = one_way_edges(graph)
    if kind != "drive" and not one_way:
        return graph, False
    why = (f"{len(one_way):,} of its {graph.number_of_edges():,} edges are one-way"
           if one_way else "its network_type is 'drive'")
    if not two_way:
        raise NetworkFileError(
            f"street network file {label} is a drive network ({why}) and walking was asked "
            "for: pedestrians do not keep to one-way streets, and a drive network lacks the "
            "footpaths. Give a walk network (an OpenStreetMap extract, which is filtered for "
            "walking here, or `estate network download --place PLACE --mode walk --out FILE.graphml`), or set "
            "walk_on_drive_graph: true in the streets section of --settings to walk on this "
            "graph made two-way (every street both ways; footpaths still missing)"
        )
    out = graph.copy()
    for u, v, k in one_way:
        out.add_edge(v, u, **dict(graph.edges[u, v, k]))
    out.graph["network_type"] = "walk"
    out.graph["walk_on_drive_graph"] = True
    logger.info("%s: a drive network made two-way for walking (%s; reverse edges added)", label, why)
    return out, True


def to_bng(graph: nx.MultiDiGraph, path: Path | None) -> nx.MultiDiGraph:
    """``graph`` in EPSG:27700 (projected with osmnx if it is in another CRS)."""
    crs = graph.graph.get("crs")
    if crs is None:
        if path is None:
            raise CRSError(
                "street graph has no 'crs' graph attribute: set graph.graph['crs'] "
                "(osmnx graphs carry one)"
            )
        raise NetworkFileError(
            f"street network file {str(path)!r} has no 'crs' graph attribute; "
            "save it with osmnx.save_graphml()"
        )
    if is_bng(crs):
        return graph
    return ox.project_graph(graph, to_crs=CRS)


@dataclass(frozen=True, eq=False)
class NetworkArrays:
    """A street network as arrays: the largest strongly connected component only."""

    x: np.ndarray  # node eastings, m
    y: np.ndarray  # node northings, m
    u: np.ndarray  # edge tails (node index)
    v: np.ndarray  # edge heads (node index)
    length_m: np.ndarray  # edge lengths along their geometry, EPSG:27700 metres
    limit_kmh: np.ndarray  # speed limit (tagged or default), km/h
    #: one value: True when this is a drive network made two-way for walking (:func:`walkable`)
    walk_on_drive: np.ndarray = field(default_factory=lambda: np.zeros(1, bool))

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, source: str) -> NetworkArrays:
        """Arrays of a projected osmnx graph; ``source`` names it in messages."""
        nodes = list(graph.nodes)
        index = {node: i for i, node in enumerate(nodes)}
        x = np.fromiter((graph.nodes[n]["x"] for n in nodes), float, len(nodes))
        y = np.fromiter((graph.nodes[n]["y"] for n in nodes), float, len(nodes))
        us: list[int] = []
        vs: list[int] = []
        lengths: list[float] = []
        limits: list[float] = []
        for a, b, data in graph.edges(data=True):
            if a == b:
                continue
            i, j = index[a], index[b]
            geom = data.get("geometry")
            length = geom.length if geom is not None else float(np.hypot(x[j] - x[i], y[j] - y[i]))
            us.append(i)
            vs.append(j)
            lengths.append(length)
            limit = parse_maxspeed(data.get("maxspeed"))
            limits.append(limit if limit is not None else highway_default_kmh(data.get("highway")))
        if not us:
            raise NetworkFileError(f"{source}: the street graph has no edges")
        u, v = np.asarray(us, np.int64), np.asarray(vs, np.int64)
        # Keep the largest strongly connected component: elsewhere a snapped point
        # could be unable to leave (or reach) the rest of the network.
        adj = sp.csr_matrix((np.ones(len(u)), (u, v)), shape=(len(nodes), len(nodes)))
        _, labels = connected_components(adj, directed=True, connection="strong")
        keep = labels == np.bincount(labels).argmax()
        new_index = np.cumsum(keep) - 1
        on = keep[u] & keep[v]
        dropped = len(nodes) - int(keep.sum())
        if dropped:
            logger.info(
                "%s: kept the largest strongly connected component, dropped %d of %d nodes",
                source,
                dropped,
                len(nodes),
            )
        return cls(
            x=x[keep],
            y=y[keep],
            u=new_index[u[on]],
            v=new_index[v[on]],
            length_m=np.asarray(lengths)[on],
            limit_kmh=np.asarray(limits)[on],
            walk_on_drive=np.array([bool(graph.graph.get("walk_on_drive_graph", False))]),
        )

    #: name -> (shape, dtype) of each array, as the disk cache checks them
    LAYOUT: ClassVar[dict[str, tuple[tuple[int, ...] | None, Any]]] = {
        "x": (None, np.float64),
        "y": (None, np.float64),
        "u": (None, np.int64),
        "v": (None, np.int64),
        "length_m": (None, np.float64),
        "limit_kmh": (None, np.float64),
        "walk_on_drive": ((1,), np.bool_),
    }

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by name (what the disk cache stores)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def fingerprint(self) -> str:
        """A short hash of every array, for cache keys."""
        h = hashlib.sha256()
        for f in fields(self):
            h.update(np.ascontiguousarray(getattr(self, f.name)).tobytes())
        return h.hexdigest()[:16]
