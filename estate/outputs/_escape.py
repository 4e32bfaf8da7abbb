"""User text, escaped for where it lands: spreadsheet cells, reportlab markup, HTML inside script.

One helper per destination, used by every writer of that destination:

* :func:`csv_text` / :func:`neutralise_cell` (every CSV) and :mod:`estate.outputs.xlsx`
  (every XLSX, with :data:`FORMULA_START` and :func:`xlsx_value`): text starting with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return is never a live formula;
* :func:`pdf_text` (every reportlab paragraph): markup escaped, quotes included,
  long unbroken runs broken, overlong text cut with a note; :func:`pdf_link` makes
  a link only of a plain ``http(s)`` address;
* :func:`html_in_script` (every string folium puts inside a JavaScript template
  literal, such as popups and tooltips): HTML-escaped, and ``` ` ```, ``$`` and ``\\``
  as character references, so ``${...}`` is never evaluated.
"""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMULA_START",
    "PDF_MAX_CHARS",
    "csv_text",
    "html_in_script",
    "neutralise_cell",
    "pdf_link",
    "pdf_text",
    "xlsx_value",
]

#: the first characters that make a spreadsheet read a cell as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs: text starting with a formula character gets a leading ``'``.

    Numbers are left alone (a negative number is a number, not a formula).

    Examples
    --------
    >>> neutralise_cell('=HYPERLINK("http://x","Click")')
    '\\'=HYPERLINK("http://x","Click")'
    >>> neutralise_cell(-3.5), neutralise_cell("Charing Cross")
    (-3.5, 'Charing Cross')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(df: pd.DataFrame) -> str:
    """``df`` as CSV text (no index), every text cell neutralised (:func:`neutralise_cell`)."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype(object).map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return str(out.to_csv(index=False))


_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_value(value: Any) -> Any:
    """A value an XLSX cell can hold: control characters (which XML cannot carry) become U+FFFD.

    Examples
    --------
    >>> xlsx_value("a\x07b")
    'a\ufffdb'
    """
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("\ufffd", value)
    return value


#: the longest text one PDF paragraph holds (a longer rationale is cut; the pack's
#: CSV, JSON and XLSX keep it whole)
PDF_MAX_CHARS = 4000
#: unbroken runs longer than this are broken so a line can wrap
_PDF_RUN = 60
_LONG_RUN = re.compile(rf"\S{{{_PDF_RUN + 1},}}")


def pdf_text(text: Any, *, limit: int = PDF_MAX_CHARS) -> str:
    """Text as reportlab paragraph markup: escaped (quotes too), long runs broken, cut at ``limit``.

    Examples
    --------
    >>> pdf_text('a "b" <c> & d')
    'a &quot;b&quot; &lt;c&gt; &amp; d'
    >>> len(pdf_text("x" * 100).split())
    2
    """
    s = str(text)
    cut = len(s) > limit
    if cut:
        s = s[:limit]
    s = _LONG_RUN.sub(lambda m: " ".join(m.group(0)[i:i + _PDF_RUN] for i in range(0, len(m.group(0)), _PDF_RUN)), s)
    out = html.escape(s, quote=True)
    if cut:
        out += f" … (cut at {limit:,} characters; the full text is in evidence.json)"
    return out


def pdf_link(url: str, colour: str) -> str:
    """A PDF link for a plain ``http(s)`` address, else the address as text (no link).

    Examples
    --------
    >>> pdf_link("javascript:alert(1)", "#00f")
    'javascript:alert(1)'
    >>> pdf_link("https://example.org/a?b=1", "#00f")
    '<link href="https://example.org/a?b=1" color="#00f">https://example.org/a?b=1</link>'
    """
    u = url.strip()
    try:
        parts = urlsplit(u)
    except ValueError:
        return pdf_text(url)
    plain = (parts.scheme in ("http", "https") and bool(parts.netloc) and "@" not in parts.netloc and len(u) <= 2000
             and not re.search(r"[\s\"'<>\\\x00-\x1f\x7f]", u))
    if not plain:
        return pdf_text(url)
    return f'<link href="{html.escape(u, quote=True)}" color="{colour}">{pdf_text(u)}</link>'


_SCRIPT_CHARS = {"`": "&#96;", "$": "&#36;", "\\": "&#92;"}


def html_in_script(text: Any) -> str:
    """Text escaped for HTML that folium places inside a JavaScript template literal.

    Examples
    --------
    >>> html_in_script("${alert(1)}`<b>")
    '&#36;{alert(1)}&#96;&lt;b&gt;'
    """
    s = html.escape(str(text), quote=True)
    return "".join(_SCRIPT_CHARS.get(ch, ch) for ch in s)


def json_in_script(value: Any) -> str:
    """``value`` as JSON that is safe inside an HTML ``<script>`` element (``<`` and ``>`` escaped,
    so no string in it can close the element).

    Examples
    --------
    >>> out = json_in_script({"name": "</script><b>"})
    >>> "<" in out, json.loads(out) == {"name": "</script><b>"}
    (False, True)
    """
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")
