"""What each study area brings besides its geography: the register, scenarios,
street network and timetable it uses when none is given.

London uses the London pack and the Met's counters.  Newport (Gwent Police) uses
the example register of its five OpenStreetMap police stations shipped in
``registers/`` (not an official counter list), the example scenarios in
``scenarios/newport/``, the national pack's whole-city OSM extract and its bus
GTFS for the week of Wednesday 6 March 2024, merged with the area's rail GTFS
(in the London pack's ``network/gtfs_sample/``) when it is there.  Any other area (a police force
area) brings its own register (``--register``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from estate import settings as config

if TYPE_CHECKING:
    from geodata.studyarea import StudyArea

__all__ = ["REGISTERS_DIR", "AreaDefaults", "area_defaults"]

#: example registers shipped with the repository
REGISTERS_DIR = config.REPO_ROOT / "registers"
#: the rail GTFS for the Newport area and date (RDG data via UK2GTFS), in the London pack's gtfs_sample/
NEWPORT_RAIL = "newport_area_rail_atoc_20240305_gtfs.zip"


@dataclass(frozen=True)
class AreaDefaults:
    """The files an area uses unless others are given (``None``: none by default)."""

    register: Path | None = None
    scenarios: Path | None = None
    streets: Path | None = None
    gtfs: Path | None = None
    #: transit: each band's weekday in the week of this date
    gtfs_week: str | None = None
    #: more GTFS feeds merged with ``gtfs`` (e.g. the area's trains)
    gtfs_extra: tuple[Path, ...] = ()


def area_defaults(area: StudyArea) -> AreaDefaults:
    """The defaults of ``area`` (London: none, the pack decides)."""
    if area.is_london:
        return AreaDefaults()
    scenarios = config.SCENARIOS_DIR / area.key
    if area.key == "newport":
        national = config.national_dir()
        rail = config.REPO_ROOT.parent / "shared" / "london" / "network" / "gtfs_sample" / NEWPORT_RAIL
        return AreaDefaults(
            register=REGISTERS_DIR / "newport_osm_police_stations.csv",
            scenarios=scenarios,
            streets=national / "newport" / "newport-2023-06-13.osm.pbf",
            gtfs=national / "newport" / "newport_bus_bods_2024-03_gtfs.zip",
            gtfs_week="2024-03-06",
            gtfs_extra=(rail,) if rail.exists() else (),
        )
    return AreaDefaults(scenarios=scenarios)
