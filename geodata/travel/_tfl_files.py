"""Which TfL files the transit engine reads, and where in a data pack they are.

Kept apart from the reader (:mod:`geodata.travel._tfl`, which needs pandas) so that
building an engine to look up a cached matrix reads no file and imports no pandas.
"""

from __future__ import annotations

from pathlib import Path

from geodata.errors import MissingDataError

__all__ = ["BUS_FILE", "OVERGROUND_FILE", "TFL_FILES", "TUBE_LINES", "TUBE_LINKS", "TUBE_STATIONS", "find_tfl_dir"]

BUS_FILE = "tfl_bus_sequences_2019.csv"
TUBE_STATIONS = "tube_dlr_elizabeth_stations.csv"
TUBE_LINKS = "tube_dlr_elizabeth_connections.csv"
TUBE_LINES = "tube_dlr_elizabeth_lines.csv"
OVERGROUND_FILE = "casa0002_london_rail_network.graphml"
TFL_FILES = (BUS_FILE, TUBE_STATIONS, TUBE_LINKS, TUBE_LINES, OVERGROUND_FILE)


def find_tfl_dir(data_dir: Path) -> Path:
    """The folder of ``data_dir`` holding every TfL file, or :class:`MissingDataError`."""
    for cand in (
        data_dir / "network" / "public_transport",
        data_dir / "public_transport",
        data_dir,
    ):
        if (cand / BUS_FILE).is_file():
            break
    else:
        raise MissingDataError(
            f"no TfL bus sequences file {BUS_FILE} under {data_dir} (looked in "
            "network/public_transport/, public_transport/ and the folder itself); point "
            "the transit engine at the data pack, or pass gtfs= a GTFS feed"
        )
    missing = [f for f in TFL_FILES if not (cand / f).is_file()]
    if missing:
        raise MissingDataError(
            f"{cand}: missing {', '.join(missing)} (see the pack's PROVENANCE.md)"
        )
    return cand
