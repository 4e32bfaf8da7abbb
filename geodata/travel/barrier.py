"""The Thames as a barrier to walking and driving: a trip across it goes by a crossing.

The river is derived from the pack's boroughs, which exclude the tidal Thames below
mean high water: closing their union by about 400 m (buffer out, then in) fills the
tidal river from Teddington to Erith back in, and the largest piece of what it adds
is the river.  Upstream of Teddington the river is not excluded: Kingston and
Richmond meet mid-river, so their shared boundary is the barrier there.  Cutting the
boroughs' land along both leaves two banks; every point gets the bank it lies on (a
point on neither, e.g. a stop outside London, gets the nearer bank).

A straight-line trip between points on different banks is replaced by the best
crossing ``c`` open in the band: ``|a c| + |c b|``.  Crossings come from the compiled
list ``geodata/data/thames_crossings.csv`` (name, easting, northing, walk, drive,
hours, source per row), since walk and drive crossings differ (foot tunnels and
footbridges; road tunnels; the Woolwich Ferry carries both but not at night).

Approximations: a trip between two points on the same bank is assumed not to cross
the river (a straight line across a meander, e.g. the Isle of Dogs to Greenwich
Peninsula's own bank, is left straight); the crossing is a point mid-river, so the
bridge's own length and approaches are the straight lines to and from it.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import shapely

from geodata.errors import DataError

__all__ = [
    "CROSSINGS_CSV",
    "Crossing",
    "RiverBarrier",
    "barrier_from_areas",
    "load_crossings",
    "thames_barrier",
]

#: the boroughs that meet mid-river upstream of the tidal limit (Teddington)
UPSTREAM_PAIR = ("Kingston upon Thames", "Richmond upon Thames")

log = logging.getLogger(__name__)

#: the compiled list of Thames crossings shipped with the package
CROSSINGS_CSV = "thames_crossings.csv"
_COLUMNS = ("name", "easting", "northing", "walk", "drive", "hours", "source")
_HOURS = re.compile(r"^(?:24/7|([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d))$")


@dataclass(frozen=True)
class Crossing:
    """One crossing of the river."""

    name: str
    x: float
    y: float
    walk: bool
    drive: bool
    #: ``24/7`` or a daily ``HH:MM-HH:MM``
    hours: str
    source: str

    def open_at(self, minute: int) -> bool:
        """Whether it is open at ``minute`` after midnight."""
        if self.hours == "24/7":
            return True
        m = _HOURS.match(self.hours)
        assert m is not None
        a = int(m.group(1)) * 60 + int(m.group(2))
        b = int(m.group(3)) * 60 + int(m.group(4))
        return a <= minute < b if a <= b else (minute >= a or minute < b)


def load_crossings(path: Path | str | None = None) -> tuple[Crossing, ...]:
    """Read a crossings CSV (default: the shipped list); errors name the row and the fix."""
    if path is None:
        text = resources.files("geodata").joinpath("data", CROSSINGS_CSV).read_text("utf-8")
        where = CROSSINGS_CSV
    else:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise DataError(f"{p}: cannot read the crossings file ({exc})") from exc
        where = str(p)
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or any(c not in rows[0] for c in _COLUMNS):
        raise DataError(f"{where}: expected the columns {', '.join(_COLUMNS)}")
    out = []
    for i, r in enumerate(rows, start=2):
        try:
            x, y = float(r["easting"]), float(r["northing"])
        except ValueError as exc:
            raise DataError(
                f"{where} row {i} ({r['name']!r}): easting/northing must be EPSG:27700 metres"
            ) from exc
        flags = []
        for col in ("walk", "drive"):
            v = r[col].strip().lower()
            if v not in ("yes", "no"):
                raise DataError(
                    f"{where} row {i} ({r['name']!r}): {col} is {v!r}, expected yes or no"
                )
            flags.append(v == "yes")
        hours = r["hours"].strip()
        if not _HOURS.match(hours):
            raise DataError(
                f"{where} row {i} ({r['name']!r}): hours {hours!r}, expected 24/7 or HH:MM-HH:MM"
            )
        out.append(
            Crossing(r["name"].strip(), x, y, flags[0], flags[1], hours, r["source"].strip())
        )
    return tuple(out)


@dataclass(frozen=True, eq=False)
class RiverBarrier:
    """Two banks and the crossings between them."""

    #: the banks (index 0 and 1) as polygons
    banks: tuple[shapely.Geometry, shapely.Geometry]
    #: the river itself (for maps and checks)
    water: shapely.Geometry
    crossings: tuple[Crossing, ...]

    def side(self, xy: np.ndarray) -> np.ndarray:
        """The bank (0 or 1) of each point; a point on neither gets the nearer one."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        out = np.full(len(xy), -1, dtype=np.int8)
        for k, bank in enumerate(self.banks):
            inside = shapely.contains_xy(bank, xy[:, 0], xy[:, 1])
            out[inside & (out < 0)] = k
        rest = np.flatnonzero(out < 0)
        if len(rest):
            pts = shapely.points(xy[rest])
            d0 = shapely.distance(self.banks[0], pts)
            d1 = shapely.distance(self.banks[1], pts)
            out[rest] = np.where(d0 <= d1, 0, 1)
        return out

    def crossing_xy(self, mode: str, minute: int) -> np.ndarray:
        """EPSG:27700 points of the crossings ``mode`` (``walk``/``drive``) may use at ``minute``."""
        use = [
            (c.x, c.y)
            for c in self.crossings
            if (c.walk if mode == "walk" else c.drive) and c.open_at(minute)
        ]
        return np.asarray(use, dtype=np.float64).reshape(-1, 2)

    def pair_metres(self, mode: str, minute: int) -> _PairMetres:
        """A function of aligned point arrays giving the distance via a crossing where needed."""
        return _PairMetres(self, self.crossing_xy(mode, minute))

    def matrix_metres(
        self, o_xy: np.ndarray, d_xy: np.ndarray, mode: str, minute: int, *, block: int = 512
    ) -> np.ndarray:
        """Origins x destinations distances (float32 metres), via a crossing across the river."""
        o = np.asarray(o_xy, dtype=np.float64).reshape(-1, 2)
        d = np.asarray(d_xy, dtype=np.float64).reshape(-1, 2)
        cx = self.crossing_xy(mode, minute)
        so, sd = self.side(o), self.side(d)
        # distance from every point to every crossing, once
        oc = np.hypot(o[:, None, 0] - cx[None, :, 0], o[:, None, 1] - cx[None, :, 1])
        dc = np.hypot(d[:, None, 0] - cx[None, :, 0], d[:, None, 1] - cx[None, :, 1])
        out = np.empty((len(o), len(d)), dtype=np.float32)
        for a in range(0, len(o), block):
            sl = slice(a, min(a + block, len(o)))
            straight = np.hypot(o[sl, None, 0] - d[None, :, 0], o[sl, None, 1] - d[None, :, 1])
            cross = so[sl, None] != sd[None, :]
            if cross.any():
                if len(cx) == 0:
                    straight[cross] = np.inf
                else:
                    via = np.full(straight.shape, np.inf)
                    for k in range(len(cx)):
                        np.minimum(via, oc[sl, k, None] + dc[None, :, k], out=via)
                    straight = np.where(cross, via, straight)
            out[sl] = straight
        return out


@dataclass(frozen=True, eq=False)
class _PairMetres:
    barrier: RiverBarrier
    cx: np.ndarray

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
        b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
        d = np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])
        if len(a) == 0:
            return d
        cross = self.barrier.side(a) != self.barrier.side(b)
        if cross.any():
            if len(self.cx) == 0:
                d[cross] = np.inf
            else:
                ia, ib = a[cross], b[cross]
                via = np.full(len(ia), np.inf)
                for cx, cy in self.cx:
                    np.minimum(
                        via,
                        np.hypot(ia[:, 0] - cx, ia[:, 1] - cy)
                        + np.hypot(ib[:, 0] - cx, ib[:, 1] - cy),
                        out=via,
                    )
                d[cross] = via
        return d


def thames_barrier(
    boroughs: shapely.Geometry | list[shapely.Geometry],
    *,
    upstream_pair: tuple[shapely.Geometry, shapely.Geometry] | None,
    closing_m: float = 400.0,
    crossings: tuple[Crossing, ...] | None = None,
) -> RiverBarrier:
    """Derive the barrier from borough polygons that exclude the river (EPSG:27700).

    Parameters
    ----------
    boroughs
        The borough polygons (or their union).
    upstream_pair
        The two boroughs that meet mid-river upstream of the tidal limit (Kingston upon
        Thames and Richmond upon Thames in London): their shared boundary is cut too.
    closing_m
        The closing distance that recovers the excluded river (about 400 m).
    crossings
        Default: the shipped list.
    """
    land = shapely.union_all(boroughs) if isinstance(boroughs, list | tuple) else boroughs
    closed = shapely.buffer(shapely.buffer(land, closing_m), -closing_m)
    added = shapely.difference(closed, land)
    parts = sorted(shapely.get_parts(added), key=lambda g: -g.area)
    if not parts:
        raise DataError("the borough polygons enclose no excluded river (nothing to close)")
    water = parts[0]
    cut = shapely.buffer(water, 1.0)
    if upstream_pair is not None:
        shared = shapely.intersection(
            shapely.boundary(upstream_pair[0]), shapely.boundary(upstream_pair[1])
        )
        # between the tidal limit and the start of the shared boundary the river runs
        # inside one borough (Richmond on both banks at Teddington): bridge that
        # stretch with the shortest line from the tidal river to the shared boundary
        gap = shapely.shortest_line(water, shared)
        cut = shapely.union_all([cut, shapely.buffer(shared, 1.0), shapely.buffer(gap, 1.0)])
    banks = sorted(shapely.get_parts(shapely.difference(land, cut)), key=lambda g: -g.area)
    if len(banks) < 2 or banks[1].area < 0.05 * banks[0].area:
        raise DataError(
            "the river does not split the boroughs into two banks (check the borough layer "
            "excludes the river below mean high water, and the mid-river borough pair)"
        )
    # every smaller piece joins the bank it touches most (islands, slivers)
    b0, b1 = banks[0], banks[1]
    rest = banks[2:]
    if rest:
        near0 = [g for g in rest if shapely.distance(g, b0) <= shapely.distance(g, b1)]
        near1 = [g for g in rest if g not in near0]
        b0 = shapely.union_all([b0, *near0])
        b1 = shapely.union_all([b1, *near1])
    # bank 0 is the north bank (larger northing of its centroid)
    if shapely.centroid(b0).y < shapely.centroid(b1).y:
        b0, b1 = b1, b0
    for g in (b0, b1):
        shapely.prepare(g)
    return RiverBarrier((b0, b1), water, crossings if crossings is not None else load_crossings())


def barrier_from_areas(names: list[str], geoms: list[shapely.Geometry]) -> RiverBarrier:
    """The Thames barrier of the London boroughs (names and polygons, EPSG:27700)."""
    by_name = dict(zip(names, geoms, strict=True))
    missing = [n for n in UPSTREAM_PAIR if n not in by_name]
    if missing:
        raise DataError(
            f"the borough layer has no {' or '.join(missing)}: the Thames barrier needs the "
            "London boroughs (or switch it off: transit thames_barrier: false)"
        )
    pair = (by_name[UPSTREAM_PAIR[0]], by_name[UPSTREAM_PAIR[1]])
    return thames_barrier(list(geoms), upstream_pair=pair)
