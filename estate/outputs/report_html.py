"""The committee report as one self-contained HTML file: no scripts, no network; maps as base64 PNG."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from estate.evidence import Evidence
from estate.outputs import _palette as palette
from estate.outputs.report import (
    Facts,
    Figure,
    Heading,
    PageBreak,
    Para,
    Table,
    build_document,
)

__all__ = ["render_html"]


_CSS = f"""
body{{font-family:-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;margin:0 auto;max-width:60em;
 padding:1.5em;color:{palette.COLOURS["ink"]};line-height:1.45}}
h1{{font-size:1.7em;margin-bottom:.2em}}h2{{font-size:1.35em;border-bottom:2px solid {palette.COLOURS["heading"]};padding-bottom:.2em;
 margin-top:2em;color:{palette.COLOURS["heading"]}}}h3{{font-size:1.1em;margin-top:1.4em}}
table{{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em;width:100%}}
th,td{{border:1px solid {palette.COLOURS["rule"]};padding:.25em .45em;vertical-align:top;text-align:left}}
th{{background:{palette.COLOURS["table header"]}}}td.num,th.num{{text-align:right;white-space:nowrap}}
table.small{{font-size:.8em}}tr.hi td{{background:{palette.COLOURS["highlight row"]}}}caption{{caption-side:bottom;text-align:left;
 font-size:.85em;color:{palette.COLOURS["note"]};padding-top:.3em}}
p.note{{color:{palette.COLOURS["note"]};font-size:.92em}}p.small{{color:{palette.COLOURS["label"]};font-size:.8em}}
p.verdict{{font-weight:600;font-size:1.05em}}
p.box{{background:{palette.COLOURS["box"]};border:1px solid {palette.COLOURS["box border"]};padding:.5em .8em;font-size:.9em}}
p.flag{{background:{palette.COLOURS["flag"]};border-left:4px solid {palette.COLOURS["flag border"]};padding:.35em .6em}}
dl.facts{{display:grid;grid-template-columns:10em 1fr;gap:.2em 1em;margin:.6em 0 1em}}
dl.facts dt{{font-weight:600;color:{palette.COLOURS["term"]}}}dl.facts dd{{margin:0}}
figure{{margin:.8em 0 1.2em}}figure img{{max-width:100%;height:auto;border:1px solid {palette.COLOURS["faint rule"]}}}
figcaption{{font-size:.85em;color:{palette.COLOURS["note"]}}}nav a{{margin-right:1em}}hr{{border:none;border-top:1px solid {palette.COLOURS["faint rule"]};margin:2em 0}}
@media print{{body{{max-width:none}}hr{{page-break-after:always;border:none}}h2{{page-break-after:avoid}}
 table,figure{{page-break-inside:avoid}}}}
"""


def _link_or_text(text: str) -> str:
    t = text.strip()
    if t.startswith(("http://", "https://")) and " " not in t:
        e = html.escape(t, quote=True)
        return f'<a href="{e}">{e}</a>'
    return html.escape(text)


def render_html(ev: Evidence, maps: Mapping[str, bytes]) -> str:
    """One self-contained HTML file: no scripts, no network; maps as base64 PNG."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(ev.title())}</title><style>{_CSS}</style></head><body>",
             '<nav><a href="#summary">What changes</a><a href="#ranked">Ranked cases</a>'
             '<a href="#breaches">Rule breaches</a><a href="#mitigations">Mitigations</a>'
             '<a href="#london">London and the boroughs</a><a href="#method">Method and sources</a></nav>']
    for block in build_document(ev, maps=maps):
        if isinstance(block, Heading):
            aid = f' id="{html.escape(block.anchor)}"' if block.anchor else ""
            parts.append(f"<h{block.level}{aid}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            parts.append(f'<p class="{block.style}">{html.escape(block.text)}</p>')
        elif isinstance(block, Facts):
            items = "".join(f"<dt>{html.escape(k)}</dt><dd>{_link_or_text(v)}</dd>" for k, v in block.rows)
            parts.append(f'<dl class="facts">{items}</dl>')
        elif isinstance(block, Table):
            parts.append(_html_table(block))
        elif isinstance(block, Figure):
            data = maps.get(block.key)
            if data is None:
                continue
            b64 = base64.b64encode(data).decode("ascii")
            parts.append(f'<figure><img alt="{html.escape(block.caption, quote=True)}" '
                         f'src="data:image/png;base64,{b64}"><figcaption>{html.escape(block.caption)}'
                         "</figcaption></figure>")
        elif isinstance(block, PageBreak):
            parts.append("<hr>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(t: Table) -> str:
    cls = ' class="small"' if t.small else ""
    head = "".join(f'<th{" class=num" if i in t.numeric else ""}>{html.escape(c)}</th>' for i, c in enumerate(t.columns))
    link_col = t.columns.index("Site") if "Site" in t.columns else 0
    body = []
    for r, row in enumerate(t.rows):
        cells = []
        for i, v in enumerate(row):
            text = html.escape(v)
            if i == link_col and r in t.links:
                text = f'<a href="#{html.escape(t.links[r], quote=True)}">{text}</a>'
            cells.append(f'<td{" class=num" if i in t.numeric else ""}>{text}</td>')
        body.append(f'<tr{" class=hi" if r in t.highlight else ""}>{"".join(cells)}</tr>')
    cap = f"<caption>{html.escape(t.caption)}</caption>" if t.caption else ""
    return f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
