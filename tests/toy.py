"""The hand-computable toy case: three sites, ten residents' units, two areas.

Minutes from each unit to each site (rows u0..u9, columns s1, s2, s3)::

        s1   s2   s3     population  65+  IMD decile  area
    u0   5   20   70     100         10   1           A
    u1  10   12   50     200         20   5           A
    u2  20    8   40     100         50   2           A
    u3  35   25   30     100          0   9           A
    u4  50   40   20     100         10   3           A
    u5  16   14   65     100         10   7           A
    u6  70   60   10     300         30   1           B
    u7  80   75   44     100          0   4           B
    u8  90   85   46     100         40   8           B
    u9 100   95   61     100         20   2           B

s1 is 24/7 in area A, s2 opens Mo-Fr 10:00-18:00 in area A, s3 is 24/7 in area B.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from estate.register import SITE_COLUMNS, Estate
from geodata.areas import Units

MINUTES = np.array(
    [[5, 20, 70], [10, 12, 50], [20, 8, 40], [35, 25, 30], [50, 40, 20],
     [16, 14, 65], [70, 60, 10], [80, 75, 44], [90, 85, 46], [100, 95, 61]],
    dtype=np.float32,
)
POP = [100, 200, 100, 100, 100, 100, 300, 100, 100, 100]
POP65 = [10, 20, 50, 0, 10, 10, 30, 0, 40, 20]
IMD = [1, 5, 2, 9, 3, 7, 1, 4, 8, 2]
AREA = ["A"] * 6 + ["B"] * 4
X0, Y0 = 530_000.0, 180_000.0  # central London, so the points are in Great Britain


@dataclass
class ToyCase:
    units: Units
    estate: Estate
    areas: gpd.GeoDataFrame
    seconds: np.ndarray


def areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["Area A", "Area B"], "inner": [True, False]},
        geometry=[box(X0, Y0, X0 + 5000, Y0 + 5000), box(X0 + 5000, Y0, X0 + 10000, Y0 + 5000)],
        crs=27700,
    )


def make() -> ToyCase:
    units = Units(pd.DataFrame({
        "unit_id": [f"u{i}" for i in range(10)], "name": [f"unit {i}" for i in range(10)],
        "area_code": AREA, "area_name": ["Area " + a for a in AREA],
        "ward_code": "W", "ward_name": "Ward",
        "x": X0 + np.arange(10) * 1000.0 + 100, "y": Y0 + 100.0,
        "population": POP, "pop_65_plus": POP65, "imd_decile": IMD,
    }))
    sites = pd.DataFrame({
        "site_id": ["s1", "s2", "s3"], "name": ["Site One", "Site Two", "Site Three"],
        "kind": "front_counter", "host": "police", "area_code": ["A", "A", "B"],
        "area_name": ["Area A", "Area A", "Area B"], "x": [X0 + 1000, X0 + 2000, X0 + 7000],
        "y": Y0 + 200, "hours": ["24/7", "Mo-Fr 10:00-18:00", "24/7"], "open": True,
        "footfall": [4.0, np.nan, 2.5], "annual_cost": np.nan, "address": "", "postcode": "",
        "retailer": "", "source": "toy", "notes": "", "located": True, "problem": "",
    })
    cand = pd.DataFrame({
        "site_id": ["c1"], "name": ["Candidate Shop"], "kind": "candidate", "host": "supermarket",
        "area_code": ["B"], "area_name": ["Area B"], "x": [X0 + 9000], "y": [Y0 + 200],
        "hours": [""], "open": False, "footfall": np.nan, "annual_cost": np.nan, "address": "",
        "postcode": "", "retailer": "Toyco", "source": "toy", "notes": "", "located": True, "problem": "",
    })
    est = Estate(pd.concat([sites, cand], ignore_index=True)[list(SITE_COLUMNS)])
    # the candidate is 30 minutes from u7..u9 and far from the rest
    cand_min = np.array([90, 90, 90, 90, 90, 90, 90, 30, 30, 30], dtype=np.float32)[:, None]
    seconds = np.hstack([MINUTES, cand_min]) * 60.0
    return ToyCase(units, est, areas(), seconds.astype(np.float32))
