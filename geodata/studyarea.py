"""Study areas beyond London: any group of districts, or any of the 43 police
force areas of England and Wales, from the national pack (``../shared/national``).

A :class:`StudyArea` is geography only: a name and the local authority districts
(or the police force area, as a geographic unit) it covers.  For it this module
loads what the London pack gives for London: the population units (LSOA 2021
population-weighted centroids with Census 2021 residents, 65+ and deprivation),
the districts they report to, the LSOA boundaries, candidate host places clipped
to the area, and a postcode geocoder (Code-Point Open 2025).

Deprivation: England's IMD 2019 and Wales's WIMD 2019 are separate indices, each
ranking only its own nation's LSOAs, so "deciles 1-2" is the most deprived fifth
*within each nation*.  Both are on LSOA 2011 and carried to LSOA 2021 by the ONS
lookup (the master table's method: a merged LSOA takes its parents' mean rank,
and here the decile of that rank within its nation).

Examples
--------
>>> study_area("london").is_london
True
>>> study_area("Newport").label
'Newport'
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geodata.errors import DataError, UnknownAreaError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geodata.areas import Units
    from geodata.postcodes import Geocoder

__all__ = [
    "AREAS",
    "DEPRIVATION_NOTE",
    "GROUPINGS",
    "StudyArea",
    "check_grouping",
    "csp_lookup",
    "force_names",
    "load_area_districts",
    "load_area_places",
    "load_area_unit_polygons",
    "load_area_units",
    "national_geocoder",
    "regroup_areas",
    "regroup_frame",
    "study_area",
]

log = logging.getLogger(__name__)

MASTER = "geography/lsoa21_master_ew.csv"
FORCE_LOOKUP = "geography/lookup_lad24_csp24_pfa24.csv"
DISTRICTS = "geography/lad24_may2024_uk_buc.geojson"
LSOA_POLYGONS = "geography/lsoa21_ew_bsc_v4.gpkg"
CODEPOINT = "geocoding/codepoint_open_2025_10_gb.csv.gz"
SUPERMARKETS = "hosts/geolytix_retailpoints_v34_202412.csv"
LIBRARIES_ENGLAND = "hosts/arts_council_libraries_england_2023_geocoded_codepoint2025.csv"
LIBRARIES_WALES = "hosts/libraries_wales_geocoded_codepoint2025.csv"
FIRE_STATIONS = "hosts/home_office_fire_stations_england_2018.csv"
NEWPORT_POIS = "newport/newport_osm_pois_2023-06-13.geojson"

#: LSOAs ranked by each index (a decile spans a tenth of them)
N_RANKED = {"E": 32_844, "W": 1_909}

#: what the deprived group means outside London (said beside every figure)
DEPRIVATION_NOTE = (
    "deprivation: England's IMD 2019 and Wales's WIMD 2019 are separate indices; "
    "deciles 1-2 are the most deprived fifth of LSOAs within each nation, carried "
    "from LSOA 2011 to 2021"
)


@dataclass(frozen=True)
class StudyArea:
    """A study area: ``key`` (cache keys, folders), ``label`` and what it covers.

    ``kind`` is ``"london"`` (the London pack, unchanged), ``"districts"``
    (``codes`` are LAD 2024 codes) or ``"force"`` (``codes`` is one PFA 2024 code).
    """

    key: str
    label: str
    kind: str
    codes: tuple[str, ...] = ()

    @property
    def is_london(self) -> bool:
        """The London pack (the default), not the national files."""
        return self.kind == "london"


#: the named study areas
AREAS: dict[str, StudyArea] = {
    "london": StudyArea("london", "London", "london"),
    "newport": StudyArea("newport", "Newport", "districts", ("W06000022",)),
}


def _norm(text: str) -> str:
    s = str(text).lower().replace("&", "and")
    s = re.sub(r"\b(police|constabulary|force|area)\b", " ", s)
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


@lru_cache(maxsize=4)
def _forces(national: Path) -> dict[str, str]:
    import pandas as pd

    t = pd.read_csv(national / FORCE_LOOKUP, dtype=str)
    return dict(zip(t["pfa24_code"], t["pfa24_name"], strict=True))


def force_names(national: Path) -> dict[str, str]:
    """PFA 2024 code -> name, the 43 police force areas of England and Wales."""
    return dict(_forces(Path(national)))


def _suggest(text: str, names: list[str]) -> str:
    by_norm = {_norm(n): n for n in names}
    close = [by_norm[c] for c in difflib.get_close_matches(_norm(text), list(by_norm), n=3, cutoff=0.5)]
    if not close:
        close = difflib.get_close_matches(text, names, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def study_area(area: str | None = None, force: str | None = None, *, national: Path | None = None) -> StudyArea:
    """The study area named by ``area`` (``london``, ``newport``) or ``force`` (a PFA name or code).

    Raises
    ------
    UnknownAreaError
        For an unknown name, with the nearest names; for both given at once.
    """
    if area and force:
        raise UnknownAreaError(f"give a study area ({area!r}) or a police force ({force!r}), not both")
    if force:
        from geodata.settings import national_dir

        forces = force_names(national_dir(national))
        text = force.strip()
        if text.lower() == "all":  # England and Wales: matrices go sparse (geodata.travel.sparse)
            return StudyArea("force-all", "England and Wales", "force", tuple(sorted(forces)))
        code = text.upper() if text.upper() in forces else None
        if code is None:
            by_norm = {_norm(n): c for c, n in forces.items()}
            code = by_norm.get(_norm(text))
        if code is None:
            raise UnknownAreaError(
                f"unknown police force {force!r}: give one of the 43 police force areas of England and "
                f"Wales by name or PFA 2024 code (e.g. 'Gwent' or W15000002){_suggest(text, sorted(forces.values()))}"
            )
        return StudyArea(f"force-{code.lower()}", forces[code], "force", (code,))
    key = (area or "london").strip().lower()
    if key in AREAS:
        return AREAS[key]
    raise UnknownAreaError(
        f"unknown study area {area!r}: known areas are {', '.join(AREAS)}; for any police force area "
        f"use --force NAME|CODE{_suggest(key, list(AREAS))}"
    )


# --------------------------------------------------------------------------- areas: districts or CSPs

#: how a study area's figures are divided: ``district`` (LAD 2024; London's boroughs) or ``csp``
#: (community safety partnerships, CSP 2024: each one district or several, e.g. North Worcestershire)
GROUPINGS = ("district", "csp")
_GROUPING_WORDS = {"districts": "district", "borough": "district", "boroughs": "district", "lad": "district",
                   "csps": "csp", "community safety partnerships": "csp", "community safety partnership": "csp"}


def check_grouping(grouping: str | None) -> str:
    """``district`` (the default) or ``csp``; plural and long forms are accepted.

    Examples
    --------
    >>> check_grouping(None), check_grouping("CSPs"), check_grouping("boroughs")
    ('district', 'csp', 'district')
    """
    text = str(grouping or "district").strip().lower()
    g = _GROUPING_WORDS.get(text.replace("-", " ").replace("_", " "), text)
    if g not in GROUPINGS:
        shown = str(grouping)[:60].encode("unicode_escape").decode("ascii")
        raise UnknownAreaError(f"--areas {shown!r}: give district (the default: districts, London's boroughs) or "
                               f"csp (community safety partnerships){_suggest(text, list(GROUPINGS))}")
    return g


@lru_cache(maxsize=2)
def csp_lookup(national: Path) -> dict[str, tuple[tuple[str, str], ...]]:
    """LAD 2024 code -> its (CSP 2024 code, CSP name) pairs, every district of England and Wales.

    Nearly every district is in one CSP; a few unitary authorities formed since 2019
    (Buckinghamshire, Bournemouth Christchurch and Poole, the Northamptonshires, Cumberland,
    Westmorland and Furness) still have the CSPs of their old districts, several each.
    """
    import pandas as pd

    path = Path(national) / FORCE_LOOKUP
    try:
        t = pd.read_csv(path, dtype=str)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc}); community safety partnerships need the national "
                        "pack's LAD-CSP-PFA lookup (set ESTATE_NATIONAL)") from None
    missing = {"ltla24_code", "csp24_code", "csp24_name"} - set(t.columns)
    if missing:
        raise DataError(f"{path}: no column(s) {sorted(missing)}; expected the ONS LAD24-CSP24-PFA24 lookup")
    out: dict[str, list[tuple[str, str]]] = {}
    for a, c, n in zip(t["ltla24_code"], t["csp24_code"], t["csp24_name"], strict=True):
        out.setdefault(str(a), []).append((str(c), str(n)))
    return {a: tuple(v) for a, v in out.items()}


def regroup_frame(df: pd.DataFrame, lookup: dict[str, tuple[tuple[str, str], ...]], *, where: str) -> pd.DataFrame:
    """``df`` with its ``area_code``/``area_name`` (districts) replaced by their CSPs; empty codes stay empty.

    Raises
    ------
    DataError
        For a district code the lookup does not know, or a district split between several
        CSPs (the pack cannot say which of its residents are in which), naming ``where`` and the codes.
    """
    codes = df["area_code"].fillna("").astype(str)
    unknown = sorted({c for c in codes if c and c not in lookup})
    if unknown:
        raise DataError(f"{where}: district code(s) {unknown[:5]} are not in the LAD 2024 - CSP lookup "
                        f"({FORCE_LOOKUP}), so they have no community safety partnership")
    split = sorted({c for c in codes if c and len(lookup[c]) > 1})
    if split:
        names = "; ".join(f"{c}: {', '.join(n for _, n in lookup[c])}" for c in split[:3])
        raise DataError(f"{where}: district(s) {split[:5]} are split between several community safety "
                        f"partnerships ({names}), and the pack has no finer lookup to place each LSOA in "
                        "one; use --areas district for this study area")
    out = df.copy()
    out["area_code"] = [lookup[c][0][0] if c else c for c in codes]
    out["area_name"] = [lookup[c][0][1] if c else n for c, n in zip(codes, df["area_name"], strict=True)]
    return out


def regroup_areas(areas: gpd.GeoDataFrame, lookup: dict[str, tuple[tuple[str, str], ...]]) -> gpd.GeoDataFrame:
    """The districts ``areas`` (``code``, ``name``, ``inner``) dissolved into their CSPs, sorted by code."""
    import geopandas as gpd

    g = regroup_frame(areas.rename(columns={"code": "area_code", "name": "area_name"}), lookup,
                      where="the district layer")
    d = g.dissolve(by="area_code", aggfunc={"area_name": "first", "inner": "max"}).reset_index()
    out = gpd.GeoDataFrame({"code": d["area_code"].astype(str), "name": d["area_name"].astype(str),
                            "inner": d["inner"].astype(bool)}, geometry=d.geometry, crs=areas.crs)
    return out.sort_values("code").reset_index(drop=True)


# --------------------------------------------------------------------------- loaders


@lru_cache(maxsize=2)
def _master(national: Path) -> pd.DataFrame:
    import pandas as pd

    from geodata.checks import require_columns

    path = national / MASTER
    try:
        t = pd.read_csv(path, dtype={"lsoa21_code": str, "ltla24_code": str, "pfa24_code": str})
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from exc
    require_columns(t.columns, ("lsoa21_code", "lsoa21_name", "pwc_easting", "pwc_northing",
                                "usual_residents_total", "age_65_plus", "ward24_code", "ward24_name",
                                "ltla24_code", "ltla24_name", "pfa24_code", "imd19_rank_from_lsoa11",
                                "imd19_decile_from_lsoa11", "wimd19_rank_from_lsoa11",
                                "wimd19_decile_from_lsoa11", "n_lsoa11_parents"), str(path),
                    fix="use the national pack's lsoa21_master_ew.csv")
    return t


def _rows(area: StudyArea, national: Path) -> pd.DataFrame:
    if area.is_london:
        raise DataError("London reads the London pack (geodata.areas), not the national files")
    t = _master(Path(national))
    col = "pfa24_code" if area.kind == "force" else "ltla24_code"
    rows = t[t[col].isin(area.codes)]
    if rows.empty:
        raise UnknownAreaError(f"study area {area.label!r}: no LSOA of {national / MASTER} has {col} in {list(area.codes)}")
    return rows


def _decile(rows: pd.DataFrame, nation: str) -> np.ndarray:
    """Each LSOA's decile within its own nation's index (England IMD 2019 / Wales WIMD 2019)."""
    pre = "imd19" if nation == "E" else "wimd19"
    rank = rows[f"{pre}_rank_from_lsoa11"].to_numpy(np.float64)
    dec = rows[f"{pre}_decile_from_lsoa11"].to_numpy(np.float64)
    merged = rows["n_lsoa11_parents"].to_numpy(np.float64) > 1
    from_rank = np.clip(np.ceil(rank / (N_RANKED[nation] / 10)), 1, 10)
    return np.where(merged | ~np.isfinite(dec), from_rank, dec)


def load_area_units(area: StudyArea, national: Path) -> Units:
    """The area's LSOA 2021 population-weighted centroids with residents, 65+ and deprivation.

    ``area_code`` is the district (LAD 2024); ``imd_decile`` the decile within
    the LSOA's own nation (:data:`DEPRIVATION_NOTE`); ``nation`` is ``E`` or ``W``.
    """
    import pandas as pd

    from geodata.areas import Units

    rows = _rows(area, national)
    nation = rows["lsoa21_code"].str[0].to_numpy(str)
    dec = np.full(len(rows), np.nan)
    for n in ("E", "W"):
        sel = nation == n
        if sel.any():
            dec[sel] = _decile(rows[sel], n)
    if not np.isfinite(dec).all():
        bad = rows["lsoa21_code"].to_numpy(str)[~np.isfinite(dec)][0]
        raise DataError(f"{national / MASTER}: LSOA {bad!r} has no deprivation decile for its nation")
    frame = pd.DataFrame({
        "unit_id": rows["lsoa21_code"].astype(str).to_numpy(),
        "name": rows["lsoa21_name"].astype(str).to_numpy(),
        "area_code": rows["ltla24_code"].astype(str).to_numpy(),
        "area_name": rows["ltla24_name"].astype(str).to_numpy(),
        "ward_code": rows["ward24_code"].astype(str).to_numpy(),
        "ward_name": rows["ward24_name"].astype(str).to_numpy(),
        "x": rows["pwc_easting"].astype(float).to_numpy(),
        "y": rows["pwc_northing"].astype(float).to_numpy(),
        "population": rows["usual_residents_total"].astype(np.int64).to_numpy(),
        "pop_65_plus": rows["age_65_plus"].astype(np.int64).to_numpy(),
        "imd_decile": dec.astype(np.int64),
        "nation": nation,
    })
    return Units(frame)


def load_area_districts(area: StudyArea, national: Path, codes: list[str]) -> gpd.GeoDataFrame:
    """The districts ``codes`` (LAD 2024, ultra-generalised): ``code``, ``name``, ``inner``, geometry (EPSG:27700)."""
    import geopandas as gpd

    path = national / DISTRICTS
    try:
        g = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own types for unreadable files
        raise DataError(f"{path}: cannot be read ({exc})") from exc
    g = g[g["ltla24_code"].isin(codes)].to_crs(27700)
    missing = sorted(set(codes) - set(g["ltla24_code"]))
    if missing:
        raise DataError(f"{path}: no boundary for district(s) {missing} of study area {area.label!r}")
    out = gpd.GeoDataFrame({"code": g["ltla24_code"].astype(str), "name": g["ltla24_name"].astype(str),
                            "inner": False}, geometry=g.geometry, crs=g.crs)
    return out.sort_values("code").reset_index(drop=True)


def load_area_unit_polygons(unit_ids: list[str], national: Path) -> gpd.GeoDataFrame:
    """LSOA 2021 boundaries (super-generalised) of ``unit_ids``: ``unit_id`` and geometry, EPSG:27700."""
    import geopandas as gpd

    path = national / LSOA_POLYGONS
    codes = sorted({str(u) for u in unit_ids if re.fullmatch(r"[EW]\d{8}", str(u))})
    prefixes = sorted({c[:6] for c in codes})
    where = " OR ".join(f"lsoa21_code LIKE '{p}%'" for p in prefixes) or "0"
    g = gpd.read_file(path, where=where)
    g = g[g["lsoa21_code"].isin(codes)].to_crs(27700)
    return gpd.GeoDataFrame({"unit_id": g["lsoa21_code"].astype(str)}, geometry=g.geometry, crs=g.crs)


def national_geocoder(national: Path) -> Geocoder:
    """Every GB postcode from OS Code-Point Open 2025 (about 2 s to read)."""
    import pandas as pd

    from geodata.postcodes import Geocoder

    path = national / CODEPOINT
    t = pd.read_csv(path, usecols=[0, 2, 3], dtype={"Postcode": str})
    t.columns = ["postcode", "easting", "northing"]
    return Geocoder(t, vintage="2025")


def _host_frames(national: Path) -> list[pd.DataFrame]:
    import pandas as pd

    from geodata.places import _frame, slugify

    out = []
    t = pd.read_csv(national / SUPERMARKETS, dtype={"id": str, "postcode": str}, encoding="utf-8-sig")
    out.append(_frame(place_id="supermarket-" + t["id"].astype(str), name=t["store_name"].astype(str),
                      host="supermarket", retailer=t["retailer"].astype(str), size_band=t["size_band"].astype(str),
                      address=t["add_one"].fillna("").astype(str), postcode=t["postcode"].fillna("").astype(str),
                      x=t["bng_e"].astype(float), y=t["bng_n"].astype(float),
                      source="GEOLYTIX Retail Points v34 (Dec 2024)"))
    t = pd.read_csv(national / LIBRARIES_ENGLAND, dtype=str, keep_default_na=False)
    t = t[(t["closed"].str.strip() == "") & (t["cp_easting"] != "")]
    out.append(_frame(place_id="library-" + (t["name"] + " " + t["postcode"]).map(slugify), name=t["name"],
                      host="library", retailer="", size_band="", address=t["address1"], postcode=t["postcode"],
                      x=t["cp_easting"].astype(float), y=t["cp_northing"].astype(float),
                      source="Arts Council England libraries 2023, at Code-Point Open 2025 postcode centroids"))
    t = pd.read_csv(national / LIBRARIES_WALES, dtype=str, keep_default_na=False)
    t = t[(t["Year closed"].str.strip() == "") & (t["cp_easting"] != "")]
    out.append(_frame(place_id="library-" + (t["Library name"] + " " + t["Postcode"]).map(slugify),
                      name=t["Library name"], host="library", retailer="", size_band="", address=t["Address 1"],
                      postcode=t["Postcode"], x=t["cp_easting"].astype(float), y=t["cp_northing"].astype(float),
                      source="Welsh public libraries (Libraries Hacked), at Code-Point Open 2025 postcode centroids"))
    t = pd.read_csv(national / FIRE_STATIONS, dtype=str, keep_default_na=False)
    t = t[(t["easting"] != "") & (t["northing"] != "")]
    out.append(_frame(place_id="fire-station-" + (t["STATION_NAME"] + " " + t["STATION_POSTCODE"]).map(slugify),
                      name=t["STATION_NAME"] + " Fire Station", host="fire_station", retailer="", size_band="",
                      address=t["STATION_ADDRESS"], postcode=t["STATION_POSTCODE"],
                      x=t["easting"].astype(float), y=t["northing"].astype(float),
                      source="Home Office fire stations, England, Feb 2018 (historical)"))
    pois = national / NEWPORT_POIS
    if pois.exists():
        from geodata.crs import lonlat_to_bng

        feats = [f for f in json.loads(pois.read_text(encoding="utf-8"))["features"]
                 if f["properties"].get("category") == "post_office"]
        if feats:
            lon = np.array([f["geometry"]["coordinates"][0] for f in feats], float)
            lat = np.array([f["geometry"]["coordinates"][1] for f in feats], float)
            x, y = lonlat_to_bng(lon, lat)
            props = [f["properties"] for f in feats]
            out.append(_frame(place_id=[f"post-office-osm-{p['osm_type']}-{p['osm_id']}" for p in props],
                              name=[p.get("name") or "Post Office" for p in props], host="post_office",
                              retailer="", size_band="", address="",
                              postcode=[p.get("addr_postcode") or "" for p in props], x=x, y=y,
                              source="OpenStreetMap post offices, Newport extract 2023-06-13 (ODbL)"))
    return out


def load_area_places(national: Path, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Candidate host places from the national files inside ``areas`` (:data:`geodata.places.PLACE_COLUMNS`).

    Supermarkets (GEOLYTIX, GB), libraries (England 2023, Wales), fire stations
    (England 2018; none for Wales) and, where the pack has them, OSM post offices.
    """
    import pandas as pd

    from geodata.places import PLACE_COLUMNS, _within

    parts = [_within(df, areas, str(df["host"].iloc[0])) for df in _host_frames(Path(national)) if len(df)]
    out = pd.concat(parts, ignore_index=True)
    dup = out["place_id"].duplicated()
    if dup.any():
        log.info("dropping %d places with duplicate ids (e.g. %s)", int(dup.sum()), out.loc[dup, "place_id"].iloc[0])
        out = out[~dup]
    return out[list(PLACE_COLUMNS)].reset_index(drop=True)
