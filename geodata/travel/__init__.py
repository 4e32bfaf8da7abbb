"""Travel-time engines: one interface, several engines, one cached matrix each."""

from __future__ import annotations

from geodata.travel.base import BANDS, MODES, Points, TimeBand, TravelEngine, parse_band
from geodata.travel.crowfly import CrowflyEngine, CrowflySettings
from geodata.travel.streets import StreetEngine, StreetSettings, street_engine_or_crowfly

__all__ = [
    "BANDS",
    "MODES",
    "CrowflyEngine",
    "CrowflySettings",
    "Points",
    "StreetEngine",
    "StreetSettings",
    "TimeBand",
    "TravelEngine",
    "parse_band",
    "street_engine_or_crowfly",
]
