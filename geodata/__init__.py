"""Geography and travel for public-service planning: areas, population, places,
networks and travel-time matrices.  Knows nothing about police.

This package is geodata's public face: every name another package uses is here
(and the travel engines in :mod:`geodata.travel`), so nothing outside geodata
imports a module whose name starts with ``_``.  Modules that pull in pandas or
geopandas load on first use of one of their names, so ``import geodata`` is cheap.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from geodata._io import atomic_directory, atomic_write_bytes, atomic_write_text
from geodata._proc import die_with_parent
from geodata.checks import require_columns
from geodata.crs import BNG, WGS84, bng_to_lonlat, lonlat_to_bng
from geodata.settings import cache_dir, data_dir, national_dir

if TYPE_CHECKING:  # pragma: no cover - the lazy names below, for type checkers
    from geodata._manifest import LAYERS, Layer, describe_expected, read_layer, read_table, register
    from geodata.areas import GROUPS, Units, load_areas, load_unit_polygons, load_units
    from geodata.places import (
        HOSTS,
        check_in_great_britain,
        load_host_places,
        load_places_csv,
        point_from_record,
        slugify,
    )
    from geodata.postcodes import (
        Geocoder,
        UnknownPostcodeError,
        national_postcode_file,
        newest_geocoder,
        normalise_postcode,
    )
    from geodata.studyarea import (
        AREAS,
        DEPRIVATION_NOTE,
        StudyArea,
        force_names,
        load_area_districts,
        load_area_places,
        load_area_unit_polygons,
        load_area_units,
        national_geocoder,
        study_area,
    )

#: name -> module, for the names loaded on first use
_LAZY = {
    **dict.fromkeys(
        ("LAYERS", "Layer", "describe_expected", "read_layer", "read_table", "register"),
        "geodata._manifest",
    ),
    **dict.fromkeys(
        ("GROUPS", "Units", "load_areas", "load_unit_polygons", "load_units"), "geodata.areas"
    ),
    **dict.fromkeys(
        (
            "HOSTS",
            "check_in_great_britain",
            "load_host_places",
            "load_places_csv",
            "point_from_record",
            "slugify",
        ),
        "geodata.places",
    ),
    **dict.fromkeys(
        ("Geocoder", "UnknownPostcodeError", "national_postcode_file", "newest_geocoder", "normalise_postcode"),
        "geodata.postcodes",
    ),
    **dict.fromkeys(
        (
            "AREAS",
            "DEPRIVATION_NOTE",
            "StudyArea",
            "force_names",
            "load_area_districts",
            "load_area_places",
            "load_area_unit_polygons",
            "load_area_units",
            "national_geocoder",
            "study_area",
        ),
        "geodata.studyarea",
    ),
}

__all__ = [
    "AREAS",
    "BNG",
    "DEPRIVATION_NOTE",
    "GROUPS",
    "HOSTS",
    "LAYERS",
    "WGS84",
    "Geocoder",
    "Layer",
    "StudyArea",
    "Units",
    "UnknownPostcodeError",
    "__version__",
    "atomic_directory",
    "atomic_write_bytes",
    "atomic_write_text",
    "bng_to_lonlat",
    "cache_dir",
    "check_in_great_britain",
    "data_dir",
    "describe_expected",
    "die_with_parent",
    "force_names",
    "load_area_districts",
    "load_area_places",
    "load_area_unit_polygons",
    "load_area_units",
    "load_areas",
    "load_host_places",
    "load_places_csv",
    "load_unit_polygons",
    "load_units",
    "lonlat_to_bng",
    "national_dir",
    "national_geocoder",
    "national_postcode_file",
    "newest_geocoder",
    "normalise_postcode",
    "point_from_record",
    "read_layer",
    "read_table",
    "register",
    "require_columns",
    "slugify",
    "study_area",
]


def _lazy_names(package: str, table: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``table[name]``'s module on first use of ``name``."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(table[name]), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    return __getattr__


_lazy = _lazy_names(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    if name == "__version__":  # importlib.metadata costs 50 ms: read it only when asked
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("police-estate")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    return _lazy(name)
