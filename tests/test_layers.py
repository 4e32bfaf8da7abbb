"""The layering rules of the README's Architecture section, checked on the source.

Imports are read with :mod:`ast` (every ``import`` and ``from ... import``,
including those inside functions and ``if TYPE_CHECKING:`` blocks), so a rule
cannot be dodged with a lazy import or a type-only one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ESTATE = ROOT / "estate"
OUTPUTS = ESTATE / "outputs"
#: Front ends may import both the domain and the outputs.
FRONT_ENDS = {ESTATE / "cli.py", ESTATE / "cli_optimise.py", ESTATE / "__main__.py"}
MAX_LINES = 700


def _modules(*roots: Path) -> list[Path]:
    out: list[Path] = []
    for r in roots:
        out += [r] if r.is_file() else sorted(r.rglob("*.py"))
    return out


def _name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    pkg = _name(path).split(".")
    if path.name != "__init__.py":
        pkg = pkg[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg[: len(pkg) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # `from estate import outputs`
    return out


def _hits(path: Path, forbidden: str) -> list[str]:
    return sorted(m for m in _imports(path) if m == forbidden or m.startswith(forbidden + "."))


def _app_files() -> list[Path]:
    app = ROOT / "app"
    return [ROOT / "streamlit_app.py", *(_modules(app) if app.is_dir() else [])]


def test_the_import_reader_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "estate" / "outputs"
    pkg.mkdir(parents=True)
    f = pkg / "x.py"
    f.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..planner import Planner\n"
                 "def g():\n    import streamlit as st\n")
    global ROOT
    old, ROOT = ROOT, tmp_path
    try:
        assert _hits(f, "estate.planner") == ["estate.planner", "estate.planner.Planner"]
        assert _hits(f, "streamlit") == ["streamlit"]
    finally:
        ROOT = old


@pytest.mark.parametrize("path", _modules(OUTPUTS), ids=lambda p: p.name)
def test_outputs_never_import_the_planner(path: Path) -> None:
    assert not _hits(path, "estate.planner"), f"{_name(path)} imports the planner: hand it what it draws"


@pytest.mark.parametrize(
    "path", [p for p in _modules(ESTATE) if OUTPUTS not in p.parents and p not in FRONT_ENDS],
    ids=lambda p: p.name,
)
def test_the_domain_never_imports_outputs(path: Path) -> None:
    assert not _hits(path, "estate.outputs"), f"{_name(path)} (domain) imports estate.outputs"


@pytest.mark.parametrize("path", _modules(ROOT / "geodata"), ids=lambda p: _name(p))
def test_geodata_knows_no_police(path: Path) -> None:
    assert not _hits(path, "estate"), f"{_name(path)} imports estate"


@pytest.mark.parametrize("path", _modules(ROOT / "geodata", ESTATE, ROOT / "benchmarks"), ids=lambda p: _name(p))
def test_only_the_app_imports_streamlit(path: Path) -> None:
    assert not _hits(path, "streamlit"), f"{_name(path)} imports streamlit; only streamlit_app.py and app/ may"


@pytest.mark.parametrize("path", [*_modules(ESTATE), *_app_files()], ids=lambda p: _name(p))
def test_no_module_over_700_lines(path: Path) -> None:
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{_name(path)} has {n} lines (at most {MAX_LINES}; aim for 600): split it"


def test_one_scenario_value_no_draft_class() -> None:
    drafts = [f"{_name(p)}:{n.lineno}" for p in [*_modules(ESTATE), *_app_files()]
              for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))) if isinstance(n, ast.ClassDef) and n.name == "Draft"]
    assert drafts == [], "a scenario being edited is a Scenario: no second class for it"


@pytest.mark.parametrize("path", [p for p in _modules(ESTATE) if p.name != "__main__.py"], ids=lambda p: _name(p))
def test_every_error_estate_raises_is_an_estate_error(path: Path) -> None:
    import importlib

    from estate.errors import EstateError

    module = importlib.import_module(_name(path))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    protocol = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "__getattr__"
                for n in ast.walk(f)}  # a module's __getattr__ must raise AttributeError
    outside = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None and id(node) not in protocol:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id[0].isupper():
                cls = getattr(module, exc.id, None)
                if not (isinstance(cls, type) and issubclass(cls, EstateError)):
                    outside.append(f"line {node.lineno}: {exc.id}")
    assert outside == [], f"{_name(path)} raises errors outside estate.errors"
