"""Read a GTFS feed (zip or folder) into the transit engine's :class:`ServiceNetwork`.

The feed is validated once, where it enters: required files and columns, references
between files, clock times.  For a time band the reader then picks the service date
(the band's weekday; by default the date of that weekday with most trips), counts
each line's departures in a window around the band's time to get a *headway*, and
takes in-vehicle times from the ``stop_times`` differences (median over the trips
running in the window).  Times past 24:00 belong to the previous service day; a
night band counts both.  ``frequencies.txt`` trips are expanded from their template.

A *line* is a GTFS route in one direction (``direction_id``; without it, the trip's
first and last stop stand in for the direction).
"""

from __future__ import annotations

import io
import logging
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.checks import require_columns
from geodata.crs import lonlat_to_bng
from geodata.errors import GTFSColumnError, GTFSError, TransitDataWarning
from geodata.travel._transit_graph import ServiceNetwork, assemble_network
from geodata.travel.base import TimeBand

__all__ = ["REQUIRED_COLUMNS", "GTFSColumnError", "GtfsFeed", "gtfs_mode"]

log = logging.getLogger(__name__)

#: columns each file must have (``calendar``/``calendar_dates``: at least one file)
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence"),
    "calendar.txt": (
        "service_id",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "start_date",
        "end_date",
    ),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RAIL = frozenset({"metro", "rail", "monorail"})


def gtfs_mode(route_type: int) -> str:
    """A plain mode name for a GTFS ``route_type`` (basic or extended).

    Examples
    --------
    >>> gtfs_mode(3), gtfs_mode(1), gtfs_mode(200), gtfs_mode(109)
    ('bus', 'metro', 'coach', 'rail')
    """
    basic = {
        0: "tram",
        1: "metro",
        2: "rail",
        3: "bus",
        4: "ferry",
        5: "cable tram",
        6: "aerial lift",
        7: "funicular",
        11: "trolleybus",
        12: "monorail",
    }
    if route_type in basic:
        return basic[route_type]
    ranges = [
        (100, "rail"),
        (200, "coach"),
        (400, "metro"),
        (700, "bus"),
        (800, "trolleybus"),
        (900, "tram"),
        (1000, "ferry"),
        (1300, "aerial lift"),
        (1400, "funicular"),
    ]
    for lo, name in reversed(ranges):
        if lo <= route_type < lo + 100:
            return name
    return "other"


def _weekday(day: np.datetime64) -> int:
    """0 for Monday to 6 for Sunday (1970-01-01, day 0, was a Thursday)."""
    return int((day.astype("datetime64[D]").view("int64") - 4) % 7)


def _clock(values: pd.Series, file: str, column: str) -> np.ndarray:
    """``H:MM:SS`` (hours may pass 24) to seconds; blank to NaN."""
    s = values.astype(str).str.strip()
    out = np.full(len(s), np.nan)
    filled = (s != "").to_numpy()
    parts = s[filled].str.extract(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
    bad = parts[0].isna().to_numpy()
    if bad.any():
        pos = np.flatnonzero(filled)[np.flatnonzero(bad)[0]]
        raise GTFSError(
            f"{file} row {pos + 2}: {column} is {s.iloc[pos]!r}, expected H:MM:SS "
            "(hours may exceed 23 for trips past midnight). Fix the value in the feed"
        )
    nums = parts.astype(np.int64).to_numpy()
    out[filled] = nums[:, 0] * 3600 + nums[:, 1] * 60 + nums[:, 2]
    return out


def _ymd(values: pd.Series, file: str, column: str) -> np.ndarray:
    """``YYYYMMDD`` strings to ``datetime64[D]``."""
    s = values.astype(str).str.strip()
    d = pd.to_datetime(s, format="%Y%m%d", errors="coerce")
    if d.isna().any():
        pos = int(np.flatnonzero(d.isna().to_numpy())[0])
        raise GTFSError(
            f"{file} row {pos + 2}: {column} is {s.iloc[pos]!r}, expected a date YYYYMMDD"
        )
    return d.to_numpy().astype("datetime64[D]")


class GtfsFeed:
    """A validated GTFS feed, ready to give the network of any time band.

    Parameters
    ----------
    path
        A ``.zip`` file or a folder of ``.txt`` files.
    date
        Service date to use (``YYYY-MM-DD``); default: per band, the date of the
        band's weekday with most trips.
    week_of
        A date (``YYYY-MM-DD``): each band uses its weekday in that Monday-to-Sunday
        week (e.g. ``2024-03-06`` gives Wednesday 6 and Saturday 9 March 2024).
    """

    def __init__(self, path: Path, *, date: str | None = None, week_of: str | None = None) -> None:
        self.path = Path(path)
        self.date = date
        self._fixed_date = np.datetime64(date, "D") if date else None
        if week_of:
            day = np.datetime64(week_of, "D")
            self._monday: np.datetime64 | None = day - np.timedelta64(_weekday(day), "D")
        else:
            self._monday = None
        self._read()

    # reading and validation ------------------------------------------------------
    def _open(self) -> tuple[list[str], object]:
        if not self.path.exists():
            raise GTFSError(f"GTFS feed {self.path} does not exist")
        if self.path.is_dir():
            return sorted(p.name for p in self.path.iterdir() if p.is_file()), None
        try:
            zf = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as exc:
            raise GTFSError(f"GTFS feed {self.path.name} is not a zip file or folder") from exc
        names = {Path(n).name: n for n in zf.namelist() if not n.endswith("/")}
        self._zip_names = names
        return sorted(names), zf

    def _table(self, name: str, handle: object, columns: tuple[str, ...]) -> pd.DataFrame:
        wanted = set(REQUIRED_COLUMNS.get(name, ())) | set(columns)
        try:
            if handle is None:
                src: object = self.path / name
            else:
                assert isinstance(handle, zipfile.ZipFile)
                src = io.BytesIO(handle.read(self._zip_names[name]))
            df = pd.read_csv(
                src,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                usecols=lambda c: c.strip() in wanted,
            )
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise GTFSError(f"GTFS feed {self.path.name}: cannot read {name} ({exc})") from exc
        except pd.errors.EmptyDataError:
            df = pd.DataFrame()
        df.columns = [c.strip() for c in df.columns]
        require_columns(
            df.columns,
            REQUIRED_COLUMNS.get(name, ()),
            f"GTFS feed {self.path.name}: {name}",
            fix="see the GTFS reference",
            error=GTFSColumnError,
        )
        return df

    def _read(self) -> None:
        names, handle = self._open()
        try:
            for req in ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt"):
                if req not in names:
                    raise GTFSError(
                        f"GTFS feed {self.path.name}: required file {req} is missing "
                        f"(found {', '.join(names) or 'nothing'}). Fix: export the feed with "
                        "stops, routes, trips, stop_times and calendar (or calendar_dates)"
                    )
            if "calendar.txt" not in names and "calendar_dates.txt" not in names:
                raise GTFSError(
                    f"GTFS feed {self.path.name}: neither calendar.txt nor calendar_dates.txt "
                    "is present, so no trip has service days. Fix: include calendar.txt"
                )
            stops = self._table("stops.txt", handle, ("stop_name",))
            routes = self._table("routes.txt", handle, ("route_short_name", "route_long_name"))
            trips = self._table("trips.txt", handle, ("direction_id",))
            st = self._table(
                "stop_times.txt",
                handle,
                ("arrival_time", "departure_time", "pickup_type", "drop_off_type"),
            )
            cal = self._table("calendar.txt", handle, ()) if "calendar.txt" in names else None
            cd = (
                self._table("calendar_dates.txt", handle, ())
                if "calendar_dates.txt" in names
                else None
            )
            freq = (
                self._table("frequencies.txt", handle, ()) if "frequencies.txt" in names else None
            )
        finally:
            if isinstance(handle, zipfile.ZipFile):
                handle.close()
        if "arrival_time" not in st.columns and "departure_time" not in st.columns:
            raise GTFSColumnError(
                f"GTFS feed {self.path.name}: stop_times.txt has neither arrival_time nor "
                "departure_time. Fix: add them (H:MM:SS)"
            )
        self._prepare(stops, routes, trips, st, cal, cd, freq)

    def _prepare(
        self,
        stops: pd.DataFrame,
        routes: pd.DataFrame,
        trips: pd.DataFrame,
        st: pd.DataFrame,
        cal: pd.DataFrame | None,
        cd: pd.DataFrame | None,
        freq: pd.DataFrame | None,
    ) -> None:
        feed = self.path.name
        # references between files
        for child, col, parent, pcol, pdf, cdf in (
            ("trips.txt", "route_id", "routes.txt", "route_id", routes, trips),
            ("stop_times.txt", "trip_id", "trips.txt", "trip_id", trips, st),
            ("stop_times.txt", "stop_id", "stops.txt", "stop_id", stops, st),
        ):
            unknown = ~cdf[col].isin(pdf[pcol])
            if unknown.any():
                pos = int(np.flatnonzero(unknown.to_numpy())[0])
                raise GTFSError(
                    f"GTFS feed {feed}: {child} row {pos + 2}: {col} {cdf[col].iloc[pos]!r} "
                    f"is not in {parent} ({int(unknown.sum())} such rows). Fix the feed's references"
                )
        # stops: WGS84 -> EPSG:27700; used stops without coordinates are dropped
        lat = pd.to_numeric(stops["stop_lat"], errors="coerce")
        lon = pd.to_numeric(stops["stop_lon"], errors="coerce")
        ok = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
        used = stops["stop_id"].isin(st["stop_id"])
        if (used & ~ok).any():
            rows = (np.flatnonzero((used & ~ok).to_numpy()) + 2).tolist()
            warnings.warn(
                f"GTFS feed {feed}: stops.txt row(s) {', '.join(map(str, rows[:5]))}"
                f"{' ...' if len(rows) > 5 else ''} lack usable stop_lat/stop_lon; those "
                "stops are skipped and trips run straight past them. Fix: give their WGS84 "
                "coordinates",
                TransitDataWarning,
                stacklevel=5,
            )
            st = st[~st["stop_id"].isin(stops.loc[used & ~ok, "stop_id"])]
        stops = stops[ok & used]
        x, y = lonlat_to_bng(lon[stops.index].to_numpy(), lat[stops.index].to_numpy())
        name = stops["stop_name"] if "stop_name" in stops.columns else stops["stop_id"]
        self.stops = pd.DataFrame(
            {"id": stops["stop_id"].to_numpy(), "name": name.to_numpy(), "x": x, "y": y}
        )

        # stop_times sorted by trip and sequence, with clock times in seconds
        seq = pd.to_numeric(st["stop_sequence"], errors="coerce")
        if seq.isna().any():
            pos = int(np.flatnonzero(seq.isna().to_numpy())[0])
            raise GTFSError(
                f"GTFS feed {feed}: stop_times.txt row {pos + 2}: stop_sequence "
                f"{st['stop_sequence'].iloc[pos]!r} is not a number"
            )
        arr = (
            _clock(st["arrival_time"], "stop_times.txt", "arrival_time")
            if "arrival_time" in st.columns
            else np.full(len(st), np.nan)
        )
        dep = (
            _clock(st["departure_time"], "stop_times.txt", "departure_time")
            if "departure_time" in st.columns
            else np.full(len(st), np.nan)
        )
        arr = np.where(np.isnan(arr), dep, arr)
        dep = np.where(np.isnan(dep), arr, dep)
        pick = (
            st["pickup_type"].str.strip() != "1"
            if "pickup_type" in st.columns
            else pd.Series(True, index=st.index)
        )
        drop = (
            st["drop_off_type"].str.strip() != "1"
            if "drop_off_type" in st.columns
            else pd.Series(True, index=st.index)
        )
        t = pd.DataFrame(
            {
                "trip": st["trip_id"].to_numpy(),
                "stop": st["stop_id"].to_numpy(),
                "seq": seq.to_numpy(),
                "arr": arr,
                "dep": dep,
                "pick": pick.to_numpy(),
                "drop": drop.to_numpy(),
            }
        )
        t = t.sort_values(["trip", "seq"], kind="stable").reset_index(drop=True)
        first = np.ones(len(t), dtype=bool)
        first[1:] = t["trip"].to_numpy()[1:] != t["trip"].to_numpy()[:-1]
        last = np.roll(first, -1)
        untimed = (first | last) & np.isnan(t["dep"].to_numpy())
        if untimed.any():
            trip = t["trip"].iloc[int(np.flatnonzero(untimed)[0])]
            raise GTFSError(
                f"GTFS feed {feed}: trip {trip!r} has no time at its first or last "
                "stop in stop_times.txt. Fix: time every trip's first and last stop"
            )
        # non-timepoints: linear in position between timed stops of the same trip
        for col in ("arr", "dep"):
            v = t[col].to_numpy()
            known = ~np.isnan(v)
            if not known.all():
                at = np.arange(len(v))
                t[col] = np.interp(at, at[known], v[known])
        self.times = t

        # lines: route x direction
        direction = (
            trips["direction_id"].str.strip()
            if "direction_id" in trips.columns
            else pd.Series("", index=trips.index)
        )
        if (direction == "").any():
            ends = (
                t[first | last].groupby("trip")["stop"].agg(lambda s: f"{s.iloc[0]}>{s.iloc[-1]}")
            )
            direction = direction.where(direction != "", trips["trip_id"].map(ends).fillna(""))
        line_key = trips["route_id"] + "|" + direction
        keys, line_of_trip = np.unique(line_key.to_numpy().astype(str), return_inverse=True)
        route_of_line = pd.Series(trips["route_id"].to_numpy()).groupby(line_of_trip).first()
        r = routes.drop_duplicates("route_id").set_index("route_id")
        rtype = pd.to_numeric(r["route_type"], errors="coerce")
        if rtype.isna().any():
            bad = rtype.index[rtype.isna()][0]
            raise GTFSError(
                f"GTFS feed {feed}: routes.txt route {bad!r}: route_type "
                f"{r.loc[bad, 'route_type']!r} is not a number"
            )
        short = (
            r["route_short_name"]
            if "route_short_name" in r.columns
            else pd.Series("", index=r.index)
        )
        long_ = (
            r["route_long_name"] if "route_long_name" in r.columns else pd.Series("", index=r.index)
        )
        label = short.where(short.str.strip() != "", long_).where(
            lambda s: s.str.strip() != "", pd.Series(r.index, index=r.index)
        )
        modes = rtype.astype(int).map(gtfs_mode)
        rl = route_of_line.to_numpy()
        self.lines = pd.DataFrame(
            {
                "key": keys,
                "name": (modes.loc[rl] + " " + label.loc[rl]).to_numpy(),
                "mode": modes.loc[rl].to_numpy(),
            }
        )
        trip_index = pd.Series(np.arange(len(trips)), index=trips["trip_id"].to_numpy())
        if not trip_index.index.is_unique:
            dup = trip_index.index[trip_index.index.duplicated()][0]
            raise GTFSError(f"GTFS feed {feed}: trips.txt has trip_id {dup!r} more than once")
        self.trip_line = line_of_trip[trip_index[t["trip"]].to_numpy()]
        self.trip_service = trips["service_id"].to_numpy()[trip_index[t["trip"]].to_numpy()]
        self.trips = trips

        # calendar
        self.cal = None
        if cal is not None and len(cal):
            flags = np.column_stack([cal[d].str.strip() == "1" for d in _WEEKDAYS])
            self.cal = (
                cal["service_id"].to_numpy(),
                flags,
                _ymd(cal["start_date"], "calendar.txt", "start_date"),
                _ymd(cal["end_date"], "calendar.txt", "end_date"),
            )
        self.cd = None
        if cd is not None and len(cd):
            self.cd = (
                cd["service_id"].to_numpy(),
                _ymd(cd["date"], "calendar_dates.txt", "date"),
                cd["exception_type"].str.strip().to_numpy(),
            )

        # frequencies: template trips repeated every headway_secs
        self.freq = None
        if freq is not None and len(freq):
            h = pd.to_numeric(freq["headway_secs"], errors="coerce")
            if h.isna().any() or (h <= 0).any():
                pos = int(np.flatnonzero((h.isna() | (h <= 0)).to_numpy())[0])
                raise GTFSError(
                    f"GTFS feed {feed}: frequencies.txt row {pos + 2}: headway_secs "
                    "must be a positive number"
                )
            self.freq = pd.DataFrame(
                {
                    "trip": freq["trip_id"].to_numpy(),
                    "start": _clock(freq["start_time"], "frequencies.txt", "start_time"),
                    "end": _clock(freq["end_time"], "frequencies.txt", "end_time"),
                    "headway": h.to_numpy(dtype=float),
                }
            )
        log.info(
            "GTFS feed %s: %d stops used, %d trips, %d stop times, %d lines",
            feed,
            len(self.stops),
            len(trips),
            len(t),
            len(keys),
        )

    # service days ------------------------------------------------------------------
    def active_services(self, day: np.datetime64) -> set[str]:
        """Service ids running on ``day`` (calendar plus calendar_dates exceptions)."""
        active: set[str] = set()
        if self.cal is not None:
            sid, flags, start, end = self.cal
            on = flags[:, _weekday(day)] & (start <= day) & (day <= end)
            active |= set(sid[on].tolist())
        if self.cd is not None:
            sid, dates, exc = self.cd
            today = dates == day
            active |= set(sid[today & (exc == "1")].tolist())
            active -= set(sid[today & (exc == "2")].tolist())
        return active

    def _span(self) -> tuple[np.datetime64, np.datetime64]:
        lo: list[np.datetime64] = []
        hi: list[np.datetime64] = []
        if self.cal is not None:
            lo.append(self.cal[2].min())
            hi.append(self.cal[3].max())
        if self.cd is not None:
            lo.append(self.cd[1].min())
            hi.append(self.cd[1].max())
        if not lo:
            raise GTFSError(f"GTFS feed {self.path.name}: the calendar files have no rows")
        return min(lo), max(hi)

    def service_date(self, weekday: int) -> np.datetime64:
        """The date used for ``weekday`` (0 Monday): the fixed date, or the busiest one."""
        if self._fixed_date is not None:
            return self._fixed_date
        if self._monday is not None:
            return self._monday + np.timedelta64(weekday, "D")
        lo, hi = self._span()
        first = lo + ((weekday - _weekday(lo)) % 7)
        trips_per_service = self.trips.groupby("service_id").size()
        best, best_n = None, -1
        day = first
        for _ in range(106):  # two years of that weekday at most
            if day > hi:
                break
            n = int(trips_per_service.reindex(list(self.active_services(day))).fillna(0).sum())
            if n > best_n:
                best, best_n = day, n
            day = day + np.timedelta64(7, "D")
        if best is None or best_n <= 0:
            raise GTFSError(
                f"GTFS feed {self.path.name}: no trips run on any "
                f"{_WEEKDAYS[weekday].capitalize()} of its calendar"
            )
        return best

    # one band ------------------------------------------------------------------------
    def _departures(self, services: set[str], lo: float, hi: float) -> np.ndarray:
        """Departures per stop-time row in [lo, hi) seconds of one service day."""
        t = self.times
        on = np.isin(self.trip_service, list(services))
        dep = t["dep"].to_numpy()
        count = (on & (dep >= lo) & (dep < hi)).astype(np.float64)
        if self.freq is not None:
            is_f = t["trip"].isin(self.freq["trip"]).to_numpy()
            count[is_f] = 0.0
            rows = np.flatnonzero(is_f & on)
            if len(rows):
                first_dep = t.groupby("trip")["dep"].transform("min").to_numpy()
                sub = pd.DataFrame(
                    {
                        "row": rows,
                        "trip": t["trip"].to_numpy()[rows],
                        "off": dep[rows] - first_dep[rows],
                    }
                )
                m = sub.merge(self.freq, on="trip")
                h = m["headway"].to_numpy()
                base = m["start"].to_numpy() + m["off"].to_numpy()
                n_runs = np.ceil((m["end"].to_numpy() - m["start"].to_numpy()) / h)
                kmin = np.maximum(0, np.ceil((lo - base) / h))
                kmax = np.minimum(n_runs - 1, np.ceil((hi - base) / h) - 1)
                np.add.at(count, m["row"].to_numpy(), np.maximum(0, kmax - kmin + 1))
        return count

    def network(
        self, band: TimeBand, *, window_min: float, board_s: float, rail_board_s: float
    ) -> ServiceNetwork:
        """The lines running around ``band``'s time, with counted headways."""
        day = self.service_date(band.weekday)
        prev = day - np.timedelta64(1, "D")
        half = window_min * 30.0
        centre = band.minute * 60.0
        window_s = 2 * half
        count = self._departures(self.active_services(day), centre - half, centre + half)
        # trips of the previous service day still running after midnight (times >= 24:00)
        count += self._departures(
            self.active_services(prev), centre + 86400 - half, centre + 86400 + half
        )
        t = self.times
        trip = t["trip"].to_numpy()
        running = pd.Series(count).groupby(trip).transform("sum").to_numpy() > 0
        log.info(
            "GTFS %s: service date %s; %d of %d trips running in the %g-min window",
            band.label,
            day,
            len(np.unique(trip[running])),
            len(self.trips),
            window_min,
        )

        # headway per line: window / median departures per served stop
        per_stop = (
            pd.DataFrame({"line": self.trip_line, "stop": t["stop"], "n": count})[count > 0]
            .groupby(["line", "stop"])["n"]
            .sum()
        )
        med = per_stop.groupby(level="line").median()
        lines = self.lines.iloc[med.index.to_numpy()].reset_index(drop=True)
        lines["headway_s"] = window_s / med.to_numpy()
        lines["board_s"] = np.where(lines["mode"].isin(_RAIL), rail_board_s, board_s)
        new_no = pd.Series(np.arange(len(med)), index=med.index)

        # rides: consecutive stops of running trips, median time
        r = np.flatnonzero(running[:-1] & running[1:] & (trip[:-1] == trip[1:]))
        line = self.trip_line[r]
        keep = np.isin(line, med.index.to_numpy())
        r, line = r[keep], line[keep]
        arr, dep = t["arr"].to_numpy(), t["dep"].to_numpy()
        rides = pd.DataFrame(
            {
                "line": new_no.loc[line].to_numpy(),
                "stop_a": t["stop"].to_numpy()[r],
                "stop_b": t["stop"].to_numpy()[r + 1],
                "seconds": np.maximum(arr[r + 1] - dep[r], 0.0),
            }
        )
        rides = rides.groupby(["line", "stop_a", "stop_b"], as_index=False)["seconds"].median()
        rows = np.flatnonzero(running & np.isin(self.trip_line, med.index.to_numpy()))
        flags = (
            pd.DataFrame(
                {
                    "line": new_no.loc[self.trip_line[rows]].to_numpy(),
                    "stop": t["stop"].to_numpy()[rows],
                    "board": t["pick"].to_numpy()[rows],
                    "alight": t["drop"].to_numpy()[rows],
                }
            )
            .groupby(["line", "stop"], as_index=False)[["board", "alight"]]
            .any()
        )
        return assemble_network(
            self.stops, lines[["name", "mode", "headway_s", "board_s"]], rides, node_flags=flags
        )
