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
from tests.test_layers import MAX_LINES, ROOT, _app_files, _imports, _modules


def test_no_private_geodata_module_is_imported_from_outside() -> None:
    files = [*_modules(ROOT / "estate", ROOT / "benchmarks"), *_app_files()]
    offenders = [
        f"{f.relative_to(ROOT)} imports {name}"
        for f in files
        for name in sorted(_imports(f))
        if name.startswith("geodata.")
        and any(p.startswith("_") and not p.startswith("__") for p in name.split(".")[1:])
    ]
    assert offenders == []


@pytest.mark.parametrize("path", _modules(ROOT / "geodata"), ids=lambda p: p.name)
def test_no_geodata_module_over_700_lines(path: Path) -> None:
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines (at most {MAX_LINES}): split it"


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


def _raised_names(path: Path) -> list[tuple[int, str, str]]:
    """(line, raised name, enclosing function) of every ``raise Name(...)`` / ``raise Name``."""
    out: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Raise) and child.exc is not None:
                exc = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                if isinstance(exc, ast.Name):
                    out.append((child.lineno, exc.id, func))
            visit(child, func)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return out


def test_every_error_geodata_raises_is_in_the_hierarchy() -> None:
    from geodata.errors import PlannerError

    outside = []
    for f in _modules(ROOT / "geodata"):
        module = importlib.import_module(
            ".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        )
        for line, name, func in _raised_names(f):
            cls = getattr(module, name, None)
            if name == "AttributeError" and func == "__getattr__":
                continue  # the module attribute protocol
            if cls is None and name[0].islower():
                continue  # a variable holding a class, typed (and checked) by mypy
            if not (isinstance(cls, type) and issubclass(cls, PlannerError)):
                outside.append(f"{f.relative_to(ROOT)}:{line} raises {name}")
    assert outside == []


@pytest.mark.london
def test_a_transit_engine_for_a_cache_look_up_imports_no_pandas(london_data) -> None:
    code = (
        "import sys; from geodata.travel import TransitEngine, parse_band; "
        f"e = TransitEngine({str(london_data)!r}); e.settings_key(); e.variant(parse_band('night')); "
        "print(sorted(m for m in ('pandas', 'scipy.sparse', 'geodata.travel._tfl', "
        "'geodata.travel._transit_graph') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
