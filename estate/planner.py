"""The planner: one object holding the data, the estate, the scenarios and the
travel-time matrices, answering coverage and comparison questions.

The CLI, the app, the evidence pack and the benchmark all go through it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml

from estate.coverage import THRESHOLDS, CoverageResult, evaluate
from estate.register import (
    Estate,
    build_estate,
    candidates_from_places,
    load_met_register,
    load_register_csv,
)
from estate.scenario import REGISTER, Scenario, ScenarioState, load_scenarios, resolve
from geodata import settings as paths
from geodata.areas import Units, load_areas, load_unit_polygons, load_units
from geodata.errors import DataError
from geodata.places import load_host_places
from geodata.postcodes import Geocoder
from geodata.travel.base import (
    MODES,
    Mode,
    ProgressFn,
    TimeBand,
    TravelEngine,
    parse_band,
    parse_mode,
)
from geodata.travel.cache import cached_matrix
from geodata.travel.crowfly import CrowflyEngine, CrowflySettings

__all__ = ["Comparison", "Planner"]

log = logging.getLogger(__name__)

#: The scenarios shipped with the repository.
SCENARIOS_DIR = paths.REPO_ROOT / "scenarios"


@dataclass
class Comparison:
    """A scenario's coverage beside its base's, same mode and band."""

    base: CoverageResult
    scenario: CoverageResult

    def to_dict(self) -> dict[str, Any]:
        """The ``estate compare --format json`` document."""
        b, s = self.base, self.scenario
        n = len(b.area_codes)
        return {
            "base": b.scenario, "scenario": s.scenario, "mode": s.mode, "band": s.band,
            "engine": s.engine, "engine_note": s.engine_note, "thresholds_min": list(s.thresholds),
            "areas": [
                {"code": str(b.area_codes[i]), "name": str(b.area_names[i]), "base": b.area(i), "scenario": s.area(i)}
                for i in range(n)
            ],
            "london": {"base": b.area(n), "scenario": s.area(n)},
        }


def _load_settings_file(path: str | os.PathLike[str] | None) -> dict[str, dict[str, Any]]:
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path}: cannot read the settings file ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise DataError(f"{path}: settings must be sections (crowfly, transit, streets) of key: value")
    return data


def _override(obj: Any, values: dict[str, Any], section: str) -> Any:
    names = {f.name for f in dataclasses.fields(obj)}
    bad = set(values) - names
    if bad:
        raise DataError(f"settings section {section!r}: unknown key(s) {sorted(bad)}; known: {sorted(names)}")
    return dataclasses.replace(obj, **values)


def _cutoff_min(engine: TravelEngine) -> float | None:
    """The engine's cutoff in minutes (times beyond it are ``inf``), if it has one."""
    cut = getattr(getattr(engine, "settings", None), "cutoff_min", None)
    return float(cut) if cut is not None else None


class Planner:
    """Everything needed to evaluate scenarios on one data set.

    Parameters
    ----------
    data_dir
        The data folder (default: ``$ESTATE_DATA`` or ``../shared/london``).
    scenarios_dir
        Folder of scenario YAML files (default: the repository's ``scenarios/``).
    register_csv
        A register CSV to use instead of the Met front counters in the pack.
    cache_dir
        Matrix cache folder; ``None`` for the default, ``False`` for none.
    settings
        Engine settings overrides, ``{"crowfly": {...}, "transit": {...}, "streets": {...}}``,
        or the path of a YAML file holding them.
    street_network
        An OSM file (PBF, OSM XML, GraphML) for network walk and drive times;
        default ``$ESTATE_STREETS``; crow-fly when absent or when it does not cover the area.
    gtfs
        A GTFS feed for transit instead of the pack's TfL files (default ``$ESTATE_GTFS``).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        scenarios_dir: str | os.PathLike[str] | None = None,
        register_csv: str | os.PathLike[str] | None = None,
        cache_dir: str | os.PathLike[str] | bool | None = None,
        settings: dict[str, dict[str, Any]] | str | os.PathLike[str] | None = None,
        street_network: str | os.PathLike[str] | None = None,
        gtfs: str | os.PathLike[str] | None = None,
    ) -> None:
        self.data_dir = paths.data_dir(data_dir)
        self.scenarios_dir = Path(scenarios_dir) if scenarios_dir else SCENARIOS_DIR
        self.register_csv = Path(register_csv) if register_csv else None
        if cache_dir is False:
            self.cache_dir: Path | None = None
        elif cache_dir is None or cache_dir is True:
            self.cache_dir = paths.cache_dir()
        else:
            self.cache_dir = Path(cache_dir)
        self.overrides = settings if isinstance(settings, dict) else _load_settings_file(settings)
        self.street_network = street_network or os.environ.get("ESTATE_STREETS") or None
        self.gtfs = gtfs or os.environ.get("ESTATE_GTFS") or None
        self._engines: dict[str, TravelEngine] = {}
        self._matrices: dict[tuple[str, str], np.ndarray] = {}
        self.matrix_reports: dict[tuple[str, str], dict[str, Any]] = {}

    # ---- data -------------------------------------------------------------------
    @cached_property
    def areas(self) -> gpd.GeoDataFrame:
        """The boroughs (33 in London)."""
        return load_areas(self.data_dir)

    @cached_property
    def units(self) -> Units:
        """Population units (LSOA 2021 centroids)."""
        units = load_units(self.data_dir)
        known = set(self.areas["code"])
        bad = sorted(set(units.frame["area_code"]) - known)
        if bad:
            raise DataError(f"population units name borough code(s) {bad} not in the borough layer")
        return units

    @cached_property
    def unit_polygons(self) -> gpd.GeoDataFrame:
        """LSOA 2021 boundaries, for maps and catchments."""
        return load_unit_polygons(self.data_dir)

    @cached_property
    def geocoder(self) -> Geocoder:
        """Offline postcode geocoder."""
        return Geocoder.from_data_dir(self.data_dir)

    @cached_property
    def estate(self) -> Estate:
        """Register plus candidate host places."""
        if self.register_csv is not None:
            reg = load_register_csv(self.register_csv, self.areas, self.geocoder)
        else:
            reg = load_met_register(self.data_dir, self.areas, self.geocoder)
        places = load_host_places(self.data_dir, self.areas, geocoder=self.geocoder)
        return build_estate(reg, candidates_from_places(places))

    @cached_property
    def scenarios(self) -> dict[str, Scenario]:
        """Scenario files by id."""
        return load_scenarios(self.scenarios_dir)

    def reload_scenarios(self) -> dict[str, Scenario]:
        """Re-read the scenario folder (after a save)."""
        self.__dict__.pop("scenarios", None)
        self._states: dict[str, ScenarioState] = {}
        return self.scenarios

    @cached_property
    def _site_area(self) -> np.ndarray:
        codes = {c: i for i, c in enumerate(self.units.area_codes)}
        s = self.estate.sites.loc[self.estate.column_ids, "area_code"]
        return np.array([codes.get(c, -1) for c in s], dtype=np.int64)

    @cached_property
    def _weights(self) -> dict[str, np.ndarray]:
        return self.units.weights()

    # ---- engines and matrices -------------------------------------------------
    def engine(self, mode: str | Mode) -> TravelEngine:
        """The travel-time engine used for ``mode``."""
        mode = parse_mode(mode)
        if mode not in self._engines:
            crow = _override(CrowflySettings(), self.overrides.get("crowfly", {}), "crowfly")
            if mode is Mode.TRANSIT:
                from geodata.travel.transit import TransitEngine, TransitSettings

                ts = _override(TransitSettings(), self.overrides.get("transit", {}), "transit")
                if self.gtfs:
                    self._engines[mode] = TransitEngine.from_gtfs(Path(self.gtfs), settings=ts)
                else:
                    self._engines[mode] = TransitEngine(self.data_dir, settings=ts)
            elif self.street_network:
                from geodata.travel.streets import StreetSettings, street_engine_or_crowfly

                ss = _override(StreetSettings.from_crowfly(crow), self.overrides.get("streets", {}), "streets")
                self._engines[mode] = street_engine_or_crowfly(
                    mode, Path(self.street_network), self.units.points,
                    crowfly_settings=crow, street_settings=ss, cache_dir=self.cache_dir,
                )
            else:
                self._engines[mode] = CrowflyEngine(mode, crow)
        return self._engines[mode]

    def matrix(self, mode: str, band: str | TimeBand, *, progress: ProgressFn | None = None) -> np.ndarray:
        """The units x sites matrix (seconds) for ``mode`` in ``band``: memory, disk cache, or built."""
        b = parse_band(band)
        eng = self.engine(mode)
        key = (mode, eng.variant(b))
        if key not in self._matrices:
            times, report = cached_matrix(
                eng, self.units.points, self.estate.points(), b, cache_dir=self.cache_dir, progress=progress
            )
            self._matrices[key] = times
            self.matrix_reports[key] = report
            log.info("matrix %s/%s: %s in %.2f s", mode, key[1], report["status"], report["seconds"])
        return self._matrices[key]

    def build(self, modes: tuple[str, ...] = MODES, bands: tuple[str, ...] = ("day", "night", "weekend-night"),
              *, progress: ProgressFn | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        """Build (or load) every matrix for ``modes`` x ``bands``; return the reports."""
        for m in modes:
            for b in bands:
                self.matrix(m, b, progress=progress)
        return dict(self.matrix_reports)

    # ---- scenarios and coverage ----------------------------------------------
    def state(self, scenario_id: str) -> ScenarioState:
        """The estate as ``scenario_id`` leaves it."""
        if not hasattr(self, "_states"):
            self._states = {}
        if scenario_id not in self._states:
            self._states[scenario_id] = resolve(scenario_id, self.scenarios, self.estate)
        return self._states[scenario_id]

    def coverage_of_state(self, state: ScenarioState, mode: str, band: str | TimeBand,
                          *, thresholds: tuple[int, ...] = THRESHOLDS) -> CoverageResult:
        """Coverage of any :class:`ScenarioState` (e.g. one being edited in the app)."""
        b = parse_band(band)
        times = self.matrix(mode, b)
        eng = self.engine(mode)
        return evaluate(
            times, state.open_columns(self.estate, b), state.open_24_7_columns(self.estate),
            weights=self._weights, unit_area=self.units.area_index, area_codes=self.units.area_codes,
            area_names=self.units.area_names, site_area=self._site_area, thresholds=thresholds,
            scenario=state.scenario_id, mode=mode, band=b.name, engine=eng.name, engine_note=eng.describe(),
            cutoff_min=_cutoff_min(eng),
        )

    def coverage(self, scenario_id: str, mode: str, band: str | TimeBand,
                 *, thresholds: tuple[int, ...] = THRESHOLDS) -> CoverageResult:
        """Coverage of a scenario for one mode and band."""
        return self.coverage_of_state(self.state(scenario_id), mode, band, thresholds=thresholds)

    def compare(self, base: str, scenario: str, mode: str, band: str | TimeBand,
                *, thresholds: tuple[int, ...] = THRESHOLDS) -> Comparison:
        """A scenario's coverage beside its base's."""
        return Comparison(self.coverage(base, mode, band, thresholds=thresholds),
                          self.coverage(scenario, mode, band, thresholds=thresholds))

    def scenario_table(self) -> pd.DataFrame:
        """One row per scenario: id, title, base, counts of changes, open sites."""
        rows = []
        for sid, sc in sorted(self.scenarios.items()):
            st = self.state(sid)
            rows.append({"id": sid, "title": sc.title, "base": sc.base, "close": len(st.closed),
                         "open": len(st.opened), "set_hours": len(st.rehoured), "open_sites": len(st.hours),
                         "open_24_7": sum(self.estate.hours(h).is_24_7 for h in st.hours.values())})
        return pd.DataFrame(rows)


REGISTER_ID = REGISTER
