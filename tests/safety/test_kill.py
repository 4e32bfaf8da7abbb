"""``estate evidence`` killed at random moments (issue 13, class 8's must-hold).

A pack is written, a user adds a file to it, then runs are killed (SIGKILL) at
seeded random moments over the length of a whole run.  After every kill the
folder at ``--out`` holds a complete pack (every file, a readable
``evidence.json``) with the user's file; after the next complete run no staging
or old folder is left beside it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from estate.outputs.export import PACK_FILES

ROOT = Path(__file__).resolve().parents[2]
KILLS = 5

pytestmark = pytest.mark.london


def _complete(out: Path) -> str:
    names = {p.name for p in out.iterdir()}
    assert set(PACK_FILES) <= names, sorted(names)
    data = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert data["pack"] == "estate-evidence"
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert (out / "my-notes.txt").read_text(encoding="utf-8") == "keep me"
    return str(data["scenario"]["id"])


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_evidence_killed_at_random_moments_never_loses_the_pack(london_data, tmp_path):
    env = {**os.environ, "ESTATE_DATA": str(london_data), "ESTATE_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "pack"

    def cmd(scenario: str) -> list[str]:
        return [sys.executable, "-m", "estate", "evidence", scenario, "--against", "baseline-2024",
                "--mode", "walk", "--out", str(out)]

    t0 = time.monotonic()
    first = subprocess.run(cmd("outcome-2026"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    (out / "my-notes.txt").write_text("keep me", encoding="utf-8")
    assert _complete(out) == "outcome-2026"
    t1 = time.monotonic()  # a second, warm run: its length spans the kill moments
    warm = subprocess.run(cmd("met-proposal-2025"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr
    length = time.monotonic() - t1
    assert _complete(out) == "met-proposal-2025"
    print(f"\nevidence pack: cold {t1 - t0:.1f} s, warm {length:.1f} s")

    rng = random.Random(13)
    killed = 0
    for i in range(KILLS):
        scenario = ("outcome-2026", "met-proposal-2025")[i % 2]
        proc = subprocess.Popen(cmd(scenario), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, length * 1.05))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=30)
        assert _complete(out) in ("outcome-2026", "met-proposal-2025")  # a whole pack, old or new
    assert killed >= 3

    last = subprocess.run(cmd("outcome-2026"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert last.returncode == 0, last.stderr
    assert _complete(out) == "outcome-2026"
    assert _leftovers(out) == []
