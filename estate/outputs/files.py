"""Writing a user's output file: atomically, and never over a file the tool did not write.

A command's ``--out FILE`` may replace a file this tool wrote earlier and that
nobody changed since (it keeps a digest of what it wrote in the state folder,
:func:`estate.settings.state_dir`); any other existing file is refused unless
``force`` is given.  Files get the user's normal permissions (the umask's).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from estate import settings as config
from estate.errors import OutputError, OutputExistsError
from geodata import atomic_write_bytes, atomic_write_text

__all__ = ["LEDGER_SIZE", "check_can_create", "check_output", "tool_wrote", "write_output"]

log = logging.getLogger(__name__)

#: how many written files the state folder remembers
LEDGER_SIZE = 2000


def _ledger_path() -> Path:
    return config.state_dir() / "written.json"


def _ledger() -> dict[str, str]:
    try:
        data = json.loads(_ledger_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _key(path: Path) -> str:
    return str(path.expanduser().resolve())


def tool_wrote(path: str | os.PathLike[str]) -> bool:
    """Did this tool write ``path``, and is it unchanged since?"""
    p = Path(path)
    want = _ledger().get(_key(p))
    if not want:
        return False
    try:
        return _digest(p.read_bytes()) == want
    except OSError:
        return False


def _remember(path: Path, data: bytes) -> None:
    led = _ledger()
    led.pop(_key(path), None)
    led[_key(path)] = _digest(data)
    while len(led) > LEDGER_SIZE:
        led.pop(next(iter(led)))
    try:
        atomic_write_text(_ledger_path(), json.dumps(led, indent=0))
    except OSError as exc:  # the output is written; only the record of it is lost
        log.debug("cannot record %s in %s: %s", path, _ledger_path(), exc)


def write_output(path: str | os.PathLike[str], data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to the file ``path`` atomically, refusing to replace a file the tool did not write.

    Raises
    ------
    OutputExistsError
        When ``path`` exists, was not written by this tool (or was changed since), and ``force`` is false.
    OutputError
        When ``path`` is a folder, or its folder cannot be created or written.
    """
    p = check_output(path, force=force)
    blob = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        atomic_write_bytes(p, blob)
    except OSError as exc:
        raise OutputError(f"cannot write {p} ({exc.strerror or exc}); check the folder exists and "
                          "you may write to it, or choose another path") from exc
    _remember(p, blob)
    return p


def check_output(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """The checks of :func:`write_output`, before any work: raise now rather than after the computing."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise OutputError(f"{p} is a folder; give a file name such as {p / 'output.html'}")
    if p.exists() and not force and not tool_wrote(p):
        raise OutputExistsError(f"{p} exists and was not written by estate (or was changed since); "
                                "add --force to overwrite it, or choose another file name")
    check_can_create(p)
    return p


def check_can_create(path: Path) -> None:
    """Refuse a path whose nearest existing ancestor is a file, or a folder this user cannot write to."""
    anc = Path(path).resolve().parent
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise OutputError(f"cannot create {path}: {anc} is a file, not a folder; choose another path")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {anc} (permission denied); choose a folder you can write to")
