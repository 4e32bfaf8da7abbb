"""A toy planner small enough to check the closure evidence by hand.

Two boroughs side by side, each a row of five 1 km squares (LSOAs):

    T01 Northam:  u0 u1 u2 u3 u4      T02 Southam:  u5 u6 u7 u8 u9
    x 530-535 km, y 180-181 km        x 535-540 km

Sites (register, all open in the base ``base``):

    alpha  T01  24/7                front counter
    beta   T01  Mo-Fr 10:00-18:00   front counter
    gamma  T02  24/7                front counter
    ghost  T02  Mo-Fr 10:00-18:00   front counter with no location
    shop   T02  candidate supermarket (closed until a scenario opens it)

Travel minutes are given, not computed (:data:`MINUTES`), so every figure can
be worked out on paper; the expected values in ``test_evidence.py`` were.

Scenarios: ``cuts`` closes alpha and ghost and opens shop (Mo-Sa 08:00-20:00);
``nochange`` changes nothing; ``nightcut`` only cuts alpha to daytime hours; ``pair``
closes both of Northam's counters (alpha and beta).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from estate.planner import Planner
from estate.register import build_estate, load_register_csv
from geodata.areas import Units
from geodata.travel.base import Points, ProgressFn, TimeBand

__all__ = ["MINUTES", "UNITS", "ToyEngine", "toy_planner"]

#: unit -> (borough, residents, residents 65+, IMD decile)
UNITS: dict[str, tuple[str, int, int, int]] = {
    "u0": ("T01", 100, 20, 1),
    "u1": ("T01", 200, 10, 5),
    "u2": ("T01", 100, 50, 2),
    "u3": ("T01", 300, 30, 9),
    "u4": ("T01", 100, 0, 3),
    "u5": ("T02", 100, 10, 1),
    "u6": ("T02", 200, 40, 7),
    "u7": ("T02", 100, 20, 4),
    "u8": ("T02", 100, 0, 2),
    "u9": ("T02", 200, 20, 10),
}

#: minutes from each unit to alpha, beta, gamma, shop
MINUTES: dict[str, tuple[float, float, float, float]] = {
    "u0": (5, 20, 50, 40),
    "u1": (10, 25, 40, 30),
    "u2": (12, 8, 35, 30),
    "u3": (20, 14, 30, 25),
    "u4": (14, 40, 16, 10),
    "u5": (40, 50, 10, 20),
    "u6": (30, 45, 20, 5),
    "u7": (45, 60, 8, 50),
    "u8": (25, 35, 28, 12),
    "u9": (50, 70, 40, 35),
}
_SITES = ("alpha", "beta", "gamma", "shop")
_X0, _Y0 = 530_000.0, 180_000.0

_REGISTER = """site_id,name,kind,host,borough,easting,northing,hours,open,footfall
alpha,Alpha Police Station,front_counter,police,T01,530500,180500,24/7,1,4.5
beta,Beta Police Station,front_counter,police,T01,533500,180500,Mo-Fr 10:00-18:00,1,
gamma,Gamma Police Station,front_counter,police,T02,537500,180500,24/7,1,
ghost,Ghost Counter,front_counter,police,T02,,,Mo-Fr 10:00-18:00,1,
"""

_SCENARIOS = {
    "base": "id: base\ntitle: Toy base\nbase: register\n",
    "cuts": """id: cuts
title: Toy cuts
base: base
close:
  - id: alpha
    rationale: Low use at night
    source: https://example.org/cuts
  - ghost
open:
  - id: shop
    hours: "Mo-Sa 08:00-20:00"
    rationale: A contact point in the shop
""",
    "nochange": "id: nochange\ntitle: Toy no change\nbase: base\n",
    "pair": "id: pair\ntitle: Toy pair\nbase: base\nclose: [alpha, beta]\n",
    "nightcut": """id: nightcut
title: Toy night cut
base: base
set_hours:
  - id: alpha
    hours: "Mo-Fr 10:00-18:00"
    rationale: Daytime only
""",
}


class ToyEngine:
    """A travel engine returning :data:`MINUTES` (as seconds), whatever the band."""

    name = "toy"

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def variant(self, band: TimeBand) -> str:
        return "all"

    def settings_key(self) -> dict[str, Any]:
        return {"engine": self.name, "mode": self.mode}

    def describe(self) -> str:
        return "toy minutes given by hand"

    def matrix(self, origins: Points, destinations: Points, band: TimeBand, *,
               progress: ProgressFn | None = None) -> np.ndarray:
        cols = [_SITES.index(s) for s in destinations.ids]
        m = np.array([MINUTES[u] for u in origins.ids], dtype=np.float32)[:, cols] * 60.0
        return m.astype(np.float32)


def toy_planner(tmp_path: Path) -> Planner:
    """A :class:`Planner` over the toy data (matrices in memory, no cache)."""
    data = tmp_path / "toy-data"
    data.mkdir(parents=True, exist_ok=True)
    scen = tmp_path / "toy-scenarios"
    scen.mkdir(exist_ok=True)
    for sid, text in _SCENARIOS.items():
        (scen / f"{sid}.yaml").write_text(text, encoding="utf-8")
    reg = data / "register.csv"
    reg.write_text(_REGISTER, encoding="utf-8")

    areas = gpd.GeoDataFrame(
        {"code": ["T01", "T02"], "name": ["Northam", "Southam"], "inner": [False, False]},
        geometry=[box(_X0, _Y0, _X0 + 5000, _Y0 + 1000), box(_X0 + 5000, _Y0, _X0 + 10000, _Y0 + 1000)],
        crs=27700,
    )
    names = {"T01": "Northam", "T02": "Southam"}
    rows, polys = [], []
    for i, (uid, (code, pop, old, imd)) in enumerate(UNITS.items()):
        x0 = _X0 + 1000 * i
        rows.append({"unit_id": uid, "name": f"LSOA {uid}", "area_code": code, "area_name": names[code],
                     "ward_code": "W", "ward_name": "Ward", "x": x0 + 500, "y": _Y0 + 500,
                     "population": pop, "pop_65_plus": old, "imd_decile": imd})
        polys.append(box(x0, _Y0, x0 + 1000, _Y0 + 1000))
    units = Units(pd.DataFrame(rows))
    unit_polygons = gpd.GeoDataFrame({"unit_id": list(UNITS)}, geometry=polys, crs=27700)

    register = load_register_csv(reg, areas, None)
    candidates = pd.DataFrame({
        "site_id": ["shop"], "name": ["Shop Superstore"], "kind": ["candidate"], "host": ["supermarket"],
        "area_code": ["T02"], "area_name": ["Southam"], "x": [538500.0], "y": [180500.0], "hours": [""],
        "open": [False], "footfall": [np.nan], "annual_cost": [np.nan], "address": ["1 Shop Street"],
        "postcode": [""], "retailer": ["Shop"], "source": ["toy"], "notes": [""], "located": [True],
        "problem": [""],
    })
    p = Planner(data, scenarios_dir=scen, cache_dir=False)
    p.__dict__["areas"] = areas
    p.__dict__["units"] = units
    p.__dict__["unit_polygons"] = unit_polygons
    p.__dict__["estate"] = build_estate(register, candidates)
    for mode in ("walk", "drive"):
        p._engines[mode] = ToyEngine(mode)
    return p
