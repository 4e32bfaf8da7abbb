"""Which TfL files the transit engine reads, and where in a data pack they are.

Kept apart from the reader (:mod:`geodata.travel._tfl`, which needs pandas) so that
building an engine to look up a cached matrix reads no file and imports no pandas.
"""

from __future__ import annotations

import zipfile
from functools import lru_cache
from pathlib import Path

from geodata.errors import DataError, MissingDataError

__all__ = [
    "BUS_FILE",
    "OVERGROUND_FILE",
    "TFL_FILES",
    "TUBE_LINES",
    "TUBE_LINKS",
    "TUBE_STATIONS",
    "cif_schedule_count",
    "cif_timetable_kind",
    "find_cif",
    "find_tfl_dir",
    "qsi_file",
]

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


#: the QSI bus frequencies file (the newest by name is used)
QSI_GLOB = "tfl_bus_route_service_qsi_*.csv"


def qsi_file(folder: Path) -> Path | None:
    """The newest QSI route file in ``folder`` (by name), or None."""
    found = sorted(folder.glob(QSI_GLOB))
    return found[-1] if found else None


def find_cif(data_dir: Path) -> Path | None:
    """The CIF timetable zip of a data pack (``network/rail/*.zip``), or None."""
    for cand in (data_dir / "network" / "rail", data_dir / "rail", data_dir.parent / "rail"):
        if cand.is_dir():
            zips = sorted(cand.glob("*.zip"))
            if zips:
                return zips[-1]
    return None


@lru_cache(maxsize=8)
def _count(path: str, size: int, mtime: float) -> int:
    p = Path(path)
    n = 0
    if p.is_dir():
        files = [f for f in p.iterdir() if f.suffix.lower() in (".mca", ".cif")]
        for f in files[:1]:
            with f.open("rb") as fh:
                n = sum(1 for line in fh if line.startswith(b"BS"))
        return n
    with zipfile.ZipFile(p) as zf:
        names = [m for m in zf.namelist() if m.lower().endswith((".mca", ".cif"))]
        for m in names[:1]:
            with zf.open(m) as fh:
                n = sum(1 for line in fh if line.startswith(b"BS"))
    return n


def cif_schedule_count(path: Path) -> int:
    """How many ``BS`` schedule records a CIF feed's timetable holds (a quick scan, cached)."""
    st = path.stat()
    try:
        return _count(str(path.resolve()), st.st_size, st.st_mtime)
    except (OSError, zipfile.BadZipFile) as exc:
        raise MissingDataError(f"{path}: cannot read the CIF timetable ({exc})") from exc


def cif_timetable_kind(path: Path, timetable: str, sample_max_schedules: int) -> str:
    """``dated`` or ``pooled`` for a CIF feed: ``timetable`` unless it is ``auto``, when a
    feed with fewer than ``sample_max_schedules`` schedules is a sample (``pooled``)."""
    if timetable in ("dated", "pooled"):
        return timetable
    if timetable != "auto":
        raise DataError(f"rail_timetable {timetable!r}: expected auto, dated or pooled")
    return "pooled" if cif_schedule_count(path) < sample_max_schedules else "dated"
