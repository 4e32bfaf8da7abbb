"""A street network that covers only part of the study area: network times where
it reaches, crow-fly times elsewhere, and a plain statement of which is which.

Newport's OpenStreetMap extract is a box (-3.077, 51.522 to -2.925, 51.594) that
leaves out the city's northern and eastern edges, so 41 of its 100 LSOAs lie outside
it.  :class:`PartialStreetEngine` takes each unit x site time from the street engine
when both ends are covered (:meth:`StreetEngine.covered`), and from the crowfly
engine otherwise; :meth:`describe` names the units on crow-fly.  The same engine
serves London when a user's ``--streets`` network covers part of it (a borough's OSM
extract): network times where both ends are on it, crow-fly (with the Thames
crossings) everywhere else; its note gives the covered share of units and residents
and names whichever list is shorter, the units on the network or those on crow-fly.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.travel.base import Mode, Points, ProgressFn, TimeBand

if TYPE_CHECKING:
    from geodata.travel.crowfly import CrowflyEngine
    from geodata.travel.streets import StreetEngine

__all__ = ["PartialStreetEngine"]

log = logging.getLogger(__name__)


class PartialStreetEngine:
    """Street times where the network covers both ends; crow-fly times for the rest.

    Parameters
    ----------
    street, crowfly
        The two engines, for the same mode.
    origins
        The population units whose coverage is reported (:attr:`outside_ids`).
    weights
        Their residents (same order), for the covered share of residents in
        :meth:`describe` and :attr:`covered_residents`; None leaves it out.
    """

    name = "streets+crowfly"

    def __init__(self, street: StreetEngine, crowfly: CrowflyEngine, origins: Points,
                 weights: np.ndarray | None = None) -> None:
        self.street = street
        self.crowfly = crowfly
        self.mode: Mode = street.mode
        covered = street.covered(origins)
        self.n_units = len(origins)
        #: the units the network does not cover (they get crow-fly times)
        self.outside_ids: tuple[str, ...] = tuple(str(i) for i in origins.ids[~covered])
        #: the units it covers (network times to the sites it covers)
        self.covered_ids: tuple[str, ...] = tuple(str(i) for i in origins.ids[covered])
        #: residents of the covered units and of all units (None without ``weights``)
        self.covered_residents: tuple[float, float] | None = None
        if weights is not None:
            w = np.asarray(weights, dtype=np.float64)
            self.covered_residents = (float(w[covered].sum()), float(w.sum()))

    def variant(self, band: TimeBand) -> str:
        s, c = self.street.variant(band), self.crowfly.variant(band)
        return s if s == c else f"{s}+{c}"

    def settings_key(self) -> dict[str, Any]:
        return {"engine": self.name, "streets": self.street.settings_key(), "crowfly": self.crowfly.settings_key(),
                "outside": list(self.outside_ids)}

    def coverage(self) -> dict[str, Any]:
        """The covered share, for JSON: units (and residents) on the network and in all."""
        out: dict[str, Any] = {"units_on_network": len(self.covered_ids), "units": self.n_units}
        if self.covered_residents is not None:
            on, total = self.covered_residents
            out.update(residents_on_network=round(on), residents=round(total),
                       residents_share=round(on / total, 4) if total else 0.0)
        return out

    def describe(self) -> str:
        n_out, n_in = len(self.outside_ids), len(self.covered_ids)
        share = ""
        if self.covered_residents is not None and self.covered_residents[1] > 0:
            on, total = self.covered_residents
            share = f" ({on:,.0f} of {total:,.0f} residents, {100 * on / total:.1f}%)"
        if n_in < n_out:  # name the shorter list
            named = f"LSOAs on the network: {', '.join(self.covered_ids) or 'none'}."
        else:
            named = f"LSOAs on crow-fly: {', '.join(self.outside_ids) or 'none'}."
        crow = (self.crowfly.describe().replace(" (no street network loaded)", "")
                .replace("(no street network loaded; ", "("))
        return (
            f"{self.street.describe()} That network covers {n_in} of the {self.n_units} "
            f"LSOAs{share}; network times are used where both the LSOA and the site are on it, and "
            f"for the {n_out} LSOAs outside it (and for sites outside it) times are crow-fly: "
            f"{crow}. {named}"
        )

    def matrix(self, origins: Points, destinations: Points, band: TimeBand, *,
               progress: ProgressFn | None = None) -> np.ndarray:
        """Street times where both ends are covered, crow-fly times elsewhere (seconds, float32)."""
        shape = (len(origins), len(destinations))
        if 0 in shape:
            return np.empty(shape, np.float32)
        o_ok = self.street.covered(origins)
        d_ok = self.street.covered(destinations)
        out = self.crowfly.matrix(origins, destinations, band).astype(np.float32)
        if o_ok.any() and d_ok.any():
            o_idx, d_idx = np.flatnonzero(o_ok), np.flatnonzero(d_ok)
            sub_o = Points(origins.ids[o_idx], origins.x[o_idx], origins.y[o_idx])
            sub_d = Points(destinations.ids[d_idx], destinations.x[d_idx], destinations.y[d_idx])
            net = self.street.matrix(sub_o, sub_d, band, progress=progress)
            out[np.ix_(o_idx, d_idx)] = net
        log.info("%s: network times for %d x %d pairs, crow-fly for the rest of %d x %d",
                 self.name, int(o_ok.sum()), int(d_ok.sum()), *shape)
        return out
