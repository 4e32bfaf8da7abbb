"""How every number, minute, share and missing value is written: one place.

The domain writes numbers in prose (verdicts, rationales) and the outputs in
tables, maps and reports; both use these functions, so a count, a journey
time or a missing value reads the same everywhere.  Nothing here prints
``inf``, ``nan`` or ``None``: an unreachable journey is
:data:`UNREACHABLE` (or "more than N hours" when the engine's cutoff is
known), a value that does not exist is :data:`MISSING`.

:func:`json_number` is the machine-readable counterpart: a finite, rounded
float, or ``None`` (JSON ``null``) for a missing or unreachable value.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "MISSING",
    "UNREACHABLE",
    "count",
    "json_number",
    "minutes",
    "number",
    "ordinal",
    "plain",
    "share",
]

#: A journey with no open site within the engine's reach.
UNREACHABLE = "not reachable"
#: A value that does not exist (a group with no residents, a site with no figure).
MISSING = "not available"


def _value(x: Any) -> float | None:
    """``x`` as a float, or ``None`` when it is missing (``None``, NaN, or not a number)."""
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _finite(x: Any) -> float | None:
    """``x`` as a finite float, or ``None`` (missing, or infinite where infinity has no words)."""
    v = _value(x)
    return None if v is None or math.isinf(v) else v


def count(x: Any, *, signed: bool = False) -> str:
    """A count of people or places, rounded, with thousands separators.

    Examples
    --------
    >>> count(1234567.4), count(-2500, signed=True), count(12, signed=True), count(None)
    ('1,234,567', '-2,500', '+12', 'not available')
    """
    v = _finite(x)
    if v is None:
        return MISSING
    n = round(v)
    return f"{n:+,}" if signed else f"{n:,}"


def number(x: Any, digits: int = 1, *, signed: bool = False) -> str:
    """A plain figure to ``digits`` decimals, with thousands separators.

    Examples
    --------
    >>> number(1234.56), number(-0.25, 2, signed=True), number(float("nan"))
    ('1,234.6', '-0.25', 'not available')
    """
    v = _finite(x)
    if v is None:
        return MISSING
    return f"{v:+,.{digits}f}" if signed else f"{v:,.{digits}f}"


def plain(x: Any) -> str:
    """A figure as it was given, in its shortest form (a published rate, a speed).

    Examples
    --------
    >>> plain(2.5), plain(12.0), plain(float("nan"))
    ('2.5', '12', 'not available')
    """
    v = _finite(x)
    if v is None:
        return MISSING
    return f"{v:g}"


def _hours(cutoff_min: float) -> str:
    h = cutoff_min / 60.0
    if h >= 1 and h == int(h):
        return f"{int(h)} hour" + ("s" if h != 1 else "")
    return f"{cutoff_min:,.0f} minutes"


def minutes(x: Any, *, digits: int = 1, signed: bool = False, unit: bool = False,
            cutoff_min: float | None = None) -> str:
    """Minutes of a journey (or a change in minutes, ``signed``).

    ``inf`` (no open site in reach) reads :data:`UNREACHABLE`, or "more than
    N hours" when the engine's ``cutoff_min`` is given; a change to or from
    unreachable reads the same words.  ``unit`` appends " min".

    Examples
    --------
    >>> minutes(12.345), minutes(3.0, signed=True), minutes(7.6, digits=0, unit=True)
    ('12.3', '+3.0', '8 min')
    >>> minutes(float("inf")), minutes(float("inf"), cutoff_min=180), minutes(None)
    ('not reachable', 'more than 3 hours', 'not available')
    """
    v = _value(x)
    if v is None:
        return MISSING
    if math.isinf(v):
        if v < 0 and signed:
            return "reachable now, " + UNREACHABLE + " before"
        return f"more than {_hours(cutoff_min)}" if cutoff_min else UNREACHABLE
    s = f"{v:+,.{digits}f}" if signed else f"{v:,.{digits}f}"
    return s + " min" if unit else s


def share(x: Any, *, digits: int = 1, signed: bool = False) -> str:
    """A share (0..1) as a percentage; ``signed``: a change in percentage points.

    Examples
    --------
    >>> share(0.1234), share(-0.05, signed=True), share(None)
    ('12.3%', '-5.0 pts', 'not available')
    """
    v = _finite(x)
    if v is None:
        return MISSING
    return f"{v * 100:+.{digits}f} pts" if signed else f"{v * 100:.{digits}f}%"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th, 21st.

    Examples
    --------
    >>> [ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 102)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def json_number(x: Any, digits: int | None = None) -> Any:
    """A number for JSON, CSV and spreadsheets: ``None`` for NaN and infinity, optionally rounded.

    Integers stay integers; anything that is not a number is returned as it is.

    Examples
    --------
    >>> json_number(float("inf")), json_number(2.345, 2), json_number(7)
    (None, 2.35, 7)
    """
    if isinstance(x, bool):
        return x
    if isinstance(x, float) or type(x).__name__.startswith("float"):
        v = float(x)
        if math.isnan(v) or math.isinf(v):
            return None
        return round(v, digits) if digits is not None else v
    if type(x).__name__.startswith("int") and not isinstance(x, int):  # numpy integers
        return int(x)
    return x
