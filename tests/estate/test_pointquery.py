"""Point queries and per-edit effects on the London data."""

from __future__ import annotations

import numpy as np
import pytest

from estate.effects import edit_effects, own_changes
from estate.errors import OutsideAreaError
from estate.pointquery import locate_lonlat, locate_postcode, point_query
from estate.scenario import Scenario
from geodata import UnknownPostcodeError

pytestmark = pytest.mark.london


def test_a_postcode_query_answers_every_mode_and_band(london):
    x, y, label = locate_postcode(london, "se1 7pb")
    assert label == "SE1 7PB"
    a = point_query(london, x, y, scenario="outcome-2026", base="baseline-2024", modes=("walk", "drive"),
                    bands=("day", "night"), shown=("walk", "night"), label=label)
    assert a.area_name == "Lambeth" and len(a.answers) == 4
    for ans in a.answers:
        assert ans.scenario.site_id and np.isfinite(ans.scenario.minutes)
        assert bool(ans.scenario.legs) == (ans.mode == "walk")  # routes for the mode shown
        assert ans.scenario.minutes >= ans.base.minutes - 1e-9 or ans.scenario.site_id != ans.base.site_id
    # the nearest open counter's minutes are the query's own row of times at that site
    walk_night = a.answer("walk", "night")
    col = london.estate.column(walk_night.scenario.site_id)
    from geodata.travel import times_from

    secs = times_from(london.engine("walk"), (x, y), london.estate.points(), "night")
    assert walk_night.scenario.minutes == pytest.approx(secs[col] / 60)
    assert a.unit_minutes.shape == (4994,) and np.isfinite(a.unit_minutes).all()


@pytest.mark.parametrize(("postcode", "error", "said"), [
    ("ZZ99 9ZZ", UnknownPostcodeError, "the postcode list of"),
    ("AB10 1AB", OutsideAreaError, "outside the study area"),
])
def test_bad_postcodes(london, postcode, error, said):
    with pytest.raises(error, match=said):
        locate_postcode(london, postcode)


def test_a_click_outside_london(london):
    with pytest.raises(OutsideAreaError, match="click inside London"):
        locate_lonlat(london, 2.3522, 48.8566)
    with pytest.raises(OutsideAreaError):
        locate_lonlat(london, float("nan"), 51.5)


def test_a_day_only_counter_closed_changes_the_day_and_is_explained_at_night(london):
    start = london.scenarios["outcome-2026"]
    draft = Scenario.from_scenario(start)
    draft = draft.toggle("acton", london.estate, london.state(draft.base))
    assert own_changes(draft, start) == ["acton"]
    (row,) = edit_effects(london, draft, ["acton"], mode="walk", bands=["day", "night"], threshold=45, start=start)
    day, night = row
    assert day.beyond_change > 0
    assert night.beyond_change == 0 and "not open at night" in night.reason
