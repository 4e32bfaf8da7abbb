"""The optimiser on the hand-solved toy (tests/estate/optimise_toy.py): every answer worked by hand."""

from __future__ import annotations

import itertools
import os
import stat

import numpy as np
import pytest

from estate.errors import EstateError, InfeasibleError, OptimiseError, UnknownSiteError
from estate.optimise import (
    Evaluator,
    Harm,
    answer,
    check_feasible,
    close_instance,
    harm_of_hours,
    keep_24_7_instance,
    open_instance,
    save_answer,
    smallest_m,
    solve,
    trade_off,
)
from estate.rules import DEFAULT_RULES, RuleSet
from estate.scenario import load_scenario, resolve
from tests.estate import optimise_toy

DAY30 = Harm("beyond", 30, (("day", 1.0),))
NIGHT30 = Harm("beyond", 30, (("night", 1.0),))
RULES_AB = RuleSet(tuple(r for r in DEFAULT_RULES), source="toy default rules")


@pytest.fixture
def toy() -> optimise_toy.OptToy:
    return optimise_toy.make()


def closed(ans) -> list[str]:
    return sorted(c["id"] for c in ans.changes["close"])


@pytest.mark.parametrize("method", ["heuristic", "exact"])
def test_close_one_by_day(toy, method):
    inst = close_instance(toy.ctx, "register", DAY30, k=1)
    ans = answer(toy.ctx, inst, solve(inst, method=method))
    assert closed(ans) == ["a1"]
    assert (ans.start_value, ans.value, ans.difference) == (300, 400, 100)
    assert ans.changes["close"][0]["harm_change"] == 100
    assert "adds 100 residents beyond 30 minutes (day)" in ans.changes["close"][0]["rationale"]
    # with a1 closed, closing a kept site instead adds at least b1's 200 (a2 would now add u1 and u2: 250)
    assert "at least 200" in ans.changes["close"][0]["rationale"]


def test_close_rationale_names_only_the_closures_the_rules_allow_instead(toy):
    """With the rules, b1 (B's only 24/7 counter) cannot close in a1's place: the floor is b2's 220, not b1's 200."""
    inst = close_instance(toy.ctx, "register", DAY30, k=1, rules=RULES_AB)
    why = answer(toy.ctx, inst, solve(inst), rules=RULES_AB).changes["close"][0]["rationale"]
    assert "closing any other site the rules let close instead would add at least 220" in why


@pytest.mark.parametrize("method", ["heuristic", "exact"])
def test_close_two_without_and_with_rules(toy, method):
    free = close_instance(toy.ctx, "register", DAY30, k=2, rules=None)
    assert closed(answer(toy.ctx, free, solve(free, method=method))) == ["a1", "b1"]
    ruled = close_instance(toy.ctx, "register", DAY30, k=2, rules=RULES_AB)
    ans = answer(toy.ctx, ruled, solve(ruled, method=method), rules=RULES_AB)
    assert closed(ans) == ["a1", "b2"]  # b1 is B's only 24/7 counter
    assert ans.value == 300 + 320 and ans.rules_broken == []


def test_exhaustive_check_of_every_pair(toy):
    """The hand figures, by brute force over every pair of closures."""
    start = toy.ctx.state("register").hours
    costs = {}
    for pair in itertools.combinations(optimise_toy.SITES[:5], 2):
        hours = {s: h for s, h in start.items() if s not in pair}
        costs[pair] = harm_of_hours(toy.ctx, DAY30, hours)[0] - 300
    assert min(costs, key=costs.__getitem__) == ("a1", "b1") and costs[("a1", "b1")] == 300
    assert costs[("a1", "b2")] == 320 and costs[("a1", "a2")] == 350


def test_too_many_closures_for_the_rules_names_the_rule_and_the_most(toy):
    inst = close_instance(toy.ctx, "register", DAY30, k=4, rules=RULES_AB)
    with pytest.raises(InfeasibleError) as exc:
        check_feasible(inst, RULES_AB, k_total=4)
    assert exc.value.most == 3
    assert "counter-24-7-per-borough" in exc.value.binding
    assert "at most 3 can close" in str(exc.value)
    assert isinstance(exc.value, EstateError) and isinstance(exc.value, ValueError)
    check_feasible(close_instance(toy.ctx, "register", DAY30, k=3, rules=RULES_AB), RULES_AB)


@pytest.mark.parametrize("method", ["heuristic", "exact"])
def test_open_one_from_the_register(toy, method):
    inst = open_instance(toy.ctx, "register", DAY30, k=1)
    ans = answer(toy.ctx, inst, solve(inst, method=method))
    assert [c["id"] for c in ans.changes["open"]] == ["c1"]
    assert ans.changes["open"][0]["hours"] == "Mo-Sa 08:00-22:00; Su 10:00-16:00"
    assert (ans.start_value, ans.value) == (300, 0)
    lib = open_instance(toy.ctx, "register", DAY30, k=1, hosts=["library"])
    assert lib.site_ids == ["c2"]
    assert answer(toy.ctx, lib, solve(lib)).difference == 0


def test_open_mean_measure(toy):
    mean = Harm("mean", 30, (("day", 1.0),))
    inst = open_instance(toy.ctx, "register", mean, k=1)
    ans = answer(toy.ctx, inst, solve(inst, method="exact"))
    assert ans.start_value == pytest.approx((1270 * 10 + 300 * 60) / 1570)
    assert ans.value == pytest.approx((1270 * 10 + 300 * 20) / 1570)  # u11: 60 -> 20 minutes
    assert ans.optimal and ans.gap == pytest.approx(0, abs=1e-9)


def test_close_mean_measure_by_hand(toy):
    mean = Harm("mean", 30, (("day", 1.0),))
    inst = close_instance(toy.ctx, "register", mean, k=1)
    ans = answer(toy.ctx, inst, solve(inst))
    assert closed(ans) == ["a1"]
    assert ans.value == pytest.approx((12700 + 18000 + 6500) / 1570)


@pytest.mark.parametrize("method", ["heuristic", "exact"])
@pytest.mark.parametrize(("m", "kept", "beyond"), [(1, ["a3"], 1170), (2, ["a3", "b2"], 850)])
def test_keep_24_7_at_night(toy, method, m, kept, beyond):
    inst = keep_24_7_instance(toy.ctx, "register", NIGHT30, m=m, rules=RULES_AB)
    ans = answer(toy.ctx, inst, solve(inst, method=method))
    hours = inst.hours_of(solve(inst, method=method).x)
    assert sorted(s for s, h in hours.items() if h == "24/7") == kept
    assert ans.value == beyond and ans.start_value == 820
    # the counters not kept 24/7 take the start's part-time hours; a day-time band is untouched
    assert all(c["hours"] in ("24/7", optimise_toy.PART_TIME) for c in ans.changes["set_hours"])
    assert any("does not apply" in n for n in ans.notes)


def test_smallest_m_for_a_target_and_an_unmeetable_one(toy):
    inst = keep_24_7_instance(toy.ctx, "register", NIGHT30, m=1)
    m, curve = smallest_m(toy.ctx, inst, 0.5)
    assert m == 3
    assert [round(p.share_within["night"], 4) for p in curve] == [round(400 / 1570, 4), round(720 / 1570, 4),
                                                                    round(970 / 1570, 4)]
    with pytest.raises(InfeasibleError, match=r"best reachable is 80\.9%") as exc:
        smallest_m(toy.ctx, inst, 0.9)
    assert exc.value.most == pytest.approx(1270 / 1570)


def test_trade_off_curve_for_closures(toy):
    inst = close_instance(toy.ctx, "register", DAY30, k=1)
    curve = trade_off(toy.ctx, inst, [1, 2, 3])
    assert [p.value for p in curve] == [400, 600, 850]  # a1; a1+b1; a1+a2+b1 (350+200 = 550 added)
    assert curve[1].sites == ["a1", "b1"]


def test_locks_and_the_start_scenario(toy):
    inst = close_instance(toy.ctx, "register", DAY30, k=1, lock_open=["a1"])
    assert closed(answer(toy.ctx, inst, solve(inst))) == ["a2"]
    inst = close_instance(toy.ctx, "register", DAY30, k=2, lock_closed=["a3"])
    ans = answer(toy.ctx, inst, solve(inst))
    assert closed(ans) == ["a1", "a3"]
    assert "as asked" in next(c for c in ans.changes["close"] if c["id"] == "a3")["rationale"]


def test_incremental_evaluation_matches_a_full_recompute(toy):
    inst = open_instance(toy.ctx, "register", Harm("mean", 30, (("day", 1.0), ("night", 2.0))), k=1)
    close = close_instance(toy.ctx, "register", Harm("mean", 30, (("day", 1.0), ("night", 2.0))), k=2)
    for case in (inst, close):
        ev = Evaluator(case)
        rng = np.random.default_rng(1)
        for _ in range(20):
            x = rng.random(case.n_sites) < 0.5
            ev.commit(x)
            assert ev.value == pytest.approx(case.objective(x))
            for j in range(case.n_sites):
                y = x.copy()
                y[j] = not y[j]
                d = ev.delta_close(j) if x[j] else ev.delta_open(j)
                assert ev.value + d == pytest.approx(case.objective(y))
            od = ev.open_deltas()
            for a in np.flatnonzero(x):
                sw = ev.swap_deltas(int(a), od)
                for b in np.flatnonzero(~x):
                    y = x.copy()
                    y[a], y[b] = False, True
                    assert ev.value + sw[b] == pytest.approx(case.objective(y))


def test_instance_objective_equals_the_coverage_of_the_answer(toy):
    inst = close_instance(toy.ctx, "register", Harm("beyond", 30, (("day", 1.0), ("night", 1.0))), k=2)
    sol = solve(inst)
    assert inst.objective(sol.x) == harm_of_hours(toy.ctx, inst.harm, inst.hours_of(sol.x))[0]


BAD = [
    (lambda c: close_instance(c, "register", DAY30, k=6), OptimiseError, "between 1 and 5"),
    (lambda c: close_instance(c, "register", DAY30, k=0), OptimiseError, "between 1 and 5"),
    (lambda c: close_instance(c, "register", DAY30, k=1, lock_open=["nowhere"]), UnknownSiteError, "nowhere"),
    (lambda c: close_instance(c, "register", DAY30, k=1, lock_open=["a1", "a1"]), OptimiseError, "more than once"),
    (lambda c: close_instance(c, "register", DAY30, k=1, lock_open=["a1"], lock_closed=["a1"]), OptimiseError,
     "both locked open and locked closed"),
    (lambda c: close_instance(c, "register", DAY30, k=1, lock_open=["c1"]), OptimiseError, "not open in register"),
    (lambda c: open_instance(c, "register", DAY30, k=3), OptimiseError, "between 1 and 2"),
    (lambda c: open_instance(c, "register", DAY30, k=1, hosts=["castle"]), OptimiseError, "no candidates"),
    (lambda c: keep_24_7_instance(c, "register", NIGHT30, m=9), OptimiseError, "between 1 and 5"),
    (lambda c: Harm("median", 30), OptimiseError, "beyond"),
    (lambda c: Harm("beyond", 0), OptimiseError, "threshold"),
    (lambda c: Harm("beyond", 30, (("day", 1.0), ("day", 2.0))), OptimiseError, "more than once"),
    (lambda c: solve(close_instance(c, "register", DAY30, k=1), method="exact", time_limit=0), OptimiseError,
     "time limit"),
    (lambda c: solve(close_instance(c, "register", DAY30, k=1), time_limit=0), OptimiseError, "time limit"),
    (lambda c: solve(close_instance(c, "register", DAY30, k=1), method="magic"), OptimiseError, "heuristic"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD)
def test_bad_requests(toy, call, error, match):
    with pytest.raises(error, match=match):
        call(toy.ctx)


def test_answer_saves_as_a_scenario_that_loads_and_resolves(toy, tmp_path):
    inst = close_instance(toy.ctx, "register", DAY30, k=2, rules=RULES_AB)
    ans = answer(toy.ctx, inst, solve(inst), scenario_id="toy-close-2", rules=RULES_AB)
    path = save_answer(ans, toy.ctx, tmp_path)
    assert path.name == "toy-close-2.yaml"
    mode = stat.S_IMODE(os.stat(path).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # normal permissions, not a temporary file's 0600
    sc = load_scenario(path)
    assert sc.base == "register" and sorted(c.site_id for c in sc.close) == ["a1", "b2"]
    assert all(c.rationale for c in sc.close)
    state = resolve(sc.id, {sc.id: sc}, toy.ctx.estate)
    assert harm_of_hours(toy.ctx, DAY30, state.hours)[0] == ans.value
    with pytest.raises(FileExistsError):
        save_answer(ans, toy.ctx, tmp_path)
    save_answer(ans, toy.ctx, tmp_path, force=True)
    with pytest.raises(OptimiseError, match="lower-case"):
        answer(toy.ctx, inst, solve(inst), scenario_id="../escape")


def _sparse_ctx(toy, cutoff_s: float = float("inf")):
    """The toy's context over the same matrix in the sparse layout (every pair, or those within a cutoff)."""
    from dataclasses import replace

    from geodata.travel.sparse import SparseTimes

    class NoDenseBlock(SparseTimes):
        def __getitem__(self, key):
            raise AssertionError("the optimiser read a dense block of a sparse matrix")

    s = SparseTimes.from_dense(toy.seconds, cutoff_s)
    sparse = NoDenseBlock(s.shape, s.indptr, s.indices, s.data, s.cutoff_s)
    return replace(toy.ctx, matrix=lambda band: sparse)


SPARSE_CASES = [
    lambda c, h: open_instance(c, "register", h, k=1),
    lambda c, h: open_instance(c, "register", h, k=2),
    lambda c, h: close_instance(c, "register", h, k=2),
    lambda c, h: keep_24_7_instance(c, "register", h, m=2),
]


@pytest.mark.parametrize("block", [None, 3])
@pytest.mark.parametrize("make", SPARSE_CASES)
@pytest.mark.parametrize("harm", [Harm("beyond", 30, (("day", 1.0), ("night", 1.0))),
                                  Harm("mean", 30, (("day", 1.0), ("night", 2.0)))])
def test_the_sparse_layout_gives_the_dense_instance_and_answer(toy, make, harm, block, monkeypatch):
    """Every question reads only the stored pairs of a sparse matrix (no dense block of the
    candidates), in blocks of columns or at once, and its instance and answer are the dense
    layout's, pair for pair."""
    if block:
        from estate.optimise import problem

        monkeypatch.setattr(problem, "PAIRS_PER_BLOCK", block)
    dense, sparse = make(toy.ctx, harm), make(_sparse_ctx(toy), harm)
    for name in ("ptr", "pair_row", "pair_cost", "row_weight", "row_base"):
        np.testing.assert_array_equal(getattr(dense, name), getattr(sparse, name), err_msg=name)
    assert dense.const == sparse.const and dense.n_pairs > 0
    a, b = (answer(c, i, solve(i, method="exact")) for c, i in ((toy.ctx, dense), (_sparse_ctx(toy), sparse)))
    assert a.changes == b.changes and (a.value, a.start_value) == (b.value, b.start_value)


def test_a_sparse_cutoff_drops_only_pairs_no_choice_needs(toy):
    """Pairs beyond the sparse layout's cutoff (here 45 min) are not stored; residents beyond 30
    minutes are counted the same, so the open answer is the dense one."""
    inst = open_instance(_sparse_ctx(toy, 45 * 60.0), "register", DAY30, k=1)
    ans = answer(_sparse_ctx(toy, 45 * 60.0), inst, solve(inst))
    assert [c["id"] for c in ans.changes["open"]] == ["c1"] and (ans.start_value, ans.value) == (300, 0)
