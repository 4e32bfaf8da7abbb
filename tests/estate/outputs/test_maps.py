"""Map builders: layers, colours, markers and legend on a hand-computable toy.

The toy: two square boroughs, Alpha (A) and Beta (B), each with two LSOAs;
counter s1 in Alpha (24/7), counter s2 in Beta (Mo-Fr 10:00-18:00), candidate
c1 in Beta.  The scenario closes s2 and opens c1 24/7.  Minutes:

    unit  residents  s1  s2  c1
    a1    100        10  40  30
    a2    200        20  30  25
    b1    300        50  10   5
    b2    400        60  20  15
"""

from __future__ import annotations

import html
import json
import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from estate.coverage import evaluate
from estate.outputs import _palette as palette
from estate.outputs import maps
from estate.register import SITE_COLUMNS, Estate
from estate.scenario import ScenarioState
from geodata.areas import Units
from geodata.travel.base import BANDS, Mode

CODES = np.array(["E09000001", "E09000002"])
NAMES = np.array(["Alpha", "Beta"])
MINUTES = np.array([[10, 40, 30], [20, 30, 25], [50, 10, 5], [60, 20, 15]], dtype=np.float32)


def _site(sid: str, kind: str, host: str, code: int, x: float, hours: str, is_open: bool) -> dict:
    row = {c: "" for c in SITE_COLUMNS}
    row.update(site_id=sid, name=sid.upper(), kind=kind, host=host, area_code=CODES[code],
               area_name=NAMES[code], x=x, y=180_500.0, hours=hours, open=is_open, footfall=np.nan,
               annual_cost=np.nan, located=True)
    return row


@pytest.fixture(scope="module")
def toy():
    estate = Estate(pd.DataFrame([
        _site("s1", "front_counter", "police", 0, 530_500.0, "24/7", True),
        _site("s2", "front_counter", "police", 1, 531_500.0, "Mo-Fr 10:00-18:00", True),
        _site("c1", "candidate", "supermarket", 1, 531_700.0, "", False),
    ]))
    estate.sites.loc["s1", "footfall"] = 15.0
    units = Units(pd.DataFrame({
        "unit_id": ["a1", "a2", "b1", "b2"], "name": ["A 1", "A 2", "B 1", "B 2"],
        "area_code": CODES[[0, 0, 1, 1]], "area_name": NAMES[[0, 0, 1, 1]], "ward_code": "w", "ward_name": "w",
        "x": [530_250.0, 530_750.0, 531_250.0, 531_750.0], "y": 180_500.0,
        "population": [100, 200, 300, 400], "pop_65_plus": [10, 20, 30, 40], "imd_decile": [1, 5, 2, 9],
    }))
    areas = gpd.GeoDataFrame({"code": CODES, "name": NAMES},
                             geometry=[box(530_000, 180_000, 531_000, 181_000), box(531_000, 180_000, 532_000, 181_000)],
                             crs=27700)
    polys = gpd.GeoDataFrame({"unit_id": ["a1", "a2", "b1", "b2"]}, geometry=[
        box(530_000, 180_000, 530_500, 181_000), box(530_500, 180_000, 531_000, 181_000),
        box(531_000, 180_000, 531_500, 181_000), box(531_500, 180_000, 532_000, 181_000)], crs=27700)
    base = ScenarioState("base", {"s1": "24/7", "s2": "Mo-Fr 10:00-18:00"})
    scen = ScenarioState("scen", {"s1": "24/7", "c1": "24/7"})
    weights = units.weights()

    def cov(state: ScenarioState, band: str):
        b = BANDS[band]
        return evaluate(MINUTES * 60, state.open_columns(estate, b), state.open_24_7_columns(estate),
                        weights=weights, unit_area=units.area_index, area_codes=units.area_codes,
                        area_names=units.area_names, site_area=np.array([0, 1, 1]), scenario=state.scenario_id,
                        mode=Mode.WALK, band=b)

    return {"estate": estate, "units": units, "areas": areas, "polys": polys, "base": base, "scen": scen,
            "cov": cov, "geo": maps.map_geometry(areas, polys, units)}


def _layers(m: folium.Map, cls: type) -> list:
    out, stack = [], list(m._children.values())
    while stack:
        el = stack.pop()
        if isinstance(el, cls):
            out.append(el)
        stack.extend(el._children.values())
    return out


def _legend(m: folium.Map) -> maps.Legend:
    (legend,) = _layers(m, maps.Legend)
    return legend


# ---- colour scales --------------------------------------------------------------
def test_colour_scale_classes_edges_inf_and_nan():
    s = maps.minutes_scale()
    assert s.colour(0) == s.colours[0]
    assert s.colour(15) == s.colours[1]  # a class holds its lower edge
    assert s.colour(14.9) == s.colours[0]
    assert s.colour(200) == s.colours[-1]
    assert s.colour(math.inf) == s.unreachable != s.colours[-1]  # no site in reach: its own colour, not "long"
    assert s.unreachable_label == "no open site within reach (beyond the engine's cutoff)"
    assert s.colour(math.nan) == s.missing
    assert list(s.classify([5, 200, np.nan, np.inf])) == [0, 6, -1, -2]


@pytest.mark.parametrize("metric", list(maps.METRICS))
def test_every_metric_scale_is_well_formed_and_colour_blind_safe(metric):
    s = maps.metric_scale(metric, 45)
    assert len(s.colours) == len(s.labels) == len(s.edges) - 1
    assert set(s.colours) <= set(palette.levels()) | set(maps.PUOR)
    assert "45" in s.title or metric in ("mean_min", "mean_change", "p95_min")
    assert maps.METRICS[metric].unit in s.title


def test_change_scale_is_centred_on_no_change():
    s = maps.metric_scale("beyond_change", 45)
    assert s.colour(0) == maps.PUOR[3] == "#f7f7f7"
    assert s.colour(500_000) == maps.PUOR[-1]  # more residents beyond: orange
    assert s.colour(-500_000) == maps.PUOR[0]
    share = maps.metric_scale("share_change", 45)
    assert share.colour(30) == maps.PUOR[0]  # a higher share is better: purple


def test_bad_scale_is_refused():
    with pytest.raises(ValueError, match="one more edge"):
        maps.ColourScale("x", "u", (0, 1), ("#000", "#fff"), ("a", "b"))


# ---- values --------------------------------------------------------------------
def test_metric_values_are_the_hand_computed_ones(toy):
    b, s = toy["cov"](toy["base"], "day"), toy["cov"](toy["scen"], "day")
    # beyond 15 min: base A: a2 (20) = 200; B: b2 (20) = 400.  Scenario B: b2 at 15 = within.
    np.testing.assert_allclose(maps.metric_values("beyond", b, s, 15), [200, 0])
    np.testing.assert_allclose(maps.metric_values("beyond_change", b, s, 15), [0, -400])
    np.testing.assert_allclose(maps.metric_values("share_within", b, s, 15), [100 / 3, 100])
    np.testing.assert_allclose(maps.metric_values("mean_min", b, s, 15), [50 / 3, (300 * 5 + 400 * 15) / 700])
    np.testing.assert_allclose(maps.lsoa_values("mean_change", b, s), [0, 0, -5, -5])
    with pytest.raises(KeyError, match="unknown map metric"):
        maps.metric_values("nope", b, s, 15)


def test_site_frame_statuses_and_catchments(toy):
    est, base, scen = toy["estate"], toy["base"], toy["scen"]
    b, s = toy["cov"](base, "day"), toy["cov"](scen, "day")
    df = maps.site_frame(est, base, scen, b, s, toy["units"].weights()["all"], BANDS["day"]).set_index("site_id")
    assert df["status"].to_dict() == {"c1": "new", "s1": "open", "s2": "closing"}
    assert bool(df.at["s1", "is_24_7"]) and not bool(df.at["s2", "is_24_7"])
    assert df.at["s1", "catchment_residents"] == 300
    assert df.at["s1", "catchment_mean_min"] == pytest.approx((100 * 10 + 200 * 20) / 300)
    assert df.at["s2", "base_catchment_residents"] == 700
    assert df.at["s2", "base_catchment_mean_min"] == pytest.approx((300 * 10 + 400 * 20) / 700)
    assert df.at["s2", "after_mean_min"] == pytest.approx((300 * 5 + 400 * 15) / 700)
    assert df.at["c1", "catchment_residents"] == 700
    assert df["lat"].between(51.4, 51.6).all() and df["lon"].between(-0.2, 0.0).all()
    # at night the part-time counter is shut: nobody's nearest
    night = maps.site_frame(est, base, scen, toy["cov"](base, "night"), toy["cov"](scen, "night"),
                            toy["units"].weights()["all"], BANDS["night"]).set_index("site_id")
    assert not night.at["s2", "open_in_band"] and night.at["s2", "base_catchment_residents"] == 0


# ---- the map -------------------------------------------------------------------
def _map(toy, **kw):
    b, s = toy["cov"](toy["base"], "day"), toy["cov"](toy["scen"], "day")
    sites = maps.site_frame(toy["estate"], toy["base"], toy["scen"], b, s, toy["units"].weights()["all"], BANDS["day"])
    args = dict(borough_values=maps.values_by_code(s.area_codes, maps.metric_values("beyond_change", b, s, 15)),
                borough_scale=maps.metric_scale("beyond_change", 15), sites=sites, tiles=None, title="Toy")
    if kw.get("lsoa", "off") != "off":
        args.update(lsoa_values=maps.values_by_code(["a1", "a2", "b1", "b2"], maps.lsoa_values("beyond_change", b, s)),
                    lsoa_scale=maps.lsoa_scale("beyond_change"))
    args.update(kw)
    return maps.coverage_map(toy["geo"], **args)


def test_coverage_map_layers_colours_and_markers(toy):
    m = _map(toy)
    assert isinstance(m, folium.Map)
    (boro,) = [g for g in _layers(m, folium.GeoJson) if g.layer_name == "Boroughs"]
    fills = {f["id"]: f["properties"]["fill"] for f in boro.data["features"]}
    scale = maps.metric_scale("beyond_change", 15)
    assert fills == {"E09000001": scale.colour(0), "E09000002": scale.colour(-400)}
    assert not [g for g in _layers(m, folium.GeoJson) if g.layer_name == "LSOAs"]
    markers = _layers(m, folium.Marker)
    assert len(markers) == 3
    icons = [mk.icon.options["html"] if hasattr(mk.icon, "options") else mk.icon.html for mk in markers]
    text = " ".join(str(i) for i in icons)
    assert 'data-site-id="s2"' in text and 'data-status="closing"' in text
    assert not _layers(m, maps.ClickBridge)
    html = m.get_root().render()
    assert "S1" in html and "15 crimes reported a day" in html  # popup: name and footfall
    assert "Nearest counter for 300 residents" in html  # popup: catchment figures


def test_legend_has_units_classes_and_marker_key(toy):
    body = _legend(_map(toy)).body
    assert "Change in residents beyond 15 minutes (residents)" in body
    assert "within ±1,000" in body
    for label in ("Open counter", "Closes in this scenario", "New or reopened in this scenario"):
        assert label in body
    assert "Filled: open 24/7" in body
    assert "Toy" in body


def test_legend_starts_folded_with_a_strip_of_the_class_colours(toy):
    m = _map(toy)
    legend = _legend(m)
    page = maps.map_html(m)
    i = page.index('<div class="estate-legend"')
    box = page[i:page.index("</summary>", i)]
    assert "<details >" in box and "open" not in box.split("<summary>")[0].replace("estate-legend", "")
    assert box.count('<span style="background:') == len(legend.colours)
    for col in legend.colours:
        assert f"background:{col}" in box
    assert "bottom: 22px; right: 10px" in page  # the legend at the bottom right ...
    assert "position: 'bottomleft'" in page  # ... and the metric scale bar at the bottom left
    assert legend.colours == tuple(maps.metric_scale("beyond_change", 15).colours) and len(legend.colours) >= 3


def test_lsoa_layer_for_one_borough_and_by_zoom(toy):
    m = _map(toy, lsoa="borough", focus="E09000002")
    (lsoa,) = [g for g in _layers(m, folium.GeoJson) if g.layer_name == "LSOAs"]
    assert {f["id"] for f in lsoa.data["features"]} == {"b1", "b2"}
    assert {f["properties"]["fill"] for f in lsoa.data["features"]} == {maps.minutes_change_scale().colour(-5)}
    assert not _layers(m, maps.ZoomSwitch)
    assert "LSOAs: change in minutes" in _legend(m).body
    z = _map(toy, lsoa="zoom")
    (lsoa,) = [g for g in _layers(z, folium.GeoJson) if g.layer_name == "LSOAs"]
    assert len(lsoa.data["features"]) == 4
    (switch,) = _layers(z, maps.ZoomSwitch)
    assert switch.layer_name == lsoa.get_name()
    assert "LSOAs appear when you zoom in" in _legend(z).body


@pytest.mark.parametrize(("kw", "match"), [
    ({"lsoa": "everywhere"}, "lsoa must be"),
    ({"lsoa": "borough", "focus": None}, "needs focus"),
])
def test_bad_layer_options_are_refused(toy, kw, match):
    with pytest.raises(ValueError, match=match):
        _map(toy, **kw)


def test_clickable_map_and_candidates(toy):
    cands = maps.candidate_frame(toy["estate"], ["c1"])
    m = _map(toy, clickable=True, candidates=cands)
    assert _layers(m, maps.ClickBridge)
    assert "postMessage" in m.get_root().render()
    assert "Candidate host (click to add)" in _legend(m).body
    assert len(_layers(m, folium.Marker)) == 4


def test_site_icons_say_status_by_shape_and_24_7_by_fill():
    assert "<circle" in maps.site_icon_svg("open", True)
    assert "<rect" in maps.site_icon_svg("closing", True)
    assert "<polygon" in maps.site_icon_svg("new", False)
    assert f'fill="{maps.STATUS_COLOURS["open"]}"' in maps.site_icon_svg("open", True)
    assert 'fill="#ffffff"' in maps.site_icon_svg("open", False)


def test_map_html_is_standalone_when_leaflet_is_bundled(toy):
    m = _map(toy)
    online = maps.map_html(m, inline=False)
    assert maps.LEAFLET_JS in maps.external_assets(online)
    if not maps.offline_assets_available():
        pytest.skip("folium-offline is not installed: the export links Leaflet from the web")
    text = maps.map_html(m)
    assert maps.external_assets(text) == []
    assert "Leaflet 1.9.3" in text and "L.map(" in text


def test_catchment_map(toy):
    b, s = toy["cov"](toy["base"], "day"), toy["cov"](toy["scen"], "day")
    sites = maps.site_frame(toy["estate"], toy["base"], toy["scen"], b, s, toy["units"].weights()["all"], BANDS["day"])
    m = maps.catchment_map(toy["geo"], unit_ids=["b1", "b2"], change_minutes=[-5.0, -5.0],
                           sites=sites[sites["site_id"].isin(["s2", "c1"])], title="S2", tiles=None)
    (layer,) = [g for g in _layers(m, folium.GeoJson) if g.layer_name == "Catchment LSOAs"]
    assert {f["id"] for f in layer.data["features"]} == {"b1", "b2"}
    assert len(_layers(m, folium.Marker)) == 2
    body = _legend(m).body
    assert "Change in minutes for the catchment&#x27;s residents" in body  # title says the unit
    assert "5 to 10 shorter" not in body and "2 to 10 shorter" in body


def test_one_colour_language_worse_is_always_orange_and_unreachable_distinct():
    """The app's level maps, change maps and the report's maps: the worst class is the same hue."""
    worst = {maps.metric_scale("beyond", 45).colours[-1], maps.metric_scale("mean_min", 45).colours[-1],
             maps.metric_scale("share_within", 45).colours[0]}
    assert worst == {palette.levels()[-1]}
    longer = maps.minutes_change_scale().colour(60)
    assert longer == palette.colour("worse")
    assert maps.minutes_change_scale().colour(-60) == palette.colour("better")
    from estate.outputs import staticmaps

    assert staticmaps._palette(False)[-2] == palette.ramp("better")[2]  # shorter journeys: purple
    assert staticmaps._palette(False)[0] in palette.ramp("worse") and staticmaps._palette(False)[-1] == \
        palette.colour("unreachable")
    for scale in (maps.minutes_scale(), maps.minutes_change_scale()):
        assert html.escape(palette.WORDS["unreachable"]) in maps.legend_html([scale])


def test_a_point_map_shades_at_most_its_cap_the_quickest_first(toy):
    """England and Wales by crow-fly drive reach every one of 35,672 LSOAs from a place: the
    point map sends only the quickest ``max_lsoas`` and its legend says so; London's 4,994 fit."""
    minutes = {"a1": 30.0, "a2": 5.0, "b1": float("inf"), "b2": 12.0}
    scale = maps.minutes_scale("Minutes")
    m = maps.point_map(toy["geo"], unit_minutes=minutes, scale=scale, point=(51.5, -0.1), tiles=None,
                       place="England and Wales", max_lsoas=2)
    (layer,) = _layers(m, maps.FastChoropleth)
    feats = json.loads(layer.data_json)["features"]
    assert sorted(f["properties"]["text"].split(":")[0] for f in feats) == ["A 2", "B 2"]
    note = _legend(m).body
    assert "Click anywhere in England and Wales" in note and "Only the 2 areas reached quickest" in note
    # fitted to the two LSOAs shaded (a2 and b2, not b1 between them), not to the whole area
    (refit,) = _layers(m, maps.RefitOnResize)
    lons = [c[0] for f in feats for ring in f["geometry"]["coordinates"] for c in ring]
    assert refit.bounds[0][1] == pytest.approx(min(lons)) and refit.bounds[1][1] == pytest.approx(max(lons))
    (whole_refit,) = _layers(maps.point_map(toy["geo"], unit_minutes=minutes, scale=scale, point=(51.5, -0.1),
                                            tiles=None), maps.RefitOnResize)
    assert whole_refit.bounds == toy["geo"].bounds["london"]
    whole = maps.point_map(toy["geo"], unit_minutes=minutes, scale=scale, point=(51.5, -0.1), tiles=None)
    (layer,) = _layers(whole, maps.FastChoropleth)
    assert len(json.loads(layer.data_json)["features"]) == 3 and "reached quickest" not in _legend(whole).body
