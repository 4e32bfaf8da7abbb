"""The pack's own XLSX writer: what openpyxl (and so Excel) reads back, and that no cell is a formula."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from estate.errors import OutputError
from estate.outputs.xlsx import Workbook

HOSTILE = ["=1+1", "+1", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "＝1+1",
           '=HYPERLINK("http://x","Click")']


def _read(wb: Workbook):
    return load_workbook(io.BytesIO(wb.to_bytes()))


def test_values_types_and_styles_read_back():
    wb = Workbook()
    ws = wb.sheet("Summary")
    ws.set(1, 1, "Title <b> & co", bold=True, size=14)
    ws.set(2, 1, "count", bold=True, fill="E9EDF5")
    ws.set(2, 2, 8_799_631, number_format="#,##0")
    ws.set(3, 2, 0.1234, number_format="0.0%")
    ws.set(4, 2, -12.25, number_format="0.0")
    ws.set(5, 2, True)
    ws.set(6, 2, None)
    ws.set(7, 2, float("inf"))
    ws.set(8, 2, "  spaced  ")
    ws.set(9, 2, "a\x07b")
    ws.set(10, 2, "text", number_format="0.0")  # a format on text is dropped
    ws.freeze = "C2"
    ws.autowidth()
    other = wb.sheet("Per borough")
    other.set(3, 28, "far")
    got = _read(wb)
    assert got.sheetnames == ["Summary", "Per borough"]
    s = got["Summary"]
    assert s["A1"].value == "Title <b> & co" and s["A1"].font.b and s["A1"].font.sz == 14
    assert s["A2"].font.b and s["A2"].fill.fgColor.rgb.endswith("E9EDF5")
    assert (s["B2"].value, s["B2"].number_format) == (8_799_631, "#,##0")
    assert (s["B3"].value, s["B3"].number_format) == (0.1234, "0.0%")
    assert (s["B4"].value, s["B4"].number_format) == (-12.25, "0.0")
    assert s["B5"].value is True
    assert s["B6"].value is None and s["B7"].value is None  # infinity is no number a sheet can hold
    assert s["B8"].value == "  spaced  "
    assert s["B9"].value == "a\ufffdb"
    assert (s["B10"].value, s["B10"].number_format) == ("text", "General")
    assert s.freeze_panes == "C2"
    assert s.column_dimensions["A"].width == len("Title <b> & co") + 2
    assert s.column_dimensions["B"].width == 12  # "  spaced  " + 2
    assert got["Per borough"]["AB3"].value == "far"


@pytest.mark.parametrize("payload", HOSTILE)
def test_no_cell_is_a_formula_and_formula_like_text_keeps_its_quote_prefix(payload):
    wb = Workbook()
    ws = wb.sheet("Sheet")
    ws.set(1, 1, payload, bold=True)
    ws.set(2, 1, "plain")
    ws.set(3, 1, -3.5)
    data = wb.to_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not [n for n in z.namelist() if "<f>" in z.read(n).decode("utf-8")]
    s = load_workbook(io.BytesIO(data))["Sheet"]
    cell = s["A1"]
    assert cell.data_type == "s" and cell.quotePrefix and cell.font.b
    assert cell.value == payload
    assert not s["A2"].quotePrefix
    assert s["A3"].value == -3.5 and s["A3"].data_type == "n"  # a negative number stays a number


@pytest.mark.parametrize("name", ["", "x" * 32, "a/b", "what?", "Summary"])
def test_bad_or_repeated_sheet_names_are_refused(name):
    wb = Workbook()
    wb.sheet("summary")
    with pytest.raises(OutputError, match="cannot name a sheet"):
        wb.sheet(name)


def test_cells_outside_the_grid_or_of_odd_types_are_refused():
    ws = Workbook().sheet("S")
    with pytest.raises(OutputError, match="outside"):
        ws.set(0, 1, 1)
    with pytest.raises(OutputError, match="not a cell value"):
        ws.set(1, 1, object())
