"""Coverage and comparison results as flat tables (CLI, CSV, app, evidence)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from estate.coverage import CoverageResult
from estate.outputs._escape import csv_text

__all__ = ["compare_frame", "coverage_frame", "csv_text"]


def coverage_frame(res: CoverageResult, *, include_total: bool = True) -> pd.DataFrame:
    """One row per area (and a last ``london`` row): every metric, flat columns.

    Group metrics are prefixed ``age_65_plus_`` and ``imd_decile_1_2_``.
    """
    n = len(res.area_codes)
    idx = range(n + 1) if include_total else range(n)
    rows = []
    for i in idx:
        a = res.area(i)
        row = {"code": a["code"], "name": a["name"], "population": a["population"],
               "open_sites": a["open_sites"], "open_24_7": a["open_24_7"]}
        for t in res.thresholds:
            row[f"share_within_{t}"] = a["share_within"][str(t)]
        for t in res.thresholds:
            row[f"beyond_{t}"] = a["beyond"][str(t)]
        row.update(mean_min=a["mean_min"], median_min=a["median_min"], p95_min=a["p95_min"])
        for g, blk in a["groups"].items():
            row[f"{g}_population"] = blk["population"]
            for t in res.thresholds:
                row[f"{g}_share_within_{t}"] = blk["share_within"][str(t)]
            for t in res.thresholds:
                row[f"{g}_beyond_{t}"] = blk["beyond"][str(t)]
            row[f"{g}_mean_min"] = blk["mean_min"]
            row[f"{g}_median_min"] = blk["median_min"]
            row[f"{g}_p95_min"] = blk["p95_min"]
        rows.append(row)
    df = pd.DataFrame(rows)
    df.insert(0, "scenario", res.scenario)
    df.insert(1, "mode", str(res.mode))
    df.insert(2, "band", res.band.name)
    df.insert(3, "engine", res.engine)
    return df


def compare_frame(base: CoverageResult, scen: CoverageResult, threshold: int = 45) -> pd.DataFrame:
    """One row per area (and ``london`` last): base, scenario and change at ``threshold``."""
    b = coverage_frame(base)
    s = coverage_frame(scen)
    t = threshold
    out = pd.DataFrame({
        "code": b["code"], "name": b["name"], "population": b["population"],
        "open_sites_base": b["open_sites"], "open_sites_scenario": s["open_sites"],
        "open_24_7_base": b["open_24_7"], "open_24_7_scenario": s["open_24_7"],
        f"share_within_{t}_base": b[f"share_within_{t}"],
        f"share_within_{t}_scenario": s[f"share_within_{t}"],
        f"beyond_{t}_base": b[f"beyond_{t}"], f"beyond_{t}_scenario": s[f"beyond_{t}"],
        "mean_min_base": b["mean_min"], "mean_min_scenario": s["mean_min"],
        "p95_min_base": b["p95_min"], "p95_min_scenario": s["p95_min"],
    })
    out[f"share_within_{t}_change"] = (
        out[f"share_within_{t}_scenario"].astype(float) - out[f"share_within_{t}_base"].astype(float)
    ).round(4)
    out[f"beyond_{t}_change"] = out[f"beyond_{t}_scenario"] - out[f"beyond_{t}_base"]
    with np.errstate(invalid="ignore"):
        out["mean_min_change"] = (out["mean_min_scenario"].astype(float) - out["mean_min_base"].astype(float)).round(2)
    return out
