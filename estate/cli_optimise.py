"""``estate optimise``: its arguments and its command (the rest of the CLI is :mod:`estate.cli`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from estate.errors import OptimiseError
from geodata.cluster import add_cluster_arguments
from geodata.travel.base import MODES

__all__ = ["add_optimise", "cmd_optimise"]


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
    from estate.cli import _emit, _planner, _progress_bar
    from estate.outputs.optimise import answer_text, curve_chart_html, curve_chart_png
    from geodata import atomic_write_bytes, atomic_write_text

    q = args.question
    if args.time_limit is not None and not args.time_limit > 0:
        raise OptimiseError(f"--time-limit {args.time_limit:g}: give a number of seconds above 0 (e.g. 60)")
    hours: dict[str, str] = {}
    for h in getattr(args, "hours", None) or []:
        host, sep, val = h.partition("=")
        hours[host.strip() if sep else "*"] = (val if sep else host).strip()
    req = opt.Request(
        question=q, start=args.start, mode=args.mode, bands=_bands(args.band, opt.default_bands(q)[0][0]),
        measure=args.measure, threshold=args.threshold, cutoff_min=args.cutoff, weight_65_plus=args.weight_65,
        weight_deprived=args.weight_deprived, rules=getattr(args, "rules", None) or "default",
        lock_open=tuple(_ids(args.lock_open)), lock_closed=tuple(_ids(args.lock_closed)),
        allow_unlocated=getattr(args, "allow_unlocated", False), method=args.method,
        time_limit=args.time_limit if args.time_limit is not None else 60.0,
        k=getattr(args, "k", None), keep=getattr(args, "keep", None), m=getattr(args, "m", None),
        target=getattr(args, "target", None), hosts=tuple(getattr(args, "host", None) or ()),
        boroughs=tuple(getattr(args, "borough", None) or ()), retailers=tuple(getattr(args, "retailer", None) or ()),
        host_hours=hours, part_time_hours=getattr(args, "part_time_hours", None), scenario_id=args.save,
        curve=bool(args.curve or args.chart), curve_max=getattr(args, "curve_max", 10))
    req.check()
    p = _planner(args)
    p.matrix(args.mode, req.harm().bands[0][0], progress=_progress_bar(f"{args.mode} matrix"))
    ans = opt.run(p, req)
    ctx = opt.Context.from_planner(p, args.mode)
    harm = ans.harm
    if args.chart and ans.curve:
        title = f"{ans.harm.describe()} against the number of {q} ({args.mode}, from {args.start})"
        if args.chart.lower().endswith(".png"):
            atomic_write_bytes(Path(args.chart), curve_chart_png(ans.curve, q, ans.harm.unit, title))
        else:
            atomic_write_text(Path(args.chart), curve_chart_html(ans.curve, q, ans.harm.unit, title))
        print(f"wrote the trade-off chart to {args.chart}", file=sys.stderr)
    if args.save:
        path = opt.save_answer(ans, ctx, p.scenarios_dir, force=args.force_out)
        print(f"wrote {path}; read its case with: estate evidence {ans.scenario.id} --against {args.start} "
              f"--mode {args.mode} --band {harm.bands[0][0]} --out DIR", file=sys.stderr)
    if args.format == "json":
        _emit(json.dumps(ans.to_dict(), indent=2), args.out, args.force_out)
    else:
        _emit(answer_text(ans, engine_note=p.engine_facts(args.mode).describe), args.out, args.force_out)
    return 0


def add_optimise(sub: Any) -> None:
    """The ``estate optimise close|open|keep-24-7`` subcommands."""
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
        # not dest "force": that is the study area (``estate --force all optimise ...``)
        q.add_argument("--force", action="store_true", dest="force_out",
                       help="with --save or --out: overwrite an existing file")
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
