"""The ``estate`` command line.

    estate scenarios
    estate sites [--problems | --candidates]
    estate coverage SCENARIO --mode walk --band day --format table|csv|json
    estate compare BASE SCENARIO --mode transit --band night
    estate build
    estate evidence SCENARIO --against BASE --mode transit --band night --out DIR
    estate map BASE SCENARIO --mode walk --band night --out map.html
    estate network download --place "Camden, London" --mode walk --out camden.graphml
    estate matrix --mode transit --band day --out times.parquet [--max-minutes 60] [--host H]
    estate access --mode transit --band day [--within 30] [--host H] [--scenario ID] --format csv
    estate journey FROM TO --mode transit --band day [--format text|json]
    estate optimise close --k 18 | open --k 5 --host supermarket | keep-24-7 --m 2
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from estate import text
from estate.coverage import THRESHOLDS
from estate.errors import OptimiseError
from geodata.cluster import add_cluster_arguments
from geodata.errors import PlannerError
from geodata.travel.base import MODES

if TYPE_CHECKING:
    import pandas as pd

    from estate.planner import Planner
    from estate.rules import RuleSet
    from geodata.travel.base import ProgressFn, TimeBand

__all__ = ["main", "write_evidence_pack"]

log = logging.getLogger("estate")


def _progress_bar(desc: str) -> Any:
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr (tqdm loads on the first call)."""
    state: dict[str, Any] = {}

    def cb(done: int, total: int) -> None:
        from tqdm import tqdm

        bar = state.get("bar")
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = state["bar"] = tqdm(total=total, desc=desc, unit="", leave=False, file=sys.stderr,
                                      disable=not sys.stderr.isatty())
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
            state.pop("bar", None)

    return cb


def _planner(args: argparse.Namespace, *, register_optional: bool = False) -> Planner:
    from estate.planner import Planner
    from geodata.studyarea import study_area

    p = Planner(
        args.data, scenarios_dir=args.scenarios, register_csv=args.register,
        cache_dir=False if args.no_cache else None, settings=args.settings,
        street_network=args.streets, gtfs=args.gtfs,
        area=study_area(args.area, args.force, national=Path(args.data) if args.data and (args.area or args.force) else None),
        workers=getattr(args, "workers", None), scheduler=getattr(args, "scheduler", None),
        register_optional=register_optional,
    )
    cleanup = getattr(args, "cleanup", None)
    if cleanup is not None:
        cleanup.callback(p.close)
    if p.scheduler is not None:
        p.dask_client()  # a scheduler that does not answer is an error now, before any work
    return p


def _emit(text: str, out: str | None, force: bool = False) -> None:
    if out:
        from estate.outputs.files import write_output

        write_output(out, text, force=force)
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _fmt_table(df: pd.DataFrame) -> str:
    return df.to_string(index=False, na_rep=text.MISSING,
                        float_format=lambda v: text.number(v, 3 if abs(v) < 1 else 1))


def cmd_scenarios(args: argparse.Namespace) -> int:
    p = _planner(args)
    df = p.scenario_table()
    bad = p.scenario_problems()
    if args.format == "json":
        _emit(json.dumps(df.to_dict("records"), indent=2), args.out, args.force_out)
    elif args.format == "csv":
        from estate.outputs.tables import csv_text

        _emit(csv_text(df), args.out, args.force_out)
    else:
        _emit(_fmt_table(df), args.out, args.force_out)
    for name, why in bad.items():
        print(f"error: scenario {name} is broken: {' '.join(why.split())}", file=sys.stderr)
    return 2 if bad else 0


def cmd_sites(args: argparse.Namespace) -> int:
    p = _planner(args)
    est = p.estate
    if args.problems:
        df = est.problems
        if df.empty:
            print("no problems: every register site has a usable location", file=sys.stderr)
    elif args.candidates:
        df = est.candidates
        if args.host:
            df = df[df["host"] == args.host]
    else:
        df = est.register
    cols = ["site_id", "name", "kind", "host", "area_name", "open", "hours", "footfall", "problem"]
    if args.candidates:
        cols = ["site_id", "name", "host", "retailer", "area_name", "postcode"]
    df = df[cols] if args.format == "table" else df
    if args.format == "json":
        _emit(df.to_json(orient="records", indent=2), args.out, args.force_out)
    elif args.format == "csv":
        from estate.outputs.tables import csv_text

        _emit(csv_text(df), args.out, args.force_out)
    else:
        _emit(_fmt_table(df.reset_index(drop=True)), args.out, args.force_out)
    return 0


def _table_view(df: pd.DataFrame, thresholds: Sequence[int]) -> pd.DataFrame:
    view = df[["code", "name", "population", "open_sites", "open_24_7"]].copy()
    for t in thresholds:
        view[f"<={t}m %"] = (df[f"share_within_{t}"].astype(float) * 100).round(1)
    view["beyond 45m"] = df.get("beyond_45", None)
    view[["mean", "median", "p95"]] = df[["mean_min", "median_min", "p95_min"]]
    return view


def cmd_coverage(args: argparse.Namespace) -> int:
    p = _planner(args)
    p.matrix(args.mode, args.band, progress=_progress_bar(f"{args.mode} matrix"))
    res = p.coverage(args.scenario, args.mode, args.band)
    if args.format == "json":
        _emit(json.dumps(res.to_dict(), indent=2), args.out, args.force_out)
    elif args.format == "csv":
        from estate.outputs.tables import coverage_frame, csv_text

        _emit(csv_text(coverage_frame(res)), args.out, args.force_out)
    else:
        from estate.outputs.tables import coverage_frame

        head = f"{args.scenario}: {args.mode}, {args.band} — engine {res.engine}: {res.engine_note}"
        _emit(head + "\n" + _fmt_table(_table_view(coverage_frame(res), THRESHOLDS)), args.out, args.force_out)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    p = _planner(args)
    p.matrix(args.mode, args.band, progress=_progress_bar(f"{args.mode} matrix"))
    cmp_ = p.compare(args.base, args.scenario, args.mode, args.band)
    if args.format == "json":
        _emit(json.dumps(cmp_.to_dict(), indent=2), args.out, args.force_out)
        return 0
    from estate.outputs.tables import compare_frame

    df = compare_frame(cmp_.base, cmp_.scenario, args.threshold)
    if args.format == "csv":
        from estate.outputs.tables import csv_text

        _emit(csv_text(df), args.out, args.force_out)
    else:
        t = args.threshold
        view = df[["name", "open_sites_base", "open_sites_scenario", f"beyond_{t}_base",
                   f"beyond_{t}_scenario", f"beyond_{t}_change", "mean_min_base", "mean_min_scenario"]]
        view = view.rename(columns=lambda c: c.replace("_scenario", " scen").replace("_base", " base"))
        head = (f"{args.base} -> {args.scenario}: {args.mode}, {args.band}; residents beyond {t} minutes "
                f"— engine {cmp_.scenario.engine}: {cmp_.scenario.engine_note}")
        _emit(head + "\n" + _fmt_table(view), args.out, args.force_out)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    p = _planner(args)
    modes = tuple(args.mode or MODES)
    bands = tuple(args.band or ("day", "night", "weekend-night"))
    for m in modes:
        for b in bands:
            p.matrix(m, b, progress=_progress_bar(f"{m} {b}"))
    for (m, v), rep in sorted(p.matrix_reports.items()):
        print(f"{m:8s} {v:12s} {rep['status']:6s} {rep['seconds']:7.2f} s  {rep['path']}")
    return 0


def write_evidence_pack(
    planner: Planner,
    scenario_id: str,
    *,
    against: str,
    mode: str,
    bands: Sequence[str | TimeBand] = ("day", "night"),
    out_dir: str | os.PathLike[str],
    rules: RuleSet | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """Build the evidence of ``scenario_id`` against ``against`` and write the whole pack to ``out_dir``.

    The folder is replaced whole, atomically: complete or not at all.  The
    output path is checked before any computation.

    Raises
    ------
    OutputError
        For an output path that is a file, not writable, a folder that does not hold a pack,
        or inside (or around) the scenarios folder.
    ScenarioError
        When the scenario and the base are the same.
    UnknownScenarioError
        For an unknown scenario or base id.
    """
    from estate.evidence import build_evidence
    from estate.outputs import export

    export.check_out_dir(out_dir, protected={"scenarios folder": planner.scenarios_dir})
    ev = build_evidence(planner, scenario_id, against=against, mode=mode, bands=bands, rules=rules)
    return export.write_evidence(planner, ev, out_dir, progress=progress, workers=min(2, os.cpu_count() or 1))


def cmd_evidence(args: argparse.Namespace) -> int:
    from estate.evidence import evidence_bands
    from estate.rules import load_rules

    p = _planner(args)
    bands = evidence_bands(args.band or ())  # day and night always, then any bands named
    rules = load_rules(Path(args.rules)) if args.rules else None
    out = write_evidence_pack(p, args.scenario, against=args.against, mode=args.mode, bands=bands,
                              out_dir=Path(args.out), rules=rules, progress=_progress_bar("evidence"))
    print(f"wrote the evidence pack to {out}", file=sys.stderr)
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from estate.outputs import maps
    from estate.outputs.files import check_output, write_output
    from geodata.travel.base import parse_band

    check_output(args.out, force=args.force_out)
    p = _planner(args)
    p.matrix(args.mode, args.band, progress=_progress_bar(f"{args.mode} matrix"))
    cmp_ = p.compare(args.base, args.scenario, args.mode, args.band)
    base, res = cmp_.base, cmp_.scenario
    if args.metric not in maps.METRICS:
        print(f"error: unknown metric {args.metric!r}: use one of {', '.join(maps.METRICS)}", file=sys.stderr)
        return 2
    geo = maps.geometry_for(p).web
    band = parse_band(args.band)
    sites = maps.site_frame(p.estate, p.state(args.base), p.state(args.scenario), base, res,
                            p.units.weights()["all"], band)
    values = maps.values_by_code(res.area_codes, maps.metric_values(args.metric, base, res, args.threshold))
    title = f"{args.scenario} vs {args.base}: {args.mode}, {band.label}"
    m = maps.coverage_map(geo, borough_values=values, borough_scale=maps.metric_scale(args.metric, args.threshold),
                          sites=sites, band_label=band.label, title=title)
    write_output(args.out, maps.map_html(m), force=args.force_out)
    print(f"wrote {args.out}: one HTML file that opens offline (the base-map tiles need the internet)",
          file=sys.stderr)
    return 0


def _hosts_only(args: argparse.Namespace) -> bool:
    """Does the command ask of candidate hosts alone (so an area with no register can answer)?"""
    return bool(args.host) and args.host != "police" and not getattr(args, "scenario", None)


def cmd_matrix(args: argparse.Namespace) -> int:
    from estate import analysis

    p = _planner(args, register_optional=_hosts_only(args))
    p.matrix(args.mode, args.band, progress=_progress_bar(f"{args.mode} matrix"))
    df = analysis.matrix_long(p, args.mode, args.band, max_minutes=args.max_minutes, host=args.host)
    out = analysis.write_table(df, Path(args.out), overwrite=args.overwrite)
    print(f"wrote {out}: {len(df):,} pairs (from_id, to_id, travel_time_min)", file=sys.stderr)
    return 0


def cmd_access(args: argparse.Namespace) -> int:
    from estate import analysis

    p = _planner(args, register_optional=_hosts_only(args))
    p.matrix(args.mode, args.band, progress=_progress_bar(f"{args.mode} matrix"))
    df = analysis.access_table(p, args.mode, args.band, within=args.within, host=args.host,
                               scenario=args.scenario)
    if args.format == "json":
        recs = [{"unit_id": u, "nearest_min": (None if m != m else float(m)), "sites_within": int(c)}
                for u, m, c in zip(df["unit_id"], df["nearest_min"], df["sites_within"], strict=True)]
        _emit(json.dumps({"mode": args.mode, "band": args.band, "within_min": args.within,
                          "host": args.host, "scenario": args.scenario, "units": recs}, indent=1), args.out)
    else:
        _emit(df.to_csv(index=False, na_rep=""), args.out)
    return 0


def cmd_journey(args: argparse.Namespace) -> int:
    from estate import analysis

    p = _planner(args)
    if args.mode != "transit":
        print("error: journeys are transit journeys: use --mode transit", file=sys.stderr)
        return 2
    j = analysis.journey(p, args.origin, args.destination, args.band)
    if args.format == "json":
        _emit(json.dumps(j, indent=2), args.out)
    else:
        lines = [f"{j['from']} -> {j['to']}, {j['band']}: {text.minutes(j['minutes'], unit=True)} "
                 f"(walking all the way {text.minutes(j['walk_all_the_way_min'], unit=True)})"]
        lines += [f"  {lg['minutes']:5.1f} min  {lg['text']}" for lg in j["legs"]]
        _emit("\n".join(lines), args.out)
    return 0


def cmd_network_download(args: argparse.Namespace) -> int:
    from geodata.travel.streets import download_street_graph

    path = download_street_graph(args.place, args.mode, Path(args.out))
    print(f"wrote {path}; use it with --streets {path} or ESTATE_STREETS={path}", file=sys.stderr)
    return 0


def _bands(values: Sequence[str] | None, default: str) -> tuple[tuple[str, float], ...]:
    """``--band night --band day=0.5`` -> ((night, 1.0), (day, 0.5))."""
    out = []
    for v in values or [default]:
        name, _, weight = v.partition("=")
        try:
            w = float(weight) if weight else 1.0
        except ValueError:
            raise OptimiseError(f"--band {v!r}: the weight after '=' must be a number (e.g. night=2)") from None
        out.append((name.strip(), w))
    return tuple(out)


def _ids(values: Sequence[str] | None) -> list[str]:
    """Repeatable, comma-separated site ids."""
    return [s.strip() for v in values or [] for s in v.split(",") if s.strip()]


def cmd_optimise(args: argparse.Namespace) -> int:
    from estate import optimise as opt
    from estate.outputs.optimise import answer_text, curve_chart_html, curve_chart_png
    from estate.rules import DEFAULT_RULES, load_rules
    from geodata import atomic_write_bytes, atomic_write_text

    q = args.question
    if args.time_limit is not None and not args.time_limit > 0:
        raise OptimiseError(f"--time-limit {args.time_limit:g}: give a number of seconds above 0 (e.g. 60)")
    time_limit = args.time_limit if args.time_limit is not None else 60.0
    harm = opt.Harm(args.measure, args.threshold, _bands(args.band, "night" if q == "keep-24-7" else "day"),
                    cutoff_min=args.cutoff, weight_65_plus=args.weight_65, weight_deprived=args.weight_deprived)
    rules_arg = getattr(args, "rules", None)
    rules = None if rules_arg == "none" else (load_rules(Path(rules_arg)) if rules_arg else DEFAULT_RULES)
    p = _planner(args)
    p.matrix(args.mode, harm.bands[0][0], progress=_progress_bar(f"{args.mode} matrix"))
    ctx = opt.Context.from_planner(p, args.mode)
    locks = {"lock_open": _ids(args.lock_open), "lock_closed": _ids(args.lock_closed)}
    k_total = None
    if q == "close":
        if (args.k is None) == (args.keep is None):
            raise OptimiseError("close: give --k (how many close) or --keep (how many stay open)")
        inst = opt.close_instance(ctx, args.start, harm, k=args.k, keep=args.keep, rules=rules,
                                  allow_unlocated=args.allow_unlocated, **locks)
        k_total = args.k
    elif q == "open":
        hours = {}
        for h in args.hours or []:
            host, sep, val = h.partition("=")
            hours[host.strip() if sep else "*"] = (val if sep else host).strip()
        inst = opt.open_instance(ctx, args.start, harm, k=args.k, hosts=args.host or (), boroughs=args.borough or (),
                                 retailers=args.retailer or (), host_hours=hours, **locks)
    else:
        if (args.m is None) == (args.target is None):
            raise OptimiseError("keep-24-7: give --m (how many stay 24/7) or --target (a share, e.g. 0.6)")
        m = args.m if args.m is not None else 1 + len(locks["lock_open"])
        inst = opt.keep_24_7_instance(ctx, args.start, harm, m=m, rules=rules,
                                      part_time_hours=args.part_time_hours, **locks)
    opt.check_feasible(inst, rules, k_total=k_total)
    if q == "keep-24-7" and args.target is not None:
        m, _ = opt.smallest_m(ctx, inst, args.target, method=args.method, time_limit=time_limit)
        inst = dataclasses.replace(inst, p=m - len(locks["lock_open"]))
    sol = opt.solve(inst, method=args.method, time_limit=time_limit)
    ans = opt.answer(ctx, inst, sol, scenario_id=args.save, rules=rules)
    if q == "keep-24-7" and args.target is not None:
        got = opt.shares_within(ctx, harm, inst.hours_of(sol.x))
        ans.notes.insert(2, f"the fewest 24/7 counters keeping {text.share(args.target)} of residents within "
                            f"{harm.threshold} minutes in every band: {m} ("
                            + ", ".join(f"{b} {text.share(v)}" for b, v in got.items()) + ")")
    if args.curve or args.chart:
        if q == "close":
            counts = range(1, inst.n_sites + 1 + sum(1 for _, w in inst.locked.values() if w == "locked closed"))
        elif q == "open":
            counts = range(1, args.curve_max + 1)
        else:
            counts = range(1, inst.n_sites + 1 + sum(1 for _, w in inst.locked.values() if w == "locked 24/7"))
        ans.curve = opt.trade_off(ctx, inst, list(counts))
    if args.chart and ans.curve:
        title = f"{ans.harm.describe()} against the number of {q} ({args.mode}, from {args.start})"
        if args.chart.lower().endswith(".png"):
            atomic_write_bytes(Path(args.chart), curve_chart_png(ans.curve, q, ans.harm.unit, title))
        else:
            atomic_write_text(Path(args.chart), curve_chart_html(ans.curve, q, ans.harm.unit, title))
        print(f"wrote the trade-off chart to {args.chart}", file=sys.stderr)
    if args.save:
        path = opt.save_answer(ans, ctx, p.scenarios_dir, force=args.force)
        print(f"wrote {path}; read its case with: estate evidence {ans.scenario.id} --against {args.start} "
              f"--mode {args.mode} --band {harm.bands[0][0]} --out DIR", file=sys.stderr)
    if args.format == "json":
        _emit(json.dumps(ans.to_dict(), indent=2), args.out)
    else:
        _emit(answer_text(ans, engine_note=p.engine_facts(args.mode).describe), args.out)
    return 0


def _add_optimise(sub: Any) -> None:
    from estate.optimise import MEASURES, METHODS

    p = sub.add_parser("optimise", help="least-harm closures, the best new contact points, which counters stay 24/7")
    qsub = p.add_subparsers(dest="question", required=True)

    def common(q: argparse.ArgumentParser, *, rules: bool) -> None:
        q.add_argument("--from", dest="start", default="register", help="the starting scenario (default register)")
        q.add_argument("--mode", default="walk", help=f"one of {', '.join(MODES)} (default walk)")
        q.add_argument("--band", action="append",
                       help="a band, optionally with a weight: --band night --band day=0.5 (repeatable)")
        q.add_argument("--measure", choices=MEASURES, default="beyond",
                       help="beyond: residents beyond --threshold (default); mean: population-weighted mean minutes")
        q.add_argument("--threshold", type=int, default=45, help="minutes (default 45)")
        q.add_argument("--cutoff", type=float, default=180.0,
                       help="mean: minutes at which an unreachable resident is counted (default 180)")
        q.add_argument("--weight-65", type=float, default=0.0, help="extra weight on residents aged 65+ (e.g. 1 = double)")
        q.add_argument("--weight-deprived", type=float, default=0.0,
                       help="extra weight on residents of IMD deciles 1-2 (e.g. 1 = double)")
        if rules:
            q.add_argument("--rules", help="YAML borough rules, or 'none' (default: a counter and a 24/7 counter "
                                           "in every borough, City of London exempt)")
        q.add_argument("--lock-open", action="append", help="site id(s) that must stay open / be chosen (repeatable, or a,b)")
        q.add_argument("--lock-closed", action="append", help="site id(s) that must close / not be chosen")
        q.add_argument("--method", choices=METHODS, default="heuristic",
                       help="heuristic (greedy + swaps, fast) or exact (HiGHS mixed-integer model, proven gap)")
        q.add_argument("--time-limit", type=float, help="exact: seconds (default 60)")
        q.add_argument("--curve", action="store_true", help="also the trade-off curve: harm against the count")
        q.add_argument("--chart", help="write the curve as a chart: FILE.png or FILE.html")
        q.add_argument("--save", metavar="ID", help="write the answer as scenarios/ID.yaml")
        q.add_argument("--force", action="store_true", help="with --save: overwrite an existing file")
        q.add_argument("--format", choices=("table", "json"), default="table")
        q.add_argument("--out", help="write to this file (atomically) instead of stdout")
        add_cluster_arguments(q)
        q.set_defaults(func=cmd_optimise)

    c = qsub.add_parser("close", help="which open sites to close for least harm")
    c.add_argument("--k", type=int, help="how many to close")
    c.add_argument("--keep", type=int, help="or: how many stay open")
    c.add_argument("--allow-unlocated", action="store_true",
                   help="let sites with no location close (they are in no travel time, so closing them looks free)")
    common(c, rules=True)
    o = qsub.add_parser("open", help="where to open new contact points among the candidate hosts")
    o.add_argument("--k", type=int, required=True, help="how many to open")
    o.add_argument("--host", action="append", help="host type(s): supermarket, library, fire_station, post_office")
    o.add_argument("--borough", action="append", help="only candidates in these boroughs (name or code)")
    o.add_argument("--retailer", action="append", help="only these retailers (e.g. Tesco)")
    o.add_argument("--hours", action="append",
                   help="hours per host type: supermarket='Mo-Su 07:00-23:00' (repeatable), or one for all")
    o.add_argument("--curve-max", type=int, default=10, help="with --curve: up to this many (default 10)")
    common(o, rules=False)
    k = qsub.add_parser("keep-24-7", help="which counters stay open 24/7 (the rest part-time)")
    k.add_argument("--m", type=int, help="how many stay 24/7")
    k.add_argument("--target", type=float, help="or: the fewest that keep this share within --threshold (e.g. 0.6)")
    k.add_argument("--part-time-hours", help="hours of the counters not kept 24/7 (default: the start's commonest)")
    common(k, rules=True)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="estate", description="Police estate planner: coverage and evidence for front-counter scenarios.")
    ap.add_argument("--data", help="data directory (default: $ESTATE_DATA or ../shared/london; "
                    "with --area/--force other than london: $ESTATE_NATIONAL or ../shared/national)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--area", help="study area: london (default) or newport")
    where.add_argument("--force", help="study area: any of the 43 police force areas of England and Wales, "
                       "by name or PFA 2024 code (e.g. Gwent, W15000002); needs --register")
    ap.add_argument("--scenarios", help="scenario folder (default: the repository's scenarios/)")
    ap.add_argument("--register", help="a register CSV to use instead of the area's own (London: the Met "
                    "counters; Newport: its OpenStreetMap police stations)")
    ap.add_argument("--settings", help="YAML file of engine settings (sections crowfly, transit, streets)")
    ap.add_argument("--streets", help="OSM file (PBF, OSM, GraphML) for network walk/drive times (default $ESTATE_STREETS)")
    ap.add_argument("--gtfs", help="GTFS feed for transit instead of the TfL files (default $ESTATE_GTFS)")
    ap.add_argument("--no-cache", action="store_true", help="do not read or write the matrix cache")
    ap.add_argument("-v", "--verbose", action="count", default=0)
    sub = ap.add_subparsers(dest="command", required=True)

    def fmt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", choices=("table", "csv", "json"), default="table")
        p.add_argument("--out", help="write to this file (atomically) instead of stdout")
        force(p)

    def force(p: argparse.ArgumentParser) -> None:
        p.add_argument("--force", action="store_true", dest="force_out",
                       help="overwrite an existing --out file that estate did not write")

    def mb(p: argparse.ArgumentParser) -> None:
        p.add_argument("--mode", default="walk", help=f"one of {', '.join(MODES)} (default walk)")
        p.add_argument("--band", default="day", help="day, night, evening, weekend-day, weekend-night, or e.g. 'Sat 03:00'")

    p = sub.add_parser("scenarios", help="list the scenarios")
    fmt(p)
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("sites", help="list the register (or candidates, or problems)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--problems", action="store_true", help="sites left out of coverage, and why")
    g.add_argument("--candidates", action="store_true", help="candidate host places")
    p.add_argument("--host", help="with --candidates: supermarket, library, fire_station, post_office")
    fmt(p)
    p.set_defaults(func=cmd_sites)
    p = sub.add_parser("coverage", help="coverage of one scenario per borough")
    p.add_argument("scenario")
    mb(p)
    fmt(p)
    add_cluster_arguments(p)
    p.set_defaults(func=cmd_coverage)
    p = sub.add_parser("compare", help="a scenario against a base, per borough")
    p.add_argument("base")
    p.add_argument("scenario")
    mb(p)
    p.add_argument("--threshold", type=int, default=45, choices=THRESHOLDS)
    fmt(p)
    add_cluster_arguments(p)
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("build", help="build (or load) every travel-time matrix, with progress")
    p.add_argument("--mode", action="append", choices=MODES)
    p.add_argument("--band", action="append")
    add_cluster_arguments(p)
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("evidence", help="write the case-by-case closure evidence pack")
    p.add_argument("scenario")
    p.add_argument("--against", required=True, help="the base scenario")
    p.add_argument("--mode", default="walk", choices=MODES)
    p.add_argument("--band", action="append",
                   help="a band besides day and night, which every pack covers (repeatable): evening, "
                        "weekend-night, or e.g. 'Sat 03:00'")
    p.add_argument("--all-bands", action="store_true", help=argparse.SUPPRESS)  # kept for old scripts: now the default
    p.add_argument("--out", required=True, help="output folder (replaced atomically)")
    p.add_argument("--rules", help="YAML file of borough rules (default: a counter and a 24/7 counter in every borough)")
    add_cluster_arguments(p)
    p.set_defaults(func=cmd_evidence)
    p = sub.add_parser("map", help="a standalone HTML coverage map of a scenario against a base")
    p.add_argument("base")
    p.add_argument("scenario")
    mb(p)
    p.add_argument("--threshold", type=int, default=45, choices=THRESHOLDS)
    p.add_argument("--metric", default="beyond_change",
                   help="beyond_change (default), beyond, share_within, share_change, mean_min, mean_change, p95_min")
    p.add_argument("--out", required=True, help="the HTML file to write (atomically)")
    force(p)
    add_cluster_arguments(p)
    p.set_defaults(func=cmd_map)
    p = sub.add_parser(
        "matrix",
        help="the units x sites travel-time matrix in long form (from_id,to_id,travel_time_min)",
        description="The units x sites matrix in long form, finite pairs only. For all sites by "
        "day that is about 12 million rows (4,994 units x 2,491 sites): narrow it with "
        "--max-minutes or --host, or write .parquet (pyarrow).",
    )
    mb(p)
    p.add_argument("--out", required=True, help="a .csv or .parquet file (written atomically)")
    p.add_argument("--max-minutes", type=float, help="keep pairs within this many minutes")
    p.add_argument("--host", help="one site type: police, supermarket, library, fire_station, post_office")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    add_cluster_arguments(p)
    p.set_defaults(func=cmd_matrix)
    p = sub.add_parser(
        "access",
        help="per unit: minutes to the nearest site and sites within a threshold",
        description="One row per population unit: unit_id,nearest_min,sites_within. Without "
        "--host or --scenario it counts every located site (police sites and every candidate "
        "host), open or not; --host keeps one type; --scenario keeps the sites open in that "
        "scenario in the band. nearest_min is empty (and sites_within 0) where nothing is reached.",
    )
    mb(p)
    p.add_argument("--within", type=float, default=30.0, help="threshold in minutes (default 30)")
    p.add_argument("--host", help="one site type: police, supermarket, library, fire_station, post_office")
    p.add_argument("--scenario", help="count only the sites this scenario has open in the band")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--out", help="write to this file (atomically) instead of stdout")
    add_cluster_arguments(p)
    p.set_defaults(func=cmd_access)
    p = sub.add_parser("journey", help="the fastest public-transport journey between two sites or postcodes, leg by leg")
    p.add_argument("origin", help="a site id (see `estate sites`) or a postcode")
    p.add_argument("destination", help="a site id or a postcode")
    mb(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--out", help="write to this file (atomically) instead of stdout")
    p.set_defaults(func=cmd_journey, mode="transit")
    p = sub.add_parser("network", help="street networks")
    nsub = p.add_subparsers(dest="network_command", required=True)
    d = nsub.add_parser("download", help="download an OSM street network with osmnx (needs the internet)")
    d.add_argument("--place", required=True)
    d.add_argument("--mode", choices=("walk", "drive"), default="walk")
    d.add_argument("--out", required=True)
    d.set_defaults(func=cmd_network_download)
    _add_optimise(sub)
    return ap


#: the exit status of an unexpected error (a bug), as BSD's EX_SOFTWARE
EXIT_BUG = 70


def _crash_log(exc: BaseException) -> Path | None:
    """Write the full trace of an unexpected error to the state folder (else the temporary folder)."""
    import tempfile
    import time
    import traceback

    from estate.settings import state_dir

    trace = "".join(traceback.format_exception(exc))
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    head = f"estate {' '.join(sys.argv[1:])}\n\n"
    for folder in (state_dir() / "logs", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(head + trace, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status.

    0 on success; 2 for a bad input (one line naming the file and the key, row or
    line at fault, and the fix); 70 for an unexpected error (a bug: a short message
    and where its full trace was written); 130 when interrupted.
    """
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
    try:
        with contextlib.ExitStack() as cleanup:  # the planners' Dask clusters close here
            args.cleanup = cleanup
            return int(args.func(args))
    except PlannerError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: ran out of memory; use a smaller register or study area, or a machine with more "
              "memory", file=sys.stderr)
        return EXIT_BUG
    except Exception as exc:  # the boundary: a bug must not look like a bad input
        path = _crash_log(exc)
        where = f"the full trace is in {path}" if path else "the full trace could not be written"
        print(f"error: unexpected {type(exc).__name__}: {_one_line(exc)[:300]} (a bug in estate, not "
              f"your input; {where}; please report it with the command you ran)", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
