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
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from estate import text
from estate.errors import SaveConflictError, ScenarioError, UploadError
from estate.register import Estate
from estate.scenario import (
    DEFAULT_NEW_HOURS,
    ID_RE,
    REGISTER,
    Scenario,
    ScenarioState,
    parse_scenario,
    resolve,
    save_scenario,
    suggest_id,
)
from estate.scenario import resolve_value as draft_state
from geodata.errors import PlannerError

__all__ = [
    "DEFAULT_NEW_HOURS",
    "DRAFT_KEY",
    "UPLOAD_LIMIT_BYTES",
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
    "read_upload",
    "save_draft",
    "scenario_folder_signature",
    "site_table",
    "suggest_id",
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
