"""What analysts ask of the matrices directly: the long-form matrix, accessibility per
unit, and one journey leg by leg (``estate matrix``, ``estate access``, ``estate journey``).

As r5py's travel-time matrix and an accessibility summary do: the planner's cached
units x sites matrix, filtered and reshaped, with no model of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from estate.errors import EstateError
from geodata import atomic_write_bytes
from geodata.travel.base import Mode, parse_band, parse_mode
from geodata.travel.sparse import SparseTimes, count_within, nearest_of

if TYPE_CHECKING:
    from estate.planner import Planner

__all__ = ["AnalysisError", "access_table", "journey", "matrix_long", "site_columns", "write_table"]

#: the largest number of rows ``matrix_long`` will build (about 12 million by day for
#: all 2,491 sites: 4,994 x 2,491 is 12.4 million)
MAX_ROWS = 20_000_000


class AnalysisError(ValueError, EstateError):
    """A matrix, access or journey request that cannot be answered as asked."""


def site_columns(
    p: Planner, band: str, *, host: str | None = None, scenario: str | None = None
) -> np.ndarray:
    """Matrix columns of the sites asked for: every located site (police sites and every
    candidate host), or one host type (``host``), or those a scenario has open in ``band``."""
    est = p.estate
    cols = np.arange(len(est.column_ids))
    if scenario is not None:
        cols = np.asarray(p.state(scenario).open_columns(est, parse_band(band)), dtype=np.int64)
    if host is not None:
        kinds = est.sites.loc[est.column_ids, "host"].astype(str).to_numpy()
        known = sorted(set(kinds))
        if host not in known:
            raise AnalysisError(f"--host {host!r}: expected one of {', '.join(known)}")
        cols = cols[kinds[cols] == host]
    return cols


def matrix_long(
    p: Planner, mode: str | Mode, band: str, *, max_minutes: float | None = None,
    host: str | None = None, scenario: str | None = None,
) -> pd.DataFrame:
    """The units x sites matrix in long form: ``from_id, to_id, travel_time_min``,
    finite pairs only (within ``max_minutes`` when given)."""
    t = p.matrix(parse_mode(mode), band)
    cols = site_columns(p, band, host=host, scenario=scenario)
    if isinstance(t, SparseTimes):  # the stored pairs of those columns, column by column
        pos, which = t.entries(cols)
        r, c = t.indices[pos].astype(np.int64), which
        mins = t.data[pos].astype(np.float64) / 60.0
        keep = np.ones(len(r), bool) if max_minutes is None else mins <= max_minutes
        order = np.lexsort((c, r))  # unit by unit, as the dense path gives them
        order = order[keep[order]]
        r, c, mins = r[order], c[order], mins[order]
    else:
        sub = t[:, cols] / 60.0
        ok = np.isfinite(sub)
        if max_minutes is not None:
            ok &= sub <= max_minutes
        r, c = np.nonzero(ok)
        mins = sub[r, c].astype(np.float64)
    n = len(r)
    if n > MAX_ROWS:
        raise AnalysisError(
            f"{n:,} pairs is more than {MAX_ROWS:,}: narrow it with --max-minutes or --host"
        )
    return pd.DataFrame(
        {
            "from_id": p.units.points.ids[r],
            "to_id": np.asarray(p.estate.column_ids)[cols[c]],
            "travel_time_min": np.round(mins, 2),
        }
    )


def access_table(
    p: Planner, mode: str | Mode, band: str, *, within: float = 30.0,
    host: str | None = None, scenario: str | None = None,
) -> pd.DataFrame:
    """One row per unit: ``unit_id``, ``nearest_min`` (NaN where nothing is reached) and
    ``sites_within`` (sites reached within ``within`` minutes)."""
    if not (within > 0 and math.isfinite(within)):
        raise AnalysisError(f"--within {within}: expected a positive number of minutes")
    t = p.matrix(parse_mode(mode), band)
    cols = site_columns(p, band, host=host, scenario=scenario)
    # dense or sparse alike: no units x sites block for the sparse layout (England and Wales)
    nearest = nearest_of(t, cols)[0] / 60.0
    count = count_within(t, cols, within * 60.0)
    return pd.DataFrame(
        {
            "unit_id": p.units.points.ids,
            "nearest_min": np.where(np.isfinite(nearest), np.round(nearest, 2), np.nan),
            "sites_within": count.astype(np.int64),
        }
    )


def write_table(df: pd.DataFrame, out: Path, *, overwrite: bool = False) -> Path:
    """Write ``df`` as CSV or Parquet (by the suffix), atomically; never over a file unasked."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise AnalysisError(f"--out {out}: expected a .csv or .parquet file")
    if out.exists() and not overwrite:
        raise AnalysisError(f"--out {out} exists: remove it or pass --overwrite")
    if suffix == ".csv":
        data = df.to_csv(index=False).encode("utf-8")
    else:
        import io

        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        data = buf.getvalue()
    atomic_write_bytes(out, data)
    return out


@dataclass(frozen=True)
class _Point:
    label: str
    x: float
    y: float


def _locate(p: Planner, ref: str) -> _Point:
    """A site id, or a postcode."""
    sites = p.estate.sites
    if ref in sites.index:
        row = sites.loc[ref]
        if not (np.isfinite(row["x"]) and np.isfinite(row["y"])):
            raise AnalysisError(f"site {ref!r} has no location (see `estate sites --problems`)")
        return _Point(str(row.get("name", ref)), float(row["x"]), float(row["y"]))
    try:
        x, y = p.geocoder.lookup(ref)
    except (KeyError, ValueError) as exc:
        raise AnalysisError(
            f"{ref!r} is neither a site id (see `estate sites`) nor a postcode in the data"
        ) from exc
    return _Point(ref.upper(), float(x), float(y))


def journey(p: Planner, origin: str, destination: str, band: str) -> dict[str, Any]:
    """The transit engine's fastest journey between two sites or postcodes, as JSON-ready data."""
    eng = p.engine(Mode.TRANSIT)
    route = getattr(eng, "route", None)
    if route is None:
        raise AnalysisError("journeys need the transit engine's stop graph (not a GTFS-less engine)")
    a, b = _locate(p, origin), _locate(p, destination)
    j = route((a.x, a.y), (b.x, b.y), band)
    kinds = {"transfer": "walk"}
    return {
        "from": a.label,
        "to": b.label,
        "mode": "transit",
        "band": parse_band(band).label,
        "minutes": round(j.minutes, 1) if math.isfinite(j.minutes) else None,
        "walk_all_the_way_min": round(j.walk_seconds / 60.0, 1),
        "legs": [
            {
                "kind": kinds.get(lg.kind, lg.kind),
                "minutes": round(lg.seconds / 60.0, 1),
                "line": lg.line,
                "operator": lg.operator,
                "text": lg.text,
            }
            for lg in j.legs
        ],
    }
