"""Static maps (PNG) of the closure evidence, drawn with Pillow.

One map per site and band: borough outlines, the catchment's LSOAs shaded
by how many minutes each resident's journey changes, the site itself, and
the sites residents go to instead (or came from), each labelled with its
share.  One overview map of every changed site.  The PNGs are embedded in
the HTML report as base64 (so it works offline, with no CDN) and reused in
the PDF.

Drawing: Pillow's C rasteriser paints every shape at three times the final
resolution, and the picture is reduced to its size (box filter: antialiased
edges), then quantised to an 8-bit palette PNG.  Polygons are turned into
vertex arrays once per data source (by :mod:`estate.outputs.geometry`), the
borough outlines are transformed once per map, the legend column is drawn
once per kind of map and reused, and text is DejaVu Sans (found inside
matplotlib's fonts, without importing it): a site map costs a few
milliseconds.  Sizes are given in points, as in print (1 pt = 1/72 inch at
:data:`DPI`).  Colours come from :mod:`estate.outputs._palette` by meaning:
the change in minutes uses the same orange (worse) and purple (better) as
the web maps and the app.
"""

from __future__ import annotations

import io
import logging
import math
import multiprocessing
import os
import textwrap
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from functools import cache

import numpy as np
import shapely
from PIL import Image, ImageColor, ImageDraw, ImageFont

from estate import text
from estate.errors import EstateError
from estate.evidence import (
    CHANGE_OPENED,
    EFFECT_GAIN,
    EFFECT_LOSS,
    BandCase,
    Evidence,
    SiteCase,
)
from estate.outputs import _palette as palette
from estate.outputs._fonts import dejavu
from estate.outputs.geometry import GeographySource, StudyGeometry, geometry_for
from estate.register import Estate
from geodata import die_with_parent
from geodata.travel.base import ProgressFn

__all__ = ["ATTRIBUTION", "DPI", "MapCanvas", "PendingMaps", "canvas_for", "evidence_maps", "map_key",
           "start_evidence_maps"]

log = logging.getLogger(__name__)

#: Printed on every map.
ATTRIBUTION = ("Boundaries: ONS, GLA (OGL v3), contains OS data © Crown copyright and database right. "
               "Population: ONS Census 2021.")

#: Upper edges (minutes) of the bins of change in journey time; the last bin is open-ended.
_EDGES = (5.0, 10.0, 20.0, 30.0, 45.0)
_BIN_LABELS = ("under 5", "5-10", "10-20", "20-30", "30-45", "45 or more")
_OPPOSITE_LABEL = {False: "shorter: new site nearer", True: "longer: own site closed"}
#: share of a site map's width given to the map; the legend sits in the rest
_MAP_WIDTH = 0.8
#: The maps' resolution: sharp on screen and in print at the report's width, and quick to draw.
DPI = 90
#: Shapes are painted at this many times the final resolution, then reduced (antialiasing).
_SS = 3
#: Line spacing of text, in font sizes.
_LINE = 1.2

# Marker outlines in units of the marker's size, y up (the shapes of matplotlib's 'X', '*' and 'o').
_MARKERS: dict[str, np.ndarray] = {
    "X": np.array([(-0.25, -0.5), (0.0, -0.25), (0.25, -0.5), (0.5, -0.25), (0.25, 0.0), (0.5, 0.25), (0.25, 0.5),
                   (0.0, 0.25), (-0.25, 0.5), (-0.5, 0.25), (-0.25, 0.0), (-0.5, -0.25)]),
    "*": np.array([(0.5 * (1 if k % 2 == 0 else 0.381966) * math.cos(math.pi / 2 + k * math.pi / 5),
                    0.5 * (1 if k % 2 == 0 else 0.381966) * math.sin(math.pi / 2 + k * math.pi / 5))
                   for k in range(10)]),
}


def map_key(site_id: str, band: str) -> str:
    """The key of one site-and-band map in :func:`evidence_maps`' result.

    Examples
    --------
    >>> map_key("chingford", "night")
    'chingford/night'
    """
    return f"{site_id}/{band}"


def _rgb(meaning_or_hex: str) -> tuple[int, int, int]:
    """An (r, g, b) of a palette meaning, or of a hex colour the palette gave."""
    h = meaning_or_hex if meaning_or_hex.startswith("#") else palette.colour(meaning_or_hex)
    r, g, b = ImageColor.getrgb(h)[:3]
    return r, g, b


@cache
def _font(size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = dejavu(bold)
    if path is None:  # pragma: no cover - matplotlib (a dependency) always ships DejaVu
        return ImageFont.load_default(size_px)
    return ImageFont.truetype(str(path), size_px)


class _Picture:
    """One picture of ``size`` pixels painted at :data:`_SS` times that; :meth:`image` reduces it.

    World coordinates (EPSG:27700 metres, y up) map to pixels once :meth:`view` is set;
    sizes (line widths, fonts, markers) are in points at ``dpi``.
    """

    def __init__(self, size: tuple[int, int], dpi: int) -> None:
        self.size = size
        self.pt = dpi / 72 * _SS  # painted pixels per point
        self.img = Image.new("RGB", (size[0] * _SS, size[1] * _SS), _rgb("background"))
        self.draw = ImageDraw.Draw(self.img)
        self.x0, self.y1, self.k = 0.0, 0.0, 1.0

    def view(self, x0: float, x1: float, y0: float, y1: float) -> None:
        """Show the world rectangle ``x0..x1`` by ``y0..y1`` (same aspect as the picture)."""
        self.x0, self.y1 = x0, y1
        self.k = self.img.width / (x1 - x0)
        self.extent = (x0, x1, y0, y1)

    def px(self, xy: np.ndarray) -> np.ndarray:
        """World ``(n, 2)`` coordinates as painted pixels."""
        out = np.empty_like(xy, dtype=np.float64)
        out[:, 0] = (xy[:, 0] - self.x0) * self.k
        out[:, 1] = (self.y1 - xy[:, 1]) * self.k
        return out

    def at(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.k, (self.y1 - y) * self.k

    def width(self, points: float) -> int:
        return max(1, round(points * self.pt))

    def rings(self, rings: Sequence[np.ndarray], *, fills: Sequence[tuple[int, int, int]] | None = None,
              fill: tuple[int, int, int] | int | None = None, outline: tuple[int, int, int] | None = None,
              outline_pt: float = 0.0, draw: ImageDraw.ImageDraw | None = None) -> None:
        """Fill (and outline) polygons given as world vertex rings, in one transform."""
        if not len(rings):
            return
        d = draw or self.draw
        lengths = np.fromiter((len(r) for r in rings), dtype=np.int64, count=len(rings))
        flat = self.px(np.concatenate(rings))
        w = self.width(outline_pt) if outline is not None else 0
        for k, ring in enumerate(np.split(flat, np.cumsum(lengths)[:-1])):
            d.polygon(ring.ravel().tolist(), fill=fills[k] if fills is not None else fill, outline=outline, width=w)

    def lines(self, flat: np.ndarray, lengths: np.ndarray, bounds: np.ndarray, colour: tuple[int, int, int],
              width_pt: float) -> None:
        """Polylines (world vertex rings, concatenated, with each ring's bounds); those out of view are skipped."""
        x0, x1, y0, y1 = self.extent
        seen = (bounds[:, 2] >= x0) & (bounds[:, 0] <= x1) & (bounds[:, 3] >= y0) & (bounds[:, 1] <= y1)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        w = self.width(width_pt)
        for k in np.flatnonzero(seen):
            ring = self.px(flat[starts[k]:starts[k] + lengths[k]])
            self.draw.line(ring.ravel().tolist(), fill=colour, width=w, joint="curve" if w > 2 else None)

    def marker(self, kind: str, x: float, y: float, size_pt: float, fill: tuple[int, int, int],
               edge: tuple[int, int, int] = (0, 0, 0), edge_pt: float = 0.0,
               draw: ImageDraw.ImageDraw | None = None) -> None:
        """A marker of ``kind`` ('o', 'X', '*') ``size_pt`` points across at painted pixel ``(x, y)``."""
        d = draw or self.draw
        # Pillow strokes inside the shape, matplotlib on its edge: grow the shape by half a stroke each side
        s = (size_pt + edge_pt) * self.pt
        w = max(1, round(edge_pt * self.pt)) if edge_pt else 0
        if kind == "o":
            r = s / 2
            d.ellipse((x - r, y - r, x + r, y + r), fill=fill, outline=edge if w else None, width=w)
            return
        v = _MARKERS[kind]
        pts = np.column_stack([x + v[:, 0] * s, y - v[:, 1] * s])
        d.polygon(pts.ravel().tolist(), fill=fill, outline=edge if w else None, width=w)

    def text_size(self, s: str, size_pt: float, bold: bool = False) -> tuple[float, float]:
        """Width and height (painted pixels) of ``s`` (lines split at newlines)."""
        f = _font(round(size_pt * self.pt), bold)
        lines = s.split("\n")
        wd = max(f.getlength(line) for line in lines)
        return wd, size_pt * self.pt * (1 + _LINE * (len(lines) - 1))

    def text(self, x: float, y: float, s: str, size_pt: float, colour: tuple[int, int, int], *,
             bold: bool = False, ha: str = "left", va: str = "baseline",
             paint: bool = True) -> tuple[float, float, float, float]:
        """``s`` at painted pixel ``(x, y)`` aligned by ``ha`` (left, center, right) and ``va``
        (baseline of the first line, top, center, bottom); returns its box (left, top, right,
        bottom).  ``paint=False`` only measures it."""
        size = size_pt * self.pt
        f = _font(round(size), bold)
        lines = s.split("\n")
        ascent, descent = f.getmetrics() if isinstance(f, ImageFont.FreeTypeFont) else (size * 0.8, size * 0.2)
        height = ascent + descent + _LINE * size * (len(lines) - 1)
        top = {"baseline": y - ascent, "top": y, "center": y - height / 2, "bottom": y - height}[va]
        width = max(f.getlength(line) for line in lines)
        for k, line in enumerate(lines if paint else ()):
            lw = f.getlength(line)
            lx = {"left": x, "center": x - lw / 2, "right": x - lw}[ha]
            self.draw.text((lx, top + ascent + k * _LINE * size), line, font=f, fill=colour, anchor="ls")
        left = {"left": x, "center": x - width / 2, "right": x - width}[ha]
        return left, top, left + width, top + height

    def translucent(self, colour: tuple[int, int, int], alpha: float,
                    boxes: Sequence[tuple[float, float, float, float]]) -> _Layer:
        """A layer of shapes in ``colour`` mixed into the picture at ``alpha`` within ``boxes`` (painted pixels)."""
        return _Layer(self, colour, alpha, boxes)

    def image(self) -> Image.Image:
        """The picture at its final size (box-filtered: antialiased)."""
        return self.img.reduce(_SS)


class _Layer:
    """``with picture.translucent(colour, alpha) as draw:`` paints a mask, then mixes ``colour`` in through it.

    Only the ``boxes`` (around the shapes) are mixed, for speed.
    """

    def __init__(self, pic: _Picture, colour: tuple[int, int, int], alpha: float,
                 boxes: Sequence[tuple[float, float, float, float]]) -> None:
        self.pic, self.colour = pic, colour
        w, h = pic.img.size
        self.boxes = [(max(0, math.floor(left)), max(0, math.floor(top)), min(w, math.ceil(right) + 1),
                       min(h, math.ceil(bottom) + 1)) for left, top, right, bottom in boxes]
        self.value = round(255 * alpha)
        self.mask = Image.new("L", (w, h), 0)

    def __enter__(self) -> _Layer:
        self.draw = ImageDraw.Draw(self.mask)
        self.ink = self.value
        return self

    def __exit__(self, *exc: object) -> None:
        for box in self.boxes:  # shapes in two boxes that overlap get two coats there (as two matplotlib artists)
            left, top, right, bottom = box
            if right > left and bottom > top:
                self.pic.img.paste(self.colour, box, self.mask.crop(box))


def _legend_rows(pic: _Picture, x: float, y: float, title: str, rows: Iterable[tuple[str, str, str, float]],
                 size_pt: float, title_pt: float) -> float:
    """Paint a legend's title and rows at painted pixel ``(x, y)`` (top left); return its bottom.

    A row is (kind, colour, label, marker size in points): kind 'patch' is a swatch, else a
    marker kind.  The spacing follows matplotlib's legend defaults (in font sizes).
    """
    em = size_pt * pt_px(pic)
    hl, hh, pad, space = 2.0 * em, 0.7 * em, 0.8 * em, 0.5 * em
    _, _, _, bottom = pic.text(x, y, title, title_pt, _rgb("ink"), va="top")
    y = bottom + space
    for kind, colour, label, msize in rows:
        _, lh = pic.text_size(label, size_pt)
        cy = y + min(lh, em * 1.0) / 2 + (lh - em) / 2 if "\n" in label else y + em / 2
        if kind == "patch":
            pic.draw.rectangle((x, cy - hh / 2, x + hl, cy + hh / 2), fill=_rgb(colour),
                               outline=_rgb("swatch edge"), width=pic.width(0.5))
        else:
            pic.marker(kind, x + hl / 2, cy, msize, _rgb(colour), edge_pt=1.0)
        pic.text(x + hl + pad, y, label, size_pt, _rgb("ink"), va="top")
        y += max(lh, em) + space
    return y


def pt_px(pic: _Picture) -> float:
    """Painted pixels per point of a picture."""
    return pic.pt


class MapCanvas:
    """A data source's geometry and site positions, ready for fast drawing.

    Parameters
    ----------
    geometry
        The boroughs and the LSOA polygons aligned to the population units
        (:class:`~estate.outputs.geometry.StudyGeometry`).
    estate
        The sites, for their coordinates and names.
    """

    def __init__(self, geometry: StudyGeometry, estate: Estate) -> None:
        self.unit_rings = geometry.rings
        self.unit_bounds = geometry.unit_bounds
        self.unit_xy = geometry.units.frame[["x", "y"]].to_numpy(np.float64)
        areas = geometry.areas
        self.borough_lines = geometry.borough_rings
        # outlines thinned once to 2 m (under a painted pixel at the closest zoom): fewer segments to stroke
        simple = shapely.simplify([shapely.LineString(r) for r in self.borough_lines], 2.0) if self.borough_lines else []
        lines = [shapely.get_coordinates(g) for g in simple] or [np.empty((0, 2))]
        self._line_flat = np.concatenate(lines)
        self._line_lengths = np.array([len(r) for r in lines], dtype=np.int64)
        self._line_bounds = np.array([(*r.min(axis=0), *r.max(axis=0)) if len(r) else (0, 0, -1, -1) for r in lines],
                                     dtype=np.float64)
        self.extent = tuple(float(v) for v in areas.total_bounds)
        self.area_names = areas["name"].astype(str).tolist()
        reps = shapely.point_on_surface(areas.geometry.to_numpy())
        self.area_label_xy = shapely.get_coordinates(reps)
        self.column_ids = estate.column_ids
        pts = estate.sites.loc[estate.column_ids]
        self.site_xy = pts[["x", "y"]].to_numpy(np.float64)
        self.site_names = pts["name"].astype(str).to_numpy()
        self._legends: dict[tuple[bool, tuple[float, float], int], Image.Image] = {}

    # ---- drawing helpers ---------------------------------------------------------
    @staticmethod
    def _size(figsize: tuple[float, float], dpi: int) -> tuple[int, int]:
        return round(figsize[0] * dpi), round(figsize[1] * dpi)

    def _fit(self, pic: _Picture, xs: Sequence[float], ys: Sequence[float], *, pad: float = 0.12,
             min_span: float = 3000.0) -> None:
        """Frame the points ``xs, ys`` with a margin, at least ``min_span`` metres across."""
        x0, x1 = float(np.nanmin(xs)), float(np.nanmax(xs))
        y0, y1 = float(np.nanmin(ys)), float(np.nanmax(ys))
        w, h = max(x1 - x0, min_span), max(y1 - y0, min_span)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
        aspect = pic.size[0] / pic.size[1]
        if w / h < aspect:
            w = h * aspect
        else:
            h = w / aspect
        pic.view(cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2)

    def _boroughs(self, pic: _Picture) -> None:
        pic.lines(self._line_flat, self._line_lengths, self._line_bounds, _rgb("boundary"), 0.6)

    @staticmethod
    def _scalebar(pic: _Picture) -> None:
        x0, x1, y0, y1 = pic.extent
        span = (x1 - x0) / 5
        nice = next((v for v in (10000, 5000, 2000, 1000, 500) if v <= span), 500)
        bx, by = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.05
        (ax, ay), (bx2, _) = pic.at(bx, by), pic.at(bx + nice, by)
        half = 2.5 * pic.pt / 2
        pic.draw.rectangle((ax, ay - half, bx2, ay + half), fill=(0, 0, 0))
        pic.text((ax + bx2) / 2, ay - (y1 - y0) * 0.012 * pic.k, f"{nice / 1000:g} km", 7, (0, 0, 0),
                 ha="center", va="bottom")

    @staticmethod
    def _labels(pic: _Picture, labels: Sequence[tuple[float, float, str, float, bool]], alpha: float = 0.82) -> None:
        """Text labels (painted x, y of their left baseline, text, size in points, bold), each over a
        rounded white box (padding 0.15 of its font size) mixed in at ``alpha``."""
        boxes = []
        for x, y, label, size_pt, bold in labels:
            left, top, right, bottom = pic.text(x, y, label, size_pt, _rgb("ink"), bold=bold, paint=False)
            p = 0.15 * size_pt * pic.pt
            boxes.append(((left - p, top - p, right + p, bottom + p), p))
        with pic.translucent((255, 255, 255), alpha, [b for b, _ in boxes]) as layer:
            for box, p in boxes:
                layer.draw.rounded_rectangle(box, radius=p, fill=layer.ink)
        for x, y, label, size_pt, bold in labels:
            pic.text(x, y, label, size_pt, _rgb("ink"), bold=bold)

    def _polys(self, units: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        verts: list[np.ndarray] = []
        owner: list[int] = []
        for k, u in enumerate(units.tolist()):
            rings = self.unit_rings[u]
            verts.extend(rings)
            owner.extend([k] * len(rings))
        return verts, np.asarray(owner, dtype=np.int64)

    @staticmethod
    def _encode(img: Image.Image, dpi: int) -> bytes:
        """An 8-bit palette PNG (about a third of the size of full colour); fast octree quantisation."""
        q = img.quantize(colors=96, method=Image.Quantize.FASTOCTREE)
        buf = io.BytesIO()
        q.save(buf, format="PNG", compress_level=6, dpi=(dpi, dpi))
        return buf.getvalue()

    def _legend_panel(self, gain: bool, size: tuple[int, int], dpi: int) -> Image.Image:
        """The legend column of a site map, drawn once per kind of map and reused: it names every class."""
        key = (gain, (float(size[0]), float(size[1])), dpi)
        if key not in self._legends:
            pic = _Picture(size, dpi)
            _legend(pic, gain)
            w, h = pic.img.size
            pic.text(0.04 * w, (1 - 0.015) * h, textwrap.fill(ATTRIBUTION, 34), 4.6, _rgb("note"), va="bottom")
            self._legends[key] = pic.image()
        return self._legends[key]

    # ---- maps ------------------------------------------------------------------------
    def site_map(self, case: SiteCase, bc: BandCase, *, figsize: tuple[float, float] = (7.2, 4.6),
                 dpi: int = DPI) -> bytes:
        """The PNG map of one site in one band.

        Raises
        ------
        EstateError
            For a site with no location or an empty catchment (nothing to map).
        """
        if not case.located or not bc.has_catchment:
            raise EstateError(f"{case.site_id} in {bc.band}: no location or empty catchment, so no map")
        gain = bc.effect == EFFECT_GAIN
        full = self._size(figsize, dpi)
        body_size = (round(figsize[0] * _MAP_WIDTH * dpi), full[1])
        pic = _Picture(body_size, dpi)
        xs = [case.x, *self.unit_bounds[bc.units, 0], *self.unit_bounds[bc.units, 2]]
        ys = [case.y, *self.unit_bounds[bc.units, 1], *self.unit_bounds[bc.units, 3]]
        flows = [f for f in bc.flows if f.site_id]
        where = [self.site_xy[int(np.flatnonzero(self.column_ids == f.site_id)[0])] for f in flows]
        xs += [float(p[0]) for p in where]
        ys += [float(p[1]) for p in where]
        self._fit(pic, xs, ys)
        colours = [_rgb(c) for c in _palette(gain)]
        cats = _categories(bc)
        verts, owner = self._polys(bc.units)
        pic.rings(verts, fills=[colours[c] for c in cats[owner].tolist()], outline=_rgb("background"), outline_pt=0.2)
        self._boroughs(pic)
        here = pic.at(case.x, case.y)
        # arrows run the way residents move: closed site -> new site; old site -> opened site
        ends = [pic.at(fx, fy) for fx, fy in where]
        reach = 3 * pic.pt
        with pic.translucent(_rgb("new" if gain else "open"), 0.6,
                             [(min(x, here[0]) - reach, min(y, here[1]) - reach, max(x, here[0]) + reach,
                               max(y, here[1]) + reach) for x, y in ends]) as layer:
            for end_xy in ends:
                start, end = (end_xy, here) if gain else (here, end_xy)
                _arrow(pic, layer.draw, start, end, layer.ink, 0.9)
        for f, (fx, fy) in zip(flows, where, strict=True):
            pic.marker("o", *pic.at(fx, fy), math.sqrt(30 + 220 * f.share),
                       _rgb("open" if f.is_24_7 else "open part-time"), edge_pt=0.7)
        own = "*" if case.change == CHANGE_OPENED or gain else "X"
        pic.marker(own, *here, math.sqrt(160), _rgb("new" if gain else "closing"), edge_pt=0.8)
        labels: list[tuple[float, float, str, float, bool]] = []
        for f, (fx, fy) in zip(flows, where, strict=True):
            label = f"{_short(f.name)} {text.share(f.share, digits=0)}" + ("" if f.open_at_night else " (not at night)")
            x, y = pic.at(fx, fy)
            labels.append((x + 5 * pic.pt, y - 5 * pic.pt, label, 6.5, False))
        labels.append((here[0] + 6 * pic.pt, here[1] + 11 * pic.pt, _short(case.name), 7.5, True))
        self._labels(pic, labels)
        self._scalebar(pic)
        body = pic.image()
        legend = self._legend_panel(gain, (full[0] - body.width, full[1]), dpi)
        out = Image.new("RGB", (body.width + legend.width, max(body.height, legend.height)), _rgb("background"))
        out.paste(body, (0, 0))
        out.paste(legend, (body.width, 0))
        return self._encode(out, dpi)

    def overview_map(self, evidence: Evidence, band: str, *, figsize: tuple[float, float] = (7.2, 5.6),
                     dpi: int = DPI) -> bytes:
        """All of London: every changed site, with the catchments of ``band`` shaded."""
        pic = _Picture(self._size(figsize, dpi), dpi)
        x0, y0, x1, y1 = self.extent
        self._fit(pic, [x0, x1], [y0, y1], pad=0.02)
        shown = [(case, case.bands[band]) for case in evidence.cases
                 if case.located and band in case.bands]
        k = 0
        for _case, bc in shown:
            if bc.has_catchment:
                verts, _ = self._polys(bc.units)
                b = self.unit_bounds[bc.units]
                (left, top), (right, bottom) = pic.at(np.nanmin(b[:, 0]), np.nanmax(b[:, 3])), pic.at(
                    np.nanmax(b[:, 2]), np.nanmin(b[:, 1]))
                with pic.translucent(_rgb(palette.categorical(k)), 0.55, [(left, top, right, bottom)]) as layer:
                    pic.rings(verts, fill=layer.ink, draw=layer.draw)
                k += 1
        self._boroughs(pic)
        for (x, y), name in zip(self.area_label_xy, self.area_names, strict=True):
            pic.text(*pic.at(x, y), name, 4.5, _rgb("label"), ha="center", va="center")
        for case, bc in shown:
            opens = bc.effect == EFFECT_GAIN or case.change == CHANGE_OPENED
            pic.marker("*" if opens else "X", *pic.at(case.x, case.y), math.sqrt(70),
                       _rgb("new" if opens else "closing"), edge_pt=0.6)
        for case, _bc in shown:
            x, y = pic.at(case.x, case.y)
            pic.text(x + 4 * pic.pt, y - 3 * pic.pt, _short(case.name), 5.5, _rgb("ink"))
        self._scalebar(pic)
        _overview_legend(pic, band)
        w, h = pic.img.size
        pic.text(0.995 * w, 0.995 * h, ATTRIBUTION, 5, _rgb("note"), ha="right", va="bottom")
        return self._encode(pic.image(), dpi)


def _arrow(pic: _Picture, draw: ImageDraw.ImageDraw, start: tuple[float, float], end: tuple[float, float],
           colour: tuple[int, int, int] | int, width_pt: float) -> None:
    """A straight arrow from ``start`` to ``end`` (painted pixels), with a filled head, both ends
    held back 2 points (matplotlib's ``-|>`` annotation arrow)."""
    (sx, sy), (ex, ey) = start, end
    dx, dy = ex - sx, ey - sy
    n = math.hypot(dx, dy)
    shrink, head_len, head_half = 2 * pic.pt, 4 * pic.pt, 2 * pic.pt
    if n <= 2 * shrink + head_len:
        return
    ux, uy = dx / n, dy / n
    sx, sy, ex, ey = sx + ux * shrink, sy + uy * shrink, ex - ux * shrink, ey - uy * shrink
    bx, by = ex - ux * head_len, ey - uy * head_len
    draw.line((sx, sy, bx, by), fill=colour, width=pic.width(width_pt))
    draw.polygon((ex, ey, bx - uy * head_half, by + ux * head_half, bx + uy * head_half, by - ux * head_half),
                 fill=colour)


def _overview_legend(pic: _Picture, band: str) -> None:
    """The overview's key, boxed in the lower right: the two markers."""
    rows = [("X", "closing", "closes (or loses hours)", 8.0), ("*", "new", "opens", 9.0)]
    size, em = 6.5, 6.5 * pic.pt
    title = f"catchments shaded ({band})"
    widths = [pic.text_size(title, size)[0], *(2.0 * em + 0.8 * em + pic.text_size(r[2], size)[0] for r in rows)]
    w = max(widths) + 0.8 * em
    h = em * (1 + 1.5 * len(rows)) + 0.8 * em + 0.5 * em
    right, bottom = pic.img.width - 0.5 * em, pic.img.height - 0.5 * em
    left, top = right - w, bottom - h
    with pic.translucent((255, 255, 255), 0.9, [(left, top, right, bottom)]) as layer:
        layer.draw.rounded_rectangle((left, top, right, bottom), radius=0.3 * em, fill=layer.ink)
    pic.draw.rounded_rectangle((left, top, right, bottom), radius=0.3 * em, outline=(204, 204, 204),
                               width=pic.width(0.8))
    _legend_rows(pic, left + 0.4 * em, top + 0.4 * em, title, rows, size, size)


def _legend(pic: _Picture, gain: bool) -> None:
    """Every class of a site map, always (so 'unreachable' is explained on every map), and its markers."""
    labels = [textwrap.fill(x, 24) for x in (*_BIN_LABELS, _OPPOSITE_LABEL[gain], palette.WORDS["unreachable"])]
    pal = _palette(gain)
    rows: list[tuple[str, str, str, float]] = [("patch", pal[k], labels[k], 0.0) for k in range(len(labels))]
    if gain:
        rows += [("*", palette.colour("new"), "this site (opens)", 10.0),
                 ("o", palette.colour("open"), "used before", 7.0)]
    else:
        rows += [("X", palette.colour("closing"), "this site (closes)", 9.0),
                 ("o", palette.colour("open"), "goes instead: 24/7", 7.0),
                 ("o", palette.colour("open part-time"), "goes instead: part-time", 7.0)]
    w, h = pic.img.size
    _legend_rows(pic, 0.02 * w + 0.4 * 6 * pic.pt, 0.03 * h, "minutes saved" if gain else "minutes added", rows, 6, 6.5)


def _palette(gain: bool) -> list[str]:
    """Bin colours (minutes saved: better; added: worse), then the opposite direction, then unreachable."""
    main, other = ("better", "worse") if gain else ("worse", "better")
    return [*palette.ramp(main), palette.ramp(other)[2], palette.colour("unreachable")]


def _categories(bc: BandCase) -> np.ndarray:
    """Colour category per catchment unit: a bin of minutes added (loss) or saved (gain),
    ``len(_BIN_LABELS)`` for the opposite direction, one more for no site within reach.

    Examples
    --------
    >>> from estate.evidence import BandCase
    >>> bc = BandCase("day", "day", "loss", "", before_min=np.array([5., 10., 14., 25., 3.]),
    ...               after_min=np.array([20., 25., 10., 26., np.inf]))
    >>> _categories(bc).tolist()
    [2, 2, 6, 0, 7]
    """
    gain = bc.effect == EFFECT_GAIN
    v = bc.before_min - bc.after_min if gain else bc.after_min - bc.before_min
    with np.errstate(invalid="ignore"):
        cats = np.digitize(np.where(np.isfinite(v), v, 0.0), _EDGES, right=False)
        cats[np.isfinite(v) & (v < 0)] = len(_BIN_LABELS)
    unreachable = ~np.isfinite(bc.after_min if not gain else bc.before_min) | ~np.isfinite(v)
    cats[unreachable] = len(_BIN_LABELS) + 1
    return cats.astype(np.int64)


def _short(name: str) -> str:
    """Drop the 'Police Station' suffix and any bracket from a site name for map labels.

    Examples
    --------
    >>> _short("Church Street (88 Church Street)")
    'Church Street'
    >>> _short("Kentish Town Police Station")
    'Kentish Town'
    """
    s = name.split("(")[0].replace("Police Station", "").strip()
    return s or name


def canvas_for(source: GeographySource) -> MapCanvas:
    """The :class:`MapCanvas` of ``source`` (the planner); its geometry is prepared once per source."""
    return MapCanvas(geometry_for(source), source.estate)


# set before forking the map workers, inherited by them (nothing big is pickled): the source
# (or a ready canvas) and the evidence; each worker prepares its own canvas on its first job
_WORKER_SOURCE: GeographySource | MapCanvas | None = None
_WORKER_EVIDENCE: Evidence | None = None
_WORKER_CANVAS: MapCanvas | None = None


def _worker_job(job: tuple[str, str, str, int]) -> tuple[str, bytes]:
    """Draw one map in a worker: ('overview', '', band, dpi) or ('site', site_id, band, dpi)."""
    global _WORKER_CANVAS
    kind, site_id, band, dpi = job
    assert _WORKER_SOURCE is not None and _WORKER_EVIDENCE is not None
    if _WORKER_CANVAS is None:
        src = _WORKER_SOURCE
        _WORKER_CANVAS = src if isinstance(src, MapCanvas) else canvas_for(src)
    if kind == "overview":
        return f"overview/{band}", _WORKER_CANVAS.overview_map(_WORKER_EVIDENCE, band, dpi=dpi)
    case = next(c for c in _WORKER_EVIDENCE.cases if c.site_id == site_id)
    return map_key(site_id, band), _WORKER_CANVAS.site_map(case, case.bands[band], dpi=dpi)


def _same_map(a: BandCase, b: BandCase) -> bool:
    """Two bands of a case that would draw the same map (same catchment, same journeys, same flows)."""
    return (a.effect == b.effect and np.array_equal(a.units, b.units) and np.array_equal(a.before_min, b.before_min)
            and np.array_equal(a.after_min, b.after_min) and a.flows == b.flows)


class PendingMaps:
    """Maps being drawn: every map already submitted to the workers (if any); :meth:`result` finishes them.

    With workers, the canvas is prepared in each worker (off the caller's path) and the
    overviews are drawn there too; without, here, on the first map.
    """

    def __init__(self, source: GeographySource | MapCanvas, evidence: Evidence, *, dpi: int = DPI,
                 workers: int = 1) -> None:
        global _WORKER_SOURCE, _WORKER_EVIDENCE, _WORKER_CANVAS
        self.source, self.evidence, self.dpi = source, evidence, dpi
        self._canvas = source if isinstance(source, MapCanvas) else None
        self.overviews = [b.name for b in evidence.bands] if any(c.located for c in evidence.cases) else []
        self.jobs: list[tuple[str, SiteCase, BandCase, int]] = []
        self.aliases: dict[str, str] = {}
        for case in evidence.cases:
            drawn: list[tuple[str, BandCase]] = []
            for band, bc in case.bands.items():
                if not (case.located and bc.has_catchment and bc.effect in (EFFECT_LOSS, EFFECT_GAIN)):
                    continue
                twin = next((b for b, other in drawn if _same_map(other, bc)), None)
                if twin is not None:
                    self.aliases[map_key(case.site_id, band)] = map_key(case.site_id, twin)
                    continue
                drawn.append((band, bc))
                self.jobs.append((map_key(case.site_id, band), case, bc, dpi))
        self.total = len(self.jobs) + len(self.overviews)
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[tuple[str, bytes]]] = []
        if workers > 1 and len(self.jobs) > 3 and "fork" in multiprocessing.get_all_start_methods():
            _WORKER_SOURCE, _WORKER_EVIDENCE, _WORKER_CANVAS = source, evidence, self._canvas
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=die_with_parent, initargs=(os.getpid(),))
            work = [("overview", "", band, dpi) for band in self.overviews]
            work += [("site", case.site_id, bc.band, dpi) for _, case, bc, _ in self.jobs]
            self._futures = [self._pool.submit(_worker_job, job) for job in work]

    @property
    def canvas(self) -> MapCanvas:
        """The canvas maps are drawn on here (prepared on first use)."""
        if self._canvas is None:
            self._canvas = canvas_for(self.source)  # type: ignore[arg-type]
        return self._canvas

    def result(self, progress: ProgressFn | None = None) -> dict[str, bytes]:
        """Every map: key -> PNG bytes (see :func:`evidence_maps`)."""
        global _WORKER_SOURCE, _WORKER_EVIDENCE, _WORKER_CANVAS
        out: dict[str, bytes] = {}

        def done(key: str, png: bytes) -> None:
            out[key] = png
            if progress:
                progress(len(out), self.total)

        try:
            if self._pool is not None:
                for fut in as_completed(self._futures):
                    done(*fut.result())
            else:
                for band in self.overviews:
                    done(f"overview/{band}", self.canvas.overview_map(self.evidence, band, dpi=self.dpi))
                for key, case, bc, dpi in self.jobs:
                    done(key, self.canvas.site_map(case, bc, dpi=dpi))
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                _WORKER_SOURCE = _WORKER_EVIDENCE = _WORKER_CANVAS = None
        for alias, key in self.aliases.items():
            out[alias] = out[key]
        log.debug("drew %d maps (%d shared between bands)", self.total, len(self.aliases))
        return out


def start_evidence_maps(source: GeographySource | MapCanvas, evidence: Evidence, *, dpi: int = DPI,
                        workers: int = 1) -> PendingMaps:
    """Start drawing every map of a pack (in ``workers`` forked processes when more than one)."""
    return PendingMaps(source, evidence, dpi=dpi, workers=workers)


def evidence_maps(source: GeographySource | MapCanvas, evidence: Evidence, *, progress: ProgressFn | None = None,
                  dpi: int = DPI, workers: int = 1) -> dict[str, bytes]:
    """Every map of an evidence pack as PNG bytes.

    Keys: ``overview/<band>`` for each site band, and :func:`map_key` for each
    site and band with a catchment (nothing for sites with no location or an
    empty catchment).  Two bands of a site that would draw the same map share
    one PNG (the same bytes under both keys).  ``workers`` > 1 draws the maps
    in that many forked processes (where the platform can fork).
    """
    return start_evidence_maps(source, evidence, dpi=dpi, workers=workers).result(progress)
