"""National Rail from a CIF timetable: a toy feed checked by hand, bad inputs, the pack's sample.

The toy feed is written per test in the RSPS5046 fixed-width layout (CRLF line
endings, as RDG ships it): three stations A, B, C 1 km apart on a line, and

* ``A00001`` permanent, Mon-Fri, 16-27 Mar 2020: A 10:00 -> B 10:10/10:11 -> C 10:20;
  overlaid on Wed 18 Mar by a slower run A 10:00 -> C 10:30;
* ``A00002`` permanent, Mon-Fri: A 10:40 -> B 10:50, cancelled on Thu 19 Mar;
* ``A00003`` Saturdays only: A 12:00 -> C 12:15;
* ``A00004`` new STP, Mon-Fri: A 23:50 -> (passing an unknown junction) -> B 00:05,
  past midnight;
* ``A00005`` permanent, Mon-Fri: A 10:20 -> B 10:28.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from geodata.errors import CIFError
from geodata.travel._cif import CIFDataWarning, read_cif
from geodata.travel._rail import (
    RailSettings,
    busiest_day,
    describe_rail,
    rail_network,
    timetable_kind,
)
from geodata.travel.base import parse_band

PACK_CIF = (
    Path(os.environ.get("ESTATE_DATA", Path(__file__).resolve().parents[3] / "shared" / "london"))
    / "network"
    / "rail"
    / "atoc_cif_timetable_sample_2020-03.zip"
)


def rec(*fields: tuple[int, str]) -> str:
    """An 80-character record with each text at its 0-based column."""
    line = [" "] * 80
    for col, text in fields:
        line[col : col + len(text)] = list(text)
    return "".join(line)


def bs(uid: str, start: str, end: str, days: str, stp: str, *, status: str = "P") -> str:
    return rec((0, "BSN"), (3, uid), (9, start), (15, end), (21, days), (29, status), (30, "OO"), (79, stp))


def bx(op: str) -> str:
    return rec((0, "BX"), (11, op))


def lo(tip: str, dep: str) -> str:
    return rec((0, "LO"), (2, tip), (10, dep), (15, dep[:4]), (29, "TB"))


def li(tip: str, arr: str, dep: str, *, public: bool = True) -> str:
    if public:
        return rec((0, "LI"), (2, tip), (10, arr), (15, dep), (25, arr[:4]), (29, dep[:4]), (42, "T "))
    return rec((0, "LI"), (2, tip), (20, arr), (25, "0000"), (29, "0000"))


def lt(tip: str, arr: str) -> str:
    return rec((0, "LT"), (2, tip), (10, arr), (15, arr[:4]), (25, "TF"))


HD = rec((0, "HDTPS.UCFCATE.PD200316"), (22, "160320"), (26, "2000"), (46, "FA"), (48, "160320"), (54, "270320"))
ZZ = rec((0, "ZZ"))


def schedules() -> list[str]:
    return [
        bs("A00001", "200316", "200327", "1111100", "P"), bx("SE"),
        lo("AAAA", "1000 "), li("BBBB", "1010 ", "1011 "), lt("CCCC", "1020 "),
        bs("A00001", "200318", "200318", "1111100", "O"), bx("SE"),
        lo("AAAA", "1000 "), lt("CCCC", "1030 "),
        bs("A00002", "200316", "200327", "1111100", "P"), bx("SE"),
        lo("AAAA", "1040 "), lt("BBBB", "1050 "),
        bs("A00002", "200319", "200319", "1111100", "C"),
        bs("A00003", "200316", "200327", "0000010", "P"), bx("SE"),
        lo("AAAA", "1200 "), lt("CCCC", "1215 "),
        bs("A00004", "200316", "200327", "1111100", "N", status="1"), bx("SE"),
        lo("AAAA", "2350 "), li("XJUNCT", "2358 ", "", public=False), lt("BBBB", "0005 "),
        bs("A00005", "200316", "200327", "1111100", "P"), bx("SE"),
        lo("AAAA", "1020 "), lt("BBBB", "1028 "),
    ]


def msn_line(name: str, tip: str, crs: str, e: int, n: int) -> str:
    return rec((0, "A"), (5, name), (35, "1"), (36, tip), (43, crs), (49, crs), (52, f"{10000 + e // 100:05d}"),
               (58, f"{60000 + n // 100:05d}"), (63, " 5"))


MSN = [
    rec((0, "A"), (30, "FILE-SPEC=05 1.00 16/03/20 18.05.35   590")),
    msn_line("ALPHA", "AAAA", "AAA", 530000, 180000),
    msn_line("BRAVO", "BBBB", "BBB", 531000, 180000),
    msn_line("CHARLIE", "CCCC", "CCC", 532000, 180000),
]


def write_feed(folder: Path, mca: list[str] | None = None, *, eol: str = "\r\n", zz: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [HD, *(schedules() if mca is None else mca), *([ZZ] if zz else [])]
    path = folder / "toy.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("toy.mca", eol.join(lines) + eol)
        z.writestr("toy.msn", eol.join(MSN) + eol)
        z.writestr("toy.flf", "ADDITIONAL LINK: WALK BETWEEN AAA AND BBB IN   7 MINUTES" + eol)
    return path


@pytest.fixture
def toy(tmp_path: Path):
    return read_cif(write_feed(tmp_path))


def runs(tt, day: dt.date) -> dict[str, str]:
    """UID -> STP indicator of the schedules running on ``day``."""
    on = tt.schedules_on(day)
    return dict(zip(on["uid"], on["stp"], strict=True))


# ----------------------------------------------------------------------------------
# validity: permanent, overlays, cancellations, days run
# ----------------------------------------------------------------------------------


def test_reads_header_stations_and_walk_links(toy) -> None:
    assert toy.valid_from == dt.date(2020, 3, 16) and toy.valid_to == dt.date(2020, 3, 27)
    assert set(toy.stations["crs"]) == {"AAA", "BBB", "CCC"}
    a = toy.stations.set_index("crs").loc["AAA"]
    assert (a["x"], a["y"]) == (530000.0, 180000.0)
    assert [(w.a, w.b, w.minutes) for w in toy.walk_links] == [("AAA", "BBB", 7.0)]


def test_overlay_replaces_the_permanent_schedule_on_its_dates(toy) -> None:
    tue, wed = dt.date(2020, 3, 17), dt.date(2020, 3, 18)
    assert runs(toy, tue)["A00001"] == "P" and runs(toy, wed)["A00001"] == "O"
    calls = toy.calls_of(toy.schedules_on(wed))
    first = calls[calls["sched"] == toy.schedules_on(wed).index[toy.schedules_on(wed)["uid"] == "A00001"][0]]
    assert list(first["station"].astype(str)) == ["AAA", "CCC"]  # the overlay's run
    assert first["arr"].iloc[-1] - first["dep"].iloc[0] == 30.0


def test_cancellation_removes_the_train_on_its_date(toy) -> None:
    assert "A00002" in runs(toy, dt.date(2020, 3, 18))
    assert "A00002" not in runs(toy, dt.date(2020, 3, 19))
    assert "A00002" in runs(toy, dt.date(2020, 3, 20))


def test_a_saturday_only_train(toy) -> None:
    assert runs(toy, dt.date(2020, 3, 21)) == {"A00003": "P"}
    assert "A00003" not in runs(toy, dt.date(2020, 3, 20))
    assert runs(toy, dt.date(2020, 3, 22)) == {}  # nothing on Sunday
    assert runs(toy, dt.date(2020, 3, 28)) == {}  # after the validity


def test_time_wrapping_past_midnight_and_passing_points(toy) -> None:
    sched = toy.schedules[toy.schedules["uid"] == "A00004"]
    calls = toy.calls_of(sched)
    # the passing point at an unknown junction is skipped silently (no public times)
    assert list(calls["station"].astype(str)) == ["AAA", "BBB"]
    assert calls["dep"].iloc[0] == 23 * 60 + 50
    assert calls["arr"].iloc[1] == 24 * 60 + 5  # 00:05 the next day


def test_lf_line_endings_read_the_same(tmp_path: Path) -> None:
    a = read_cif(write_feed(tmp_path / "crlf"))
    b = read_cif(write_feed(tmp_path / "lf", eol="\n"))
    assert a.calls.equals(b.calls) and len(a.schedules) == len(b.schedules) == 7


# ----------------------------------------------------------------------------------
# rail lines for the stop graph
# ----------------------------------------------------------------------------------


def test_dated_waits_come_from_the_counted_departures(toy) -> None:
    # Tue 17 Mar 10:30, a 60-min window 10:00-11:00: A -> B is left by A00005 (10:20)
    # and A00002 (10:40); A00001 leaves A for B at 10:00 too: three trains, every 20 min
    s = RailSettings(timetable="dated", service_date="2020-03-16")
    rn = rail_network(toy, parse_band("Tue 10:30"), s)
    hw = rn.node_headway.set_index("stop")["headway_s"]
    assert hw["nr:AAA"] == pytest.approx(20 * 60)
    segs = rn.segs.set_index(["stop_a", "stop_b"])["seconds"]
    # A -> B: medians of 10 (A00001), 10 (A00002) and 8 (A00005) minutes
    assert segs[("nr:AAA", "nr:BBB")] == pytest.approx(10 * 60)
    assert segs[("nr:BBB", "nr:CCC")] == pytest.approx(9 * 60)  # 10:11 -> 10:20
    assert rn.kind == "dated" and rn.date == dt.date(2020, 3, 17)
    assert list(rn.walks.itertuples(index=False, name=None)) == [("nr:AAA", "nr:BBB", 420.0)]


def test_dated_overlay_day_uses_the_overlay_run(toy) -> None:
    s = RailSettings(timetable="dated", service_date="2020-03-16")
    rn = rail_network(toy, parse_band("Wed 10:30"), s)
    segs = rn.segs.set_index(["stop_a", "stop_b"])["seconds"]
    assert segs[("nr:AAA", "nr:CCC")] == pytest.approx(30 * 60)
    assert ("nr:BBB", "nr:CCC") not in segs.index


def test_pooled_uses_every_schedule_with_default_headways(toy) -> None:
    s = RailSettings(timetable="pooled", operator_headway_min=(("SE", 15.0),))
    rn = rail_network(toy, parse_band("Wed 12:00"), s)
    assert rn.lines.set_index("short").at["SE", "headway_s"] == 15 * 60
    segs = rn.segs.set_index(["stop_a", "stop_b"])["seconds"]
    # A -> C: the overlay's 30 and the Saturday train's 15 minutes, median 22.5
    assert segs[("nr:AAA", "nr:CCC")] == pytest.approx(22.5 * 60)
    s2 = RailSettings(timetable="pooled", window_min=120.0)
    night = rail_network(toy, parse_band("Wed 00:40"), s2)
    # in the two hours around 00:40 only the 23:50 train runs (its A -> B link)
    assert list(zip(night.segs["stop_a"], night.segs["stop_b"], strict=True)) == [("nr:AAA", "nr:BBB")]
    assert night.lines["headway_s"].iloc[0] == s2.night_headway_min * 60


def test_pooled_counts_shorten_a_default_headway_never_lengthen_it(toy) -> None:
    # the busiest day: Monday 16 March (4 trains run; Wednesday's overlay replaces A00001,
    # Thursday cancels A00002, Saturday runs A00003 only)
    assert busiest_day(toy) == dt.date(2020, 3, 16)
    # counted 10:00-11:00 that Monday: A -> B left at 10:00, 10:20 and 10:40 (every 20 min,
    # shorter than SE's 30-min default); B -> C once (10:11, every 60: the default stays)
    s = RailSettings(timetable="pooled", operator_headway_min=(("SE", 30.0),), count_window=(600.0, 660.0))
    rn = rail_network(toy, parse_band("Wed 12:00"), s)
    assert rn.lines.set_index("short").at["SE", "headway_s"] == 30 * 60
    assert list(rn.node_headway.itertuples(index=False, name=None)) == [("nr:SE", "nr:AAA", 20 * 60.0)]
    # over 10:00-16:00 the same three trains are every 120 min: a count never lengthens a default
    wide = rail_network(toy, parse_band("Wed 12:00"), replace(s, count_window=(600.0, 960.0)))
    assert wide.node_headway.empty
    assert rail_network(toy, parse_band("Wed 12:00"), replace(s, count_window=(0.0, 0.0))).node_headway.empty
    # at night the night default only
    assert rail_network(toy, parse_band("Wed 00:40"), replace(s, window_min=120.0)).node_headway.empty
    assert "busiest day, 10:00-11:00" in describe_rail("pooled", s)


def test_auto_recognises_a_sample_by_its_size(toy) -> None:
    # the toy's 8 schedules: a sample under the default threshold, a full feed under 5
    assert timetable_kind(toy, RailSettings()) == "pooled"
    assert timetable_kind(toy, RailSettings(sample_max_schedules=5)) == "dated"
    with pytest.raises(CIFError.__mro__[1]):  # DataError: a bad setting
        timetable_kind(toy, RailSettings(timetable="weekly"))


# ----------------------------------------------------------------------------------
# bad inputs: a clear error naming file and line, or a counted, named warning
# ----------------------------------------------------------------------------------


def _cut(lines: list[str]) -> list[str]:
    return [*lines[:-1], lines[-1][:30]]


@pytest.mark.parametrize(
    ("mca", "zz", "message"),
    [
        (_cut(schedules()), False, "truncated"),
        (schedules()[:-1], True, "has no LT"),
        ([*schedules(), rec((0, "QQ"))], True, "unknown record type 'QQ'"),
        (
            [bs("B00001", "200316", "200327", "1111100", "P"), bx("SE"),
             lo("AAAA", "1000 "), li("BBBB", "0950 ", "0951 "), lt("CCCC", "1020 ")],
            True,
            "times go backwards",
        ),
        ([lo("AAAA", "1000 ")], True, "outside a schedule"),
    ],
    ids=["truncated mid-record", "schedule without LT", "unknown record", "backwards", "stray LO"],
)
def test_bad_cif_is_a_clear_error(tmp_path: Path, mca: list[str], zz: bool, message: str) -> None:
    with pytest.raises(CIFError, match=message) as exc:
        read_cif(write_feed(tmp_path, mca, zz=zz))
    assert "toy.zip:mca" in str(exc.value)
    if message != "truncated":
        assert "line " in str(exc.value)


def test_public_call_at_a_station_missing_from_the_list_is_a_counted_warning(tmp_path: Path) -> None:
    mca = [bs("B00001", "200316", "200327", "1111100", "P"), bx("SE"),
           lo("AAAA", "1000 "), li("ZZZZ", "1005 ", "1006 "), lt("BBBB", "1010 "),
           bs("B00002", "200316", "200327", "1111100", "O"), bx("SE"),
           lo("AAAA", "1100 "), lt("BBBB", "1110 ")]
    with pytest.warns(CIFDataWarning) as rec_:
        tt = read_cif(write_feed(tmp_path, mca))
    text = " | ".join(str(w.message) for w in rec_)
    assert "1 public calling point(s) at 1 TIPLOC(s) missing from the station list" in text
    assert "ZZZZ (1)" in text
    assert "1 overlay schedule(s) (STP O) whose permanent schedule is not in the file" in text
    # the train still runs A -> B, without the unknown call
    assert list(tt.calls_of(tt.schedules.iloc[:1])["station"].astype(str)) == ["AAA", "BBB"]


def test_update_extract_is_refused(tmp_path: Path) -> None:
    feed = write_feed(tmp_path)
    with zipfile.ZipFile(feed) as z:
        text = z.read("toy.mca").decode()
    with zipfile.ZipFile(feed, "w") as z:
        z.writestr("toy.mca", text[:46] + "U" + text[47:])
        z.writestr("toy.msn", "\r\n".join(MSN))
    with pytest.raises(CIFError, match="update"):
        read_cif(feed)


# ----------------------------------------------------------------------------------
# the pack's sample
# ----------------------------------------------------------------------------------

needs_pack = pytest.mark.skipif(not PACK_CIF.is_file(), reason="no CIF sample in the data pack")


@pytest.mark.london
@needs_pack
def test_pack_sample_is_read_and_recognised_as_a_sample() -> None:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        tt = read_cif(PACK_CIF)
    names = [str(w.message) for w in got if issubclass(w.category, CIFDataWarning)]
    assert any("overlay schedule(s)" in n for n in names)
    assert len(tt.passenger()) == 10_696  # the PROVENANCE figure
    st = tt.stations
    box = st[(st.x > 503000) & (st.x < 562000) & (st.y > 155000) & (st.y < 201000)]
    assert len(box) == 451
    wed = tt.calls_of(tt.schedules_on(dt.date(2020, 3, 25)))
    assert len(set(wed["station"].astype(str)) & set(box["crs"])) < 200
    assert timetable_kind(tt, RailSettings()) == "pooled"
    rn = rail_network(tt, parse_band("day"), RailSettings())
    segs = rn.segs.set_index(["key", "stop_a", "stop_b"])["seconds"] / 60
    # PROVENANCE spot checks: Waterloo - Clapham Junction 6.5, Victoria - Clapham 6.0
    assert segs[("nr:SW", "nr:WAT", "nr:CLJ")] == pytest.approx(6.5)
    assert segs[("nr:SN", "nr:VIC", "nr:CLJ")] == pytest.approx(6.0)
    # Charing Cross - Lewisham about 16 minutes on Southeastern
    t = segs[("nr:SE", "nr:CHX", "nr:WAE")] + segs[("nr:SE", "nr:WAE", "nr:LBG")]
    assert 14 <= t + segs[("nr:SE", "nr:LBG", "nr:LEW")] <= 18
    assert np.isfinite(segs).all()
