"""The warm answer: from a warm cache the CLI loads no pandas and gives the cold answer.

Speed is measured in ``benchmarks/bench.py`` (``warm CLI``), not here; these
tests check the facts the speed rests on: what the warm path imports, that its
answer equals the cold one, and that a corrupt cache entry is caught and rebuilt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.london

HEAVY = ("pandas", "geopandas", "scipy", "shapely", "pyogrio", "geodata.travel._transit_graph")

_RUN = f"""
import contextlib, io, json, sys
from estate.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r})
print(json.dumps({{"code": code, "answer": json.loads(out.getvalue()), "heavy": heavy}}))
"""


def _cli(cache: Path, data: Path, *argv: str) -> dict:
    env = {**os.environ, "ESTATE_DATA": str(data), "ESTATE_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, env=env,
                          check=True, timeout=600)
    return json.loads(done.stdout.splitlines()[-1])


def test_warm_cli_loads_no_pandas_and_answers_as_cold(london_data, tmp_path):
    argv = ("coverage", "baseline-2024", "--mode", "walk", "--band", "night", "--format", "json")
    cold = _cli(tmp_path, london_data, *argv)
    assert cold["code"] == 0 and "pandas" in cold["heavy"]  # the cold run loaded the data pack
    assert any(p.name.startswith("estate-tables-") for p in tmp_path.iterdir())
    warm = _cli(tmp_path, london_data, *argv)
    assert warm["code"] == 0
    assert warm["heavy"] == []
    assert warm["answer"] == cold["answer"]
    assert warm["answer"]["london"]["population"] == 8_799_631


def test_a_corrupt_tables_file_is_caught_and_rebuilt(london_data, tmp_path, caplog):
    from estate.planner import Planner

    first = Planner(london_data, cache_dir=tmp_path).tables
    (path,) = [p for p in tmp_path.iterdir() if p.name.startswith("estate-tables-")]
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte inside the arrays
    path.write_bytes(bytes(raw))
    again = Planner(london_data, cache_dir=tmp_path).tables
    assert "rebuilding" in caplog.text
    assert np.array_equal(again.weights["all"], first.weights["all"])
    assert again.sites.column_ids.tolist() == first.sites.column_ids.tolist()
    assert again.origins == first.origins and again.destinations == first.destinations
