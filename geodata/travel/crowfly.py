"""The ``crowfly`` engine: straight-line distance x detour factor at mode speed.

Always available.  The detour factor (how much longer a real route is than the
straight line) was calibrated on the pack's central-London OpenStreetMap
extract; see the README, "Travel-time engines".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from geodata.errors import UnknownModeError
from geodata.travel.base import Mode, Points, ProgressFn, TimeBand

__all__ = ["CrowflyEngine", "CrowflySettings"]


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
    #: pairs on the same extract (a dense one-way grid; outer London is likely lower)
    drive_detour: float = 1.45
    #: times beyond this many minutes are ``inf`` (a day: nothing in London is that far)
    cutoff_min: float = 1440.0


class CrowflyEngine:
    """Straight line x detour factor at mode speed, for ``walk`` or ``drive``.

    Examples
    --------
    >>> from geodata.travel.base import BANDS
    >>> e = CrowflyEngine(Mode.WALK, CrowflySettings(walk_kmh=6.0, walk_detour=1.0))
    >>> o = Points(["a"], [0.0], [0.0]); d = Points(["s"], [300.0], [400.0])
    >>> float(e.matrix(o, d, BANDS["day"])[0, 0])  # 500 m at 100 m/min
    300.0
    """

    name = "crowfly"

    def __init__(self, mode: Mode, settings: CrowflySettings | None = None) -> None:
        if mode not in (Mode.WALK, Mode.DRIVE):
            raise UnknownModeError(f"the crowfly engine serves walk and drive, not {str(mode)!r}")
        self.mode = Mode(mode)
        self.settings = settings or CrowflySettings()

    def speed_ms(self, band: TimeBand) -> float:
        """Speed in metres per second in ``band``."""
        s = self.settings
        if self.mode is Mode.WALK:
            kmh = s.walk_kmh
        else:
            kmh = s.drive_night_kmh if band.is_night else s.drive_kmh
        return kmh / 3.6

    def detour(self) -> float:
        """The detour factor of this mode."""
        return self.settings.walk_detour if self.mode is Mode.WALK else self.settings.drive_detour

    def variant(self, band: TimeBand) -> str:
        if self.mode is Mode.DRIVE:
            return "night" if band.is_night else "day"
        return "all"

    def settings_key(self) -> dict[str, Any]:
        return {"engine": self.name, "mode": self.mode, **asdict(self.settings)}

    def describe(self) -> str:
        s = self.settings
        if self.mode is Mode.WALK:
            return (
                f"walking times are straight-line distance x {s.walk_detour:g} "
                f"at {s.walk_kmh:g} km/h (no street network loaded)"
            )
        return (
            f"driving times are straight-line distance x {s.drive_detour:g} at "
            f"{s.drive_kmh:g} km/h by day and {s.drive_night_kmh:g} km/h at night "
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
        factor = self.detour() / self.speed_ms(band)
        out = np.empty((len(origins), len(destinations)), dtype=np.float32)
        step = 1024
        for start in range(0, len(origins), step):
            stop = min(start + step, len(origins))
            dx = origins.x[start:stop, None] - destinations.x[None, :]
            dy = origins.y[start:stop, None] - destinations.y[None, :]
            out[start:stop] = np.hypot(dx, dy) * factor
            if progress:
                progress(stop, len(origins))
        out[out > self.settings.cutoff_min * 60.0] = np.inf
        return out
