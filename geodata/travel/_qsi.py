"""Bus headways per route and the 24-hour routes, from TfL's quarterly QSI results.

``tfl_bus_route_service_qsi_<quarter>.csv`` (derived from TfL's "QSI Performance
Results: Route Results for London Bus Services") has one row per route:
``route``, ``category`` (``day_route``, ``night_route`` or
``night_portion_of_24h_route``), ``day_route_if_24h``, ``service_class``
(``high-frequency`` or ``low-frequency``), ``scheduled_wait_min`` (SWT, half the
scheduled headway, high-frequency only) and ``est_headway_min`` (2 x SWT).

A high-frequency route's headway is ``est_headway_min``; a low-frequency
(timetabled) route has none in the file and gets a documented default.  A row
``N<x>`` of category ``night_portion_of_24h_route`` says day route ``<x>`` runs all
night.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.errors import DataError, MissingColumnError
from geodata.travel._transit_graph import TransitDataWarning

__all__ = ["QSI_COLUMNS", "BusService", "QSIDataWarning", "read_qsi"]

log = logging.getLogger(__name__)

QSI_COLUMNS = ("route", "category", "day_route_if_24h", "service_class", "est_headway_min")
_CATEGORIES = ("day_route", "night_route", "night_portion_of_24h_route")
_CLASSES = ("high-frequency", "low-frequency", "")


class QSIDataWarning(TransitDataWarning):
    """The QSI file and the bus sequences disagree on which routes exist (counted, named)."""


@dataclass(frozen=True, eq=False)
class BusService:
    """Per-route headways (minutes; NaN = timetabled, no headway given) and 24-hour routes."""

    #: route -> headway of its day service (NaN for low-frequency)
    day_headway: dict[str, float]
    #: night route (N...) -> headway (NaN for low-frequency)
    night_headway: dict[str, float]
    #: day routes that also run all night
    routes_24h: tuple[str, ...]
    #: the routes listed in the file
    routes: frozenset[str]
    path: Path


def read_qsi(path: Path | str) -> BusService:
    """Read and check a QSI route file; errors name the row and the fix."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read it as CSV ({exc})") from exc
    missing = [c for c in QSI_COLUMNS if c not in df.columns]
    if missing:
        raise MissingColumnError(
            f"{path.name}: missing column(s) {', '.join(missing)}; found "
            f"{', '.join(df.columns)} (the QSI route file has one row per route)"
        )
    df = df.apply(lambda c: c.str.strip())
    rows = np.arange(len(df)) + 2
    bad = ~df["category"].isin(_CATEGORIES)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path.name} row {rows[i]} (route {df['route'].iat[i]!r}): category "
            f"{df['category'].iat[i]!r}, expected one of {', '.join(_CATEGORIES)}"
        )
    bad = ~df["service_class"].isin(_CLASSES)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path.name} row {rows[i]} (route {df['route'].iat[i]!r}): service_class "
            f"{df['service_class'].iat[i]!r}, expected high-frequency or low-frequency"
        )
    if (df["route"] == "").any():
        i = int(np.flatnonzero(df["route"] == "")[0])
        raise DataError(f"{path.name} row {rows[i]}: the route is empty")
    dup = df["route"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DataError(f"{path.name} row {rows[i]}: route {df['route'].iat[i]!r} is listed twice")
    hw = pd.to_numeric(df["est_headway_min"].replace("", np.nan), errors="coerce")
    bad = (df["est_headway_min"] != "") & (hw.isna() | (hw <= 0) | (hw > 120))
    bad |= (df["service_class"] == "high-frequency") & hw.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path.name} row {rows[i]} (route {df['route'].iat[i]!r}): est_headway_min "
            f"{df['est_headway_min'].iat[i]!r}, expected minutes between 0 and 120 "
            "(required for a high-frequency route)"
        )
    hw = hw.where(df["service_class"] == "high-frequency")
    day = df["category"] == "day_route"
    night = df["category"] == "night_route"
    portion = df["category"] == "night_portion_of_24h_route"
    r24 = df.loc[portion, "day_route_if_24h"]
    if (r24 == "").any():
        i = int(np.flatnonzero((portion & (df["day_route_if_24h"] == "")).to_numpy())[0])
        raise DataError(
            f"{path.name} row {rows[i]} (route {df['route'].iat[i]!r}): a night portion of a "
            "24-hour route must name its day route in day_route_if_24h"
        )
    unknown = sorted(set(r24) - set(df.loc[day, "route"]))
    if unknown:
        raise DataError(
            f"{path.name}: 24-hour night portion(s) name day route(s) {', '.join(unknown)} "
            "that the file does not list as day routes"
        )
    return BusService(
        day_headway=dict(zip(df.loc[day, "route"], hw[day], strict=True)),
        night_headway=dict(zip(df.loc[night, "route"], hw[night], strict=True)),
        routes_24h=tuple(sorted(r24)),
        routes=frozenset(df["route"]),
        path=path,
    )


def check_routes(service: BusService, sequence_routes: set[str], *, ignore: set[str]) -> str | None:
    """One counted warning naming the routes one file has and the other lacks.

    ``ignore`` are sequence routes left out on purpose (school routes, rail
    replacement...).  The night portions of 24-hour routes (``N<x>``) are the day
    route's own buses, not routes of their own, so they need no sequence.  Returns
    the message (also issued as :class:`QSIDataWarning`), or None when they agree.
    """
    listed = set(service.day_headway) | set(service.night_headway)
    no_seq = sorted(listed - sequence_routes)
    no_qsi = sorted(sequence_routes - service.routes - ignore)
    if not no_seq and not no_qsi:
        return None

    def show(xs: list[str]) -> str:
        return ", ".join(xs[:40]) + (f" and {len(xs) - 40} more" if len(xs) > 40 else "")

    msg = (
        f"{service.path.name} and the bus sequences disagree: {len(no_seq)} QSI route(s) "
        f"have no stop sequence (not modelled: {show(no_seq)}); {len(no_qsi)} sequence "
        f"route(s) have no QSI row (default headway: {show(no_qsi)})"
    )
    log.info("%s", msg)
    warnings.warn(msg, QSIDataWarning, stacklevel=3)
    return msg
