"""Scenarios: named change sets over a base (the register or another scenario).

A scenario file ``scenarios/<id>.yaml`` is safe-loaded and validated::

    id: outcome-2026
    title: The 2026 outcome
    description: ...
    base: baseline-2024          # or "register"
    close:
      - id: chingford
        rationale: ...
        source: https://...
    open:
      - id: supermarket-1010003808
        hours: "Mo-Fr 10:00-22:00; Sa,Su 09:00-19:00"
        rationale: ...
    set_hours:
      - id: charing-cross
        hours: "24/7"
    notes:
      - where a fact is uncertain, say so here

A bare site id may stand for ``{id: ...}`` in ``close``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from estate._yaml import load_yaml
from estate.errors import (
    HoursError,
    OutputError,
    ScenarioError,
    ScenarioExistsError,
    UnknownScenarioError,
    UnknownSiteError,
)
from estate.hours import parse_hours
from estate.siteindex import SiteLookup
from geodata import atomic_write_text
from geodata.travel.base import TimeBand

__all__ = [
    "DEFAULT_NEW_HOURS",
    "ID_RE",
    "MAX_BASE_DEPTH",
    "Change",
    "Scenario",
    "ScenarioFolder",
    "ScenarioState",
    "check_changes",
    "dependants",
    "load_scenario",
    "load_scenarios",
    "parse_scenario",
    "resolve",
    "resolve_value",
    "save_scenario",
    "scan_scenarios",
    "scenario_to_yaml",
    "suggest_id",
]

log = logging.getLogger(__name__)

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_KEYS = {"id", "title", "description", "base", "close", "open", "set_hours", "notes"}
REGISTER = "register"


@dataclass(frozen=True)
class Change:
    """One site's change in a scenario."""

    site_id: str
    hours: str = ""
    rationale: str = ""
    source: str = ""


#: Hours offered for a new contact point (a typical supermarket day).
DEFAULT_NEW_HOURS = "Mo-Sa 08:00-22:00; Su 10:00-16:00"


def suggest_id(title: str) -> str:
    """A scenario id made from a title.

    Examples
    --------
    >>> suggest_id("Keep Harrow open, 2027!")
    'keep-harrow-open-2027'
    """
    from geodata.places import slugify

    s = slugify(title)[:64].strip("-")
    return s if s and ID_RE.match(s) else "my-scenario"


def _without(changes: tuple[Change, ...], site_id: str) -> tuple[Change, ...]:
    return tuple(c for c in changes if c.site_id != site_id)


def _find(changes: tuple[Change, ...], site_id: str) -> Change | None:
    return next((c for c in changes if c.site_id == site_id), None)


@dataclass(frozen=True)
class Scenario:
    """A scenario: its changes over ``base``, with an id and a title; saved in a file or being edited.

    One value serves both: a file loads as a ``Scenario`` (``path`` set), and the
    app edits one (``started_from`` says what it began as).  Every edit returns a
    new scenario: close or reopen a site (:meth:`toggle`), open a candidate with
    hours (:meth:`add_open`), change hours (:meth:`with_hours`), give a rationale
    (:meth:`with_rationale`), undo a site (:meth:`undo`).
    """

    id: str
    title: str
    description: str = ""
    base: str = REGISTER
    close: tuple[Change, ...] = ()
    open: tuple[Change, ...] = ()
    set_hours: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()
    path: str = ""
    #: what an edited scenario began as (a scenario id, a base, ``upload:<file>``; "" for a file)
    started_from: str = ""

    # ---- construction
    @classmethod
    def from_scenario(cls, sc: Scenario) -> Scenario:
        """A scenario to edit, holding ``sc``'s own changes (so they can be kept, changed or undone)."""
        return dataclasses.replace(sc, path="", started_from=sc.id)

    @classmethod
    def blank(cls, base: str, *, title: str = "") -> Scenario:
        """A draft with no changes over ``base``."""
        return cls(id=suggest_id(title) if title else "", title=title, base=base, started_from=base)

    # ---- reading
    def to_scenario(self, *, scenario_id: str | None = None) -> Scenario:
        """The scenario as its file would hold it: no path, no edit history (id and title not checked here)."""
        return dataclasses.replace(self, id=self.id if scenario_id is None else scenario_id, path="",
                                   started_from="")

    def to_yaml(self) -> str:
        """The YAML a save would write."""
        return scenario_to_yaml(self.to_scenario())

    def fingerprint(self) -> str:
        """A hash of this scenario's own changes, everything of it that changes the coverage (for caches).

        The coverage also depends on the base's content: :meth:`estate.planner.Planner.content_key`
        combines the fingerprints of the whole chain.

        Examples
        --------
        >>> a = Scenario("x", "X", base="baseline-2024"); b = a.with_meta(title="Y")
        >>> a.fingerprint() == b.fingerprint()
        True
        """
        key = repr((self.base, [c.site_id for c in self.close],
                    [(c.site_id, c.hours) for c in self.open], [(c.site_id, c.hours) for c in self.set_hours]))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def change_of(self, site_id: str) -> tuple[str, Change] | None:
        """``("close" | "open" | "set_hours", change)`` for a site the draft changes."""
        for kind in ("close", "open", "set_hours"):
            c = _find(getattr(self, kind), site_id)
            if c is not None:
                return kind, c
        return None

    @property
    def n_changes(self) -> int:
        """How many sites the draft changes."""
        return len({c.site_id for c in (*self.close, *self.open, *self.set_hours)})

    # ---- editing (each returns a new draft)
    def with_meta(self, *, id: str | None = None, title: str | None = None,
                  description: str | None = None) -> Scenario:
        """Change the id, title or description."""
        return dataclasses.replace(
            self, id=self.id if id is None else id.strip(), title=self.title if title is None else title,
            description=self.description if description is None else description)

    def toggle(self, site_id: str, estate: SiteLookup, base_state: ScenarioState, *, hours: str = "") -> Scenario:
        """Close an open site, or reopen a closed one.

        A site open in the base is closed (or, if this draft closed it, reopened);
        a site closed in the base is opened with ``hours`` (default: its register
        hours, else :data:`DEFAULT_NEW_HOURS`), or, if this draft
        opened it, closed again.
        """
        estate.check_id(site_id)
        if site_id in base_state.hours:
            if _find(self.close, site_id):
                return dataclasses.replace(self, close=_without(self.close, site_id))
            return dataclasses.replace(self, close=(*self.close, Change(site_id)),
                                       set_hours=_without(self.set_hours, site_id))
        if _find(self.open, site_id):
            return dataclasses.replace(self, open=_without(self.open, site_id))
        return self.add_open(site_id, hours or self.default_hours(site_id, estate), estate, base_state)

    @staticmethod
    def default_hours(site_id: str, estate: SiteLookup) -> str:
        """The hours a site opens with unless told: its register hours, else the default."""
        return estate.default_hours(site_id) or DEFAULT_NEW_HOURS

    def add_open(self, site_id: str, hours: str, estate: SiteLookup, base_state: ScenarioState,
                 *, rationale: str = "") -> Scenario:
        """Open a site (a candidate host, or a closed counter) with ``hours``."""
        estate.check_id(site_id)
        parse_hours(hours)
        if site_id in base_state.hours:
            d = self if not _find(self.close, site_id) else self.toggle(site_id, estate, base_state)
            d = d.with_hours(site_id, hours, base_state)
            return d.with_rationale(site_id, rationale) if rationale else d
        old = _find(self.open, site_id)
        ch = Change(site_id, hours, rationale or (old.rationale if old else ""), old.source if old else "")
        if old:
            return dataclasses.replace(self, open=tuple(ch if c.site_id == site_id else c for c in self.open))
        return dataclasses.replace(self, open=(*self.open, ch))

    def with_hours(self, site_id: str, hours: str, base_state: ScenarioState) -> Scenario:
        """Set a site's hours: an opened site's own hours, or a ``set_hours`` change of a base site."""
        parse_hours(hours)
        old = _find(self.open, site_id)
        if old:
            new = dataclasses.replace(old, hours=hours)
            return dataclasses.replace(self, open=tuple(new if c.site_id == site_id else c for c in self.open))
        if site_id not in base_state.hours:
            raise ScenarioError(f"{site_id!r} is not open in this draft; open it first")
        if _find(self.close, site_id):
            raise ScenarioError(f"{site_id!r} is closed in this draft; reopen it before changing its hours")
        prev = _find(self.set_hours, site_id)
        rest = _without(self.set_hours, site_id)
        if hours == base_state.hours[site_id]:
            return dataclasses.replace(self, set_hours=rest)
        ch = Change(site_id, hours, prev.rationale if prev else "", prev.source if prev else "")
        return dataclasses.replace(self, set_hours=(*rest, ch))

    def with_rationale(self, site_id: str, rationale: str) -> Scenario:
        """Set the rationale of the change the draft makes to ``site_id``."""
        found = self.change_of(site_id)
        if found is None:
            raise ScenarioError(f"{site_id!r} is not changed by this draft, so it has no rationale to set")
        kind, old = found
        new = dataclasses.replace(old, rationale=rationale.strip())
        changed = tuple(new if c.site_id == site_id else c for c in getattr(self, kind))
        if kind == "close":
            return dataclasses.replace(self, close=changed)
        if kind == "open":
            return dataclasses.replace(self, open=changed)
        return dataclasses.replace(self, set_hours=changed)

    def undo(self, site_id: str) -> Scenario:
        """Drop every change the draft makes to ``site_id``."""
        return dataclasses.replace(self, close=_without(self.close, site_id),
                                   open=_without(self.open, site_id),
                                   set_hours=_without(self.set_hours, site_id))




@dataclass
class ScenarioState:
    """The estate as a scenario leaves it: which sites are open, with what hours."""

    scenario_id: str
    hours: dict[str, str]
    #: site_id -> Change, for every site the scenario (not its base) closes/opens/re-hours
    closed: dict[str, Change] = field(default_factory=dict)
    opened: dict[str, Change] = field(default_factory=dict)
    rehoured: dict[str, Change] = field(default_factory=dict)

    def open_ids(self) -> list[str]:
        """Sites open at some time of the week."""
        return sorted(self.hours)

    def open_columns(self, estate: SiteLookup, band: TimeBand) -> np.ndarray:
        """Matrix columns of the located sites open at ``band``."""
        cols = [
            estate.column(s)
            for s, h in self.hours.items()
            if estate.has_column(s) and estate.hours(h).is_open(band.weekday, band.minute)
        ]
        return np.asarray(sorted(cols), dtype=np.int64)

    def open_24_7_columns(self, estate: SiteLookup) -> np.ndarray:
        """Matrix columns of the located sites open 24/7."""
        cols = [estate.column(s) for s, h in self.hours.items()
                if estate.has_column(s) and estate.hours(h).is_24_7]
        return np.asarray(sorted(cols), dtype=np.int64)


def _line_of(text: str, needle: str) -> int | None:
    for i, line in enumerate(text.splitlines(), start=1):
        if re.search(rf"(^|[\s:'\"-]){re.escape(needle)}($|[\s'\",#])", line):
            return i
    return None


def _lines_of(text: str, needle: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), start=1)
            if re.search(rf"(^|[\s:'\"-]){re.escape(needle)}($|[\s'\",#])", line)]


def _where(path: str, text: str, needle: str) -> str:
    line = _line_of(text, needle) if text else None
    return f"{path} line {line}: " if line else (f"{path}: " if path else "")


def _changes(raw: Any, key: str, path: str, text: str, *, need_hours: bool) -> tuple[Change, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict) and key == "set_hours":
        raw = [{"id": k, "hours": v} for k, v in raw.items()]
    if not isinstance(raw, list):
        raise ScenarioError(f"{path}: '{key}' must be a list of site ids or of {{id: ..., ...}} entries")
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict) or "id" not in item:
            raise ScenarioError(f"{path}: '{key}' entry {i + 1} needs an 'id' (got {item!r})")
        extra = set(item) - {"id", "hours", "rationale", "source"}
        if extra:
            raise ScenarioError(f"{_where(path, text, str(item['id']))}'{key}' entry {item['id']!r} has unknown key(s) {sorted(extra)}; allowed: id, hours, rationale, source")
        hours = str(item.get("hours") or "")
        if need_hours and not hours:
            raise ScenarioError(f"{_where(path, text, str(item['id']))}'{key}' entry {item['id']!r} needs 'hours' (e.g. \"Mo-Fr 10:00-22:00\" or \"24/7\")")
        if hours:
            try:
                parse_hours(hours)
            except HoursError as exc:
                raise HoursError(f"{_where(path, text, hours)}{exc}") from None
        out.append(Change(str(item["id"]), hours, str(item.get("rationale") or "").strip(),
                          str(item.get("source") or "").strip()))
    return tuple(out)


def parse_scenario(text: str, *, path: str = "<scenario>", expect_id: str | None = None) -> Scenario:
    """Safe-load and validate a scenario's YAML text (site ids are checked by :func:`resolve`)."""
    data = load_yaml(text, path=path, error=ScenarioError)
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a YAML mapping with at least 'id' and 'title'")
    unknown = set(data) - _KEYS
    if unknown:
        raise ScenarioError(f"{path}: unknown key(s) {sorted(unknown)}; allowed: {', '.join(sorted(_KEYS))}")
    sid = str(data.get("id") or "")
    if not ID_RE.match(sid):
        raise ScenarioError(f"{path}: id {sid!r} must be lower-case letters, digits and hyphens (e.g. 'outcome-2026')")
    if expect_id is not None and sid != expect_id:
        raise ScenarioError(f"{path}: id {sid!r} must match the file name {expect_id!r}")
    if not data.get("title"):
        raise ScenarioError(f"{path}: needs a 'title'")
    if sid == REGISTER:
        raise ScenarioError(f"{path}: id 'register' is the built-in register's name, so this file would be "
                            "ignored; give the scenario (and its file) another id")
    notes = data.get("notes") or []
    if isinstance(notes, str):
        notes = [notes]
    if not isinstance(notes, list):
        raise ScenarioError(f"{path}: 'notes' must be a list of text lines")
    sc = Scenario(
        id=sid, title=str(data["title"]), description=str(data.get("description") or "").strip(),
        base=str(data.get("base") or REGISTER),
        close=_changes(data.get("close"), "close", path, text, need_hours=False),
        open=_changes(data.get("open"), "open", path, text, need_hours=False),
        set_hours=_changes(data.get("set_hours"), "set_hours", path, text, need_hours=True),
        notes=tuple(str(n) for n in notes), path=path,
    )
    check_changes(sc, text)
    return sc


def check_changes(sc: Scenario, text: str = "") -> None:
    """One meaning per site: refuse a site changed twice in one scenario, or opened with hours that never open.

    Raises
    ------
    ScenarioError
        Naming the site, the lists and (from ``text``) the lines.
    """
    if sc.base == sc.id:
        raise ScenarioError(f"{sc.path or sc.id}: scenario {sc.id!r} names itself as its base")
    seen: dict[str, str] = {}
    for kind in ("close", "open", "set_hours"):
        for ch in getattr(sc, kind):
            if ch.site_id in seen:  # the lines are looked up only for the error (a scan of the file per site)
                lines = _lines_of(text, ch.site_id) if text else []
                at = f" (lines {', '.join(map(str, lines))})" if len(lines) > 1 else ""
                first = seen[ch.site_id]
                if first == kind:
                    raise ScenarioError(f"{sc.path or sc.id}: {kind} names {ch.site_id!r} twice{at}; "
                                        "list each site once (merge the two entries)")
                raise ScenarioError(f"{sc.path or sc.id}: {ch.site_id!r} is under both {first} and {kind}{at}; "
                                    "a scenario changes a site one way: keep one of the two")
            seen[ch.site_id] = kind
            if kind != "close" and ch.hours and not parse_hours(ch.hours).open_minutes.any():
                raise ScenarioError(f"{_where(sc.path, text, ch.site_id)}{kind} gives {ch.site_id!r} the hours "
                                    f"{ch.hours!r}, which never open; to close the site, list it under close")


def load_scenario(path: Path) -> Scenario:
    """Load and validate one scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc}); save it as UTF-8 text") from exc
    return parse_scenario(text, path=str(path), expect_id=path.stem)


@dataclass(frozen=True)
class ScenarioFolder:
    """A scenario folder as read: the good files by id, and each broken file's error by its name."""

    good: dict[str, Scenario]
    broken: dict[str, ScenarioError]


def scan_scenarios(directory: Path) -> ScenarioFolder:
    """Read every ``*.yaml`` of ``directory``; a broken file is named, not fatal to the others."""
    good: dict[str, Scenario] = {}
    broken: dict[str, ScenarioError] = {}
    for p in sorted(Path(directory).glob("*.yaml")):
        try:
            s = load_scenario(p)
        except ScenarioError as exc:
            broken[p.stem] = exc
            continue
        good[s.id] = s
    return ScenarioFolder(good, broken)


def load_scenarios(directory: Path) -> dict[str, Scenario]:
    """Every good ``*.yaml`` scenario in ``directory``, by id (broken ones are logged; see :func:`scan_scenarios`)."""
    folder = scan_scenarios(directory)
    for name, exc in folder.broken.items():
        log.warning("scenario %s left out: %s", name, exc)
    return folder.good


#: the longest chain of bases a scenario may stand on
MAX_BASE_DEPTH = 64


def _chain(scenario_id: str, scenarios: dict[str, Scenario],
           broken: dict[str, ScenarioError] | None) -> list[Scenario]:
    """The scenario and its bases, top first (the register excluded)."""
    chain: list[Scenario] = []
    sid = scenario_id
    while sid != REGISTER:
        ids = [c.id for c in chain]
        if sid in ids:
            raise ScenarioError(f"scenario bases form a loop: {' -> '.join((*ids, sid))}")
        if len(chain) >= MAX_BASE_DEPTH:
            raise ScenarioError(f"scenario {scenario_id!r} stands on more than {MAX_BASE_DEPTH} bases "
                                f"({' -> '.join(ids[:3])} -> ...); base it on a nearer scenario")
        via = f" (the base of {chain[-1].path or chain[-1].id})" if chain else ""
        if sid not in scenarios:
            if broken and sid in broken:
                raise ScenarioError(f"scenario {sid!r}{via} cannot be used: {broken[sid]}")
            import difflib
            close = difflib.get_close_matches(sid, list(scenarios), n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise UnknownScenarioError(
                f"unknown scenario {sid!r}{via}.{hint} Known: {', '.join(sorted(scenarios)) or 'none'} "
                "(files in scenarios/*.yaml)."
            )
        chain.append(scenarios[sid])
        sid = scenarios[sid].base
    return chain


def resolve(scenario_id: str, scenarios: dict[str, Scenario], estate: SiteLookup,
            *, broken: dict[str, ScenarioError] | None = None) -> ScenarioState:
    """Apply a scenario (and its chain of bases) to the register.

    Only the scenario and its bases are read: a broken file elsewhere in the folder
    (``broken``, from :func:`scan_scenarios`) matters only if it is one of them.

    Raises
    ------
    UnknownScenarioError, UnknownSiteError, ScenarioError
    """
    state = ScenarioState(REGISTER, estate.register_hours())
    if scenario_id == REGISTER:
        return state
    for sc in reversed(_chain(scenario_id, scenarios, broken)):
        state = _apply(sc, state, estate)
    return state


def _apply(sc: Scenario, base: ScenarioState, estate: SiteLookup) -> ScenarioState:
    """One scenario's changes over its base's state; a change that contradicts the base is an error."""
    def where(site_id: str) -> str:  # the file and line naming a site: read only for a message
        text = Path(sc.path).read_text(encoding="utf-8") if sc.path and Path(sc.path).is_file() else ""
        return _where(sc.path, text, site_id) or f"{sc.path or sc.id}: "

    def check(site_id: str) -> None:
        try:
            estate.check_id(site_id)
        except UnknownSiteError:
            estate.check_id(site_id, where(site_id))

    state = ScenarioState(sc.id, dict(base.hours))
    for ch in sc.close:
        check(ch.site_id)
        if ch.site_id not in state.hours:
            raise ScenarioError(f"{where(ch.site_id)}closes {ch.site_id!r}, which is not open in its base "
                                f"{sc.base!r}; remove it from close (or reopen it in the base)")
        del state.hours[ch.site_id]
        state.closed[ch.site_id] = ch
    for ch in sc.open:
        check(ch.site_id)
        if ch.site_id in state.hours:
            raise ScenarioError(f"{where(ch.site_id)}opens {ch.site_id!r}, which is already open in its base "
                                f"{sc.base!r}; to change its hours, list it under set_hours")
        hours = ch.hours or estate.default_hours(ch.site_id)
        if not hours:
            raise ScenarioError(f"{where(ch.site_id)}opening candidate {ch.site_id!r} needs 'hours'")
        if not estate.is_located(ch.site_id):
            log.warning("%s: opens %s, which has no location and is left out of coverage", sc.id, ch.site_id)
        state.hours[ch.site_id] = hours
        state.opened[ch.site_id] = Change(ch.site_id, hours, ch.rationale, ch.source)
    for ch in sc.set_hours:
        check(ch.site_id)
        if ch.site_id not in state.hours:
            raise ScenarioError(f"{where(ch.site_id)}set_hours names {ch.site_id!r}, which is not open in its "
                                f"base {sc.base!r}; open it instead")
        if state.hours[ch.site_id] != ch.hours:
            state.rehoured[ch.site_id] = ch
        state.hours[ch.site_id] = ch.hours
    return state


#: The key under which :func:`resolve_value` resolves a scenario value among the files.
VALUE_KEY = "__value__"


def resolve_value(sc: Scenario, scenarios: dict[str, Scenario], estate: SiteLookup) -> ScenarioState:
    """The estate as a scenario *value* leaves it (saved or not), exactly as its saved file would.

    Raises
    ------
    UnknownScenarioError, UnknownSiteError, ScenarioError
    """
    state = resolve(VALUE_KEY, {**scenarios, VALUE_KEY: sc.to_scenario(scenario_id=VALUE_KEY)}, estate)
    return dataclasses.replace(state, scenario_id=sc.id or "draft")


def scenario_to_yaml(sc: Scenario) -> str:
    """The YAML text of a scenario (what :func:`save_scenario` writes)."""
    def entries(changes: tuple[Change, ...], with_hours: bool) -> list[dict[str, str]]:
        out = []
        for c in changes:
            d = {"id": c.site_id}
            if with_hours and c.hours:
                d["hours"] = c.hours
            if c.rationale:
                d["rationale"] = c.rationale
            if c.source:
                d["source"] = c.source
            out.append(d)
        return out

    data: dict[str, Any] = {"id": sc.id, "title": sc.title}
    if sc.description:
        data["description"] = sc.description
    data["base"] = sc.base
    data["close"] = entries(sc.close, False)
    data["open"] = entries(sc.open, True)
    data["set_hours"] = entries(sc.set_hours, True)
    if sc.notes:
        data["notes"] = list(sc.notes)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def save_scenario(
    sc: Scenario, directory: Path, estate: SiteLookup, scenarios: dict[str, Scenario], *, overwrite: bool = False
) -> Path:
    """Validate a scenario and write it atomically to ``directory/<id>.yaml``.

    Refuses ids that are not plain slugs (so nothing is written outside
    ``directory``) and an existing file unless ``overwrite`` is true.
    """
    if not ID_RE.match(sc.id):
        raise ScenarioError(f"scenario id {sc.id!r} must be lower-case letters, digits and hyphens")
    directory = Path(directory).resolve()
    path = directory / f"{sc.id}.yaml"
    if path.parent != directory:
        raise ScenarioError(f"scenario id {sc.id!r} would write outside {directory}")
    if path.exists() and not overwrite:
        raise ScenarioExistsError(f"{path} exists; confirm to overwrite it, or choose another id")
    text = scenario_to_yaml(sc)
    checked = parse_scenario(text, path=str(path), expect_id=sc.id)
    after = {**scenarios, checked.id: checked}
    resolve(checked.id, after, estate)
    for sid in dependants(checked.id, scenarios):
        try:
            resolve(sid, scenarios, estate)
        except (ScenarioError, UnknownSiteError, UnknownScenarioError):
            continue  # already broken: this save does not break it
        try:
            resolve(sid, after, estate)
        except (ScenarioError, UnknownSiteError, UnknownScenarioError) as exc:
            raise ScenarioError(f"saving {checked.id!r} would break {sid!r}, which is based on it ({exc}); "
                                f"change {sid!r} first, or save this under another id") from None
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise OutputError(f"cannot save {path} ({exc.strerror or exc}); check that you may write to "
                          f"{directory}, or save the scenario elsewhere (Download YAML)") from exc
    return path


def dependants(scenario_id: str, scenarios: dict[str, Scenario]) -> list[str]:
    """The scenarios standing on ``scenario_id`` (directly or through other bases)."""
    out = []
    for sid, sc in scenarios.items():
        seen, base = {sid}, sc.base
        while base != REGISTER and base in scenarios and base not in seen and len(seen) <= MAX_BASE_DEPTH:
            if base == scenario_id:
                out.append(sid)
                break
            seen.add(base)
            base = scenarios[base].base
        else:
            if base == scenario_id and sid != scenario_id:
                out.append(sid)
    return sorted(set(out) - {scenario_id})
