"""The crowfly engine, time bands and the matrix cache."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from geodata.errors import UnknownBandError, UnknownModeError
from geodata.travel.base import BANDS, Mode, Points, parse_band, parse_mode
from geodata.travel.cache import cached_matrix
from geodata.travel.crowfly import CrowflyEngine, CrowflySettings


def pts(*xy, prefix="p"):
    return Points([f"{prefix}{i}" for i in range(len(xy))], [p[0] for p in xy], [p[1] for p in xy])


def test_crowfly_by_hand():
    walk = CrowflyEngine("walk", CrowflySettings(walk_kmh=4.8, walk_detour=1.3, walk_detour_km=()))
    m = walk.matrix(pts((0, 0), (0, 4000)), pts((3000, 0), (0, 0), prefix="s"), BANDS["day"])
    # 3 km x 1.3 = 3.9 km at 80 m/min = 48.75 min
    assert m.dtype == np.float32 and m.shape == (2, 2)
    assert m[0, 0] == pytest.approx(48.75 * 60)
    assert m[0, 1] == 0
    assert m[1, 0] == pytest.approx(5000 * 1.3 / (4.8 / 3.6))
    drive = CrowflyEngine("drive", CrowflySettings(drive_detour_km=()))
    day = drive.matrix(pts((0, 0)), pts((10_000, 0)), BANDS["day"])[0, 0]
    night = drive.matrix(pts((0, 0)), pts((10_000, 0)), BANDS["night"])[0, 0]
    assert day == pytest.approx(14_500 / (24 / 3.6)) and night < day
    assert drive.variant(BANDS["day"]) != drive.variant(BANDS["night"])
    assert "straight-line" in walk.describe() and "4.8 km/h" in walk.describe()


def test_cutoff_gives_inf():
    e = CrowflyEngine("walk", CrowflySettings(cutoff_min=10))
    m = e.matrix(pts((0, 0)), pts((100, 0), (5000, 0)), BANDS["day"])
    assert np.isfinite(m[0, 0]) and np.isinf(m[0, 1])


def test_bands_and_modes():
    assert parse_band("day").minute == 720 and parse_band("night").weekday == 2
    sat = parse_band("sat 03:00")
    assert sat.is_night and sat.night_of == 4  # Friday night
    assert parse_band("Wed 03:00").night_of == 1  # Tuesday night
    assert not parse_band("Wed 12:00").is_night
    for bad in ("noon", "Sat 25:00", "Funday 03:00", ""):
        with pytest.raises(UnknownBandError, match="Sat 03:00"):
            parse_band(bad)
    with pytest.raises(UnknownModeError, match="walk, drive, transit"):
        parse_mode("cycle")


def test_mode_is_parsed_once_and_reads_as_text():
    assert [parse_mode(t) for t in ("walk", "DRIVE", " transit ")] == list(Mode)
    assert parse_mode(Mode.WALK) is Mode.WALK
    assert Mode.TRANSIT == "transit" and {"walk": 1}[Mode.WALK] == 1
    assert json.dumps({"mode": Mode.DRIVE}) == '{"mode": "drive"}'
    assert f"{Mode.WALK}" == str(Mode.WALK) == "walk"
    with pytest.raises(UnknownModeError, match="walk and drive"):
        CrowflyEngine(Mode.TRANSIT)


def test_cache_hit_stale_corrupt_and_unwritable(tmp_path, caplog):
    eng = CrowflyEngine("walk")
    o, d = pts((0, 0), (100, 0)), pts((500, 0), prefix="s")
    m1, r1 = cached_matrix(eng, o, d, BANDS["day"], cache_dir=tmp_path)
    assert r1["status"] == "built"
    m2, r2 = cached_matrix(eng, o, d, BANDS["day"], cache_dir=tmp_path)
    assert r2["status"] == "hit" and np.array_equal(m1, m2)
    # other settings -> another key -> built, never the old file
    eng2 = CrowflyEngine("walk", CrowflySettings(walk_kmh=6.0))
    m3, r3 = cached_matrix(eng2, o, d, BANDS["day"], cache_dir=tmp_path)
    assert r3["status"] == "built" and m3[0, 0] < m1[0, 0]
    # corrupt the first file: detected, rebuilt, and a warning says so
    path = r1["path"]
    from pathlib import Path

    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])
    m4, r4 = cached_matrix(eng, o, d, BANDS["day"], cache_dir=tmp_path)
    assert r4["status"] == "built" and np.array_equal(m4, m1)
    assert "unreadable" in caplog.text
    # a stale file under the right name (other contents) is refused by its key
    np.savez(path, times=np.zeros((2, 1), np.float32), meta=np.array('{"key": "other"}'))
    m5, r5 = cached_matrix(eng, o, d, BANDS["day"], cache_dir=tmp_path)
    assert r5["status"] == "built" and np.array_equal(m5, m1) and "stale" in caplog.text
    # a cache folder that cannot be written: computed in memory, with a warning
    blocker = tmp_path / "file"
    blocker.write_text("x")
    m6, r6 = cached_matrix(eng, o, d, BANDS["day"], cache_dir=blocker / "sub")
    assert r6["status"] == "memory" and np.array_equal(m6, m1)
    assert "computing in memory" in caplog.text


def test_cache_files_raise_cache_error_where_they_fail(tmp_path):
    from geodata.errors import CacheError, PlannerError
    from geodata.travel.cache import load_arrays, save_arrays

    path = tmp_path / "a.npz"
    arrays = {"x": np.arange(3.0), "u": np.array([0, 2], np.int64)}
    layout = {"x": (None, np.float64), "u": ((2,), np.int64)}
    save_arrays(path, "k1", arrays, note="toy")
    back = load_arrays(path, "k1", layout)
    assert np.array_equal(back["x"], arrays["x"]) and np.array_equal(back["u"], arrays["u"])
    with pytest.raises(CacheError, match="stale"):
        load_arrays(path, "k2", layout)
    with pytest.raises(CacheError, match=r"u of shape \(2,\) \(int64\), expected \(3,\)"):
        load_arrays(path, "k1", {"u": ((3,), np.int64)})
    meta = np.load(path)["meta"]
    np.savez(path, x=np.arange(3.0) + 1, u=arrays["u"], meta=meta)  # same key, other numbers
    with pytest.raises(CacheError, match="checksum"):
        load_arrays(path, "k1", layout)
    path.write_bytes(b"not a zip")
    with pytest.raises(CacheError, match="unreadable") as info:
        load_arrays(path, "k1", layout)
    assert isinstance(info.value, OSError) and isinstance(info.value, PlannerError)
    (tmp_path / "file").write_text("x")
    with pytest.raises(CacheError, match="cannot write"):
        save_arrays(tmp_path / "file" / "b.npz", "k1", arrays)


def test_engine_returning_a_wrong_shape_is_an_engine_error(tmp_path):
    from geodata.errors import EngineError

    class Broken(CrowflyEngine):
        def matrix(self, origins, destinations, band, *, progress=None):
            return np.zeros((1, 1), np.float32)

    with pytest.raises(EngineError, match=r"returned shape \(1, 1\), expected \(2, 1\)"):
        cached_matrix(Broken("walk"), pts((0, 0), (1, 0)), pts((5, 0)), BANDS["day"], cache_dir=tmp_path)


def test_crowfly_detour_by_distance_and_the_river():
    """Issue 9: the factor falls with distance (1.37 at 0.6 km to 1.2 from 4 km) and a trip
    across the river goes by a crossing."""
    import shapely

    from geodata.travel.barrier import Crossing, thames_barrier

    s = CrowflySettings(walk_kmh=3.6, walk_detour_km=((0.6, 1.4), (2.0, 1.3), (4.0, 1.2)))
    walk = CrowflyEngine("walk", s)
    m = walk.matrix(pts((0, 0)), pts((500, 0), (3000, 0), (8000, 0), prefix="s"), BANDS["day"])
    # 1 m/s: 500 m x 1.4; 3 km x 1.25 (halfway 1.3 -> 1.2); 8 km x 1.2
    assert m[0].tolist() == pytest.approx([700.0, 3750.0, 9600.0])
    river = thames_barrier(
        [shapely.box(-10_000, 500, 10_000, 10_000), shapely.box(-10_000, -10_000, 10_000, 0)],
        upstream_pair=None,
        crossings=(Crossing("bridge", 4_000, 250, True, True, "24/7", "toy"),),
    )
    across = CrowflyEngine("walk", s, barrier=river)
    t = across.matrix(pts((0, 2_000)), pts((0, -2_000), prefix="s"), BANDS["day"])[0, 0]
    d = math.hypot(4_000, 1_750) + math.hypot(4_000, 2_250)
    assert t == pytest.approx(d * 1.2, rel=1e-4)  # over 4 km: the flat far factor
    assert "crossing" in across.describe() and "by distance" in across.describe()
