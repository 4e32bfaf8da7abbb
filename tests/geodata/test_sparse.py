"""The sparse, site-partitioned matrices and their chunked builds on Dask.

Toy cases: the sparse store gives exactly the dense results (coverage, nearest site,
counts within a threshold); crow-fly times on demand (a KD-tree within the cutoff)
equal the dense engine's pair for pair; a two-worker ``LocalCluster`` build equals
the single-process build, chunk files and all.
"""

from __future__ import annotations

import numpy as np
import pytest

from estate.coverage import evaluate, nearest
from estate.scenario import ScenarioState
from geodata.cluster import open_client
from geodata.errors import CacheError, DataError
from geodata.travel.base import BANDS, Mode, Points, parse_band
from geodata.travel.chunked import build_matrix_chunked, chunk_dir, chunk_ranges, load_chunked
from geodata.travel.crowfly import CrowflyEngine, CrowflySettings
from geodata.travel.sparse import SparseTimes, count_within, dense_bytes, nearest_of
from tests import toy

ALL_OPEN = {"s1": "24/7", "s2": "Mo-Fr 10:00-18:00", "s3": "24/7", "c1": "24/7"}


def _evaluate(case: toy.ToyCase, times, hours: dict[str, str], band: str, cutoff: float | None = None):
    st = ScenarioState("toy", hours)
    b = parse_band(band)
    return evaluate(
        times, st.open_columns(case.estate, b), st.open_24_7_columns(case.estate),
        weights=case.units.weights(), unit_area=case.units.area_index,
        area_codes=case.units.area_codes, area_names=case.units.area_names,
        site_area=np.array([0, 0, 1, 1]), scenario="toy", mode=Mode.WALK, band=b, engine="test",
        cutoff_min=cutoff,
    )


def test_the_toy_sparse_store_holds_exactly_the_pairs_within_the_cutoff(toy_case) -> None:
    dense = toy_case.seconds
    s = SparseTimes.from_dense(dense, cutoff_s=45 * 60.0)
    # the toy table's pairs within 45 minutes: s1 5, s2 6, s3 5, the candidate 3 (u7-u9) of the 40
    assert s.shape == dense.shape and s.nnz == int((dense <= 45 * 60).sum()) == 19
    assert s.nbytes == 8 * s.nnz + 8 * (dense.shape[1] + 1)
    block = s[:, [2, 0]]
    assert block[6].tolist() == [600.0, np.inf]  # u6: s3 at 10 min, s1 at 70 (beyond 45)
    assert block[0].tolist() == [np.inf, 300.0]
    np.testing.assert_array_equal(s.to_dense(), np.where(dense <= 2700, dense, np.inf))
    rows, cols = np.array([9, 2]), np.array([1, 2])
    np.testing.assert_array_equal(s[np.ix_(rows, cols)], np.where(dense <= 2700, dense, np.inf)[np.ix_(rows, cols)])


@pytest.mark.parametrize("band", ["day", "night", "Sat 12:00"])
@pytest.mark.parametrize("cutoff", [None, 45.0])
def test_sparse_coverage_is_exactly_the_dense_coverage(toy_case, band: str, cutoff: float | None) -> None:
    dense = toy_case.seconds.copy()
    if cutoff is not None:  # the dense matrix as an engine with this cutoff gives it
        dense[dense > cutoff * 60] = np.inf
    sparse = SparseTimes.from_dense(dense, cutoff_s=(cutoff or np.inf) * 60.0)
    for hours in (ALL_OPEN, {"s2": "24/7"}, {}):
        a = _evaluate(toy_case, dense, hours, band, cutoff)
        b = _evaluate(toy_case, sparse, hours, band, cutoff)
        assert a.to_dict() == b.to_dict()
        np.testing.assert_array_equal(a.unit_minutes, b.unit_minutes)
        np.testing.assert_array_equal(a.unit_site, b.unit_site)


def test_by_hand_nearest_and_counts_within_on_the_toy(toy_case) -> None:
    sparse = SparseTimes.from_dense(toy_case.seconds, cutoff_s=45 * 60.0)
    cols = np.array([0, 1, 2])
    secs, col = sparse.nearest(cols)
    # the toy's nearest of s1, s2, s3 by hand: u3 30 (s3), u7 44 (s3), u8 and u9 beyond 45: none
    assert (secs / 60).tolist()[:8] == [5, 10, 8, 25, 20, 14, 10, 44]
    assert col.tolist() == [0, 0, 1, 1, 2, 1, 2, 2, -1, -1]
    assert np.isinf(secs[8:]).all()
    # sites within 30 minutes: u0 s1+s2, u1 s1+s2, u2 s1+s2, u3 s2+s3, u4 s3, u5 s1+s2, u6 s3, u7-u9 none
    assert sparse.count_within(cols, 30 * 60).tolist() == [2, 2, 2, 2, 1, 2, 1, 0, 0, 0]
    assert count_within(toy_case.seconds, cols, 30 * 60).tolist() == [2, 2, 2, 2, 1, 2, 1, 0, 0, 0]


def test_ties_go_to_the_first_open_column_as_the_dense_path() -> None:
    dense = np.array([[60.0, 60.0, 30.0], [90.0, 90.0, np.inf]], dtype=np.float32)
    s = SparseTimes.from_dense(dense)
    for cols in ([1, 0], [0, 1], [2, 1, 0]):
        c = np.array(cols)
        for got, want in zip(s.nearest(c), nearest(dense, c), strict=True):
            np.testing.assert_array_equal(got, want)
        for got, want in zip(nearest_of(s, c), nearest_of(dense, c), strict=True):
            np.testing.assert_array_equal(got, want)
    assert s.nearest(np.array([], int))[1].tolist() == [-1, -1]


def test_inconsistent_arrays_are_refused() -> None:
    with pytest.raises(DataError, match="do not agree"):
        SparseTimes((2, 1), np.array([0, 2]), np.array([0]), np.array([1.0]))
    with pytest.raises(DataError, match="out of range"):
        SparseTimes((2, 1), np.array([0, 1]), np.array([5]), np.array([1.0]))
    with pytest.raises(DataError, match="finite"):
        SparseTimes((2, 1), np.array([0, 1]), np.array([0]), np.array([np.inf]))


def _points(n: int, seed: int, prefix: str) -> Points:
    rng = np.random.default_rng(seed)
    return Points([f"{prefix}{i}" for i in range(n)], 400_000 + rng.uniform(0, 40_000, n),
                  200_000 + rng.uniform(0, 40_000, n))


@pytest.mark.parametrize("mode", [Mode.WALK, Mode.DRIVE])
def test_crowfly_on_demand_equals_the_dense_engine_pair_for_pair(mode: Mode) -> None:
    units, sites = _points(1500, 1, "u"), _points(300, 2, "s")
    engine = CrowflyEngine(mode, CrowflySettings(cutoff_min=40.0))
    dense = engine.matrix(units, sites, BANDS["day"])
    sparse = engine.sparse_matrix(units, sites, BANDS["day"])
    assert sparse.nnz == int(np.isfinite(dense).sum()) > 0
    np.testing.assert_array_equal(sparse.to_dense(), dense)
    # a tighter cutoff keeps only the pairs within it
    tight = engine.sparse_matrix(units, sites, BANDS["day"], cutoff_s=600.0)
    np.testing.assert_array_equal(tight.to_dense(), np.where(dense <= 600.0, dense, np.inf))
    assert dense_bytes(1500, 300) == 4 * 1500 * 300


def test_chunked_build_writes_verified_chunks_and_resumes(tmp_path) -> None:
    units, sites = _points(400, 3, "u"), _points(50, 4, "s")
    engine = CrowflyEngine(Mode.WALK, CrowflySettings(cutoff_min=30.0))
    dense = engine.matrix(units, sites, BANDS["day"])
    report: dict = {}
    built = build_matrix_chunked(engine, units, sites, BANDS["day"], out_dir=tmp_path, chunk_sites=16, report=report)
    np.testing.assert_array_equal(built.to_dense(), dense)
    assert (report["status"], report["chunks"], report["built_chunks"]) == ("built", 4, 4)
    assert chunk_ranges(50, 16) == [(0, 16), (16, 32), (32, 48), (48, 50)]
    files = sorted(p.name for p in next(tmp_path.iterdir()).iterdir())
    assert files == ["sites-0000000-0000016.npz", "sites-0000016-0000032.npz", "sites-0000032-0000048.npz",
                     "sites-0000048-0000050.npz"]
    # a corrupt chunk is rebuilt (only it); the rest are read
    folder = next(tmp_path.iterdir())
    (folder / files[1]).write_bytes(b"not an npz")
    report = {}
    again = build_matrix_chunked(engine, units, sites, BANDS["day"], out_dir=tmp_path, chunk_sites=16, report=report)
    np.testing.assert_array_equal(again.to_dense(), dense)
    assert (report["status"], report["built_chunks"]) == ("built", 1)
    report = {}
    build_matrix_chunked(engine, units, sites, BANDS["day"], out_dir=tmp_path, chunk_sites=16, report=report)
    assert (report["status"], report["built_chunks"]) == ("hit", 0)


def test_a_chunk_of_another_matrix_is_not_served(tmp_path) -> None:
    units, sites = _points(100, 5, "u"), _points(10, 6, "s")
    engine = CrowflyEngine(Mode.WALK)
    build_matrix_chunked(engine, units, sites, BANDS["day"], out_dir=tmp_path, chunk_sites=5)
    folder = next(tmp_path.iterdir())
    assert load_chunked(folder, "another-key", (100, 10), 1440 * 60.0, 5) is None
    assert chunk_dir(tmp_path, "crowfly", "walk", "all", "k" * 64, np.inf).name.endswith("-sparse-all")
    with pytest.raises(CacheError):
        from geodata.travel.chunked import _load_chunk

        _load_chunk(folder / "sites-0000000-0000005.npz", "another-key", 100, 0, 5, 1440 * 60.0)


def test_a_two_worker_local_cluster_build_equals_the_single_process_build(tmp_path) -> None:
    units, sites = _points(2000, 7, "u"), _points(240, 8, "s")
    engine = CrowflyEngine(Mode.DRIVE, CrowflySettings(cutoff_min=45.0))
    alone = build_matrix_chunked(engine, units, sites, BANDS["day"], out_dir=tmp_path / "one", chunk_sites=32)
    seen: list[tuple[int, int]] = []
    with open_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        spread = build_matrix_chunked(engine, units, sites, BANDS["day"], client=client, out_dir=tmp_path / "two",
                                      chunk_sites=32, progress=lambda d, t: seen.append((d, t)))
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(spread, name), getattr(alone, name))
    assert seen[0] == (0, 8) and seen[-1] == (8, 8) and len(seen) == 9
    one = sorted(p.name for p in next((tmp_path / "one").iterdir()).iterdir())
    two = sorted(p.name for p in next((tmp_path / "two").iterdir()).iterdir())
    assert one == two and len(one) == 8
    np.testing.assert_array_equal(spread.to_dense(), engine.matrix(units, sites, BANDS["day"]))
