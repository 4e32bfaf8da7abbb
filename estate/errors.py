"""Errors of the estate domain, in the planner's one hierarchy (:mod:`geodata.errors`)."""

from __future__ import annotations

from geodata.errors import CacheError, DataError, MissingDataError, PlannerError

__all__ = [
    "CoverageError",
    "DuplicateSiteError",
    "EstateError",
    "HoursError",
    "InfeasibleError",
    "MapError",
    "NoTimetableError",
    "OptimiseError",
    "OutputError",
    "OutputExistsError",
    "OutsideAreaError",
    "RegisterError",
    "RulesError",
    "SaveConflictError",
    "ScenarioError",
    "ScenarioExistsError",
    "SettingsError",
    "SweepError",
    "TablesCacheError",
    "UnknownNameError",
    "UnknownScenarioError",
    "UnknownSiteError",
    "UploadError",
]


class EstateError(PlannerError):
    """Base class of the estate domain's errors."""


class _UnknownKey(KeyError, EstateError):
    """A ``KeyError`` whose message reads as written (``KeyError`` would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else (self.__doc__ or "").split(":")[0]


class UnknownSiteError(_UnknownKey):
    """unknown site: an id that is neither in the register nor among the candidates."""


class UnknownScenarioError(_UnknownKey):
    """unknown scenario: an id with no file in ``scenarios/``."""


class DuplicateSiteError(DataError, EstateError):
    """Two sites share one ``site_id``."""


class HoursError(ValueError, EstateError):
    """An opening-hours string outside the supported OSM ``opening_hours`` subset."""


class ScenarioError(ValueError, EstateError):
    """A scenario file that is malformed or inconsistent."""


class OutputError(OSError, EstateError):
    """An output path that cannot be written."""


class OutputExistsError(FileExistsError, OutputError):
    """An output would replace a file the tool did not write (or that was changed since), unasked."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "output exists"


class MapError(ValueError, EstateError):
    """A map or colour scale asked for with arguments that do not fit together."""


class UnknownNameError(_UnknownKey):
    """unknown name: a map metric or colour meaning that is not among the known ones."""


class SettingsError(DataError, EstateError):
    """An environment variable or settings file that cannot be used."""


class CoverageError(ValueError, EstateError):
    """A coverage request that cannot be computed as asked (a threshold that is not whole minutes)."""


class OptimiseError(ValueError, EstateError):
    """An optimisation request that cannot be run as asked (bad k, lock, target, time limit)."""


class InfeasibleError(OptimiseError):
    """No answer meets the request: too many closures for the rules, or a coverage target out of reach.

    ``binding`` names the rules (ids) that stop it, ``most`` the most the rules
    allow (closures) or the best reachable (coverage share), where known.
    """

    def __init__(self, message: str, *, binding: tuple[str, ...] = (), most: float | None = None) -> None:
        super().__init__(message)
        self.binding = binding
        self.most = most


class RegisterError(DataError, EstateError):
    """A register or places file that cannot be used (unreadable, a bad kind, an unknown borough)."""


class RulesError(DataError, EstateError):
    """A rule set (YAML) that is malformed: unknown key, bad kind, bad hours requirement."""


class ScenarioExistsError(FileExistsError, EstateError):
    """A save would replace an existing scenario file without being asked to."""


class UploadError(ScenarioError):
    """An uploaded scenario file that is too big, not text, or not a valid scenario."""


class SaveConflictError(ScenarioExistsError):
    """The scenario file changed since the user agreed to overwrite it."""

    def __init__(self, message: str, digest: str) -> None:
        super().__init__(message)
        #: the file's digest now, to ask the user again against
        self.digest = digest

    def __str__(self) -> str:
        return str(self.args[0])


class OutsideAreaError(ValueError, EstateError):
    """A point (a postcode, a click) outside the study area's boroughs."""


class TablesCacheError(CacheError, EstateError):
    """A cached derived-tables file that does not hold what it should (it is rebuilt)."""


class SweepError(ValueError, EstateError):
    """A settings sweep asked for with bad arguments (draws, seed, ranges) or a sweep file that does not fit."""


class NoTimetableError(MissingDataError, EstateError):
    """Public transport asked for in a study area with no timetable (outside London and Newport, no GTFS given)."""
