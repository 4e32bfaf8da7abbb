"""The ``crowfly`` engine: straight-line distance x detour factor at mode speed.

Always available.  The detour factor (how much longer a real route is than the
straight line) was calibrated on the pack's central-London OpenStreetMap
extract; see the README, "Travel-time engines".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import UnknownModeError
from geodata.travel.base import Mode, Points, ProgressFn, TimeBand

if TYPE_CHECKING:  # pragma: no cover
    from geodata.travel.barrier import RiverBarrier
    from geodata.travel.sparse import SparseTimes

__all__ = ["DRIVE_DETOUR_KM", "WALK_DETOUR_KM", "CrowflyEngine", "CrowflySettings", "detour_factor"]

#: Walking detour factor by straight-line distance (km, factor), interpolated linearly
#: and flat beyond the ends.  0.6 km: 1.37, the median of the 4,492 pairs 0.5-0.7 km on
#: the pack's OSM extract whose every route leaving the extract would be at least 1.6x
#: the straight line (so free of the clipped-box bias; benchmarks/calibrate_detour.py).
#: 1.25 and 2 km: the extract's in-box medians of 1.0-1.5 km (1.31) and 1.5-3 km (1.29)
#: pairs, which can only be too high (routes leaving the box are not seen): upper bounds.
#: 4 km and beyond: 1.2, the published urban figure: network distance between random
#: points in a city is about 1.2 x the straight line (G. F. Newell, *Traffic Flow on
#: Transportation Networks*, MIT Press 1980; 1.21-1.23 for walks to stations in
#: O'Sullivan & Morrall 1996, Transportation Research Record 1538)
WALK_DETOUR_KM: tuple[tuple[float, float], ...] = ((0.6, 1.37), (1.25, 1.31), (2.0, 1.29), (4.0, 1.2))
#: Driving detour factor by straight-line distance.  0.6 km: 1.6, a lower bound (the
#: bias-free pairs' median is above 1.6: 59% of them are censored there; a dense one-way
#: grid).  1.25 and 2 km: the in-box medians 1.42 and 1.38 (upper bounds, as for
#: walking).  4 km and beyond: Newell's 1.2, in line with an independent check on a
#: larger London OSM drive network (about 10% below the old flat 1.45, lower for longer
#: trips)
DRIVE_DETOUR_KM: tuple[tuple[float, float], ...] = ((0.6, 1.6), (1.25, 1.42), (2.0, 1.38), (4.0, 1.2))


def detour_factor(metres: np.ndarray, knots: tuple[tuple[float, float], ...], flat: float) -> np.ndarray:
    """The detour factor for straight-line ``metres``: ``knots`` interpolated, or ``flat``.

    Examples
    --------
    >>> detour_factor(np.array([300.0, 1600.0, 9000.0]), ((0.6, 1.4), (2.0, 1.3), (4.0, 1.2)), 1.5)
    array([1.4  , 1.3286, 1.2  ])
    """
    m = np.asarray(metres, dtype=np.float64)
    if not knots:
        return np.full(m.shape, flat)
    xs = np.array([k[0] for k in knots]) * 1000.0
    ys = np.array([k[1] for k in knots])
    return np.round(np.interp(m, xs, ys), 4)


@dataclass(frozen=True)
class CrowflySettings:
    """Speeds and detour factors of the straight-line engine."""

    #: walking speed, km/h (the usual planning figure; TfL's PTAL method uses 4.8 km/h)
    walk_kmh: float = 4.8
    #: mean driving speed, km/h, door to door: about 15 mph, DfT's average speed
    #: on London's local 'A' roads on weekdays (statistics table CGN0501)
    drive_kmh: float = 24.0
    #: driving speed at night, km/h (emptier roads)
    drive_night_kmh: float = 32.0
    #: network distance / straight-line distance on foot: the median over 167,246 point
    #: pairs 0.5-2.3 km apart on the pack's central-London OSM extract was 1.319
    #: (IQR 1.257-1.375); see benchmarks/calibrate_detour.py and docs/streets.md
    walk_detour: float = 1.32
    #: network distance / straight-line distance by road: median 1.455 over 115,596
    #: pairs on the same extract (a dense one-way grid; outer London is likely lower);
    #: used only where ``drive_detour_km`` is empty
    drive_detour: float = 1.45
    #: the factors by distance (km, factor); empty = the flat figures above
    walk_detour_km: tuple[tuple[float, float], ...] = WALK_DETOUR_KM
    drive_detour_km: tuple[tuple[float, float], ...] = DRIVE_DETOUR_KM
    #: trips that cross the Thames go by a crossing (geodata.travel.barrier)
    thames_barrier: bool = True
    #: times beyond this many minutes are ``inf`` (a day: nothing in London is that far)
    cutoff_min: float = 1440.0


class CrowflyEngine:
    """Straight line x detour factor at mode speed, for ``walk`` or ``drive``.

    Examples
    --------
    >>> from geodata.travel.base import BANDS
    >>> e = CrowflyEngine(Mode.WALK, CrowflySettings(walk_kmh=6.0, walk_detour=1.0, walk_detour_km=()))
    >>> o = Points(["a"], [0.0], [0.0]); d = Points(["s"], [300.0], [400.0])
    >>> float(e.matrix(o, d, BANDS["day"])[0, 0])  # 500 m at 100 m/min
    300.0
    """

    name = "crowfly"

    def __init__(
        self,
        mode: Mode,
        settings: CrowflySettings | None = None,
        *,
        barrier: RiverBarrier | Callable[[], RiverBarrier | None] | None = None,
    ) -> None:
        if mode not in (Mode.WALK, Mode.DRIVE):
            raise UnknownModeError(f"the crowfly engine serves walk and drive, not {str(mode)!r}")
        self.mode = Mode(mode)
        self.settings = settings or CrowflySettings()
        # the river trips cross by a crossing, or a function giving it on first use
        self._barrier_src = barrier if self.settings.thames_barrier else None

    @property
    def barrier(self) -> RiverBarrier | None:
        """The river trips cross by a crossing (None: straight lines everywhere)."""
        src = self._barrier_src
        if callable(src):
            src = self._barrier_src = src()
        return src

    def __getstate__(self) -> dict[str, Any]:
        """For pickling to Dask workers: the river barrier resolved (not a callable of its owner)."""
        _ = self.barrier
        return dict(self.__dict__)

    def speed_ms(self, band: TimeBand) -> float:
        """Speed in metres per second in ``band``."""
        s = self.settings
        if self.mode is Mode.WALK:
            kmh = s.walk_kmh
        else:
            kmh = s.drive_night_kmh if band.is_night else s.drive_kmh
        return kmh / 3.6

    def detour(self) -> float:
        """The flat detour factor of this mode (used where there are no factors by distance)."""
        return self.settings.walk_detour if self.mode is Mode.WALK else self.settings.drive_detour

    def detour_at(self, metres: np.ndarray) -> np.ndarray:
        """The detour factor of this mode for straight-line ``metres``."""
        s = self.settings
        knots = s.walk_detour_km if self.mode is Mode.WALK else s.drive_detour_km
        return detour_factor(metres, knots, self.detour())

    def variant(self, band: TimeBand) -> str:
        if self.mode is Mode.DRIVE:
            return "night" if band.is_night else "day"
        return "all"

    def settings_key(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "mode": self.mode,
            "barrier": "thames" if self._barrier_src is not None else None,
            **asdict(self.settings),
        }

    def describe(self) -> str:
        s = self.settings
        knots = s.walk_detour_km if self.mode is Mode.WALK else s.drive_detour_km
        factor = (
            "a detour factor by distance ("
            + ", ".join(f"{f:g} at {k:g} km" for k, f in knots)
            + ", interpolated)"
            if knots
            else f"{self.detour():g}"
        )
        river = (
            "; across the Thames by the nearest crossing open at the time"
            if self._barrier_src is not None
            else ""
        )
        if self.mode is Mode.WALK:
            return (
                f"walking times are straight-line distance x {factor} "
                f"at {s.walk_kmh:g} km/h{river} (no street network loaded)"
            )
        return (
            f"driving times are straight-line distance x {factor} at "
            f"{s.drive_kmh:g} km/h by day and {s.drive_night_kmh:g} km/h at night{river} "
            "(no street network loaded; no parking time)"
        )

    def matrix(
        self,
        origins: Points,
        destinations: Points,
        band: TimeBand,
        *,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        speed = self.speed_ms(band)
        out = np.empty((len(origins), len(destinations)), dtype=np.float32)
        step = 1024
        mode = "walk" if self.mode is Mode.WALK else "drive"
        barrier = self.barrier
        for start in range(0, len(origins), step):
            stop = min(start + step, len(origins))
            if barrier is not None:
                d = barrier.matrix_metres(
                    origins.xy[start:stop], destinations.xy, mode, band.minute
                ).astype(np.float64)
            else:
                dx = origins.x[start:stop, None] - destinations.x[None, :]
                dy = origins.y[start:stop, None] - destinations.y[None, :]
                d = np.hypot(dx, dy)
            out[start:stop] = d * self.detour_at(d) / speed
            if progress:
                progress(stop, len(origins))
        out[out > self.settings.cutoff_min * 60.0] = np.inf
        return out

    def sparse_matrix(
        self,
        origins: Points,
        destinations: Points,
        band: TimeBand,
        *,
        cutoff_s: float | None = None,
        progress: ProgressFn | None = None,
    ) -> SparseTimes:
        """The pairs within ``cutoff_s`` (default: the engine's cutoff) as :class:`SparseTimes`, on demand.

        A KD-tree of the origins finds, per destination, the origins within the
        straight-line radius the cutoff allows at the smallest detour factor; their
        times are then computed exactly as :meth:`matrix` computes them (so each
        stored pair equals the dense matrix's).  With the river barrier (London)
        the dense rule runs instead, column block by column block.
        """
        from scipy.spatial import cKDTree

        from geodata.travel.sparse import SparseTimes

        cut = self.settings.cutoff_min * 60.0
        cut = min(cut, float(cutoff_s)) if cutoff_s is not None else cut
        shape = (len(origins), len(destinations))
        if self.barrier is not None or len(origins) == 0 or len(destinations) == 0:
            parts = []
            step = 256
            for lo in range(0, max(shape[1], 1), step):
                sub = Points(destinations.ids[lo:lo + step], destinations.x[lo:lo + step], destinations.y[lo:lo + step])
                parts.append(SparseTimes.from_dense(self.matrix(origins, sub, band), cut))
                if progress:
                    progress(min(lo + step, shape[1]), shape[1])
            return SparseTimes.hstack(parts) if shape[1] else SparseTimes.from_dense(np.zeros(shape, np.float32), cut)
        speed = self.speed_ms(band)
        s = self.settings
        knots = s.walk_detour_km if self.mode is Mode.WALK else s.drive_detour_km
        low = min([k[1] for k in knots]) if knots else self.detour()
        radius = cut * speed / max(low, 1e-9) * (1 + 1e-6) + 1.0
        tree = cKDTree(origins.xy)
        step = 512
        units_l, sites_l, secs_l = [], [], []
        for lo in range(0, shape[1], step):
            hi = min(lo + step, shape[1])
            other = cKDTree(destinations.xy[lo:hi])
            pairs = tree.sparse_distance_matrix(other, radius, output_type="ndarray")
            u = pairs["i"].astype(np.int64)
            j = pairs["j"].astype(np.int64) + lo
            # the same arithmetic as the dense matrix, pair by pair (not the tree's distances)
            d = np.hypot(origins.x[u] - destinations.x[j], origins.y[u] - destinations.y[j])
            t = (d * self.detour_at(d) / speed).astype(np.float32)
            keep = t <= cut
            units_l.append(u[keep])
            sites_l.append(j[keep])
            secs_l.append(t[keep])
            if progress:
                progress(hi, shape[1])
        cat = np.concatenate
        return SparseTimes.from_pairs(shape, cat(units_l) if units_l else np.zeros(0, np.int64),
                                      cat(sites_l) if sites_l else np.zeros(0, np.int64),
                                      cat(secs_l) if secs_l else np.zeros(0, np.float32), cut)
