"""Travel-time engines: one interface, several engines, one cached matrix each.

The street and transit engines import heavy libraries (osmnx), so they load
on first use: ``from geodata.travel import StreetEngine`` still works.
"""

from __future__ import annotations

from typing import Any

from geodata.travel.base import (
    BANDS,
    MODES,
    Mode,
    Points,
    TimeBand,
    TravelEngine,
    parse_band,
    parse_mode,
)
from geodata.travel.crowfly import CrowflyEngine, CrowflySettings

__all__ = [
    "BANDS",
    "MODES",
    "CrowflyEngine",
    "CrowflySettings",
    "Journey",
    "Mode",
    "Points",
    "StreetEngine",
    "StreetSettings",
    "TimeBand",
    "TransitEngine",
    "TransitSettings",
    "TravelEngine",
    "parse_band",
    "parse_mode",
    "street_engine_or_crowfly",
]

_LAZY = {
    "StreetEngine": "geodata.travel.streets",
    "StreetSettings": "geodata.travel.streets",
    "street_engine_or_crowfly": "geodata.travel.streets",
    "TransitEngine": "geodata.travel.transit",
    "Journey": "geodata.travel.transit",
    "TransitSettings": "geodata.travel.transit",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'geodata.travel' has no attribute {name!r}")
