"""The CLI's error boundary, per-scenario loading and worker processes (issue 13, classes 10, 11, 13)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from estate import cli
from estate.cli import EXIT_BUG
from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(london_data, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ESTATE_DATA", str(london_data))
    monkeypatch.setenv("ESTATE_CACHE", str(tmp_path_factory.getbasetemp() / "cli-cache"))


def _last_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


# ---- 11. a clear line and exit 2 for a bad input ------------------------------------------------------

REGISTERS = {
    "missing path": (None, "nope.csv: cannot be read"),
    "header only": ("site_id,name,hours,easting,northing\n", "has a header but no sites"),
    "non-numeric footfall": ("site_id,name,hours,easting,northing,footfall\na,A,24/7,530000,180000,busy\n",
                             "row 2: footfall is 'busy', not a number"),
    "bad open word": ("site_id,name,hours,easting,northing,open\na,A,24/7,530000,180000,perhaps\n",
                      "row 2: open is 'perhaps'"),
    "swapped columns": ("site_id,name,hours,easting,northing\n" + "".join(
        f"s{i},S,24/7,{180000 + 300 * i},{530000 + 500 * i}\n" for i in range(8)), "easting and northing were swapped"),
}


@pytest.mark.london
@pytest.mark.parametrize(("body", "message"), list(REGISTERS.values()), ids=list(REGISTERS))
def test_bad_register_is_one_line_and_exit_2(body, message, env, tmp_path, capsys):
    reg = tmp_path / "nope.csv"
    if body is not None:
        reg.write_text(body, encoding="utf-8")
    code, _, err = run(capsys, "--register", str(reg), "--scenarios", str(tmp_path), "sites")
    assert code == 2, err
    assert message in _last_line(err) and str(reg) in _last_line(err)
    assert "Traceback" not in err


@pytest.mark.london
@pytest.mark.parametrize("target", ["folder", "existing file", "under a file"])
def test_map_out_that_cannot_be_written(target, env, tmp_path, capsys):
    (tmp_path / "f").write_text("mine")
    out = {"folder": tmp_path, "existing file": tmp_path / "f", "under a file": tmp_path / "f" / "m.html"}[target]
    code, _, err = run(capsys, "map", "baseline-2024", "outcome-2026", "--out", str(out))
    assert code == 2, err
    assert any(w in _last_line(err) for w in ("is a folder", "add --force", "is a file, not a folder"))
    assert (tmp_path / "f").read_text() == "mine"


@pytest.mark.london
def test_coverage_out_refuses_a_users_file_and_force_overwrites(env, tmp_path, capsys):
    f = tmp_path / "mine.csv"
    f.write_text("my work")
    code, _, err = run(capsys, "coverage", "baseline-2024", "--format", "csv", "--out", str(f))
    assert code == 2 and "add --force" in err and f.read_text() == "my work"
    code, _, err = run(capsys, "coverage", "baseline-2024", "--format", "csv", "--out", str(f), "--force")
    assert code == 0 and f.read_text().startswith("scenario,mode,band")
    code, _, err = run(capsys, "coverage", "baseline-2024", "--format", "json", "--out", str(f))
    assert code == 0, err  # estate wrote it: replaced without --force


@pytest.mark.parametrize("exc", [RuntimeError("boom"), TypeError("NoneType is not subscriptable"),
                                 ZeroDivisionError("division by zero")])
def test_an_unexpected_error_is_exit_70_with_the_trace_logged(exc, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("ESTATE_STATE", str(tmp_path))

    def broken(args):
        raise exc

    monkeypatch.setattr(cli, "cmd_scenarios", broken)
    code, _, err = run(capsys, "scenarios")
    assert code == EXIT_BUG == 70
    line = _last_line(err)
    assert f"unexpected {type(exc).__name__}" in line and "a bug in estate, not your input" in line
    (log,) = (tmp_path / "logs").glob("crash-*.log")
    assert str(log) in line
    assert "Traceback" in log.read_text() and "Traceback" not in err


# ---- 10. one bad file blocks only itself --------------------------------------------------------------

@pytest.mark.london
@pytest.mark.parametrize("bad", [
    "id: broken\ntitle: B\nclose: [harrow]\nclose: [pinner]\n",
    "id: [\n",
    "id: broken\ntitle: B\nbase: outcome-2026\nset_hours:\n  - {id: harrow, hours: 24/7}\n",
    "a: &a [1]\nb: *a\n",
])
def test_estate_scenarios_lists_the_good_names_the_broken_and_exits_2(bad, env, tmp_path, capsys):
    folder = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    (folder / "broken.yaml").write_text(bad, encoding="utf-8")
    code, out, err = run(capsys, "--scenarios", str(folder), "scenarios")
    assert code == 2
    for sid in ("baseline-2024", "met-proposal-2025", "outcome-2026"):
        assert sid in out
    assert "error: scenario broken is broken:" in err
    code, out, err = run(capsys, "--scenarios", str(folder), "compare", "baseline-2024", "outcome-2026")
    assert code == 0, err  # a command on good scenarios still runs
    code, _, err = run(capsys, "--scenarios", str(folder), "coverage", "broken")
    assert code == 2 and "broken" in _last_line(err)


# ---- 13. workers die with their parent ----------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_pool_workers_die_when_their_parent_is_killed(how, tmp_path):
    pids = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import multiprocessing as mp, os, time
        from concurrent.futures import ProcessPoolExecutor
        from geodata._proc import die_with_parent

        def work(i):
            open({str(pids)!r}, "a").write(f"{{os.getpid()}}\\n")
            time.sleep(600)

        with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("fork"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as ex:
            list(ex.map(work, range(2)))
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while (not pids.exists() or len(pids.read_text().split()) < 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [int(p) for p in pids.read_text().split()]
        assert len(workers) == 2 and all(_alive(p) for p in workers)
        parent.send_signal(how)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)]
    finally:
        if parent.poll() is None:
            parent.kill()
        for p in [int(x) for x in pids.read_text().split()] if pids.exists() else []:
            if _alive(p):
                os.kill(p, signal.SIGKILL)


@pytest.mark.parametrize("module", ["geodata.travel._transit_graph", "estate.outputs.staticmaps"])
def test_every_worker_pool_uses_die_with_parent(module):
    import importlib
    import inspect

    src = inspect.getsource(importlib.import_module(module))
    assert src.count("ProcessPoolExecutor(") == src.count("initializer=die_with_parent") >= 1


@pytest.mark.parametrize("errno_name", ["EACCES", "EROFS", "ENOSPC"])
def test_saving_into_a_folder_that_refuses_is_a_plain_error(errno_name, tmp_path, monkeypatch, toy_case):
    import errno

    from estate import scenario as scenario_module
    from estate.drafts import save_draft
    from estate.errors import OutputError
    from estate.scenario import Scenario

    def refuse(path, text):
        code = getattr(errno, errno_name)
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(scenario_module, "atomic_write_text", refuse)
    draft = Scenario("new-one", "New", base="register").toggle("s2", toy_case.estate,
                                                               scenario_module.resolve("register", {}, toy_case.estate))
    with pytest.raises(OutputError, match=r"cannot save .*new-one.yaml .*check that you may write to"):
        save_draft(draft, tmp_path, toy_case.estate, {})
