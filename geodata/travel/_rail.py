"""National Rail lines for the stop graph, from a CIF timetable (:mod:`geodata.travel._cif`).

Each train operator is one *line* of the stop graph (mode ``rail``), with a ride link
for every pair of consecutive public calls of its trains; a link's time is the
median over the trains that run it (departure from one call to arrival at the next,
public times).  Staying on board between two links of one operator costs nothing,
as on the Tube's line-level links; a change of operator is a new wait.

Two ways to read a timetable (:class:`RailSettings` ``timetable``):

``dated``
    The schedules valid on the band's weekday in the week starting on the service
    date (STP rules applied, see :meth:`CifTimetable.schedules_on`); a link runs
    when a train leaves its first station within the window around the band's
    time (a night band also takes the previous day's trains past midnight).  The
    wait at a station is half the interval between the operator's departures
    there towards its busiest next station, counted in the window.
``pooled``
    Every passenger schedule in the file whatever its date (for a sample such as
    the pack's, which holds one weekend's short-term schedules): run times are
    medians over all of them, and waits come from a documented default headway per
    operator (:data:`OPERATOR_HEADWAY_MIN`).  By day the default is shortened at a
    station where the sample's own departures show a more frequent service: counted on
    the sample's busiest day (:func:`busiest_day`, the date most of its schedules run:
    Saturday 21 March 2020 for the pack's) in ``count_window`` (10:00-16:00) towards
    the busiest next station.  A truncated sample's counts are lower bounds (the pack's
    has no Saturday train at Kingston and 5 an hour at Lewisham), so a count never
    lengthens a default.  At night only the links some train runs within the night
    window (on any date) are kept, at the night headway.
``auto`` (the default)
    ``pooled`` when the file is recognised as a sample: it holds fewer than
    ``sample_max_schedules`` (50,000) schedules.  The national feed holds several
    hundred thousand; the pack's sample its first 20,000, and on a Wednesday those
    serve 17 of its 386 London stations.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.errors import DataError
from geodata.travel._cif import CifTimetable
from geodata.travel.base import TimeBand
from geodata.travel.transit_settings import OPERATOR_HEADWAY_MIN, RailSettings

__all__ = [
    "OPERATOR_HEADWAY_MIN",
    "OPERATOR_NAMES",
    "RailNetwork",
    "RailSettings",
    "busiest_day",
    "describe_rail",
    "rail_network",
    "service_day",
    "timetable_kind",
]

log = logging.getLogger(__name__)

#: ATOC operator codes (2020) and their names
OPERATOR_NAMES: dict[str, str] = {
    "AW": "Transport for Wales",
    "CC": "c2c",
    "CH": "Chiltern Railways",
    "CS": "Caledonian Sleeper",
    "EM": "East Midlands Railway",
    "GC": "Grand Central",
    "GN": "Great Northern",
    "GR": "LNER",
    "GW": "Great Western Railway",
    "GX": "Gatwick Express",
    "HT": "Hull Trains",
    "HX": "Heathrow Express",
    "LE": "Greater Anglia",
    "LM": "West Midlands Trains",
    "LO": "London Overground",
    "LT": "London Underground",
    "ME": "Merseyrail",
    "NT": "Northern",
    "SE": "Southeastern",
    "SN": "Southern",
    "SR": "ScotRail",
    "SW": "South Western Railway",
    "TL": "Thameslink",
    "TP": "TransPennine Express",
    "VT": "Avanti West Coast",
    "XC": "CrossCountry",
    "XR": "TfL Rail",
}


@dataclass(frozen=True, eq=False)
class RailNetwork:
    """National Rail tables in the stop graph's source form (see ``_TflSource``)."""

    #: ``id`` (``nr:CRS``), ``name``, ``x``, ``y``
    stops: pd.DataFrame
    #: ``key`` (``nr:OP``), ``short`` (operator code), ``name``, ``mode`` (``rail``), ``headway_s``
    lines: pd.DataFrame
    #: ``key``, ``stop_a``, ``stop_b``, ``seconds``
    segs: pd.DataFrame
    #: dated: ``key``, ``stop``, ``headway_s`` per station (overrides the line's)
    node_headway: pd.DataFrame
    #: walking links between stations: ``stop_a``, ``stop_b``, ``seconds``
    walks: pd.DataFrame
    #: ``dated`` or ``pooled``
    kind: str
    #: the date the timetable was read for (dated), else None
    date: dt.date | None


def describe_rail(kind: str, settings: RailSettings, day: dt.date | str | None = None) -> str:
    """One phrase for the engine note: how National Rail was read."""
    s = settings
    if kind == "dated":
        return (
            f"National Rail from the CIF timetable's schedules valid on the band's weekday in the "
            f"week of {day or 'the feed’s first valid day'} "
            f"(waits of half the interval between departures counted in the "
            f"{s.window_min:g} min around the band's time)"
        )
    return (
        "National Rail from every passenger schedule in the CIF sample whatever its date "
        "(run times are medians over its trains; the file is a one-weekend sample, so waits "
        "are half a default headway per operator: "
        + ", ".join(f"{op} {h:g}" for op, h in sorted(s.operator_headway_min))
        + f" min, others {s.other_headway_min:g}, every operator {s.night_headway_min:g} at "
        "night"
        + (
            f"; by day shorter at a station where the sample's own departures on its busiest "
            f"day, {_hhmm(s.count_window[0])}-{_hhmm(s.count_window[1])}, are more frequent: a "
            "truncated sample's counts are lower bounds, so they never lengthen a default"
            if s.count_window[1] > s.count_window[0]
            else ""
        )
        + ")"
    )


def _hhmm(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


def _parse_date(s: str | None, fallback: dt.date | None) -> dt.date:
    if s is None or s == "":
        if fallback is None:
            raise DataError(
                "rail_service_date: the CIF file's header gives no validity; set "
                "rail_service_date (YYYY-MM-DD)"
            )
        return fallback
    if isinstance(s, dt.date):
        return s
    try:
        return dt.date.fromisoformat(str(s))
    except ValueError as exc:
        raise DataError(f"rail_service_date {s!r}: expected a date YYYY-MM-DD") from exc


def service_day(tt: CifTimetable, settings: RailSettings, weekday: int) -> dt.date:
    """The date of ``weekday`` (0 Monday) in the week starting on the service date."""
    start = _parse_date(settings.service_date, tt.valid_from)
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


def timetable_kind(tt: CifTimetable | Path, settings: RailSettings) -> str:
    """``dated`` or ``pooled``, applying the ``auto`` sample-recognition rule.

    ``auto``: a feed with fewer than ``sample_max_schedules`` schedule (``BS``) records is
    a sample.  The national feed holds several hundred thousand; the pack's sample holds
    its first 20,000 (and on a Wednesday serves 17 of its 386 London stations).
    """
    from geodata.travel._tfl_files import cif_timetable_kind

    path = tt if isinstance(tt, Path) else tt.path
    kind = cif_timetable_kind(path, settings.timetable, settings.sample_max_schedules)
    log.info("CIF %s: read as %s", path.name, "a sample (pooled)" if kind == "pooled" else "dated")
    return kind


def busiest_day(tt: CifTimetable, *, span_days: int = 62) -> dt.date | None:
    """The date on which most schedules run (after the STP rules), within ``span_days``
    of the first schedule's start; None for a file with no schedule.

    For the pack's sample, Saturday 21 March 2020 (5,675 schedules; 360 of its 386
    London stations served): the weekend its short-term schedules were made for.
    """
    s = tt.passenger()
    if s.empty:
        return None
    first = min(s["start"])
    last = min(max(s["end"]), first + dt.timedelta(days=span_days))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    start, end, runs = s["start"].to_numpy(), s["end"].to_numpy(), s["days"].to_numpy().astype(str)
    by_wd = [np.array([r[w] == "1" for r in runs], dtype=bool) for w in range(7)]
    # every schedule valid on the date, before the STP rules (an upper bound): the five
    # most promising dates are then counted exactly
    rough = [int(((start <= d) & (end >= d) & by_wd[d.weekday()]).sum()) for d in days]
    picks = sorted(range(len(days)), key=lambda i: (-rough[i], i))[:5]
    exact = {days[i]: len(tt.schedules_on(days[i])) for i in picks}
    return max(sorted(exact), key=lambda d: exact[d])


def _counted_headways(
    tt: CifTimetable, s: RailSettings, keep: pd.DataFrame, default_min: dict[str, float]
) -> pd.DataFrame:
    """Pooled, by day: per (operator, station) the headway counted on the busiest day in
    ``s.count_window``, where it is shorter than the operator's default (``key``,
    ``stop``, ``headway_s``).  ``keep`` holds the modelled links (``op``, ``a``, ``b``)."""
    empty = pd.DataFrame(columns=["key", "stop", "headway_s"])
    lo, hi = s.count_window
    day = busiest_day(tt) if hi > lo else None
    if day is None:
        return empty
    sched = tt.schedules_on(day)
    sched = sched[~sched["operator"].isin(s.skip_operators) & (sched["count"] >= 2)]
    c = tt.calls_of(sched)
    if c.empty:
        return empty
    same = c["sched"].to_numpy()[1:] == c["sched"].to_numpy()[:-1]
    a, b = c.iloc[:-1][same], c.iloc[1:][same]
    dep = pd.DataFrame({
        "op": sched.loc[a["sched"].to_numpy(), "operator"].to_numpy(),
        "a": a["station"].astype(str).to_numpy(),
        "b": b["station"].astype(str).to_numpy(),
        "t": a["dep"].to_numpy(np.float64),
    })
    dep = dep[(dep["t"] >= lo) & (dep["t"] < hi)]
    dep = dep.merge(keep[["op", "a", "b"]].drop_duplicates(), on=["op", "a", "b"])
    if dep.empty:
        return empty
    busiest = dep.groupby(["op", "a", "b"]).size().groupby(level=["op", "a"]).max()
    minutes = (hi - lo) / busiest
    default = np.array([default_min[op] for op, _ in busiest.index])
    short = minutes.to_numpy() < default
    ops = busiest.index.get_level_values("op")[short]
    stops = busiest.index.get_level_values("a")[short]
    out = pd.DataFrame({"key": "nr:" + pd.Series(ops, dtype=object), "stop": "nr:" + pd.Series(stops, dtype=object),
                        "headway_s": minutes.to_numpy()[short] * 60.0})
    log.info("National Rail (pooled): %d of %d operator-stations run more often on %s, %g-%g min, "
             "than their default headway", len(out), len(busiest), day, lo, hi)
    return out


def _in_window(t: np.ndarray, centre: float, half: float) -> np.ndarray:
    return (t >= centre - half) & (t < centre + half)


def rail_network(
    tt: CifTimetable,
    band: TimeBand,
    settings: RailSettings,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    positions: dict[str, tuple[float, float]] | None = None,
) -> RailNetwork:
    """The National Rail lines running in ``band``.

    ``bbox`` (xmin, ymin, xmax, ymax in EPSG:27700 metres) keeps only links with both
    stations inside it.  ``positions`` (CRS -> EPSG:27700 point) replaces the station
    list's grid references, which are rounded to 100 m.
    """
    s = settings
    kind = timetable_kind(tt, s)
    half = s.window_min / 2.0
    centre = float(band.minute)
    if kind == "dated":
        day = service_day(tt, s, band.weekday)
        today = tt.schedules_on(day)
        parts = [(today, 0.0)]
        if band.minute < 12 * 60:  # past-midnight running of the previous day's trains
            parts.append((tt.schedules_on(day - dt.timedelta(days=1)), 1440.0))
    else:
        day = None
        parts = [(tt.passenger(), 0.0)]
        if band.is_night:
            parts.append((tt.passenger(), 1440.0))

    frames = []
    for sched, shift in parts:
        sched = sched[~sched["operator"].isin(s.skip_operators) & (sched["count"] >= 2)]
        c = tt.calls_of(sched)
        if c.empty:
            continue
        same = c["sched"].to_numpy()[1:] == c["sched"].to_numpy()[:-1]
        a = c.iloc[:-1][same]
        b = c.iloc[1:][same]
        op = sched.loc[a["sched"].to_numpy(), "operator"].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "op": op,
                    "a": a["station"].astype(str).to_numpy(),
                    "b": b["station"].astype(str).to_numpy(),
                    "dep": a["dep"].to_numpy() - shift,
                    "run": b["arr"].to_numpy() - a["dep"].to_numpy(),
                    "sched": a["sched"].to_numpy(),
                }
            )
        )
    links = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["op", "a", "b", "dep", "run", "sched"])
    )
    links = links[links["a"] != links["b"]]
    st = tt.stations.set_index("crs")
    if positions:
        st = st.copy()
        hit = st.index.isin(list(positions))
        st.loc[hit, "x"] = [positions[c][0] for c in st.index[hit]]
        st.loc[hit, "y"] = [positions[c][1] for c in st.index[hit]]
    ok = links["a"].isin(st.index) & links["b"].isin(st.index)
    links = links[ok]
    if bbox is not None and len(links):
        xa, ya = st.loc[links["a"], "x"].to_numpy(), st.loc[links["a"], "y"].to_numpy()
        xb, yb = st.loc[links["b"], "x"].to_numpy(), st.loc[links["b"], "y"].to_numpy()
        inside = (
            (xa >= bbox[0])
            & (xa <= bbox[2])
            & (ya >= bbox[1])
            & (ya <= bbox[3])
            & (xb >= bbox[0])
            & (xb <= bbox[2])
            & (yb >= bbox[1])
            & (yb <= bbox[3])
        )
        links = links[inside]

    # which links run in the band
    # which links run in the band: a dated timetable's, and a pooled one's at night,
    # are those a train leaves within the window (past-midnight times shifted above)
    if kind == "dated" or band.is_night:
        running = links[_in_window(links["dep"].to_numpy(np.float64), centre, half)]
    else:
        running = links
    # run times: medians over every train of the operator that runs the link (in the
    # whole file for a pooled timetable, so night links keep their daytime median)
    basis = links if kind == "pooled" else running
    med = basis.groupby(["op", "a", "b"], sort=True)["run"].median().rename("run")
    keys = running[["op", "a", "b"]].drop_duplicates()
    segs = keys.join(med, on=["op", "a", "b"])
    segs = segs[np.isfinite(segs["run"]) & (segs["run"] >= 0)]

    ops = sorted(set(segs["op"]))
    if kind == "pooled":
        table = dict(s.operator_headway_min)
        hw = [
            (s.night_headway_min if band.is_night else table.get(o, s.other_headway_min))
            for o in ops
        ]
        node_hw = pd.DataFrame(columns=["key", "stop", "headway_s"])
        if not band.is_night and ops:
            node_hw = _counted_headways(tt, s, segs, dict(zip(ops, hw, strict=True)))
    else:
        # departures per (operator, station, next station) in the window; the wait at a
        # station is for the busiest next station
        counts = running.groupby(["op", "a", "b"]).size().rename("n").reset_index()
        busiest = counts.groupby(["op", "a"])["n"].max().reset_index()
        busiest["headway_s"] = (
            np.minimum(s.window_min / busiest["n"].to_numpy(), s.max_headway_min) * 60.0
        )
        node_hw = pd.DataFrame(
            {
                "key": "nr:" + busiest["op"],
                "stop": "nr:" + busiest["a"],
                "headway_s": busiest["headway_s"].to_numpy(),
            }
        )
        per_op = busiest.groupby("op")["headway_s"].median()
        hw = [float(per_op.get(o, s.max_headway_min * 60.0)) / 60.0 for o in ops]

    lines = pd.DataFrame(
        {
            "key": [f"nr:{o}" for o in ops],
            "short": ops,
            "name": [OPERATOR_NAMES.get(o, o) for o in ops],
            "mode": "rail",
            "night_bus": False,
            "headway_s": np.asarray(hw, dtype=np.float64) * 60.0,
        }
    )
    used = sorted(set(segs["a"]) | set(segs["b"]))
    stops = pd.DataFrame(
        {
            "id": [f"nr:{c}" for c in used],
            "name": [_station_name(st.at[c, "name"]) for c in used],
            "x": st.loc[used, "x"].to_numpy(dtype=np.float64) if used else np.empty(0),
            "y": st.loc[used, "y"].to_numpy(dtype=np.float64) if used else np.empty(0),
        }
    )
    seg_df = pd.DataFrame(
        {
            "key": "nr:" + segs["op"].to_numpy().astype(object),
            "stop_a": "nr:" + segs["a"].to_numpy().astype(object),
            "stop_b": "nr:" + segs["b"].to_numpy().astype(object),
            "metres": np.nan,
            "seconds": segs["run"].to_numpy(dtype=np.float64) * 60.0,
        }
    )
    used_set = set(used)
    walks = pd.DataFrame(
        [
            (f"nr:{w.a}", f"nr:{w.b}", w.minutes * 60.0)
            for w in tt.walk_links
            if w.a in used_set and w.b in used_set
        ],
        columns=["stop_a", "stop_b", "seconds"],
    )
    log.info(
        "National Rail (%s%s): %d stations, %d operators, %d links",
        kind,
        f" {day}" if day else "",
        len(stops),
        len(lines),
        len(seg_df),
    )
    return RailNetwork(
        stops=stops,
        lines=lines,
        segs=seg_df,
        node_headway=node_hw,
        walks=walks,
        kind=kind,
        date=day,
    )


def _station_name(name: str) -> str:
    """MSN names are upper case: 'LONDON CHARING CROSS' -> 'London Charing Cross'."""
    out = " ".join(w if w in ("&",) else w.capitalize() for w in str(name).split())
    return out.replace("'S ", "'s ")
