"""The evidence's PNG maps (drawn with Pillow) on the toy: sizes, the classes' colours, every legend, imports."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from estate.evidence import build_evidence
from estate.outputs import _palette as palette
from estate.outputs import staticmaps
from tests.estate import _toy_evidence as toy

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    planner = toy.toy_planner(tmp_path_factory.mktemp("toy"))
    ev = build_evidence(planner, "cuts", against="base", mode="walk", bands=("day", "night"))
    return ev, staticmaps.evidence_maps(planner, ev)


def _rgb(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.mode == "P"  # an 8-bit palette PNG
        assert round(im.info["dpi"][0]) == staticmaps.DPI
        return np.asarray(im.convert("RGB")).reshape(-1, 3)


def _has(pixels: np.ndarray, hex_colour: str, tol: int = 10, at_least: int = 20) -> bool:
    want = np.array(Image.new("RGB", (1, 1), hex_colour).getpixel((0, 0)))
    return int((np.abs(pixels.astype(int) - want).max(axis=1) <= tol).sum()) >= at_least


def test_every_map_of_the_toy_pack_with_its_size(drawn):
    _, maps = drawn
    assert sorted(maps) == ["alpha/day", "alpha/night", "overview/day", "overview/night", "shop/day"]
    for key, png in maps.items():
        with Image.open(io.BytesIO(png)) as im:
            assert im.size == ((648, 504) if key.startswith("overview/") else (648, 414)), key


def test_a_closure_map_shades_its_catchment_by_minutes_added_and_names_every_class(drawn):
    ev, maps = drawn
    px = _rgb(maps["alpha/day"])
    bc = next(c for c in ev.cases if c.site_id == "alpha").bands["day"]
    cats = set(staticmaps._categories(bc).tolist())
    pal = staticmaps._palette(gain=False)
    for k in cats:  # each class of the catchment fills whole squares of the map
        assert _has(px, pal[k], tol=6, at_least=500), (k, pal[k])
    # the legend swatches: every class, 'unreachable' included, on every map
    for colour in pal:
        assert _has(px, colour, tol=6, at_least=20), colour
    assert _has(px, palette.colour("closing"), at_least=30)  # the closing site's marker
    assert _has(px, palette.colour("open"), at_least=30)  # where residents go instead


def test_an_opening_map_uses_the_better_hue(drawn):
    _, maps = drawn
    px = _rgb(maps["shop/day"])
    assert any(_has(px, c, tol=6, at_least=500) for c in palette.ramp("better"))
    assert _has(px, palette.colour("new"), at_least=15)  # its star, on the map and in the legend


def test_the_overview_shades_each_catchment_in_its_own_colour(drawn):
    _, maps = drawn
    px = _rgb(maps["overview/day"])
    # two catchments by day (alpha's and shop's), each mixed 55% over white
    white = np.array([255, 255, 255])
    for k in range(2):
        c = np.array(Image.new("RGB", (1, 1), palette.categorical(k)).getpixel((0, 0)))
        r, g, b = (int(v) for v in np.round(0.55 * c + 0.45 * white))
        mixed = f"#{r:02x}{g:02x}{b:02x}"
        assert _has(px, mixed, tol=8, at_least=500), k


def test_the_pack_imports_neither_matplotlib_nor_openpyxl(tmp_path):
    """Importing them cost more than drawing every map and writing the workbook (issue 10's budget)."""
    code = (
        "import sys\n"
        "from tests.estate import _toy_evidence as toy\n"
        "from estate.cli import write_evidence_pack\n"
        "from pathlib import Path\n"
        f"p = toy.toy_planner(Path({str(tmp_path)!r}))\n"
        f"write_evidence_pack(p, 'cuts', against='base', mode='walk', out_dir={str(tmp_path / 'pack')!r})\n"
        "print(sorted(m for m in ('matplotlib', 'openpyxl') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "pack" / "report.pdf").stat().st_size > 0
