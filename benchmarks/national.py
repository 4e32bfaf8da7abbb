"""England and Wales on the sparse layout and Dask, and London's evaluation beside the dense path.

Run from the repository root (the national pack at ../shared/national)::

    python benchmarks/national.py [--repeats 3] [--modes walk,drive] [--skip-london]

For all 35,672 LSOAs and every candidate host (supermarkets, libraries, fire
stations), walk and drive by day (crow-fly: there is no national street
network), it prints: the build time of the sparse matrix in chunks of sites in
one process and on a Dask ``LocalCluster`` of 1 and 2 workers (fresh builds into
a temporary folder), the peak memory (this process, and this process plus its
workers, sampled), the pairs and bytes stored, and the time to evaluate one
scenario (every supermarket open 24/7) on it; beside them the dense layout's
memory for the same problem (computed, not run: 4 bytes x units x sites, twice
that at peak while built or loaded).  For London (dense, 4,994 x 2,491) it times
one scenario's evaluation on the dense matrix and on the same matrix in the
sparse store: the ratio says whether London kept its speed.  Medians of repeats;
prints only, nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from estate.planner import SPARSE_CUTOFF_MIN, Planner
from estate.scenario import ScenarioState
from geodata.cluster import open_client
from geodata.travel.base import parse_band
from geodata.travel.chunked import build_matrix_chunked
from geodata.travel.sparse import SparseTimes, dense_bytes


class PeakRSS:
    """The largest resident memory of this process, and of it with its children, sampled every 50 ms."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.self_peak = self.tree_peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                me = self.proc.memory_info().rss
                kids = sum(c.memory_info().rss for c in self.proc.children(recursive=True))
            except psutil.Error:
                continue
            self.self_peak = max(self.self_peak, me)
            self.tree_peak = max(self.tree_peak, me + kids)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRSS:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


def _median(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _folder_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*.npz"))


def national(modes: list[str], repeats: int) -> None:
    p = Planner(area=_all_area(), register_optional=True)
    t0 = time.perf_counter()
    units, sites = p.units.points, p.estate.points()
    print(f"England and Wales: {len(units):,} LSOAs, {len(sites):,} candidate hosts "
          f"(loaded in {time.perf_counter() - t0:.1f} s); sparse cutoff {SPARSE_CUTOFF_MIN:g} min")
    dense = dense_bytes(len(units), len(sites))
    print(f"dense layout (computed, not run): {_gb(dense)} a matrix, {_gb(2 * dense)} at peak while built "
          "or loaded")
    band = parse_band("day")
    cut = SPARSE_CUTOFF_MIN * 60.0
    kinds = p.estate.sites.loc[p.estate.column_ids, "host"].astype(str).to_numpy()
    supermarkets = p.estate.column_ids[kinds == "supermarket"]
    state = ScenarioState("every-supermarket-24-7", {str(s): "24/7" for s in supermarkets})
    for mode in modes:
        engine = p.engine(mode)
        print(f"\n{mode} ({engine.describe()})")
        for label, workers in (("1 process, no Dask", None), ("Dask, 1 worker", 1), ("Dask, 2 workers", 2)):
            secs: list[float] = []
            peak_self = peak_tree = stored = 0
            result: SparseTimes | None = None
            for _ in range(repeats):
                out = Path(tempfile.mkdtemp(prefix="estate-bench-"))
                try:
                    with PeakRSS() as mem:
                        t0 = time.perf_counter()
                        if workers is None:
                            result = build_matrix_chunked(engine, units, sites, band, out_dir=out, cutoff_s=cut)
                            secs.append(time.perf_counter() - t0)
                        else:
                            with open_client(workers=workers) as client:
                                t1 = time.perf_counter()  # the cluster's start is not the build
                                result = build_matrix_chunked(engine, units, sites, band, client=client,
                                                              out_dir=out, cutoff_s=cut)
                                secs.append(time.perf_counter() - t1)
                    stored = _folder_bytes(out)
                finally:
                    shutil.rmtree(out, ignore_errors=True)
                peak_self, peak_tree = max(peak_self, mem.self_peak), max(peak_tree, mem.tree_peak)
            assert result is not None
            print(f"  build, {label:20s}: median {statistics.median(secs):6.1f} s of {repeats}; peak RSS "
                  f"{_gb(peak_self)} this process, {_gb(peak_tree)} with its workers")
        assert result is not None
        print(f"  stored: {result.nnz:,} pairs, {_gb(result.nbytes)} in memory, {_gb(stored)} on disk "
              f"({result.nbytes / dense:.1%} of the dense matrix)")
        p._matrices[(mode, p.engine_facts(mode).variant(band))] = result

        def run(mode: str = mode) -> Any:
            p._results.clear()
            return p.coverage_of_state(state, mode, band)

        took, res = _median(run, max(repeats, 3))
        tot = res.to_dict()["total"]
        print(f"  one scenario ({len(supermarkets):,} supermarkets open 24/7): {took * 1000:.0f} ms (median); "
              f"{tot['share_within']['30']:.1%} of residents within 30 minutes, {tot['unreachable']:,} beyond "
              f"{SPARSE_CUTOFF_MIN:g}")


def _all_area() -> Any:
    from geodata.studyarea import study_area

    return study_area(force="all")


def london(repeats: int) -> None:
    p = Planner()
    band = parse_band("night")
    print("\nLondon (dense, as before):")
    for mode in ("walk", "transit"):
        times = p.matrix(mode, band)
        assert isinstance(times, np.ndarray)
        sparse = SparseTimes.from_dense(times)
        key = (mode, p.engine_facts(mode).variant(band))
        state = p.state("outcome-2026")

        def run(t: Any, key: tuple[str, str] = key, mode: str = mode, state: Any = state) -> Any:
            p._matrices[key] = t
            return p.coverage_of_state(state, mode, band)

        d_s, d_res = _median(lambda t=times: run(t), max(repeats, 5) * 3)
        s_s, s_res = _median(lambda t=sparse: run(t), max(repeats, 5) * 3)
        p._matrices[key] = times
        same = d_res.to_dict() == s_res.to_dict()
        print(f"  {mode:8s} night, outcome-2026: dense {d_s * 1000:6.2f} ms, sparse store {s_s * 1000:6.2f} ms "
              f"(sparse/dense {s_s / d_s:.2f}); same result: {same}; the planner keeps London dense "
              f"({times.size:,} pairs, below {p.sparse_above:,})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--modes", default="walk,drive")
    ap.add_argument("--skip-london", action="store_true")
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores")
    national([m for m in args.modes.split(",") if m], args.repeats)
    if not args.skip_london:
        london(args.repeats)


if __name__ == "__main__":
    main()
