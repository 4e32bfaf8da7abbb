"""Shareable links (read back only known values, never echoed) and the data-driven colour classes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from estate.outputs import _palette as palette
from estate.outputs import links, views
from estate.outputs.scales import change_scale, data_scale, level_scale, value_text

CHOICES = {"page": ["compare", "map"], "mode": ["walk", "drive"], "threshold": ["30", "45"]}


def test_a_view_round_trips_through_its_query():
    q = links.view_query({"page": "map", "mode": "drive", "threshold": 30, "borough": ""})
    assert q == "page=map&mode=drive&threshold=30"
    from urllib.parse import parse_qs

    v = links.read_view({k: v[0] for k, v in parse_qs(q).items()}, CHOICES)
    assert v.values == {"page": "map", "mode": "drive", "threshold": "30"} and v.ignored == ()


@pytest.mark.parametrize("query", [
    {"mode": "<script>alert(1)</script>"}, {"mode": "WALK"}, {"threshold": "1e9"}, {"page": "x" * 10_000},
    {"mode": ["walk", "drive"]}, {"unknown": "1"},
])
def test_unknown_values_are_ignored_and_never_repeated(query):
    v = links.read_view(query, CHOICES)
    assert v.values == {}
    msg = v.message()
    assert "ignored" in msg
    for val in query.values():
        assert str(val) not in msg


def test_free_values_go_through_their_checker():
    v = links.read_view({"postcode": "SE1 7PB"}, {}, free={"postcode": lambda s: s == "SE1 7PB"})
    assert v.values == {"postcode": "SE1 7PB"}
    assert links.read_view({"postcode": "<b>"}, {}, free={"postcode": lambda s: False}).ignored == ("postcode",)


def test_a_change_scale_always_has_a_no_change_class_in_the_neutral_colour():
    s = change_scale("c", "residents", [0, 0, 120, 5_000, 40_000, 90_000, -300, -20_000])
    assert "no change" in s.labels
    assert s.colour(0) == palette.colour("no change")
    assert s.colour(120) in palette.ramp("worse") and s.colour(-300) in palette.ramp("better")
    assert s.colour(90_000) != s.colour(120)  # classes spread over the data
    assert s.edges[0] == -math.inf and s.edges[-1] == math.inf
    only_zero = change_scale("c", "residents", [0.0, 0.0])
    assert only_zero.labels == ("no change",)
    # a share rising is good news: purple
    assert data_scale("share_change", 45, [5.0, 0.0]).colour(5.0) in palette.ramp("better")


def test_a_level_scale_gives_unreachable_its_own_colour():
    s = level_scale("m", "minutes", [5, 10, 20, 40, 80, 160], k=4)
    assert s.colour(math.inf) == palette.colour("unreachable") and len(s.colours) <= 4
    assert s.colour(160) == s.colours[-1]


def test_tooltips_carry_sign_and_unit():
    assert value_text(143_321, "residents", change=True, threshold=45) == "+143,321 more residents beyond 45 min"
    assert value_text(-12, "residents", change=True, threshold=45) == "-12 fewer residents beyond 45 min"
    assert value_text(0.0, "minutes", change=True) == "no change"


def test_the_chart_frame_colours_by_sign_with_a_neutral_zero_whatever_the_order():
    import pandas as pd

    from estate.outputs.ui_text import TABLE_COLUMNS

    name, change = TABLE_COLUMNS["name"], TABLE_COLUMNS["beyond_change"].format(t=45)
    table = pd.DataFrame({name: ["Zero", "Up", "Down", "Up2"], change: [0, 500, -20, 10]})
    f = views.change_chart_frame(table, 45)
    assert list(f["Borough"]) == ["Up", "Up2", "Zero", "Down"]  # sorted by change
    assert list(f["colour"]) == [palette.colour("worse")] * 2 + [palette.colour("no change"), palette.colour("better")]
    chart = views.change_chart(table, 45).to_dict()
    assert chart["encoding"]["color"]["scale"] is None  # the colours are the frame's own
    assert chart["encoding"]["y"]["sort"] == ["Up", "Up2", "Zero", "Down"]
    assert np.all(f["Change"].str.len() > 0)
