"""The optional TfL-side files: rail the Tube file lacks, exact National Rail station
positions, and where the QSI and CIF files are found.  Helpers shared with ``_tfl``."""

from __future__ import annotations

import itertools
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geodata.checks import require_columns
from geodata.crs import lonlat_to_bng
from geodata.errors import DataError

__all__ = ["EXTRA_RAIL", "add_extra_rail", "station_positions"]

log = logging.getLogger(__name__)

#: optional file: TfL's station list (places the stations the Tube file lacks)
_TFL_STATIONS = "tfl_stations_tflapi_2025-10.csv"
#: National Rail stations with exact positions (davwheat/uk-railway-stations)
_NR_STATIONS = "uk_railway_stations.csv"

#: TfL rail the Tube file lacks, as chains of stations (names of the Tube file or the
#: CASA GraphML, or NaPTAN ids of the TfL station list): the DLR's Woolwich Arsenal and
#: Stratford International branches, Langdon Park (between All Saints and Devons Road,
#: replacing their direct link), and the Overground's Barking Riverside extension (2022)
EXTRA_RAIL: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "dlr",
        "Docklands Light Railway",
        (
            "Canning Town",
            "940GZZDLWSV",
            "940GZZDLPDK",
            "940GZZDLLCA",
            "940GZZDLKGV",
            "940GZZDLWLA",
        ),
    ),
    (
        "dlr",
        "Docklands Light Railway",
        (
            "Canning Town",
            "940GZZDLSTL",
            "West Ham",
            "940GZZDLABR",
            "940GZZDLSHS",
            "Stratford",
            "940GZZDLSIT",
        ),
    ),
    ("dlr", "Docklands Light Railway", ("All Saints", "940GZZDLLDP", "Devons Road")),
    ("overground", "Suffragette", ("Barking", "910GBKRVS")),
)


def _require(df: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    require_columns(df.columns, columns, path.name, fix="use the TfL file with its original header")


def _read_csv(path: Path, **kw: Any) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **kw)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read it as CSV ({exc})") from exc


def station_positions(folder: Path) -> dict[str, tuple[float, float]]:
    """National Rail stations by CRS from the pack's station list (exact positions;
    the CIF station list rounds to 100 m), where the file is there."""
    path = folder / _NR_STATIONS
    if not path.is_file():
        return {}
    df = _read_csv(path, dtype=str, keep_default_na=False)
    _require(df, ("crsCode", "lat", "long"), path)
    lat = pd.to_numeric(df["lat"], errors="coerce")
    lon = pd.to_numeric(df["long"], errors="coerce")
    ok = lat.notna() & lon.notna() & (df["crsCode"].str.len() == 3)
    x, y = lonlat_to_bng(lon[ok].to_numpy(), lat[ok].to_numpy())
    return dict(zip(df.loc[ok, "crsCode"], zip(x.tolist(), y.tolist(), strict=True), strict=True))


def add_extra_rail(
    folder: Path, stops: pd.DataFrame, lines: pd.DataFrame, segs_in: pd.DataFrame, *, dlr_kmh: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stops and segments with :data:`EXTRA_RAIL` added (where the TfL station list is there)."""
    path = folder / _TFL_STATIONS
    if not path.is_file():
        log.warning(
            "%s not found: the DLR's Woolwich Arsenal and Stratford International branches, "
            "Langdon Park and Barking Riverside are left out",
            path.name,
        )
        return stops, segs_in
    st = _read_csv(path, dtype=str, keep_default_na=False)
    _require(st, ("naptan_id", "name", "lat", "lon"), path)
    st = st.set_index("naptan_id")
    by_name: dict[tuple[str, str], str] = {}
    for sid, name in zip(stops["id"], stops["name"], strict=True):
        by_name.setdefault((str(sid).split(":", 1)[0], str(name)), str(sid))
    new_stops: dict[str, tuple[str, float, float]] = {}
    xy = dict(zip(stops["id"], zip(stops["x"], stops["y"], strict=True), strict=True))
    segs = []
    for mode, line, chain in EXTRA_RAIL:
        prefix = "og" if mode == "overground" else "rail"
        ids = []
        for ref in chain:
            if ref in st.index:
                sid = f"tfl:{ref}"
                if sid not in new_stops:
                    try:
                        lon, lat = float(st.at[ref, "lon"]), float(st.at[ref, "lat"])
                    except ValueError as exc:
                        raise DataError(
                            f"{path.name}: station {ref}: lat/lon is not a number"
                        ) from exc
                    x, y = lonlat_to_bng(np.array([lon]), np.array([lat]))
                    name = re.sub(
                        r"\s+(DLR|Overground)?\s*Station$|\s+DLR$|\.$", "", st.at[ref, "name"]
                    )
                    new_stops[sid] = (name.strip(), float(x[0]), float(y[0]))
                    xy[sid] = (float(x[0]), float(y[0]))
            elif (prefix, ref) in by_name:
                sid = by_name[(prefix, ref)]
            else:
                raise DataError(
                    f"EXTRA_RAIL: station {ref!r} is neither in {path.name} nor a "
                    f"{'GraphML' if prefix == 'og' else 'Tube file'} station name"
                )
            ids.append(sid)
        key = (
            f"og:{line}"
            if mode == "overground"
            else lines.loc[lines["short"] == line, "key"].iloc[0]
        )
        for a, b in itertools.pairwise(ids):
            metres = float(np.hypot(xy[a][0] - xy[b][0], xy[a][1] - xy[b][1]))
            secs = np.nan if mode == "overground" else metres / (dlr_kmh / 3.6)
            segs += [(key, a, b, metres, secs), (key, b, a, metres, secs)]
    # Langdon Park replaces the direct All Saints - Devons Road link
    direct = {by_name.get(("rail", "All Saints")), by_name.get(("rail", "Devons Road"))}
    drop = segs_in["stop_a"].isin(direct) & segs_in["stop_b"].isin(direct)
    segs_out = pd.concat(
        [
            segs_in[~drop],
            pd.DataFrame(segs, columns=["key", "stop_a", "stop_b", "metres", "seconds"]),
        ],
        ignore_index=True,
    )
    stops_out = pd.concat(
        [
            stops,
            pd.DataFrame([(k, *v) for k, v in new_stops.items()], columns=["id", "name", "x", "y"]),
        ],
        ignore_index=True,
    )
    return stops_out, segs_out
