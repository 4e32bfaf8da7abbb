"""The police estate domain: sites and their hours, the register, scenarios,
coverage, closure evidence, maps and exports, and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from estate.errors import EstateError, ScenarioError, UnknownScenarioError, UnknownSiteError

if TYPE_CHECKING:
    from estate.coverage import Comparison
    from estate.planner import Planner


__all__ = [
    "Comparison",
    "EstateError",
    "Planner",
    "ScenarioError",
    "UnknownScenarioError",
    "UnknownSiteError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """``Planner`` and ``Comparison`` load on first use, so ``import estate`` stays light."""
    if name == "Planner":
        from estate.planner import Planner

        return Planner
    if name == "__version__":  # importlib.metadata costs 50 ms: only when asked
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("police-estate")
        except PackageNotFoundError:  # pragma: no cover
            return "0+unknown"
    if name == "Comparison":
        from estate.coverage import Comparison

        return Comparison
    raise AttributeError(f"module 'estate' has no attribute {name!r}")
