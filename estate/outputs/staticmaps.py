"""Static maps (PNG) of the closure evidence, drawn with matplotlib's Agg backend.

One map per site and band: borough outlines, the catchment's LSOAs shaded
by how many minutes each resident's journey changes, the site itself, and
the sites residents go to instead (or came from), each labelled with its
share.  One overview map of every changed site.  The PNGs are embedded in
the HTML report as base64 (so it works offline, with no CDN) and reused in
the PDF.

Polygons are turned into vertex arrays once per planner and drawn as
matplotlib collections, so a map costs a fraction of a second.
"""

from __future__ import annotations

import io
import logging
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from estate.errors import EstateError
from estate.evidence import (
    CHANGE_OPENED,
    EFFECT_GAIN,
    EFFECT_LOSS,
    BandCase,
    Evidence,
    SiteCase,
)
from geodata.travel.base import ProgressFn

if TYPE_CHECKING:
    from estate.planner import Planner

__all__ = ["ATTRIBUTION", "MapCanvas", "canvas_for", "evidence_maps", "map_key"]

log = logging.getLogger(__name__)

#: Printed on every map.
ATTRIBUTION = ("Boundaries: ONS, GLA (OGL v3), contains OS data © Crown copyright and database right. "
               "Population: ONS Census 2021.")

#: Upper edges (minutes) of the bins of change in journey time; the last bin is open-ended.
_EDGES = (5.0, 10.0, 20.0, 30.0, 45.0)
_BIN_LABELS = ("under 5", "5-10", "10-20", "20-30", "30-45", "45 or more")
_LOSS_COLOURS = ("#fff5d6", "#fed98e", "#fe9929", "#e66a1c", "#c4361a", "#7f1d0e")
_GAIN_COLOURS = ("#eef7ea", "#c7e9c0", "#8fd18a", "#41ab5d", "#1f8a43", "#0b5a2a")
#: colour of units whose journey moves the other way (shorter after a closure, longer near an opening)
_OPPOSITE = {False: "#6baed6", True: "#fdae6b"}
_OPPOSITE_LABEL = {False: "shorter: new site nearer", True: "longer: own site closed"}
_UNREACHABLE = "#4a0a52"
#: share of a site map's width given to the map; the legend sits in the rest
_MAP_WIDTH = 0.8
_CANVASES: weakref.WeakKeyDictionary[object, MapCanvas] = weakref.WeakKeyDictionary()


def map_key(site_id: str, band: str) -> str:
    """The key of one site-and-band map in :func:`evidence_maps`' result.

    Examples
    --------
    >>> map_key("chingford", "night")
    'chingford/night'
    """
    return f"{site_id}/{band}"


def _rings(geoms: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Exterior rings of every polygon part, and the index of the geometry each belongs to."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    ext = shapely.get_exterior_ring(parts)
    coords, idx = shapely.get_coordinates(ext, return_index=True)
    splits = np.flatnonzero(np.diff(idx)) + 1
    return np.split(coords, splits), owner


class MapCanvas:
    """Geometry of one planner, prepared once for fast drawing.

    Parameters
    ----------
    planner
        Gives the boroughs, the LSOA polygons (aligned to the population
        units by ``unit_id``), and the sites' coordinates.
    """

    def __init__(self, planner: Planner) -> None:
        units = planner.units.frame
        polys = planner.unit_polygons.set_index("unit_id").reindex(units["unit_id"])
        missing = polys.geometry.isna().to_numpy()
        if missing.any():
            log.warning("%d population units have no polygon; they are left off the maps", int(missing.sum()))
        geoms = polys.geometry.to_numpy()
        ok = np.flatnonzero(~missing)
        rings, owner = _rings(geoms[ok]) if len(ok) else ([], np.empty(0, np.int64))
        self.unit_rings: list[list[np.ndarray]] = [[] for _ in range(len(units))]
        for ring, o in zip(rings, owner, strict=True):
            self.unit_rings[int(ok[o])].append(ring)
        self.unit_xy = units[["x", "y"]].to_numpy(np.float64)
        bounds = shapely.bounds(geoms[ok]) if len(ok) else np.empty((0, 4))
        self.unit_bounds = np.full((len(units), 4), np.nan)
        self.unit_bounds[ok] = bounds
        areas = planner.areas
        b_rings, _ = _rings(areas.geometry.to_numpy())
        self.borough_lines = b_rings
        self.extent = tuple(float(v) for v in areas.total_bounds)
        self.area_names = areas["name"].astype(str).tolist()
        reps = shapely.point_on_surface(areas.geometry.to_numpy())
        self.area_label_xy = shapely.get_coordinates(reps)
        est = planner.estate
        self.column_ids = est.column_ids
        pts = est.sites.loc[est.column_ids]
        self.site_xy = pts[["x", "y"]].to_numpy(np.float64)
        self.site_names = pts["name"].astype(str).to_numpy()

    # ---- drawing helpers ---------------------------------------------------------
    def _base_axes(self, figsize: tuple[float, float], width: float = 1.0) -> tuple[Figure, Axes]:
        """A figure whose map axes take the left ``width`` of it (the rest: the legend)."""
        # no pyplot: a Figure with its own Agg canvas is thread-safe and leaves the user's backend alone
        fig = Figure(figsize=figsize, dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.0, 0.0, width, 1.0))
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.add_collection(LineCollection(self.borough_lines, colors="#8a8a8a", linewidths=0.6, zorder=3))
        return fig, ax

    def _fit(self, ax: Axes, xs: Sequence[float], ys: Sequence[float], figsize: tuple[float, float],
             *, pad: float = 0.12, min_span: float = 3000.0) -> None:
        x0, x1 = float(np.nanmin(xs)), float(np.nanmax(xs))
        y0, y1 = float(np.nanmin(ys)), float(np.nanmax(ys))
        w, h = max(x1 - x0, min_span), max(y1 - y0, min_span)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
        aspect = figsize[0] / figsize[1]
        if w / h < aspect:
            w = h * aspect
        else:
            h = w / aspect
        ax.set_xlim(cx - w / 2, cx + w / 2)
        ax.set_ylim(cy - h / 2, cy + h / 2)

    @staticmethod
    def _scalebar(ax: Axes) -> None:
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        span = (x1 - x0) / 5
        nice = next((v for v in (10000, 5000, 2000, 1000, 500) if v <= span), 500)
        bx, by = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.05
        ax.plot([bx, bx + nice], [by, by], color="black", linewidth=2.5, solid_capstyle="butt", zorder=9)
        ax.text(bx + nice / 2, by + (y1 - y0) * 0.012, f"{nice / 1000:g} km", ha="center", va="bottom",
                fontsize=7, zorder=9)

    @staticmethod
    def _attribution(fig: Figure) -> None:
        fig.text(0.995, 0.005, ATTRIBUTION, ha="right", va="bottom", fontsize=5, color="#555555")

    def _polys(self, units: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        verts: list[np.ndarray] = []
        owner: list[int] = []
        for k, u in enumerate(units.tolist()):
            rings = self.unit_rings[u]
            verts.extend(rings)
            owner.extend([k] * len(rings))
        return verts, np.asarray(owner, dtype=np.int64)

    @staticmethod
    def _png(fig: Figure, dpi: int) -> bytes:
        """The figure as an 8-bit palette PNG (about a third of the size of full colour)."""
        from PIL import Image

        fig.set_dpi(dpi)
        canvas = fig.canvas
        assert isinstance(canvas, FigureCanvasAgg)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        img = Image.fromarray(rgba[:, :, :3]).quantize(colors=96, method=Image.Quantize.MEDIANCUT)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=True, dpi=(dpi, dpi))
        return buf.getvalue()

    # ---- maps ------------------------------------------------------------------------
    def site_map(self, case: SiteCase, bc: BandCase, *, figsize: tuple[float, float] = (7.2, 4.6),
                 dpi: int = 110) -> bytes:
        """The PNG map of one site in one band.

        Raises
        ------
        EstateError
            For a site with no location or an empty catchment (nothing to map).
        """
        if not case.located or not bc.has_catchment:
            raise EstateError(f"{case.site_id} in {bc.band}: no location or empty catchment, so no map")
        gain = bc.effect == EFFECT_GAIN
        fig, ax = self._base_axes(figsize, _MAP_WIDTH)
        cats = _categories(bc)
        colours = np.array([to_rgba(c) for c in _palette(gain)])
        verts, owner = self._polys(bc.units)
        if verts:
            ax.add_collection(PolyCollection(verts, facecolors=colours[cats[owner]], edgecolors="#ffffff",
                                             linewidths=0.2, zorder=2))
        xs = [case.x, *self.unit_bounds[bc.units, 0], *self.unit_bounds[bc.units, 2]]
        ys = [case.y, *self.unit_bounds[bc.units, 1], *self.unit_bounds[bc.units, 3]]
        flows = [f for f in bc.flows if f.site_id]
        for f in flows:
            col = int(np.flatnonzero(self.column_ids == f.site_id)[0])
            fx, fy = self.site_xy[col]
            xs.append(fx)
            ys.append(fy)
            size = 30 + 220 * f.share
            marker_colour = "#1f5fbf" if f.is_24_7 else "#7aa7e0"
            ax.scatter([fx], [fy], s=size, c=marker_colour, edgecolors="black", linewidths=0.7, zorder=6)
            # arrows run the way residents move: closed site -> new site; old site -> opened site
            start, end, colour = ((fx, fy), (case.x, case.y), "#1f8a43") if gain else (
                (case.x, case.y), (fx, fy), "#1f5fbf")
            ax.annotate("", xy=end, xytext=start, zorder=5,
                        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 0.9, "alpha": 0.6})
            label = f"{_short(f.name)} {f.share * 100:.0f}%" + ("" if f.open_at_night else " (not at night)")
            ax.annotate(label, (fx, fy), xytext=(5, 5), textcoords="offset points", fontsize=6.5, zorder=8,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
        own = "*" if case.change == CHANGE_OPENED or gain else "X"
        ax.scatter([case.x], [case.y], s=160, marker=own, c="#d62728" if not gain else "#1f8a43",
                   edgecolors="black", linewidths=0.8, zorder=7)
        ax.annotate(_short(case.name), (case.x, case.y), xytext=(6, -11), textcoords="offset points",
                    fontsize=7.5, fontweight="bold", zorder=8,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
        self._fit(ax, xs, ys, (figsize[0] * _MAP_WIDTH, figsize[1]))
        self._scalebar(ax)
        self._legend(ax, gain, np.bincount(cats, minlength=len(_BIN_LABELS) + 2))
        self._attribution(fig)
        return self._png(fig, dpi)

    @staticmethod
    def _legend(ax: Axes, gain: bool, counts: np.ndarray) -> None:
        labels = [*_BIN_LABELS, _OPPOSITE_LABEL[gain], "no site within reach"]
        shown = [k for k in range(len(labels)) if k < len(_BIN_LABELS) or counts[k] > 0]
        pal = _palette(gain)
        handles: list[object] = [Patch(facecolor=pal[k], edgecolor="#999999", label=labels[k]) for k in shown]
        if gain:
            handles.append(Line2D([], [], marker="*", linestyle="", markerfacecolor="#1f8a43",
                                  markeredgecolor="black", markersize=10, label="this site (opens)"))
            handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="#1f5fbf",
                                  markeredgecolor="black", markersize=7, label="used before"))
        else:
            handles.append(Line2D([], [], marker="X", linestyle="", markerfacecolor="#d62728",
                                  markeredgecolor="black", markersize=9, label="this site (closes)"))
            handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="#1f5fbf",
                                  markeredgecolor="black", markersize=7, label="goes instead: 24/7"))
            handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="#7aa7e0",
                                  markeredgecolor="black", markersize=7, label="goes instead: part-time"))
        title = "minutes saved" if gain else "minutes added"
        fig = ax.get_figure()
        assert fig is not None
        fig.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(_MAP_WIDTH + 0.005, 0.97),
                   fontsize=6, title_fontsize=6.5, frameon=False)

    def overview_map(self, evidence: Evidence, band: str, *, figsize: tuple[float, float] = (7.2, 5.6),
                     dpi: int = 110) -> bytes:
        """All of London: every changed site, with the catchments of ``band`` shaded."""
        fig, ax = self._base_axes(figsize)
        from matplotlib import colormaps

        palette = colormaps["tab20"]
        handles = []
        k = 0
        for case in evidence.cases:
            bc = case.bands.get(band)
            if bc is None or not case.located:
                continue
            if bc.has_catchment:
                verts, _ = self._polys(bc.units)
                colour = palette(k % 20)
                k += 1
                ax.add_collection(PolyCollection(verts, facecolors=[colour], edgecolors="none", alpha=0.55,
                                                 zorder=2))
            marker, c = ("*", "#1f8a43") if bc.effect == EFFECT_GAIN or case.change == CHANGE_OPENED else (
                "X", "#d62728")
            ax.scatter([case.x], [case.y], s=70, marker=marker, c=c, edgecolors="black", linewidths=0.6, zorder=6)
            ax.annotate(_short(case.name), (case.x, case.y), xytext=(4, 3), textcoords="offset points",
                        fontsize=5.5, zorder=7)
        for (x, y), name in zip(self.area_label_xy, self.area_names, strict=True):
            ax.text(x, y, name, fontsize=4.5, color="#666666", ha="center", va="center", zorder=4)
        handles = [
            Line2D([], [], marker="X", linestyle="", markerfacecolor="#d62728", markeredgecolor="black",
                   markersize=8, label="closes (or loses hours)"),
            Line2D([], [], marker="*", linestyle="", markerfacecolor="#1f8a43", markeredgecolor="black",
                   markersize=9, label="opens"),
        ]
        ax.legend(handles=handles, loc="lower right", fontsize=6.5, framealpha=0.9,
                  title=f"catchments shaded ({band})", title_fontsize=6.5)
        x0, y0, x1, y1 = self.extent
        self._fit(ax, [x0, x1], [y0, y1], figsize, pad=0.02)
        self._scalebar(ax)
        self._attribution(fig)
        return self._png(fig, dpi)


def _palette(gain: bool) -> list[str]:
    """Bin colours, then the opposite-direction colour, then the unreachable colour."""
    return [*(_GAIN_COLOURS if gain else _LOSS_COLOURS), _OPPOSITE[gain], _UNREACHABLE]


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


def canvas_for(planner: Planner) -> MapCanvas:
    """The planner's :class:`MapCanvas`, built once and kept while the planner lives."""
    canvas = _CANVASES.get(planner)
    if canvas is None:
        canvas = MapCanvas(planner)
        _CANVASES[planner] = canvas
    return canvas


def evidence_maps(planner: Planner, evidence: Evidence, *, progress: ProgressFn | None = None,
                  dpi: int = 110) -> dict[str, bytes]:
    """Every map of an evidence pack as PNG bytes.

    Keys: ``overview/<band>`` for each site band, and :func:`map_key` for each
    site and band with a catchment (nothing for sites with no location or an
    empty catchment).
    """
    canvas = canvas_for(planner)
    jobs: list[tuple[str, SiteCase | None, BandCase | None, str]] = []
    for b in evidence.bands:
        if any(c.located for c in evidence.cases):
            jobs.append((f"overview/{b.name}", None, None, b.name))
    for case in evidence.cases:
        for band, bc in case.bands.items():
            if case.located and bc.has_catchment and bc.effect in (EFFECT_LOSS, EFFECT_GAIN):
                jobs.append((map_key(case.site_id, band), case, bc, band))
    out: dict[str, bytes] = {}
    for k, (key, site, bcase, band) in enumerate(jobs):
        if site is None or bcase is None:
            out[key] = canvas.overview_map(evidence, band, dpi=dpi)
        else:
            out[key] = canvas.site_map(site, bcase, dpi=dpi)
        if progress:
            progress(k + 1, len(jobs))
    return out
