"""The committee report laid out for print (A4, reportlab), from the same document model as the HTML.

The PDF uses DejaVu Sans (shipped with matplotlib) for full Unicode text, as the static maps do.
"""

from __future__ import annotations

import hashlib
import html
import io
from collections.abc import Mapping
from typing import Any

from estate.evidence import Evidence
from estate.outputs import _palette as palette
from estate.outputs._escape import PDF_MAX_CHARS, pdf_link, pdf_text
from estate.outputs._fonts import dejavu
from estate.outputs.report import Facts, Figure, Heading, PageBreak, Para, Table, build_document

__all__ = ["render_pdf"]


def _fonts() -> tuple[str, str]:
    """Register DejaVu Sans (from matplotlib's fonts, not importing it) once; fall back to Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "EvDejaVu" in pdfmetrics.getRegisteredFontNames():
        return "EvDejaVu", "EvDejaVu-Bold"
    regular, bold = dejavu(), dejavu(bold=True)
    if regular is None or bold is None:  # pragma: no cover - matplotlib always ships DejaVu
        return "Helvetica", "Helvetica-Bold"
    try:
        pdfmetrics.registerFont(TTFont("EvDejaVu", str(regular)))
        pdfmetrics.registerFont(TTFont("EvDejaVu-Bold", str(bold)))
        pdfmetrics.registerFontFamily("EvDejaVu", normal="EvDejaVu", bold="EvDejaVu-Bold",
                                      italic="EvDejaVu", boldItalic="EvDejaVu-Bold")
        return "EvDejaVu", "EvDejaVu-Bold"
    except OSError:  # pragma: no cover - an unreadable font file
        return "Helvetica", "Helvetica-Bold"


def _png_parts(png: bytes) -> tuple[int, int, int, int, bytes, bytes] | None:
    """(width, height, bit depth, colours per pixel, palette, zlib data) of a PNG that a PDF can carry as it is.

    A PDF image with ``/FlateDecode`` and PNG predictors (``/Predictor 15``) takes a PNG's
    compressed data unchanged: no decoding, no recompression (most of the PDF's image time).
    Palette, grey and RGB images of 1-8 bits, not interlaced, with no transparency, qualify;
    for any other PNG ``None`` (it is embedded the ordinary way).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("P", (3, 2)).save(buf, format="PNG")  # one colour: 1 bit a pixel
    >>> w, h, depth, colours, palette, data = _png_parts(buf.getvalue())
    >>> (w, h, depth, colours), len(palette) % 3
    ((3, 2, 1, 1), 0)
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, head, palette, data = 8, b"", b"", []
    while pos + 8 <= len(png):
        n = int.from_bytes(png[pos:pos + 4], "big")
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            head = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            data.append(body)
        elif kind == b"tRNS":
            return None
        elif kind == b"IEND":
            break
    if len(head) != 13 or not data:
        return None
    w, h = int.from_bytes(head[0:4], "big"), int.from_bytes(head[4:8], "big")
    depth, ctype, interlace = head[8], head[9], head[12]
    colours = {0: 1, 2: 3, 3: 1}.get(ctype)
    if colours is None or interlace or depth not in (1, 2, 4, 8) or (ctype == 3) != bool(palette):
        return None
    if ctype == 2 and depth != 8:
        return None
    return w, h, depth, colours, palette, b"".join(data)


def _png_flowable(png: bytes, width: float, height: float) -> Any:
    """A flowable drawing ``png`` at ``width`` x ``height`` points, its compressed data embedded as it is
    (:func:`_png_parts`), else a reportlab Image."""
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFObject, PDFStream
    from reportlab.platypus import Flowable
    from reportlab.platypus import Image as RLImage

    parts = _png_parts(png)
    if parts is None:
        return RLImage(io.BytesIO(png), width=width, height=height)
    w, h, depth, colours, pal, data = parts

    class _Hex(PDFObject):
        def __init__(self, raw: bytes) -> None:
            self.raw = raw

        def format(self, document: Any) -> bytes:
            return b"<" + self.raw.hex().encode("ascii") + b">"

    class _XObject(PDFObject):
        def __init__(self, name: str) -> None:
            self.name, self.width, self.height = name, w, h

        def format(self, document: Any) -> bytes:
            d = PDFDictionary({
                "Type": PDFName("XObject"), "Subtype": PDFName("Image"), "Width": w, "Height": h,
                "BitsPerComponent": depth,
                "ColorSpace": (PDFArray([PDFName("Indexed"), PDFName("DeviceRGB"), len(pal) // 3 - 1, _Hex(pal)])
                               if pal else PDFName("DeviceRGB" if colours == 3 else "DeviceGray")),
                "Filter": PDFName("FlateDecode"),  # a name, not an array: DecodeParms then is one dictionary
                "DecodeParms": PDFDictionary({"Predictor": 15, "Colors": colours, "BitsPerComponent": depth,
                                              "Columns": w}),
                "Length": len(data)})
            out: bytes = PDFStream(d, data).format(document)
            return out

    class _Png(Flowable):
        def __init__(self) -> None:
            super().__init__()
            self.hAlign = "CENTER"
            self.drawWidth, self.drawHeight = width, height

        def wrap(self, aw: float, ah: float) -> tuple[float, float]:
            return self.drawWidth, self.drawHeight

        def draw(self) -> None:
            # what reportlab's canvas.drawImage does for a new image, with the PNG's own stream
            canv = self.canv
            name = "evpng" + hashlib.md5(png, usedforsecurity=False).hexdigest()
            reg = canv._doc.getXObjectName(name)
            if not canv._doc.idToObject.get(reg):
                obj = _XObject(name)
                canv._setXObjects(obj)
                canv._doc.Reference(obj, reg)
                canv._doc.addForm(name, obj)
            canv._currentPageHasImages = 1
            canv.saveState()
            canv.scale(self.drawWidth, self.drawHeight)
            canv._code.append(f"/{reg} Do")
            canv.restoreState()
            canv._formsinuse.append(name)

    return _Png()


#: the longest text of a heading, a table cell and a label: value row (a page must hold it)
_HEADING_CHARS, _CELL_CHARS, _FACT_CHARS = 300, 500, 2000


def _link_column(t: Table) -> int:
    """The column whose cells link to a section: the one headed 'Site', else the first."""
    return t.columns.index("Site") if "Site" in t.columns else 0


def _x(text: str, limit: int = PDF_MAX_CHARS) -> str:
    """Text as reportlab paragraph markup (:func:`~estate.outputs._escape.pdf_text`)."""
    return pdf_text(text, limit=limit)


def _attr(text: str) -> str:
    """An attribute value (an anchor name) in reportlab's markup: escaped, quotes too."""
    return html.escape(text, quote=True)


def render_pdf(ev: Evidence, maps: Mapping[str, bytes]) -> bytes:
    """The report laid out for print: A4, numbered pages, bookmarks for every section."""
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import (
        BaseDocTemplate,
        CondPageBreak,
        Frame,
        KeepTogether,
        PageTemplate,
        Paragraph,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus import Table as RLTable

    # binary image streams: reportlab's pure-Python ASCII85 encoder was most of the PDF's time
    rl_config.useA85 = 0
    regular, bold = _fonts()
    link = palette.colour("link")
    base = ParagraphStyle("ev-body", fontName=regular, fontSize=9, leading=12, spaceAfter=5)
    styles = {
        "body": base,
        "note": ParagraphStyle("ev-note", parent=base, textColor=colors.HexColor(palette.colour("note")), fontSize=8.5),
        "small": ParagraphStyle("ev-small", parent=base, textColor=colors.HexColor(palette.colour("label")), fontSize=7.5),
        "verdict": ParagraphStyle("ev-verdict", parent=base, fontName=bold, fontSize=10, leading=13.5,
                                  spaceAfter=6),
        "box": ParagraphStyle("ev-box", parent=base, fontSize=8, leading=10.5,
                              backColor=colors.HexColor(palette.colour("box")),
                              borderColor=colors.HexColor(palette.colour("box border")), borderWidth=0.6,
                              borderPadding=5, leftIndent=5, rightIndent=5, spaceBefore=8, spaceAfter=8),
        "flag": ParagraphStyle("ev-flag", parent=base, backColor=colors.HexColor(palette.colour("flag")),
                               borderColor=colors.HexColor(palette.colour("flag border")), borderWidth=0, borderPadding=3,
                               leftIndent=3, spaceBefore=3, spaceAfter=7),
        1: ParagraphStyle("ev-h1", parent=base, fontName=bold, fontSize=17, leading=21, spaceAfter=8,
                          textColor=colors.HexColor(palette.colour("heading"))),
        2: ParagraphStyle("ev-h2", parent=base, fontName=bold, fontSize=13, leading=16, spaceBefore=10,
                          spaceAfter=6, textColor=colors.HexColor(palette.colour("heading"))),
        3: ParagraphStyle("ev-h3", parent=base, fontName=bold, fontSize=10.5, leading=13, spaceBefore=8,
                          spaceAfter=4),
    }
    cell = ParagraphStyle("ev-cell", parent=base, fontSize=7.5, leading=9, spaceAfter=0)
    cell_small = ParagraphStyle("ev-cell-s", parent=cell, fontSize=6.6, leading=8)
    caption = ParagraphStyle("ev-cap", parent=base, fontSize=7.2, leading=9, textColor=colors.HexColor(palette.colour("note")))

    class _Doc(BaseDocTemplate):
        def afterFlowable(self, flowable: Any) -> None:
            key = getattr(flowable, "_ev_bookmark", None)
            if key:
                text, level = key
                self.canv.bookmarkPage(text + str(id(flowable)))
                self.canv.addOutlineEntry(text, text + str(id(flowable)), level=max(0, level - 1), closed=level > 1)

    buf = io.BytesIO()
    doc = _Doc(buf, pagesize=A4, leftMargin=1.6 * cm, rightMargin=1.6 * cm, topMargin=1.5 * cm,
               bottomMargin=1.6 * cm, title=ev.title()[:_HEADING_CHARS], author="police estate planner",
               subject=ev.subtitle()[:_HEADING_CHARS])
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    footer_text = (f"{ev.scenario_id} against {ev.against} · {ev.mode}, engine {ev.engine} · "
                   f"generated {ev.generated}")[:200]

    def footer(canvas: Any, d: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor(palette.colour("label")))
        canvas.drawString(d.leftMargin, 0.9 * cm, footer_text)
        canvas.drawRightString(d.leftMargin + d.width, 0.9 * cm, f"page {d.page}")
        canvas.restoreState()

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=footer)])
    story: list[Any] = []
    first = True
    tail_from: int | None = None  # the story index where the rules and the method start
    for block in build_document(ev, maps=maps):
        if isinstance(block, Heading):
            target = f'<a name="{_attr(block.anchor)}"/>' if block.anchor else ""
            p = Paragraph(target + _x(block.text, _HEADING_CHARS), styles[min(block.level, 3)])
            story.append(CondPageBreak(3.5 * cm))  # never a heading alone at the foot of a page
            if block.anchor == "rules":
                tail_from = len(story)
            if block.level <= 3:
                p._ev_bookmark = (block.text[:_HEADING_CHARS], block.level)
            story.append(p)
        elif isinstance(block, Para):
            story.append(Paragraph(_x(block.text), styles.get(block.style, base)))
        elif isinstance(block, Facts):
            rows = []
            for k, v in block.rows:
                vt = v.strip()
                val = pdf_link(vt, link) if vt.startswith(("http://", "https://")) else _x(v, _FACT_CHARS)
                rows.append([Paragraph(f"<b>{_x(k, _HEADING_CHARS)}</b>", cell), Paragraph(val, cell)])
            t = RLTable(rows, colWidths=[3.2 * cm, doc.width - 3.2 * cm])
            t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                                   ("TOPPADDING", (0, 0), (-1, -1), 1)]))
            story += [t, Spacer(1, 4)]
        elif isinstance(block, Table):
            st = cell_small if block.small else cell
            right = ParagraphStyle("ev-cell-r", parent=st, alignment=TA_RIGHT)
            head = [Paragraph(f"<b>{_x(c, _HEADING_CHARS)}</b>", right if i in block.numeric else st)
                    for i, c in enumerate(block.columns)]

            def cell_text(r: int, i: int, v: str, table: Table = block) -> str:
                a = table.links.get(r) if i == _link_column(table) else None
                return (f'<a href="#{_attr(a)}" color="{link}">{_x(v, _CELL_CHARS)}</a>' if a
                        else _x(v, _CELL_CHARS))

            w = block.widths or [1.0] * len(block.columns)
            tot = sum(w)
            widths = [doc.width * x / tot for x in w]

            def body_cell(r: int, i: int, v: str, table: Table = block, st: Any = st, right: Any = right,
                          widths: list[float] = widths) -> Any:
                """A paragraph, or, for plain text that fits its column on one line, the text itself:
                drawn the same (one line, the cell's font) at a fraction of a paragraph's cost."""
                linked = i == _link_column(table) and r in table.links
                if (not linked and v.isprintable() and v == " ".join(v.split()) and len(v) <= _CELL_CHARS
                        and stringWidth(v, regular, st.fontSize) <= widths[i] - 6.5):
                    return v
                return Paragraph(cell_text(r, i, v), right if i in table.numeric else st)

            data = [head] + [[body_cell(r, i, v) for i, v in enumerate(row)] for r, row in enumerate(block.rows)]
            t = RLTable(data, colWidths=widths, repeatRows=1)
            style = [("FONT", (0, 1), (-1, -1), regular, st.fontSize, st.leading),
                     *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i in block.numeric],
                     ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor(palette.colour("rule"))),
                     ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(palette.colour("table header"))),
                     ("VALIGN", (0, 0), (-1, -1), "TOP"),
                     ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                     ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
            for r in block.highlight:
                style.append(("BACKGROUND", (0, r + 1), (-1, r + 1), colors.HexColor(palette.colour("highlight row"))))
            t.setStyle(TableStyle(style))
            flow: list[Any] = [t]
            if block.caption:
                flow.append(Paragraph(_x(block.caption, _FACT_CHARS), caption))
            flow.append(Spacer(1, 6))
            if len(block.rows) <= 12:  # short tables stay whole; long ones split, repeating the header
                story.append(KeepTogether(flow))
            else:
                story += flow
        elif isinstance(block, Figure):
            png = maps.get(block.key)
            if png is None:
                continue
            from PIL import Image as PILImage

            with PILImage.open(io.BytesIO(png)) as im:
                wpx, hpx = im.size
            width = doc.width * block.width
            img = _png_flowable(png, width, width * hpx / wpx)
            story.append(KeepTogether([img, Paragraph(_x(block.caption, _FACT_CHARS), caption), Spacer(1, 6)]))
        elif isinstance(block, PageBreak) and not first:
            story.append(CondPageBreak(block.if_less_than_cm * cm) if block.if_less_than_cm else RLPageBreak())
        first = False
    if tail_from is not None:  # the method ends the report on a page of its own only when it must:
        flat: list[Any] = []
        for f in story[tail_from:]:  # nested KeepTogethers measure as "infinitely tall": flatten them
            flat += f._content if isinstance(f, KeepTogether) else [f]
        story[tail_from:] = [KeepTogether(flat)]  # never a last page with a few lines
    doc.build(story)
    return buf.getvalue()
