"""Checks every reader shares, so a bad file is reported the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterable

from geodata.errors import MissingColumnError

__all__ = ["require_columns"]


def require_columns(
    found: Iterable[object],
    required: Iterable[str],
    where: str,
    *,
    fix: str,
    error: type[MissingColumnError] = MissingColumnError,
) -> None:
    """Raise ``error`` naming ``where``, the missing columns and the fix, unless all are there.

    Examples
    --------
    >>> require_columns(["id", "name"], ("id",), "sites.csv", fix="use the template")
    >>> require_columns(["id"], ("id", "x", "y"), "sites.csv", fix="give coordinates")
    Traceback (most recent call last):
    ...
    geodata.errors.MissingColumnError: sites.csv lacks required column(s) x, y; it has 'id'. Fix: add 'x', 'y'; give coordinates
    """
    have = [str(c) for c in found]
    missing = [c for c in required if c not in have]
    if missing:
        shown = ", ".join(map(repr, have[:12])) + (", ..." if len(have) > 12 else "")
        raise error(
            f"{where} lacks required column(s) {', '.join(missing)}; it has {shown or 'no header'}. "
            f"Fix: add {', '.join(map(repr, missing))}; {fix}"
        )
