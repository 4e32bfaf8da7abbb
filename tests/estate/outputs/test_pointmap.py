"""The From-a-place map: drawn once, shaded in place; on the toy of ``test_maps`` (four LSOAs).

Minutes from a place to a1..a4 are 10, 40, NaN (out of reach) and 130; with the minutes
scale's classes (0-15-30-45-60-90-120-inf) they fall in classes 0, 2, none and 6.
"""

from __future__ import annotations

import json
import re

import numpy as np

from estate.outputs import maps, pointmap
from tests.estate.outputs.test_maps import _layers, _legend, toy  # noqa: F401  (the toy fixture)


def test_shading_is_the_scale_colours_in_the_maps_order(toy):  # noqa: F811
    geo = toy["geo"]
    scale = maps.minutes_scale("Minutes from the place")
    ids = [f["id"] for f in geo.lsoas["features"]]
    minutes = dict(zip(["a1", "a2", "b1", "b2"], [10.0, 40.0, float("nan"), 130.0], strict=True))
    s = pointmap.point_shading(geo, minutes, scale, (51.5, -0.1))
    want = {"a1": scale.colours[0], "a2": scale.colours[2], "b1": None, "b2": scale.colours[6]}
    assert s["fills"] == [want[i] for i in ids]
    tips = dict(zip(ids, s["tips"], strict=True))
    assert tips["a1"] == "10.0 min from the place" and tips["b1"] == "" and tips["b2"] == "130.0 min from the place"
    assert s["point"] == [51.5, -0.1]
    json.dumps(s, allow_nan=False)  # what the browser gets is plain JSON: no NaN


def test_no_place_shades_nothing(toy):  # noqa: F811
    geo = toy["geo"]
    for minutes, point in ((None, None), ({"a1": 5.0}, None), ({}, (51.5, -0.1))):
        s = pointmap.point_shading(geo, minutes, maps.minutes_scale(), point)
        assert s == {"fills": [None] * 4, "tips": [""] * 4, "point": None}


def test_the_map_holds_every_lsoa_unshaded_and_the_legend_of_the_scale(toy):  # noqa: F811
    scale = maps.minutes_scale("Minutes from the place")
    m = pointmap.point_map(toy["geo"], scale=scale, title="Walking, night", tiles=None)
    (layer,) = _layers(m, pointmap.ShadeLayer)
    data = json.loads(layer.data_json)
    assert [f["properties"]["name"] for f in data["features"]] == [
        f["properties"].get("name", f["id"]) for f in toy["geo"].lsoas["features"]]
    body = _legend(m).body
    assert "not within reach (left unshaded)" in body and "Minutes from the place" in body
    page = maps.map_html(m)
    assert "estateShade" in page and "estateReady" in page  # shaded by message, says when it is ready


def test_names_cannot_leave_the_script(toy):  # noqa: F811
    geo = toy["geo"]
    geo.lsoas["features"][0]["properties"]["name"] = "</script><img src=x onerror=alert(1)>"
    try:
        m = pointmap.point_map(geo, scale=maps.minutes_scale(), tiles=None)
        page = maps.map_html(m)
    finally:
        geo.lsoas["features"][0]["properties"]["name"] = "A 1"
    assert "<img src=x" not in page and "</script><img" not in page
    assert "\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e" in page
    # the tooltip is set as text, and only #rrggbb colours are applied
    assert "textContent" in page and re.search(r"\^#\[0-9a-fA-F\]\{6\}\$", page)


def test_shading_follows_the_features_not_the_units_order(toy):  # noqa: F811
    geo = toy["geo"]
    ids = [f["id"] for f in geo.lsoas["features"]]
    rev = {i: float(k) for k, i in enumerate(reversed(ids))}
    s = pointmap.point_shading(geo, rev, maps.minutes_scale(), (51.5, -0.1))
    assert [t.split(" ")[0] for t in s["tips"]] == [f"{rev[i]:.1f}" for i in ids]
    assert np.all([c is not None for c in s["fills"]])


def test_an_area_too_large_to_hold_gets_the_quickest_reached_with_their_shapes(toy):  # noqa: F811
    geo = toy["geo"]
    scale = maps.minutes_scale()
    m = pointmap.point_map(geo, scale=scale, tiles=None, place="England and Wales", max_lsoas=2)
    (layer,) = _layers(m, pointmap.ShadeLayer)
    assert json.loads(layer.data_json)["features"] == []  # the map holds none
    body = _legend(m).body
    assert "Only the 2 areas reached quickest are shaded" in body and "England and Wales" in body
    minutes = {"a1": 50.0, "a2": 10.0, "b1": float("nan"), "b2": 10.0}
    s = pointmap.point_shading(geo, minutes, scale, (51.5, -0.1), max_lsoas=2)
    by_id = {f["id"]: f for f in geo.lsoas["features"]}
    # the two quickest (10 and 10, ties by code), with their shapes; b1 (out of reach) never
    assert [f["geometry"] for f in s["features"]] == [by_id["a2"]["geometry"], by_id["b2"]["geometry"]]
    assert s["fills"] == [scale.colours[0]] * 2 and s["tips"] == ["10.0 min from the place"] * 2
    assert s["fit"] is True and s["point"] == [51.5, -0.1]
    none = pointmap.point_shading(geo, None, scale, None, max_lsoas=2)
    assert none == {"features": [], "fills": [], "tips": [], "point": None, "fit": False}
