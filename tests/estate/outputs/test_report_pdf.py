"""The PDF's maps: PNG data embedded as it is (no recompression), drawn exactly as reportlab's own image."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from estate.outputs.report_pdf import _png_flowable, _png_parts

_POPPLER = all(Path(f"/usr/bin/{t}").exists() for t in ("pdftoppm", "pdfimages"))


def _png(mode: str, size: tuple[int, int] = (60, 40)) -> bytes:
    rng = np.random.default_rng(7)
    rgb = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    img = {"P": lambda: rgb.quantize(colors=16), "RGB": lambda: rgb, "L": lambda: rgb.convert("L"),
           "RGBA": lambda: rgb.convert("RGBA")}[mode]()
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _pdf(flowable) -> bytes:
    from reportlab.platypus import SimpleDocTemplate

    buf = io.BytesIO()
    SimpleDocTemplate(buf).build([flowable])
    return buf.getvalue()


@pytest.mark.parametrize("mode", ["P", "RGB", "L"])
def test_a_plain_png_is_carried_as_it_is(mode):
    png = _png(mode)
    parts = _png_parts(png)
    assert parts is not None
    w, h, depth, colours, palette, data = parts
    assert (w, h, colours, depth) == (60, 40, {"P": 1, "RGB": 3, "L": 1}[mode], 4 if mode == "P" else 8)  # 16 colours: 4 bits
    assert bool(palette) == (mode == "P")
    assert data in png  # the compressed pixels, unchanged
    assert data in _pdf(_png_flowable(png, 120, 80))


def test_a_png_with_transparency_or_not_a_png_takes_the_ordinary_way():
    from reportlab.platypus import Image as RLImage

    assert _png_parts(_png("RGBA")) is None
    assert _png_parts(b"GIF89a") is None
    assert isinstance(_png_flowable(_png("RGBA"), 120, 80), RLImage)


@pytest.mark.skipif(not _POPPLER, reason="no poppler-utils (pdftoppm, pdfimages)")
@pytest.mark.parametrize("mode", ["P", "RGB", "L"])
def test_the_embedded_png_renders_as_reportlabs_own_image(mode, tmp_path):
    from reportlab.platypus import Image as RLImage

    png = _png(mode)
    pages = {}
    for name, flow in (("ours", _png_flowable(png, 240, 160)), ("reportlab", RLImage(io.BytesIO(png), 240, 160))):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(_pdf(flow))
        listing = subprocess.run(["/usr/bin/pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                                 check=True).stdout.splitlines()[2:]
        assert len(listing) == 1 and listing[0].split()[3:5] == ["60", "40"]
        subprocess.run(["/usr/bin/pdftoppm", "-r", "72", "-png", "-singlefile", str(pdf), str(tmp_path / name)],
                       check=True)
        pages[name] = np.asarray(Image.open(tmp_path / f"{name}.png").convert("RGB")).astype(int)
    assert pages["ours"].shape == pages["reportlab"].shape
    assert np.abs(pages["ours"] - pages["reportlab"]).max() <= 2


@pytest.mark.skipif(not Path("/usr/bin/pdftotext").exists(), reason="no poppler-utils (pdftotext)")
def test_table_cells_as_plain_text_or_paragraphs_all_read_back(tmp_path, monkeypatch):
    """Short plain cells are drawn as text, the rest as paragraphs: a reader sees every one, markup literal."""
    from estate.evidence import build_evidence
    from estate.outputs import report_pdf
    from estate.outputs.report import Table
    from tests.estate import _toy_evidence as toy

    ev = build_evidence(toy.toy_planner(tmp_path), "cuts", against="base", mode="walk", bands=("day",))
    long_text = "a rationale long enough to wrap over several lines of its narrow column " * 3
    table = Table(columns=["Site", "Change", "Note"], rows=[["Alpha", "closed", long_text.strip()],
                                                            ["<b>Beta</b> & co", "12,345", "x\x07y"]],
                  numeric={1}, widths=[1.0, 1.0, 1.0])
    monkeypatch.setattr(report_pdf, "build_document", lambda ev, maps: [table])
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(report_pdf.render_pdf(ev, {}))
    text = subprocess.run(["/usr/bin/pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    for want in ("Alpha", "closed", "<b>Beta</b> & co", "12,345", "narrow column"):
        assert want in flat, want
