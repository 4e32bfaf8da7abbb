"""Every setting estate and the app read from the environment, and the engine-settings
overrides file: one small typed module.

Environment variables (read only here; the CLI's options and the planner's
arguments take precedence):

``ESTATE_DATA``
    the data folder (default ``../shared/london`` beside the repository).
``ESTATE_CACHE``
    the matrix cache folder (default ``.cache/`` in the repository); ``off`` switches it off.
``ESTATE_SCENARIOS``
    the scenario folder the app reads and writes (default the repository's ``scenarios/``).
``ESTATE_STREETS``
    an OSM file (PBF, OSM XML, GraphML) for network walk and drive times.
``ESTATE_GTFS``
    a GTFS feed for transit instead of the pack's TfL files.
``ESTATE_NATIONAL``
    the England and Wales pack, for study areas other than London (default ``../shared/national``).

The data and cache folders are resolved by :mod:`geodata.settings` (geodata
reads them too); this module is estate's one door to them.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from estate.errors import SettingsError
from geodata import settings as _geo

__all__ = [
    "CACHE_ENV",
    "DATA_ENV",
    "GTFS_ENV",
    "REPO_ROOT",
    "SCENARIOS_DIR",
    "SCENARIOS_ENV",
    "STREETS_ENV",
    "Environment",
    "cache_dir",
    "data_dir",
    "environment",
    "load_overrides",
    "national_dir",
    "override",
]

DATA_ENV = "ESTATE_DATA"
CACHE_ENV = "ESTATE_CACHE"
SCENARIOS_ENV = "ESTATE_SCENARIOS"
STREETS_ENV = "ESTATE_STREETS"
GTFS_ENV = "ESTATE_GTFS"

#: The repository root when running from a source checkout.
REPO_ROOT = _geo.REPO_ROOT
#: The scenarios shipped with the repository.
SCENARIOS_DIR = REPO_ROOT / "scenarios"

data_dir = _geo.data_dir
national_dir = _geo.national_dir
cache_dir = _geo.cache_dir


def _path(name: str) -> Path | None:
    value = os.environ.get(name) or None
    return Path(value).expanduser() if value else None


@dataclass(frozen=True)
class Environment:
    """The environment's settings, read once (``None``: not set; the default applies)."""

    data: Path | None
    scenarios: Path | None
    streets: Path | None
    gtfs: Path | None

    @property
    def key(self) -> tuple[str, str]:
        """(data folder, scenario folder) as text: the app's cache key."""
        return (str(self.data or ""), str(self.scenarios or ""))


def environment() -> Environment:
    """Read ``ESTATE_DATA``, ``ESTATE_SCENARIOS``, ``ESTATE_STREETS`` and ``ESTATE_GTFS`` now."""
    return Environment(_path(DATA_ENV), _path(SCENARIOS_ENV), _path(STREETS_ENV), _path(GTFS_ENV))


def load_overrides(path: str | os.PathLike[str] | None) -> dict[str, dict[str, Any]]:
    """Engine settings overrides from a YAML file: sections ``crowfly``, ``transit``, ``streets`` of key: value.

    Raises
    ------
    SettingsError
        When the file cannot be read or is not sections of key: value.
    """
    if not path:
        return {}
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"{path}: cannot read the settings file ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SettingsError(f"{path}: settings must be sections (crowfly, transit, streets) of key: value")
    return data


T = TypeVar("T")


def override(obj: T, values: dict[str, Any], section: str) -> T:
    """``obj`` (a settings dataclass) with ``values`` replaced; unknown keys are refused.

    Raises
    ------
    SettingsError
        For a key the settings class does not have.
    """
    names = {f.name for f in dataclasses.fields(obj)}  # type: ignore[arg-type]
    bad = set(values) - names
    if bad:
        raise SettingsError(f"settings section {section!r}: unknown key(s) {sorted(bad)}; known: {sorted(names)}")
    return dataclasses.replace(obj, **values)  # type: ignore[type-var]
