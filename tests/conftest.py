"""Shared fixtures: the toy case (three sites, ten residents) and the London pack."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import toy

REPO = Path(__file__).resolve().parent.parent


def london_dir() -> Path | None:
    """The London data pack, or None when it is not beside the repository."""
    env = os.environ.get("ESTATE_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "london"
    return path if (path / "geography").is_dir() else None


@pytest.fixture(scope="session")
def london_data() -> Path:
    path = london_dir()
    if path is None:
        pytest.skip("the London data pack is not available (set ESTATE_DATA)")
    return path


@pytest.fixture(scope="session")
def london(london_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """A Planner on the real London data, with its own matrix cache."""
    from estate.planner import Planner

    return Planner(london_data, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture
def toy_case() -> toy.ToyCase:
    return toy.make()


@pytest.fixture
def scen_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary copy of ``scenarios/`` as ``ESTATE_SCENARIOS``: the app never writes the repository's."""
    import shutil

    d = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", d)
    monkeypatch.setenv("ESTATE_SCENARIOS", str(d))
    return d


@pytest.fixture
def clear_streamlit_caches():
    """Streamlit's caches cleared before and after a test (each AppTest starts from a fresh server)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


# The tool's own records (which outputs it wrote, crash traces) go to a temporary
# folder, never the user's home; subprocesses inherit it.
if "ESTATE_STATE" not in os.environ:
    import tempfile

    os.environ["ESTATE_STATE"] = tempfile.mkdtemp(prefix="estate-state-")
