"""The app's background builds (:class:`estate.background.Warmup`) on a fake planner: what runs when."""

from __future__ import annotations

import threading
import time

from estate.background import Warmup


class _Planner:
    def __init__(self) -> None:
        self.done: list[object] = []
        self.lock = threading.Lock()

    def matrix(self, mode: str, band: str, progress=None) -> None:
        if mode == "broken":
            raise ValueError("no engine")
        with self.lock:
            self.done.append((mode, band))

    def has_matrix(self, mode: str, band: str) -> bool:
        with self.lock:
            return (mode, band) in self.done


def _wait(cond, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_a_wanted_pair_comes_first_and_the_rest_waits_for_release():
    p = _Planner()
    extra_ran = threading.Event()
    w = Warmup(p, [("walk", "night"), ("walk", "day"), ("drive", "night")],
               extra=[extra_ran.set], hold=60.0).start()
    w.want("drive", "night")
    _wait(lambda: w.status("drive", "night").ready)
    time.sleep(0.3)
    assert p.done == [("drive", "night")] and not extra_ran.is_set()  # held: nothing else competes
    w.release()
    _wait(lambda: len(p.done) == 3)
    assert extra_ran.is_set()
    assert p.done == [("drive", "night"), ("walk", "night"), ("walk", "day")]


def test_without_a_release_the_hold_runs_out():
    p = _Planner()
    w = Warmup(p, [("walk", "night")], hold=0.3).start()
    _wait(lambda: w.status("walk", "night").ready, timeout=10)


def test_a_failing_matrix_is_its_status_not_a_dead_thread():
    p = _Planner()
    w = Warmup(p, [("broken", "night"), ("walk", "day")]).start()
    _wait(lambda: w.status("walk", "day").ready)
    s = w.status("broken", "night")
    assert not s.ready and s.error == "ValueError: no engine"


def test_a_delayed_release_starts_the_rest_after_its_delay_counted_from_the_first_call():
    p = _Planner()
    w = Warmup(p, [("walk", "night"), ("walk", "day")], hold=60.0).start()
    w.want("walk", "night")
    _wait(lambda: w.status("walk", "night").ready)
    t = time.monotonic()
    w.release(after=0.6)
    time.sleep(0.3)
    w.release(after=0.6)  # every rerun calls it: the first call's clock counts
    time.sleep(0.15)
    assert p.done == [("walk", "night")]  # 0.45 s after the first call: still held
    _wait(lambda: w.status("walk", "day").ready)
    assert time.monotonic() - t >= 0.6
