"""The optimiser's benchmark: prints its figures and ratios against PySAL's ``spopt``, measured in
this one run on this machine (nothing is asserted; speed is never a timed test).

    python benchmarks/bench_optimise.py            # everything (about 5-8 minutes on 2 cores)
    python benchmarks/bench_optimise.py --quick    # fewer repetitions, shorter time limits

On the London data by public transport:

1. objective evaluations a second: the incremental toggle (open a site, close a
   site) against a full evaluation (min over the open columns, weighted sum);
2. *close*: 18 of baseline-2024's 35 located counters, no rules, by day:
   heuristic, exact (HiGHS) and spopt's ``MCLP`` / ``PMedian`` (solved by HiGHS
   through PuLP) on the same cost matrix, with ratios;
3. *open*: 5 contact points among every candidate host on top of baseline-2024's
   37 counters, day and night: heuristic and exact, and spopt on the same
   (stacked day and night) cost matrix, time-boxed in a child process with a
   memory cap.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _median_time  # the one median-of-n timer of the benchmarks

from estate.optimise import (
    Context,
    Evaluator,
    Harm,
    close_instance,
    open_instance,
    solve,
    solve_exact,
)
from estate.planner import Planner
from geodata.travel.base import parse_band

MODE = "transit"
SPOPT_TIMEOUT_S = 300
SPOPT_MEMORY_GB = 6
#: spopt's PMedian has one variable per (row, column) pair: beyond this it is not attempted
SPOPT_MAX_ASSIGNMENTS = 5_000_000


# ---- 1. evaluations a second ------------------------------------------------------------------
def bench_evaluations(ctx: Context, reps: int) -> None:
    print("## 1. Objective evaluations (open 5 among every candidate host, day and night, mean minutes)\n")
    harm = Harm("mean", 45, (("day", 1.0), ("night", 1.0)))
    inst = open_instance(ctx, "baseline-2024", harm, k=5)
    ev = Evaluator(inst)
    rng = np.random.default_rng(0)
    x = np.zeros(inst.n_sites, bool)
    x[rng.choice(inst.n_sites, 5, replace=False)] = True
    ev.commit(x)
    on, off = np.flatnonzero(x), np.flatnonzero(~x)
    n = 20_000
    picks_off = rng.choice(off, n)
    t0 = time.perf_counter()
    for j in picks_off:
        ev.delta_open(int(j))
    t_open = (time.perf_counter() - t0) / n
    picks_on = rng.choice(on, n)
    t0 = time.perf_counter()
    for j in picks_on:
        ev.delta_close(int(j))
    t_close = (time.perf_counter() - t0) / n
    # the full evaluation: the coverage way, a min over the open columns of every band, then the weighted sum
    est = ctx.estate
    w = harm.unit_weights(ctx.units.weights())
    mats = [(ctx.matrix(parse_band(b)), parse_band(b)) for b, _ in harm.bands]
    base_cols = {b.name: [est.column(s) for s, h in inst.base_hours.items()
                          if est.has_column(s) and est.hours(h).is_open(b.weekday, b.minute)] for _, b in mats}

    def full(sel: np.ndarray) -> float:
        tot = 0.0
        for times, b in mats:
            cols = base_cols[b.name] + [est.column(inst.site_ids[j]) for j in np.flatnonzero(sel)
                                        if est.hours(inst.hours1[j]).is_open(b.weekday, b.minute)]
            mins = times[:, cols].min(axis=1).astype(np.float64) / 60.0
            tot += float(w @ np.minimum(mins, harm.cutoff_min)) / float(w.sum())
        return tot

    y = x.copy()
    y[picks_off[0]] = True
    t_full = _median_time(lambda: full(y), max(20, reps * 4))
    same = abs((ev.value + ev.delta_open(int(picks_off[0]))) - full(y)) < 1e-9 * (1 + abs(full(y)))
    print(f"instance: {inst.n_sites:,} candidate hosts, {len(inst.row_weight):,} rows (band x unit), "
          f"{inst.n_pairs:,} pairs that can matter")
    print(f"full evaluation (min over open columns + weighted sum, both bands): {t_full * 1000:.3f} ms "
          f"({1 / t_full:,.0f} a second)")
    print(f"incremental, open a site: {t_open * 1000:.4f} ms ({1 / t_open:,.0f} a second; "
          f"{t_full / t_open:,.0f}x the full evaluation)")
    print(f"incremental, close a site: {t_close * 1000:.4f} ms ({1 / t_close:,.0f} a second; "
          f"{t_full / t_close:,.0f}x)")
    print(f"incremental and full agree: {same} (target: >= 10,000 evaluations a second)\n")


# ---- the peer: spopt ----------------------------------------------------------------------------
def _spopt_child(payload_path: str) -> None:
    """In a fresh process (memory-capped): solve one spopt model, print its time and objective as JSON."""
    cap = SPOPT_MEMORY_GB * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import warnings

    warnings.filterwarnings("ignore")
    import pulp
    from spopt.locate import MCLP, PMedian

    d = np.load(payload_path)
    cost, weights, p = d["cost"], d["weights"], int(d["p"])
    pre = d["predefined"] if "predefined" in d and d["predefined"].size else None
    kind, radius = str(d["kind"]), float(d["radius"])
    t0 = time.perf_counter()
    if kind == "mclp":
        model = MCLP.from_cost_matrix(cost, weights, service_radius=radius, p_facilities=p,
                                      predefined_facilities_arr=pre)
    else:
        model = PMedian.from_cost_matrix(cost, weights, p_facilities=p, predefined_facilities_arr=pre)
    t_build = time.perf_counter() - t0
    model = model.solve(pulp.HiGHS(msg=False, timeLimit=SPOPT_TIMEOUT_S), results=False)
    t_all = time.perf_counter() - t0
    chosen = [j for j, v in enumerate(model.fac_vars) if v.value() is not None and v.value() > 0.5]
    print(json.dumps({"seconds": t_all, "build_s": t_build, "objective": float(pulp.value(model.problem.objective)),
                      "status": pulp.LpStatus[model.problem.status], "chosen": chosen}))


def run_spopt(kind: str, cost: np.ndarray, weights: np.ndarray, p: int, *, radius: float = 0.0,
              predefined: np.ndarray | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "payload.npz"
        np.savez(path, cost=cost, weights=weights, p=p, kind=kind, radius=radius,
                 predefined=predefined if predefined is not None else np.zeros(0))
        try:
            r = subprocess.run([sys.executable, __file__, "--spopt-child", str(path)], capture_output=True,
                               text=True, timeout=SPOPT_TIMEOUT_S + 60)
        except subprocess.TimeoutExpired:
            return {"error": f"did not finish within {SPOPT_TIMEOUT_S + 60} s"}
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"failed ({last[:120]})"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _highs_alone(inst: Any, start: np.ndarray, time_limit: float) -> None:
    """The mixed-integer model by HiGHS alone (no Lagrangian bound first), for comparison."""
    r = solve_exact(inst, time_limit=time_limit, start=start, lagrangian=False)
    gap = f"gap {r.gap:.2e}" if np.isfinite(r.gap) else "no bound"
    _row("  HiGHS MIP alone", r.seconds, r.value, f"{gap}, {r.status}; {r.n_vars:,} variables, "
         f"{r.n_rows:,} rows, {r.n_nonzeros:,} nonzeros")


def _row(label: str, seconds: float, objective: float, extra: str = "") -> None:
    print(f"  {label:<34} {seconds:9.3f} s   objective {objective:,.4f}  {extra}")


# ---- 2. close ------------------------------------------------------------------------------------
def bench_close(ctx: Context, reps: int, time_limit: float) -> None:
    print("## 2. Close 18 of baseline-2024's 35 located counters, no rules, by day\n")
    est = ctx.estate
    start = ctx.state("baseline-2024")
    band = parse_band("day")
    ids = [s for s in sorted(start.hours) if est.has_column(s)]
    minutes = ctx.matrix(band)[:, [est.column(s) for s in ids]].astype(np.float64) / 60.0
    pop = ctx.units.weights()["all"]
    for measure in ("beyond", "mean"):
        harm = Harm(measure, 45, (("day", 1.0),))
        inst = close_instance(ctx, "baseline-2024", harm, k=18)
        h_time = _median_time(lambda inst=inst: solve(inst, method="heuristic"), reps)
        h = solve(inst, method="heuristic")
        e = solve(inst, method="exact", time_limit=time_limit)
        hv, ev_ = inst.objective(h.x), inst.objective(e.x)
        label = "MCLP (residents beyond 45 min)" if measure == "beyond" else "p-median (mean minutes, cap 180)"
        print(f"{label}: {inst.n_pairs:,} pairs that can matter of {minutes.size:,}")
        _row("ours, heuristic", h_time, hv, f"({h.detail['evaluations']:,} evaluations)")
        e_s = e.detail["exact_seconds"]
        _row("ours, exact (bound, then HiGHS)", e_s, ev_, f"gap {e.gap:.2e}, {e.detail['status']}")
        _highs_alone(inst, h.x, time_limit)
        if measure == "beyond":
            cost = np.where(np.isfinite(minutes), minutes, 1e6)
            s = run_spopt("mclp", cost, pop, 17, radius=45.0)
            s_obj = float(pop.sum() - s["objective"]) if "objective" in s else float("nan")
        else:
            cost = np.minimum(minutes, 180.0)
            s = run_spopt("pmedian", cost, pop, 17)
            s_obj = s["objective"] / float(pop.sum()) if "objective" in s else float("nan")
        if "error" in s:
            print(f"  spopt: {s['error']}")
        else:
            _row(f"spopt {'MCLP' if measure == 'beyond' else 'PMedian'} (HiGHS via PuLP)", s["seconds"], s_obj,
                 f"{s['status']}, model build {s['build_s']:.1f} s")
            print(f"  ratios: spopt / ours heuristic {s['seconds'] / h_time:,.0f}x; spopt / ours exact "
                  f"{s['seconds'] / e_s:,.1f}x; objectives heuristic / exact {hv / ev_:.6f}, "
                  f"spopt / exact {s_obj / ev_:.6f}")
        print()


# ---- 3. open -------------------------------------------------------------------------------------
def bench_open(ctx: Context, reps: int, time_limit: float, *, peer: bool, hosts: tuple[str, ...] = ()) -> None:
    among = f"the {' and '.join(hosts)} candidates" if hosts else "every candidate host"
    print(f"## 3. Open 5 contact points among {among} over baseline-2024, day and night\n")
    for measure in ("beyond", "mean"):
        harm = Harm(measure, 45, (("day", 1.0), ("night", 1.0)))
        t0 = time.perf_counter()
        inst = open_instance(ctx, "baseline-2024", harm, k=5, hosts=hosts)
        t_build = time.perf_counter() - t0
        h_time = _median_time(lambda inst=inst: solve(inst, method="heuristic"), reps)
        h = solve(inst, method="heuristic")
        e = solve(inst, method="exact", time_limit=time_limit)
        hv, ev_ = inst.objective(h.x), inst.objective(e.x)
        label = "MCLP (residents beyond 45 min, day + night)" if measure == "beyond" else \
            "p-median (mean minutes, day + night, cap 180)"
        print(f"{label}: {inst.n_sites:,} candidates, {inst.n_pairs:,} pairs that can matter of "
              f"{inst.n_sites * 2 * len(ctx.units):,} (instance built in {t_build:.2f} s)")
        _row("ours, heuristic", h_time, hv, f"({h.detail['evaluations']:,} evaluations, {h.detail['swaps']} swaps)")
        gap = f"gap {e.gap:.2e}" if e.gap is not None and np.isfinite(e.gap) else "no bound"
        _row("ours, exact (bound, then HiGHS)", e.detail["exact_seconds"], ev_,
             f"{gap}, {e.detail['status']}; bound {e.bound:,.4f}")
        _highs_alone(inst, h.x, time_limit)
        print(f"  heuristic / exact objective {hv / ev_:.6f}")
        n_rows, n_cols = 2 * len(ctx.units), inst.n_sites + 35
        if peer and measure == "mean" and n_rows * n_cols > SPOPT_MAX_ASSIGNMENTS:
            print(f"  spopt PMedian on the same {n_rows:,} x {n_cols:,} cost matrix would have "
                  f"{n_rows * n_cols:,} assignment variables: not run (more than {SPOPT_MAX_ASSIGNMENTS:,})")
        elif peer:
            s = _spopt_open(ctx, inst, measure)
            if "error" in s:
                print(f"  spopt on the same {n_rows:,} x {n_cols:,} cost matrix: {s['error']}")
            else:
                # spopt's MCLP maximises residents covered over the day rows and the night rows; its
                # PMedian minimises the weighted minutes: restated as ours (each band's figure, summed)
                pop = float(ctx.units.weights()["all"].sum())
                s_obj = 2.0 * pop - s["objective"] if measure == "beyond" else s["objective"] / pop
                _row(f"spopt {'MCLP' if measure == 'beyond' else 'PMedian'} (HiGHS via PuLP)", s["seconds"],
                     s_obj, f"{s['status']}, model build {s['build_s']:.1f} s")
                # spopt's time includes building its model from the cost matrix, so ours includes the instance build
                ours_h, ours_e = t_build + h_time, t_build + e.detail["exact_seconds"]
                print(f"  ratios (ours with the {t_build:.2f} s instance build): spopt / ours heuristic "
                      f"{s['seconds'] / ours_h:,.0f}x; spopt / ours exact {s['seconds'] / ours_e:,.0f}x; "
                      f"objectives spopt / exact {s_obj / ev_:.6f}")
        print()


def _spopt_open(ctx: Context, inst: Any, measure: str) -> dict[str, Any]:
    """The open question as spopt sees it: stacked day and night rows, the counters predefined."""
    est = ctx.estate
    counters = [s for s in sorted(inst.base_hours) if est.has_column(s)]
    cols = [est.column(s) for s in counters] + [est.column(s) for s in inst.site_ids]
    blocks = []
    for b, _ in inst.harm.bands:
        band = parse_band(b)
        m = ctx.matrix(band)[:, cols].astype(np.float64) / 60.0
        for i, s in enumerate(counters):
            if not est.hours(inst.base_hours[s]).is_open(band.weekday, band.minute):
                m[:, i] = np.inf
        for i in range(inst.n_sites):
            if not est.hours(inst.hours1[i]).is_open(band.weekday, band.minute):
                m[:, len(counters) + i] = np.inf
        blocks.append(m)
    cost = np.vstack(blocks)
    pop = np.tile(ctx.units.weights()["all"], len(blocks))
    pre = np.r_[np.ones(len(counters)), np.zeros(inst.n_sites)].astype(int)
    p = len(counters) + inst.p
    if measure == "beyond":
        return run_spopt("mclp", np.where(np.isfinite(cost), cost, 1e6), pop, p, radius=45.0, predefined=pre)
    return run_spopt("pmedian", np.minimum(cost, 180.0), pop, p, predefined=pre)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 20 s time limits, no spopt on 'open'")
    ap.add_argument("--only", type=int, choices=(1, 2, 3), help="run only this section")
    ap.add_argument("--spopt-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.spopt_child:
        _spopt_child(args.spopt_child)
        return
    logging.basicConfig(level=logging.ERROR)
    reps, time_limit = (3, 20.0) if args.quick else (5, 60.0)
    print(f"# Optimiser benchmark ({time.strftime('%Y-%m-%d %H:%M')}, "
          f"{len(__import__('os').sched_getaffinity(0))} cores, mode {MODE})\n")
    p = Planner()
    for b in ("day", "night"):
        p.matrix(MODE, b)
    ctx = Context.from_planner(p, MODE)
    if args.only in (None, 1):
        bench_evaluations(ctx, reps)
    if args.only in (None, 2):
        bench_close(ctx, reps, time_limit)
    if args.only in (None, 3):
        # every host: too large for spopt to build; the libraries alone: the same question spopt can hold
        bench_open(ctx, reps, time_limit, peer=False)
        bench_open(ctx, reps, time_limit, peer=not args.quick, hosts=("library",))
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
