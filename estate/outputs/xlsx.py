"""A small XLSX (Office Open XML spreadsheet) writer for the evidence pack's tables.

The pack's workbook is plain tables: text, numbers and booleans, bold or filled
headers, three number formats, column widths and frozen panes.  Writing those
parts directly (ECMA-376: a zip of a few XML files) takes a few milliseconds
where openpyxl's general object model took more than half a second, and its import
another fifth; openpyxl still reads the files back in the tests.

Safety, the same as :func:`estate.outputs._escape.neutralise_cell` for CSV: a cell is never a
formula (every text is written as a string, never ``<f>``), and text that starts
with a formula character (:data:`~estate.outputs._escape.FORMULA_START`) carries
Excel's quote prefix, so editing the cell keeps it text.  Control characters that
XML cannot hold become U+FFFD (:func:`~estate.outputs._escape.xlsx_value`); all
text is XML-escaped.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from estate.errors import OutputError
from estate.outputs._escape import FORMULA_START, xlsx_value

__all__ = ["Sheet", "Workbook", "column_letter"]

#: custom number formats get ids from 164 (below are Excel's built-in ones)
_BUILTIN_FORMATS = {"0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
_SHEET_CHARS_BAD = set("[]:*?/\\")
_MAX_ROWS, _MAX_COLS = 1_048_576, 16_384


def column_letter(col: int) -> str:
    """The letters of a 1-based column number.

    Examples
    --------
    >>> column_letter(1), column_letter(26), column_letter(27), column_letter(703)
    ('A', 'Z', 'AA', 'AAA')
    """
    out = ""
    while col > 0:
        col, r = divmod(col - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class _Style:
    bold: bool = False
    size: float | None = None
    fill: str | None = None
    number_format: str | None = None
    quote: bool = False


_style = cache(_Style)  # one object per distinct style (cells share them)


@dataclass
class Sheet:
    """One worksheet: cells by (row, column), 1-based; column widths; an optional frozen cell."""

    name: str
    cells: dict[tuple[int, int], tuple[Any, _Style]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    freeze: str | None = None

    def set(self, row: int, col: int, value: Any, *, bold: bool = False, size: float | None = None,
            fill: str | None = None, number_format: str | None = None) -> None:
        """Put ``value`` (text, a number, a boolean or ``None``) at ``(row, col)`` with a style.

        ``fill`` is an RGB hex colour (``"E9EDF5"``); ``number_format`` applies to numbers only.
        """
        if not (1 <= row <= _MAX_ROWS and 1 <= col <= _MAX_COLS):
            raise OutputError(f"cell ({row}, {col}) of sheet {self.name!r} is outside a spreadsheet's grid")
        value = xlsx_value(value)
        if value is not None and not isinstance(value, (str, bool, int, float)):
            raise OutputError(f"cell ({row}, {col}) of sheet {self.name!r}: {type(value).__name__} is not a cell value")
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        quote = isinstance(value, str) and value.startswith(FORMULA_START)
        self.cells[(row, col)] = (value, _style(bold, size, fill, number_format if numeric else None, quote))

    def autowidth(self, cap: float = 48) -> None:
        """Each used column as wide as its longest value (at least 8, at most ``cap`` characters)."""
        longest: dict[int, int] = {}
        for (_, c), (v, _) in self.cells.items():
            if v is not None:
                longest[c] = max(longest.get(c, 0), len(str(v)))
        for c, n in longest.items():
            self.widths[c] = min(max(8, n + 2), cap)


class Workbook:
    """Sheets in order; :meth:`to_bytes` is the ``.xlsx`` file."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []

    def sheet(self, name: str) -> Sheet:
        """A new sheet at the end (``name``: 1-31 characters, none of ``[]:*?/\\``, unique ignoring case)."""
        if not 1 <= len(name) <= 31 or _SHEET_CHARS_BAD & set(name) or name.lower() in {
                s.name.lower() for s in self.sheets}:
            raise OutputError(f"{name!r} cannot name a sheet: 1-31 characters, none of []:*?/\\, not used before")
        ws = Sheet(xlsx_value(name))
        self.sheets.append(ws)
        return ws

    def to_bytes(self) -> bytes:
        """The workbook as an ``.xlsx`` file."""
        styles = _Styles()
        parts = [(f"xl/worksheets/sheet{k}.xml", _sheet_xml(ws, styles)) for k, ws in enumerate(self.sheets, start=1)]
        n = len(self.sheets)
        sheets = "".join(f'<sheet name={quoteattr(ws.name)} sheetId="{k}" r:id="rId{k}"/>'
                         for k, ws in enumerate(self.sheets, start=1))
        workbook = (f'{_XML}<workbook xmlns="{_NS}" xmlns:r="{_NS_R}"><bookViews><workbookView activeTab="0"/>'
                    f"</bookViews><sheets>{sheets}</sheets></workbook>")
        rels = "".join(f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                       for k in range(1, n + 1))
        rels += f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{_CT}.worksheet+xml"/>'
                            for k in range(1, n + 1))
        content_types = (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>{overrides}</Types>')
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            z.writestr("[Content_Types].xml", content_types)
            z.writestr("_rels/.rels", f'{_XML}<Relationships xmlns="{_NS_PR}"><Relationship Id="rId1" '
                                      f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
            z.writestr("xl/workbook.xml", workbook)
            z.writestr("xl/_rels/workbook.xml.rels", f'{_XML}<Relationships xmlns="{_NS_PR}">{rels}</Relationships>')
            z.writestr("xl/styles.xml", styles.xml())
            for name, xml in parts:
                z.writestr(name, xml)
        return buf.getvalue()


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


class _Styles:
    """The workbook's fonts, fills, number formats and cell formats, each made once, by index."""

    def __init__(self) -> None:
        self.fonts: list[tuple[bool, float]] = [(False, 11.0)]
        self.fills: list[str | None] = [None, None]  # Excel reserves the first two (none, gray125)
        self.formats: dict[str, int] = {}
        self.xfs: list[tuple[int, int, int, bool]] = [(0, 0, 0, False)]
        self._by_style: dict[_Style, int] = {_Style(): 0}

    def index(self, st: _Style) -> int:
        k = self._by_style.get(st)
        if k is None:
            font = (st.bold, float(st.size or 11.0))
            if font not in self.fonts:
                self.fonts.append(font)
            fill = 0
            if st.fill:
                if st.fill not in self.fills:
                    self.fills.append(st.fill)
                fill = self.fills.index(st.fill)
            fmt = 0
            if st.number_format:
                fmt = _BUILTIN_FORMATS.get(st.number_format) or self.formats.setdefault(
                    st.number_format, 164 + len(self.formats))
            self.xfs.append((self.fonts.index(font), fill, fmt, st.quote))
            k = self._by_style[st] = len(self.xfs) - 1
        return k

    def xml(self) -> str:
        fmts = "".join(f"<numFmt numFmtId=\"{i}\" formatCode={quoteattr(code)}/>" for code, i in self.formats.items())
        fonts = "".join(f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/><name val="Calibri"/><family val="2"/></font>'
                        for bold, size in self.fonts)
        fills = '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
        fills += "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/><bgColor indexed="64"/>'
                         "</patternFill></fill>" for c in self.fills[2:])
        xfs = "".join(
            f'<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
            + (' applyNumberFormat="1"' if fmt else "") + (' applyFont="1"' if font else "")
            + (' applyFill="1"' if fill else "") + (' quotePrefix="1"' if quote else "") + "/>"
            for font, fill, fmt, quote in self.xfs)
        return (f'{_XML}<styleSheet xmlns="{_NS}">'
                + (f'<numFmts count="{len(self.formats)}">{fmts}</numFmts>' if self.formats else "")
                + f'<fonts count="{len(self.fonts)}">{fonts}</fonts><fills count="{len(self.fills)}">{fills}</fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(self.xfs)}">{xfs}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>")


#: a carriage return as a reference (XML reads a raw one as a line feed)
_ENTITIES = {"\r": "&#13;"}


def _cell_xml(ref: str, value: Any, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if value is None or value == "":  # an empty text is an empty cell, as openpyxl writes it
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    space = ' xml:space="preserve"' if value != value.strip() or "\n" in value or "\r" in value else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{escape(value, _ENTITIES)}</t></is></c>'


def _sheet_xml(ws: Sheet, styles: _Styles) -> str:
    rows: dict[int, list[tuple[int, Any, _Style]]] = {}
    for (r, c), (v, st) in ws.cells.items():
        rows.setdefault(r, []).append((c, v, st))
    letters: dict[int, str] = {}
    out = [f'{_XML}<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">']
    if ws.cells:
        last_r = max(rows)
        last_c = max(c for c, _ in ws.cells)
        out.append(f'<dimension ref="A1:{column_letter(last_c)}{last_r}"/>')
    if ws.freeze:
        col = ws.freeze.rstrip("0123456789")
        row = int(ws.freeze[len(col):])
        ncol = sum((ord(ch) - 64) * 26 ** k for k, ch in enumerate(reversed(col.upper())))
        split = "".join((f' xSplit="{ncol - 1}"' if ncol > 1 else "", f' ySplit="{row - 1}"' if row > 1 else ""))
        pane = "bottomRight" if ncol > 1 and row > 1 else ("bottomLeft" if row > 1 else "topRight")
        out.append(f'<sheetViews><sheetView workbookViewId="0"><pane{split} topLeftCell="{ws.freeze}" '
                   f'activePane="{pane}" state="frozen"/><selection pane="{pane}"/></sheetView></sheetViews>')
    if ws.widths:
        cols = "".join(f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>' for c, w in sorted(ws.widths.items()))
        out.append(f"<cols>{cols}</cols>")
    out.append("<sheetData>")
    for r in sorted(rows):
        cells = []
        for c, v, st in sorted(rows[r], key=lambda t: t[0]):
            letter = letters.get(c) or letters.setdefault(c, column_letter(c))
            cells.append(_cell_xml(f"{letter}{r}", v, styles.index(st)))
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)
