"""The one typeface of the exported maps and the PDF: DejaVu Sans, as shipped inside matplotlib.

Found on disk without importing matplotlib (importing it costs about 0.4 s, more than
drawing every map of a pack), so the evidence pack never loads it.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

__all__ = ["dejavu"]


@cache
def dejavu(bold: bool = False) -> Path | None:
    """The path of DejaVu Sans (``bold``: DejaVu Sans Bold), or ``None`` if matplotlib is not installed.

    Examples
    --------
    >>> dejavu().name, dejavu(bold=True).name
    ('DejaVuSans.ttf', 'DejaVuSans-Bold.ttf')
    """
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "mpl-data" / "fonts" / "ttf" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
        if path.is_file():
            return path
    return None
