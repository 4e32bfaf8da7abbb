"""The optimiser, the evidence pack and the app on all of England and Wales (``--force all``).

Run from the repository root (the national pack at ../shared/national)::

    python benchmarks/national_tools.py [--only optimise,evidence,app] [--cache DIR]

There is no national list of front counters, so the script first writes a
**stand-in register**: 70 real places by postcode (six fire stations from each
of ten English fire and rescue services, ten libraries in four Welsh local
authorities), *not police counters*, 11 of them open 24/7 (the first of each
service and of the libraries) and the rest on office hours, and a stand-in scenario over it (four close, one goes 24/7).  Each
command then runs as its own process (``estate --force all ...``, or a Streamlit
``AppTest`` of the app's first page and its Optimise and Evidence pages), and
the script prints its wall time and its peak resident memory (the process's
``ru_maxrss`` from ``wait4``; Dask workers, which only the first build of a
sparse matrix starts, are not counted).  The matrices come from the cache
(``ESTATE_CACHE``, or ``--cache``): a first run also builds them (walk about
5 s, drive about 40 s).  Prints only, nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = Path(os.environ.get("ESTATE_NATIONAL") or ROOT.parent / "shared" / "national")

#: fire and rescue services whose first six stations (with a postcode Code-Point Open 2025 knows) stand in
SERVICES = ("Greater Manchester", "West Midlands", "West Yorkshire", "Devon and Somerset", "Kent", "Norfolk",
            "Lancashire", "Essex", "North Yorkshire", "Hampshire")
#: Welsh local authorities whose libraries stand in (Newport, Cardiff, Gwynedd, Anglesey)
WELSH = ("W06000022", "W06000015", "W06000002", "W06000001")

SCENARIO = """\
# A stand-in over a stand-in register (fire stations and libraries, NOT police counters). Not a proposal.
id: standin-close-four
title: 'Stand-in: four stand-in sites close, one opens 24/7'
description: 'For measuring the tools on England and Wales; the sites are not police counters.'
base: register
close:
{close}
set_hours:
- id: {day_site}
  hours: "24/7"
"""

APP_FIRST = """\
import os, time
from streamlit.testing.v1 import AppTest
t = time.perf_counter()
at = AppTest.from_file({app!r}, default_timeout=900)
at.run()
assert not at.exception, [e.value for e in at.exception]
print(f"first page {{time.perf_counter() - t:.1f}} s", flush=True)
"""

APP_PAGES = APP_FIRST + """\
at.sidebar.radio(key="page").set_value("optimise").run()
at.radio(key="question").set_value("open").run()
at.number_input(key="k").set_value(5).run()
at.multiselect(key="opt_hosts").set_value(["supermarket"]).run()
t = time.perf_counter()
at.button(key="opt_run").click().run()
assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
print(f"optimise open 5 supermarkets (walk, day, with the curve) {{time.perf_counter() - t:.1f}} s", flush=True)
at.sidebar.radio(key="page").set_value("evidence").run()
t = time.perf_counter()
at.button(key="ev_prepare").click().run()
assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
print(f"evidence pack prepared {{time.perf_counter() - t:.1f}} s", flush=True)
"""


def standin_register(out: Path) -> tuple[Path, Path]:
    """Write the stand-in register and scenario folder into ``out``; return their paths."""
    import pandas as pd

    from geodata.postcodes import UnknownPostcodeError
    from geodata.studyarea import national_geocoder

    geocoder = national_geocoder(NATIONAL)
    fire = pd.read_csv(NATIONAL / "hosts" / "home_office_fire_stations_england_2018.csv")
    libs = pd.read_csv(NATIONAL / "hosts" / "libraries_wales_geocoded_codepoint2025.csv")
    rows: list[dict[str, str]] = []

    def ok(pc: object) -> bool:
        try:
            geocoder.lookup(str(pc))
        except (UnknownPostcodeError, ValueError):
            return False
        return True

    for service in SERVICES:
        sub = fire[(fire["FRS_FULLNAME"] == service) & fire["STATION_POSTCODE"].map(ok)].head(6)
        for j, r in enumerate(sub.itertuples()):
            pc = " ".join(str(r.STATION_POSTCODE).split())
            rows.append({"site_id": "fs-" + pc.replace(" ", "").lower(), "name": f"{r.STATION_NAME} (fire station, stand-in)",
                         "kind": "front_counter", "hours": "24/7" if j == 0 else "Mo-Fr 09:00-17:00", "postcode": pc,
                         "notes": "stand-in: a fire station, not a police counter"})
    sub = libs[libs["Local authority code"].isin(WELSH) & libs["Postcode"].map(ok)].head(10)
    for j, r in enumerate(sub.itertuples()):
        pc = " ".join(str(r.Postcode).split())
        rows.append({"site_id": "lib-" + pc.replace(" ", "").lower(), "name": f"{r._2} (library, stand-in)",
                     "kind": "front_counter", "hours": "24/7" if j == 0 else "Mo-Sa 09:00-17:00", "postcode": pc,
                     "notes": "stand-in: a library, not a police counter"})
    seen: set[str] = set()
    rows = [r for r in rows if not (r["site_id"] in seen or seen.add(r["site_id"]))]
    reg = out / "standin_register.csv"
    with reg.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    scen = out / "scenarios"
    scen.mkdir()
    close = [r["site_id"] for r in rows if r["hours"] == "24/7"][1:3] + [r["site_id"] for r in rows if r["hours"] != "24/7"][:2]
    day_site = [r["site_id"] for r in rows if r["hours"] != "24/7"][2]
    (scen / "standin-close-four.yaml").write_text(SCENARIO.format(
        close="\n".join(f"- id: {s}\n  rationale: Stand-in only." for s in close), day_site=day_site))
    print(f"stand-in register: {len(rows)} sites (fire stations and Welsh libraries, NOT police counters) in {out}")
    return reg, scen


def timed(label: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
    """Run ``argv``; print its wall time, peak RSS (``wait4``) and the lines it prints about itself."""
    out_path, err_path = logs / "out.txt", logs / "err.txt"
    with out_path.open("w") as out, err_path.open("w") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err, text=True, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    said = " | ".join(line for line in out_path.read_text().splitlines()
                      if line.startswith(("first page", "optimise", "evidence")))
    errs = err_path.read_text().strip().splitlines()
    tail = "" if proc.returncode == 0 else f"  FAILED: {errs[-1] if errs else proc.returncode}"
    print(f"{label:<58} {wall:6.1f} s  peak {usage.ru_maxrss / 1e6:5.2f} GB{('  ' + said) if said else ''}{tail}",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="optimise,evidence,app", help="comma-separated: optimise, evidence, app")
    ap.add_argument("--cache", help="the matrix cache (default $ESTATE_CACHE)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="estate-national-tools-") as tmp:
        reg, scen = standin_register(Path(tmp))
        env = {**os.environ, "ESTATE_REGISTER": str(reg), "ESTATE_SCENARIOS": str(scen)}
        if args.cache:
            env["ESTATE_CACHE"] = args.cache
        estate = [sys.executable, "-m", "estate", "--force", "all", "--register", str(reg), "--scenarios", str(scen)]
        if "optimise" in only:
            for what, cmd in (
                ("optimise open 5 of 20,902 hosts, walk, day", ["open", "--k", "5", "--mode", "walk"]),
                ("optimise open 5, walk, day and night, exact (60 s limit)",
                 ["open", "--k", "5", "--mode", "walk", "--band", "day", "--band", "night", "--method", "exact"]),
                ("optimise open 5, drive, day and night", ["open", "--k", "5", "--mode", "drive", "--band", "day",
                                                           "--band", "night"]),
                ("optimise close 5 of the 70 stand-ins, walk, day, no rules", ["close", "--k", "5", "--mode", "walk", "--rules",
                                                                 "none"]),
                ("optimise keep-24-7 3, drive, night", ["keep-24-7", "--m", "3", "--mode", "drive", "--band", "night"]),
            ):
                timed(what, [*estate, "optimise", *cmd, "--format", "json"], env, Path(tmp))
        if "evidence" in only:
            for mode in ("walk", "drive"):
                timed(f"evidence pack, {mode}, day and night", [*estate, "evidence", "standin-close-four", "--against",
                                                                "register", "--mode", mode, "--out",
                                                                str(Path(tmp) / f"pack-{mode}")], env, Path(tmp))
        if "app" in only:
            app = str(ROOT / "streamlit_app.py")
            app_env = {**env, "ESTATE_FORCE": "all"}
            timed("app (AppTest): first page", [sys.executable, "-c", APP_FIRST.format(app=app)], app_env, Path(tmp))
            timed("app (AppTest): first page, Optimise open, Evidence pack",
                  [sys.executable, "-c", APP_PAGES.format(app=app)], app_env, Path(tmp))


if __name__ == "__main__":
    main()
