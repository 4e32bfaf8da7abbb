"""Atomic writes: a file or a whole folder appears complete or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["atomic_directory", "atomic_write_bytes", "atomic_write_text", "clean_stale"]


def _umask() -> int:
    """The process's umask (read without changing it where Linux allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    The file gets normal permissions (an existing file's own, else what the
    umask gives a new file), not the temporary file's private 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where not supported."""
    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(rc == 0)


def _leftovers(dest: Path) -> list[tuple[Path, str, int]]:
    """Staging and old folders an earlier run left beside ``dest``: (path, kind, pid; -1 if unknown)."""
    out = []
    for p in dest.parent.glob(f".{dest.name}.*"):
        rest = p.name[len(dest.name) + 2:]
        kind, _, tail = rest.partition(".")
        if kind not in ("staging", "old") or not p.is_dir():
            continue
        pid_text = tail.split(".", 1)[0]
        out.append((p, kind, int(pid_text) if pid_text.isdigit() else -1))
    return out


def clean_stale(dest: Path) -> list[Path]:
    """Remove the staging folders of runs that died (their process is gone); restore a lost ``dest``.

    A run killed between the two renames of a swap leaves ``dest`` missing and
    the earlier folder as ``.<name>.old.<pid>``: it is put back.  Returns what
    was removed or restored.
    """
    dest = Path(dest)
    done: list[Path] = []
    if not dest.parent.is_dir():
        return done
    for p, kind, pid in _leftovers(dest):
        if pid > 0 and _alive(pid):
            continue
        if kind == "old" and not dest.exists():
            os.replace(p, dest)
        else:
            shutil.rmtree(p, ignore_errors=True)
        done.append(p)
    return done


@contextlib.contextmanager
def atomic_directory(dest: Path, *, keep: Callable[[Path], bool] | None = None) -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``dest`` whole.

    On any error the staging folder is removed and ``dest`` (with whatever an
    earlier run left there) is untouched.  Entries of the earlier ``dest`` for
    which ``keep`` is true (files a user added) are copied into the new one.
    The swap is one ``renameat2`` exchange where Linux offers it, so ``dest``
    always holds a complete folder; elsewhere the earlier folder waits beside it
    as ``.<name>.old.<pid>`` until the new one is in place, and a run killed in
    between has it restored by the next (:func:`clean_stale`, called first).
    Folders get the umask's normal permissions, not ``mkdtemp``'s 0700.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(dest)
    stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.staging.{os.getpid()}.", dir=dest.parent))
    try:
        os.chmod(stage, 0o777 & ~_umask())
        yield stage
        if keep is not None and dest.is_dir():
            for entry in dest.iterdir():
                target = stage / entry.name
                if keep(entry) and not target.exists():
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.copytree(entry, target, symlinks=True)
                    else:
                        shutil.copy2(entry, target, follow_symlinks=False)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if dest.exists() and _exchange(stage, dest):
        shutil.rmtree(stage, ignore_errors=True)  # the earlier folder, now at the staging name
        return
    old = None
    if dest.exists():
        old = dest.parent / f".{dest.name}.old.{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
    try:
        os.replace(stage, dest)
    except BaseException:
        if old is not None:
            os.replace(old, dest)
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
