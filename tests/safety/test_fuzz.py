"""Fuzzing the loaders (issue 13): random mutations of the shipped files, seeded and bounded.

Each loader is fed mutations of a real file: the shipped scenarios, the engine
settings as their defaults would be written, the default rules as YAML, and a
register CSV.  Every outcome must be a valid result or the project's own error
(:class:`geodata.errors.PlannerError`); any other exception fails, naming the
seed and the text that raised it.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from estate._yaml import load_yaml
from estate.errors import SettingsError
from estate.register import load_register_csv
from estate.rules import DEFAULT_RULES, parse_rules
from estate.scenario import parse_scenario, resolve_value
from estate.settings import check_settings
from geodata.errors import PlannerError
from tests import toy
from tests.estate import _toy_evidence

ROOT = Path(__file__).resolve().parents[2]
#: mutations per file, and the most seconds one file's mutations may take
N_MUTATIONS = 250
BUDGET_S = 20.0

TOKENS = [":", ": ", "-", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "!!python/object/apply:os.system ['id']",
          "!!binary aGk=", "'", '"', "\t", "\n", "\n  ", "#", "<<: ", "1e9", "-1", "0", "null", "~", "yes", "no",
          "\x00", "\x07", "\u202e", "=cmd|' /C calc'!A0", "%", "@", "`", "|", ">", "? ", "...", "---", "\ufeff",
          ".inf", ".nan", "99999999999999999999", "2026-02-28", "24/7", "Mo-Fr 10:00-10:00", "off", "ünïcødé",
          "${alert(1)}", "../../etc/passwd", "register", "x" * 300]


def mutate(text: str, rng: random.Random) -> str:
    """One to three random edits: delete, insert a token, duplicate, swap or re-indent lines, truncate."""
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(7)
        n = len(text)
        if op == 0 and n:
            i = rng.randrange(n)
            text = text[:i] + text[i + rng.randint(1, 20):]
        elif op == 1:
            i = rng.randrange(n + 1)
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif op in (2, 3, 4):
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if op == 2:
                lines.insert(j, lines[i])
            elif op == 3:
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = " " * rng.choice([0, 1, 2, 3, 4, 8]) + lines[i].lstrip()
            text = "\n".join(lines)
        elif op == 5 and n:
            text = text[: rng.randrange(n)]
        else:
            words = [w for w in text.replace("\n", " ").split(" ") if w]
            if words:
                w = rng.choice(words)
                text = text.replace(w, rng.choice(TOKENS), 1)
    return text


def fuzz(source: str, load: Callable[[str], object], seed: int) -> tuple[int, int]:
    """Run the mutations; return (valid results, project errors).  Any other exception fails."""
    rng = random.Random(seed)
    ok = refused = 0
    t0 = time.monotonic()
    for k in range(N_MUTATIONS):
        if time.monotonic() - t0 > BUDGET_S:
            break
        text = mutate(source, rng)
        try:
            load(text)
        except PlannerError:
            refused += 1
        except Exception as exc:  # pragma: no cover - this is the failure the test looks for
            pytest.fail(f"seed {seed} mutation {k}: {type(exc).__name__}: {exc}\n--- text ---\n{text[:2000]!r}")
        else:
            ok += 1
    return ok, refused


@pytest.mark.london
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name", ["baseline-2024", "met-proposal-2025", "outcome-2026"])
def test_fuzz_scenarios(name, seed, london):
    source = (ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")
    scenarios, lookup = london.scenarios, london.site_index

    def load(text: str) -> None:
        sc = parse_scenario(text, path=f"{name}.yaml")
        resolve_value(sc, {k: v for k, v in scenarios.items() if k != sc.id}, lookup)

    ok, refused = fuzz(source, load, seed)
    assert ok + refused > 50 and refused > 0


def _settings_text() -> str:
    from geodata.travel import CrowflySettings, StreetSettings, TransitSettings

    def plain(obj: object) -> dict[str, object]:
        return {k: (list(map(list, v)) if isinstance(v, tuple) and v and isinstance(v[0], tuple) else
                    list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(obj).items()}

    data = {"crowfly": plain(CrowflySettings()), "streets": plain(StreetSettings()),
            "transit": {k: v for k, v in plain(TransitSettings()).items() if not isinstance(v, list)}}
    return yaml.safe_dump(data, sort_keys=False)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuzz_settings(seed):
    source = _settings_text()
    assert check_settings(load_yaml(source, path="s.yaml", error=SettingsError))  # the source itself is valid

    def load(text: str) -> None:
        check_settings(load_yaml(text, path="s.yaml", error=SettingsError) or {}, where="s.yaml")

    ok, refused = fuzz(source, load, seed)
    assert ok + refused > 50 and refused > 0


def _rules_text() -> str:
    return yaml.safe_dump({"rules": [{"id": r.id, "title": r.title, "kinds": list(r.kinds), "hours": r.hours,
                                      "min_sites": r.min_sites, "exempt": dict(r.exempt)} for r in DEFAULT_RULES]},
                          sort_keys=False)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuzz_rules(seed):
    source = _rules_text()
    assert len(parse_rules(source)) == 2
    ok, refused = fuzz(source, lambda t: parse_rules(t, path="rules.yaml"), seed)
    assert ok + refused > 50 and refused > 0


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzz_register(seed, tmp_path):
    source = _toy_evidence._REGISTER.replace("T01", "A").replace("T02", "B")
    areas = toy.areas()
    f = tmp_path / "register.csv"

    def load(text: str) -> None:
        f.write_text(text, encoding="utf-8", errors="surrogatepass")
        load_register_csv(f, areas, None)

    f.write_text(source, encoding="utf-8")
    assert len(load_register_csv(f, areas, None)) == 4
    ok, refused = fuzz(source, load, seed)
    assert ok + refused > 50 and refused > 0
