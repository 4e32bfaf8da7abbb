"""The police estate domain: sites and their hours, the register, scenarios,
coverage, closure evidence, maps and exports, and the CLI."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from estate.errors import EstateError, ScenarioError, UnknownScenarioError, UnknownSiteError
from estate.planner import Comparison, Planner

try:
    __version__ = version("police-estate")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0+unknown"

__all__ = [
    "Comparison",
    "EstateError",
    "Planner",
    "ScenarioError",
    "UnknownScenarioError",
    "UnknownSiteError",
    "__version__",
]
