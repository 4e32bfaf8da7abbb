"""The ``transit`` engine: public-transport travel times over a stop graph.

Built from the data pack's TfL files (bus route stop sequences, Tube/DLR/Elizabeth
line run times, London Overground links) or from a GTFS feed.  Waiting is modelled
from *headways* (a wait of half the interval between departures), not from a
timetable, so a time is the typical door-to-door journey at a random moment in the
band, not the journey of one particular departure.  Every assumption lives in
:class:`TransitSettings`; ``docs/transit.md`` explains and sources each one.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import (
    CRSError,
    DataError,
    GTFSColumnError,
    MissingDataError,
    TransitDataWarning,
)
from geodata.travel._tfl_files import (
    TFL_FILES,
    cif_timetable_kind,
    find_cif,
    find_tfl_dir,
    qsi_file,
)
from geodata.travel.base import Mode, Points, ProgressFn, TimeBand, parse_band
from geodata.travel.transit_settings import TransitSettings

# The readers and the graph code need pandas and scipy: they load when a graph is
# first built, so an engine made to look up a cached matrix imports neither.
if TYPE_CHECKING:  # pragma: no cover
    from geodata.travel._gtfs import GtfsFeed
    from geodata.travel._tfl import TflSource
    from geodata.travel._transit_graph import ServiceNetwork, StopGraph
    from geodata.travel.barrier import RiverBarrier

__all__ = [
    "GTFSColumnError",
    "Journey",
    "Leg",
    "TransitDataWarning",
    "TransitEngine",
    "TransitSettings",
]

log = logging.getLogger(__name__)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# ----------------------------------------------------------------------------------
# journeys
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """One step of a journey: ``walk``, ``wait``, ``ride`` or ``transfer``."""

    kind: str
    seconds: float
    #: plain description, e.g. "ride bus 38 from A to B (9 stops)"
    text: str
    line: str | None = None
    from_stop: str | None = None
    to_stop: str | None = None
    #: the line's mode (``bus``, ``tube``, ``rail``...) for waits and rides
    mode: str | None = None

    @property
    def operator(self) -> str | None:
        """Who runs the vehicle: the train operator for National Rail, else TfL."""
        if self.kind not in ("wait", "ride") or self.line is None:
            return None
        return self.line if self.mode == "rail" else "Transport for London"


@dataclass(frozen=True)
class Journey:
    """The engine's fastest journey between two points in a band."""

    band: str
    variant: str
    #: door-to-door seconds (``inf`` beyond the cutoff): what :meth:`TransitEngine.matrix` gives
    seconds: float
    #: walking the whole way, seconds (the cap)
    walk_seconds: float
    legs: tuple[Leg, ...]

    @property
    def minutes(self) -> float:
        """Door-to-door minutes."""
        return self.seconds / 60.0

    @property
    def walks_all_the_way(self) -> bool:
        """True when walking is at least as fast as any public transport."""
        return len(self.legs) == 1 and self.legs[0].kind == "walk"

    def describe(self) -> str:
        """A few lines: the total, then one line per leg with its minutes."""
        head = (
            f"{self.minutes:.1f} min ({self.band}, {self.variant} network); "
            f"walking all the way {self.walk_seconds / 60:.1f} min"
        )
        return "\n".join([head, *(f"  {lg.seconds / 60:5.1f} min  {lg.text}" for lg in self.legs)])


# ----------------------------------------------------------------------------------
# the engine
# ----------------------------------------------------------------------------------


def _file_identity(path: Path) -> list[Any]:
    st = path.stat()
    return [str(path.resolve()), st.st_size, int(st.st_mtime)]


class TransitEngine:
    """Public-transport travel times from a stop graph, for the ``transit`` mode.

    Parameters
    ----------
    data_dir
        The data pack (or its ``network/public_transport`` folder) holding the TfL
        files; not needed when ``gtfs`` is given.
    settings
        Assumptions; :class:`TransitSettings` defaults when omitted.
    gtfs
        A GTFS feed (zip or folder) to use *instead of* the TfL files.
    gtfs_date
        With ``gtfs``: the service date whose timetable to use (``YYYY-MM-DD``); by
        default, for each band, the date of the band's weekday with most trips.
    workers
        Processes for the matrix (forked; results are identical with 1).  Default:
        up to 2, the CPU count.
    cif
        A CIF timetable (RDG's zip, or a folder) for National Rail; default the
        pack's ``network/rail/*.zip`` when there is one.  ``False``: no National Rail.
    barrier
        The river walks must cross by a crossing; default the Thames derived from
        the pack's boroughs (``settings.thames_barrier``).

    Notes
    -----
    The input files are read on first use (or by :meth:`validate`), so building the
    engine to look up a cached matrix costs nothing.

    Examples
    --------
    >>> eng = TransitEngine("../shared/london")  # doctest: +SKIP
    >>> eng.variant(parse_band("Sat 03:00"))      # doctest: +SKIP
    'night-tube'
    """

    name = "transit"
    mode = Mode.TRANSIT

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        settings: TransitSettings | None = None,
        gtfs: Path | str | None = None,
        gtfs_date: str | None = None,
        gtfs_week: str | None = None,
        workers: int | None = None,
        cif: Path | str | bool | None = None,
        barrier: RiverBarrier | None = None,
    ) -> None:
        self.settings = settings or TransitSettings()
        self._barrier = barrier
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._cif_path: Path | None = None
        self._rail_kind: str | None = None
        self.workers = workers if workers is not None else max(1, min(2, os.cpu_count() or 1))
        self._graphs: dict[str, StopGraph] = {}
        self._lock = threading.Lock()
        self._tfl: TflSource | None = None
        self._feed: GtfsFeed | None = None
        self._gtfs_date = gtfs_date
        self._gtfs_week = gtfs_week
        self._gtfs: Path | None = None
        if gtfs is not None:
            self._gtfs = Path(gtfs)
            if not self._gtfs.exists():
                raise MissingDataError(f"GTFS feed {self._gtfs} does not exist")
            self._files = sorted(self._gtfs.glob("*.txt")) if self._gtfs.is_dir() else [self._gtfs]
        elif data_dir is not None:
            self._folder = find_tfl_dir(Path(data_dir))
            self._files = [self._folder / f for f in TFL_FILES]
            qsi = qsi_file(self._folder) if self.settings.use_qsi else None
            if qsi is not None:
                self._files.append(qsi)
            if cif is None:
                self._cif_path = find_cif(Path(data_dir)) if self.settings.rail else None
            elif cif is not False and cif is not True:
                self._cif_path = Path(cif)
                if not self._cif_path.exists():
                    raise MissingDataError(f"CIF timetable {self._cif_path} does not exist")
            if self._cif_path is not None:
                self._files.append(self._cif_path)
        else:
            raise MissingDataError("TransitEngine needs data_dir (the TfL files) or gtfs= a feed")

    @classmethod
    def from_gtfs(
        cls,
        feed: Path | str,
        *,
        settings: TransitSettings | None = None,
        date: str | None = None,
        week_of: str | None = None,
        workers: int | None = None,
    ) -> TransitEngine:
        """An engine over a GTFS feed (zip or folder) instead of the TfL files.

        ``date`` fixes one service date for every band; ``week_of`` takes each
        band's weekday in that date's week (see :class:`~geodata.travel._gtfs.GtfsFeed`).
        """
        return cls(None, settings=settings, gtfs=feed, gtfs_date=date, gtfs_week=week_of, workers=workers)

    @property
    def source(self) -> str:
        """``'gtfs'`` or ``'tfl'``."""
        return "gtfs" if self._gtfs is not None else "tfl"

    def validate(self) -> TransitEngine:
        """Read and check the input files now (otherwise done on first use); returns self.

        Raises
        ------
        GTFSError, DataError, MissingColumnError
            When a file is malformed; the message names the file, row or column.
        """
        with self._lock:
            self._load()
        return self

    def _load(self) -> None:
        if self._gtfs is not None:
            if self._feed is None:
                from geodata.travel._gtfs import GtfsFeed

                self._feed = GtfsFeed(self._gtfs, date=self._gtfs_date, week_of=self._gtfs_week)
        elif self._tfl is None:
            from geodata.travel._tfl import TflSource

            self._tfl = TflSource(self._folder, self.settings, cif_path=self._cif_path)
        if self._barrier is None and self.settings.thames_barrier and self._data_dir is not None:
            self._barrier = _pack_barrier(self._data_dir)

    @property
    def barrier(self) -> RiverBarrier | None:
        """The river walks cross by a crossing (None: straight lines everywhere)."""
        if self._barrier is None and self.settings.thames_barrier and self._data_dir is not None:
            self._barrier = _pack_barrier(self._data_dir)
        return self._barrier

    def rail_kind(self) -> str | None:
        """``dated``, ``pooled`` (a sample) or None (no National Rail)."""
        if self._cif_path is None or not self.settings.rail:
            return None
        if self._rail_kind is None:
            s = self.settings
            self._rail_kind = cif_timetable_kind(
                self._cif_path, s.rail_timetable, s.rail_sample_max_schedules
            )
        return self._rail_kind

    # protocol --------------------------------------------------------------------
    def variant(self, band: TimeBand | str) -> str:
        """``day``, ``night`` (night buses only) or ``night-tube`` (Fri/Sat nights).

        With a GTFS feed the timetable itself differs by weekday and hour, so the
        variant names the band's weekday and time (``gtfs-wed-1200``).
        """
        band = parse_band(band)
        if self._gtfs is not None:
            return f"gtfs-{_DAYS[band.weekday]}-{band.minute // 60:02d}{band.minute % 60:02d}"
        base = self._base_variant(band)
        if self.settings.rail_timetable != "pooled" and self.rail_kind() == "dated":
            # a dated timetable differs by weekday and hour
            return f"{base}-{_DAYS[band.weekday]}-{band.minute // 60:02d}{band.minute % 60:02d}"
        return base

    def _base_variant(self, band: TimeBand) -> str:
        if not band.is_night:
            return "day"
        return "night-tube" if band.night_of in self.settings.night_tube_nights else "night"

    def settings_key(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "mode": self.mode,
            "source": self.source,
            "gtfs_date": self._gtfs_date,
            **({"gtfs_week": self._gtfs_week} if self._gtfs_week else {}),
            "cif": str(self._cif_path) if self._cif_path is not None else None,
            "rail_service_date": self.settings.rail_service_date,
            "barrier": "thames" if self.settings.thames_barrier else None,
            "files": [_file_identity(p) for p in self._files],
            **asdict(self.settings),
        }

    def describe(self) -> str:
        s = self.settings
        if self._gtfs is not None:
            return (
                f"public transport times use the GTFS feed {self._gtfs.name}"
                + (f" (the band's weekday in the week of {self._gtfs_week})" if self._gtfs_week else "")
                + " with waits of "
                f"half the headway counted in the {s.gtfs_window_min:g} min around the band's "
                f"time (not the exact timetable), {self._planned_note()}a {s.board_penalty_min:g} min boarding "
                f"allowance ({s.rail_board_penalty_min:g} min for rail), and walks of up to "
                f"{s.max_access_m:g} m straight-line x {s.walk_detour:g} at {s.walk_kmh:g} km/h "
                "to, from and between stops, capped at walking the whole way"
            )
        kind = self.rail_kind()
        if kind is None:
            rail = "no National Rail"
        else:
            from geodata.travel._rail import describe_rail

            rail = (
                describe_rail(kind, s.rail_settings(), s.rail_service_date)
                + " (Contains Rail Delivery Group timetable data)"
            )
        qsi = self._tfl is not None and self._tfl.bus is not None
        buses = (
            "bus waits of half each route's scheduled headway from TfL's QSI results "
            f"(timetabled routes {s.bus_low_frequency_headway_min:g} min, N routes without a "
            f"figure {s.bus_night_headway_min:g}, the 24-hour day routes "
            f"{s.bus_24h_night_headway_min:g} at night)"
            if qsi or (self._tfl is None and s.use_qsi)
            else f"bus waits of half an assumed {s.bus_day_headway_min:g}-min headway "
            f"({s.bus_night_headway_min:g} at night)"
        )
        return (
            "public transport times use a stop graph of TfL's 2019 bus route stop sequences, "
            "Tube/DLR/Elizabeth line run times and Overground links at "
            f"{s.overground_kmh:g} km/h, {rail}; buses at an assumed {s.bus_day_kmh:g} km/h "
            f"({s.bus_night_kmh:g} at night), {buses}, Tube {s.tube_day_headway_min:g} min; "
            f"{self._planned_note()}"
            f"plus a {s.board_penalty_min:g} min boarding allowance "
            f"({s.rail_board_penalty_min:g} for rail); walks at {s.walk_kmh:g} km/h over "
            f"straight-line x {s.walk_detour:g} to every stop within {s.max_access_m:g} m and, "
            f"beyond, to the {s.access_nearest} nearest as far as it takes"
            + (", by a Thames crossing where the walk crosses the river" if s.thames_barrier else "")
            + "; at night the N routes run with the day routes that run 24 hours, plus the "
            "Night Tube on "
            f"Friday and Saturday nights; no time exceeds walking the whole way; beyond "
            f"{s.cutoff_min:g} min a site counts as unreachable"
        )

    def _planned_note(self) -> str:
        p = self.settings.planned_wait
        if p is None:
            return ""
        return (f"waits for services less frequent than every {p[0]:g} min of {p[1]:g} min + "
                f"{p[2]:g} x the headway, not half (passengers time their arrival by the timetable; "
                "Fan and Machemehl's fit to observed waits), ")

    # graphs ------------------------------------------------------------------------
    def network(self, band: TimeBand | str) -> ServiceNetwork:
        """The stops, lines and ride links that run in ``band``."""
        return self.graph(band).net

    def graph(self, band: TimeBand | str) -> StopGraph:
        """The stop graph of ``band``'s variant (built once, then reused)."""
        band = parse_band(band)
        key = self.variant(band)
        with self._lock:
            if key not in self._graphs:
                s = self.settings
                self._load()
                if self._feed is not None:
                    net = self._feed.network(
                        band,
                        window_min=s.gtfs_window_min,
                        board_s=s.board_penalty_min * 60.0,
                        rail_board_s=s.rail_board_penalty_min * 60.0,
                    )
                else:
                    assert self._tfl is not None
                    net = self._tfl.network(self._base_variant(band), band)
                from geodata.travel._transit_graph import build_graph

                g = build_graph(
                    net,
                    walk_mps=s.walk_mps,
                    transfer_m=s.transfer_m,
                    pair_metres=self._pair_metres(band),
                    planned_wait=s.planned_wait,
                )
                log.info(
                    "transit %s graph: %s; %d nodes, %d edges",
                    key,
                    net.summary(),
                    g.n_nodes,
                    g.n_edges,
                )
                self._graphs[key] = g
            return self._graphs[key]

    # results -------------------------------------------------------------------------
    def _pair_metres(self, band: TimeBand) -> Any:
        b = self.barrier
        return b.pair_metres("walk", band.minute) if b is not None else None

    def walk_seconds(
        self, origins_xy: np.ndarray, dests_xy: np.ndarray, band: TimeBand | str | None = None
    ) -> np.ndarray:
        """Walking the whole way, seconds: straight line (across the Thames by a crossing
        open in ``band``) x the walking detour factor for that distance (as the crowfly
        engine's, ``walk_detour_km``) at walking speed."""
        from geodata.travel.crowfly import detour_factor

        s = self.settings
        o = np.asarray(origins_xy, dtype=np.float64).reshape(-1, 2)
        d = np.asarray(dests_xy, dtype=np.float64).reshape(-1, 2)
        b = self.barrier
        speed = s.walk_kmh / 3.6
        if b is not None:
            minute = parse_band(band).minute if band is not None else 12 * 60
            out = b.matrix_metres(o, d, "walk", minute)
        else:
            out = np.empty((len(o), len(d)), dtype=np.float32)
            for start in range(0, len(o), 1024):
                blk = o[start : start + 1024]
                out[start : start + len(blk)] = np.hypot(
                    blk[:, None, 0] - d[None, :, 0], blk[:, None, 1] - d[None, :, 1]
                )
        for start in range(0, len(out), 1024):
            blk = out[start : start + 1024]
            blk *= (detour_factor(blk, s.walk_detour_km, s.walk_detour) / speed).astype(np.float32)
        return out

    def matrix(
        self,
        origins: Points,
        destinations: Points,
        band: TimeBand | str,
        *,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """Door-to-door seconds, ``(len(origins), len(destinations))`` float32.

        The fastest of public transport (walk, wait, ride, transfer, walk) and walking
        the whole way; ``inf`` beyond the cutoff.
        """
        band = parse_band(band)
        _check_points(origins, "origins")
        _check_points(destinations, "destinations")
        s = self.settings
        graph = self.graph(band)
        cutoff = s.cutoff_min * 60.0
        from geodata.travel._transit_graph import travel_matrix

        t = travel_matrix(
            graph,
            origins.xy,
            destinations.xy,
            access_m=s.max_access_m,
            walk_mps=s.walk_mps,
            cutoff_s=cutoff,
            access_nearest=s.access_nearest,
            pair_metres=self._pair_metres(band),
            workers=self.workers,
            progress=progress,
        )
        np.minimum(t, self.walk_seconds(origins.xy, destinations.xy, band), out=t)
        t[t > cutoff] = np.inf
        return t

    def route(
        self,
        origin_xy: tuple[float, float],
        dest_xy: tuple[float, float],
        band: TimeBand | str,
    ) -> Journey:
        """The fastest journey between two EPSG:27700 points in ``band``, leg by leg.

        Its ``seconds`` equals the corresponding :meth:`matrix` cell (to float32 rounding).
        """
        band = parse_band(band)
        s = self.settings
        graph = self.graph(band)
        cutoff = s.cutoff_min * 60.0
        o = (float(origin_xy[0]), float(origin_xy[1]))
        d = (float(dest_xy[0]), float(dest_xy[1]))
        _check_xy(np.array([o, d]), "route points")
        walk = float(self.walk_seconds(np.array([o]), np.array([d]), band)[0, 0])
        from geodata.travel._transit_graph import shortest_path

        raw = shortest_path(
            graph,
            o,
            d,
            access_m=s.max_access_m,
            walk_mps=s.walk_mps,
            cutoff_s=cutoff,
            access_nearest=s.access_nearest,
            pair_metres=self._pair_metres(band),
        )
        net = graph.net
        total = sum(lg.seconds for lg in raw) if raw else np.inf
        # rounded to float32 like matrix(), so the two agree to float32 rounding
        total32 = float(np.float32(total)) if raw else np.inf
        walk32 = float(np.float32(walk))
        if raw is None or walk32 <= total32:
            secs = walk32 if walk32 <= cutoff else np.inf
            legs: tuple[Leg, ...] = (
                Leg(
                    "walk",
                    walk,
                    f"walk all the way ({walk * s.walk_kmh / 3.6:.0f} m walked)",
                ),
            )
            return Journey(band.label, self.variant(band), secs, walk, legs)

        def stop(i: int, end: str) -> str:
            return end if i < 0 else str(net.stop_names[i])

        out: list[Leg] = []
        for lg in raw:
            line = str(net.line_names[lg.line]) if lg.line >= 0 else None
            if lg.kind == "walk":
                a, b = stop(lg.from_stop, "origin"), stop(lg.to_stop, "destination")
                txt = f"walk from {a} to {b}"
            elif lg.kind == "wait":
                hw = lg.headway_s / 60.0
                half = s.planned_wait is None or hw <= s.planned_wait[0]
                how = f"half the {hw:.3g}-min headway" if half else f"planned by the timetable, every {hw:.3g} min"
                txt = (
                    f"wait for {line} at {stop(lg.from_stop, '')} ({how} "
                    f"+ {net.line_board_s[lg.line] / 60:g} min boarding)"
                )
            elif lg.kind == "ride":
                txt = (
                    f"ride {line} from {stop(lg.from_stop, '')} to {stop(lg.to_stop, '')} "
                    f"({lg.n_stops} stop{'s' if lg.n_stops != 1 else ''})"
                )
            else:
                txt = f"walk to change from {stop(lg.from_stop, '')} to {stop(lg.to_stop, '')}"
            out.append(
                Leg(
                    lg.kind,
                    lg.seconds,
                    txt,
                    line,
                    stop(lg.from_stop, "origin"),
                    stop(lg.to_stop, "destination"),
                    str(net.line_modes[lg.line]) if lg.line >= 0 else None,
                )
            )
        secs = total32 if total32 <= cutoff else np.inf
        return Journey(band.label, self.variant(band), secs, walk, tuple(out))


def _check_xy(xy: np.ndarray, what: str) -> None:
    if not np.isfinite(xy).all():
        raise DataError(f"{what}: coordinates must be finite EPSG:27700 metres")
    if len(xy) and (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all():
        raise CRSError(
            f"{what}: coordinates look like longitude/latitude degrees; "
            "the transit engine needs EPSG:27700 metres (reproject first)"
        )


def _check_points(p: Points, what: str) -> None:
    bad = ~(np.isfinite(p.x) & np.isfinite(p.y))
    if bad.any():
        raise DataError(
            f"{what}: {int(bad.sum())} point(s) without coordinates, e.g. id {p.ids[bad][0]!r}"
        )
    _check_xy(p.xy, what)


_BARRIERS: dict[str, RiverBarrier | None] = {}


def _pack_barrier(data_dir: Path) -> RiverBarrier | None:
    """The Thames barrier from the pack's boroughs (cached per folder); None without them."""
    key = str(data_dir.resolve())
    if key not in _BARRIERS:
        from geodata.areas import load_areas
        from geodata.travel.barrier import barrier_from_areas

        try:
            areas = load_areas(data_dir)
        except (MissingDataError, DataError) as exc:
            log.warning("no borough layer under %s (%s): walks cross the Thames straight", data_dir, exc)
            _BARRIERS[key] = None
        else:
            _BARRIERS[key] = barrier_from_areas(list(areas["name"]), list(areas.geometry))
    return _BARRIERS[key]
