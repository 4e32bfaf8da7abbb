"""The data manifest: each logical layer, its file, and what it must hold.

Data is checked once, where it enters (:func:`read_table`, :func:`read_layer`):
the file exists, has the columns, the CRS and the row count the planner
expects.  Other packages (the police ``estate``) register their own layers
with :func:`register`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geodata.checks import require_columns
from geodata.crs import BNG, is_bng
from geodata.errors import CRSError, DataError, MissingDataError

__all__ = ["LAYERS", "Layer", "describe_expected", "read_layer", "read_table", "register"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layer:
    """One logical input: where it lives in the data directory and what it must hold."""

    name: str
    path: str
    columns: tuple[str, ...]
    publisher: str
    licence: str
    #: exact row count expected, or None; or a (min, max) range
    rows: int | tuple[int, int] | None = None
    optional: bool = False
    read_kwargs: dict[str, Any] = field(default_factory=dict)

    def locate(self, data_dir: Path) -> Path:
        """The file's path in ``data_dir``."""
        return Path(data_dir) / self.path


LAYERS: dict[str, Layer] = {}


def register(layer: Layer) -> Layer:
    """Add (or replace) a layer in the manifest and return it."""
    LAYERS[layer.name] = layer
    return layer


_GEO = "ONS Open Geography Portal / GLA London Datastore (OGL v3)"
register(Layer(
    "boroughs", "geography/boroughs/London_Borough_Excluding_MHW.shp",
    ("NAME", "GSS_CODE"), "GLA London Datastore, Statistical GIS Boundary Files for London",
    "OGL v3; contains OS data", rows=33,
))
register(Layer(
    "lsoa21_polygons", "geography/lsoa2021/london-2021-lsoa-gen20.shp",
    ("LSOA21CD", "LSOA21NM", "LAD22CD"), _GEO, "OGL v3; contains OS data", rows=4994,
))
register(Layer(
    "population", "geography/derived/london_lsoa21_pwc_population_2021.csv",
    ("LSOA21CD", "LSOA21NM", "LAD22CD", "LAD22NM", "WD25CD", "WD25NM", "pwc_x_bng",
     "pwc_y_bng", "pop_total_2021", "pop_65_plus"),
    "ONS LSOA 2021 population-weighted centroids + Census 2021 TS007A (Nomis)", "OGL v3",
    rows=4994,
))
register(Layer(
    "imd2019", "geography/deprivation/IMD2019_London_LSOA11.csv",
    ("LSOA code (2011)",
     "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
     "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"),
    "MHCLG English Indices of Deprivation 2019, via GLA 'ID 2019 for London'", "OGL v3",
    rows=4835,
))
register(Layer(
    "lsoa11_population", "geography/lsoa2011/LSOA_2011_London_gen_MHW.shp",
    ("LSOA11CD", "USUALRES"), _GEO + " (2011 Census)", "OGL v3", rows=4835,
))
register(Layer(
    "lsoa_lookup",
    "geography/lookups/LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv",
    ("F_LSOA11CD", "LSOA21CD", "CHGIND", "LAD22CD"), "ONS Open Geography Portal", "OGL v3",
    read_kwargs={"encoding": "utf-8-sig"},
))
register(Layer(
    "supermarkets", "estate/supermarkets_geolytix_retailpoints_v34_202412_london_bbox.csv",
    ("id", "retailer", "fascia", "store_name", "postcode", "bng_e", "bng_n", "size_band"),
    "GEOLYTIX Retail Points v34 (Dec 2024)", "GEOLYTIX open data (credit GEOLYTIX)",
    read_kwargs={"encoding": "utf-8-sig"},
))
register(Layer(
    "libraries", "estate/libraries_england_taskforce_2016_london.csv",
    ("id", "name", "authority_code", "postcode", "lat", "lng", "closed"),
    "DCMS Libraries Taskforce basic dataset (July 2016), compiled by Libraries Hacked",
    "OGL v3 (compilation MIT)",
))
register(Layer(
    "fire_stations", "estate/fire_stations_lfb_2013_london.csv",
    ("Station_Name", "Postcode", "X (easting)", "Y (northing)", "closed_jan2014"),
    "London Fire Brigade station list (c. 2013/14), compiled by isildirik",
    "no licence stated (public addresses)",
))
register(Layer(
    "post_offices", "estate/post_offices.csv",
    ("id", "name"),
    "a user-supplied Post Office branch list (none is published under an open licence)",
    "as supplied", optional=True,
))
register(Layer(
    "postcodes", "estate/postcodes_codepoint_open_2014_08_london.csv",
    ("postcode", "easting", "northing"),
    "OS Code-Point Open 2014.3.0",
    "OGL: Contains OS data © Crown copyright and database right 2014; Contains Royal Mail "
    "data © Royal Mail copyright and database right 2014; Contains National Statistics data "
    "© Crown copyright and database right 2014",
))


def describe_expected() -> str:
    """A list of the files the planner expects and who publishes each."""
    lines = ["Files expected in the data directory:"]
    for layer in LAYERS.values():
        opt = " (optional)" if layer.optional else ""
        lines.append(f"  {layer.path}{opt}: {layer.publisher}")
    return "\n".join(lines)


def _check_rows(layer: Layer, path: Path, n: int) -> None:
    if layer.rows is None:
        return
    lo, hi = layer.rows if isinstance(layer.rows, tuple) else (layer.rows, layer.rows)
    if not lo <= n <= hi:
        want = f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"
        raise DataError(
            f"{path}: has {n:,} rows, expected {want}. Is it the right file "
            f"({layer.publisher})? Replace it with the published version."
        )


def _check_columns(layer: Layer, path: Path, columns: pd.Index) -> None:
    require_columns(columns, layer.columns, str(path), fix=f"the file should be {layer.publisher}")


def _path(layer_name: str, data_dir: Path) -> tuple[Layer, Path]:
    layer = LAYERS[layer_name]
    path = layer.locate(data_dir)
    if not path.exists():
        raise MissingDataError(
            f"{path}: missing. The '{layer.name}' layer is {layer.publisher} ({layer.licence}); "
            f"put it at {layer.path} in the data directory {data_dir}."
        )
    return layer, path


def read_table(layer_name: str, data_dir: Path, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV layer and check its columns and row count."""
    layer, path = _path(layer_name, data_dir)
    try:
        df = pd.read_csv(path, **{"low_memory": False, **layer.read_kwargs, **kwargs})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot be read as CSV ({exc}). Re-download the file.") from exc
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    _check_columns(layer, path, df.columns)
    _check_rows(layer, path, len(df))
    return df


def ensure_bng(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Refuse a layer with no CRS; return it in EPSG:27700.

    ESRI-style British National Grid ``.prj`` files are recognised as EPSG:27700.
    """
    if gdf.crs is None:
        raise CRSError(
            f"{source}: has no coordinate reference system (no .prj file?). Add the .prj "
            "that came with it, or set one, e.g. gdf.set_crs(27700) for British National Grid."
        )
    if is_bng(gdf.crs):
        return gdf.set_crs(BNG, allow_override=True)
    return gdf.to_crs(BNG)


def read_attributes(layer_name: str, data_dir: Path) -> pd.DataFrame:
    """A vector layer's attribute table only (its checked columns; no geometry read), with its row count checked.

    For a layer read for its figures alone (the 2011 residents per LSOA): the shapes are
    neither parsed nor checked, the cost of most of the reading.
    """
    layer, path = _path(layer_name, data_dir)
    try:
        df = gpd.read_file(path, ignore_geometry=True, columns=list(layer.columns))
    except Exception as exc:  # pyogrio raises several kinds
        raise DataError(f"{path}: cannot be read ({exc}). Re-download the file.") from exc
    _check_columns(layer, path, df.columns)
    _check_rows(layer, path, len(df))
    return pd.DataFrame(df)


def read_layer(layer_name: str, data_dir: Path) -> gpd.GeoDataFrame:
    """Read a vector layer, check columns, CRS and rows; return it in EPSG:27700."""
    layer, path = _path(layer_name, data_dir)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several kinds
        raise DataError(f"{path}: cannot be read ({exc}). Re-download the file.") from exc
    _check_columns(layer, path, gdf.columns)
    gdf = ensure_bng(gdf, str(path))
    _check_rows(layer, path, len(gdf))
    if not gdf.geometry.is_valid.all():
        gdf["geometry"] = gdf.geometry.make_valid()
    return gdf
