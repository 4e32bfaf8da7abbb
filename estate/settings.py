"""Every setting estate and the app read from the environment, and the engine-settings
overrides file: one small typed module.

Environment variables (read only here; the CLI's options and the planner's
arguments take precedence):

``ESTATE_DATA``
    the data folder (default ``../shared/london`` beside the repository).
``ESTATE_CACHE``
    the matrix cache folder (default ``.cache/`` in the repository); ``off`` switches it off.
``ESTATE_SCENARIOS``
    the scenario folder the app reads and writes (default the repository's ``scenarios/``);
    for a police force area with no shipped folder of its own, that force's scenarios.
``ESTATE_REGISTER``
    the register CSV (a force brings its own: there is no national list of counters), as
    the CLI's ``--register``; the app's only way to give one.
``ESTATE_STREETS``
    an OSM file (PBF, OSM XML, GraphML) for network walk and drive times.
``ESTATE_GTFS``
    a GTFS feed for transit instead of the pack's TfL files.
``ESTATE_STATE``
    the tool's own records: which output files it wrote (so it may replace them)
    and the traces of unexpected errors (default ``$XDG_STATE_HOME/estate``, else
    ``~/.local/state/estate``).
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
    "REGISTER_ENV",
    "REPO_ROOT",
    "SCENARIOS_DIR",
    "SCENARIOS_ENV",
    "STATE_ENV",
    "STREETS_ENV",
    "Environment",
    "cache_dir",
    "check_settings",
    "data_dir",
    "environment",
    "load_overrides",
    "national_dir",
    "override",
    "state_dir",
]

DATA_ENV = "ESTATE_DATA"
CACHE_ENV = "ESTATE_CACHE"
SCENARIOS_ENV = "ESTATE_SCENARIOS"
STREETS_ENV = "ESTATE_STREETS"
GTFS_ENV = "ESTATE_GTFS"
STATE_ENV = "ESTATE_STATE"
AREA_ENV = "ESTATE_AREA"
FORCE_ENV = "ESTATE_FORCE"
AREAS_ENV = "ESTATE_AREAS"
REGISTER_ENV = "ESTATE_REGISTER"

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


def state_dir() -> Path:
    """The folder of the tool's own records (``ESTATE_STATE``; created when first written)."""
    env = _path(STATE_ENV)
    if env:
        return env
    xdg = _path("XDG_STATE_HOME")
    return (xdg or Path.home() / ".local" / "state") / "estate"


@dataclass(frozen=True)
class Environment:
    """The environment's settings, read once (``None``: not set; the default applies)."""

    data: Path | None
    scenarios: Path | None
    streets: Path | None
    gtfs: Path | None
    area: str | None = None
    force: str | None = None
    grouping: str | None = None
    register: Path | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str, str]:
        """(data folder, scenario folder, area, force, grouping, register) as text: the app's cache key."""
        return (str(self.data or ""), str(self.scenarios or ""), self.area or "", self.force or "",
                self.grouping or "", str(self.register or ""))


def environment() -> Environment:
    """Read ``ESTATE_DATA``, ``ESTATE_SCENARIOS``, ``ESTATE_STREETS``, ``ESTATE_GTFS``,
    ``ESTATE_AREA`` (``london`` or ``newport``), ``ESTATE_FORCE`` (a police force area) and
    ``ESTATE_AREAS`` (``district`` or ``csp``: the areas figures are given for) and
    ``ESTATE_REGISTER`` (the register CSV) now."""
    return Environment(
        _path(DATA_ENV), _path(SCENARIOS_ENV), _path(STREETS_ENV), _path(GTFS_ENV),
        (os.environ.get(AREA_ENV) or "").strip() or None, (os.environ.get(FORCE_ENV) or "").strip() or None,
        (os.environ.get(AREAS_ENV) or "").strip() or None, _path(REGISTER_ENV),
    )


#: the sections of an engine-settings file
SECTIONS = ("crowfly", "transit", "streets")


def load_overrides(path: str | os.PathLike[str] | None) -> dict[str, dict[str, Any]]:
    """Engine settings overrides from a YAML file: sections ``crowfly``, ``transit``, ``streets`` of key: value.

    Every key is checked against its settings class (type and range, see
    :func:`check_settings`) here, where the file is read.

    Raises
    ------
    SettingsError
        When the file cannot be read, is not sections of key: value, names an
        unknown section or key, or gives a value of the wrong type or out of range.
    """
    if not path:
        return {}
    from estate._yaml import load_yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read the settings file ({exc}); give a UTF-8 YAML file") from exc
    data = load_yaml(text, path=str(path), error=SettingsError) or {}
    return check_settings(data, where=str(path))


def _defaults() -> dict[str, Any]:
    from geodata.travel import CrowflySettings, StreetSettings, TransitSettings

    return {"crowfly": CrowflySettings(), "transit": TransitSettings(), "streets": StreetSettings()}


def check_settings(data: Any, *, where: str = "settings") -> dict[str, dict[str, Any]]:
    """Validate engine-settings overrides: known sections and keys, each value's type and range.

    Returns the overrides with lists made tuples (as the settings classes hold them).

    Raises
    ------
    SettingsError
        Naming ``where``, the section, the key, the value and what is allowed.
    """
    if not isinstance(data, dict) or not all(isinstance(v, dict) or v is None for v in data.values()):
        raise SettingsError(f"{where}: settings must be sections ({', '.join(SECTIONS)}) of key: value")
    unknown = sorted(str(k) for k in data if k not in SECTIONS)
    if unknown:
        import difflib

        hints = [f"{u!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(u, SECTIONS, n=1)) else repr(u)
                 for u in unknown]
        raise SettingsError(f"{where}: unknown section(s) {', '.join(hints)}; the sections are {', '.join(SECTIONS)}")
    defaults = _defaults()
    return {sec: _check_section(defaults[sec], values or {}, f"{where}: {sec}") for sec, values in data.items()}


def _check_section(obj: Any, values: dict[str, Any], where: str) -> dict[str, Any]:
    fields = {f.name: f for f in dataclasses.fields(obj)}
    bad = sorted(str(k) for k in values if k not in fields)
    if bad:
        raise SettingsError(f"{where}: unknown key(s) {bad}; known: {sorted(fields)}")
    return {k: _check_value(k, v, getattr(obj, k), str(fields[k].type), f"{where}.{k}") for k, v in values.items()}


#: the allowed range of a numeric setting, by its name: (test, low, high, low allowed)
_RANGES: tuple[tuple[Any, float, float, bool, str], ...] = (
    (lambda n: n.endswith("_kmh"), 0.0, 300.0, False, "km/h"),
    (lambda n: n.endswith("_detour"), 1.0, 5.0, True, "(network / straight-line distance)"),
    (lambda n: "headway" in n, 0.0, 1440.0, False, "minutes"),
    (lambda n: n.endswith("_penalty_min"), 0.0, 120.0, True, "minutes"),
    (lambda n: n.endswith("_window_min"), 0.0, 1440.0, False, "minutes"),
    (lambda n: n.endswith("_count_window"), 0.0, 2880.0, True, "minutes after midnight"),
    (lambda n: n == "cutoff_min", 0.0, 10080.0, False, "minutes"),
    (lambda n: n.endswith("_m"), 0.0, 100_000.0, False, "metres"),
    (lambda n: n.endswith("_factor"), 0.0, 10.0, False, ""),
    (lambda n: n.endswith("_nights"), 0.0, 6.0, True, "(0 = Monday ... 6 = Sunday)"),
)


def _range_of(name: str) -> tuple[float, float, bool, str]:
    for test, lo, hi, lo_ok, unit in _RANGES:
        if test(name):
            return lo, hi, lo_ok, unit
    return 0.0, 1e6, True, ""


def _number(name: str, value: Any, where: str, *, integer: bool = False) -> float:
    import math

    lo, hi, lo_ok, unit = _range_of(name)
    allowed = f"{'from' if lo_ok else 'above'} {lo:g} up to {hi:g}{' ' + unit if unit else ''}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{where} is {value!r}; expected a number {allowed}")
    if integer and not float(value).is_integer():
        raise SettingsError(f"{where} is {value!r}; expected a whole number {allowed}")
    if not math.isfinite(value) or value > hi or value < lo or (value == lo and not lo_ok):
        raise SettingsError(f"{where} is {value!r}; allowed: {allowed}")
    return int(value) if integer else float(value)


def _check_value(name: str, value: Any, default: Any, annotation: str, where: str) -> Any:
    if value is None and default is not None:
        raise SettingsError(f"{where} is empty; give a value like the default {default!r}, or remove the key")
    if value is None:
        return None
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SettingsError(f"{where} is {value!r}; expected true or false")
        return value
    if isinstance(default, str):
        if not isinstance(value, str) or len(value) > 1000:
            raise SettingsError(f"{where} is {value!r}; expected text (up to 1,000 characters)")
        if name.endswith("_regex"):
            import re

            try:
                re.compile(value)
            except re.error as exc:
                raise SettingsError(f"{where} is {value!r}, not a valid regular expression ({exc})") from None
        return value
    if isinstance(default, tuple):
        return _check_tuple(name, value, default, annotation, where)
    return _number(name, value, where, integer=isinstance(default, int))


def _check_tuple(name: str, value: Any, default: tuple[Any, ...], annotation: str, where: str) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)) or len(value) > 10_000:
        raise SettingsError(f"{where} is {value!r}; expected a list like {list(default)!r}")
    if default:
        proto = default[0]
    elif "tuple[str" in annotation:
        proto = ""
    elif "tuple[int" in annotation:
        proto = 0
    else:
        proto = 0.0
    out: list[Any] = []
    for i, item in enumerate(value):
        w = f"{where}[{i}]"
        if isinstance(proto, tuple):
            if not isinstance(item, (list, tuple)) or len(item) != len(proto):
                raise SettingsError(f"{w} is {item!r}; expected a list of {len(proto)} like {list(proto)!r}")
            out.append(tuple(_check_value(name, v, p, "", w) if not isinstance(p, tuple)
                             else _check_tuple(name, v, p, "tuple[str", w) for v, p in zip(item, proto, strict=True)))
        elif isinstance(proto, str):
            if not isinstance(item, (str, int)) or isinstance(item, bool):
                raise SettingsError(f"{w} is {item!r}; expected text")
            out.append(str(item))
        else:
            out.append(_number(name, item, w, integer=isinstance(proto, int)))
    return tuple(out)


T = TypeVar("T")


def override(obj: T, values: dict[str, Any], section: str) -> T:
    """``obj`` (a settings dataclass) with ``values`` replaced; unknown keys are refused.

    Raises
    ------
    SettingsError
        For a key the settings class does not have, or a value of the wrong type or out of range.
    """
    checked = _check_section(obj, values, f"settings section {section!r}")
    return dataclasses.replace(obj, **checked)  # type: ignore[type-var]
