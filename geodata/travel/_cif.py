"""Read a Rail Delivery Group timetable in the industry's CIF format (the "TTIS" feed).

The feed is a zip (or a folder) of fixed-width text files, as RDG publishes it for the
whole of Great Britain: the timetable itself (``.mca``, or ``.cif``), the Master
Station Names (``.msn``: CRS code, TIPLOCs and a grid reference for every station) and
the fixed and additional links between stations (``.flf``, ``.alf``).  The record
layouts are those of RSP's "Timetable Information Data Feed Interface Specification"
(RSPS5046).  The same code reads the pack's 20,000-schedule sample and the full feed.

What is read, and checked where it enters:

* ``BS`` basic schedules with their validity (dates, days run) and STP indicator
  (``P`` permanent, ``N`` new short-term, ``O`` overlay, ``C`` cancellation); ``BX``
  gives the operator (ATOC code);
* ``LO``/``LI``/``LT`` calling points.  Scheduled times must not go backwards except
  when they wrap past midnight (a drop of more than 12 hours); a location without
  public times is a passing point and is skipped;
* anything else (``HD``, ``TI``/``TA``/``TD``, ``AA``, ``CR``, ``TN``/``LN``, ``ZZ``) is
  recognised; an unknown record type, a record outside a schedule, a schedule cut off
  before its ``LT`` and a file without the ``ZZ`` trailer are errors (:class:`CIFError`)
  naming the file and line.

Counted, named warnings (:class:`CIFDataWarning`), never silent drops: public calls at
a TIPLOC missing from the station list (the call is left out), overlays whose
permanent schedule is not in the file.

:meth:`CifTimetable.schedules_on` applies the STP rules for one date (a cancellation
or an overlay replaces the permanent schedule on its dates; ``C`` before ``N`` before
``O`` before ``P``).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import re
import warnings
import zipfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.errors import CIFError, MissingDataError
from geodata.travel._transit_graph import TransitDataWarning

__all__ = [
    "PASSENGER_CATEGORIES",
    "CIFDataWarning",
    "CifTimetable",
    "WalkLink",
    "read_cif",
]

log = logging.getLogger(__name__)


class CIFDataWarning(TransitDataWarning):
    """Something in a CIF feed was left out or looks wrong; the message counts and names it."""


#: train categories of advertised passenger trains (RSPS5046): ordinary (OL metro,
#: OO ordinary, OS staff is *not* public), express (XC channel tunnel, XD, XI, XR, XU,
#: XX, XZ sleeper).  Buses (BR, BS) and ships are left to other sources.
PASSENGER_CATEGORIES = frozenset({"OL", "OO", "XC", "XD", "XI", "XR", "XU", "XX", "XZ"})
#: train status of passenger trains: P permanent, 1 short-term
_PASSENGER_STATUS = frozenset({"P", "1"})
_KNOWN = frozenset(
    {"HD", "TI", "TA", "TD", "AA", "BS", "BX", "TN", "LO", "LI", "CR", "LT", "LN", "ZZ"}
)
#: activity codes of a call where the public may get on or off
_PUBLIC_ACTIVITY = frozenset({"T ", "TB", "TF", "D ", "U ", "R "})
_STP_ORDER = {"C": 0, "N": 1, "O": 2, "P": 3}


@dataclass(frozen=True)
class WalkLink:
    """A walking link between two stations from the ``.flf``/``.alf`` files."""

    a: str
    b: str
    minutes: float


@functools.lru_cache(maxsize=16384)  # a national feed has about a million times, a few thousand distinct
def _hhmm(s: str) -> float | None:
    """``'0715'`` -> 435.0, ``'0715H'`` -> 435.5, blank -> None."""
    s = s.rstrip()
    if not s:
        return None
    if len(s) < 4 or not s[:4].isdigit():
        raise CIFError(s)
    h, m = int(s[:2]), int(s[2:4])
    if h > 23 or m > 59:
        raise CIFError(s)
    return h * 60.0 + m + (0.5 if s[4:5] == "H" else 0.0)


def _date(s: str) -> dt.date:
    return dt.date(2000 + int(s[0:2]), int(s[2:4]), int(s[4:6]))


@dataclass(eq=False)
class CifTimetable:
    """A CIF feed read into tables.

    ``schedules`` has one row per ``BS`` record of a passenger train (and every
    cancellation): ``uid``, ``stp``, ``start``, ``end`` (dates), ``days`` (seven
    ``0``/``1`` characters, Monday first), ``operator``, ``category``, ``line`` (its
    line number in the file), ``first``/``count`` (its calls in ``calls``).
    ``calls`` has the public calling points in order: ``station`` (CRS), ``arr``,
    ``dep`` (minutes after midnight of the day the train starts; past 1440 after
    midnight).  ``stations`` has ``crs``, ``name``, ``x``, ``y`` (EPSG:27700 metres,
    100 m resolution), ``change_min``.
    """

    path: Path
    #: header: extract date, validity start and end
    extracted: dt.date | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    schedules: pd.DataFrame
    calls: pd.DataFrame
    stations: pd.DataFrame
    walk_links: tuple[WalkLink, ...]
    #: every warning raised while reading, as text (also issued as CIFDataWarning)
    notes: list[str] = field(default_factory=list)

    @property
    def n_schedules(self) -> int:
        """Number of schedules read (passenger trains and cancellations)."""
        return len(self.schedules)

    def passenger(self) -> pd.DataFrame:
        """Schedules of trains that run (every STP indicator but ``C``)."""
        return self.schedules[self.schedules["stp"] != "C"]

    def schedules_on(self, day: dt.date) -> pd.DataFrame:
        """The schedules that run on ``day``, after the STP rules.

        For each train UID the schedules valid on ``day`` (dates and days run) compete;
        the lowest STP indicator wins (``C`` < ``N`` < ``O`` < ``P``), so a cancellation
        or an overlay replaces the permanent schedule on its dates.  A winning ``C``
        means the train does not run.
        """
        s = self.schedules
        if s.empty:
            return s
        wd = day.weekday()
        ok = (s["start"] <= day) & (s["end"] >= day) & (s["days"].str[wd] == "1")
        cand = s[ok]
        if cand.empty:
            return cand
        rank = cand["stp"].map(_STP_ORDER)
        cand = cand.assign(_rank=rank).sort_values(["uid", "_rank"], kind="stable")
        win = cand.drop_duplicates("uid", keep="first")
        return win[win["stp"] != "C"].drop(columns="_rank")

    def calls_of(self, sched: pd.DataFrame) -> pd.DataFrame:
        """The calls of the given schedules, with the schedule's row label as ``sched``."""
        if sched.empty:
            return self.calls.iloc[:0].assign(sched=np.empty(0, np.int64))
        first = sched["first"].to_numpy(np.int64)
        count = sched["count"].to_numpy(np.int64)
        starts = np.cumsum(count) - count
        idx = np.repeat(first - starts, count) + np.arange(int(count.sum()))
        out = self.calls.iloc[idx].reset_index(drop=True)
        out["sched"] = np.repeat(sched.index.to_numpy(), count)
        out["seq"] = np.arange(len(out)) - np.repeat(np.cumsum(count) - count, count)
        return out


# ----------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------


def _members(path: Path) -> dict[str, bytes | Path]:
    """The feed's files by lower-case suffix (``mca``, ``msn``, ``flf``, ``alf``)."""
    want = ("mca", "cif", "msn", "flf", "alf")
    found: dict[str, bytes | Path] = {}
    if path.is_dir():
        for p in sorted(path.iterdir()):
            suf = p.suffix.lower().lstrip(".")
            if suf in want and suf not in found:
                found[suf] = p
        return found
    try:
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                suf = name.rsplit(".", 1)[-1].lower() if "." in name else ""
                if suf in want and suf not in found:
                    found[suf] = zf.read(name)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CIFError(f"{path}: cannot open it as a zip of CIF files ({exc})") from exc
    return found


def _lines(blob: bytes | Path) -> Iterator[str]:
    data = blob.read_bytes() if isinstance(blob, Path) else blob
    # CRLF (as RDG ships it) or LF; latin-1 never fails and CIF is ASCII
    text = io.StringIO(data.decode("latin-1"), newline=None)
    for raw in text:
        yield raw.rstrip("\n")


def _read_msn(blob: bytes | Path, where: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Stations (one row per CRS) and TIPLOC -> CRS from the Master Station Names file."""
    rows: dict[str, tuple[str, float, float, float]] = {}
    tiploc: dict[str, str] = {}
    for n, line in enumerate(_lines(blob), start=1):
        if not line.startswith("A    ") or "FILE-SPEC=" in line:
            continue
        line = line.ljust(82)
        name = line[5:35].strip()
        tip = line[36:43].strip()
        crs = line[49:52].strip()
        if not crs or not tip:
            continue
        tiploc.setdefault(tip, crs)
        e, nn = line[52:57].strip(), line[58:63].strip()
        try:
            x, y = (int(e) - 10000) * 100.0, (int(nn) - 60000) * 100.0
        except ValueError as exc:
            raise CIFError(
                f"{where} line {n}: station {name!r} has easting/northing {e!r}/{nn!r}, "
                "expected 5-digit numbers (RSPS5046 MSN layout)"
            ) from exc
        try:
            change = float(line[63:65])
        except ValueError:
            change = np.nan
        if crs not in rows and x > 0 and y > 0:
            rows[crs] = (name, x, y, change)
    st = pd.DataFrame(
        [(c, *v) for c, v in rows.items()], columns=["crs", "name", "x", "y", "change_min"]
    )
    return st, tiploc


_FLF = re.compile(r"ADDITIONAL LINK:\s+(\w+)\s+BETWEEN\s+(\w{3})\s+AND\s+(\w{3})\s+IN\s+(\d+)")


def _read_links(flf: bytes | Path | None, alf: bytes | Path | None) -> tuple[WalkLink, ...]:
    """Walking links between stations (fixed links, and additional links of mode WALK)."""
    best: dict[tuple[str, str], float] = {}
    if flf is not None:
        for line in _lines(flf):
            m = _FLF.search(line)
            if m and m.group(1) == "WALK":
                a, b, t = m.group(2), m.group(3), float(m.group(4))
                best[(a, b)] = min(best.get((a, b), t), t)
    if alf is not None:
        for line in _lines(alf):
            kv = dict(p.split("=", 1) for p in line.strip().split(",") if "=" in p)
            if kv.get("M") == "WALK" and "O" in kv and "D" in kv and kv.get("T", "").isdigit():
                a, b, t = kv["O"], kv["D"], float(kv["T"])
                best[(a, b)] = min(best.get((a, b), t), t)
    return tuple(WalkLink(a, b, t) for (a, b), t in sorted(best.items()))


def _read_mca(
    blob: bytes | Path, where: str, tiploc: dict[str, str]
) -> tuple[dict[str, object], pd.DataFrame, pd.DataFrame, list[str]]:
    header: dict[str, object] = {}
    s_uid: list[str] = []
    s_stp: list[str] = []
    s_start: list[dt.date] = []
    s_end: list[dt.date] = []
    s_days: list[str] = []
    s_op: list[str] = []
    s_cat: list[str] = []
    s_line = array("l")
    s_first = array("l")
    s_count = array("l")
    c_station: list[str] = []
    c_arr = array("d")
    c_dep = array("d")
    missing: dict[str, int] = {}
    stray: dict[str, int] = {}
    notes: list[str] = []

    open_at = 0  # line of the open schedule's BS (0 = none)
    keep = False  # the open schedule is kept (passenger train)
    started = False  # its LO has been read
    uid = ""
    prev = -1.0  # previous scheduled time of the open schedule (with day offset)
    offset = 0.0
    n_calls = 0
    seen_zz = False
    last = 0

    def fail(n: int, msg: str) -> CIFError:
        return CIFError(f"{where} line {n}: {msg}")

    def close(n: int) -> None:
        nonlocal open_at, n_calls
        if open_at and keep:
            s_count.append(n_calls)
        open_at = 0
        n_calls = 0

    for n, line in enumerate(_lines(blob), start=1):
        last = n
        if not line.strip():
            continue
        if seen_zz:
            raise fail(n, "records after the ZZ trailer record")
        rec = line[:2]
        if rec not in _KNOWN:
            raise fail(
                n,
                f"unknown record type {rec!r} (expected one of {', '.join(sorted(_KNOWN))}); "
                "is this a CIF timetable (.mca) file?",
            )
        line = line.ljust(80)
        if rec == "HD":
            if line[46] not in ("F", " "):
                raise fail(
                    n,
                    f"update indicator {line[46]!r}: this is an update (CFA) extract, which "
                    "only makes sense applied to a full one; use the full (F) extract",
                )
            try:
                header = {
                    "extracted": dt.datetime.strptime(line[22:28], "%d%m%y").date(),
                    "valid_from": dt.datetime.strptime(line[48:54], "%d%m%y").date(),
                    "valid_to": dt.datetime.strptime(line[54:60], "%d%m%y").date(),
                }
            except ValueError:
                header = {}
            continue
        if rec == "ZZ":
            if open_at and started:
                raise fail(n, f"schedule {uid} (line {open_at}) has no LT (terminating) record")
            close(n)
            seen_zz = True
            continue
        if rec == "BS":
            if open_at and started:
                raise fail(n, f"schedule {uid} (line {open_at}) has no LT (terminating) record")
            close(n)
            uid = line[3:9]
            stp = line[79]
            if stp not in _STP_ORDER:
                raise fail(n, f"schedule {uid}: STP indicator {stp!r}, expected C, N, O or P")
            try:
                start = _date(line[9:15])
                end = _date(line[15:21]) if line[15:21].strip() else start
            except ValueError as exc:
                raise fail(
                    n, f"schedule {uid}: dates {line[9:15]!r}-{line[15:21]!r}, expected yymmdd"
                ) from exc
            days = line[21:28] if stp != "C" or line[21:28].strip() else "1111111"
            if len(days) != 7 or set(days) - {"0", "1"}:
                raise fail(n, f"schedule {uid}: days run {days!r}, expected seven 0/1 digits")
            status, cat = line[29], line[30:32]
            keep = stp == "C" or (status in _PASSENGER_STATUS and cat in PASSENGER_CATEGORIES)
            open_at, started, prev, offset = n, False, -1.0, 0.0
            if keep:
                s_uid.append(uid)
                s_stp.append(stp)
                s_start.append(start)
                s_end.append(end)
                s_days.append(days)
                s_op.append("")
                s_cat.append(cat)
                s_line.append(n)
                s_first.append(len(c_station))
            continue
        if rec == "BX":
            if not open_at:
                raise fail(n, "BX record outside a schedule (no BS before it)")
            if keep:
                s_op[-1] = line[11:13].strip()
            continue
        if rec in ("LO", "LI", "LT"):
            if not open_at:
                raise fail(n, f"{rec} record outside a schedule (no BS before it)")
            if rec == "LO":
                if started:
                    raise fail(n, f"schedule {uid}: a second LO (origin) record")
                started = True
            elif not started:
                raise fail(n, f"schedule {uid}: {rec} record before the LO (origin)")
            if not keep:
                if rec == "LT":
                    close(n)
                continue
            tip = line[2:9].strip()
            try:
                if rec == "LO":
                    sched = [_hhmm(line[10:15])]
                    pub_a, pub_d = None, _hhmm(line[15:19])
                    act = line[29:41]
                    stop = True
                elif rec == "LI":
                    arr, dep, pas = _hhmm(line[10:15]), _hhmm(line[15:20]), _hhmm(line[20:25])
                    sched = [arr, dep] if pas is None else [pas]
                    pub_a, pub_d = _hhmm(line[25:29]), _hhmm(line[29:33])
                    act = line[42:54]
                    stop = pas is None
                else:
                    sched = [_hhmm(line[10:15])]
                    pub_a, pub_d = _hhmm(line[15:19]), None
                    act = line[25:37]
                    stop = True
            except ValueError as exc:
                raise fail(
                    n, f"schedule {uid} at {tip}: time {exc.args[0]!r}, expected HHMM"
                ) from exc
            times = [t for t in sched if t is not None]
            if not times:
                raise fail(n, f"schedule {uid} at {tip}: no scheduled time")
            for t in times:
                cand = t + offset
                if cand < prev:
                    if prev - cand > 720:  # wraps past midnight
                        offset += 1440.0
                        cand += 1440.0
                    else:
                        raise fail(
                            n,
                            f"schedule {uid} at {tip}: time {t // 60:02.0f}:{t % 60:02.0f} "
                            f"is earlier than the previous calling point's "
                            f"{(prev % 1440) // 60:02.0f}:{prev % 60:02.0f} (times go "
                            "backwards); fix or remove the schedule",
                        )
                prev = cand
            codes = {act[i : i + 2] for i in range(0, 12, 2)}
            public = (pub_a not in (None, 0.0)) or (pub_d not in (None, 0.0))
            if not public and stop and codes & _PUBLIC_ACTIVITY:
                public = True  # a public call at exactly midnight has public time 0000
            if public:
                crs = tiploc.get(tip)
                if crs is None:
                    missing[tip] = missing.get(tip, 0) + 1
                else:
                    base = times[0] + offset

                    def wrap(p: float | None, ref: float, fallback: float) -> float:
                        if p is None or (p == 0.0 and abs(ref % 1440 - 0) > 1):
                            return fallback
                        v = p + (ref - ref % 1440)
                        if v < ref - 720:
                            v += 1440
                        elif v > ref + 720:
                            v -= 1440
                        return v

                    a_t = wrap(pub_a, base, base)
                    d_t = wrap(pub_d, times[-1] + offset, times[-1] + offset)
                    if rec == "LO":
                        a_t = d_t
                    if rec == "LT":
                        d_t = a_t
                    c_station.append(crs)
                    c_arr.append(a_t)
                    c_dep.append(max(d_t, a_t))
                    n_calls += 1
            if rec == "LT":
                close(n)
            continue
        # AA, TI/TA/TD, CR, TN, LN: recognised, not needed
        if rec in ("CR", "TN", "LN") and not open_at:
            stray[rec] = stray.get(rec, 0) + 1

    if open_at and started:
        raise CIFError(
            f"{where}: ends at line {last} inside schedule {uid} (line {open_at}), before its "
            "LT record: the file is truncated; download it again"
        )
    close(last)
    if not seen_zz:
        raise CIFError(
            f"{where}: ends at line {last} without the ZZ trailer record: the file is "
            "truncated (or not a CIF timetable); download it again"
        )
    if stray:
        notes.append(
            f"{where}: ignored "
            + ", ".join(f"{c} {r} record(s)" for r, c in sorted(stray.items()))
            + " outside any schedule (changes en route or notes with no schedule to apply to)"
        )
    if missing:
        shown = ", ".join(
            f"{t} ({c})" for t, c in sorted(missing.items(), key=lambda kv: -kv[1])[:8]
        )
        notes.append(
            f"{where}: {sum(missing.values())} public calling point(s) at {len(missing)} "
            f"TIPLOC(s) missing from the station list were left out: {shown}"
            + (" ..." if len(missing) > 8 else "")
        )
    sched = pd.DataFrame(
        {
            "uid": s_uid,
            "stp": s_stp,
            "start": s_start,
            "end": s_end,
            "days": s_days,
            "operator": s_op,
            "category": s_cat,
            "line": np.frombuffer(s_line, dtype=np.int64) if s_line else np.empty(0, np.int64),
            "first": np.frombuffer(s_first, dtype=np.int64) if s_first else np.empty(0, np.int64),
            "count": np.frombuffer(s_count, dtype=np.int64) if s_count else np.empty(0, np.int64),
        }
    )
    calls = pd.DataFrame(
        {
            "station": pd.Categorical(c_station),
            "arr": np.frombuffer(c_arr, dtype=np.float64) if c_arr else np.empty(0),
            "dep": np.frombuffer(c_dep, dtype=np.float64) if c_dep else np.empty(0),
        }
    )
    # overlays whose permanent schedule is not in the file
    perm = set(sched.loc[sched["stp"] == "P", "uid"])
    orphan = sched[(sched["stp"] == "O") & ~sched["uid"].isin(perm)]
    if len(orphan):
        notes.append(
            f"{where}: {len(orphan)} overlay schedule(s) (STP O) whose permanent schedule is "
            f"not in the file, e.g. {', '.join(orphan['uid'].head(5))}: they are used as they "
            "are (a sample or a partial extract)"
        )
    return header, sched, calls, notes


def read_cif(path: Path | str, *, warn: bool = True) -> CifTimetable:
    """Read a CIF feed: a zip as RDG publishes it, or a folder of its files.

    Raises
    ------
    MissingDataError
        When the path does not exist.
    CIFError
        When a file is malformed: the message names the file and line and the fix.
    """
    path = Path(path)
    if not path.exists():
        raise MissingDataError(f"CIF timetable {path} does not exist")
    files = _members(path)
    mca = files.get("mca", files.get("cif"))
    if mca is None:
        raise CIFError(f"{path}: no timetable (.mca or .cif) file in it")
    if "msn" not in files:
        raise CIFError(
            f"{path}: no Master Station Names (.msn) file in it; the feed's station list is "
            "needed to place the stations (use the whole RDG zip)"
        )
    stations, tiploc = _read_msn(files["msn"], f"{path.name}:msn")
    links = _read_links(files.get("flf"), files.get("alf"))
    header, sched, calls, notes = _read_mca(mca, f"{path.name}:mca", tiploc)
    for note in notes:
        log.info("%s", note)
        if warn:
            warnings.warn(note, CIFDataWarning, stacklevel=2)
    log.info(
        "CIF %s: %d schedules kept (%d calls), %d stations, %d walk links",
        path.name,
        len(sched),
        len(calls),
        len(stations),
        len(links),
    )
    return CifTimetable(
        path=path,
        extracted=header.get("extracted"),  # type: ignore[arg-type]
        valid_from=header.get("valid_from"),  # type: ignore[arg-type]
        valid_to=header.get("valid_to"),  # type: ignore[arg-type]
        schedules=sched,
        calls=calls,
        stations=stations,
        walk_links=links,
        notes=notes,
    )


def stations_served(
    tt: CifTimetable, sched: pd.DataFrame, within: Iterable[str] | None = None
) -> int:
    """How many distinct stations the given schedules call at (optionally among ``within``)."""
    calls = tt.calls_of(sched)
    got = set(calls["station"].astype(str))
    if within is not None:
        got &= set(within)
    return len(got)
