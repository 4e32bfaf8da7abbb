"""The From-a-place map: drawn once for a view, then shaded in place for each place asked about.

A click or a postcode changes only the LSOAs' colours, their tooltips and the marker of the
place, so the app does not send (and the browser does not parse) the whole map again:
:func:`point_map` draws every LSOA unshaded, once per scenario, mode and band;
:func:`point_shading` gives, for one answer, the colour and minutes of each LSOA in the
map's order and the place; the app's shade component (:data:`SHADE_JS`) posts it into the
map's frame, whose :class:`ShadeLayer` applies it.  Colours come only from the scale
(:mod:`estate.outputs.scales`) and the palette; text is set as text, never as HTML.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from estate import text
from estate.outputs import _palette as palette
from estate.outputs._escape import json_in_script
from estate.outputs.geometry import MapGeometry
from estate.outputs.maps import (
    TILE_NOTE,
    Legend,
    PointClick,
    RefitOnResize,
    base_map,
    label_layer,
    legend_html,
    site_group,
)
from estate.outputs.scales import ColourScale

__all__ = ["POINT_MAP_MAX_LSOAS", "SHADE_JS", "ShadeLayer", "point_map", "point_shading"]

#: the LSOAs' fill opacity once shaded (the coverage maps use the same)
FILL_OPACITY = 0.72
#: the most LSOAs a point map holds (all of London's 4,994); a larger area (a crow-fly drive across
#: England and Wales reaches all 35,672) gets only the quickest reached, sent with each answer
POINT_MAP_MAX_LSOAS = 5_000


class ShadeLayer(MacroElement):
    """Every LSOA, drawn unshaded; shaded in place by an ``estateShade`` message from the parent page.

    The message (from :func:`point_shading`) holds ``fills`` (a ``#rrggbb`` colour or ``null``
    per feature, in order), ``tips`` (the minutes, as text) and ``point`` (``[lat, lon]`` or
    ``null``).  For an area too large for the map to hold its LSOAs (``data`` empty), the message
    also brings the ``features`` shaded (their shapes and names, in the order of ``fills``) and
    ``fit`` (fit the map to them).  The frame's ``<body>`` then says how many LSOAs are shaded (``data-shaded``)
    and how many shadings it has applied (``data-shadings``).  Anything else is ignored: wrong length, colours that are not ``#rrggbb``,
    numbers that are not finite.  Unshaded LSOAs take no pointer events (a click reaches the map).
    """

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var data = {{ this.data_json }};
  var edge = {{ this.edge_json }};
  var tips = [];
  var layers = [];
  var hidden = {fillOpacity: 0, opacity: 0, color: edge, weight: 0.2};
  L.geoJSON(data, {
    style: function () { return hidden; },
    onEachFeature: function (f, l) {
      var i = layers.length;
      layers.push(l);
      l.bindTooltip(function () {
        var span = document.createElement('span');
        span.textContent = f.properties.name + ': ' + (tips[i] || '');
        return span;
      }, {sticky: true});
    }
  }).addTo(map);
  layers.forEach(function (l) { var el = l.getElement && l.getElement(); if (el) el.style.pointerEvents = 'none'; });
  var marker = null, applied = 0;
  var colour = /^#[0-9a-fA-F]{6}$/;
  var sent = null;  // an area too large to hold every LSOA: the shaded ones come in the message
  function sentLayer(s) {
    if (sent) { map.removeLayer(sent); sent = null; }
    if (!s.features.length) return;
    var feats = s.features.map(function (f, k) {
      return {type: 'Feature', geometry: f.geometry, properties: {k: k, name: String(f.properties && f.properties.name || '')}};
    });
    sent = L.geoJSON({type: 'FeatureCollection', features: feats}, {
      style: function (f) { var c = s.fills[f.properties.k]; return {fillColor: colour.test(c) ? c : edge,
        fillOpacity: {{ this.opacity }}, opacity: 1, color: edge, weight: 0.2}; },
      onEachFeature: function (f, l) {
        var tip = document.createElement('span');
        tip.textContent = f.properties.name + ': ' + String(s.tips[f.properties.k] || '');
        l.bindTooltip(tip, {sticky: true});
      }
    }).addTo(map);
    if (s.fit) map.fitBounds(sent.getBounds(), {padding: [8, 8], animate: false});
  }
  function apply(s) {
    if (!s || !Array.isArray(s.fills) || !Array.isArray(s.tips)) return;
    if (Array.isArray(s.features)) {
      if (s.features.length !== s.fills.length) return;
      sentLayer(s);
    } else {
      if (s.fills.length !== layers.length) return;
      for (var i = 0; i < layers.length; i++) {
        var c = s.fills[i], l = layers[i], el = l.getElement && l.getElement();
        if (typeof c === 'string' && colour.test(c)) {
          tips[i] = String(s.tips[i] || '');
          l.setStyle({fillColor: c, fillOpacity: {{ this.opacity }}, opacity: 1});
          if (el) el.style.pointerEvents = '';
        } else {
          tips[i] = '';
          l.setStyle(hidden);
          if (el) el.style.pointerEvents = 'none';
        }
      }
    }
    if (marker) { map.removeLayer(marker); marker = null; }
    var p = s.point;
    if (Array.isArray(p) && p.length === 2 && p.every(function (v) { return typeof v === 'number' && isFinite(v); })) {
      marker = L.marker([p[0], p[1]], {icon: L.divIcon({html: {{ this.marker_json }}, className: '',
        iconSize: [22, 22], iconAnchor: [11, 11]})}).bindTooltip('The place asked about').addTo(map);
    }
    applied += 1;
    document.body.setAttribute('data-shaded', String(s.fills.filter(function (c) { return typeof c === 'string' && colour.test(c); }).length));
    document.body.setAttribute('data-shadings', String(applied));
  }
  window.addEventListener('message', function (ev) {
    if (ev.source === window.parent && ev.data && ev.data.estateShade) apply(ev.data.estateShade);
  });
  if (window.parent && window.parent !== window) window.parent.postMessage({estateReady: true}, '*');
})();
{% endmacro %}
""")

    def __init__(self, features: list[dict[str, Any]], *, edge: str, marker_svg: str,
                 opacity: float = FILL_OPACITY) -> None:
        super().__init__()
        self._name = "ShadeLayer"
        self.data_json = json_in_script({"type": "FeatureCollection", "features": features})
        self.edge_json = json_in_script(edge)
        self.marker_json = json_in_script(marker_svg)
        self.opacity = float(opacity)


def _marker_svg() -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="22" height="22" viewBox="0 0 22 22">'
            f'<circle cx="11" cy="11" r="8" fill="{palette.colour("highlight")}" '
            f'stroke="{palette.colour("background")}" stroke-width="3"/></svg>')


def point_map(
    geometry: MapGeometry,
    *,
    scale: ColourScale,
    sites: pd.DataFrame | None = None,
    title: str = "",
    band_label: str = "",
    tiles: str | None = "OpenStreetMap",
    place: str = "London",
    max_lsoas: int = POINT_MAP_MAX_LSOAS,
) -> folium.Map:
    """The map on which minutes from a place are shown: area outlines and names, every LSOA
    (unshaded until :func:`point_shading` arrives), the sites and the legend; a click reports a point.

    LSOAs beyond reach stay unshaded (the legend says so).  An area of more than ``max_lsoas``
    LSOAs holds none: each answer brings the quickest ``max_lsoas`` reached, and the legend says so.
    """
    scale = dataclasses.replace(scale, missing_label="not within reach (left unshaded)")
    m = base_map(tiles)
    folium.GeoJson(geometry.boroughs, name="Boroughs", style_function=lambda ft: {
        "fillOpacity": 0.0, "color": palette.colour("outline"), "weight": 1.2}, interactive=False).add_to(m)
    held = len(geometry.lsoas["features"]) <= max_lsoas
    feats = [_feature(f) for f in geometry.lsoas["features"]] if held else []
    ShadeLayer(feats, edge=palette.colour("outline"), marker_svg=_marker_svg()).add_to(m)
    label_layer(geometry.boroughs).add_to(m)
    statuses: list[str] = []
    if sites is not None and len(sites):
        site_group(sites, "Sites", band_label).add_to(m)
        statuses = [s for s in ("open", "closing", "new") if (sites["status"] == s).any()]
    note = f"Click anywhere in {html.escape(place)} to ask from there. Unshaded: no counter within reach."
    if not held:
        note += (f" Only the {text.count(max_lsoas)} areas reached quickest are shaded "
                 "(a map of every one would be too large to send).")
    if tiles:
        note += " " + TILE_NOTE
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    Legend(heading + legend_html([scale], statuses, note), colours=scale.colours).add_to(m)
    PointClick().add_to(m)
    m.fit_bounds(geometry.bounds["london"], padding_top_left=(8, 8), padding_bottom_right=(8, 8))
    RefitOnResize(geometry.bounds["london"]).add_to(m)
    return m


def _feature(f: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": f["geometry"],
            "properties": {"name": str(f["properties"].get("name", f["id"]))}}


def point_shading(geometry: MapGeometry, unit_minutes: Mapping[str, float] | None, scale: ColourScale,
                  point: tuple[float, float] | None, *, max_lsoas: int = POINT_MAP_MAX_LSOAS) -> dict[str, Any]:
    """What :class:`ShadeLayer` needs for one answer: per LSOA of ``geometry`` (in its order) the
    colour of its minutes from the place (``None``: not within reach, or no place asked), the
    minutes as text, and the place as ``[lat, lon]`` (``None``: no place).

    For an area of more than ``max_lsoas`` LSOAs (which the map does not hold), only the quickest
    ``max_lsoas`` reached (ties by code), with their shapes (``features``) and ``fit`` (fit the map to them).
    """
    all_feats = geometry.lsoas["features"]
    held = len(all_feats) <= max_lsoas
    ids = [str(f["id"]) for f in all_feats]
    if not unit_minutes or point is None:
        empty: dict[str, Any] = {"fills": [None] * len(ids), "tips": [""] * len(ids), "point": None}
        return empty if held else {"features": [], "fills": [], "tips": [], "point": None, "fit": False}
    vals = np.array([unit_minutes.get(i, np.nan) for i in ids], dtype=np.float64)
    ok = np.isfinite(vals)
    where = (float(point[0]), float(point[1]))
    if not held:
        reached = np.flatnonzero(ok)
        order = sorted(reached.tolist(), key=lambda k: (vals[k], ids[k]))[:max_lsoas]
        cols = scale.colours_of(vals[order]) if order else []
        return {"features": [_feature(all_feats[k]) for k in order], "fills": list(cols),
                "tips": [_tip(float(vals[k])) for k in order], "point": list(where), "fit": True}
    cols = scale.colours_of(np.where(ok, vals, 0.0))
    fills = [c if k else None for c, k in zip(cols, ok, strict=True)]
    tips = [_tip(float(v)) if k else "" for v, k in zip(vals, ok, strict=True)]
    return {"fills": fills, "tips": tips, "point": list(where)}


def _tip(minutes: float) -> str:
    return f"{text.minutes(minutes, unit=True)} from the place"


#: JavaScript of the app's shade component: keeps the latest shading for the named map
#: (``window.estateShades[name]``, read again when that map's frame reloads) and posts it
#: into the map's frame now if it is there (``window.estateMaps``, kept by the map component).
SHADE_JS = """
export default function (component) {
  const { data } = component;
  if (!data || typeof data.target !== 'string' || !data.shade) return;
  window.estateShades = window.estateShades || {};
  window.estateShades[data.target] = data.shade;
  const frame = (window.estateMaps || {})[data.target];
  if (frame && frame.contentWindow) frame.contentWindow.postMessage({estateShade: data.shade}, '*');
}
"""
