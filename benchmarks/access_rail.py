"""The 30-minute accessibility by transit, in the boroughs served by National Rail alone and the rest.

    estate access --mode transit --band day --within 30 --format csv > access.csv
    python benchmarks/access_rail.py access.csv [before.csv]

Prints, per resident (each LSOA weighted by its residents), the mean number of sites
reachable within the threshold and the mean minutes to the nearest site, for the
seven boroughs where National Rail is the only rail (Bromley, Sutton, Croydon,
Enfield, Greenwich, Kingston, Bexley: the ones an independent check found
underrated most) against the rest of London, and per borough; with a second file,
both side by side.  The figures the README quotes come from here.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from estate.planner import Planner

NR_ONLY = ("Bromley", "Sutton", "Croydon", "Enfield", "Greenwich", "Kingston upon Thames", "Bexley")


def _figures(path: Path, units: pd.DataFrame) -> pd.DataFrame:
    acc = pd.read_csv(path, dtype={"unit_id": str}).set_index("unit_id")
    f = units.join(acc, on="unit_id", how="left")
    if f["sites_within"].isna().any():
        raise SystemExit(f"{path}: {int(f['sites_within'].isna().sum())} units missing; is it `estate access` CSV?")
    return f


def _mean(f: pd.DataFrame, col: str) -> float:
    ok = f[col].notna()
    return float(np.average(f.loc[ok, col], weights=f.loc[ok, "population"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("after", type=Path, help="estate access CSV")
    ap.add_argument("before", type=Path, nargs="?", help="an earlier estate access CSV to compare")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    units = Planner(cache_dir=False).units.frame[["unit_id", "area_name", "population"]]
    files = [p for p in (args.before, args.after) if p is not None]
    frames = [_figures(p, units) for p in files]
    head = " | ".join(f"{p.name}: sites within / nearest min" for p in files)
    print(f"| group | {head} |")
    print("|---|" + "---|" * len(files))
    groups = [("National-Rail-only boroughs", lambda f: f["area_name"].isin(NR_ONLY)),
              ("rest of London", lambda f: ~f["area_name"].isin(NR_ONLY))]
    groups += [(b, lambda f, b=b: f["area_name"] == b) for b in NR_ONLY]
    for name, sel in groups:
        cells = [f"{_mean(f[sel(f)], 'sites_within'):.1f} / {_mean(f[sel(f)], 'nearest_min'):.1f}" for f in frames]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
