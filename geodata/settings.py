"""Where the data and the cache live: a small typed module of documented values.

* ``ESTATE_DATA``: the data directory.  When unset, ``../shared/london``
  relative to the repository root is used if it exists.
* ``ESTATE_CACHE``: the matrix cache folder (default ``.cache/`` in the
  repository, or ``~/.cache/police-estate`` when installed elsewhere).
* ``ESTATE_CACHE=off`` switches the on-disk cache off.
* ``ESTATE_NATIONAL``: the England and Wales pack (default ``../shared/national``
  beside the repository), for study areas other than London.
"""

from __future__ import annotations

import os
from pathlib import Path

from geodata.errors import MissingDataError

__all__ = ["REPO_ROOT", "cache_dir", "data_dir", "national_dir"]

#: The repository root when running from a source checkout.
REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the data directory: ``explicit``, then ``$ESTATE_DATA``, then ``../shared/london``.

    Raises
    ------
    MissingDataError
        When none exists; the message lists the files expected and where each is published.
    """
    def describe_expected() -> str:  # only for the message: the manifest (and pandas) load only then
        from geodata._manifest import describe_expected as describe

        return describe()

    for candidate, why in (
        (explicit, "the data directory given"),
        (os.environ.get("ESTATE_DATA") or None, "ESTATE_DATA"),
        (REPO_ROOT.parent / "shared" / "london", "the default ../shared/london"),
    ):
        if candidate is None:
            continue
        path = Path(candidate).expanduser()
        if path.is_dir():
            return path.resolve()
        if why != "the default ../shared/london":
            raise MissingDataError(
                f"{why} is {str(path)!r}, which is not a directory.\n" + describe_expected()
            )
    raise MissingDataError(
        "No data directory: set ESTATE_DATA to a folder laid out like the London pack "
        "(or put it at ../shared/london beside the repository).\n" + describe_expected()
    )


def cache_dir() -> Path | None:
    """The matrix cache folder, or ``None`` when ``ESTATE_CACHE=off``."""
    env = os.environ.get("ESTATE_CACHE")
    if env and env.lower() in {"off", "0", "none", "false"}:
        return None
    if env:
        return Path(env).expanduser()
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT / ".cache"
    return Path.home() / ".cache" / "police-estate"


def national_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The England and Wales pack: ``explicit``, then ``$ESTATE_NATIONAL``, then ``../shared/national``.

    Raises
    ------
    MissingDataError
        When the folder does not exist.
    """
    given = explicit or os.environ.get("ESTATE_NATIONAL") or None
    path = Path(given).expanduser() if given else REPO_ROOT.parent / "shared" / "national"
    if not path.is_dir():
        why = "the national data folder given" if explicit else (
            "ESTATE_NATIONAL" if given else "the default ../shared/national")
        raise MissingDataError(
            f"{why} is {str(path)!r}, which is not a directory: study areas other than London read "
            "the England and Wales pack (geography/lsoa21_master_ew.csv and its siblings); set "
            "ESTATE_NATIONAL to it"
        )
    return path.resolve()
