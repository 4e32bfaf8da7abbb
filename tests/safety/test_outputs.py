"""Outputs that must survive hostile text and never lose work (issue 13, classes 4, 5, 8 and 9)."""

from __future__ import annotations

import csv
import json
import os
import re
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

from estate.cli import write_evidence_pack
from estate.errors import OutputError, OutputExistsError
from estate.outputs.export import PACK_FILES
from estate.outputs.files import tool_wrote, write_output
from geodata import atomic_directory
from geodata.errors import CacheError
from geodata.travel.base import BANDS, Mode, Points
from geodata.travel.cache import cached_matrix, load_arrays, save_arrays
from geodata.travel.crowfly import CrowflyEngine
from tests.estate import _toy_evidence as toy

FORMULAS = [
    '=HYPERLINK("http://evil.example/","Click for the full report")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]


def _scenario(planner, body: str, *, title: str = "Hostile") -> str:
    text = f"id: hostile\ntitle: {json.dumps(title)}\nbase: base\n" + body
    (planner.scenarios_dir / "hostile.yaml").write_text(text, encoding="utf-8")
    planner.reload_scenarios()
    return "hostile"


def _close_alpha(rationale: str, source: str = "") -> str:
    return f"close:\n  - id: alpha\n    rationale: {json.dumps(rationale)}\n    source: {json.dumps(source)}\n"


# ---- 4. formula injection in CSV and XLSX ---------------------------------------------------------

@pytest.mark.parametrize("payload", FORMULAS)
def test_no_cell_of_the_pack_is_a_formula(payload, tmp_path):
    planner = toy.toy_planner(tmp_path)
    sid = _scenario(planner, _close_alpha(payload, payload), title=payload)
    out = write_evidence_pack(planner, sid, against="base", mode="walk", out_dir=tmp_path / "pack")
    with (out / "evidence.csv").open(encoding="utf-8", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert any(payload.strip() in c for c in cells)  # the text is kept (as the loader trims it), made inert
    starts = ("=", "+", "-", "@", "\t", "\r", "＝")
    assert not [c for c in cells if c.startswith(starts) and not re.fullmatch(r"-?[\d.]+(e-?\d+)?", c)]

    from openpyxl import load_workbook

    wb = load_workbook(out / "evidence.xlsx")
    found = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                found += isinstance(c.value, str) and payload.strip() in c.value
    assert found
    with zipfile.ZipFile(out / "evidence.xlsx") as z:
        assert not [n for n in z.namelist() if "<f>" in z.read(n).decode("utf-8", "replace")]


# ---- 5. text that breaks or redirects the PDF -----------------------------------------------------

PDF_TEXT = {
    "quote in a source": ("Closed.", 'https://example.org/a"b'),
    "markup in a source": ("Closed.", 'https://example.org/" color="red"><b>x</b>'),
    "30,000 characters without a space": ("x" * 30_000, "https://example.org/"),
    "javascript source": ("Closed.", "javascript:alert(1)"),
    "redirecting source": ("Closed.", 'https://good.example/ href="https://evil.example/'),
    "userinfo source": ("Closed.", "https://good.example@evil.example/"),
    "reportlab markup": ("<font size=90>big</font> <a href='https://evil.example'>x</a> & <unclosed", ""),
    "control characters": ("a\x07b\x1bc", "https://example.org/\x00"),
}


def _pdf_uris(pdf: bytes) -> list[str]:
    return [m.decode("latin-1") for m in re.findall(rb"/URI \((.*?)\)", pdf)]


@pytest.mark.parametrize(("rationale", "source"), list(PDF_TEXT.values()), ids=list(PDF_TEXT))
def test_pdf_takes_any_text_and_links_only_plain_web_addresses(rationale, source, tmp_path):
    planner = toy.toy_planner(tmp_path)
    sid = _scenario(planner, _close_alpha(rationale, source))
    out = write_evidence_pack(planner, sid, against="base", mode="walk", out_dir=tmp_path / "pack")
    pdf = (out / "report.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-"
    for uri in _pdf_uris(pdf):
        assert uri.startswith(("http://", "https://")), uri
        assert "evil" not in uri and '"' not in uri, uri


def test_pdf_takes_a_48_kb_title(tmp_path):
    planner = toy.toy_planner(tmp_path)
    sid = _scenario(planner, _close_alpha("Closed."), title="T" * 48_000)
    out = write_evidence_pack(planner, sid, against="base", mode="walk", out_dir=tmp_path / "pack")
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_only_plain_web_addresses_become_pdf_links():
    from estate.outputs._escape import pdf_link

    assert pdf_link("https://example.org/cuts?x=1", "#00f").startswith('<link href="https://example.org/cuts?x=1"')
    for bad in ('https://e.org/a"b', "javascript:alert(1)", "https://good.example@evil.example/",
                "file:///etc/passwd", "https://e.org/ x", "data:text/html,<b>x</b>"):
        assert "<link" not in pdf_link(bad, "#00f"), bad


# ---- 8. outputs that destroy work -----------------------------------------------------------------

@pytest.mark.parametrize("content", ["my notes", "", "<html>my own map</html>"])
def test_an_existing_file_the_tool_did_not_write_is_refused_without_force(content, tmp_path):
    f = tmp_path / "map.html"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"was not written by estate .*add --force"):
        write_output(f, "<html>new</html>")
    assert f.read_text(encoding="utf-8") == content
    write_output(f, "<html>new</html>", force=True)
    assert f.read_text(encoding="utf-8") == "<html>new</html>"


def test_the_tool_replaces_its_own_file_but_not_once_the_user_edited_it(tmp_path):
    f = tmp_path / "out.csv"
    write_output(f, "a,b\n")
    assert tool_wrote(f)
    write_output(f, "a,b\n1,2\n")  # its own, unchanged: replaced
    f.write_text("a,b\n1,2\nmine\n", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        write_output(f, "a,b\n")


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs_get_the_umask_permissions(umask, tmp_path):
    old = os.umask(umask)
    try:
        f = write_output(tmp_path / f"o{umask}.txt", "x")
        with atomic_directory(tmp_path / f"pack{umask}") as stage:
            (stage / "a.txt").write_text("a")
    finally:
        os.umask(old)
    assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / f"pack{umask}").stat().st_mode) == 0o777 & ~umask


@pytest.mark.parametrize("target", ["folder", "under-a-file"])
def test_an_output_path_that_cannot_be_a_file(target, tmp_path):
    (tmp_path / "f").write_text("x")
    path = tmp_path if target == "folder" else tmp_path / "f" / "map.html"
    with pytest.raises(OutputError, match=r"is a folder|is a file, not a folder"):
        write_output(path, "x")


def test_a_new_pack_over_an_old_keeps_the_users_files_and_leaves_no_staging(tmp_path):
    planner = toy.toy_planner(tmp_path)
    out = tmp_path / "pack"
    write_evidence_pack(planner, "cuts", against="base", mode="walk", out_dir=out)
    (out / "my-notes.txt").write_text("for the committee", encoding="utf-8")
    (out / "annex").mkdir()
    (out / "annex" / "letter.pdf").write_bytes(b"%PDF-1.4 mine")
    stale = tmp_path / ".pack.staging.999999999.abcd"
    stale.mkdir()
    (stale / "evidence.csv").write_text("half", encoding="utf-8")
    write_evidence_pack(planner, "nightcut", against="base", mode="walk", out_dir=out)
    assert (out / "my-notes.txt").read_text(encoding="utf-8") == "for the committee"
    assert (out / "annex" / "letter.pdf").read_bytes() == b"%PDF-1.4 mine"
    assert set(PACK_FILES) <= {p.name for p in out.iterdir()}
    assert json.loads((out / "evidence.json").read_text())["scenario"]["id"] == "nightcut"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".pack.")]


def test_a_swap_killed_between_its_renames_is_restored_by_the_next_run(tmp_path):
    dest = tmp_path / "pack"
    dest.mkdir()
    old = tmp_path / ".pack.old.999999999"  # what a run killed between the two renames leaves
    old.mkdir()
    (old / "evidence.json").write_text("{}", encoding="utf-8")
    dest.rmdir()
    with atomic_directory(dest) as stage:
        assert (dest / "evidence.json").exists()  # restored before the new one is staged
        (stage / "evidence.json").write_text('{"new": 1}', encoding="utf-8")
    assert json.loads((dest / "evidence.json").read_text()) == {"new": 1}
    assert not old.exists()


# ---- 9. caches that wedge or lie ------------------------------------------------------------------

def _points():
    o = Points(["u0", "u1", "u2"], [530_000.0, 531_000.0, 532_000.0], [180_000.0] * 3)
    d = Points(["a", "b"], [530_500.0, 533_000.0], [180_100.0, 180_200.0])
    return o, d


def _corrupt(kind: str, path: Path, key: str) -> None:
    good = np.full((3, 2), 60.0, dtype=np.float32)
    if kind == "npy":
        np.save(path.with_suffix(".tmp.npy"), good)
        os.replace(path.with_suffix(".tmp.npy"), path)
    elif kind == "meta list":
        with open(path, "wb") as fh:
            np.savez(fh, times=good, meta=np.array(json.dumps([1, 2])))
    elif kind == "nan":
        save_arrays(path, key, {"times": np.full((3, 2), np.nan, dtype=np.float32)})
    elif kind == "truncated":
        save_arrays(path, key, {"times": good})
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif kind == "x10 values":
        save_arrays(path, key, {"times": good})
        with np.load(path) as z:
            meta = str(z["meta"])
        with open(path, "wb") as fh:
            np.savez(fh, times=good * 10, meta=np.array(meta))
    elif kind == "wrong shape":
        save_arrays(path, key, {"times": np.ones((2, 2), dtype=np.float32)})
    elif kind == "text":
        path.write_text("not a cache file")


@pytest.mark.parametrize("kind", ["npy", "meta list", "nan", "truncated", "x10 values", "wrong shape", "text"])
def test_a_bad_cache_entry_is_rebuilt_with_a_warning(kind, tmp_path, caplog):
    from geodata.travel.cache import cache_key

    eng = CrowflyEngine(Mode.WALK)
    o, d = _points()
    band = BANDS["day"]
    want, first = cached_matrix(eng, o, d, band, cache_dir=tmp_path)
    assert first["status"] == "built"
    path = Path(first["path"])
    _corrupt(kind, path, cache_key(eng, o, d, band))
    with pytest.raises(CacheError):
        load_arrays(path, cache_key(eng, o, d, band), {"times": ((3, 2), np.float32)})
    times, rep = cached_matrix(eng, o, d, band, cache_dir=tmp_path)
    assert rep["status"] == "built" and np.array_equal(times, want)
    assert "rebuilding it" in caplog.text
    again, rep = cached_matrix(eng, o, d, band, cache_dir=tmp_path)  # the rebuilt entry is good
    assert rep["status"] == "hit" and np.array_equal(again, want)


@pytest.mark.parametrize("kind", ["a file", "unwritable"])
def test_a_cache_folder_that_cannot_be_used_falls_back_to_memory(kind, tmp_path, caplog):
    if kind == "a file":
        folder = tmp_path / "cache"
        folder.write_text("x")
    else:
        if os.geteuid() == 0:
            pytest.skip("root can write anywhere")
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
    o, d = _points()
    times, rep = cached_matrix(CrowflyEngine(Mode.WALK), o, d, BANDS["day"], cache_dir=folder)
    assert rep["status"] == "memory" and times.shape == (3, 2)
    assert "computing in memory only" in caplog.text


def test_street_network_cache_is_verified(tmp_path, caplog):
    from geodata.travel.streets import StreetEngine

    graph = Path(__file__).resolve().parents[1] / "data" / "streets_rectangle_27700.graphml"
    e1 = StreetEngine.from_file(graph, "walk", cache_dir=tmp_path)
    (cache,) = tmp_path.glob("streets-walk-*.npz")
    cache.write_bytes(cache.read_bytes()[:100])  # truncated
    e2 = StreetEngine.from_file(graph, "walk", cache_dir=tmp_path)
    assert "rebuilding" in caplog.text or "cache" in caplog.text
    o, d = _points()
    assert np.array_equal(e1.matrix(o, d, BANDS["day"]), e2.matrix(o, d, BANDS["day"]))
