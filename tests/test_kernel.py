"""The event-light kernel pieces: pools served first come first served, batchers that sleep until there is
something to decide, random factors drawn in blocks. Exact event logs, as in SimPy's own tests."""

import numpy as np
import pandas as pd
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.batching import Additive, Batcher
from sim.distributions import Deterministic, Exponential, Lognormal, Sampler, Triangular
from sim.resources import Counting, Pool, ResourceInfo


def _pool(env, capacity):
    return Pool(env, [], ResourceInfo("p", "wagons", "", capacity, "wagons"))


def test_pool_grants_first_come_first_served():
    env = simpy.Environment()
    pool = _pool(env, 3)
    log = []

    def user(name, at, amount, hold):
        yield env.timeout(at)
        tok = yield from pool.take(amount)
        log.append((name, env.now))
        yield env.timeout(hold)
        pool.give(tok)

    env.process(user("a", 0, 2, 5))
    env.process(user("b", 1, 2, 1))  # waits: 1 free
    env.process(user("c", 2, 1, 1))  # 1 free, but b came first and waits: c waits behind it
    env.run()
    assert log == [("a", 0), ("b", 5), ("c", 5)]
    assert pool.level == 3
    assert not pool.waiting


def test_pool_take_that_fits_costs_no_event():
    env = Counting()
    pool = _pool(env, 2)

    def user():
        tok = yield from pool.take(1)
        pool.give(tok)
        tok = yield from pool.take(2)
        pool.give(tok)
        yield env.timeout(1)

    env.process(user())
    env.run()
    assert env.events_processed == 3  # the process's start, its one timeout and its end
    assert [(r[1], r[2], r[3], r[4]) for r in pool.log] == [(0, 0, 0, 1.0), (0, 0, 0, 2.0)]


def test_pool_waits_are_blamed_on_the_waiting_pieces():
    env = simpy.Environment()
    blame: list = []
    pool = Pool(env, [], ResourceInfo("p", "hets", "", 1, "HETs"), blame)

    def user(at, pids):
        yield env.timeout(at)
        tok = yield from pool.take(1, pids=pids)
        yield env.timeout(4)
        pool.give(tok)

    env.process(user(0, (1,)))
    env.process(user(1, iter([2, 3])))  # any iterable of piece ids, read once
    env.run()
    assert blame == [("p", (2, 3), 3.0)]


def _batcher_log(arrivals, capacity=3.0, max_wait_h=10.0, expected=None, size=1.0):
    env = Counting()
    log = []

    def dispatch(batch):
        log.append((env.now, list(batch)))
        return
        yield

    b = Batcher(env, len(arrivals) if expected is None else expected, max_wait_h, Additive(capacity, lambda _it: size), dispatch)

    def source():
        for t, item in arrivals:
            yield env.timeout(t - env.now)
            b.put(item)

    env.process(source())
    env.run()
    return log, env.events_processed


def test_batcher_sends_full_groups_at_once_and_the_rest_when_nothing_more_is_expected():
    log, _ = _batcher_log([(0, "a"), (1, "b"), (2, "c"), (3, "d"), (4, "e")])
    assert log == [(2, ["a", "b", "c"]), (4, ["d", "e"])]


def test_batcher_sends_a_group_when_its_first_member_has_waited_max_wait():
    log, _ = _batcher_log([(0, "a"), (1, "b"), (15, "c"), (16, "d"), (40, "e")], max_wait_h=10, expected=6)
    # a waited 10 h at t = 10; c waited 10 h at t = 25; e waits for ever for a sixth that never comes: 10 h
    assert log == [(10, ["a", "b"]), (25, ["c", "d"]), (50, ["e"])]


def test_batcher_group_is_full_when_less_room_is_left_than_the_last_item_took():
    log, _ = _batcher_log([(0, "a"), (1, "b")], capacity=1.0, size=0.6, expected=5)
    assert log == [(0, ["a"]), (1, ["b"])]


def test_batcher_joining_an_open_group_costs_no_event():
    n = 40
    _, events = _batcher_log([(float(i), i) for i in range(n)], capacity=1000.0, max_wait_h=1000.0, expected=n + 1)
    _, baseline = _batcher_log([(float(i), i) for i in range(1)], capacity=1000.0, max_wait_h=1000.0, expected=2)
    # the source's timeouts grow with n; the batcher's own events (wake on the first item, one timer) do not
    assert events - baseline == n - 1


DISTS = [Exponential(dist="exponential", mean=1.3), Triangular(dist="triangular", low=0.8, mode=1.0, high=1.5),
         Lognormal(dist="lognormal", mean=1.0, sd=0.3), Deterministic(value=0.7)]


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.dist)
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300))
def test_block_draws_are_the_one_at_a_time_draws(dist, seed, n):
    one = np.random.Generator(np.random.PCG64(seed))
    block = Sampler(dist, np.random.Generator(np.random.PCG64(seed)))
    assert [block() for _ in range(n)] == [dist.sample(one) for _ in range(n)]


def test_queue_peaks_are_the_maxima_of_the_queue_series():
    from sim.paths import builtin_scenario
    from sim.plan import load_plan
    from sim.results import _queue_peaks
    from sim.runner import run_replication

    r = run_replication(load_plan(builtin_scenario()))
    names = r.resources["name"]
    max_queue, peak = _queue_peaks(r.usage, pd.Index(names))
    q = r.queue_series().groupby("resource").agg(queue=("queue", "max"), in_use=("in_use", "max"))
    q = q.reindex(names).fillna(0.0)
    assert (max_queue > 0).sum() >= 5  # resources with real queues are compared, not only zeros
    assert max_queue.tolist() == q["queue"].astype(int).tolist()
    assert peak.tolist() == q["in_use"].tolist()


def test_collector_thresholds_are_restored_after_the_event_loop():
    import gc

    from sim.model import few_collections

    before = gc.get_threshold()
    def failing_run() -> None:
        with few_collections():
            assert gc.get_threshold() != before
            raise RuntimeError("a run that fails")

    with pytest.raises(RuntimeError, match="a run that fails"):
        failing_run()
    assert gc.get_threshold() == before


def test_announcements_are_worked_out_once_per_plan_and_equal_to_fresh_ones():
    from sim import movement
    from sim.model import Model
    from sim.paths import builtin_scenario
    from sim.plan import load_plan

    plan = load_plan(builtin_scenario())
    movement._ANNOUNCED.clear()
    fresh = Model(plan, replication=0).world
    again = Model(plan, replication=3).world  # from the plan's announcements kept
    assert id(plan) in movement._ANNOUNCED
    assert again.first_keys == fresh.first_keys == [movement.first_batch(fresh, p.pid) for p in plan.pieces]
    assert list(again.expected.items()) == list(fresh.expected.items())
    expected: dict = {}
    for p, key in zip(plan.pieces, fresh.first_keys, strict=True):  # one expect() a piece, as announced
        if key is not None:
            expected[key] = expected.get(key, 0) + 1
        if p.mode == "rail" and p.to_origin:
            train = movement.rail.train_key(fresh, p.pid)
            expected[train] = expected.get(train, 0) + 1
    assert list(fresh.expected.items()) == list(expected.items())


def test_counting_binds_simpys_event_makers_to_itself():
    env = Counting()
    for name in ("process", "timeout", "event", "all_of", "any_of"):
        assert name in vars(env)
    assert env.timeout(2.0).env is env
