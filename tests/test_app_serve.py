"""The launcher (``python -m app.serve``): its preload fills the caches the first session reads,
a session never draws the preloaded map again, and a failing step is logged and changes nothing
else (the session then computes as it would without the launcher)."""

from __future__ import annotations

import logging
import threading
import time

from streamlit.testing.v1 import AppTest

from app import common, serve
from tests.app_support import APP, LONDON_APP_MARKS

TIMEOUT = 120


def _fail() -> None:
    raise RuntimeError("a step that breaks")


def test_a_failing_step_is_logged_and_stops_the_preload(caplog):
    ran: list[str] = []
    steps = [("first", lambda: ran.append("first")), ("second", _fail), ("third", lambda: ran.append("third"))]
    with caplog.at_level(logging.WARNING, logger="app.serve"):
        out = serve.preload(steps)
    assert out["done"] == ["first"] and out["failed"] == "second"
    assert ran == ["first"]  # the steps after it need it: not tried
    (rec,) = [r for r in caplog.records if r.name == "app.serve"]
    assert rec.levelno == logging.WARNING and "could not second" in rec.getMessage()
    assert rec.exc_info and "a step that breaks" in str(rec.exc_info[1])


def test_the_missing_context_warning_is_dropped_for_the_preload_thread_only():
    f = serve._PreloadThreadOnly()

    def record(thread: str, msg: str) -> logging.LogRecord:
        r = logging.LogRecord("streamlit", logging.WARNING, __file__, 1, msg, None, None)
        r.threadName = thread
        return r

    warning = "Thread 'x': missing ScriptRunContext! This warning can be ignored when running in bare mode."
    assert not f.filter(record(serve.PRELOAD_THREAD, warning))
    assert f.filter(record("ScriptRunner.scriptThread", warning))
    assert f.filter(record(serve.PRELOAD_THREAD, "something else went wrong"))


def test_the_launcher_passes_its_flags_to_streamlit_run(monkeypatch):
    from streamlit.web import cli

    seen: dict[str, object] = {}
    monkeypatch.setattr(serve, "start_preload", lambda: seen.setdefault("preload", True))
    monkeypatch.setattr(cli, "main", lambda args, prog_name: seen.update(args=args, prog=prog_name))
    serve.main(["--server.port", "8600", "--server.headless", "true"])
    assert seen == {"preload": True, "prog": "streamlit",
                    "args": ["run", str(serve.APP), "--server.port", "8600", "--server.headless", "true"]}
    assert serve.APP.name == "streamlit_app.py" and serve.APP.is_file()


class TestOnLondon:
    pytestmark = LONDON_APP_MARKS

    def test_the_session_uses_what_the_preload_made(self, scen_dir, monkeypatch):
        out = serve.preload()
        assert out["failed"] == "" and out["done"] == [name for name, _ in serve.STEPS]
        p = common.planner()
        kept = common._maps_kept(common.config())
        assert len(kept) == 1  # the default Compare map
        drawn: list[object] = []
        real_draw = common._draw_map
        monkeypatch.setattr(common, "_draw_map", lambda *a, **k: drawn.append(a) or real_draw(*a, **k))
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.header[0].value == "Compare two scenarios" and len(at.dataframe[0].value) == 33
        assert common.planner() is p  # the same planner: not loaded again
        assert drawn == [] and len(kept) == 1  # the map was a look-up, not a second drawing
        w = common.warmup(common.config())
        assert w.status("walk", "night").ready

    def test_a_second_caller_waits_for_the_map_being_drawn(self, scen_dir, monkeypatch):
        c = common.default_controls()
        real_draw = common._draw_map
        drawn: list[float] = []

        def slow_draw(*a, **k):  # type: ignore[no-untyped-def]
            drawn.append(time.monotonic())
            time.sleep(0.5)  # the other caller arrives meanwhile
            return real_draw(*a, **k)

        common.warmup(common.config()).want(c["mode"], c["band"])
        common.planner().matrix(c["mode"], c["band"])
        monkeypatch.setattr(common, "_draw_map", slow_draw)
        got: list[str] = []
        threads = [threading.Thread(target=lambda: got.append(serve_map(c))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(drawn) == 1 and len(got) == 2 and got[0] == got[1]
        assert common._MAPS_DRAWING == {}

    def test_a_failing_preload_leaves_the_app_working(self, scen_dir):
        out = serve.preload([*serve.STEPS[:2], ("load the default matrix", _fail), *serve.STEPS[3:]])
        assert out["failed"] == "load the default matrix"
        assert len(common._maps_kept(common.config())) == 0
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert len(at.metric) == 3 and len(at.dataframe[0].value) == 33  # computed by the session, as before
        assert len(common._maps_kept(common.config())) == 1


def serve_map(c: dict[str, object]) -> str:
    from app.compare import compare_map

    return compare_map(c)[0]
