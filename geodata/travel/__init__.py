"""Travel-time engines: one interface, several engines, one cached matrix each.

This is the public face of the travel half of geodata: every name another
package uses is here.  The street and transit engines import heavy libraries
(osmnx, pandas), so they load on first use: ``from geodata.travel import
StreetEngine`` still works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geodata import _lazy_names
from geodata.travel.base import (
    BANDS,
    MODES,
    Mode,
    Points,
    ProgressFn,
    TimeBand,
    TravelEngine,
    parse_band,
    parse_mode,
)
from geodata.travel.cache import cache_key, cached_matrix
from geodata.travel.chunked import DEFAULT_CHUNK_SITES, build_matrix_chunked
from geodata.travel.crowfly import CrowflyEngine, CrowflySettings
from geodata.travel.from_point import times_from
from geodata.travel.sparse import (
    SPARSE_ABOVE_PAIRS,
    SparseTimes,
    count_within,
    dense_bytes,
    nearest_of,
)

if TYPE_CHECKING:  # pragma: no cover - the lazy names below, for type checkers
    from geodata.travel._transit_graph import near_links
    from geodata.travel.streets import (
        STREET_MODES,
        NetworkArrays,
        PartialStreetEngine,
        StreetEngine,
        StreetSettings,
        download_street_graph,
        load_street_graph,
        street_engine_or_crowfly,
    )
    from geodata.travel.transit import (
        GTFSColumnError,
        Journey,
        Leg,
        TransitDataWarning,
        TransitEngine,
        TransitSettings,
    )

#: name -> module, for the names loaded on first use
_LAZY = {
    **dict.fromkeys(
        (
            "STREET_MODES",
            "NetworkArrays",
            "PartialStreetEngine",
            "StreetEngine",
            "StreetSettings",
            "download_street_graph",
            "load_street_graph",
            "street_engine_or_crowfly",
        ),
        "geodata.travel.streets",
    ),
    **dict.fromkeys(
        (
            "GTFSColumnError",
            "Journey",
            "Leg",
            "TransitDataWarning",
            "TransitEngine",
            "TransitSettings",
        ),
        "geodata.travel.transit",
    ),
    "near_links": "geodata.travel._transit_graph",
}

__all__ = [
    "BANDS",
    "DEFAULT_CHUNK_SITES",
    "MODES",
    "SPARSE_ABOVE_PAIRS",
    "STREET_MODES",
    "CrowflyEngine",
    "CrowflySettings",
    "GTFSColumnError",
    "Journey",
    "Leg",
    "Mode",
    "NetworkArrays",
    "PartialStreetEngine",
    "Points",
    "ProgressFn",
    "SparseTimes",
    "StreetEngine",
    "StreetSettings",
    "TimeBand",
    "TransitDataWarning",
    "TransitEngine",
    "TransitSettings",
    "TravelEngine",
    "build_matrix_chunked",
    "cache_key",
    "cached_matrix",
    "count_within",
    "dense_bytes",
    "download_street_graph",
    "load_street_graph",
    "near_links",
    "nearest_of",
    "parse_band",
    "parse_mode",
    "street_engine_or_crowfly",
    "times_from",
]


__getattr__ = _lazy_names(__name__, _LAZY)
