"""Beyond one machine's dense matrices: the sparse layout and Dask builds through the planner
and the CLI, on Newport and on all of England and Wales (the national pack)."""

from __future__ import annotations

import csv
import io
import json
import socket
from pathlib import Path

import numpy as np
import pytest

from estate import settings as config
from estate.cli import main
from estate.planner import Planner
from geodata.travel.sparse import SparseTimes

NATIONAL = Path(__file__).resolve().parents[2].parent / "shared" / "national"

needs_national = pytest.mark.skipif(not (NATIONAL / "newport").is_dir(), reason="the national pack is not available")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@needs_national
def test_newport_sparse_layout_gives_the_dense_coverage() -> None:
    cache = config.cache_dir() or False
    dense = Planner(area="newport", cache_dir=cache)
    sparse = Planner(area="newport", cache_dir=cache, sparse_above=0, sparse_cutoff_min=1440.0, workers=1)
    try:
        assert not dense.is_sparse() and sparse.is_sparse()
        times = sparse.matrix("walk", "day")
        assert isinstance(times, SparseTimes) and sparse.matrix_reports[("walk", "all")]["layout"] == "sparse"
        np.testing.assert_array_equal(times.to_dense(), dense.matrix("walk", "day"))
        for sid in ("register", "example-two-close"):
            a, b = dense.coverage(sid, "walk", "day"), sparse.coverage(sid, "walk", "day")
            assert a.to_dict() == b.to_dict()
            np.testing.assert_array_equal(a.unit_site, b.unit_site)
    finally:
        sparse.close()


@needs_national
def test_newport_two_worker_build_equals_the_single_process_build(tmp_path: Path) -> None:
    from geodata.cluster import open_client
    from geodata.travel.base import BANDS
    from geodata.travel.chunked import build_matrix_chunked

    p = Planner(area="newport", cache_dir=config.cache_dir() or False)
    dense = p.matrix("walk", "day")  # the single-process build (or its cached file)
    engine = p.engine("walk")  # the street network and crow-fly outside it, sent to the workers
    with open_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        built = build_matrix_chunked(engine, p.units.points, p.estate.points(), BANDS["day"], client=client,
                                     out_dir=tmp_path, chunk_sites=64)
    assert built.shape == dense.shape and built.nnz == int(np.isfinite(dense).sum())
    np.testing.assert_array_equal(built.to_dense(), dense)


def test_a_planner_with_workers_writes_the_dense_file_and_drops_its_chunks(tmp_path: Path, toy_case) -> None:
    from geodata.travel.crowfly import CrowflyEngine

    p = Planner(cache_dir=tmp_path, workers=1)
    engine = CrowflyEngine("walk")
    p._engines[engine.mode] = engine
    p.__dict__["units"], p.__dict__["estate"] = toy_case.units, toy_case.estate
    from estate.derived import Tables

    p.__dict__["tables"] = Tables.build(toy_case.units, toy_case.estate)
    try:
        built = p.matrix("walk", "day")
        rep = p.matrix_reports[("walk", "all")]
        assert rep["layout"] == "dense" and rep["status"] == "built" and isinstance(built, np.ndarray)
        np.testing.assert_array_equal(built, engine.matrix(toy_case.units.points, toy_case.estate.points(),
                                                           _day()))
        assert Path(rep["path"]).is_file() and not any(q.is_dir() for q in tmp_path.iterdir())
    finally:
        p.close()


def _day():
    from geodata.travel.base import BANDS

    return BANDS["day"]


def test_a_scheduler_that_does_not_answer_is_exit_2_without_a_traceback(capsys) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    code = main(["--area", "newport", "build", "--mode", "walk", "--band", "day", "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 2 and "did not answer" in err and address in err and "Traceback" not in err
    assert err.startswith("error: ")


@pytest.mark.parametrize(("argv", "message"), [
    (["--workers", "0"], "out of range"),
    (["--workers", "65"], "out of range"),
    (["--scheduler", "localhost:8786"], "not a Dask scheduler address"),
])
def test_bad_cluster_options_are_exit_2(capsys, argv: list[str], message: str) -> None:
    code = main(["access", "--mode", "walk", "--band", "day", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_workers_and_scheduler_together_are_refused(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


@needs_national
def test_england_and_wales_access_returns_every_lsoa(capsys) -> None:
    code = main(["--force", "all", "access", "--mode", "walk", "--band", "day", "--within", "30",
                 "--host", "supermarket", "--format", "csv"])
    out = capsys.readouterr().out
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 35_672 and len({r["unit_id"] for r in rows}) == 35_672
    reached = [r for r in rows if r["nearest_min"]]
    # most LSOAs have a supermarket within two hours' walk; the rest are empty, with 0 within 30 minutes
    assert len(reached) > 30_000
    assert all(r["sites_within"] == "0" for r in rows if not r["nearest_min"])
    assert all(float(r["nearest_min"]) <= 30 for r in reached if int(r["sites_within"]) > 0)


def test_an_existing_scheduler_runs_the_same_build(tmp_path: Path, toy_case) -> None:
    from distributed import LocalCluster

    from estate.derived import Tables
    from geodata.travel.crowfly import CrowflyEngine

    engine = CrowflyEngine("drive")
    want = engine.matrix(toy_case.units.points, toy_case.estate.points(), _day())
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        p = Planner(cache_dir=tmp_path, scheduler=cluster.scheduler_address, sparse_above=0)
        p._engines[engine.mode] = engine
        p.__dict__["units"], p.__dict__["estate"] = toy_case.units, toy_case.estate
        p.__dict__["tables"] = Tables.build(toy_case.units, toy_case.estate)
        try:
            got = p.matrix("drive", "day")
            assert isinstance(got, SparseTimes) and got.cutoff_s == 120 * 60.0
            np.testing.assert_array_equal(got.to_dense(), np.where(want <= 7200, want, np.inf))
            assert p.matrix_reports[("drive", "day")]["layout"] == "sparse"
            assert p.cutoff_min("drive", "day") == 120.0  # below the engine's own day: said in every output
        finally:
            p.close()



NEWPORT_REGISTER = Path(__file__).resolve().parents[2] / "registers" / "newport_osm_police_stations.csv"


@needs_national
def test_gwent_optimiser_gives_the_same_answers_dense_and_sparse() -> None:
    """Gwent (five districts) with Newport's five OSM police stations as its register: the optimiser's
    questions on the dense matrices and on the sparse layout (within 120 minutes, built on Dask: the
    national path) give the same sites and the same harm."""
    from estate import optimise as opt
    from geodata.studyarea import study_area

    gwent = study_area(force="Gwent")
    cache = config.cache_dir() or False
    dense = Planner(area=gwent, register_csv=NEWPORT_REGISTER, cache_dir=cache)
    sparse = Planner(area=gwent, register_csv=NEWPORT_REGISTER, cache_dir=cache, sparse_above=0, workers=1)
    requests = [
        opt.Request(question="open", start="register", mode="walk", bands=(("day", 1.0), ("night", 1.0)), k=3),
        opt.Request(question="open", start="register", mode="drive", bands=(("day", 1.0),), k=2, threshold=15,
                    hosts=("library",), method="exact"),
        opt.Request(question="close", start="register", mode="walk", bands=(("day", 1.0),), k=2, rules="none"),
        opt.Request(question="keep-24-7", start="register", mode="drive", bands=(("night", 1.0),), m=2,
                    threshold=10, rules="none", part_time_hours="Mo-Fr 09:00-17:00"),
    ]
    try:
        assert not dense.is_sparse() and sparse.is_sparse()
        assert len(dense.units) > 300 and len(dense.estate.candidates) > 100
        for req in requests:
            a, b = opt.run(dense, req), opt.run(sparse, req)
            assert isinstance(sparse.matrix(req.mode, req.bands[0][0]), SparseTimes)
            assert a.changes == b.changes, req.question
            assert (a.value, a.start_value) == (b.value, b.start_value), req.question
            assert a.value != a.start_value, req.question  # each answer changes something
    finally:
        sparse.close()


@needs_national
def test_optimise_on_a_force_answers_for_that_force(capsys, tmp_path: Path) -> None:
    """``estate --force Gwent optimise open``: the global --force (the study area) is not taken by
    the optimiser's own --force (overwrite), which once left the run on London's data."""
    code = main(["--force", "Gwent", "--register", str(NEWPORT_REGISTER), "optimise", "open", "--k", "1",
                 "--mode", "walk", "--format", "json", "--out", str(tmp_path / "a.json")])
    err = capsys.readouterr().err
    assert code == 0, err
    got = json.loads((tmp_path / "a.json").read_text())
    gwent = {"Newport", "Caerphilly", "Torfaen", "Blaenau Gwent", "Monmouthshire"}
    assert [c["borough"] in gwent for c in got["changes"]["open"]] == [True]
    # the optimiser's --force still means: overwrite the --out file
    code = main(["--force", "Gwent", "--register", str(NEWPORT_REGISTER), "optimise", "open", "--k", "1",
                 "--mode", "walk", "--format", "json", "--out", str(tmp_path / "a.json"), "--force"])
    assert code == 0, capsys.readouterr().err


@needs_national
def test_a_force_without_a_timetable_names_what_public_transport_needs(capsys) -> None:
    """Outside London and Newport there is no timetable: `estate build` builds walking and driving
    and says why it skips public transport; asking for transit is exit 2 naming --gtfs."""
    reg = ["--force", "Gwent", "--register", str(NEWPORT_REGISTER)]
    code = main([*reg, "build", "--band", "day"])
    out, err = capsys.readouterr()
    assert code == 0 and "transit: skipped: public transport in Gwent needs a GTFS feed (--gtfs FILE" in err
    assert "walk " in out and "drive " in out
    code = main([*reg, "coverage", "register", "--mode", "transit"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: public transport in Gwent needs a GTFS feed") and "Traceback" not in err
