"""One search from one point (``times_from``) gives what a one-row matrix gives, for every engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geodata.errors import DataError
from geodata.travel import BANDS, CrowflyEngine, Mode, Points, TransitEngine, times_from
from tests.geodata.test_transit import gtfs_stop_xy

TOY_GTFS = Path(__file__).resolve().parents[1] / "data" / "gtfs_toy"


def _dests() -> Points:
    xy = [gtfs_stop_xy(s) for s in "ABCD"] + [(531000.0, 181000.0), (528000.0, 179500.0)]
    return Points(np.array([f"d{i}" for i in range(len(xy))]), np.array([p[0] for p in xy]),
                  np.array([p[1] for p in xy]))


@pytest.mark.parametrize("band", ["Wed 12:00", "Sat 12:00", "Wed 02:00", "Sun 04:00"])
def test_transit_times_from_equal_the_matrix_row(band):
    eng = TransitEngine.from_gtfs(TOY_GTFS)
    dests = _dests()
    for origin in (gtfs_stop_xy("A"), gtfs_stop_xy("C"), (529500.0, 180200.0)):
        row = eng.matrix(Points(np.array(["o"]), np.array([origin[0]]), np.array([origin[1]])), dests, band)[0]
        got = times_from(eng, origin, dests, band)
        assert np.array_equal(np.isinf(got), np.isinf(row))
        np.testing.assert_allclose(got[np.isfinite(got)], row[np.isfinite(row)], rtol=1e-5)


def test_transit_times_from_a_to_d_by_hand():
    eng = TransitEngine.from_gtfs(TOY_GTFS)
    d = gtfs_stop_xy("D")
    dests = Points(np.array(["D"]), np.array([d[0]]), np.array([d[1]]))
    # R3 express every 30 min: the planned wait 2 x 60 + 0.3 x 1800 = 660 s (not half, 900)
    # + 60 boarding, ride 600
    assert times_from(eng, gtfs_stop_xy("A"), dests, "Wed 12:00")[0] == pytest.approx(1320, abs=0.01)


@pytest.mark.parametrize("mode", [Mode.WALK, Mode.DRIVE])
def test_crowfly_times_from_equal_the_matrix_row(mode):
    eng = CrowflyEngine(mode)
    dests = _dests()
    o = (530000.0, 180000.0)
    row = eng.matrix(Points(np.array(["o"]), np.array([o[0]]), np.array([o[1]])), dests, BANDS["night"])[0]
    np.testing.assert_array_equal(times_from(eng, o, dests, "night"), row)


def test_times_from_refuses_an_origin_without_coordinates():
    with pytest.raises(DataError, match="no finite coordinates"):
        times_from(CrowflyEngine(Mode.WALK), (float("nan"), 1.0), _dests(), "day")
