"""Borough rules: policies every scenario is checked against, as a configurable list.

A rule asks each borough for at least ``min_sites`` open sites of some kinds
whose hours meet a requirement.  The defaults are the two the London Assembly
asked about: every borough keeps a front counter, and every borough keeps a
24/7 front counter.  Policies change, so a rule set is plain YAML::

    rules:
      - id: counter-per-borough
        title: Every borough keeps at least one front counter
        kinds: [front_counter]        # front_counter, contact_point, police_station
        hours: any                    # any | 24/7 | a time band: night, 'Sat 03:00'
        min_sites: 1
        exempt:
          E09000001: policed by the City of London Police, not the Met

Which kind an open site counts as: a register site keeps its ``kind``; a site
that only a scenario opens (a candidate host place, or a police building with
no public counter in the register) counts as a ``front_counter`` when the
police host it and as a ``contact_point`` otherwise.  Sites with no location
still count: a rule is about the estate, not about travel times.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estate._yaml import load_yaml
from estate.errors import RulesError
from estate.hours import Hours
from estate.register import Estate
from estate.scenario import ID_RE, ScenarioState
from geodata.errors import UnknownBandError
from geodata.travel.base import TimeBand, parse_band

__all__ = [
    "DEFAULT_RULES",
    "RULE_KINDS",
    "STATUS_ALREADY_FAILING",
    "STATUS_BROKEN",
    "STATUS_EXEMPT",
    "STATUS_FIXED",
    "STATUS_OK",
    "Rule",
    "RuleCheck",
    "RuleReport",
    "RuleSet",
    "RulesError",
    "check_rules",
    "effective_kind",
    "load_rules",
    "parse_rules",
]

log = logging.getLogger(__name__)

#: Kinds a rule may count (an open site's :func:`effective_kind`).
RULE_KINDS: tuple[str, ...] = ("front_counter", "contact_point", "police_station")

STATUS_OK = "ok"
STATUS_BROKEN = "broken by the scenario"
STATUS_ALREADY_FAILING = "already failing in the base"
STATUS_FIXED = "fixed by the scenario"
STATUS_EXEMPT = "exempt"

_RULE_KEYS = {"id", "title", "kinds", "hours", "min_sites", "exempt"}


@dataclass(frozen=True)
class Rule:
    """One borough rule: at least ``min_sites`` open sites of ``kinds`` meeting ``hours``.

    ``hours`` is ``"any"`` (open at some time of the week), ``"24/7"``, or a
    time band (``"night"``, ``"Sat 03:00"``): open at that moment.
    ``exempt`` maps borough codes to the reason they are exempt.
    """

    id: str
    title: str
    kinds: tuple[str, ...] = ("front_counter",)
    hours: str = "any"
    min_sites: int = 1
    exempt: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not ID_RE.match(self.id):
            raise RulesError(f"rule id {self.id!r} must be lower-case letters, digits and hyphens")
        bad = [k for k in self.kinds if k not in RULE_KINDS]
        if bad or not self.kinds:
            raise RulesError(f"rule {self.id!r}: kinds {list(self.kinds)!r}; expected some of {', '.join(RULE_KINDS)}")
        if self.hours not in ("any", "24/7"):
            try:
                object.__setattr__(self, "_band", parse_band(self.hours))  # parsed once, here
            except UnknownBandError as exc:
                raise RulesError(f"rule {self.id!r}: hours {self.hours!r} must be 'any', '24/7' or a time band ({exc})") from None
        if isinstance(self.min_sites, bool) or not isinstance(self.min_sites, int) or self.min_sites < 1:
            raise RulesError(f"rule {self.id!r}: min_sites {self.min_sites!r} must be a whole number, 1 or more")

    def qualifies(self, h: Hours) -> bool:
        """Do these (parsed) opening hours meet the rule's hours requirement?"""
        if self.hours == "any":
            return bool(h.open_minutes.any())
        if self.hours == "24/7":
            return h.is_24_7
        b: TimeBand = self._band  # type: ignore[attr-defined]
        return h.is_open(b.weekday, b.minute)

    def qualifying_sites(self, estate: Estate, state: ScenarioState) -> list[str]:
        """Open sites of ``state`` that this rule counts, in site-id order."""
        out = []
        for sid, text in sorted(state.hours.items()):
            if effective_kind(estate, sid) in self.kinds and self.qualifies(estate.hours(text)):
                out.append(sid)
        return out


@dataclass(frozen=True)
class RuleSet:
    """An ordered list of rules, with where it came from."""

    rules: tuple[Rule, ...]
    source: str = "default rules"

    def __iter__(self) -> Any:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


#: City of London: policed by the City of London Police, so no Met counter is expected there.
_CITY = {"E09000001": "policed by the City of London Police, not the Met",
         "E22000180": "policed by the City of London Police, not the Met"}  # its CSP (--areas csp)

#: The default rules: a front counter in every borough, and a 24/7 front counter in every borough.
DEFAULT_RULES = RuleSet(
    (
        Rule("counter-per-borough", "Every borough keeps at least one front counter",
             kinds=("front_counter",), hours="any", min_sites=1, exempt=_CITY),
        Rule("counter-24-7-per-borough", "Every borough keeps a front counter open 24/7",
             kinds=("front_counter",), hours="24/7", min_sites=1, exempt=_CITY),
    ),
    source="default rules (estate.rules.DEFAULT_RULES)",
)


def effective_kind(estate: Estate, site_id: str) -> str:
    """The kind an open site counts as in a rule.

    Register sites keep their ``kind``; a candidate host place or a police
    building with no public counter that a scenario opens counts as a
    ``front_counter`` if the police host it, else as a ``contact_point``.
    """
    row = estate.sites.loc[site_id]
    kind = str(row["kind"])
    if kind in ("candidate", "police_station"):
        return "front_counter" if str(row["host"]) == "police" else "contact_point"
    return kind


def _rule_from_dict(item: Any, i: int, where: str) -> Rule:
    if not isinstance(item, dict):
        raise RulesError(f"{where}: rule {i + 1} must be a mapping with id, title, kinds, hours, min_sites")
    extra = set(item) - _RULE_KEYS
    if extra:
        raise RulesError(f"{where}: rule {i + 1} has unknown key(s) {sorted(extra)}; allowed: {', '.join(sorted(_RULE_KEYS))}")
    for key in ("id", "title"):
        if not item.get(key):
            raise RulesError(f"{where}: rule {i + 1} needs {key!r}")
    kinds = item.get("kinds", ["front_counter"])
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
        raise RulesError(f"{where}: rule {item['id']!r}: 'kinds' must be a kind or a list of kinds "
                         f"(e.g. [front_counter]), not {kinds!r}")
    exempt = item.get("exempt") or {}
    if isinstance(exempt, list):
        exempt = {str(c): "exempt" for c in exempt}
    if not isinstance(exempt, dict):
        raise RulesError(f"{where}: rule {item['id']!r}: 'exempt' must map borough codes to reasons")
    try:
        return Rule(
            id=str(item["id"]), title=str(item["title"]), kinds=tuple(str(k) for k in kinds),
            hours=str(item.get("hours", "any")), min_sites=item.get("min_sites", 1),
            exempt={str(k): str(v) for k, v in exempt.items()},
        )
    except RulesError as exc:
        raise RulesError(f"{where}: {exc}") from None


def parse_rules(text: str, *, path: str = "<rules>") -> RuleSet:
    """Validate a rule set's YAML text (a mapping with a ``rules`` list).

    Examples
    --------
    >>> rs = parse_rules("rules:\\n  - {id: one, title: One counter, min_sites: 1}")
    >>> rs.rules[0].kinds, rs.rules[0].hours
    (('front_counter',), 'any')
    """
    data = load_yaml(text, path=path, error=RulesError)
    if isinstance(data, list):
        data = {"rules": data}
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesError(f"{path}: a rule set is a mapping with a 'rules' list")
    extra = set(data) - {"rules"}
    if extra:
        raise RulesError(f"{path}: unknown top-level key(s) {sorted(extra)}; only 'rules' is allowed")
    rules = tuple(_rule_from_dict(item, i, path) for i, item in enumerate(data["rules"]))
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise RulesError(f"{path}: rule id(s) {dup} appear more than once")
    return RuleSet(rules, source=path)


def load_rules(path: str | os.PathLike[str]) -> RuleSet:
    """Load and validate a rule set from a YAML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{p}: cannot read the rule set ({exc}); give a UTF-8 YAML file") from exc
    return parse_rules(text, path=str(p))


@dataclass(frozen=True)
class RuleCheck:
    """One rule in one borough, in the base and in the scenario."""

    rule_id: str
    title: str
    area_code: str
    area_name: str
    required: int
    base_count: int
    scenario_count: int
    base_sites: tuple[str, ...]
    scenario_sites: tuple[str, ...]
    status: str
    exempt_reason: str = ""

    @property
    def removed(self) -> tuple[str, ...]:
        """Sites that qualified in the base and no longer do in the scenario (closed, or their hours cut).

        These are the causes of a breach: a broken rule is blamed, jointly, on
        every one of them; a rule already failing in the base on none.
        """
        if self.status != STATUS_BROKEN:
            return ()
        now = set(self.scenario_sites)
        return tuple(s for s in self.base_sites if s not in now)

    @property
    def base_ok(self) -> bool:
        """Does the base meet the rule here?"""
        return self.base_count >= self.required

    @property
    def scenario_ok(self) -> bool:
        """Does the scenario meet the rule here?"""
        return self.scenario_count >= self.required

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields."""
        return {
            "rule_id": self.rule_id, "title": self.title, "area_code": self.area_code,
            "area_name": self.area_name, "required": self.required, "base_count": self.base_count,
            "scenario_count": self.scenario_count, "base_ok": self.base_ok,
            "scenario_ok": self.scenario_ok, "status": self.status, "exempt_reason": self.exempt_reason,
            "base_sites": list(self.base_sites), "scenario_sites": list(self.scenario_sites),
            "blamed_on": list(self.removed),
        }


@dataclass
class RuleReport:
    """Every rule checked in every borough."""

    checks: list[RuleCheck]
    rules: RuleSet

    def broken(self) -> list[RuleCheck]:
        """Checks the scenario breaks (met in the base, not in the scenario)."""
        return [c for c in self.checks if c.status == STATUS_BROKEN]

    def failing(self) -> list[RuleCheck]:
        """Checks not met in the scenario (broken by it or already failing), exempt ones aside."""
        return [c for c in self.checks if c.status in (STATUS_BROKEN, STATUS_ALREADY_FAILING)]

    def for_area(self, area_code: str) -> list[RuleCheck]:
        """The checks of one borough."""
        return [c for c in self.checks if c.area_code == area_code]

    def flags_for_area(self, area_code: str) -> list[str]:
        """One sentence per rule the scenario breaks in this borough (whoever caused it)."""
        return [f"breaks '{c.title}' in {c.area_name} ({c.base_count} → {c.scenario_count} sites)"
                for c in self.broken() if c.area_code == area_code]

    def breaches_of(self, site_id: str) -> list[RuleCheck]:
        """The broken checks this site's change causes, alone or jointly with others (:attr:`RuleCheck.removed`)."""
        return [c for c in self.broken() if site_id in c.removed]

    def summary(self) -> list[dict[str, Any]]:
        """Per rule: how many boroughs pass, are broken, already failing, exempt."""
        out = []
        for rule in self.rules:
            cs = [c for c in self.checks if c.rule_id == rule.id]
            out.append({
                "rule_id": rule.id, "title": rule.title, "kinds": list(rule.kinds), "hours": rule.hours,
                "min_sites": rule.min_sites, "areas": len(cs),
                "ok": sum(c.status in (STATUS_OK, STATUS_FIXED) for c in cs),
                "broken": [c.area_name for c in cs if c.status == STATUS_BROKEN],
                "already_failing": [c.area_name for c in cs if c.status == STATUS_ALREADY_FAILING],
                "fixed": [c.area_name for c in cs if c.status == STATUS_FIXED],
                "exempt": [c.area_name for c in cs if c.status == STATUS_EXEMPT],
            })
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the rule set's source, a per-rule summary and every check."""
        return {"source": self.rules.source, "summary": self.summary(),
                "checks": [c.to_dict() for c in self.checks]}


def check_rules(
    rules: RuleSet | Iterable[Rule],
    estate: Estate,
    base: ScenarioState,
    scenario: ScenarioState,
    areas: Iterable[tuple[str, str]],
) -> RuleReport:
    """Check every rule in every area (``(code, name)`` pairs), base against scenario.

    A check's status is :data:`STATUS_OK`, :data:`STATUS_BROKEN` (met in the
    base, not in the scenario), :data:`STATUS_ALREADY_FAILING`,
    :data:`STATUS_FIXED` or :data:`STATUS_EXEMPT`.
    """
    rs = rules if isinstance(rules, RuleSet) else RuleSet(tuple(rules), source="given rules")
    area_list = list(areas)
    site_area = estate.sites["area_code"].astype(str)
    checks: list[RuleCheck] = []
    for rule in rs:
        by_area: dict[str, tuple[list[str], list[str]]] = {code: ([], []) for code, _ in area_list}
        for k, state in enumerate((base, scenario)):
            for sid in rule.qualifying_sites(estate, state):
                code = site_area[sid]
                if code in by_area:
                    by_area[code][k].append(sid)
        for code, name in area_list:
            b, s = by_area[code]
            b_ok, s_ok = len(b) >= rule.min_sites, len(s) >= rule.min_sites
            reason = rule.exempt.get(code, "")
            if reason:
                status = STATUS_EXEMPT
            elif s_ok:
                status = STATUS_OK if b_ok else STATUS_FIXED
            else:
                status = STATUS_BROKEN if b_ok else STATUS_ALREADY_FAILING
            checks.append(RuleCheck(rule.id, rule.title, code, name, rule.min_sites, len(b), len(s),
                                    tuple(b), tuple(s), status, reason))
    report = RuleReport(checks, rs)
    for c in report.broken():
        log.info("rule %s broken in %s by %s", c.rule_id, c.area_name, scenario.scenario_id)
    return report
