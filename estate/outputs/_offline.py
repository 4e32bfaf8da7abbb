"""Standalone map HTML: Leaflet inlined from the ``folium-offline`` package when it
is installed, so an exported map opens offline (except the base-map tiles).
"""

from __future__ import annotations

import re

import folium

__all__ = ["JQUERY_JS", "LEAFLET_CSS", "LEAFLET_JS", "external_assets", "map_html", "offline_assets_available"]

#: Leaflet as folium 0.20 loads it; :func:`map_html` inlines these when it can.
LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
#: jQuery, which folium's popups use.
JQUERY_JS = "https://code.jquery.com/jquery-3.7.1.min.js"


def _bundled_assets() -> dict[str, str]:
    """URL -> text of the web assets the ``folium-offline`` package bundles (empty without it)."""
    try:
        from offlinefolium import elements  # the folium-offline package
    except ImportError:
        return {}
    res = getattr(elements, "_res", None)
    return res if isinstance(res, dict) else {}


def offline_assets_available() -> bool:
    """Can :func:`map_html` inline Leaflet (is ``folium-offline`` installed)?"""
    res = _bundled_assets()
    return all(u in res for u in (LEAFLET_JS, LEAFLET_CSS, JQUERY_JS))


_SCRIPT_RE = re.compile(r'<script src="(?P<url>[^"]+)"></script>')
_LINK_RE = re.compile(r'<link rel="stylesheet" href="(?P<url>[^"]+)"/>')


def map_html(m: folium.Map, *, inline: bool = True) -> str:
    """The map as one HTML document.

    With ``inline`` (and ``folium-offline`` installed) the JavaScript and CSS
    the map loads are written into the file, so it works offline except for
    the base-map tiles, which always come from the web.
    """
    text = m.get_root().render()
    if not inline:
        return text
    res = _bundled_assets()
    if not res:
        return text

    def script(mt: re.Match[str]) -> str:
        body = res.get(mt.group("url"))
        return mt.group(0) if body is None else "<script>" + body.replace("</script", "<\\/script") + "</script>"

    def style(mt: re.Match[str]) -> str:
        body = res.get(mt.group("url"))
        return mt.group(0) if body is None else "<style>" + body + "</style>"

    return _LINK_RE.sub(style, _SCRIPT_RE.sub(script, text))


def external_assets(text: str) -> list[str]:
    """URLs of scripts and stylesheets an HTML document still loads from the web."""
    return [mt.group("url") for mt in _SCRIPT_RE.finditer(text)] + [
        mt.group("url") for mt in _LINK_RE.finditer(text)
    ]


