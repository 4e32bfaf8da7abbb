"""The app's launcher: ``python -m app.serve [streamlit run's flags]`` (what ``./dev.sh app`` runs).

Streamlit runs the app's script only for a browser session, so the first visitor used to pay
for importing the pages, loading the data pack, the default matrix and drawing the first map
(about 4 s).  The launcher starts a background thread (:data:`PRELOAD_THREAD`) that does that
work as the server starts, by calling the very functions the pages call, so it fills the same
``st.cache_resource`` caches the first session reads (:func:`preload`), then starts Streamlit
the normal way (``streamlit run streamlit_app.py`` with the flags given; the repository's
``.streamlit/config.toml`` applies).

A session that arrives before the preload has finished waits for the value being computed
instead of computing it again (Streamlit holds one lock per cached value; the Compare map's
store holds one per map).  The preload never stops the app: a step that fails is logged and
the session computes it as it would without the launcher.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: the name of the preload's thread (Streamlit's "missing ScriptRunContext" warnings are
#: silenced for this thread only: it draws nothing, it fills caches)
PRELOAD_THREAD = "estate-preload"
#: the app's script, beside this package
APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"
#: the longest the preload waits for the default matrix (a cold cache builds it: tens of seconds)
MATRIX_WAIT_S = 600.0

log = logging.getLogger("app.serve")


def _import_pages() -> None:
    """The modules the app's script imports (importing them is most of a cold first run)."""
    import app.about
    import app.build
    import app.compare
    import app.mapview
    import app.optimise
    import app.point  # noqa: F401


def _data() -> None:
    from app.common import config, planner

    config()
    planner()


def _default_matrix() -> None:
    """Ask the server's background builds for the default view's matrix and wait for it."""
    from app.common import config, warmup
    from estate.outputs import ui_text as T

    w = warmup(config())
    mode, band = T.DEFAULT_MODE, T.DEFAULT_BAND
    w.want(mode, band)
    deadline = time.monotonic() + MATRIX_WAIT_S
    s = w.status(mode, band)
    while not s.ready and not s.error and time.monotonic() < deadline:
        time.sleep(0.05)
        s = w.status(mode, band)
    if s.error:
        raise RuntimeError(f"the {mode}/{band} matrix failed: {s.error}")
    if not s.ready:
        raise TimeoutError(f"the {mode}/{band} matrix was not ready after {MATRIX_WAIT_S:.0f} s")


def _shapes() -> None:
    from app.common import config, geometry

    geometry(config())


def _compare_map() -> None:
    """The Compare page's map for the default view (the page asks for it by the same key)."""
    from app.common import default_controls
    from app.compare import compare_map

    compare_map(default_controls())


def _compare_chart() -> None:
    """The Compare page's table and chart for the default view: loads Altair and its schema validator
    (``to_dict`` is what ``st.altair_chart`` calls), about 0.3 s of a first run otherwise."""
    from app.common import default_controls
    from app.compare import compare_table

    _, chart, _ = compare_table(default_controls())
    chart.to_dict()


#: what the preload does, in order (each step needs the ones before it)
STEPS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("import the pages", _import_pages),
    ("load the data pack", _data),
    ("load the default matrix", _default_matrix),
    ("prepare the map shapes", _shapes),
    ("draw the Compare map", _compare_map),
    ("make the Compare chart", _compare_chart),
)


def preload(steps: Sequence[tuple[str, Callable[[], None]]] = STEPS) -> dict[str, Any]:
    """Run ``steps`` in order; stop at the first that fails (logged, with its traceback).

    Returns what happened: ``done`` (step names), ``failed`` (the name of the step that failed, or
    ``""``) and ``seconds`` (each step's time), for the log and the tests.
    """
    out: dict[str, Any] = {"done": [], "failed": "", "seconds": {}}
    for name, step in steps:
        t = time.perf_counter()
        try:
            step()
        except Exception:  # never the app's end: the first session computes it instead
            log.warning("app preload: could not %s; the first page will do it", name, exc_info=True)
            out["failed"] = name
            return out
        out["done"].append(name)
        out["seconds"][name] = round(time.perf_counter() - t, 3)
    log.info("app preload done: %s", out["seconds"])
    return out


class _PreloadThreadOnly(logging.Filter):
    """Drop Streamlit's "missing ScriptRunContext" warnings from the preload thread only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName == PRELOAD_THREAD and "missing ScriptRunContext" in record.getMessage())


def quiet_preload_warnings() -> None:
    """Install the filter on the logger that writes those warnings (once)."""
    logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    if not any(isinstance(f, _PreloadThreadOnly) for f in logger.filters):
        logger.addFilter(_PreloadThreadOnly())


def start_preload() -> threading.Thread:
    """Start :func:`preload` in its daemon thread (its log lines go to the terminal, as Streamlit's do)."""
    quiet_preload_warnings()
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    thread = threading.Thread(target=preload, name=PRELOAD_THREAD, daemon=True)
    thread.start()
    return thread


def main(argv: Sequence[str] | None = None) -> None:
    """Start the preload, then ``streamlit run streamlit_app.py [argv]`` in this thread (until stopped)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Streamlit's own modules first, in this thread: the server then starts (health check answered)
    # as soon as without the launcher, instead of waiting on import locks the preload holds
    from streamlit.web import bootstrap, cli  # noqa: F401

    if any(a in ("-h", "--help") for a in args):
        print(__doc__.split("\n\n", 1)[0])
    else:
        start_preload()
    cli.main(["run", str(APP), *args], prog_name="streamlit")


if __name__ == "__main__":
    main()
