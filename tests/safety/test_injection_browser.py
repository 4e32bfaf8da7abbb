"""Script injection through site names (issue 13, class 1), checked in headless Chromium.

Counters with hostile names are added to a copy of the London register (the rest
of the pack is linked, not copied).  The exported map (``estate map``) and the
app's Compare page, whose map shows those counters, are opened in Chromium; any
dialog, and any payload that ran (it sets ``window.__pwned``), fails the test.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_browser import (
    CHROMIUM,
    _idle,
    browser,  # noqa: F401  (the fixture: one Chromium for the module)
    streamlit_server,
)

ROOT = Path(__file__).resolve().parents[2]

PAYLOADS = [
    "${alert(document.domain)}",
    "`+alert(1)+`",
    "</div>`)[0];alert(3);//",
    "<img src=x onerror=alert(4)>",
    "\\`${alert(5)}",
    "</script><script>alert(6)</script>",
    "${(window.__pwned=1)}",
    "<svg onload=alert(8)>",
    "\" onmouseover=\"alert(9)",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.london,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def hostile_pack(london_data, tmp_path_factory) -> Path:
    """The London pack with one counter per payload added to the register (open 24/7, in Camden)."""
    pack = tmp_path_factory.mktemp("hostile") / "london"
    pack.mkdir()
    for entry in london_data.iterdir():
        if entry.name != "estate":
            (pack / entry.name).symlink_to(entry)
    (pack / "estate").mkdir()
    for f in (london_data / "estate").iterdir():
        if f.name != "met_front_counters_2024_2026_status.csv":
            (pack / "estate" / f.name).symlink_to(f)
    src = london_data / "estate" / "met_front_counters_2024_2026_status.csv"
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = list(rows[0])
    for i, name in enumerate(PAYLOADS):
        r = dict.fromkeys(cols, "")
        r.update(name=f"Counter {i} {name}", borough="Camden", address=name, postcode="", easting=str(529000 + 150 * i),
                 northing=str(184000 + 100 * i), is_24_7_2024="1", closed_2026="0", proposed_closure_aug2025="0")
        rows.append(r)
    with (pack / "estate" / src.name).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    return pack


def _watch(page) -> list[str]:
    dialogs: list[str] = []

    def on_dialog(d) -> None:
        dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def test_exported_map_runs_no_site_name(hostile_pack, browser, tmp_path):  # noqa: F811
    out = tmp_path / "map.html"
    env = {**os.environ, "ESTATE_DATA": str(hostile_pack), "ESTATE_CACHE": str(tmp_path / "cache")}
    r = subprocess.run([sys.executable, "-m", "estate", "map", "baseline-2024", "outcome-2026", "--out", str(out)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "Counter 0" in html  # the hostile counters are on the map
    page = browser.new_page()
    dialogs = _watch(page)
    page.goto(out.as_uri())
    page.locator(".leaflet-container").wait_for(timeout=30_000)
    assert page.locator("[data-site-id]").count() >= len(PAYLOADS)
    for el in page.locator(".estate-site").all()[:60]:  # hover and open popups: tooltips and popups render
        el.click(force=True)
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not dialogs, dialogs
    page.close()


@pytest.fixture(scope="module")
def app(hostile_pack, tmp_path_factory):
    env = {**os.environ, "ESTATE_DATA": str(hostile_pack),
           "ESTATE_CACHE": str(tmp_path_factory.getbasetemp() / "hostile-cache")}
    with streamlit_server(env, tmp_path_factory.getbasetemp() / "hostile-streamlit.log") as url:
        yield url


def test_app_page_runs_no_site_name_and_sandboxes_its_map(app, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    dialogs = _watch(page)
    page.goto(app)
    page.wait_for_selector("[data-testid='stMetricValue']", timeout=90_000)
    _idle(page)
    frame_el = page.locator("iframe[data-testid='estate-map']").first
    frame_el.wait_for(timeout=30_000)
    srcdoc = frame_el.get_attribute("srcdoc") or ""
    assert "Counter 0" in srcdoc
    assert "allow-same-origin" not in (frame_el.get_attribute("sandbox") or "allow-same-origin")
    frame = page.frame_locator("iframe[data-testid='estate-map']").first
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    for el in frame.locator(".estate-site").all()[:60]:
        el.click(force=True)
    page.wait_for_timeout(1000)
    maps = [f for f in page.frames if f.url == "about:srcdoc"]
    assert maps and all(f.evaluate("typeof window.__pwned") == "undefined" for f in maps)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not dialogs, dialogs
    page.close()
