"""geodata's public face: what other packages may import, and what geodata promises."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import geodata
import geodata.travel

ROOT = Path(__file__).resolve().parents[2]


def _python_files(*roots: str) -> list[Path]:
    out: list[Path] = []
    for r in roots:
        p = ROOT / r
        out += [p] if p.is_file() else sorted(p.rglob("*.py")) if p.is_dir() else []
    return out


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every module ``path`` imports, incl. ``from pkg import mod``."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def test_no_private_geodata_module_is_imported_from_outside() -> None:
    offenders = [
        f"{f.relative_to(ROOT)}:{line} imports {name}"
        for f in _python_files("estate", "app", "streamlit_app.py", "benchmarks")
        for line, name in _imported_modules(f)
        if name.startswith("geodata.") and any(p.startswith("_") for p in name.split(".")[1:])
    ]
    assert offenders == []


@pytest.mark.parametrize("package", [geodata, geodata.travel])
def test_every_public_name_resolves(package) -> None:
    assert len(package.__all__) == len(set(package.__all__))
    missing = [n for n in package.__all__ if getattr(package, n, None) is None]
    assert missing == []
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        package.nope  # noqa: B018


def test_importing_geodata_loads_neither_pandas_nor_the_heavy_engines() -> None:
    code = (
        "import sys, geodata, geodata.travel; "
        "print(sorted(m for m in ('pandas', 'geopandas', 'osmnx', 'geodata.travel.transit') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_names_are_the_modules_own() -> None:
    from geodata._io import atomic_write_text
    from geodata._manifest import read_table
    from geodata.travel.transit import TransitEngine

    assert geodata.read_table is read_table and geodata.atomic_write_text is atomic_write_text
    assert geodata.travel.TransitEngine is TransitEngine
    assert importlib.import_module("geodata.travel").Mode("walk") == "walk"
