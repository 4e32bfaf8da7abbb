"""The site register (front counters and other police sites) and the candidate
sites (host places where a contact point could open).

Every site has a stable ``site_id``; sites with no usable location stay in the
register, are left out of coverage with a warning, and are listed as problems.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from estate.errors import DuplicateSiteError, HoursError, RegisterError
from estate.hours import Hours, parse_hours
from estate.siteindex import SiteIndex
from geodata import Layer, read_table, register, require_columns
from geodata.places import check_in_great_britain, point_from_record, slugify
from geodata.postcodes import Geocoder, UnknownPostcodeError
from geodata.travel.base import Points

__all__ = [
    "KINDS",
    "REDUCED_HOURS_ASSUMED",
    "SITE_COLUMNS",
    "Estate",
    "build_estate",
    "candidates_from_places",
    "load_met_register",
    "load_register_csv",
]

log = logging.getLogger(__name__)

KINDS = ("front_counter", "contact_point", "police_station", "candidate")

SITE_COLUMNS = (
    "site_id", "name", "kind", "host", "area_code", "area_name", "x", "y", "hours",
    "open", "footfall", "annual_cost", "address", "postcode", "retailer", "source",
    "notes", "located", "problem",
)

#: The five part-time counters' hours were not published; assumed weekday daytime.
REDUCED_HOURS_ASSUMED = "Mo-Fr 10:00-18:00"

#: Footfall (crimes reported per day) where a source gives it.
KNOWN_FOOTFALL: dict[str, tuple[float, str]] = {
    "charing-cross": (15.0, "Met, Aug 2025: busiest counter, about 15 crimes reported a day"),
}

MET_COUNTERS = register(Layer(
    "met_front_counters", "estate/met_front_counters_2024_2026_status.csv",
    ("name", "borough", "address", "postcode", "easting", "northing", "is_24_7_2024",
     "closed_2026", "proposed_closure_aug2025"),
    "Met front counters 2024-26, compiled from public sources (see FRONT_COUNTER_FACTS.md)",
    "facts from public sources; coordinates OGL (Code-Point Open) / ODbL (OSM)",
    rows=(1, 10_000),
))


def _met_site_id(name: str) -> str:
    base = name.split("(")[0].replace("Police Station", "")
    return slugify(base)


def _area_lookup(areas: gpd.GeoDataFrame) -> dict[str, str]:
    return {slugify(n): c for n, c in zip(areas["name"], areas["code"], strict=True)}


def load_met_register(data_dir: Path, areas: gpd.GeoDataFrame, geocoder: Geocoder | None = None) -> pd.DataFrame:
    """The Met's front counters of 2024-26 as a site frame (:data:`SITE_COLUMNS`).

    Open in the register = a public counter in 2024 (37 counters).  Hours: ``24/7``
    where the pack says so; the five part-time counters get
    :data:`REDUCED_HOURS_ASSUMED` (their exact hours were not published).
    """
    t = read_table("met_front_counters", data_dir)
    lookup = _area_lookup(areas)
    names = dict(zip(areas["code"], areas["name"], strict=True))
    rows = []
    for i, r in enumerate(t.to_dict("records")):
        name = str(r["name"])
        sid = _met_site_id(name)
        notes = "" if pd.isna(r.get("notes")) else str(r["notes"])
        h24 = r.get("is_24_7_2024")
        if name.startswith("Forest Gate"):
            kind, is_open, hours = "front_counter", False, "24/7"
            notes = (notes + " Closed since the fire of 6 Mar 2024; Newham's counter moved to Stratford.").strip()
        elif pd.isna(h24) or "Wood Green" in name:
            kind, is_open, hours = "police_station", False, "24/7"
        elif int(h24) == 1:
            kind, is_open, hours = "front_counter", True, "24/7"
        else:
            kind, is_open, hours = "front_counter", True, REDUCED_HOURS_ASSUMED
            notes = (notes + f" Exact part-time hours not published; assumed {REDUCED_HOURS_ASSUMED}.").strip()
        code = lookup.get(slugify(str(r["borough"])), "")
        foot, foot_src = KNOWN_FOOTFALL.get(sid, (np.nan, ""))
        rows.append({
            "site_id": sid, "name": name, "kind": kind, "host": "police",
            "area_code": code, "area_name": names.get(code, str(r["borough"])),
            "x": r.get("easting"), "y": r.get("northing"), "hours": hours, "open": is_open,
            "footfall": foot, "annual_cost": np.nan,
            "address": "" if pd.isna(r.get("address")) else str(r["address"]),
            "postcode": "" if pd.isna(r.get("postcode")) else str(r["postcode"]),
            "retailer": "",
            "source": f"{MET_COUNTERS.path} row {i + 2}" + (f"; footfall: {foot_src}" if foot_src else ""),
            "notes": notes,
        })
    return _validate(pd.DataFrame(rows), MET_COUNTERS.path, areas, geocoder)


#: the words a yes/no column of a register may hold (any case); anything else is an error
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "open"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "closed"})

#: the most sites a register may hold: the matrices are units x sites per mode and band
MAX_SITES = 20_000
#: the largest register file read
MAX_REGISTER_BYTES = 50_000_000


def parse_bool(value: object, where: str, column: str, *, default: bool) -> bool:
    """A register's yes/no cell: true/false, yes/no, y/n, 1/0, open/closed (any case); empty = ``default``.

    Examples
    --------
    >>> parse_bool("FALSE", "r.csv row 2", "open", default=True), parse_bool(" Open ", "", "open", default=False)
    (False, True)
    """
    v = str(value if value is not None else "").strip().lower()
    if not v:
        return default
    if v in TRUE_WORDS:
        return True
    if v in FALSE_WORDS:
        return False
    raise RegisterError(f"{where}: {column} is {value!r}; write one of true/false, yes/no, y/n, 1/0, open/closed")


def _number(value: str, where: str, column: str) -> float:
    v = (value or "").strip().replace(",", "")
    if not v:
        return np.nan
    try:
        out = float(v)
    except ValueError:
        raise RegisterError(f"{where}: {column} is {value!r}, not a number; write a plain number "
                            "such as 12.5, or leave it empty") from None
    if not np.isfinite(out) or out < 0:
        raise RegisterError(f"{where}: {column} is {value!r}; expected a number of 0 or more")
    return out


def _read_register_table(path: Path) -> pd.DataFrame:
    """The register CSV as text cells, after the early checks (it exists, its size, its row count)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise RegisterError(f"{path}: cannot be read ({exc.strerror or exc}); check the --register path") from None
    if not p.is_file():
        raise RegisterError(f"{path} is a folder, not a CSV file; give the register's CSV file")
    if size > MAX_REGISTER_BYTES:
        raise RegisterError(f"{path}: {size / 1e6:,.0f} MB is more than a register holds; at most "
                            f"{MAX_SITES:,} sites ({MAX_REGISTER_BYTES / 1e6:,.0f} MB) fit")
    with open(p, "rb") as fh:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    if lines - 1 > MAX_SITES:
        raise RegisterError(
            f"{path}: about {lines - 1:,} rows; at most {MAX_SITES:,} sites fit (each mode and band keeps a "
            f"matrix of every resident unit to every site: 4,994 LSOAs x {lines - 1:,} sites would be "
            f"{4994 * (lines - 1) * 4 / 1e9:,.1f} GB). Split the register, or keep only the sites in question.")
    try:
        t = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, OSError) as exc:
        raise RegisterError(f"{path}: cannot be read as CSV ({exc}); save it as UTF-8 CSV with a header row") from exc
    if t.empty:
        raise RegisterError(f"{path}: has a header but no sites; add one row per site below the header")
    return t


def load_register_csv(path: Path, areas: gpd.GeoDataFrame, geocoder: Geocoder | None = None) -> pd.DataFrame:
    """Load a user's register CSV: ``site_id``, ``name``, ``hours`` and a location.

    Optional columns: ``kind`` (default front_counter), ``host`` (police),
    ``borough`` (GSS code or name; else found from the location), ``open``
    (a yes/no word, :func:`parse_bool`; default open), ``footfall``, ``annual_cost``,
    ``address``, ``postcode``.  A location is ``easting``/``northing``,
    ``lon``/``lat``, or a ``postcode``.  At most :data:`MAX_SITES` rows.
    """
    t = _read_register_table(path)
    require_columns(t.columns, ("site_id", "name", "hours"), str(path),
                    fix="a register needs site_id, name, hours and a location")
    lookup = _area_lookup(areas)
    names = dict(zip(areas["code"], areas["name"], strict=True))
    rows = []
    for i, r in enumerate(t.to_dict("records")):
        where = f"{path} row {i + 2}"
        x, y = point_from_record(r, where) or (np.nan, np.nan)
        b = r.get("borough", "")
        code = b if b in names else lookup.get(slugify(b), "")
        rows.append({
            "site_id": r["site_id"].strip(), "name": r["name"], "kind": r.get("kind") or "front_counter",
            "host": r.get("host") or "police", "area_code": code, "area_name": names.get(code, b),
            "x": x, "y": y, "hours": r["hours"], "open": parse_bool(r.get("open"), where, "open", default=True),
            "footfall": _number(r.get("footfall", ""), where, "footfall"),
            "annual_cost": _number(r.get("annual_cost", ""), where, "annual_cost"),
            "address": r.get("address", ""), "postcode": r.get("postcode", ""), "retailer": "",
            "source": f"{r['source']}; {where}" if r.get("source") else where, "notes": r.get("notes", ""),
        })
    return _validate(pd.DataFrame(rows), str(path), areas, geocoder, postcodes_must_place=True)


def _validate(df: pd.DataFrame, source: str, areas: gpd.GeoDataFrame, geocoder: Geocoder | None,
              *, postcodes_must_place: bool = False) -> pd.DataFrame:
    """Check ids, hours, locations and boroughs of a register, once, where it enters.

    With ``postcodes_must_place`` (a user's register), a row placed only by a postcode the
    geocoder does not know is an error naming every such row, not a site left out.
    """
    dup = df["site_id"].duplicated(keep=False)
    if dup.any():
        first = df.loc[dup, "site_id"].iloc[0]
        rows = [int(i) + 2 for i in np.flatnonzero((df["site_id"] == first).to_numpy())]
        raise DuplicateSiteError(
            f"{source}: site_id {first!r} appears on rows {rows}; every site needs its own id "
            "(rename one, e.g. add the street name)."
        )
    for i, r in enumerate(df.to_dict("records")):
        if r["kind"] not in KINDS:
            raise RegisterError(f"{source} row {i + 2}: kind {r['kind']!r} is not one of {', '.join(KINDS)}")
        try:
            parse_hours(r["hours"])
        except HoursError as exc:
            raise HoursError(f"{source} row {i + 2} ({r['site_id']}): {exc}") from None
    df = df.copy()
    df["x"] = pd.to_numeric(df["x"], errors="coerce")
    df["y"] = pd.to_numeric(df["y"], errors="coerce")
    problems = [""] * len(df)
    unfound: list[tuple[int, str, str]] = []
    for i, r in enumerate(df.to_dict("records")):
        if not (np.isfinite(r["x"]) and np.isfinite(r["y"])) and r["postcode"] and geocoder is not None:
            try:
                df.loc[df.index[i], ["x", "y"]] = geocoder.lookup(r["postcode"])
            except UnknownPostcodeError as exc:
                problems[i] = f"no coordinates, and {exc}"
                unfound.append((i + 2, str(r["site_id"]), str(r["postcode"])))
        x, y = df["x"].iloc[i], df["y"].iloc[i]
        if np.isfinite(x) and np.isfinite(y):
            check_in_great_britain(float(x), float(y), f"{source} row {i + 2} ({r['site_id']})")
        elif not problems[i]:
            problems[i] = "no coordinates and no postcode in the sources; give easting/northing or a postcode"
    if unfound and postcodes_must_place:
        listed = "; ".join(f"row {row} ({sid}): {pc!r}" for row, sid, pc in unfound[:20])
        more = f" and {len(unfound) - 20} more" if len(unfound) > 20 else ""
        vintage = getattr(geocoder, "vintage", "")
        raise RegisterError(
            f"{source}: {len(unfound)} postcode(s) not found in Code-Point Open {vintage}: {listed}{more}. "
            "Correct them, or give those rows easting/northing or lon/lat."
        )
    df["located"] = df["x"].notna() & df["y"].notna()
    # every located site inside the borough it claims
    loc = df[df["located"]]
    pts = gpd.GeoDataFrame(loc[["site_id"]], geometry=gpd.points_from_xy(loc["x"], loc["y"]), crs=27700)
    zones = areas[["code", "name", "geometry"]].rename(columns={"code": "in_code", "name": "in_name"})
    j = gpd.sjoin(pts, zones, how="left", predicate="within")
    j = j[~j.index.duplicated()]
    for idx, row in j.iterrows():
        pos = df.index.get_loc(idx)
        claimed = df.at[idx, "area_code"]
        if pd.isna(row["in_code"]):
            problems[pos] = (problems[pos] + " lies outside every borough of the study area").strip()
        elif not claimed:
            df.at[idx, "area_code"], df.at[idx, "area_name"] = row["in_code"], row["in_name"]
        elif claimed != row["in_code"]:
            problems[pos] = (problems[pos] + f" claims {df.at[idx, 'area_name']} but lies in {row['in_name']}").strip()
    df["problem"] = problems
    _check_study_area(df, j, zones, source)
    for r in df[df["problem"] != ""].itertuples():
        log.warning("site %s (%s): %s", r.site_id, r.name, r.problem)
    df["footfall"] = pd.to_numeric(df["footfall"], errors="coerce")
    df["annual_cost"] = pd.to_numeric(df["annual_cost"], errors="coerce")
    return df[list(SITE_COLUMNS)].reset_index(drop=True)


def _check_study_area(df: pd.DataFrame, joined: pd.DataFrame, zones: gpd.GeoDataFrame, source: str) -> None:
    """Refuse a register most of whose located sites lie outside the study area, naming the likely cause."""
    loc = df[df["located"]]
    located, outside = len(loc), int(joined["in_code"].isna().sum())
    if located < 3 or outside * 2 <= located:
        return
    x, y = loc["x"].to_numpy(float), loc["y"].to_numpy(float)
    swapped = gpd.GeoDataFrame(geometry=gpd.points_from_xy(y, x), crs=27700)
    inside_if_swapped = gpd.sjoin(swapped, zones, how="inner", predicate="within").index.nunique()
    hint = ""
    if inside_if_swapped * 2 > located:
        hint = " Most would fall inside if easting and northing were swapped: check the order of the two columns."
    elif np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90):
        hint = " The values look like longitude and latitude: name those columns lon and lat."
    else:
        hint = " Is the register for another area than the data pack's?"
    raise RegisterError(
        f"{source}: {outside} of {located} located sites lie outside every borough of the study area "
        f"(e.g. {loc['site_id'].iloc[0]!r} at {x[0]:.0f}, {y[0]:.0f}).{hint} Fix the coordinates, "
        "or use the data pack of the register's area.")


def candidates_from_places(places: pd.DataFrame) -> pd.DataFrame:
    """Candidate sites (closed until a scenario opens them) from host places."""
    return pd.DataFrame({
        "site_id": places["place_id"].astype(str), "name": places["name"], "kind": "candidate",
        "host": places["host"], "area_code": places["area_code"], "area_name": places["area_name"],
        "x": places["x"].astype(float), "y": places["y"].astype(float), "hours": "",
        "open": False, "footfall": np.nan, "annual_cost": np.nan, "address": places["address"],
        "postcode": places["postcode"], "retailer": places["retailer"], "source": places["source"],
        "notes": places["size_band"].where(places["size_band"] == "", "size " + places["size_band"]),
        "located": True, "problem": "",
    })[list(SITE_COLUMNS)]


@dataclass(frozen=True, eq=False)
class Estate:
    """Register plus candidates: every site a scenario can name.

    ``sites`` is indexed by ``site_id``; ``columns`` are the located sites, in
    matrix-column order.
    """

    sites: pd.DataFrame

    def __post_init__(self) -> None:
        s = self.sites.reset_index(drop=True)
        dup = s["site_id"].duplicated()
        if dup.any():
            raise DuplicateSiteError(
                f"site_id {s.loc[dup, 'site_id'].iloc[0]!r} is both a register site and a candidate; rename one"
            )
        s = s.set_index("site_id", drop=False)
        object.__setattr__(self, "sites", s)
        located = s[s["located"]]
        object.__setattr__(self, "column_ids", located.index.to_numpy(str))
        object.__setattr__(self, "index", SiteIndex(
            s.index.to_numpy(str), s["hours"].fillna("").astype(str).to_numpy(),
            s["located"].astype(bool).to_numpy(), (s["kind"] != "candidate").to_numpy(),
            s["open"].fillna(False).astype(bool).to_numpy(),
        ))

    column_ids: np.ndarray = None  # type: ignore[assignment]
    #: the same sites as plain arrays: what scenarios ask of the estate
    index: SiteIndex = None  # type: ignore[assignment]

    @property
    def register(self) -> pd.DataFrame:
        """The register (everything but candidates)."""
        return self.sites[self.sites["kind"] != "candidate"]

    @property
    def candidates(self) -> pd.DataFrame:
        """Candidate host places."""
        return self.sites[self.sites["kind"] == "candidate"]

    @property
    def problems(self) -> pd.DataFrame:
        """Register sites with a location problem."""
        return self.sites[self.sites["problem"] != ""]

    def points(self) -> Points:
        """Located sites as matrix-column points."""
        s = self.sites.loc[self.column_ids]
        return Points(s.index, s["x"], s["y"])

    # the questions scenarios ask, answered by the index (see estate.siteindex.SiteLookup)
    def column(self, site_id: str) -> int:
        """The matrix column of a located site."""
        return self.index.column(site_id)

    def has_column(self, site_id: str) -> bool:
        """Is the site located (has a matrix column)?"""
        return self.index.has_column(site_id)

    def hours(self, text: str) -> Hours:
        """Parse (memoised) an hours string."""
        return self.index.hours(text)

    def check_id(self, site_id: str, where: str = "") -> str:
        """Return ``site_id`` if known, else raise :class:`UnknownSiteError` with close matches."""
        return self.index.check_id(site_id, where)

    def register_hours(self) -> dict[str, str]:
        """The register as loaded: every open register site and its hours."""
        return self.index.register_hours()

    def default_hours(self, site_id: str) -> str:
        """A site's own hours (empty for most candidates)."""
        return self.index.default_hours(site_id)

    def is_located(self, site_id: str) -> bool:
        """Has the site a location?"""
        return self.index.is_located(site_id)


def build_estate(register_frame: pd.DataFrame, candidates: pd.DataFrame) -> Estate:
    """Combine a register and candidates into an :class:`Estate`."""
    return Estate(pd.concat([register_frame, candidates], ignore_index=True))
