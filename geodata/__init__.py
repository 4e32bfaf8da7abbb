"""Geography and travel for public-service planning: areas, population, places,
networks and travel-time matrices.  Knows nothing about police."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("police-estate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
