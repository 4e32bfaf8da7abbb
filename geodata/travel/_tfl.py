"""Read the data pack's TfL files into the transit engine's :class:`ServiceNetwork`.

Four sources make one network: TfL's 2019 bus route stop sequences (buses, trams,
river buses), the Tube/DLR/Elizabeth line stations, connections (with run times) and
lines, and the CASA0002 rail GraphML for the London Overground (lengths only).  They
are read and checked once into stops, lines and segments; :meth:`TflSource.network`
then picks what runs in a variant (``day``, ``night``, ``night-tube``).
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.crs import lonlat_to_bng
from geodata.errors import DataError
from geodata.travel._cif import CifTimetable, read_cif
from geodata.travel._qsi import BusService, check_routes, read_qsi
from geodata.travel._rail import rail_network
from geodata.travel._tfl_extra import _read_csv, _require, add_extra_rail, station_positions
from geodata.travel._tfl_files import (
    BUS_FILE,
    OVERGROUND_FILE,
    TFL_FILES,
    TUBE_LINES,
    TUBE_LINKS,
    TUBE_STATIONS,
    qsi_file,
)
from geodata.travel._transit_graph import ServiceNetwork, TransitDataWarning, assemble_network
from geodata.travel.base import TimeBand, parse_band
from geodata.travel.transit_settings import RAIL_MODES, TransitSettings

__all__ = ["OVERGROUND_LINES", "SUPERSEDED_TUBE_LINES", "TflSource"]

log = logging.getLogger(__name__)


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


@dataclass(eq=False)
class TflSource:
    """The TfL files read once into stops, lines and segments (all variants)."""

    folder: Path
    settings: TransitSettings
    #: a CIF timetable (zip or folder) for National Rail, or None
    cif_path: Path | None = None
    stops: pd.DataFrame = field(init=False)
    lines: pd.DataFrame = field(init=False)
    segs: pd.DataFrame = field(init=False)
    bus: BusService | None = field(init=False, default=None)
    cif: CifTimetable | None = field(init=False, default=None)
    _positions: dict[str, tuple[float, float]] = field(init=False, default_factory=dict)
    #: counted warnings about the inputs, for the engine note
    notes: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        bus_stops, bus_lines, bus_segs = self._read_bus()
        rail_stops, rail_lines, rail_segs = self._read_tube()
        og_stops, og_lines, og_segs = self._read_overground()
        self.stops = pd.concat([bus_stops, rail_stops, og_stops], ignore_index=True)
        self.lines = pd.concat([bus_lines, rail_lines, og_lines], ignore_index=True)
        self.segs = pd.concat([bus_segs, rail_segs, og_segs], ignore_index=True)
        self.stops, self.segs = add_extra_rail(
            self.folder, self.stops, self.lines, self.segs, dlr_kmh=self.settings.dlr_kmh
        )
        qsi = qsi_file(self.folder)
        if qsi is not None and self.settings.use_qsi:
            self.bus = read_qsi(qsi)
            seq = set(self.lines.loc[self.lines["mode"] == "bus", "short"])
            msg = check_routes(self.bus, seq, ignore=self._excluded_routes)
            if msg:
                self.notes.append(msg)
        if self.cif_path is not None and self.settings.rail:
            self.cif = read_cif(self.cif_path)
            self.notes.extend(self.cif.notes)
            self._positions = station_positions(self.folder)
        log.info(
            "TfL network read from %s: %d stops, %d lines, %d segments",
            self.folder,
            len(self.stops),
            len(self.lines),
            len(self.segs),
        )

    @property
    def files(self) -> list[Path]:
        return [self.folder / f for f in TFL_FILES]

    @property
    def routes_24h(self) -> tuple[str, ...]:
        """Day routes that run all night: the setting, else the QSI file's list."""
        if self.settings.night_24h_routes is not None:
            return tuple(self.settings.night_24h_routes)
        return self.bus.routes_24h if self.bus is not None else ()

    # bus sequences -------------------------------------------------------------
    def _read_bus(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        s = self.settings
        path = self.folder / BUS_FILE
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
        self._excluded = set(df.loc[excluded, "Route"])
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
        p_st, p_ln, p_li = (self.folder / f for f in (TUBE_STATIONS, TUBE_LINKS, TUBE_LINES))
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
        x, y = lonlat_to_bng(lon.to_numpy(), lat.to_numpy())
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

        path = self.folder / OVERGROUND_FILE
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
    def bus_headway_min(self, route: str, *, night: bool, night_bus: bool) -> float:
        """The headway of bus ``route``: the QSI file's, else a documented default."""
        s = self.settings
        if self.bus is None:
            return s.headway_min("bus", route, night=night)
        if night and not night_bus:  # a 24-hour day route at night
            return s.bus_24h_night_headway_min
        table = self.bus.night_headway if night_bus else self.bus.day_headway
        if route not in table:  # no QSI row: the flat default
            return s.headway_min("bus", route, night=night)
        hw = table[route]
        if np.isfinite(hw):
            return float(hw)
        return s.bus_night_headway_min if night_bus else s.bus_low_frequency_headway_min

    def network(self, variant: str, band: TimeBand | None = None) -> ServiceNetwork:
        """The network of ``variant``; ``band`` picks the National Rail timetable."""
        s = self.settings
        night = variant != "day"
        ln = self.lines
        is_bus = ln["mode"] == "bus"
        if not night:
            use = ~ln["night_bus"]
        else:
            use = ln["night_bus"] | (is_bus & ln["short"].isin(self.routes_24h))
            if variant == "night-tube":
                use |= ln["mode"].isin(RAIL_MODES) & ln["short"].isin(s.night_tube_lines)
        lines = ln[use].reset_index(drop=True)
        lines = lines.assign(
            headway_s=[
                (
                    self.bus_headway_min(sh, night=night, night_bus=nb)
                    if m == "bus"
                    else s.headway_min(m, sh, night=night)
                )
                * 60.0
                for m, sh, nb in zip(lines["mode"], lines["short"], lines["night_bus"], strict=True)
            ],
            board_s=[s.board_penalty_s(m) for m in lines["mode"]],
        )
        stops = self.stops
        all_segs = self.segs
        node_flags = None
        walks = None
        if self.cif is not None:
            if band is None:
                band = parse_band("night" if night else "day")
            rn = rail_network(
                self.cif, band, s.rail_settings(), bbox=self._bbox(), positions=self._positions
            )
            lines = pd.concat(
                [lines, rn.lines.assign(board_s=s.board_penalty_s("rail"))], ignore_index=True
            )
            stops = pd.concat([stops, rn.stops], ignore_index=True)
            all_segs = pd.concat([all_segs, rn.segs], ignore_index=True)
            node_flags = rn.node_headway.rename(columns={"key": "line_key"})
            walks = rn.walks
        pos = pd.Series(np.arange(len(lines)), index=lines["key"])
        segs = all_segs[all_segs["key"].isin(pos.index)]
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
        if node_flags is not None and len(node_flags):
            node_flags = pd.DataFrame(
                {
                    "line": pos.loc[node_flags["line_key"]].to_numpy(),
                    "stop": node_flags["stop"].to_numpy(),
                    "headway_s": node_flags["headway_s"].to_numpy(),
                }
            )
        else:
            node_flags = None
        return assemble_network(
            stops,
            lines[["name", "mode", "headway_s", "board_s"]],
            rides,
            node_flags=node_flags,
            walks=walks,
        )

    def _bbox(self) -> tuple[float, float, float, float]:
        """The bus network's extent plus 5 km: where National Rail links are kept."""
        st = self.stops
        return (
            float(st["x"].min()) - 5000.0,
            float(st["y"].min()) - 5000.0,
            float(st["x"].max()) + 5000.0,
            float(st["y"].max()) + 5000.0,
        )

    @property
    def _excluded_routes(self) -> set[str]:
        return set(self._excluded)
