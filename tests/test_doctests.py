"""The docstring examples of every module run, and hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import estate
import geodata

MODULES = sorted(
    m.name
    for pkg in (geodata, estate)
    for m in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + ".")
    if m.name != "estate.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
