"""The ``transit`` engine: public-transport travel times over a stop graph.

Built from the data pack's TfL files (bus route stop sequences, Tube/DLR/Elizabeth
line run times, London Overground links) or from a GTFS feed.  Waiting is modelled
from *headways* (a wait of half the interval between departures), not from a
timetable, so a time is the typical door-to-door journey at a random moment in the
band, not the journey of one particular departure.  Every assumption lives in
:class:`TransitSettings`; ``docs/transit.md`` explains and sources each one.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer

from geodata.errors import CRSError, DataError, MissingColumnError, MissingDataError
from geodata.travel import _gtfs
from geodata.travel._gtfs import GTFSColumnError
from geodata.travel._transit_graph import (
    ServiceNetwork,
    StopGraph,
    TransitDataWarning,
    assemble_network,
    build_graph,
    shortest_path,
    travel_matrix,
)
from geodata.travel.base import Points, ProgressFn, TimeBand, parse_band
from geodata.travel.crowfly import CrowflySettings

__all__ = [
    "GTFSColumnError",
    "Journey",
    "Leg",
    "TransitDataWarning",
    "TransitEngine",
    "TransitSettings",
]

log = logging.getLogger(__name__)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _stations(names: str) -> frozenset[str]:
    return frozenset(names.split("|"))


#: TfL London Overground lines (2024 names) by the station names of the CASA0002
#: GraphML, whose Overground edges are all labelled just "London Overground".  An edge
#: belongs to every line that serves both its ends (Highbury & Islington - Canonbury
#: is on both Mildmay and Windrush).  Gunnersbury - Richmond is labelled District in
#: the GraphML (shared track), so Mildmay riders to Richmond change at Gunnersbury.
OVERGROUND_LINES: dict[str, frozenset[str]] = {
    "Lioness": _stations(
        "Euston|South Hampstead|Kilburn High Road|Queen's Park|Kensal Green|"
        "Willesden Junction|Harlesden|Stonebridge Park|Wembley Central|North Wembley|"
        "South Kenton|Kenton|Harrow & Wealdstone|Headstone Lane|Hatch End|Carpenders Park|"
        "Bushey|Watford High Street|Watford Junction"
    ),
    "Mildmay": _stations(
        "Stratford|Hackney Wick|Homerton|Hackney Central|Dalston Kingsland|Canonbury|"
        "Highbury & Islington|Caledonian Road & Barnsbury|Camden Road|Kentish Town West|"
        "Gospel Oak|Hampstead Heath|Finchley Road & Frognal|West Hampstead|Brondesbury|"
        "Brondesbury Park|Kensal Rise|Willesden Junction|Acton Central|South Acton|"
        "Gunnersbury|Shepherd's Bush|Kensington|West Brompton|Imperial Wharf|"
        "Clapham Junction"
    ),
    "Suffragette": _stations(
        "Gospel Oak|Upper Holloway|Crouch Hill|Harringay Green Lanes|South Tottenham|"
        "Blackhorse Road|Walthamstow Queens Road|Leyton Midland Road|Leytonstone High Road|"
        "Wanstead Park|Woodgrange Park|Barking"
    ),
    "Weaver": _stations(
        "Liverpool Street|Bethnal Green|Cambridge Heath|London Fields|Hackney Downs|"
        "Rectory Road|Stoke Newington|Stamford Hill|Seven Sisters|Bruce Grove|"
        "White Hart Lane|Silver Street|Edmonton Green|Bush Hill Park|Enfield Town|Southbury|"
        "Turkey Street|Theobalds Grove|Cheshunt|Clapton|St James Street|"
        "Walthamstow Central|Wood Street|Highams Park|Chingford"
    ),
    "Windrush": _stations(
        "Highbury & Islington|Canonbury|Dalston Junction|Haggerston|Hoxton|"
        "Shoreditch High Street|Whitechapel|Shadwell|Wapping|Rotherhithe|Canada Water|"
        "Surrey Quays|New Cross|New Cross Gate|Brockley|Honor Oak Park|Forest Hill|Sydenham|"
        "Crystal Palace|Penge West|Anerley|Norwood Junction|West Croydon|"
        "Queens Road Peckham|Peckham Rye|Denmark Hill|Clapham High Street|Wandsworth Road|"
        "Clapham Junction|Battersea Park"
    ),
    "Liberty": frozenset(["Romford", "Emerson Park", "Upminster"]),
}

#: Lines of the Tube file that no longer run as such: the old East London Line
#: (Shoreditch - New Cross) closed in 2007; today's Windrush line comes from the GraphML.
SUPERSEDED_TUBE_LINES: tuple[str, ...] = ("East London Line",)

_RAIL_MODES = frozenset({"tube", "dlr", "elizabeth", "overground"})


@dataclass(frozen=True)
class TransitSettings:
    """Every assumption of the transit engine; override with :func:`dataclasses.replace`.

    Times are minutes, speeds km/h, distances metres (straight line unless stated).
    ``docs/transit.md`` has the table of values and sources.
    """

    # --- walking ---------------------------------------------------------------
    #: walking speed, km/h: the usual planning figure, also TfL's PTAL method (as crowfly)
    walk_kmh: float = 4.8
    #: walked distance / straight-line distance (the crowfly engine's calibrated figure)
    walk_detour: float = CrowflySettings.walk_detour
    #: longest walk to the first stop or from the last stop, straight line.  TfL's PTAL
    #: counts bus stops within 640 m and rail stations within 960 m *walked*; 800 m
    #: straight line (about 1 km and 13 min walked) sits between the two
    max_access_m: float = 800.0
    #: stops closer than this are joined by walking transfers (about 4 min walked)
    transfer_m: float = 250.0

    # --- boarding --------------------------------------------------------------
    #: added to the wait at every bus, tram or river boarding: reaching the stop
    #: pole, the bus pulling in, boarding and paying (an allowance, not measured)
    board_penalty_min: float = 1.0
    #: added at every Tube, DLR, Elizabeth line or Overground boarding: street or
    #: interchange passage to platform (the Tube file's run times exclude this)
    rail_board_penalty_min: float = 2.0

    # --- in-vehicle speeds where the data gives no run time ---------------------
    #: scheduled bus speed by day incl. stops: TfL bus speed statistics put London's
    #: average at about 11-15 km/h (7-9 mph), slowest in the centre; we take 11
    bus_day_kmh: float = 11.0
    #: night buses run on empty roads; about 1.5x the day figure
    bus_night_kmh: float = 16.0
    #: Tramlink (tram routes T1-T4 in the bus sequences file), including stops:
    #: assumed (no tram timetable in the pack), about twice the day bus speed
    tram_kmh: float = 20.0
    #: river buses (RB routes): about 25 km/h including pier calls
    river_kmh: float = 25.0
    #: Overground (GraphML gives lengths only): calibrated on the 16 Overground edges
    #: that also appear in the Tube file with run times (34.0 km/h); see docs
    overground_kmh: float = 34.0

    # --- headways (minutes between departures; the wait is half) ----------------
    #: a typical daytime London bus route runs every 6-12 min off-peak
    bus_day_headway_min: float = 9.0
    #: night buses (N routes) mostly run every 20-30 min
    bus_night_headway_min: float = 25.0
    #: Tramlink off-peak, every 10 min on each route
    tram_headway_min: float = 10.0
    #: river buses, roughly every 20 min
    river_headway_min: float = 20.0
    #: Tube lines off-peak, every 3-5 min on the trunk sections
    tube_day_headway_min: float = 4.0
    #: Night Tube: "every 10 minutes on average" (TfL), 20 on some branches
    tube_night_headway_min: float = 10.0
    #: DLR off-peak, every 5-8 min on each route
    dlr_headway_min: float = 6.0
    #: Elizabeth line off-peak, 12 trains an hour in the central section
    elizabeth_headway_min: float = 5.0
    #: Overground off-peak, 4-8 trains an hour on most lines (see overrides)
    overground_day_headway_min: float = 10.0
    #: Night Overground (Highbury & Islington - New Cross Gate), every 15 min (TfL)
    overground_night_headway_min: float = 15.0
    #: daytime headways of named lines that differ from their mode's figure:
    #: Liberty 2 trains/h, Lioness 3/h, Suffragette and Weaver 4/h per branch
    line_headway_min: tuple[tuple[str, float], ...] = (
        ("Liberty", 30.0),
        ("Lioness", 20.0),
        ("Suffragette", 15.0),
        ("Weaver", 15.0),
    )

    # --- what runs when ----------------------------------------------------------
    #: bus routes whose name matches this are night routes (TfL prefixes them with N)
    night_routes_regex: str = r"^N\d+[A-Z]?$"
    #: day routes that also run all night.  The pack has no list of 24-hour routes,
    #: so by default none is assumed; add names such as "25" or "88" if known
    night_24h_routes: tuple[str, ...] = ()
    #: routes in the bus sequences file that are not regular public services:
    #: UL = Underground rail-replacement buses, RT = river tours, 6xx = school-day
    #: routes (not running at noon or at night), 23A = the once-a-year Imberbus
    excluded_routes_regex: str = r"^(UL\d+|RT\d+|6\d\d|23A)$"
    #: Tramlink routes in the bus sequences file (all their stops are "virtual")
    tram_routes_regex: str = r"^T\d+$"
    #: river bus routes in the bus sequences file
    river_routes_regex: str = r"^RB"
    #: lines that run all night on Friday and Saturday nights: the Night Tube lines
    #: and the Night Overground on the East London line (today's Windrush line)
    night_tube_lines: tuple[str, ...] = (
        "Victoria",
        "Jubilee",
        "Central",
        "Northern",
        "Piccadilly",
        "Windrush",
    )
    #: nights with the Night Tube, as ``TimeBand.night_of`` (4 Friday, 5 Saturday)
    night_tube_nights: tuple[int, ...] = (4, 5)
    #: stations each Night Tube line does not serve at night (TfL Night Tube map):
    #: Central only Ealing Broadway - Hainault/Loughton; Northern only via Charing
    #: Cross, not Mill Hill East or Battersea; Piccadilly not T4 or the Uxbridge
    #: branch; Night Overground only Highbury & Islington - New Cross Gate
    night_closed_stations: tuple[tuple[str, tuple[str, ...]], ...] = (
        (
            "Central",
            (
                "Hanger Lane",
                "Perivale",
                "Greenford",
                "Northolt",
                "South Ruislip",
                "Ruislip Gardens",
                "West Ruislip",
                "Debden",
                "Theydon Bois",
                "Epping",
                "Roding Valley",
                "Chigwell",
                "Grange Hill",
            ),
        ),
        (
            "Northern",
            (
                "Mill Hill East",
                "King's Cross St. Pancras",
                "Angel",
                "Old Street",
                "Moorgate",
                "Bank",
                "London Bridge",
                "Borough",
                "Elephant & Castle",
                "Nine Elms",
                "Battersea Power Station",
            ),
        ),
        (
            "Piccadilly",
            (
                "Heathrow Terminal 4",
                "Ealing Common",
                "North Ealing",
                "Park Royal",
                "Alperton",
                "Sudbury Town",
                "Sudbury Hill",
                "South Harrow",
                "Rayners Lane",
                "Eastcote",
                "Ruislip Manor",
                "Ruislip",
                "Ickenham",
                "Hillingdon",
                "Uxbridge",
            ),
        ),
        (
            "Windrush",
            (
                "New Cross",
                "Brockley",
                "Honor Oak Park",
                "Forest Hill",
                "Sydenham",
                "Crystal Palace",
                "Penge West",
                "Anerley",
                "Norwood Junction",
                "West Croydon",
                "Queens Road Peckham",
                "Peckham Rye",
                "Denmark Hill",
                "Clapham High Street",
                "Wandsworth Road",
                "Clapham Junction",
                "Battersea Park",
            ),
        ),
    )

    # --- GTFS ----------------------------------------------------------------------
    #: GTFS headways: departures are counted in a window of this many minutes
    #: centred on the band's time, at each stop of a line; headway = window / median
    gtfs_window_min: float = 60.0

    # --- output ----------------------------------------------------------------------
    #: times beyond this many minutes are ``inf``
    cutoff_min: float = 180.0

    @property
    def walk_mps(self) -> float:
        """Effective walking speed over straight-line distance, m/s (speed / detour)."""
        return self.walk_kmh / 3.6 / self.walk_detour

    def headway_min(self, mode: str, line: str, *, night: bool) -> float:
        """The assumed headway of ``line`` (short name) of ``mode`` by day or at night."""
        if not night:
            for name, minutes in self.line_headway_min:
                if name == line:
                    return minutes
        table = {
            "bus": self.bus_night_headway_min if night else self.bus_day_headway_min,
            "tram": self.tram_headway_min,
            "river": self.river_headway_min,
            "tube": self.tube_night_headway_min if night else self.tube_day_headway_min,
            "dlr": self.dlr_headway_min,
            "elizabeth": self.elizabeth_headway_min,
            "overground": (
                self.overground_night_headway_min if night else self.overground_day_headway_min
            ),
        }
        return table[mode]

    def board_penalty_s(self, mode: str) -> float:
        """Boarding allowance of ``mode`` in seconds."""
        minutes = self.rail_board_penalty_min if mode in _RAIL_MODES else self.board_penalty_min
        return minutes * 60.0


# ----------------------------------------------------------------------------------
# journeys
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """One step of a journey: ``walk``, ``wait``, ``ride`` or ``transfer``."""

    kind: str
    seconds: float
    #: plain description, e.g. "ride bus 38 from A to B (9 stops)"
    text: str
    line: str | None = None
    from_stop: str | None = None
    to_stop: str | None = None


@dataclass(frozen=True)
class Journey:
    """The engine's fastest journey between two points in a band."""

    band: str
    variant: str
    #: door-to-door seconds (``inf`` beyond the cutoff): what :meth:`TransitEngine.matrix` gives
    seconds: float
    #: walking the whole way, seconds (the cap)
    walk_seconds: float
    legs: tuple[Leg, ...]

    @property
    def minutes(self) -> float:
        """Door-to-door minutes."""
        return self.seconds / 60.0

    @property
    def walks_all_the_way(self) -> bool:
        """True when walking is at least as fast as any public transport."""
        return len(self.legs) == 1 and self.legs[0].kind == "walk"

    def describe(self) -> str:
        """A few lines: the total, then one line per leg with its minutes."""
        head = (
            f"{self.minutes:.1f} min ({self.band}, {self.variant} network); "
            f"walking all the way {self.walk_seconds / 60:.1f} min"
        )
        return "\n".join([head, *(f"  {lg.seconds / 60:5.1f} min  {lg.text}" for lg in self.legs)])


# ----------------------------------------------------------------------------------
# TfL source
# ----------------------------------------------------------------------------------

_BUS_FILE = "tfl_bus_sequences_2019.csv"
_TUBE_STATIONS = "tube_dlr_elizabeth_stations.csv"
_TUBE_LINKS = "tube_dlr_elizabeth_connections.csv"
_TUBE_LINES = "tube_dlr_elizabeth_lines.csv"
_OVERGROUND = "casa0002_london_rail_network.graphml"
_TFL_FILES = (_BUS_FILE, _TUBE_STATIONS, _TUBE_LINKS, _TUBE_LINES, _OVERGROUND)

_BUS_COLUMNS = (
    "Route",
    "Run",
    "Sequence",
    "Stop_Code_LBSL",
    "Stop_Name",
    "Location_Easting",
    "Location_Northing",
    "Virtual_Bus_Stop",
)
_WGS84_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
_MODE_LABEL = {"bus": "bus", "tram": "tram", "river": "river bus"}


def _clean_name(s: pd.Series) -> pd.Series:
    return s.astype(str).str.replace("\xa0", " ").str.strip()


def _tidy_bus_stop_names(s: pd.Series) -> pd.Series:
    """TfL's upper-case stop names without map symbols: 'NEW CROSS STATION #' -> 'New Cross Station'.

    Bracketed mode tags stay upper case ('Lewisham Station [DLR]').
    """
    s = s.astype(str).str.replace(r"\s*(?:<>|>R<|>T<|#|<T>)\s*", " ", regex=True)
    s = s.str.replace(r"\s+", " ", regex=True).str.strip().str.title()
    s = s.str.replace(r"\[([^\]]*)\]", lambda m: f"[{m.group(1).upper()}]", regex=True)
    return s.str.replace(r"'S\b", "'s", regex=True)


def _require(df: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnError(
            f"{path.name}: missing column(s) {', '.join(missing)}; found "
            f"{', '.join(map(str, df.columns))}. Use the TfL file with its original header."
        )


def _read_csv(path: Path, **kw: Any) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **kw)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read it as CSV ({exc})") from exc


def _find_tfl_dir(data_dir: Path) -> Path:
    for cand in (
        data_dir / "network" / "public_transport",
        data_dir / "public_transport",
        data_dir,
    ):
        if (cand / _BUS_FILE).is_file():
            break
    else:
        raise MissingDataError(
            f"no TfL bus sequences file {_BUS_FILE} under {data_dir} (looked in "
            "network/public_transport/, public_transport/ and the folder itself); point "
            "the transit engine at the data pack, or pass gtfs= a GTFS feed"
        )
    missing = [f for f in _TFL_FILES if not (cand / f).is_file()]
    if missing:
        raise MissingDataError(
            f"{cand}: missing {', '.join(missing)} (see the pack's PROVENANCE.md)"
        )
    return cand


@dataclass(eq=False)
class _TflSource:
    """The TfL files read once into stops, lines and segments (all variants)."""

    folder: Path
    settings: TransitSettings
    stops: pd.DataFrame = field(init=False)
    lines: pd.DataFrame = field(init=False)
    segs: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        bus_stops, bus_lines, bus_segs = self._read_bus()
        rail_stops, rail_lines, rail_segs = self._read_tube()
        og_stops, og_lines, og_segs = self._read_overground()
        self.stops = pd.concat([bus_stops, rail_stops, og_stops], ignore_index=True)
        self.lines = pd.concat([bus_lines, rail_lines, og_lines], ignore_index=True)
        self.segs = pd.concat([bus_segs, rail_segs, og_segs], ignore_index=True)
        log.info(
            "TfL network read from %s: %d stops, %d lines, %d segments",
            self.folder,
            len(self.stops),
            len(self.lines),
            len(self.segs),
        )

    @property
    def files(self) -> list[Path]:
        return [self.folder / f for f in _TFL_FILES]

    # bus sequences -------------------------------------------------------------
    def _read_bus(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        s = self.settings
        path = self.folder / _BUS_FILE
        df = _read_csv(path, dtype=str, keep_default_na=False)
        _require(df, _BUS_COLUMNS, path)
        df["_row"] = np.arange(len(df)) + 2  # line number in the file (header is line 1)
        df["Route"] = df["Route"].str.strip()
        # a trailing DOS end-of-file mark (Ctrl-Z) makes one empty row; drop such rows
        empty = df["Route"].str.strip("\x1a ") == ""
        df = df[~empty]
        x = pd.to_numeric(df["Location_Easting"], errors="coerce")
        y = pd.to_numeric(df["Location_Northing"], errors="coerce")
        run = pd.to_numeric(df["Run"], errors="coerce")
        seq = pd.to_numeric(df["Sequence"], errors="coerce")
        bad = x.isna() | y.isna() | (x <= 0) | (y <= 0) | run.isna() | seq.isna()
        if bad.any():
            rows = df.loc[bad, "_row"].tolist()
            shown = ", ".join(map(str, rows[:5])) + (" ..." if len(rows) > 5 else "")
            warnings.warn(
                f"{path.name}: skipped {len(rows)} route stop(s) without usable coordinates, "
                f"run or sequence (file line(s) {shown}); their routes run straight past them. "
                "Fix: fill Location_Easting/Location_Northing (EPSG:27700 metres)",
                TransitDataWarning,
                stacklevel=4,
            )
        df = df.assign(x=x, y=y, run=run, seq=seq)[~bad]
        excluded = df["Route"].str.match(s.excluded_routes_regex)
        if excluded.any():
            log.info(
                "%s: left out %d routes matching %r",
                path.name,
                df.loc[excluded, "Route"].nunique(),
                s.excluded_routes_regex,
            )
        df = df[~excluded].sort_values(["Route", "run", "seq"], kind="stable")

        route = df["Route"].to_numpy().astype(str)
        is_tram = df["Route"].str.match(s.tram_routes_regex).to_numpy()
        is_river = df["Route"].str.match(s.river_routes_regex).to_numpy()
        mode = np.where(is_tram, "tram", np.where(is_river, "river", "bus"))
        # virtual stops are route-shape points (timing points, stands) unless they carry
        # a real NaPTAN code (hail-and-ride sections, bus stations) or belong to a tram
        # or river route, whose every stop is flagged virtual in this file
        naptan = df.get("Naptan_Atco", pd.Series("", index=df.index)).str.strip()
        has_naptan = ~naptan.isin(["", "NONE", "0"])
        virtual = df["Virtual_Bus_Stop"].str.strip().isin(["1", "1.0", "True", "true"])
        boardable = (~virtual | has_naptan).to_numpy() | is_tram | is_river

        code = df["Stop_Code_LBSL"].str.strip()
        xs, ys = df["x"].to_numpy(), df["y"].to_numpy()
        fallback = (
            "xy:"
            + df["x"].round().astype(int).astype(str)
            + ":"
            + df["y"].round().astype(int).astype(str)
        )
        stop_id = np.where(code == "", fallback, "bus:" + code).astype(str)

        # distance along each run (virtual points shape the path), then segments
        # between consecutive boardable stops
        key = route + "/" + df["run"].astype(int).astype(str).to_numpy()
        same = np.zeros(len(key), dtype=bool)
        same[1:] = key[1:] == key[:-1]
        step = np.zeros(len(key))
        step[1:] = np.where(same[1:], np.hypot(np.diff(xs), np.diff(ys)), 0.0)
        cum = np.cumsum(step)
        b = np.flatnonzero(boardable)
        bk, bc, bs = key[b], cum[b], stop_id[b]
        cont = bk[1:] == bk[:-1]
        lines_key, first_row = np.unique(key, return_index=True)
        is_night = pd.Series(route[first_row]).str.match(s.night_routes_regex).to_numpy()
        line_route = route[first_row]
        line_mode = mode[first_row]
        lines = pd.DataFrame(
            {
                "key": "bus:" + lines_key,
                "short": line_route,
                "name": [
                    f"{'night bus' if n else _MODE_LABEL[m]} {r}"
                    for r, n, m in zip(line_route, is_night, line_mode, strict=True)
                ],
                "mode": line_mode,
                "night_bus": is_night,
            }
        )
        segs = pd.DataFrame(
            {
                "key": "bus:" + bk[:-1][cont],
                "stop_a": bs[:-1][cont],
                "stop_b": bs[1:][cont],
                "metres": (bc[1:] - bc[:-1])[cont],
                "seconds": np.nan,
            }
        )
        stops = pd.DataFrame(
            {
                "id": stop_id,
                "name": _tidy_bus_stop_names(df["Stop_Name"]).to_numpy(),
                "x": xs,
                "y": ys,
            }
        ).drop_duplicates("id")
        return stops, lines, segs

    # Tube, DLR, Elizabeth line ------------------------------------------------------
    def _read_tube(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        p_st, p_ln, p_li = (self.folder / f for f in (_TUBE_STATIONS, _TUBE_LINKS, _TUBE_LINES))
        st = _read_csv(p_st)
        _require(st, ("id", "latitude", "longitude", "name"), p_st)
        links = _read_csv(p_ln)
        _require(links, ("station1", "station2", "line", "time"), p_ln)
        lines = _read_csv(p_li)
        _require(lines, ("line", "name"), p_li)
        lat = pd.to_numeric(st["latitude"], errors="coerce")
        lon = pd.to_numeric(st["longitude"], errors="coerce")
        if lat.isna().any() or lon.isna().any():
            row = int(np.flatnonzero((lat.isna() | lon.isna()).to_numpy())[0]) + 2
            raise DataError(f"{p_st.name} line {row}: latitude/longitude is not a number")
        x, y = _WGS84_TO_BNG.transform(lon.to_numpy(), lat.to_numpy())
        stops = pd.DataFrame(
            {"id": "rail:" + st["id"].astype(str), "name": _clean_name(st["name"]), "x": x, "y": y}
        )
        name_of = dict(zip(stops["id"], stops["name"], strict=True))
        lines = lines[~_clean_name(lines["name"]).isin(SUPERSEDED_TUBE_LINES)].copy()
        full = _clean_name(lines["name"])
        short = full.str.replace(r"\s+Line$", "", regex=True)
        mode = np.where(
            full.str.contains("Docklands"),
            "dlr",
            np.where(short == "Elizabeth", "elizabeth", "tube"),
        )
        disp = np.where(mode == "dlr", "DLR", short + " line")
        lines_df = pd.DataFrame(
            {
                "key": "rail:" + lines["line"].astype(str),
                "short": short.to_numpy(),
                "name": disp,
                "mode": mode,
                "night_bus": False,
            }
        )
        links = links[links["line"].astype(str).isin(lines["line"].astype(str))]
        a = "rail:" + links["station1"].astype(str)
        b = "rail:" + links["station2"].astype(str)
        unknown = ~(a.isin(name_of) & b.isin(name_of))
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise DataError(f"{p_ln.name}: link {row + 1} refers to a station not in {p_st.name}")
        secs = pd.to_numeric(links["time"], errors="coerce") * 60.0
        k = "rail:" + links["line"].astype(str)
        segs = pd.DataFrame(
            {
                "key": pd.concat([k, k], ignore_index=True),
                "stop_a": pd.concat([a, b], ignore_index=True),
                "stop_b": pd.concat([b, a], ignore_index=True),
                "metres": np.nan,
                "seconds": pd.concat([secs, secs], ignore_index=True),
            }
        )
        return stops, lines_df, segs

    # London Overground ------------------------------------------------------------------
    def _read_overground(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        import networkx as nx

        path = self.folder / _OVERGROUND
        try:
            g = nx.read_graphml(path)
        except Exception as exc:  # networkx raises several parser errors
            raise DataError(f"{path.name}: cannot read it as GraphML ({exc})") from exc
        nums = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
        rows: list[tuple[str, str, str]] = []
        coords: dict[str, tuple[float, float]] = {}
        og_len: dict[tuple[str, str], float] = {}
        for u, v, d in g.edges(data=True):
            if str(d.get("line_name", "")).strip() != "London Overground":
                continue
            for n in (u, v):
                if n not in coords:
                    vals = nums.findall(str(g.nodes[n].get("coords", "")))
                    if len(vals) != 2:
                        raise DataError(
                            f"{path.name}: station {n!r} has no 'coords' (easting, northing)"
                        )
                    coords[n] = (float(vals[0]), float(vals[1]))
            length = d.get("length")
            if length is None:
                (x1, y1), (x2, y2) = coords[u], coords[v]
                length = float(np.hypot(x2 - x1, y2 - y1))
            owners = [ln for ln, names in OVERGROUND_LINES.items() if u in names and v in names]
            if not owners:
                log.info(
                    "Overground link %s - %s matches no named line; kept as 'London Overground'",
                    u,
                    v,
                )
                owners = ["London Overground"]
            for ln in owners:
                rows.append((ln, f"og:{u}", f"og:{v}"))
                rows.append((ln, f"og:{v}", f"og:{u}"))
            og_len[(u, v)] = og_len[(v, u)] = float(length)
        stops = pd.DataFrame(
            {
                "id": [f"og:{n}" for n in coords],
                "name": list(coords),
                "x": [c[0] for c in coords.values()],
                "y": [c[1] for c in coords.values()],
            }
        )
        names = sorted({r[0] for r in rows})
        lines = pd.DataFrame(
            {
                "key": [f"og:{n}" for n in names],
                "short": names,
                "name": [f"Overground {n} line" if n != "London Overground" else n for n in names],
                "mode": "overground",
                "night_bus": False,
            }
        )
        segs = pd.DataFrame(
            {
                "key": [f"og:{r[0]}" for r in rows],
                "stop_a": [r[1] for r in rows],
                "stop_b": [r[2] for r in rows],
                "metres": [og_len[(r[1][3:], r[2][3:])] for r in rows],
                "seconds": np.nan,
            }
        )
        return stops, lines, segs

    # one variant ------------------------------------------------------------------------
    def network(self, variant: str) -> ServiceNetwork:
        s = self.settings
        night = variant != "day"
        ln = self.lines
        is_bus = ln["mode"] == "bus"
        if not night:
            use = ~ln["night_bus"]
        else:
            use = ln["night_bus"] | (is_bus & ln["short"].isin(s.night_24h_routes))
            if variant == "night-tube":
                use |= ln["mode"].isin(_RAIL_MODES) & ln["short"].isin(s.night_tube_lines)
        lines = ln[use].reset_index(drop=True)
        lines = lines.assign(
            headway_s=[
                s.headway_min(m, sh, night=night) * 60.0
                for m, sh in zip(lines["mode"], lines["short"], strict=True)
            ],
            board_s=[s.board_penalty_s(m) for m in lines["mode"]],
        )
        pos = pd.Series(np.arange(len(lines)), index=lines["key"])
        segs = self.segs[self.segs["key"].isin(pos.index)]
        line_no = pos.loc[segs["key"]].to_numpy()
        mode = lines["mode"].to_numpy()[line_no]
        speed = (
            np.select(
                [mode == "bus", mode == "tram", mode == "river", mode == "overground"],
                [
                    s.bus_night_kmh if night else s.bus_day_kmh,
                    s.tram_kmh,
                    s.river_kmh,
                    s.overground_kmh,
                ],
                default=np.nan,
            )
            / 3.6
        )
        secs = np.where(segs["seconds"].notna(), segs["seconds"], segs["metres"].to_numpy() / speed)
        rides = pd.DataFrame(
            {
                "line": line_no,
                "stop_a": segs["stop_a"].to_numpy(),
                "stop_b": segs["stop_b"].to_numpy(),
                "seconds": secs,
            }
        )
        if night:
            name_of = dict(zip(self.stops["id"], self.stops["name"], strict=True))
            shorts = lines["short"].to_numpy()[line_no]
            drop = np.zeros(len(rides), dtype=bool)
            na = rides["stop_a"].map(name_of).to_numpy()
            nb = rides["stop_b"].map(name_of).to_numpy()
            for line_name, closed in s.night_closed_stations:
                on = shorts == line_name
                if on.any():
                    drop |= on & (np.isin(na, closed) | np.isin(nb, closed))
                    unknown = set(closed) - set(na[on]) - set(nb[on])
                    if unknown:
                        log.warning(
                            "night_closed_stations: %s line has no station named %s",
                            line_name,
                            ", ".join(sorted(unknown)),
                        )
            rides = rides[~drop]
        return assemble_network(self.stops, lines[["name", "mode", "headway_s", "board_s"]], rides)


# ----------------------------------------------------------------------------------
# the engine
# ----------------------------------------------------------------------------------


def _file_identity(path: Path) -> list[Any]:
    st = path.stat()
    return [str(path.resolve()), st.st_size, int(st.st_mtime)]


class TransitEngine:
    """Public-transport travel times from a stop graph, for the ``transit`` mode.

    Parameters
    ----------
    data_dir
        The data pack (or its ``network/public_transport`` folder) holding the TfL
        files; not needed when ``gtfs`` is given.
    settings
        Assumptions; :class:`TransitSettings` defaults when omitted.
    gtfs
        A GTFS feed (zip or folder) to use *instead of* the TfL files.
    gtfs_date
        With ``gtfs``: the service date whose timetable to use (``YYYY-MM-DD``); by
        default, for each band, the date of the band's weekday with most trips.
    workers
        Processes for the matrix (forked; results are identical with 1).  Default:
        up to 2, the CPU count.

    Notes
    -----
    The input files are read on first use (or by :meth:`validate`), so building the
    engine to look up a cached matrix costs nothing.

    Examples
    --------
    >>> eng = TransitEngine("../shared/london")  # doctest: +SKIP
    >>> eng.variant(parse_band("Sat 03:00"))      # doctest: +SKIP
    'night-tube'
    """

    name = "transit"
    mode = "transit"

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        settings: TransitSettings | None = None,
        gtfs: Path | str | None = None,
        gtfs_date: str | None = None,
        workers: int | None = None,
    ) -> None:
        self.settings = settings or TransitSettings()
        self.workers = workers if workers is not None else max(1, min(2, os.cpu_count() or 1))
        self._graphs: dict[str, StopGraph] = {}
        self._lock = threading.Lock()
        self._tfl: _TflSource | None = None
        self._feed: _gtfs.GtfsFeed | None = None
        self._gtfs_date = gtfs_date
        self._gtfs: Path | None = None
        if gtfs is not None:
            self._gtfs = Path(gtfs)
            if not self._gtfs.exists():
                raise MissingDataError(f"GTFS feed {self._gtfs} does not exist")
            self._files = sorted(self._gtfs.glob("*.txt")) if self._gtfs.is_dir() else [self._gtfs]
        elif data_dir is not None:
            self._folder = _find_tfl_dir(Path(data_dir))
            self._files = [self._folder / f for f in _TFL_FILES]
        else:
            raise MissingDataError("TransitEngine needs data_dir (the TfL files) or gtfs= a feed")

    @classmethod
    def from_gtfs(
        cls,
        feed: Path | str,
        *,
        settings: TransitSettings | None = None,
        date: str | None = None,
        workers: int | None = None,
    ) -> TransitEngine:
        """An engine over a GTFS feed (zip or folder) instead of the TfL files."""
        return cls(None, settings=settings, gtfs=feed, gtfs_date=date, workers=workers)

    @property
    def source(self) -> str:
        """``'gtfs'`` or ``'tfl'``."""
        return "gtfs" if self._gtfs is not None else "tfl"

    def validate(self) -> TransitEngine:
        """Read and check the input files now (otherwise done on first use); returns self.

        Raises
        ------
        GTFSError, DataError, MissingColumnError
            When a file is malformed; the message names the file, row or column.
        """
        with self._lock:
            self._load()
        return self

    def _load(self) -> None:
        if self._gtfs is not None:
            if self._feed is None:
                self._feed = _gtfs.GtfsFeed(self._gtfs, date=self._gtfs_date)
        elif self._tfl is None:
            self._tfl = _TflSource(self._folder, self.settings)

    # protocol --------------------------------------------------------------------
    def variant(self, band: TimeBand | str) -> str:
        """``day``, ``night`` (night buses only) or ``night-tube`` (Fri/Sat nights).

        With a GTFS feed the timetable itself differs by weekday and hour, so the
        variant names the band's weekday and time (``gtfs-wed-1200``).
        """
        band = parse_band(band)
        if self._gtfs is not None:
            return f"gtfs-{_DAYS[band.weekday]}-{band.minute // 60:02d}{band.minute % 60:02d}"
        if not band.is_night:
            return "day"
        return "night-tube" if band.night_of in self.settings.night_tube_nights else "night"

    def settings_key(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "mode": self.mode,
            "source": self.source,
            "gtfs_date": self._gtfs_date,
            "files": [_file_identity(p) for p in self._files],
            **asdict(self.settings),
        }

    def describe(self) -> str:
        s = self.settings
        if self._gtfs is not None:
            return (
                f"public transport times use the GTFS feed {self._gtfs.name} with waits of "
                f"half the headway counted in the {s.gtfs_window_min:g} min around the band's "
                f"time (not the exact timetable), a {s.board_penalty_min:g} min boarding "
                f"allowance ({s.rail_board_penalty_min:g} min for rail), and walks of up to "
                f"{s.max_access_m:g} m straight-line x {s.walk_detour:g} at {s.walk_kmh:g} km/h "
                "to, from and between stops, capped at walking the whole way"
            )
        return (
            "public transport times use a stop graph of TfL's 2019 bus route stop sequences, "
            "Tube/DLR/Elizabeth line run times and Overground links (no National Rail) at "
            f"{s.overground_kmh:g} km/h, with buses at an assumed {s.bus_day_kmh:g} km/h "
            f"({s.bus_night_kmh:g} at night), waits of half an assumed headway (bus "
            f"{s.bus_day_headway_min:g} min by day, {s.bus_night_headway_min:g} at night; Tube "
            f"{s.tube_day_headway_min:g}) plus a {s.board_penalty_min:g} min boarding allowance "
            f"({s.rail_board_penalty_min:g} for rail), and walks of up to {s.max_access_m:g} m "
            f"straight-line x {s.walk_detour:g} at {s.walk_kmh:g} km/h; at night only the "
            "N-prefixed night buses run (the data has no list of which day routes run 24 hours, "
            "so none are assumed to), plus the Night Tube on Friday and Saturday nights; "
            "no time exceeds walking the whole way"
        )

    # graphs ------------------------------------------------------------------------
    def network(self, band: TimeBand | str) -> ServiceNetwork:
        """The stops, lines and ride links that run in ``band``."""
        return self.graph(band).net

    def graph(self, band: TimeBand | str) -> StopGraph:
        """The stop graph of ``band``'s variant (built once, then reused)."""
        band = parse_band(band)
        key = self.variant(band)
        with self._lock:
            if key not in self._graphs:
                s = self.settings
                self._load()
                if self._feed is not None:
                    net = self._feed.network(
                        band,
                        window_min=s.gtfs_window_min,
                        board_s=s.board_penalty_min * 60.0,
                        rail_board_s=s.rail_board_penalty_min * 60.0,
                    )
                else:
                    assert self._tfl is not None
                    net = self._tfl.network(key)
                g = build_graph(net, walk_mps=s.walk_mps, transfer_m=s.transfer_m)
                log.info(
                    "transit %s graph: %s; %d nodes, %d edges",
                    key,
                    net.summary(),
                    g.n_nodes,
                    g.n_edges,
                )
                self._graphs[key] = g
            return self._graphs[key]

    # results -------------------------------------------------------------------------
    def walk_seconds(self, origins_xy: np.ndarray, dests_xy: np.ndarray) -> np.ndarray:
        """Walking the whole way (straight line x detour at walking speed), seconds."""
        o = np.asarray(origins_xy, dtype=np.float64).reshape(-1, 2)
        d = np.asarray(dests_xy, dtype=np.float64).reshape(-1, 2)
        out = np.empty((len(o), len(d)), dtype=np.float32)
        for start in range(0, len(o), 1024):
            blk = o[start : start + 1024]
            out[start : start + len(blk)] = (
                np.hypot(blk[:, None, 0] - d[None, :, 0], blk[:, None, 1] - d[None, :, 1])
                / self.settings.walk_mps
            )
        return out

    def matrix(
        self,
        origins: Points,
        destinations: Points,
        band: TimeBand | str,
        *,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """Door-to-door seconds, ``(len(origins), len(destinations))`` float32.

        The fastest of public transport (walk, wait, ride, transfer, walk) and walking
        the whole way; ``inf`` beyond the cutoff.
        """
        band = parse_band(band)
        _check_points(origins, "origins")
        _check_points(destinations, "destinations")
        s = self.settings
        graph = self.graph(band)
        cutoff = s.cutoff_min * 60.0
        t = travel_matrix(
            graph,
            origins.xy,
            destinations.xy,
            access_m=s.max_access_m,
            walk_mps=s.walk_mps,
            cutoff_s=cutoff,
            workers=self.workers,
            progress=progress,
        )
        np.minimum(t, self.walk_seconds(origins.xy, destinations.xy), out=t)
        t[t > cutoff] = np.inf
        return t

    def route(
        self,
        origin_xy: tuple[float, float],
        dest_xy: tuple[float, float],
        band: TimeBand | str,
    ) -> Journey:
        """The fastest journey between two EPSG:27700 points in ``band``, leg by leg.

        Its ``seconds`` equals the corresponding :meth:`matrix` cell (to float32 rounding).
        """
        band = parse_band(band)
        s = self.settings
        graph = self.graph(band)
        cutoff = s.cutoff_min * 60.0
        o = (float(origin_xy[0]), float(origin_xy[1]))
        d = (float(dest_xy[0]), float(dest_xy[1]))
        _check_xy(np.array([o, d]), "route points")
        walk = float(self.walk_seconds(np.array([o]), np.array([d]))[0, 0])
        raw = shortest_path(
            graph, o, d, access_m=s.max_access_m, walk_mps=s.walk_mps, cutoff_s=cutoff
        )
        net = graph.net
        total = sum(lg.seconds for lg in raw) if raw else np.inf
        # rounded to float32 like matrix(), so the two agree to float32 rounding
        total32 = float(np.float32(total)) if raw else np.inf
        walk32 = float(np.float32(walk))
        if raw is None or walk32 <= total32:
            secs = walk32 if walk32 <= cutoff else np.inf
            legs: tuple[Leg, ...] = (
                Leg(
                    "walk",
                    walk,
                    f"walk all the way ({walk * s.walk_mps * s.walk_detour:.0f} m walked)",
                ),
            )
            return Journey(band.label, self.variant(band), secs, walk, legs)

        def stop(i: int, end: str) -> str:
            return end if i < 0 else str(net.stop_names[i])

        out: list[Leg] = []
        for lg in raw:
            line = str(net.line_names[lg.line]) if lg.line >= 0 else None
            if lg.kind == "walk":
                a, b = stop(lg.from_stop, "origin"), stop(lg.to_stop, "destination")
                txt = f"walk from {a} to {b}"
            elif lg.kind == "wait":
                hw = net.line_headway_s[lg.line] / 60.0
                txt = (
                    f"wait for {line} at {stop(lg.from_stop, '')} (half the {hw:.3g}-min "
                    f"headway + {net.line_board_s[lg.line] / 60:g} min boarding)"
                )
            elif lg.kind == "ride":
                txt = (
                    f"ride {line} from {stop(lg.from_stop, '')} to {stop(lg.to_stop, '')} "
                    f"({lg.n_stops} stop{'s' if lg.n_stops != 1 else ''})"
                )
            else:
                txt = f"walk to change from {stop(lg.from_stop, '')} to {stop(lg.to_stop, '')}"
            out.append(
                Leg(
                    lg.kind,
                    lg.seconds,
                    txt,
                    line,
                    stop(lg.from_stop, "origin"),
                    stop(lg.to_stop, "destination"),
                )
            )
        secs = total32 if total32 <= cutoff else np.inf
        return Journey(band.label, self.variant(band), secs, walk, tuple(out))


def _check_xy(xy: np.ndarray, what: str) -> None:
    if not np.isfinite(xy).all():
        raise DataError(f"{what}: coordinates must be finite EPSG:27700 metres")
    if len(xy) and (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all():
        raise CRSError(
            f"{what}: coordinates look like longitude/latitude degrees; "
            "the transit engine needs EPSG:27700 metres (reproject first)"
        )


def _check_points(p: Points, what: str) -> None:
    bad = ~(np.isfinite(p.x) & np.isfinite(p.y))
    if bad.any():
        raise DataError(
            f"{what}: {int(bad.sum())} point(s) without coordinates, e.g. id {p.ids[bad][0]!r}"
        )
    _check_xy(p.xy, what)
