"""The real page in headless Chromium: ``streamlit run streamlit_app.py`` on a free
localhost port, driven with Playwright against Debian's ``/usr/bin/chromium``.

Changes the scenario and checks that the headline, the table and the map change;
clicks a counter on the Build page and checks the draft changes; uploads a bad
file and checks the plain error.  Screenshots go to ``tests/_artifacts/``.  The
test stops the server it started.  Run alone with ``pytest -m browser``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from geodata import settings
from geodata.errors import MissingDataError

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "_artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _has_data() -> bool:
    try:
        settings.data_dir()
        return True
    except MissingDataError:
        return False


pytestmark = [
    pytest.mark.browser,
    pytest.mark.london,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install chromium"),
    pytest.mark.skipif(not _has_data(), reason="no London data pack (ESTATE_DATA or ../shared/london)"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def streamlit_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """``streamlit run streamlit_app.py`` on a free localhost port with ``env``; yields its URL, then stops it."""
    port = _free_port()
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start (exit {proc.poll()})")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    scen = tmp_path_factory.mktemp("browser") / "scenarios"
    shutil.copytree(ROOT / "scenarios", scen)
    env = {**os.environ, "ESTATE_SCENARIOS": str(scen)}
    with streamlit_server(env, tmp_path_factory.getbasetemp() / "streamlit.log") as url:
        yield {"url": url, "scenarios": scen}


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


def _idle(page, timeout: float = 60_000) -> None:
    """Wait until the app has finished running (no 'Running…' status widget)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def _metric(page, n: int) -> str:
    return page.locator("[data-testid='stMetricValue']").nth(n).inner_text()


def _map_srcdoc(page, n: int = 0) -> str:
    return page.locator("iframe[data-testid='estate-map']").nth(n).get_attribute("srcdoc") or ""


def _choose(page, label: str, option: str) -> None:
    box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first
    box.click()
    page.locator("[role='option']").filter(has_text=option).first.click()


def _page(page, name: str) -> None:
    page.locator("[data-testid='stSidebar'] label").filter(has_text=name).first.click()
    _idle(page)


def test_compare_page_changes_with_the_scenario(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server["url"])
    page.wait_for_selector("[data-testid='stMetricValue']", timeout=90_000)
    _idle(page)
    page.wait_for_selector("iframe[data-testid='estate-map']", timeout=30_000)
    head = _metric(page, 1)
    table = page.locator("[data-testid='stDataFrame']").first.screenshot()
    srcdoc = _map_srcdoc(page)
    assert "outcome-2026 vs baseline-2024" in srcdoc
    frame = page.frame_locator("iframe[data-testid='estate-map']").first
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    assert frame.locator("path.leaflet-interactive").count() >= 33  # every borough drawn, offline
    assert frame.locator("[data-site-id]").count() >= 27
    page.screenshot(path=str(ARTIFACTS / "compare-outcome-2026.png"), full_page=True)

    _choose(page, "Scenario", "met-proposal-2025")
    page.wait_for_function(
        "(old) => { const m = document.querySelectorAll('[data-testid=\"stMetricValue\"]'); "
        "return m.length > 1 && m[1].innerText !== old; }", arg=head, timeout=30_000)
    _idle(page)
    assert _metric(page, 1) != head
    deadline = time.monotonic() + 20
    while _map_srcdoc(page) == srcdoc and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    new_src = _map_srcdoc(page)
    assert new_src != srcdoc and "met-proposal-2025 vs baseline-2024" in new_src
    assert page.locator("[data-testid='stDataFrame']").first.screenshot() != table
    page.screenshot(path=str(ARTIFACTS / "compare-met-proposal-2025.png"), full_page=True)
    assert not errors, errors
    page.close()


def test_build_page_marker_click_and_bad_upload(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(server["url"])
    page.wait_for_selector("[data-testid='stMetricValue']", timeout=90_000)
    _idle(page)
    _page(page, "Build a scenario")
    page.wait_for_selector("[data-testid='stMetricValue']", timeout=30_000)
    before = _metric(page, 1)  # residents beyond 45 min with the draft
    frame = page.frame_locator("iframe[data-testid='estate-map']").first
    marker = frame.locator("[data-site-id='charing-cross']")  # a 24/7 counter: closing it matters at night
    marker.wait_for(timeout=30_000)
    srcdoc = _map_srcdoc(page)
    t0 = time.monotonic()
    marker.click()
    page.wait_for_function(
        "(old) => { const m = document.querySelectorAll('[data-testid=\"stMetricValue\"]'); "
        "return m.length > 1 && m[1].innerText !== old; }", arg=before, timeout=30_000)
    while _map_srcdoc(page) == srcdoc and time.monotonic() - t0 < 30:
        page.wait_for_timeout(50)
    elapsed = time.monotonic() - t0
    _idle(page)
    assert _metric(page, 1) != before
    assert _map_srcdoc(page) != srcdoc
    print(f"\nmarker click -> new figures and map in the browser: {elapsed:.2f} s")
    page.screenshot(path=str(ARTIFACTS / "build-after-click.png"), full_page=True)

    bad = ARTIFACTS / "bad-scenario.yaml"
    bad.write_text("id: bad\ntitle: Bad\nclose: [no-such-counter]\n")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(bad))
    alert = page.locator("[data-testid='stAlert']").filter(has_text="unknown site id 'no-such-counter'")
    alert.wait_for(timeout=30_000)
    assert "Traceback" not in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "build-bad-upload.png"), full_page=True)
    assert sorted(p.name for p in server["scenarios"].glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    page.close()
