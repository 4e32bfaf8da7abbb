"""Street networks from files: read a local OSM extract or GraphML, or download one.

:func:`load_street_graph` reads an OpenStreetMap extract (``.osm.pbf``, ``.osm``,
``.osm.bz2``) with osmnx's own ``walk`` / ``drive`` way filters (see
:mod:`geodata.travel._osm`), or an osmnx GraphML, and projects it to EPSG:27700;
:func:`download_street_graph` saves a place's network as GraphML.  The street
engine (:mod:`geodata.travel.streets`) routes on what these return.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import networkx as nx
import osmnx as ox

from geodata.errors import NetworkFileError, UnknownModeError
from geodata.travel import _osm
from geodata.travel.base import Mode

__all__ = ["STREET_MODES", "download_street_graph", "load_street_graph", "street_mode"]

logger = logging.getLogger(__name__)

#: Modes a street network serves.
STREET_MODES: tuple[Mode, ...] = (Mode.WALK, Mode.DRIVE)


def street_mode(mode: Mode) -> Mode:
    """``mode`` as a :class:`Mode` if a street network serves it, else :class:`UnknownModeError`."""
    if mode not in STREET_MODES:
        raise UnknownModeError(f"the streets engine serves walk and drive, not {str(mode)!r}")
    return Mode(mode)


def load_street_graph(
    path: str | os.PathLike[str], mode: Mode, *, simplify: bool = False, walk_on_drive: bool = False
) -> nx.MultiDiGraph:
    """Load the ``mode`` street graph of a local OSM or GraphML file, in EPSG:27700.

    Parameters
    ----------
    path
        An OpenStreetMap extract (``.osm.pbf``, ``.pbf``, ``.osm``, ``.osm.bz2``,
        ``.osm.gz``), filtered here with osmnx's ``walk`` or ``drive`` way filter
        and built with :func:`osmnx.graph_from_xml`; or an osmnx GraphML
        (:func:`osmnx.save_graphml`, e.g. from :func:`download_street_graph`),
        assumed to hold the ``mode`` network already.
    mode
        ``"walk"`` (every way two-way) or ``"drive"`` (one-way streets kept).
    simplify
        Merge the vertices between junctions (osmnx's ``simplify_graph``).  Off by
        default: with every OSM vertex a node, points snap to the street beside
        them rather than the nearest junction (see ``docs/streets.md``).  Ignored
        for GraphML, which is used as saved.
    walk_on_drive
        For ``walk``: a GraphML that is a drive network (one-way streets) is made
        two-way instead of refused (:func:`geodata.travel._osm.walkable`); the graph
        attribute ``walk_on_drive_graph`` says so.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx's graph, projected to EPSG:27700, with graph attribute
        ``network_type`` set to ``mode``.

    Raises
    ------
    NetworkFileError
        The file is missing, of an unknown type, truncated or corrupt, for another
        mode, or holds no ``mode`` ways; or, for ``walk``, is a drive network (one-way
        streets) and ``walk_on_drive`` is not set.
    """
    mode = street_mode(mode)
    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "not found"
        raise NetworkFileError(
            f"street network file {str(path)!r} {what}. Supply an OpenStreetMap extract "
            "such as Geofabrik's greater-london-latest.osm.pbf "
            "(https://download.geofabrik.de/europe/united-kingdom/england/greater-london.html) "
            "or a GraphML saved by download_street_graph()"
        )
    started = time.perf_counter()
    if _osm.file_kind(path) == "osm":
        graph = _osm.graph_from_osm_file(path, mode, simplify=simplify)
    else:
        graph = _osm.read_graphml(path, mode)
        if mode is Mode.WALK:
            graph, _ = _osm.walkable(graph, repr(str(path)), two_way=walk_on_drive)
    graph = _osm.to_bng(graph, path)
    graph.graph["network_type"] = mode
    logger.info(
        "loaded %s %s graph: %d nodes, %d edges in %.1f s",
        path.name,
        mode,
        len(graph),
        graph.number_of_edges(),
        time.perf_counter() - started,
    )
    return graph


def download_street_graph(
    place: str, mode: Mode, out_path: str | os.PathLike[str], *, simplify: bool = False
) -> Path:
    """Download the ``mode`` network of ``place`` with osmnx and save it as GraphML.

    Needs the internet (Nominatim and Overpass).  The file is unprojected, as
    osmnx saves it; :func:`load_street_graph` projects it on reading.

    Parameters
    ----------
    place
        A place name Nominatim knows, e.g. ``"Camden, London, UK"`` or
        ``"Greater London, UK"`` (London's walk network takes a while).
    mode
        ``"walk"`` or ``"drive"`` (osmnx's ``network_type``).
    out_path
        Where to write the GraphML (``.graphml``); parent folders are created.
    simplify
        Merge the vertices between junctions (see :func:`load_street_graph`).

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    NetworkFileError
        ``out_path`` is not a ``.graphml``, or the download failed.
    """
    mode = street_mode(mode)
    out = Path(out_path)
    if _osm.file_kind(out) != "graphml":
        raise NetworkFileError(
            f"download_street_graph writes GraphML: {str(out)!r} should end in .graphml"
        )
    try:
        graph = ox.graph_from_place(place, network_type=mode, simplify=simplify, retain_all=False)
    except (ValueError, OSError) as exc:  # osmnx's errors are ValueErrors; requests' OSErrors
        raise NetworkFileError(
            f"could not download the {mode} network of {place!r} ({exc}): check the place "
            "name (as Nominatim spells it) and the internet connection, or supply a local "
            "OSM extract instead"
        ) from exc
    graph.graph["network_type"] = mode
    graph.graph["source_place"] = place
    out.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, out)
    logger.info("saved %s network of %r (%d nodes) to %s", mode, place, len(graph), out)
    return out

