"""Areas and the people in them: boroughs, and population units (LSOA 2021
population-weighted centroids with residents, 65+, ward and IMD 2019 decile).

Any other points-with-weights work the same way: build a :class:`Units`
from a frame with the columns of :data:`UNIT_COLUMNS`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata._manifest import read_attributes, read_layer, read_table
from geodata.checks import require_columns
from geodata.errors import DataError
from geodata.travel.base import Points

__all__ = [
    "GROUPS",
    "UNIT_COLUMNS",
    "Units",
    "imd_deciles_for_lsoa21",
    "load_areas",
    "load_unit_polygons",
    "load_units",
]

log = logging.getLogger(__name__)

#: Columns a population-unit frame must have.
UNIT_COLUMNS = (
    "unit_id", "name", "area_code", "area_name", "ward_code", "ward_name",
    "x", "y", "population", "pop_65_plus", "imd_decile",
)

#: Population groups reported beside all residents: key -> label.
GROUPS: dict[str, str] = {
    "age_65_plus": "residents aged 65+",
    "imd_decile_1_2": "residents of the 20% most deprived LSOAs (IMD 2019 deciles 1-2)",
}

_IMD_RANK = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
_IMD_DECILE = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
#: LSOAs in England in IMD 2019; a national decile spans a tenth of them.
N_LSOA11_ENGLAND = 32_844


@dataclass(frozen=True, eq=False)
class Units:
    """Population units: one row each, with weights and the area they report to."""

    frame: pd.DataFrame

    def __post_init__(self) -> None:
        require_columns(
            self.frame.columns, UNIT_COLUMNS, "population units", fix="build them with load_units()"
        )
        if self.frame["unit_id"].duplicated().any():
            dup = self.frame.loc[self.frame["unit_id"].duplicated(), "unit_id"].iloc[0]
            raise DataError(f"population units: duplicate unit_id {dup!r}")
        f = self.frame.reset_index(drop=True)
        object.__setattr__(self, "frame", f)
        codes, uniques = pd.factorize(f["area_code"], sort=True)
        object.__setattr__(self, "area_index", codes.astype(np.int64))
        object.__setattr__(self, "area_codes", np.asarray(uniques, dtype=str))
        names = f.groupby("area_code")["area_name"].first()
        object.__setattr__(self, "area_names", names.reindex(self.area_codes).to_numpy(str))

    area_index: np.ndarray = None  # type: ignore[assignment]
    area_codes: np.ndarray = None  # type: ignore[assignment]
    area_names: np.ndarray = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def points(self) -> Points:
        """The units as :class:`Points` (EPSG:27700)."""
        return Points(self.frame["unit_id"], self.frame["x"], self.frame["y"])

    def weights(self) -> dict[str, np.ndarray]:
        """Residents per unit for ``all`` and each of :data:`GROUPS`."""
        f = self.frame
        pop = f["population"].to_numpy(np.float64)
        deprived = f["imd_decile"].to_numpy(np.float64) <= 2
        return {
            "all": pop,
            "age_65_plus": f["pop_65_plus"].to_numpy(np.float64),
            "imd_decile_1_2": np.where(deprived, pop, 0.0),
        }


def load_areas(data_dir: Path) -> gpd.GeoDataFrame:
    """The 33 London boroughs: ``code``, ``name``, ``inner`` and geometry (EPSG:27700)."""
    gdf = read_layer("boroughs", data_dir)
    out = gpd.GeoDataFrame(
        {
            "code": gdf["GSS_CODE"].astype(str),
            "name": gdf["NAME"].astype(str),
            "inner": gdf.get("ONS_INNER", pd.Series("", index=gdf.index)).astype(str).eq("T"),
        },
        geometry=gdf.geometry,
        crs=gdf.crs,
    )
    if out["code"].duplicated().any():
        raise DataError(f"boroughs: duplicate GSS_CODE {out.loc[out.code.duplicated(), 'code'].tolist()}")
    return out.sort_values("code").reset_index(drop=True)


def imd_deciles_for_lsoa21(data_dir: Path) -> pd.Series:
    """IMD 2019 national decile for each LSOA 2021, carried from LSOA 2011.

    Unchanged (U) and split (S) LSOAs inherit their 2011 parent's decile.  An
    LSOA 2021 made by merging (M) several 2011 LSOAs takes the mean of the
    parents' national IMD ranks, weighted by their 2011 Census residents, and
    the decile of that rank (3,284.4 ranks per decile).
    """
    imd = read_table("imd2019", data_dir)
    lookup = read_table("lsoa_lookup", data_dir)
    lookup = lookup[lookup["LAD22CD"].astype(str).str.startswith("E09")]
    pop11 = read_attributes("lsoa11_population", data_dir)[["LSOA11CD", "USUALRES"]]
    rank = imd.set_index("LSOA code (2011)")[_IMD_RANK]
    decile = imd.set_index("LSOA code (2011)")[_IMD_DECILE]
    lk = lookup[["F_LSOA11CD", "LSOA21CD"]].merge(
        pop11, left_on="F_LSOA11CD", right_on="LSOA11CD", how="left"
    )
    lk["rank"] = lk["F_LSOA11CD"].map(rank)
    lk["decile"] = lk["F_LSOA11CD"].map(decile)
    if lk["rank"].isna().any():
        bad = lk.loc[lk["rank"].isna(), "F_LSOA11CD"].iloc[0]
        raise DataError(f"IMD 2019 has no rank for LSOA 2011 {bad!r} named in the ONS lookup")
    lk["w"] = lk["USUALRES"].fillna(1.0).clip(lower=1.0)
    single = lk.groupby("LSOA21CD")["F_LSOA11CD"].transform("size") == 1
    out = lk.loc[single].set_index("LSOA21CD")["decile"].astype(int)
    merged = lk.loc[~single]
    if len(merged):
        wrank = (merged["rank"] * merged["w"]).groupby(merged["LSOA21CD"]).sum() / merged.groupby(
            "LSOA21CD"
        )["w"].sum()
        dec = np.ceil(wrank / (N_LSOA11_ENGLAND / 10)).clip(1, 10).astype(int)
        out = pd.concat([out, dec])
    return out


def load_units(data_dir: Path) -> Units:
    """The 4,994 London LSOA 2021 population-weighted centroids with residents and groups."""
    pop = read_table("population", data_dir)
    if pop["LSOA21CD"].duplicated().any():
        dup = pop.loc[pop["LSOA21CD"].duplicated(), "LSOA21CD"].iloc[0]
        raise DataError(f"population file: duplicate LSOA21CD {dup!r}")
    deciles = imd_deciles_for_lsoa21(data_dir)
    frame = pd.DataFrame(
        {
            "unit_id": pop["LSOA21CD"].astype(str),
            "name": pop["LSOA21NM"].astype(str),
            "area_code": pop["LAD22CD"].astype(str),
            "area_name": pop["LAD22NM"].astype(str),
            "ward_code": pop["WD25CD"].astype(str),
            "ward_name": pop["WD25NM"].astype(str),
            "x": pop["pwc_x_bng"].astype(float),
            "y": pop["pwc_y_bng"].astype(float),
            "population": pop["pop_total_2021"].astype(np.int64),
            "pop_65_plus": pop["pop_65_plus"].astype(np.int64),
        }
    )
    frame["imd_decile"] = frame["unit_id"].map(deciles)
    if frame["imd_decile"].isna().any():
        bad = frame.loc[frame["imd_decile"].isna(), "unit_id"].iloc[0]
        raise DataError(f"no IMD 2019 decile could be carried to LSOA 2021 {bad!r}")
    frame["imd_decile"] = frame["imd_decile"].astype(np.int64)
    return Units(frame)


def load_unit_polygons(data_dir: Path) -> gpd.GeoDataFrame:
    """LSOA 2021 boundaries (20 m generalised): ``unit_id`` and geometry, EPSG:27700."""
    gdf = read_layer("lsoa21_polygons", data_dir)
    return gpd.GeoDataFrame(
        {"unit_id": gdf["LSOA21CD"].astype(str)}, geometry=gdf.geometry, crs=gdf.crs
    )
