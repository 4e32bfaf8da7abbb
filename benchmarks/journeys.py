"""Worked public-transport journeys between named front counters (for the README).

    python benchmarks/journeys.py            # the table
    python benchmarks/journeys.py --legs     # and every journey leg by leg

Each time comes from the transit engine's ``route()``, which agrees with the
matrix; "walk" is walking the whole way, the cap no transit time exceeds.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from estate.planner import Planner

PAIRS = [("charing-cross", "lewisham"), ("brixton", "croydon"), ("kentish-town", "brixton"),
         ("stratford", "wood-green"), ("hammersmith", "stoke-newington")]
BANDS = ("day", "night", "weekend-night")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--legs", action="store_true", help="print every journey leg by leg")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    p = Planner(cache_dir=False)
    eng = p.engine("transit")
    sites = p.estate.sites
    print("| from -> to (straight line) | day | Wed night | Fri night | walk all the way |")
    print("|---|---|---|---|---|")
    details = []
    for a, b in PAIRS:
        xa = (float(sites.at[a, "x"]), float(sites.at[a, "y"]))
        xb = (float(sites.at[b, "x"]), float(sites.at[b, "y"]))
        km = ((xa[0] - xb[0]) ** 2 + (xa[1] - xb[1]) ** 2) ** 0.5 / 1000
        js = [eng.route(xa, xb, band) for band in BANDS]
        cells = " | ".join(f"{j.minutes:.1f} min" for j in js)
        print(f"| {sites.at[a, 'name']} -> {sites.at[b, 'name']} ({km:.1f} km) | {cells} | "
              f"{js[0].walk_seconds / 60:.1f} min |")
        details.extend(js)
    print("\nRoutes taken (rides in order):\n")
    for (a, b), k in zip(PAIRS, range(0, len(details), len(BANDS)), strict=True):
        for band, j in zip(BANDS, details[k:k + len(BANDS)], strict=True):
            rides = [lg.line for lg in j.legs if lg.kind == "ride" and lg.line]
            print(f"- {sites.at[a, 'name'].replace(' Police Station', '')} -> "
                  f"{sites.at[b, 'name'].replace(' Police Station', '')}, {band}: "
                  f"{' -> '.join(rides) if rides else 'walk all the way'}")
    if args.legs:
        for j in details:
            print("\n" + j.describe())


if __name__ == "__main__":
    main()
