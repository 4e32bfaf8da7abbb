"""A street network that covers only part of the study area: network times where
it reaches, crow-fly times elsewhere, and a plain statement of which is which.

Newport's OpenStreetMap extract is a box (-3.077, 51.522 to -2.925, 51.594) that
leaves out the city's northern and eastern edges, so 41 of its 100 LSOAs lie outside
it.  :class:`PartialStreetEngine` takes each unit x site time from the street engine
when both ends are covered (:meth:`StreetEngine.covered`), and from the crowfly
engine otherwise; :meth:`describe` names the units on crow-fly.
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
    """

    name = "streets+crowfly"

    def __init__(self, street: StreetEngine, crowfly: CrowflyEngine, origins: Points) -> None:
        self.street = street
        self.crowfly = crowfly
        self.mode: Mode = street.mode
        covered = street.covered(origins)
        self.n_units = len(origins)
        #: the units the network does not cover (they get crow-fly times)
        self.outside_ids: tuple[str, ...] = tuple(str(i) for i in origins.ids[~covered])

    def variant(self, band: TimeBand) -> str:
        s, c = self.street.variant(band), self.crowfly.variant(band)
        return s if s == c else f"{s}+{c}"

    def settings_key(self) -> dict[str, Any]:
        return {"engine": self.name, "streets": self.street.settings_key(), "crowfly": self.crowfly.settings_key(),
                "outside": list(self.outside_ids)}

    def describe(self) -> str:
        n_out = len(self.outside_ids)
        return (
            f"{self.street.describe()} That network covers {self.n_units - n_out} of the {self.n_units} "
            f"LSOAs; for the {n_out} outside it (and for sites outside it) times are crow-fly: "
            f"{self.crowfly.describe()} LSOAs on crow-fly: {', '.join(self.outside_ids) or 'none'}."
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
