"""The planner: one object holding the data, the estate, the scenarios and the
travel-time matrices, answering coverage and comparison questions.

The CLI, the app, the evidence pack and the benchmark all go through it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from estate import settings as config
from estate.areas import area_defaults
from estate.chunked_builds import DaskBuilds
from estate.coverage import THRESHOLDS, Comparison, CoverageResult, evaluate
from estate.derived import EngineFacts, Tables, facts_key, input_stats, load_or_build, tables_key
from estate.errors import NoTimetableError, RegisterError, ScenarioError
from estate.scenario import (
    REGISTER,
    Scenario,
    ScenarioFolder,
    ScenarioState,
    resolve,
    resolve_value,
    scan_scenarios,
)
from estate.siteindex import SiteIndex
from geodata.errors import CacheError
from geodata.travel.base import (
    MODES,
    Mode,
    ProgressFn,
    TimeBand,
    TravelEngine,
    parse_band,
    parse_mode,
)
from geodata.travel.cache import cached_matrix, load_arrays, matrix_key, matrix_path
from geodata.travel.sparse import SPARSE_ABOVE_PAIRS, SparseTimes

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from estate.register import Estate
    from geodata.areas import Units
    from geodata.postcodes import Geocoder
    from geodata.studyarea import StudyArea
    from geodata.travel.barrier import (
        RiverBarrier,  # the heavy modules load only when the data itself is needed
    )

__all__ = ["Comparison", "Planner"]

log = logging.getLogger(__name__)

#: How many coverage results a planner keeps (about 100 KB each).
RESULTS_KEPT = 256

#: The scenarios shipped with the repository.
SCENARIOS_DIR = config.SCENARIOS_DIR

#: In the sparse layout (problems above :data:`~geodata.travel.sparse.SPARSE_ABOVE_PAIRS`
#: pairs, e.g. England and Wales) only pairs within this many minutes are stored: a
#: resident with no site within two hours counts as unreachable (at the cutoff in means
#: and quantiles), as beyond an engine's own cutoff.
SPARSE_CUTOFF_MIN = 120.0

#: A units x sites matrix: dense float32 seconds, or sparse columns within a cutoff.
Times = np.ndarray | SparseTimes


def _cutoff_min(settings_key: dict[str, Any]) -> float | None:
    """The engine's cutoff in minutes (times beyond it are ``inf``), from its settings key."""
    cut = settings_key.get("cutoff_min")
    return float(cut) if cut is not None else None


def _effective_cutoff_min(settings_key: dict[str, Any]) -> float:
    """The cutoff beyond which an engine gives nothing: its own, or its parts' largest (streets+crowfly)."""
    own = _cutoff_min(settings_key)
    if own is not None:
        return own
    parts = [_effective_cutoff_min(v) for v in settings_key.values() if isinstance(v, dict)]
    return max(parts) if parts else float("inf")


class Planner(DaskBuilds):
    """Everything needed to evaluate scenarios on one data set.

    Parameters
    ----------
    data_dir
        The data folder (default: ``$ESTATE_DATA`` or ``../shared/london``).
    scenarios_dir
        Folder of scenario YAML files (default: ``$ESTATE_SCENARIOS``, else the repository's ``scenarios/``).
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
    area
        The study area: ``"london"`` (the default: the London pack), ``"newport"``, a
        :class:`~geodata.studyarea.StudyArea` (e.g. a police force area from
        :func:`~geodata.studyarea.study_area`).  Outside London the units, districts and
        candidate hosts come from the national pack (:func:`estate.areas.area_defaults`
        gives its register, scenarios, streets and GTFS).
    grouping
        How the figures are divided: ``"district"`` (the default: districts, London's
        boroughs) or ``"csp"`` (community safety partnerships, from the national pack's
        LAD 2024 - CSP 2024 lookup; units, sites and areas all report to their CSP).
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
        area: str | StudyArea | None = None,
        grouping: str | None = None,
        workers: int | None = None,
        scheduler: str | None = None,
        sparse_above: int = SPARSE_ABOVE_PAIRS,
        sparse_cutoff_min: float = SPARSE_CUTOFF_MIN,
        register_optional: bool = False,
    ) -> None:
        from geodata.cluster import check_scheduler_address, check_workers
        from geodata.studyarea import StudyArea, check_grouping, study_area

        #: Dask: local workers, or an existing scheduler (None, None: a local cluster on every core,
        #: used for the sparse layout's builds only; both: geodata.cluster.open_client refuses them)
        self.workers = check_workers(workers) if workers is not None else None
        self.scheduler = check_scheduler_address(scheduler) if scheduler is not None else None
        self.sparse_above = int(sparse_above)
        self.sparse_cutoff_min = float(sparse_cutoff_min)
        #: outside London with no register: the candidate hosts alone (``estate access --host``)
        self.register_optional = register_optional
        self._client_stack: Any = None
        self._client: Any = None

        env = config.environment()
        self.grouping = check_grouping(grouping)
        self.area = area if isinstance(area, StudyArea) else study_area(area)
        defaults = area_defaults(self.area)
        if self.area.is_london:
            self.data_dir = config.data_dir(data_dir)
        else:
            self.data_dir = config.national_dir(data_dir)
        # an area's own shipped scenario folder (Newport's) wins over $ESTATE_SCENARIOS; a police
        # force area with none reads $ESTATE_SCENARIOS (the scenarios over its own register)
        own = defaults.scenarios if defaults.scenarios is not None and defaults.scenarios.is_dir() else None
        self.scenarios_dir: Path = Path(scenarios_dir) if scenarios_dir else (
            own or env.scenarios or defaults.scenarios or SCENARIOS_DIR)
        self.register_csv = Path(register_csv) if register_csv else (env.register or defaults.register)
        if cache_dir is False:
            self.cache_dir: Path | None = None
        elif cache_dir is None or cache_dir is True:
            self.cache_dir = config.cache_dir()
        else:
            self.cache_dir = Path(cache_dir)
        self.overrides = (config.check_settings(settings) if isinstance(settings, dict)
                          else config.load_overrides(settings))
        self.street_network = street_network or env.streets or defaults.streets
        self.gtfs = gtfs or env.gtfs or defaults.gtfs
        self.gtfs_week = defaults.gtfs_week
        #: feeds merged with ``gtfs`` (the area's trains), unless a feed is given
        self.gtfs_extra: tuple[Path, ...] = () if (gtfs or env.gtfs) else defaults.gtfs_extra
        self._engines: dict[str, TravelEngine] = {}
        self._matrices: dict[tuple[str, str], Times] = {}
        self._matrix_lock = threading.Lock()
        self.matrix_reports: dict[tuple[str, str], dict[str, Any]] = {}
        self._results: OrderedDict[tuple[Any, ...], CoverageResult] = OrderedDict()

    # ---- copies with other engine settings (a settings sweep's draws) --------------
    #: per-build state: never shared by a copy, never pickled
    _TRANSIENT = ("_engines", "_matrices", "_matrix_lock", "matrix_reports", "_results", "_facts",
                  "_client", "_client_stack")

    def __getstate__(self) -> dict[str, Any]:
        """The loaded data, scenarios and settings, without matrices, engines or the lock (for Dask)."""
        return {k: v for k, v in self.__dict__.items() if k not in self._TRANSIENT}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._engines, self._matrices, self.matrix_reports = {}, {}, {}
        self._matrix_lock = threading.Lock()
        self._results = OrderedDict()
        self._client = self._client_stack = None  # a Dask client is this process's own

    def with_settings(self, settings: dict[str, dict[str, Any]], *, cache_dir: str | os.PathLike[str] | bool = False,
                      ) -> Planner:
        """A planner sharing this one's data, estate, scenarios and tables, with other engine settings.

        ``settings`` replaces the overrides whole (checked as :func:`estate.settings.check_settings`
        does); engines and matrices are built afresh, and by default not cached
        (``cache_dir=False``), so a sweep's many draws leave nothing on disk.
        """
        p = Planner.__new__(Planner)
        p.__setstate__(self.__getstate__())
        p.overrides = config.check_settings(settings)
        p.cache_dir = None if cache_dir is False else (self.cache_dir if cache_dir is True else Path(cache_dir))
        return p

    # ---- data -------------------------------------------------------------------
    @property
    def whole(self) -> tuple[str, str]:
        """The whole study area's (code, name) in results: ``("london", "London")`` or ``("total", label)``."""
        return ("london", "London") if self.area.is_london else ("total", self.area.label)

    @property
    def deprivation_note(self) -> str:
        """What the deprived group means outside London (England's IMD and Wales's WIMD, each within its nation)."""
        if self.area.is_london:
            return ""
        from geodata.studyarea import DEPRIVATION_NOTE

        return DEPRIVATION_NOTE

    def _river(self) -> RiverBarrier | None:
        """The Thames barrier from the boroughs (built on first use, then kept); none outside London."""
        if not self.area.is_london:
            return None
        if not hasattr(self, "_river_barrier"):
            from geodata.travel.barrier import barrier_from_areas

            a = self._districts
            self._river_barrier = barrier_from_areas(list(a["name"]), list(a.geometry))
        return self._river_barrier

    def _csp(self) -> dict[str, tuple[tuple[str, str], ...]]:
        from geodata.studyarea import csp_lookup

        return csp_lookup(self.data_dir if not self.area.is_london else config.national_dir())

    @cached_property
    def areas(self) -> gpd.GeoDataFrame:
        """The boroughs (33 in London), or the study area's districts; their CSPs with ``grouping="csp"``."""
        if self.grouping == "csp":
            from geodata.studyarea import regroup_areas

            return regroup_areas(self.district_areas, self._csp())
        return self.district_areas

    @property
    def _districts(self) -> gpd.GeoDataFrame:
        """The districts: :attr:`areas` itself unless grouped by CSP (so a planner given its areas uses them)."""
        return self.areas if self.grouping == "district" else self.district_areas

    @cached_property
    def district_areas(self) -> gpd.GeoDataFrame:
        """The boroughs (33 in London), or the study area's districts, whatever the grouping."""
        if not self.area.is_london:
            from geodata.studyarea import load_area_districts

            return load_area_districts(self.area, self.data_dir, [str(c) for c in self.district_units.area_codes])
        from geodata.areas import load_areas

        return load_areas(self.data_dir)

    @cached_property
    def units(self) -> Units:
        """Population units (LSOA 2021 centroids), reporting to their CSP with ``grouping="csp"``."""
        if self.grouping != "csp":
            return self.district_units
        from geodata.areas import Units
        from geodata.studyarea import regroup_frame

        return Units(regroup_frame(self.district_units.frame, self._csp(), where="the population units"))

    @cached_property
    def district_units(self) -> Units:
        """Population units (LSOA 2021 centroids), reporting to their district (borough)."""
        if not self.area.is_london:
            from geodata.studyarea import load_area_units

            return load_area_units(self.area, self.data_dir)
        from geodata.areas import load_units

        units = load_units(self.data_dir)
        known = set(self._districts["code"])
        bad = sorted(set(units.frame["area_code"]) - known)
        if bad:
            raise RegisterError(f"population units name borough code(s) {bad} not in the borough layer")
        return units

    @cached_property
    def unit_polygons(self) -> gpd.GeoDataFrame:
        """LSOA 2021 boundaries, for maps and catchments."""
        if not self.area.is_london:
            from geodata.studyarea import load_area_unit_polygons

            return load_area_unit_polygons(list(self.units.frame["unit_id"]), self.data_dir)
        from geodata.areas import load_unit_polygons

        return load_unit_polygons(self.data_dir)

    @cached_property
    def geocoder(self) -> Geocoder:
        """Offline postcode geocoder (outside London: Code-Point Open 2025, all of GB)."""
        if not self.area.is_london:
            from geodata.studyarea import national_geocoder

            return national_geocoder(self.data_dir)
        from geodata.postcodes import Geocoder

        return Geocoder.from_data_dir(self.data_dir)

    @cached_property
    def postcode_geocoder(self) -> Geocoder:
        """The newest postcode list at hand, for looking places up (the national Code-Point Open
        file beside the pack where present, else the pack's 2014 one); sites keep :attr:`geocoder`."""
        from geodata.postcodes import newest_geocoder

        return newest_geocoder(self.data_dir)

    @cached_property
    def estate(self) -> Estate:
        """Register plus candidate host places."""
        from estate.register import (
            build_estate,
            candidates_from_places,
            load_met_register,
            load_register_csv,
        )
        from geodata.places import load_host_places

        districts = self._districts  # registers name districts; CSPs are given after
        if self.register_csv is not None:
            reg = load_register_csv(self.register_csv, districts, self.geocoder)
        elif self.area.is_london:
            reg = load_met_register(self.data_dir, districts, self.geocoder)
        elif self.register_optional:
            import pandas as pd

            from estate.register import SITE_COLUMNS

            log.info("study area %s: no register given; the candidate hosts alone", self.area.label)
            reg = pd.DataFrame({c: pd.Series(dtype=object) for c in SITE_COLUMNS})
        else:
            raise RegisterError(
                f"study area {self.area.label}: there is no national list of front counters; give the "
                "force's own register with --register CSV (the app: ESTATE_REGISTER=CSV) with site_id, "
                "name, hours, and a postcode or easting/northing or lon/lat per row"
            )
        if self.area.is_london:
            places = load_host_places(self.data_dir, districts, geocoder=self.geocoder)
        else:
            from geodata.studyarea import load_area_places

            places = load_area_places(self.data_dir, districts)
        if self.grouping == "csp":
            from geodata.studyarea import regroup_frame

            reg = regroup_frame(reg, self._csp(), where=str(self.register_csv or "the register"))
            places = regroup_frame(places, self._csp(), where="the candidate host places")
        return build_estate(reg, candidates_from_places(places))

    @cached_property
    def scenario_folder(self) -> ScenarioFolder:
        """The scenario folder as read: good files, and broken ones with their errors."""
        return scan_scenarios(self.scenarios_dir)

    @cached_property
    def scenarios(self) -> dict[str, Scenario]:
        """The good scenario files by id (a broken one is named by :attr:`broken_scenarios`)."""
        return self.scenario_folder.good

    @property
    def broken_scenarios(self) -> dict[str, ScenarioError]:
        """Each scenario file that cannot be read, by its name, with its error."""
        return self.scenario_folder.broken

    def reload_scenarios(self) -> dict[str, Scenario]:
        """Re-read the scenario folder (after a save)."""
        self.__dict__.pop("scenarios", None)
        self.__dict__.pop("scenario_folder", None)
        self._states: dict[str, ScenarioState] = {}
        self._results.clear()
        return self.scenarios

    # ---- derived tables: what a warm answer needs, cached as arrays ---------------
    def _inputs(self) -> list[tuple[str, int, int]]:
        if not hasattr(self, "_input_stats"):
            grouped = "" if self.grouping == "district" else f":{self.grouping}"
            self._input_stats = [(f"area:{self.area.key}:{','.join(self.area.codes)}{grouped}", 0, 0),
                                 *input_stats([self.data_dir, self.register_csv, self.gtfs, *self.gtfs_extra,
                                               self.street_network])]
        return self._input_stats

    @cached_property
    def tables(self) -> Tables:
        """Residents, boroughs, site ids and hours, points' fingerprints (:class:`~estate.derived.Tables`).

        From the cache when its key (every input file's size and time) matches,
        so a warm answer loads neither the data pack nor pandas.
        """
        return load_or_build(self.cache_dir, "estate-tables", tables_key(self._inputs()), Tables,
                             lambda: Tables.build(self.units, self.estate))

    @property
    def site_index(self) -> SiteIndex:
        """Every site a scenario can name, as arrays (what resolving scenarios needs)."""
        return self.tables.sites

    def engine_facts(self, mode: str | Mode) -> EngineFacts:
        """The engine's name, settings, description and variants, without building its network.

        A live engine (built, or set by a test) answers for itself; otherwise the
        facts come from the cache, written the first time the engine was built.
        """
        m = parse_mode(mode)
        if m in self._engines:
            return EngineFacts.of(self._engines[m])
        if not hasattr(self, "_facts"):
            self._facts: dict[Mode, EngineFacts] = {}
        if m not in self._facts:
            key = facts_key(str(m), self._inputs(), self.overrides)
            self._facts[m] = load_or_build(self.cache_dir, f"estate-engine-{m}", key, EngineFacts,
                                           lambda: EngineFacts.of(self.engine(m)))
        return self._facts[m]

    # ---- engines and matrices -------------------------------------------------
    def engine(self, mode: str | Mode) -> TravelEngine:
        """The travel-time engine used for ``mode``."""
        mode = parse_mode(mode)
        if mode not in self._engines:
            from geodata.travel.crowfly import CrowflyEngine, CrowflySettings

            crow = config.override(CrowflySettings(), self.overrides.get("crowfly", {}), "crowfly")
            if mode is Mode.TRANSIT:
                from geodata.travel.transit import TransitEngine, TransitSettings

                ts = config.override(TransitSettings(), self.overrides.get("transit", {}), "transit")
                if self.gtfs:
                    feed = Path(self.gtfs)
                    if self.gtfs_extra:
                        import tempfile

                        from geodata.travel.gtfs_merge import merge_feeds

                        folder = self.cache_dir or Path(tempfile.mkdtemp(prefix="estate-gtfs-"))
                        feed = merge_feeds([feed, *self.gtfs_extra], folder)
                    self._engines[mode] = TransitEngine.from_gtfs(feed, settings=ts, week_of=self.gtfs_week)
                elif not self.area.is_london:
                    raise NoTimetableError(
                        f"public transport in {self.area.label} needs a GTFS feed (--gtfs FILE; the app: "
                        "ESTATE_GTFS=FILE): the national pack has a timetable for Newport alone (--area newport); "
                        "walking and driving work without one")
                else:
                    self._engines[mode] = TransitEngine(self.data_dir, settings=ts)
            else:
                # the Thames rule is London's alone (elsewhere no river barrier is known); given lazily
                river = self._river if self.area.is_london else None
                if self.street_network:
                    from geodata.travel.streets import StreetSettings, street_engine_or_crowfly

                    ss = config.override(StreetSettings.from_crowfly(crow), self.overrides.get("streets", {}),
                                         "streets")
                    self._engines[mode] = street_engine_or_crowfly(
                        mode, Path(self.street_network), self.units.points,
                        crowfly_settings=crow, street_settings=ss, cache_dir=self.cache_dir,
                        partial=True, weights=self.units.frame["population"].to_numpy(), barrier=river,
                    )
                else:
                    self._engines[mode] = CrowflyEngine(mode, crow, barrier=river)
        return self._engines[mode]

    def engine_coverage(self, mode: str | Mode) -> tuple[dict[str, Any], frozenset[str]] | None:
        """For a partial street network (``streets+crowfly``): its covered share and the units on it.

        None for every other engine (the whole study area on one engine).
        """
        if self.engine_facts(mode).name != "streets+crowfly":
            return None
        from geodata.travel.partial import PartialStreetEngine

        eng = self.engine(mode)
        if not isinstance(eng, PartialStreetEngine):
            return None
        return eng.coverage(), frozenset(eng.covered_ids)

    def _cached(self, facts: EngineFacts, variant: str) -> tuple[np.ndarray, dict[str, Any]] | None:
        """The matrix from the disk cache by the tables' fingerprints alone (no engine, no points), or None."""
        if self.cache_dir is None:
            return None
        t0 = time.perf_counter()
        t = self.tables
        key = matrix_key(facts.settings_key, variant, t.origins, t.destinations)
        path = matrix_path(self.cache_dir, facts.name, facts.mode, variant, key)
        if not path.exists():
            return None
        try:
            times = load_arrays(path, key, {"times": (t.shape, np.float32)})["times"]
        except CacheError as exc:
            log.warning("%s; rebuilding it", exc)
            return None
        return times, {"status": "hit", "seconds": time.perf_counter() - t0, "path": str(path)}

    @property
    def uses_dask(self) -> bool:
        """Were ``workers`` or ``scheduler`` given (then every matrix build runs on Dask)?"""
        return self.workers is not None or self.scheduler is not None

    def is_sparse(self) -> bool:
        """Is this problem stored sparse (units x sites above :attr:`sparse_above`)?"""
        rows, cols = self.tables.shape
        return rows * cols > self.sparse_above

    def matrix(self, mode: str | Mode, band: str | TimeBand, *, progress: ProgressFn | None = None) -> Times:
        """The units x sites matrix (seconds) for ``mode`` in ``band``: memory, disk cache, or built.

        Dense float32 (column-major) up to :attr:`sparse_above` pairs; above, a
        :class:`~geodata.travel.sparse.SparseTimes` of the pairs within
        :attr:`sparse_cutoff_min`, built in chunks of sites on Dask.
        """
        b, m = parse_band(band), parse_mode(mode)
        facts = self.engine_facts(m)
        variant = facts.variant(b)
        key = (str(m), variant)
        hit = self._matrices.get(key)
        if hit is not None:
            return hit
        with self._matrix_lock:  # one build at a time (the app builds in a background thread too)
            if key not in self._matrices:
                sparse = self.is_sparse()
                if sparse or self.uses_dask:
                    found: tuple[Times, dict[str, Any]] | None = None
                    if not sparse and facts.engine is None:
                        found = self._cached(facts, variant)
                    if found is None:
                        found = self._chunked(m, b, facts, variant, sparse=sparse, progress=progress)
                    times, report = found
                else:
                    found = self._cached(facts, variant) if facts.engine is None else None
                    if found is None:
                        found = cached_matrix(self.engine(m), self.units.points, self.estate.points(), b,
                                              cache_dir=self.cache_dir, progress=progress)
                    times, report = found
                # column-major: a scenario reads whole columns (its open sites), contiguous this way
                self._matrices[key] = times if isinstance(times, SparseTimes) else np.asfortranarray(times)
                self.matrix_reports[key] = report
                log.info("matrix %s/%s: %s in %.2f s", mode, key[1], report["status"], report["seconds"])
        return self._matrices[key]

    def cutoff_min(self, mode: str | Mode, band: str | TimeBand) -> float | None:
        """The cutoff of the matrix in use (minutes): the engine's, or the sparse layout's when lower."""
        m, b = parse_mode(mode), parse_band(band)
        key = self.engine_facts(m).settings_key
        cut = _cutoff_min(key)
        times = self._matrices.get((str(m), self.engine_facts(m).variant(b)))
        if isinstance(times, SparseTimes) and times.cutoff_s / 60.0 < _effective_cutoff_min(key):
            cut = times.cutoff_s / 60.0  # the sparse layout's cutoff is below the engine's own
        return cut

    def has_matrix(self, mode: str | Mode, band: str | TimeBand) -> bool:
        """Is the matrix of ``mode`` in ``band`` in memory already (no wait)?"""
        m = parse_mode(mode)
        return (str(m), self.engine_facts(m).variant(parse_band(band))) in self._matrices

    def build(self, modes: tuple[str, ...] = MODES, bands: tuple[str, ...] = ("day", "night", "weekend-night"),
              *, progress: ProgressFn | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        """Build (or load) every matrix for ``modes`` x ``bands``; return the reports."""
        for m in modes:
            for b in bands:
                self.matrix(m, b, progress=progress)
        return dict(self.matrix_reports)

    # ---- scenarios and coverage ----------------------------------------------
    def content_key(self, ref: str | Scenario) -> str:
        """A hash of everything that decides a scenario's coverage: its own changes and its base chain's.

        ``ref`` is a scenario id or a :class:`Scenario` value (saved or not); two
        scenarios with the same changes over the same bases share a key, whatever
        their ids and titles.
        """
        parts: list[str] = []
        sc: Scenario | None = ref if isinstance(ref, Scenario) else None
        sid = ref if isinstance(ref, str) else ref.base
        if sc is not None:
            parts.append(sc.fingerprint())
        seen: set[str] = set()
        while sid != REGISTER and sid not in seen:
            seen.add(sid)
            base = self.scenarios.get(sid)
            if base is None:  # unknown: resolving will say so; key it by its name
                parts.append(f"unknown:{sid}")
                break
            parts.append(base.fingerprint())
            sid = base.base
        parts.append(REGISTER)
        return hashlib.sha256("/".join(parts).encode()).hexdigest()[:24]

    def state(self, ref: str | Scenario) -> ScenarioState:
        """The estate as a scenario leaves it: ``ref`` is an id or a :class:`Scenario` value (saved or not)."""
        if not hasattr(self, "_states"):
            self._states = {}
        key = ref if isinstance(ref, str) else f"value:{self.content_key(ref)}:{ref.id}"
        if key not in self._states:
            if isinstance(ref, str):
                self._states[key] = resolve(ref, self.scenarios, self.site_index, broken=self.broken_scenarios)
            else:
                if len(self._states) > 4 * RESULTS_KEPT:  # an app session's many drafts: keep the files' states
                    self._states = {k: v for k, v in self._states.items() if not k.startswith("value:")}
                self._states[key] = resolve_value(ref, self.scenarios, self.site_index)
        return self._states[key]

    def coverage_of_state(self, state: ScenarioState, mode: str | Mode, band: str | TimeBand,
                          *, thresholds: tuple[int, ...] = THRESHOLDS) -> CoverageResult:
        """Coverage of any :class:`ScenarioState` (e.g. one being edited in the app)."""
        b, m = parse_band(band), parse_mode(mode)
        times = self.matrix(m, b)
        facts, t = self.engine_facts(m), self.tables
        return evaluate(
            times, state.open_columns(t.sites, b), state.open_24_7_columns(t.sites),
            weights=t.weights, unit_area=t.area_index, area_codes=t.area_codes,
            area_names=t.area_names, site_area=t.site_area, thresholds=thresholds,
            scenario=state.scenario_id, mode=m, band=b, engine=facts.name, engine_note=facts.describe,
            cutoff_min=self.cutoff_min(m, b), whole=self.whole,
            deprivation_note=self.deprivation_note,
        )

    def coverage(self, ref: str | Scenario, mode: str | Mode, band: str | TimeBand,
                 *, thresholds: tuple[int, ...] = THRESHOLDS) -> CoverageResult:
        """Coverage of a scenario (an id, or a :class:`Scenario` value) for one mode and band.

        Results are kept by the scenario's content (:meth:`content_key`), mode,
        band and thresholds, so asking again, from the CLI, the app or the
        evidence, costs a dictionary look-up; the last :data:`RESULTS_KEPT` are kept.
        """
        m, b = parse_mode(mode), parse_band(band)
        name = ref if isinstance(ref, str) else (ref.id or "draft")
        key = (self.content_key(ref), name, m, b, tuple(thresholds))
        hit = self._results.get(key)
        if hit is not None:
            self._results.move_to_end(key)
            return hit
        res = self.coverage_of_state(self.state(ref), m, b, thresholds=thresholds)
        self._results[key] = res
        while len(self._results) > RESULTS_KEPT:
            self._results.popitem(last=False)
        return res

    def compare(self, base: str | Scenario, scenario: str | Scenario, mode: str | Mode, band: str | TimeBand,
                *, thresholds: tuple[int, ...] = THRESHOLDS) -> Comparison:
        """A scenario's coverage beside its base's."""
        return Comparison(self.coverage(base, mode, band, thresholds=thresholds),
                          self.coverage(scenario, mode, band, thresholds=thresholds))

    def scenario_table(self) -> pd.DataFrame:
        """One row per scenario: id, title, base, counts of changes, open sites (the good ones; see
        :meth:`scenario_problems` for the others)."""
        import pandas as pd

        rows = []
        bad = self.scenario_problems()
        for sid, sc in sorted(self.scenarios.items()):
            if sid in bad:
                continue
            st = self.state(sid)
            rows.append({"id": sid, "title": sc.title, "base": sc.base, "close": len(st.closed),
                         "open": len(st.opened), "set_hours": len(st.rehoured), "open_sites": len(st.hours),
                         "open_24_7": sum(self.estate.hours(h).is_24_7 for h in st.hours.values())})
        return pd.DataFrame(rows, columns=["id", "title", "base", "close", "open", "set_hours", "open_sites",
                                           "open_24_7"])

    def scenario_problems(self) -> dict[str, str]:
        """Each scenario that cannot be used, by file name: its file is broken, or it (or a base) does not resolve."""
        out = {name: str(exc) for name, exc in self.broken_scenarios.items()}
        for sid in sorted(self.scenarios):
            try:
                self.state(sid)
            except (ScenarioError, KeyError) as exc:
                out[sid] = str(exc)
        return dict(sorted(out.items()))


REGISTER_ID = REGISTER
