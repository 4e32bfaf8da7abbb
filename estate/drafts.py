"""Scenario drafts: a scenario being edited in the app, and saving it safely.

A draft is a :class:`~estate.scenario.Scenario` value whose id and title may
still be unfinished (there is one scenario type: the editing methods,
:meth:`~estate.scenario.Scenario.toggle` and friends, are the scenario's own).
:func:`draft_state` applies it to the estate exactly as a saved file would be,
so its coverage is the saved file's coverage.

Saving (:func:`save_draft`) checks the id before anything is written (a slug,
so nothing lands outside the scenario folder), validates the YAML it would
write, writes atomically, never replaces an existing file without
``overwrite=True``, and, under a folder lock, refuses to replace a file that
changed since the user was asked (:class:`SaveConflictError`), so two browser
sessions cannot silently overwrite each other.

Uploads (:func:`read_upload`) are size-limited, safe-loaded, validated against
the estate and turned into a draft; every problem is an :class:`UploadError`
with a plain message.

Never losing a draft: :func:`unsaved_edits` counts what a draft changed since it
was started, uploaded or last saved (the app asks before discarding any), and a
:class:`DraftStore` keeps each browser session's draft on disk under a random
key (the app's ``?draft=`` link parameter), so a reload finds it again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from estate import text
from estate.errors import OutputError, SaveConflictError, ScenarioError, UploadError
from estate.register import Estate
from estate.scenario import (
    DEFAULT_NEW_HOURS,
    ID_RE,
    REGISTER,
    Change,
    Scenario,
    ScenarioState,
    check_changes,
    parse_scenario,
    resolve,
    save_scenario,
    suggest_id,
)
from estate.scenario import resolve_value as draft_state
from geodata import atomic_write_text
from geodata.errors import PlannerError

__all__ = [
    "DEFAULT_NEW_HOURS",
    "DRAFT_KEY",
    "UPLOAD_LIMIT_BYTES",
    "DraftStore",
    "KeptDraft",
    "SaveConflictError",
    "UploadError",
    "apply_change_edits",
    "apply_open_edits",
    "candidate_options",
    "change_frame",
    "check_scenario_id",
    "compare_default",
    "draft_state",
    "file_digest",
    "filter_candidates",
    "filter_table",
    "is_draft_token",
    "new_draft_token",
    "read_upload",
    "save_draft",
    "scenario_folder_signature",
    "site_table",
    "suggest_id",
    "unsaved_edits",
]

#: The key a draft is resolved under (never a valid scenario id, so it cannot clash).
DRAFT_KEY = "__draft__"

#: Largest scenario file the app accepts (a scenario is a few kilobytes).
UPLOAD_LIMIT_BYTES = 256 * 1024


def check_scenario_id(sid: str) -> str | None:
    """``None`` if ``sid`` can name a scenario file, else what is wrong with it.

    Examples
    --------
    >>> check_scenario_id("my-plan-2027") is None
    True
    >>> check_scenario_id("../etc/passwd")
    "'../etc/passwd' is not a valid id: use lower-case letters, digits and hyphens (e.g. 'my-plan-2027'), at most 64 characters"
    """
    if sid == REGISTER:
        return f"{REGISTER!r} is reserved for the register itself; choose another id"
    if not ID_RE.match(sid or ""):
        return (f"{sid!r} is not a valid id: use lower-case letters, digits and hyphens "
                "(e.g. 'my-plan-2027'), at most 64 characters")
    return None


def compare_default(draft: Scenario, ids: Sequence[str]) -> str:
    """What a draft is compared with unless the user says: what it started from, else its base."""
    return draft.started_from if draft.started_from in ids else draft.base


# ---- tables for editing ---------------------------------------------------------
def site_table(estate: Estate, base_state: ScenarioState, state: ScenarioState,
               draft: Scenario | None = None) -> pd.DataFrame:
    """Register sites and opened candidates: ``open`` now, hours, and what the draft changed.

    Columns: ``site_id``, ``open``, ``name``, ``borough``, ``kind``, ``hours``, ``change``.
    """
    reg = estate.register
    ids = list(reg.index) + [s for s in state.hours if s not in reg.index]
    ids += [s for s in base_state.hours if s not in ids]
    sites = estate.sites.loc[ids]
    change = []
    for sid in ids:
        found = draft.change_of(sid) if draft else None
        change.append({"close": "closed by this draft", "open": "opened by this draft",
                       "set_hours": "hours changed"}.get(found[0], "") if found else "")
    hours = [state.hours.get(s, "") or base_state.hours.get(s, "") or str(sites.at[s, "hours"]) for s in ids]
    return pd.DataFrame({
        "site_id": ids, "open": [s in state.hours for s in ids], "name": sites["name"].to_numpy(),
        "borough": sites["area_name"].to_numpy(), "kind": sites["kind"].to_numpy(), "hours": hours,
        "change": change,
    })


def filter_table(df: pd.DataFrame, query: str, columns: Sequence[str] = ("name", "borough", "site_id")) -> pd.DataFrame:
    """Rows whose ``columns`` contain every word of ``query`` (case-insensitive)."""
    words = [w for w in (query or "").lower().split() if w]
    if not words:
        return df
    text = df[list(columns)].astype(str).agg(" ".join, axis=1).str.lower()
    mask = np.ones(len(df), dtype=bool)
    for w in words:
        mask &= text.str.contains(w, regex=False).to_numpy()
    return df[mask]


def apply_open_edits(draft: Scenario, before: pd.DataFrame, after: pd.DataFrame, estate: Estate,
                     base_state: ScenarioState) -> Scenario:
    """Toggle every site whose ``open`` tick changed between two versions of :func:`site_table`."""
    was = dict(zip(before["site_id"], before["open"], strict=True))
    for sid, now in zip(after["site_id"], after["open"], strict=True):
        if sid in was and bool(was[sid]) != bool(now):
            draft = draft.toggle(str(sid), estate, base_state)
    return draft


def change_frame(draft: Scenario, estate: Estate) -> pd.DataFrame:
    """One row per site the draft changes: what, hours, rationale, and an ``undo`` tick."""
    rows = []
    labels = {"close": "close", "open": "open", "set_hours": "change hours"}
    for kind in ("close", "open", "set_hours"):
        for c in getattr(draft, kind):
            s = estate.sites.loc[c.site_id] if c.site_id in estate.sites.index else None
            rows.append({"site_id": c.site_id, "name": s["name"] if s is not None else c.site_id,
                         "borough": s["area_name"] if s is not None else "", "change": labels[kind],
                         "hours": c.hours, "rationale": c.rationale, "undo": False})
    return pd.DataFrame(rows, columns=["site_id", "name", "borough", "change", "hours", "rationale", "undo"])


def apply_change_edits(draft: Scenario, edited: pd.DataFrame, base_state: ScenarioState) -> Scenario:
    """Apply an edited :func:`change_frame`: undo ticked rows, then new hours and rationales.

    Raises
    ------
    HoursError
        For hours outside the supported ``opening_hours`` subset.
    """
    for row in edited.to_dict("records"):
        sid = str(row["site_id"])
        if row.get("undo"):
            draft = draft.undo(sid)
            continue
        found = draft.change_of(sid)
        if found is None:
            continue
        kind, old = found
        hours = str(row.get("hours") or "").strip()
        if kind != "close" and hours and hours != old.hours:
            draft = draft.with_hours(sid, hours, base_state)
        text = str(row.get("rationale") or "").strip()
        if text != old.rationale:
            draft = draft.with_rationale(sid, text)
    return draft


def candidate_options(estate: Estate) -> dict[str, list[str]]:
    """The host types, boroughs and retailers among the candidates, sorted."""
    c = estate.candidates
    return {
        "host": sorted(c["host"].dropna().astype(str).unique()),
        "borough": sorted(c["area_name"].dropna().astype(str).unique()),
        "retailer": sorted(r for r in c["retailer"].dropna().astype(str).unique() if r),
    }


def filter_candidates(estate: Estate, *, hosts: Iterable[str] = (), boroughs: Iterable[str] = (),
                      retailers: Iterable[str] = (), query: str = "",
                      exclude: Iterable[str] = ()) -> pd.DataFrame:
    """Located candidate hosts matching every filter given (an empty filter matches all).

    Columns: ``site_id``, ``name``, ``host``, ``retailer``, ``borough``, ``postcode``.
    """
    c = estate.candidates
    c = c[c["located"]]
    hosts, boroughs, retailers = list(hosts), list(boroughs), list(retailers)
    if hosts:
        c = c[c["host"].isin(hosts)]
    if boroughs:
        c = c[c["area_name"].isin(boroughs)]
    if retailers:
        c = c[c["retailer"].isin(retailers)]
    skip = set(exclude)
    if skip:
        c = c[~c.index.isin(skip)]
    df = pd.DataFrame({"site_id": c.index.to_numpy(str), "name": c["name"].to_numpy(),
                       "host": c["host"].to_numpy(), "retailer": c["retailer"].to_numpy(),
                       "borough": c["area_name"].to_numpy(), "postcode": c["postcode"].to_numpy()})
    return filter_table(df, query, ("name", "borough", "site_id", "retailer", "postcode")).reset_index(drop=True)


# ---- files ---------------------------------------------------------------------
def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, or ``""`` when it does not exist."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def scenario_folder_signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of every ``*.yaml`` in the folder (changes when any file does)."""
    out = []
    for p in sorted(Path(directory).glob("*.yaml")):
        with contextlib.suppress(FileNotFoundError):
            st = p.stat()
            out.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


@contextlib.contextmanager
def _folder_lock(directory: Path) -> Iterator[None]:
    """An exclusive advisory lock on the folder itself (between threads and processes)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def save_draft(draft: Scenario, directory: Path, estate: Estate, scenarios: dict[str, Scenario],
               *, overwrite: bool = False, expected_digest: str | None = None) -> Path:
    """Validate the draft and write ``directory/<id>.yaml`` atomically.

    Parameters
    ----------
    overwrite
        Replace an existing file (only after the user confirmed).
    expected_digest
        With ``overwrite``: the :func:`file_digest` of the file the user agreed to
        replace; if the file has changed since, nothing is written.

    Raises
    ------
    ScenarioError
        A bad id or title, or a draft that does not resolve (nothing written).
    FileExistsError
        The file exists and ``overwrite`` is false.
    SaveConflictError
        The file changed after the user agreed to overwrite it.
    """
    problem = check_scenario_id(draft.id)
    if problem:
        raise ScenarioError(problem)
    if not draft.title.strip():
        raise ScenarioError("give the scenario a title before saving")
    directory = Path(directory)
    if not directory.is_dir():
        raise ScenarioError(f"the scenario folder {directory} does not exist")
    others = {k: v for k, v in scenarios.items() if k != draft.id}
    with _folder_lock(directory):
        path = directory.resolve() / f"{draft.id}.yaml"
        if overwrite and expected_digest is not None:
            now = file_digest(path)
            if now and now != expected_digest:
                raise SaveConflictError(
                    f"{path.name} was changed by someone else after you chose to overwrite it; "
                    "look at the scenario list, then confirm again to replace it", now)
        return save_scenario(draft.to_scenario(), directory, estate, others, overwrite=overwrite)


def read_upload(name: str, data: bytes, *, estate: Estate, scenarios: dict[str, Scenario],
                limit: int = UPLOAD_LIMIT_BYTES) -> Scenario:
    """An uploaded scenario file as a draft, after every check; :class:`UploadError` otherwise.

    The file must be at most ``limit`` bytes, named ``*.yaml`` or ``*.yml``,
    UTF-8 text, a valid scenario (safe-loaded), whose base and site ids exist.
    """
    label = Path(name or "upload").name
    if len(data) > limit:
        raise UploadError(f"{label} is {text.count(len(data) / 1024)} KB; a scenario file may be at most "
                          f"{text.count(limit / 1024)} KB")
    if Path(label).suffix.lower() not in (".yaml", ".yml"):
        raise UploadError(f"{label}: expected a scenario file ending in .yaml or .yml")
    try:
        body = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(f"{label}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if "\x00" in body:
        raise UploadError(f"{label}: not a text file")
    try:
        sc = parse_scenario(body, path=label)
        resolve(DRAFT_KEY, {**scenarios, DRAFT_KEY: dataclasses.replace(sc, id=DRAFT_KEY, path="")}, estate)
    except (PlannerError, KeyError, ValueError) as exc:
        msg = str(exc)
        raise UploadError(msg if msg.startswith(label) else f"{label}: {msg}") from None
    return dataclasses.replace(Scenario.from_scenario(sc), started_from=f"upload:{label}")


# ---- never losing a draft ------------------------------------------------------
def unsaved_edits(draft: Scenario, origin: Scenario | None) -> int:
    """How many edits ``draft`` holds that ``origin`` (what it was started, uploaded or saved as) lacks.

    One per site changed differently (closed, opened, hours, rationale, or undone),
    plus one if the title, id or description changed.

    Examples
    --------
    >>> from estate.scenario import Change
    >>> a = Scenario("", "", base="baseline-2024")
    >>> b = dataclasses.replace(a, close=(Change("harrow"),), title="Mine")
    >>> unsaved_edits(b, a), unsaved_edits(a, a), unsaved_edits(b, None)
    (2, 0, 2)
    """
    if origin is None:
        origin = Scenario("", "", base=draft.base)
    sites = {c.site_id for sc in (draft, origin) for c in (*sc.close, *sc.open, *sc.set_hours)}
    n = sum(draft.change_of(s) != origin.change_of(s) for s in sites)
    if draft.base != origin.base:
        n += 1
    if (draft.id, draft.title, draft.description) != (origin.id, origin.title, origin.description):
        n += 1
    return n


#: what a draft key looks like (:func:`new_draft_token`): it names a file, so nothing else is accepted
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,43}$")

#: largest kept-draft file read back (a draft is a few kilobytes; a scenario file may be 256 KB)
KEPT_LIMIT_BYTES = 3 * UPLOAD_LIMIT_BYTES

#: kept drafts untouched for this long are removed
KEPT_MAX_AGE_DAYS = 30


def new_draft_token() -> str:
    """A random key for one browser session's draft (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def is_draft_token(value: str) -> bool:
    """Whether ``value`` can be a draft key (a link's ``draft=`` is checked with this).

    Examples
    --------
    >>> is_draft_token("Qx3_-abcdefghijklmnopq"), is_draft_token("../../etc/passwd")
    (True, False)
    """
    return bool(_TOKEN_RE.match(value or ""))


@dataclasses.dataclass(frozen=True)
class KeptDraft:
    """A draft read back from a :class:`DraftStore`, with what it was started or last saved as."""

    draft: Scenario
    origin: Scenario
    kept_at: float


def _as_dict(sc: Scenario) -> dict[str, object]:
    def changes(cs: tuple[Change, ...]) -> list[list[str]]:
        return [[c.site_id, c.hours, c.rationale, c.source] for c in cs]

    return {"id": sc.id, "title": sc.title, "description": sc.description, "base": sc.base,
            "started_from": sc.started_from, "close": changes(sc.close), "open": changes(sc.open),
            "set_hours": changes(sc.set_hours), "notes": list(sc.notes)}


def _from_dict(data: object, where: str) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: not a kept draft")

    def text_of(key: str, limit: int = 20_000) -> str:
        v = data.get(key, "")
        if not isinstance(v, str) or len(v) > limit:
            raise ScenarioError(f"{where}: {key!r} must be text of at most {limit} characters")
        return v

    def changes(key: str) -> tuple[Change, ...]:
        rows = data.get(key, [])
        if not isinstance(rows, list) or len(rows) > 20_000:
            raise ScenarioError(f"{where}: {key!r} must be a list of changes")
        out = []
        for row in rows:
            if (not isinstance(row, list) or len(row) != 4 or not all(isinstance(x, str) for x in row)
                    or not row[0] or any(len(x) > 40_000 for x in row)):
                raise ScenarioError(f"{where}: a {key} entry is not [site id, hours, rationale, source]")
            out.append(Change(*row))
        return tuple(out)

    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise ScenarioError(f"{where}: 'notes' must be a list of text lines")
    sc = Scenario(id=text_of("id", 64), title=text_of("title"), description=text_of("description"),
                  base=text_of("base", 64) or REGISTER, close=changes("close"), open=changes("open"),
                  set_hours=changes("set_hours"), notes=tuple(notes), started_from=text_of("started_from", 400))
    check_changes(dataclasses.replace(sc, id=sc.id or DRAFT_KEY, path=where))
    return sc


class DraftStore:
    """Drafts kept on disk, one JSON file per draft key, so that a page reload loses nothing.

    ``directory`` is created when the first draft is kept.  Files are written
    atomically; a file that cannot be read back (damaged, too large, not a draft)
    is a :class:`ScenarioError` naming it, never a traceback or a silent guess.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, token: str) -> Path:
        if not is_draft_token(token):
            raise ScenarioError(f"{token[:50]!r} is not a draft key")
        return self.directory / f"{token}.json"

    def keep(self, token: str, draft: Scenario, origin: Scenario) -> Path:
        """Write the draft (and what it started as) under ``token``; :class:`OutputError` if it cannot."""
        path = self.path(token)
        body = json.dumps({"format": 1, "kept_at": time.time(), "draft": _as_dict(draft),
                           "origin": _as_dict(origin)}, ensure_ascii=False)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, body)
        except OSError as exc:
            raise OutputError(f"cannot keep the draft in {path.parent} ({exc.strerror or exc}); a reload "
                              "would lose it: use Download YAML to keep a copy") from exc
        return path

    def load(self, token: str) -> KeptDraft | None:
        """The draft kept under ``token``, or ``None`` if there is none."""
        path = self.path(token)
        try:
            with path.open("rb") as fh:
                raw = fh.read(KEPT_LIMIT_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ScenarioError(f"{path}: the kept draft cannot be read ({exc.strerror or exc})") from exc
        if len(raw) > KEPT_LIMIT_BYTES:
            raise ScenarioError(f"{path}: larger than a kept draft can be ({KEPT_LIMIT_BYTES // 1024} KB)")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ScenarioError(f"{path}: the kept draft is damaged ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != 1:
            raise ScenarioError(f"{path}: not a kept draft of this version of the app")
        kept_at = data.get("kept_at")
        return KeptDraft(_from_dict(data.get("draft"), str(path)), _from_dict(data.get("origin"), str(path)),
                         float(kept_at) if isinstance(kept_at, int | float) else 0.0)

    def forget(self, token: str) -> None:
        """Remove the draft kept under ``token`` (nothing if there is none)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(token).unlink()

    def prune(self, max_age_days: float = KEPT_MAX_AGE_DAYS) -> list[Path]:
        """Remove kept drafts untouched for ``max_age_days``; returns what was removed."""
        cutoff = time.time() - max_age_days * 86400
        gone = []
        for p in self.directory.glob("*.json"):
            with contextlib.suppress(OSError):
                if p.stat().st_mtime < cutoff:
                    p.unlink()
                    gone.append(p)
        return gone
