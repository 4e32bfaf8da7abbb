"""Static maps (PNG) of the closure evidence, drawn with matplotlib's Agg backend.

One map per site and band: borough outlines, the catchment's LSOAs shaded
by how many minutes each resident's journey changes, the site itself, and
the sites residents go to instead (or came from), each labelled with its
share.  One overview map of every changed site.  The PNGs are embedded in
the HTML report as base64 (so it works offline, with no CDN) and reused in
the PDF.

Polygons are turned into vertex arrays once per data source (by
:mod:`estate.outputs.geometry`) and drawn as matplotlib collections, so a
map costs a fraction of a second.  Colours come from
:mod:`estate.outputs._palette` by meaning: the change in minutes uses the
same orange (worse) and purple (better) as the web maps and the app.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import textwrap
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

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


def map_key(site_id: str, band: str) -> str:
    """The key of one site-and-band map in :func:`evidence_maps`' result.

    Examples
    --------
    >>> map_key("chingford", "night")
    'chingford/night'
    """
    return f"{site_id}/{band}"


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
    def _base_axes(self, figsize: tuple[float, float], width: float = 1.0) -> tuple[Figure, Axes]:
        """A figure whose map axes take the left ``width`` of it (the rest: the legend)."""
        # no pyplot: a Figure with its own Agg canvas is thread-safe and leaves the user's backend alone
        fig = Figure(figsize=figsize, dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.0, 0.0, width, 1.0))
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.add_collection(LineCollection(self.borough_lines, colors=palette.colour("boundary"), linewidths=0.6, zorder=3),
                          autolim=False)
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
        fig.text(0.995, 0.005, ATTRIBUTION, ha="right", va="bottom", fontsize=5, color=palette.colour("note"))

    def _polys(self, units: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        verts: list[np.ndarray] = []
        owner: list[int] = []
        for k, u in enumerate(units.tolist()):
            rings = self.unit_rings[u]
            verts.extend(rings)
            owner.extend([k] * len(rings))
        return verts, np.asarray(owner, dtype=np.int64)

    @staticmethod
    def _render(fig: Figure, dpi: int) -> Image.Image:
        """The figure drawn at ``dpi``, as an RGB image."""
        fig.set_dpi(dpi)
        canvas = fig.canvas
        assert isinstance(canvas, FigureCanvasAgg)
        canvas.draw()
        return Image.fromarray(np.asarray(canvas.buffer_rgba())[:, :, :3].copy())

    @staticmethod
    def _encode(img: Image.Image, dpi: int) -> bytes:
        """An 8-bit palette PNG (about a third of the size of full colour); fast octree quantisation."""
        q = img.quantize(colors=96, method=Image.Quantize.FASTOCTREE)
        buf = io.BytesIO()
        q.save(buf, format="PNG", compress_level=6, dpi=(dpi, dpi))
        return buf.getvalue()

    @classmethod
    def _png(cls, fig: Figure, dpi: int) -> bytes:
        return cls._encode(cls._render(fig, dpi), dpi)

    def _legend_panel(self, gain: bool, size: tuple[float, float], dpi: int) -> Image.Image:
        """The legend column of a site map, drawn once per kind of map and reused: it names every class."""
        key = (gain, size, dpi)
        if key not in self._legends:
            fig = Figure(figsize=size, dpi=dpi)
            FigureCanvasAgg(fig)
            _legend(fig, gain)
            fig.text(0.04, 0.015, textwrap.fill(ATTRIBUTION, 34), ha="left", va="bottom", fontsize=4.6,
                     color=palette.colour("note"))
            self._legends[key] = self._render(fig, dpi)
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
        map_size = (figsize[0] * _MAP_WIDTH, figsize[1])
        fig, ax = self._base_axes(map_size)
        cats = _categories(bc)
        colours = np.array([to_rgba(c) for c in _palette(gain)])
        verts, owner = self._polys(bc.units)
        if verts:
            ax.add_collection(PolyCollection(verts, facecolors=colours[cats[owner]], edgecolors=palette.colour("background"),
                                             linewidths=0.2, zorder=2), autolim=False)
        xs = [case.x, *self.unit_bounds[bc.units, 0], *self.unit_bounds[bc.units, 2]]
        ys = [case.y, *self.unit_bounds[bc.units, 1], *self.unit_bounds[bc.units, 3]]
        flows = [f for f in bc.flows if f.site_id]
        for f in flows:
            col = int(np.flatnonzero(self.column_ids == f.site_id)[0])
            fx, fy = self.site_xy[col]
            xs.append(fx)
            ys.append(fy)
            size = 30 + 220 * f.share
            marker_colour = palette.colour("open") if f.is_24_7 else palette.colour("open part-time")
            ax.scatter([fx], [fy], s=size, c=marker_colour, edgecolors="black", linewidths=0.7, zorder=6)
            # arrows run the way residents move: closed site -> new site; old site -> opened site
            start, end, colour = ((fx, fy), (case.x, case.y), palette.colour("new")) if gain else (
                (case.x, case.y), (fx, fy), palette.colour("open"))
            ax.annotate("", xy=end, xytext=start, zorder=5,
                        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 0.9, "alpha": 0.6})
            label = f"{_short(f.name)} {text.share(f.share, digits=0)}" + ("" if f.open_at_night else " (not at night)")
            ax.annotate(label, (fx, fy), xytext=(5, 5), textcoords="offset points", fontsize=6.5, zorder=8,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
        own = "*" if case.change == CHANGE_OPENED or gain else "X"
        ax.scatter([case.x], [case.y], s=160, marker=own, c=palette.colour("closing") if not gain else palette.colour("new"),
                   edgecolors="black", linewidths=0.8, zorder=7)
        ax.annotate(_short(case.name), (case.x, case.y), xytext=(6, -11), textcoords="offset points",
                    fontsize=7.5, fontweight="bold", zorder=8,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
        self._fit(ax, xs, ys, map_size)
        self._scalebar(ax)
        body = self._render(fig, dpi)
        legend = self._legend_panel(gain, (figsize[0] - map_size[0], figsize[1]), dpi)
        out = Image.new("RGB", (body.width + legend.width, max(body.height, legend.height)), palette.colour("background"))
        out.paste(body, (0, 0))
        out.paste(legend, (body.width, 0))
        return self._encode(out, dpi)

    def overview_map(self, evidence: Evidence, band: str, *, figsize: tuple[float, float] = (7.2, 5.6),
                     dpi: int = DPI) -> bytes:
        """All of London: every changed site, with the catchments of ``band`` shaded."""
        fig, ax = self._base_axes(figsize)
        handles = []
        k = 0
        for case in evidence.cases:
            bc = case.bands.get(band)
            if bc is None or not case.located:
                continue
            if bc.has_catchment:
                verts, _ = self._polys(bc.units)
                colour = palette.categorical(k)
                k += 1
                ax.add_collection(PolyCollection(verts, facecolors=[colour], edgecolors="none", alpha=0.55,
                                                 zorder=2), autolim=False)
            marker, c = ("*", palette.colour("new")) if bc.effect == EFFECT_GAIN or case.change == CHANGE_OPENED else (
                "X", palette.colour("closing"))
            ax.scatter([case.x], [case.y], s=70, marker=marker, c=c, edgecolors="black", linewidths=0.6, zorder=6)
            ax.annotate(_short(case.name), (case.x, case.y), xytext=(4, 3), textcoords="offset points",
                        fontsize=5.5, zorder=7)
        for (x, y), name in zip(self.area_label_xy, self.area_names, strict=True):
            ax.text(x, y, name, fontsize=4.5, color=palette.colour("label"), ha="center", va="center", zorder=4)
        handles = [
            Line2D([], [], marker="X", linestyle="", markerfacecolor=palette.colour("closing"), markeredgecolor="black",
                   markersize=8, label="closes (or loses hours)"),
            Line2D([], [], marker="*", linestyle="", markerfacecolor=palette.colour("new"), markeredgecolor="black",
                   markersize=9, label="opens"),
        ]
        ax.legend(handles=handles, loc="lower right", fontsize=6.5, framealpha=0.9,
                  title=f"catchments shaded ({band})", title_fontsize=6.5)
        x0, y0, x1, y1 = self.extent
        self._fit(ax, [x0, x1], [y0, y1], figsize, pad=0.02)
        self._scalebar(ax)
        self._attribution(fig)
        return self._png(fig, dpi)


def _legend(fig: Figure, gain: bool) -> None:
    """Every class of a site map, always (so 'unreachable' is explained on every map), and its markers."""
    labels = [textwrap.fill(x, 24) for x in (*_BIN_LABELS, _OPPOSITE_LABEL[gain], palette.WORDS["unreachable"])]
    pal = _palette(gain)
    handles: list[object] = [Patch(facecolor=pal[k], edgecolor=palette.colour("swatch edge"), label=labels[k])
                             for k in range(len(labels))]
    if gain:
        handles.append(Line2D([], [], marker="*", linestyle="", markerfacecolor=palette.colour("new"),
                              markeredgecolor="black", markersize=10, label="this site (opens)"))
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=palette.colour("open"),
                              markeredgecolor="black", markersize=7, label="used before"))
    else:
        handles.append(Line2D([], [], marker="X", linestyle="", markerfacecolor=palette.colour("closing"),
                              markeredgecolor="black", markersize=9, label="this site (closes)"))
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=palette.colour("open"),
                              markeredgecolor="black", markersize=7, label="goes instead: 24/7"))
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=palette.colour("open part-time"),
                              markeredgecolor="black", markersize=7, label="goes instead: part-time"))
    title = "minutes saved" if gain else "minutes added"
    fig.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(0.02, 0.97), alignment="left",
               fontsize=6, title_fontsize=6.5, frameon=False)


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


_WORKER_CANVAS: MapCanvas | None = None  # set before forking the map workers, inherited by them


def _site_job(job: tuple[str, SiteCase, BandCase, int]) -> tuple[str, bytes]:
    key, case, bc, dpi = job
    assert _WORKER_CANVAS is not None
    return key, _WORKER_CANVAS.site_map(case, bc, dpi=dpi)


def _same_map(a: BandCase, b: BandCase) -> bool:
    """Two bands of a case that would draw the same map (same catchment, same journeys, same flows)."""
    return (a.effect == b.effect and np.array_equal(a.units, b.units) and np.array_equal(a.before_min, b.before_min)
            and np.array_equal(a.after_min, b.after_min) and a.flows == b.flows)


class PendingMaps:
    """Maps being drawn: the site maps already submitted to the workers (if any); :meth:`result` finishes them."""

    def __init__(self, canvas: MapCanvas, evidence: Evidence, *, dpi: int = DPI, workers: int = 1) -> None:
        global _WORKER_CANVAS
        self.canvas, self.evidence, self.dpi = canvas, evidence, dpi
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
            _WORKER_CANVAS = canvas  # the forked workers inherit it; nothing big is pickled
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=die_with_parent, initargs=(os.getpid(),))
            self._futures = [self._pool.submit(_site_job, job) for job in self.jobs]

    def result(self, progress: ProgressFn | None = None) -> dict[str, bytes]:
        """Every map: key -> PNG bytes (see :func:`evidence_maps`)."""
        global _WORKER_CANVAS
        out: dict[str, bytes] = {}

        def done(key: str, png: bytes) -> None:
            out[key] = png
            if progress:
                progress(len(out), self.total)

        try:
            for band in self.overviews:
                done(f"overview/{band}", self.canvas.overview_map(self.evidence, band, dpi=self.dpi))
            if self._pool is not None:
                for fut in as_completed(self._futures):
                    done(*fut.result())
            else:
                for key, case, bc, dpi in self.jobs:
                    done(key, self.canvas.site_map(case, bc, dpi=dpi))
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                _WORKER_CANVAS = None
        for alias, key in self.aliases.items():
            out[alias] = out[key]
        log.debug("drew %d maps (%d shared between bands)", self.total, len(self.aliases))
        return out


def start_evidence_maps(source: GeographySource | MapCanvas, evidence: Evidence, *, dpi: int = DPI,
                        workers: int = 1) -> PendingMaps:
    """Start drawing every map of a pack (in ``workers`` forked processes when more than one)."""
    canvas = source if isinstance(source, MapCanvas) else canvas_for(source)
    return PendingMaps(canvas, evidence, dpi=dpi, workers=workers)


def evidence_maps(source: GeographySource | MapCanvas, evidence: Evidence, *, progress: ProgressFn | None = None,
                  dpi: int = DPI, workers: int = 1) -> dict[str, bytes]:
    """Every map of an evidence pack as PNG bytes.

    Keys: ``overview/<band>`` for each site band, and :func:`map_key` for each
    site and band with a catchment (nothing for sites with no location or an
    empty catchment).  Two bands of a site that would draw the same map share
    one PNG (the same bytes under both keys).  ``workers`` > 1 draws the site
    maps in that many forked processes (where the platform can fork).
    """
    return start_evidence_maps(source, evidence, dpi=dpi, workers=workers).result(progress)
