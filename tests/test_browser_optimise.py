"""The Optimise page in headless Chromium (the server and browser of :mod:`tests.test_browser`):
a link opens the page with its question, Run shows the answer's changes, its map and the
trade-off curve; a screenshot goes to ``tests/_artifacts/``.  Run alone with ``pytest -m browser``.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from estate.outputs.optimise import STALE_NOTE as STALE
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    ROOT,
    _done,
    _has_data,
    browser,  # noqa: F401  (the fixture: one Chromium for the module)
    streamlit_server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.london,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install chromium"),
    pytest.mark.skipif(not _has_data(), reason="no London data pack (ESTATE_DATA or ../shared/london)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    scen = tmp_path_factory.mktemp("browser-optimise") / "scenarios"
    shutil.copytree(ROOT / "scenarios", scen)
    env = {**os.environ, "ESTATE_SCENARIOS": str(scen)}
    with streamlit_server(env, tmp_path_factory.getbasetemp() / "streamlit-optimise.log") as url:
        yield url


def test_optimise_close_from_a_link_then_run(server, browser):  # noqa: F811  (the imported fixture)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 3600})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/?page=optimise&mode=transit&question=close&start=baseline-2024&k=3&rules=default")
    page.wait_for_timeout(800)
    _done(page)
    page.get_by_role("heading", name="Optimise").first.wait_for(timeout=60_000)
    k = page.locator("[data-testid='stNumberInput'] input").first
    # the link's k reaches the widget (polled: the input is drawn before its value settles)
    page.wait_for_function("() => document.querySelector(\"[data-testid='stNumberInput'] input\").value === '3'",
                           timeout=30_000)
    assert not page.locator("iframe[data-testid='estate-map']").count()  # a link never runs the optimiser
    started = time.monotonic()
    page.get_by_role("button", name="Run the optimiser").click()
    page.get_by_text("The answer's changes").wait_for(timeout=240_000)
    _done(page)
    print(f"Optimise page, close 3 by transit with the curve: click to the answer drawn {time.monotonic() - started:.1f} s"
          " (less the waits of _done, 0.8 s)")
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert "Optimiser: close 3 from baseline-2024" in body
    assert "Found by the heuristic (greedy, then swaps)" in body and "no bound" in body
    assert "Harm: the answer" in body and "Difference" in body
    assert "Trade-off curve" in body and "Open in Build" in body
    # the answer on the map: the Compare page's map, its closing counters drawn
    srcdoc = page.locator("iframe[data-testid='estate-map']").first.get_attribute("srcdoc") or ""
    assert "Closes in this scenario" in srcdoc and "Optimiser: close 3 from baseline-2024" in srcdoc
    # the curve is drawn (Vega renders into the page: no chart script fetched from elsewhere)
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "optimise-close-3.png"), full_page=True)
    hosts = {r.split("/")[2].split(":")[0] for r in requests if r.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost", "tile.openstreetmap.org"}, sorted(hosts)
    # again, the matrices now loaded: the run itself
    k.fill("2")
    k.press("Enter")
    _done(page)
    page.get_by_text(STALE).wait_for(timeout=60_000)  # the answer shown is not for k = 2
    started = time.monotonic()
    page.get_by_role("button", name="Run the optimiser").click()
    page.get_by_text("Optimiser: close 2 from baseline-2024").first.wait_for(timeout=240_000)
    _done(page)
    print(f"Optimise page, close 2, matrices loaded: click to the answer drawn {time.monotonic() - started:.1f} s"
          " (less the waits of _done, 0.8 s)")
    assert STALE not in page.inner_text("body")
    # a request the rules refuse shows the optimiser's sentence
    k.fill("18")
    k.press("Enter")
    _done(page)
    page.get_by_role("button", name="Run the optimiser").click()
    page.get_by_text("cannot close 18 sites from baseline-2024").wait_for(timeout=120_000)
    _done(page)
    body = page.inner_text("body")
    assert "counter-per-borough" in body and "Traceback" not in body
    assert "Harm: the answer" not in body  # the refused request shows no answer
    page.screenshot(path=str(ARTIFACTS / "optimise-refused.png"), full_page=True)
    page.close()
