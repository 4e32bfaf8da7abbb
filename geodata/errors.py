"""One error hierarchy for the whole planner.

Every error the planner raises derives from :class:`PlannerError`; the specific
ones also derive from the builtin they mean, so callers can catch either
(``except KeyError`` or ``except PlannerError``).  Messages say what was
expected, what arrived, where (file, row, id) and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "CIFError",
    "CRSError",
    "CacheError",
    "ClusterError",
    "DataError",
    "EngineError",
    "GTFSColumnError",
    "GTFSError",
    "MissingColumnError",
    "MissingDataError",
    "NetworkFileError",
    "OutsideAreaError",
    "PlannerError",
    "TransitDataWarning",
    "UnknownAreaError",
    "UnknownBandError",
    "UnknownModeError",
]


class PlannerError(Exception):
    """Base class of every error the planner raises on purpose."""


class DataError(ValueError, PlannerError):
    """An input data file is malformed (bad value, duplicate id, ...)."""


class MissingDataError(FileNotFoundError, PlannerError):
    """A data file or data directory the planner needs is not there."""

    def __str__(self) -> str:  # FileNotFoundError formats oddly with one arg
        return str(self.args[0]) if self.args else "missing data"


class MissingColumnError(KeyError, DataError):
    """A data file lacks a column the planner needs."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "missing column"


class CRSError(DataError):
    """A layer has no coordinate reference system, or the wrong one."""


class OutsideAreaError(DataError):
    """A point lies outside the study area (or outside Great Britain)."""


class UnknownAreaError(DataError):
    """A study area or police force area that is not known (the message suggests the nearest names)."""


class UnknownModeError(ValueError, PlannerError):
    """A travel mode that no engine provides."""


class UnknownBandError(ValueError, PlannerError):
    """A time band that cannot be parsed."""


class NetworkFileError(DataError):
    """A street-network file is missing, unreadable, or covers none of the area."""


class ClusterError(ValueError, PlannerError):
    """A Dask cluster that cannot be used: a bad --workers or --scheduler, or a scheduler that does not answer."""


class GTFSError(DataError):
    """A GTFS feed lacks a required file or column, or has bad values."""


class CIFError(DataError):
    """A CIF (Rail Delivery Group) timetable file is truncated, malformed or inconsistent."""


class GTFSColumnError(MissingColumnError, GTFSError):
    """A GTFS file lacks a required column (catch as ``KeyError`` or ``GTFSError``)."""


class TransitDataWarning(UserWarning):
    """Input rows were skipped (e.g. a route stop with no coordinates); the message says which."""


class CacheError(OSError, PlannerError):
    """A cache file cannot be read (unreadable, stale, corrupt) or written.

    Raised where the cache fails; the cache's users report it and rebuild.
    """

    def __str__(self) -> str:  # OSError formats oddly with one arg
        return str(self.args[0]) if self.args else "cache error"


class EngineError(RuntimeError, PlannerError):
    """A travel-time engine broke its contract (e.g. a matrix of the wrong shape)."""
