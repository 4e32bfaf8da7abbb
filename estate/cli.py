"""The ``estate`` command line.

    estate scenarios
    estate sites [--problems | --candidates]
    estate coverage SCENARIO --mode walk --band day --format table|csv|json
    estate compare BASE SCENARIO --mode transit --band night
    estate build
    estate evidence SCENARIO --against BASE --mode transit --band night --out DIR [--sweep FILE]
    estate sweep SCENARIO --against BASE --mode M --band B --draws N --vary KEY=LOW:HIGH
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
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from estate import text
from estate.coverage import THRESHOLDS
from geodata.cluster import add_cluster_arguments
from geodata.errors import PlannerError
from geodata.travel.base import MODES

if TYPE_CHECKING:
    import pandas as pd

    from estate.planner import Planner
    from estate.rules import RuleSet
    from estate.sweep import SweepSummary
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
        street_network=args.streets, gtfs=args.gtfs, grouping=args.areas,
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
        if not args.mode:  # every mode: one with no engine here (no timetable) is named and skipped
            from geodata.errors import MissingDataError

            try:
                p.engine_facts(m)
            except MissingDataError as exc:
                print(f"{m}: skipped: {exc}", file=sys.stderr)
                continue
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
    sweep: SweepSummary | None = None,
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
    ev = build_evidence(planner, scenario_id, against=against, mode=mode, bands=bands, rules=rules, sweep=sweep)
    return export.write_evidence(planner, ev, out_dir, progress=progress, workers=min(2, os.cpu_count() or 1))


def cmd_evidence(args: argparse.Namespace) -> int:
    from estate.evidence import evidence_bands
    from estate.rules import load_rules
    from estate.sweep import load_summary

    p = _planner(args)
    bands = evidence_bands(args.band or ())  # day and night always, then any bands named
    rules = load_rules(Path(args.rules)) if args.rules else None
    out = write_evidence_pack(p, args.scenario, against=args.against, mode=args.mode, bands=bands,
                              out_dir=Path(args.out), rules=rules, progress=_progress_bar("evidence"),
                              sweep=load_summary(args.sweep) if args.sweep else None)
    print(f"wrote the evidence pack to {out}", file=sys.stderr)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from estate import sweep
    from estate.outputs.files import check_output

    sweep.check_draws(args.draws, args.seed)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error" if args.verbose < 2 else "info")  # workers' log: -vv
    ranges = [sweep.parse_range(v, args.mode) for v in args.vary or []]
    if args.out:
        check_output(args.out, force=args.force_out)
    res = sweep.run_sweep(_planner(args), args.scenario, against=args.against, mode=args.mode, band=args.band,
                          ranges=ranges or None, draws=args.draws, seed=args.seed, threshold=args.threshold,
                          workers=args.workers, scheduler=args.scheduler, progress=_progress_bar("sweep draws"))
    _emit(json.dumps(res.to_dict(), indent=2) if args.format == "json" else res.table(), args.out, args.force_out)
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
    _engine_line(p, args.mode)
    return 0


def _engine_line(p: Planner, mode: str) -> None:
    """On stderr, for a table without a place for it: the engine, and its note when it is partial."""
    facts = p.engine_facts(mode)
    if p.engine_coverage(mode) is not None:
        print(f"engine {facts.name}: {facts.describe}", file=sys.stderr)


def cmd_access(args: argparse.Namespace) -> int:
    from estate import analysis

    p = _planner(args, register_optional=_hosts_only(args))
    p.matrix(args.mode, args.band, progress=_progress_bar(f"{args.mode} matrix"))
    df = analysis.access_table(p, args.mode, args.band, within=args.within, host=args.host,
                               scenario=args.scenario)
    facts, partial = p.engine_facts(args.mode), p.engine_coverage(args.mode)
    if args.format == "json":
        recs: list[dict[str, Any]] = [
            {"unit_id": u, "nearest_min": (None if m != m else float(m)), "sites_within": int(c)}
            for u, m, c in zip(df["unit_id"], df["nearest_min"], df["sites_within"], strict=True)]
        head: dict[str, Any] = {"mode": args.mode, "band": args.band, "within_min": args.within,
                                "host": args.host, "scenario": args.scenario, "engine": facts.name,
                                "engine_note": facts.describe}
        if partial is not None:  # which units got network times, which crow-fly
            head["engine_coverage"] = partial[0]
            for r in recs:
                r["engine"] = "streets" if r["unit_id"] in partial[1] else "crowfly"
        _emit(json.dumps({**head, "units": recs}, indent=1), args.out)
    else:
        _emit(df.to_csv(index=False, na_rep=""), args.out)
        _engine_line(p, args.mode)
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


def build_parser() -> argparse.ArgumentParser:
    from estate import sweep

    ap = argparse.ArgumentParser(prog="estate", description="Police estate planner: coverage and evidence for front-counter scenarios.")
    ap.add_argument("--data", help="data directory (default: $ESTATE_DATA or ../shared/london; "
                    "with --area/--force other than london: $ESTATE_NATIONAL or ../shared/national)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--area", help="study area: london (default) or newport")
    where.add_argument("--force", help="study area: any of the 43 police force areas of England and Wales, "
                       "by name or PFA 2024 code (e.g. Gwent, W15000002); needs --register")
    ap.add_argument("--areas", help="how figures are divided: district (the default; London's boroughs) or csp "
                    "(community safety partnerships, from the national pack)")
    ap.add_argument("--scenarios", help="scenario folder (default: the repository's scenarios/)")
    ap.add_argument("--register", help="a register CSV to use instead of the area's own (London: the Met "
                    "counters; Newport: its OpenStreetMap police stations)")
    ap.add_argument("--settings", help="YAML file of engine settings (sections crowfly, transit, streets)")
    ap.add_argument("--streets", help="OSM file (PBF, OSM, GraphML) for network walk/drive times (default $ESTATE_STREETS)")
    ap.add_argument("--gtfs", help="GTFS feed for transit instead of the TfL files (default $ESTATE_GTFS)")
    ap.add_argument("--no-cache", action="store_true", help="do not read or write the matrix cache")
    ap.add_argument("-v", "--verbose", action="count", default=0)
    sub = ap.add_subparsers(dest="command", required=True)

    def fmt(p: argparse.ArgumentParser, formats: tuple[str, ...] = ("table", "csv", "json")) -> None:
        p.add_argument("--format", choices=formats, default="table")
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
    p.add_argument("--sweep", help="a sweep of this scenario (estate sweep --format json --out FILE): each case "
                   "then states its rank and harm across the draws")
    add_cluster_arguments(p)
    p.set_defaults(func=cmd_evidence)
    p = sub.add_parser("sweep", help="each case's rank and harm across draws of the engine settings (median, 5-95%%)")
    mb(p)
    sweep.add_arguments(p)  # scenario, --against, --draws, --vary, --seed, --threshold, --workers, --scheduler
    fmt(p, ("table", "json"))
    p.set_defaults(func=cmd_sweep)
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
    from estate.cli_optimise import add_optimise

    add_optimise(sub)
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
