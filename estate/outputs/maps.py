"""Coverage maps: pure builders that return :class:`folium.Map`.

Nothing here reads widgets or files: every function takes data (prepared
geometry, coverage results, site frames) and returns a map, a layer or plain
values, so the app, the evidence pack and the tests can build the same map.
The pieces live beside it:

* :mod:`estate.outputs.geometry`: the borough and LSOA shapes, prepared once;
* :mod:`estate.outputs.scales`: the metrics a map shows and their colour classes;
* :mod:`estate.outputs.sites`: the sites to draw, their icons and popups;
* :mod:`estate.outputs._offline`: one standalone HTML file with Leaflet inlined;
* :mod:`estate.outputs._palette`: what each colour means.

:func:`coverage_map` assembles tiles, choropleths, markers and the legend;
:func:`catchment_map` draws one closed site's catchment.  The names of the
modules above are re-exported here, so ``maps.metric_scale`` and the like work.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from estate.errors import MapError
from estate.outputs import _palette as palette
from estate.outputs._escape import html_in_script, json_in_script
from estate.outputs._offline import (
    JQUERY_JS,
    LEAFLET_CSS,
    LEAFLET_JS,
    external_assets,
    map_html,
    offline_assets_available,
)
from estate.outputs._palette import CIVIDIS, OKABE_ITO, PUOR, STATUS_COLOURS, VIRIDIS
from estate.outputs.geometry import MapGeometry, StudyGeometry, geometry_for, map_geometry
from estate.outputs.scales import (
    METRICS,
    ColourScale,
    Metric,
    change_scale,
    data_scale,
    format_value,
    level_scale,
    lsoa_data_scale,
    lsoa_scale,
    lsoa_values,
    metric_scale,
    metric_values,
    minutes_change_scale,
    minutes_scale,
    value_text,
)
from estate.outputs.sites import (
    SITE_COLUMNS,
    candidate_frame,
    site_frame,
    site_icon_svg,
    site_popup_html,
)
from estate.outputs.ui_text import STATUS_LABELS

__all__ = [
    "CIVIDIS",
    "EMBED_JS",
    "JQUERY_JS",
    "LEAFLET_CSS",
    "LEAFLET_JS",
    "METRICS",
    "OKABE_ITO",
    "PUOR",
    "SITE_COLUMNS",
    "STATUS_COLOURS",
    "TILE_NOTE",
    "VIRIDIS",
    "ClickBridge",
    "ColourScale",
    "LabelLayer",
    "Legend",
    "MapGeometry",
    "Metric",
    "MetricScale",
    "PointClick",
    "StudyGeometry",
    "ZoomSwitch",
    "base_map",
    "candidate_frame",
    "catchment_map",
    "change_scale",
    "coverage_map",
    "data_scale",
    "external_assets",
    "geojson_size",
    "geometry_for",
    "label_layer",
    "legend_html",
    "level_scale",
    "lsoa_data_scale",
    "lsoa_scale",
    "lsoa_values",
    "map_geometry",
    "map_html",
    "metric_scale",
    "metric_values",
    "minutes_change_scale",
    "minutes_scale",
    "offline_assets_available",
    "site_frame",
    "site_group",
    "site_icon_svg",
    "site_popup_html",
    "value_text",
    "values_by_code",
]


# ---- legend and helpers ------------------------------------------------------
class Legend(MacroElement):
    """A fixed legend box with the colour classes (and units) and the marker key.

    It starts folded (``open=False``): a one-line "Legend" with a strip of the class
    colours at the bottom right, clear of the scale bar (bottom left) and of most of
    the map; a click unfolds it.
    """

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
.estate-legend { position: fixed; bottom: 22px; right: 10px; z-index: 9999; background: rgba(255,255,255,0.94);
  padding: 4px 7px; border-radius: 5px; box-shadow: 0 1px 4px rgba(0,0,0,0.35);
  font: 11px/1.25 Arial, Helvetica, sans-serif; max-width: 190px; color: #222;
  max-height: 48%; overflow-y: auto; }
.estate-legend details:not([open]) { max-width: 150px; }
.estate-legend .strip { display: inline-flex; vertical-align: middle; margin-left: 5px; }
.estate-legend .strip span { width: 9px; height: 9px; border: 1px solid #777; margin-left: -1px; }
.estate-legend details[open] .strip { display: none; }
.estate-label { font: bold 9px/1.05 Arial, Helvetica, sans-serif; color: #1b1b1b; text-align: center;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; white-space: normal; pointer-events: none; }
.estate-legend summary { cursor: pointer; font-weight: bold; }
.estate-legend h4 { margin: 4px 0 3px; font-size: 11px; }
.estate-legend .row { display: flex; align-items: center; gap: 5px; margin: 1px 0; }
.estate-legend .sw { width: 16px; height: 12px; border: 1px solid #777; flex: none; }
.estate-legend .note { color: #555; margin-top: 4px; font-size: 11px; }
</style>
{% endmacro %}
{% macro html(this, kwargs) %}
<div class="estate-legend" id="{{ this.get_name() }}"><details {{ 'open' if this.open else '' }}><summary>Legend{{ this.summary }}{{ this.strip }}</summary>{{ this.body }}</details></div>
{% endmacro %}
""")

    def __init__(self, body: str, *, open: bool = False, summary: str = "", colours: Sequence[str] = ()) -> None:
        super().__init__()
        self._name = "Legend"
        self.body = body
        self.open = open
        self.summary = f": {html.escape(summary)}" if summary else ""
        self.colours = tuple(colours)
        self.strip = ('<span class="strip" aria-hidden="true">' + "".join(
            f'<span style="background:{html.escape(c, quote=True)}"></span>' for c in colours) + "</span>"
            if colours else "")


class RefitOnResize(MacroElement):
    """Fit the map to ``bounds`` again when its frame changes size before anyone moved it.

    A frame laid out at zero size (a page still arranging itself) makes Leaflet fit at
    the largest zoom, a blank map; this refits once the frame has its real size.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  const map = {{ this._parent.get_name() }};
  const bounds = {{ this.bounds|tojson }};
  map.getContainer().addEventListener('pointerdown', () => { map._estateUser = true; });
  map.getContainer().addEventListener('wheel', () => { map._estateUser = true; });
  map.getContainer().addEventListener('keydown', () => { map._estateUser = true; });
  const refit = () => { if (map._estateUser) return; map.invalidateSize();
                        map.fitBounds(bounds, {padding: [8, 8], animate: false}); };
  if (window.ResizeObserver) { new ResizeObserver(refit).observe(map.getContainer()); }
  window.addEventListener('load', refit);
})();
{% endmacro %}
""")

    def __init__(self, bounds: Sequence[Sequence[float]]) -> None:
        super().__init__()
        self._name = "RefitOnResize"
        self.bounds = [[float(v) for v in pair] for pair in bounds]


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's shows miles and feet too)."""

    _template = Template("""
{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false, position: 'bottomleft', maxWidth: 140}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class PointClick(MacroElement):
    """Tell the embedding page (``postMessage``) where the map was clicked, as ``[lat, lon]`` numbers."""

    _template = Template("""
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.on('click', function (ev) {
  if (window.parent && window.parent !== window) {
    window.parent.postMessage({estatePoint: [Number(ev.latlng.lat), Number(ev.latlng.lng)]}, '*');
  }
});
{% endmacro %}
""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "PointClick"


class LabelLayer(MacroElement):
    """Text labels (borough names) drawn by one script from JSON data, set as text (never HTML).

    One element for all labels: a folium ``Marker`` each would compile two templates per label.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var labels = {{ this.data_json }};
  labels.forEach(function (d) {
    var div = document.createElement('div');
    div.className = 'estate-label';
    div.textContent = d[2];
    L.marker([d[0], d[1]], {interactive: false, keyboard: false,
      icon: L.divIcon({html: div, className: 'estate-label-icon', iconSize: [74, 22], iconAnchor: [37, 8]})
    }).addTo({{ this._parent.get_name() }});
  });
})();
{% endmacro %}
""")

    def __init__(self, labels: list[tuple[float, float, str]]) -> None:
        super().__init__()
        self._name = "LabelLayer"
        self.data_json = json_in_script([[round(a, 5), round(b, 5), t] for a, b, t in labels])


def label_layer(geojson: dict[str, Any]) -> LabelLayer:
    """Each feature's ``name`` as a text label at a point inside it."""
    from shapely.geometry import shape

    labels = []
    for f in geojson["features"]:
        name = str(f["properties"].get("name", ""))
        if name:
            pt = shape(f["geometry"]).representative_point()
            labels.append((float(pt.y), float(pt.x), name))
    return LabelLayer(labels)


def legend_html(scales: Sequence[ColourScale], statuses: Sequence[str] = (), note: str = "") -> str:
    """The legend's inner HTML: each scale (title with units, one row per class), then the marker key."""
    e = html.escape
    parts = []
    for i, sc in enumerate(scales):
        parts.append(f"<h4>{e(sc.title)}</h4>")
        if i and sc.colours == scales[0].colours and sc.labels == scales[0].labels:
            parts.append('<div class="note">Same colours as above.</div>')
            continue
        for col, lab in zip(sc.colours, sc.labels, strict=True):
            parts.append(f'<div class="row"><span class="sw" style="background:{col}"></span>{e(lab)}</div>')
        parts.append(f'<div class="row"><span class="sw" style="background:{sc.unreachable}"></span>'
                     f'{e(sc.unreachable_label)}</div>')
        parts.append(f'<div class="row"><span class="sw" style="background:{sc.missing}"></span>{e(sc.missing_label)}</div>')
    if statuses:
        parts.append("<h4>Sites</h4>")
        for st in statuses:
            if st == "candidate":
                parts.append(f'<div class="row">{site_icon_svg(st, False, 14)}{e(STATUS_LABELS[st])}</div>')
                continue
            parts.append(f'<div class="row">{site_icon_svg(st, True, 14)}{site_icon_svg(st, False, 14)}'
                         f'{e(STATUS_LABELS[st])}</div>')
        parts.append('<div class="note">Filled: open 24/7; hollow: part-time.</div>')
    if note:
        parts.append(f'<div class="note">{e(note)}</div>')
    return "".join(parts)


class ZoomSwitch(MacroElement):
    """Show ``layer`` only at zoom ``min_zoom`` and closer."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var layer = {{ this.layer_name }};
  function sync() {
    if (map.getZoom() >= {{ this.min_zoom }}) { if (!map.hasLayer(layer)) { map.addLayer(layer); } }
    else if (map.hasLayer(layer)) { map.removeLayer(layer); }
  }
  map.on('zoomend', sync);
  sync();
})();
{% endmacro %}
""")

    def __init__(self, layer: folium.GeoJson, min_zoom: int) -> None:
        super().__init__()
        self._name = "ZoomSwitch"
        self.layer_name = layer.get_name()
        self.min_zoom = int(min_zoom)


class ClickBridge(MacroElement):
    """Tell the page that embeds the map (``postMessage``) which site marker was clicked."""

    _template = Template("""
{% macro script(this, kwargs) %}
document.addEventListener('click', function (ev) {
  var el = ev.target && ev.target.closest ? ev.target.closest('[data-site-id]') : null;
  if (el && window.parent && window.parent !== window) {
    window.parent.postMessage({estateSite: el.getAttribute('data-site-id')}, '*');
  }
}, true);
{% endmacro %}
""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "ClickBridge"


def _choropleth(geojson: dict[str, Any], values: Mapping[str, float], scale: ColourScale, name: str,
                value_label: str, *, show: bool = True, weight: float = 1.0, describe: Any = None,
                fill_opacity: float = 0.72) -> folium.GeoJson:
    feats = []
    ids = [f["id"] for f in geojson["features"]]
    vals = np.array([values.get(i, np.nan) for i in ids], dtype=np.float64)
    cols = scale.colours_of(vals)
    for f, v, c in zip(geojson["features"], vals, cols, strict=True):
        props = dict(f["properties"])
        props["value"] = describe(float(v)) if describe else format_value(float(v), scale.unit)
        props["fill"] = c
        feats.append({"type": "Feature", "id": f["id"], "properties": props, "geometry": f["geometry"]})
    data = {"type": "FeatureCollection", "features": feats}
    label_field = "name"
    outline, highlight = palette.colour("outline"), palette.colour("highlight")
    return folium.GeoJson(
        data, name=name, show=show,
        style_function=lambda ft: {"fillColor": ft["properties"]["fill"], "color": outline,
                                   "weight": weight, "fillOpacity": fill_opacity},
        highlight_function=lambda ft: {"weight": 3, "color": highlight},
        tooltip=folium.GeoJsonTooltip(fields=[label_field, "value"], aliases=["", ""],
                                      localize=False, sticky=False),
    )


def site_group(sites: pd.DataFrame, name: str, band_label: str, *, show: bool = True) -> folium.FeatureGroup:
    """The sites of ``sites`` (:func:`site_frame`'s columns) as markers with their popups, one layer."""
    fg = folium.FeatureGroup(name=name, show=show)
    for row in sites.to_dict("records"):
        size = 18 if row["status"] != "candidate" else 14
        svg = site_icon_svg(row["status"], bool(row["is_24_7"]), size)
        icon = folium.DivIcon(
            html=f'<div data-site-id="{html_in_script(row["site_id"])}" '
                 f'data-status="{html_in_script(row["status"])}" style="cursor:pointer">{svg}</div>',
            icon_size=(size, size), icon_anchor=(size // 2, size // 2), class_name="estate-site",
        )
        folium.Marker(
            [float(row["lat"]), float(row["lon"])], icon=icon,
            tooltip=html_in_script(row["name"]),
            popup=folium.Popup(site_popup_html(row, band_label), max_width=320),
        ).add_to(fg)
    return fg


def base_map(tiles: str | None) -> folium.Map:
    """An empty map: Leaflet and jQuery only (no Bootstrap, Font Awesome or web fonts), a metric scale bar."""
    m = folium.Map(location=[51.49, -0.11], zoom_start=10, tiles=None, control_scale=False,
                   prefer_canvas=False, zoom_snap=0.25, zoom_delta=0.5)
    m.default_js = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    if tiles:
        folium.TileLayer(tiles, name="Base map (tile.openstreetmap.org, online only)", control=False).add_to(m)
    MetricScale().add_to(m)
    return m


#: said on every map with base-map tiles: the one request that leaves the computer
TILE_NOTE = "Base map tiles: © OpenStreetMap contributors, fetched from tile.openstreetmap.org (online only)."


def coverage_map(
    geometry: MapGeometry,
    *,
    borough_values: Mapping[str, float],
    borough_scale: ColourScale,
    sites: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    lsoa_values: Mapping[str, float] | None = None,
    lsoa_scale: ColourScale | None = None,
    lsoa: str = "off",
    focus: str | None = None,
    band_label: str = "",
    title: str = "",
    clickable: bool = False,
    tiles: str | None = "OpenStreetMap",
    lsoa_min_zoom: int = 13,
    describe: Any = None,
    lsoa_describe: Any = None,
    labels: bool = True,
) -> folium.Map:
    """A coverage map: borough choropleth, optional LSOA choropleth, borough names, site markers, legend.

    Parameters
    ----------
    geometry
        From :func:`map_geometry`.
    borough_values, borough_scale
        Value per borough code, and its colour classes.
    sites, candidates
        Frames from :func:`site_frame` and :func:`candidate_frame`.
    lsoa_values, lsoa_scale
        Value per LSOA code, and its classes (needed unless ``lsoa == "off"``).
    lsoa
        ``"off"``; ``"borough"`` (the LSOAs of ``focus``, shown, the other
        boroughs as outlines, one legend); or ``"zoom"`` (all LSOAs, shown from
        zoom ``lsoa_min_zoom``).
    focus
        A borough code to zoom to (and, with ``lsoa="borough"``, whose LSOAs to draw).
    clickable
        Add the click bridge that reports clicked site markers to the embedding page.
    tiles
        A folium tile name, or ``None`` for no base map.
    describe, lsoa_describe
        ``value -> text`` for the tooltips (e.g. :func:`estate.outputs.scales.value_text`).
    labels
        Draw the borough names.
    """
    if lsoa not in ("off", "borough", "zoom"):
        raise MapError(f"lsoa must be 'off', 'borough' or 'zoom', not {lsoa!r}")
    if lsoa != "off" and (lsoa_values is None or lsoa_scale is None):
        raise MapError("an LSOA layer needs lsoa_values and lsoa_scale")
    if lsoa == "borough" and not focus:
        raise MapError("lsoa='borough' needs focus=<borough code>")
    m = base_map(tiles)
    one_borough = lsoa == "borough"
    boro = _choropleth(geometry.boroughs, borough_values, borough_scale, "Boroughs", borough_scale.unit,
                       describe=describe, fill_opacity=0.0 if one_borough else 0.72,
                       weight=1.6 if one_borough else 1.0)
    boro.add_to(m)
    scales = [] if one_borough else [borough_scale]
    note = ""
    if lsoa != "off":
        assert lsoa_values is not None and lsoa_scale is not None
        if lsoa == "borough":
            feats = [f for f in geometry.lsoas["features"] if f["properties"]["area_code"] == focus]
            gj = {"type": "FeatureCollection", "features": feats}
        else:
            gj = geometry.lsoas
            note = "LSOAs appear when you zoom in."
        layer = _choropleth(gj, lsoa_values, lsoa_scale, "LSOAs", lsoa_scale.unit, weight=0.4,
                            describe=lsoa_describe)
        layer.add_to(m)
        if lsoa == "zoom":
            ZoomSwitch(layer, lsoa_min_zoom).add_to(m)
        scales.append(lsoa_scale)
    if labels:
        label_layer(geometry.boroughs).add_to(m)
    statuses: list[str] = []
    if sites is not None and len(sites):
        site_group(sites, "Sites", band_label).add_to(m)
        statuses = [s for s in ("open", "closing", "new", "closed") if (sites["status"] == s).any()] or ["open"]
    if candidates is not None and len(candidates):
        site_group(candidates, "Candidate hosts", band_label).add_to(m)
        statuses.append("candidate")
    if tiles:
        note = (note + " " if note else "") + TILE_NOTE
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    Legend(heading + legend_html(scales, statuses, note), colours=scales[0].colours if scales else ()).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if clickable:
        ClickBridge().add_to(m)
    fit = geometry.bounds.get(focus or "london", geometry.bounds["london"])
    m.fit_bounds(fit, padding_top_left=(8, 8), padding_bottom_right=(8, 8))
    RefitOnResize(fit).add_to(m)
    return m


def values_by_code(codes: Sequence[str] | np.ndarray | pd.Series, values: np.ndarray) -> dict[str, float]:
    """A ``{code: value}`` mapping from parallel arrays."""
    return {str(c): float(v) for c, v in zip(codes, values, strict=True)}


def geojson_size(geometry: MapGeometry) -> dict[str, int]:
    """Bytes of the borough and LSOA GeoJSON (for the benchmark and the About page)."""
    return {"boroughs": len(json.dumps(geometry.boroughs)), "lsoas": len(json.dumps(geometry.lsoas))}


#: JavaScript of the app's map component: shows a map's HTML in an iframe and
#: reports the site marker clicked in it (see :class:`ClickBridge`) as the
#: trigger value ``site``, and a point clicked (see :class:`PointClick`) as ``point``.
#: A map that is shaded in place (:mod:`estate.outputs.pointmap`) says ``estateReady``
#: when loaded and gets the latest shading kept for it (``window.estateShades[name]``).
#: Plain text; the app registers it with streamlit.
EMBED_JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let frame = parentElement.querySelector('iframe');
  if (!frame) {
    frame = document.createElement('iframe');
    frame.style.width = '100%';
    frame.style.border = '0';
    frame.setAttribute('data-testid', 'estate-map');
    // an opaque origin: the map's scripts run, but cannot reach the app's page or cookies
    frame.setAttribute('sandbox', 'allow-scripts allow-popups');
    parentElement.appendChild(frame);
    window.addEventListener('message', (ev) => {
      if (ev.source !== frame.contentWindow || !ev.data) return;
      if (typeof ev.data.estateSite === 'string') {
        frame.estateTrigger('site', ev.data.estateSite);
      }
      const pt = ev.data.estatePoint;
      if (Array.isArray(pt) && pt.length === 2 && pt.every((v) => typeof v === 'number' && isFinite(v))) {
        frame.estateTrigger('point', [pt[0], pt[1]]);
      }
      if (ev.data.estateReady === true) {
        const shade = (window.estateShades || {})[frame.dataset.name];
        if (shade) frame.contentWindow.postMessage({estateShade: shade}, '*');
      }
    });
  }
  frame.estateTrigger = setTriggerValue;
  frame.dataset.name = data.name || '';
  window.estateMaps = window.estateMaps || {};
  window.estateMaps[frame.dataset.name] = frame;
  frame.setAttribute('title', data.title || 'Coverage map');
  frame.style.height = (data.height || 560) + 'px';
  if (frame.dataset.key !== data.key) {
    frame.dataset.key = data.key;
    frame.srcdoc = data.html;
  }
}
"""


def catchment_map(
    geometry: MapGeometry,
    *,
    unit_ids: Sequence[str],
    change_minutes: Sequence[float],
    sites: pd.DataFrame,
    title: str = "",
    band_label: str = "",
    tiles: str | None = "OpenStreetMap",
) -> folium.Map:
    """A closed site's catchment: its LSOAs coloured by the change in minutes, and the sites involved.

    ``sites`` (columns of :func:`site_frame`) holds the closed site and the
    sites its residents go to instead; the map fits the catchment.
    """
    m = base_map(tiles)
    scale = minutes_change_scale("Change in minutes for the catchment's residents")
    wanted = set(map(str, unit_ids))
    feats = [f for f in geometry.lsoas["features"] if f["id"] in wanted]
    gj = {"type": "FeatureCollection", "features": feats}
    values = {str(u): float(v) for u, v in zip(unit_ids, change_minutes, strict=True)}
    if feats:
        _choropleth(gj, values, scale, "Catchment LSOAs", scale.unit, weight=0.5).add_to(m)
    statuses = [s for s in ("open", "closing", "new") if len(sites) and (sites["status"] == s).any()]
    if len(sites):
        site_group(sites, "Sites", band_label).add_to(m)
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    note = TILE_NOTE if tiles else ""
    Legend(heading + legend_html([scale], statuses, note), colours=scale.colours).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    lats = [c[1] for f in feats for c in _coords(f["geometry"])] + [float(v) for v in sites["lat"]]
    lons = [c[0] for f in feats for c in _coords(f["geometry"])] + [float(v) for v in sites["lon"]]
    if lats:
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding_top_left=(10, 10))
    return m


def _coords(geom: dict[str, Any]) -> list[list[float]]:
    """Every vertex of a GeoJSON Polygon or MultiPolygon."""
    if geom["type"] == "Polygon":
        return [c for ring in geom["coordinates"] for c in ring]
    if geom["type"] == "MultiPolygon":
        return [c for poly in geom["coordinates"] for ring in poly for c in ring]
    return []

