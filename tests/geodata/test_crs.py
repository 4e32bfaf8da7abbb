"""geodata.crs: one transformation thread per process (pyproj rebuilds a projection in each new thread)."""

from __future__ import annotations

import multiprocessing
import threading

import numpy as np

from geodata import crs


def _charing_cross() -> tuple[float, float]:
    lon, lat = crs.bng_to_lonlat(np.array([530_000.0]), np.array([180_000.0]))
    return float(lon[0]), float(lat[0])


def test_new_threads_get_the_same_answer_from_the_one_transformation_thread():
    want = _charing_cross()
    assert -0.13 < want[0] < -0.12 and 51.50 < want[1] < 51.51
    got: list[tuple[float, float]] = []
    threads = [threading.Thread(target=lambda: got.append(_charing_cross())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 4
    assert [t.name for t in threading.enumerate() if t.name.startswith("geodata-crs")] != []
    assert len([t for t in threading.enumerate() if t.name.startswith("geodata-crs")]) == 1
    x, y = crs.lonlat_to_bng(np.array([want[0]]), np.array([want[1]]))  # and back
    assert abs(float(x[0]) - 530_000.0) < 0.01 and abs(float(y[0]) - 180_000.0) < 0.01


def _in_child(q) -> None:  # type: ignore[no-untyped-def]
    q.put(_charing_cross())


def test_a_forked_child_makes_its_own_thread_instead_of_waiting_on_the_parents():
    want = _charing_cross()  # the parent's thread exists now
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_in_child, args=(q,))
    p.start()
    p.join(timeout=60)
    assert p.exitcode == 0, "the child hung or failed"
    assert q.get(timeout=5) == want
