"""Candidate host places for co-located access points: supermarkets, public
libraries, fire stations and post offices, each with a ``host`` type.

Every loader returns the same columns (:data:`PLACE_COLUMNS`), in EPSG:27700,
limited to the study area.  Other hosts load through :func:`load_places_csv`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata._manifest import LAYERS, read_table
from geodata.checks import require_columns
from geodata.crs import lonlat_to_bng
from geodata.errors import DataError, OutsideAreaError

__all__ = [
    "HOSTS",
    "PLACE_COLUMNS",
    "check_in_great_britain",
    "load_host_places",
    "load_places_csv",
    "point_from_record",
    "slugify",
]

log = logging.getLogger(__name__)

PLACE_COLUMNS = (
    "place_id", "name", "host", "retailer", "size_band", "address", "postcode",
    "x", "y", "area_code", "area_name", "source",
)

#: host type -> manifest layer
HOSTS: dict[str, str] = {
    "supermarket": "supermarkets",
    "library": "libraries",
    "fire_station": "fire_stations",
    "post_office": "post_offices",
}


#: Great Britain's extent in EPSG:27700 metres (generous).
GB_BNG = (0.0, 0.0, 700_000.0, 1_250_000.0)


def slugify(text: str) -> str:
    """A stable lower-case id from a name.

    Examples
    --------
    >>> slugify("Barking Learning Centre")
    'barking-learning-centre'
    >>> slugify("St John's Wood")
    'st-johns-wood'
    """
    s = re.sub(r"['’]", "", str(text).lower())
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def check_in_great_britain(x: float, y: float, where: str) -> None:
    """Raise :class:`OutsideAreaError` unless (x, y) in EPSG:27700 lies in Great Britain."""
    x0, y0, x1, y1 = GB_BNG
    if not (np.isfinite(x) and np.isfinite(y) and x0 <= x <= x1 and y0 <= y <= y1):
        raise OutsideAreaError(
            f"{where}: point ({x:.0f}, {y:.0f}) is outside Great Britain. Coordinates must be "
            "British National Grid easting/northing in metres (or WGS84 lon/lat in "
            "lon/lat columns); check for swapped or degree-valued columns."
        )


def point_from_record(rec: dict[str, str], where: str) -> tuple[float, float] | None:
    """(x, y) in EPSG:27700 from a CSV row's ``easting``/``northing`` or ``lon``/``lat``.

    ``None`` when the row has neither (the caller may geocode a postcode);
    :class:`DataError` naming ``where`` when a coordinate is not a number.

    Examples
    --------
    >>> point_from_record({"easting": "530000", "northing": "180000"}, "row 2")
    (530000.0, 180000.0)
    """
    try:
        if rec.get("easting") and rec.get("northing"):
            return float(rec["easting"]), float(rec["northing"])
        if rec.get("lon") and rec.get("lat"):
            xa, ya = lonlat_to_bng(np.array([float(rec["lon"])]), np.array([float(rec["lat"])]))
            return float(xa[0]), float(ya[0])
    except ValueError as exc:
        raise DataError(
            f"{where}: a coordinate is not a number ({exc}); use metres (easting/northing) "
            "or degrees (lon/lat)"
        ) from exc
    return None


def _within(df: pd.DataFrame, areas: gpd.GeoDataFrame, what: str) -> pd.DataFrame:
    pts = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["x"], df["y"]), crs=27700)
    zones = areas[["code", "name", "geometry"]].rename(
        columns={"code": "area_code", "name": "area_name"}
    )
    joined = gpd.sjoin(pts, zones, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    inside = joined["area_code"].notna()
    if (~inside).any():
        log.info("%s: %d of %d places lie outside the study area and are left out",
                 what, int((~inside).sum()), len(df))
    out = pd.DataFrame(joined.loc[inside].drop(columns=["geometry", "index_right"]))
    out["area_code"] = out["area_code"].astype(str)
    out["area_name"] = out["area_name"].astype(str)
    return out


def _frame(**cols: object) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    for c in PLACE_COLUMNS:
        if c not in df.columns and c not in ("area_code", "area_name"):
            df[c] = ""
    return df


def _supermarkets(data_dir: Path) -> pd.DataFrame:
    t = read_table("supermarkets", data_dir)
    return _frame(
        place_id="supermarket-" + t["id"].astype(str),
        name=t["store_name"].astype(str),
        host="supermarket",
        retailer=t["retailer"].astype(str),
        size_band=t["size_band"].astype(str),
        address=t.get("add_one", pd.Series("", index=t.index)).fillna("").astype(str),
        postcode=t["postcode"].fillna("").astype(str),
        x=t["bng_e"].astype(float),
        y=t["bng_n"].astype(float),
        source=LAYERS["supermarkets"].publisher,
    )


def _libraries(data_dir: Path) -> pd.DataFrame:
    t = read_table("libraries", data_dir)
    t = t[t["closed"].isna() | (t["closed"].astype(str).str.strip() == "")]
    x, y = lonlat_to_bng(t["lng"].to_numpy(float), t["lat"].to_numpy(float))
    return _frame(
        place_id="library-" + t["id"].astype(str),
        name=t["name"].astype(str) + " Library",
        host="library",
        retailer="",
        size_band="",
        address=t.get("address", pd.Series("", index=t.index)).fillna("").astype(str),
        postcode=t["postcode"].fillna("").astype(str),
        x=x,
        y=y,
        source=LAYERS["libraries"].publisher,
    )


def _fire_stations(data_dir: Path) -> pd.DataFrame:
    t = read_table("fire_stations", data_dir)
    closed = t["closed_jan2014"].astype(str).str.lower().isin(["true", "1", "yes"])
    t = t[~closed]
    return _frame(
        place_id="fire-station-" + t["Station_Name"].map(slugify),
        name=t["Station_Name"].astype(str) + " Fire Station",
        host="fire_station",
        retailer="",
        size_band="",
        address="",
        postcode=t["Postcode"].fillna("").astype(str),
        x=t["X (easting)"].astype(float),
        y=t["Y (northing)"].astype(float),
        source=LAYERS["fire_stations"].publisher,
    )


def load_places_csv(
    path: Path, host: str, *, geocoder: object | None = None, source: str = ""
) -> pd.DataFrame:
    """Load a user's list of host places (``id``, ``name`` and a location).

    A location is ``easting``/``northing`` (EPSG:27700), or ``lon``/``lat``
    (WGS84), or a ``postcode`` geocoded offline with ``geocoder``.
    """
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    require_columns(t.columns, ("id", "name"), str(path), fix="a places file needs id, name and a location")
    dup = t["id"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise DataError(f"{path} row {row}: duplicate id {t['id'][dup].iloc[0]!r}; ids must be unique")
    xs, ys = [], []
    for i, rec in enumerate(t.to_dict("records")):
        where = f"{path} row {i + 2}"
        xy = point_from_record(rec, where)
        if xy is None and rec.get("postcode") and geocoder is not None:
            xy = geocoder.lookup(rec["postcode"])  # type: ignore[attr-defined]
        if xy is None:
            raise DataError(f"{where}: no location; give easting/northing, lon/lat or a postcode")
        x, y = xy
        check_in_great_britain(x, y, where)
        xs.append(x)
        ys.append(y)
    return _frame(
        place_id=f"{host.replace('_', '-')}-" + t["id"].astype(str),
        name=t["name"],
        host=host,
        retailer=t.get("retailer", ""),
        size_band="",
        address=t.get("address", ""),
        postcode=t.get("postcode", ""),
        x=xs,
        y=ys,
        source=source or str(path),
    )


def load_host_places(
    data_dir: Path,
    areas: gpd.GeoDataFrame,
    *,
    hosts: tuple[str, ...] = tuple(HOSTS),
    geocoder: object | None = None,
) -> pd.DataFrame:
    """All candidate host places in the study area, one row each (:data:`PLACE_COLUMNS`).

    Post offices load whenever the data directory holds ``estate/post_offices.csv``.
    """
    parts = []
    for host in hosts:
        if host == "supermarket":
            df = _supermarkets(data_dir)
        elif host == "library":
            df = _libraries(data_dir)
        elif host == "fire_station":
            df = _fire_stations(data_dir)
        elif host == "post_office":
            path = LAYERS["post_offices"].locate(data_dir)
            if not path.exists():
                log.info("no post office list at %s; none loaded", path)
                continue
            df = load_places_csv(path, "post_office", geocoder=geocoder,
                                 source=LAYERS["post_offices"].publisher)
        else:
            raise DataError(f"unknown host type {host!r}: expected one of {', '.join(HOSTS)}")
        parts.append(_within(df, areas, host))
    out = pd.concat(parts, ignore_index=True)
    dup = out["place_id"].duplicated()
    if dup.any():
        log.warning("dropping %d places with duplicate ids (e.g. %s)",
                    int(dup.sum()), out.loc[dup, "place_id"].iloc[0])
        out = out[~dup]
    return out[list(PLACE_COLUMNS)].reset_index(drop=True)
