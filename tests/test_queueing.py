"""The model against queueing theory: a berth fed by Poisson ship arrivals with exponential discharge is an
M/M/c queue, so its mean wait must match Erlang C; Little's law must hold in the model's own outputs."""

import math

import numpy as np
import pytest
from netkit import scenario, tiny_network

from sim.plan import compile_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario

MU = 1.0  # discharges per hour per berth (one piece per ship)


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue (h) of an M/M/c queue."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def berth_plan(tmp_path, berths: int, lam: float, n_ships: int, arrivals_seed: int):
    """One port with `berths` berths; n_ships ships of one piece each at Poisson times (rate lam per hour)."""
    net = tiny_network(tmp_path / f"net{berths}_{arrivals_seed}",
                       seaports=[{"node": "port", "berths": berths, "discharge_pph": MU, "marshalling_spaces": 100000,
                                  "tech_check_h": 0}])
    gen = np.random.default_rng(arrivals_seed)
    times = np.cumsum(gen.exponential(1 / lam, n_ships))
    data = scenario(net, horizon_h=float(times[-1] + 500), times={"discharge": "exponential"},
                    templates={"t": [{"unit": "a", "personnel": 0, "wheeled": n_ships}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_road"],
                             "ships": [{"port": "port", "at_h": round(float(t), 6), "pieces": 1} for t in times]}])
    return compile_plan(parse_scenario(data, "mmc.yaml"), "mmc.yaml", net)


def berth_waits(results) -> np.ndarray:
    u = results.usage[results.usage["resource"] == "berths@port"]
    return (u["t_grant"] - u["t_request"]).to_numpy()


@pytest.mark.parametrize(("berths", "lam"), [(1, 0.75), (2, 1.5)])
def test_berth_matches_erlang_c(tmp_path, berths, lam):
    expected = erlang_c_wait(lam, MU, berths)
    means = [berth_waits(run_replication(berth_plan(tmp_path, berths, lam, 2500, 100 + rep), seed=7, replication=rep)).mean()
             for rep in range(8)]
    grand = float(np.mean(means))
    half_width = 1.96 * float(np.std(means, ddof=1)) / math.sqrt(len(means))
    print(f"M/M/{berths} rho={lam / berths / MU:.2f}: simulated Wq {grand:.3f} h +- {half_width:.3f}, Erlang C {expected:.3f} h")
    # within 10 % of Erlang C, and Erlang C inside the 95 % interval widened by 5 % for start-up bias
    assert grand == pytest.approx(expected, rel=0.10)
    assert abs(grand - expected) <= half_width + 0.05 * expected


def test_littles_law_holds_in_the_model_outputs(tmp_path):
    r = run_replication(berth_plan(tmp_path, 2, 1.5, 1500, arrivals_seed=5), seed=3)
    u = r.usage[r.usage["resource"] == "berths@port"]
    t_end = float(u["t_release"].max())
    q = r.queue_series("berths@port")
    t = np.append(q["t"].to_numpy(), t_end)
    area_queue = float(np.sum(q["queue"].to_numpy() * np.diff(t)))
    area_busy = float(np.sum(q["in_use"].to_numpy() * np.diff(t)))
    lam = len(u) / t_end
    waits = (u["t_grant"] - u["t_request"]).to_numpy()
    service = (u["t_release"] - u["t_grant"]).to_numpy()
    # L = lambda W for the queue, and for the servers (busy servers = lambda x mean service)
    assert area_queue / t_end == pytest.approx(lam * waits.mean(), rel=1e-9)
    assert area_busy / t_end == pytest.approx(lam * service.mean(), rel=1e-9)
    # and the utilisation the summary reports is that same busy fraction per server
    stats = r.resource_stats().set_index("resource")
    assert stats.loc["berths@port", "utilization"] == pytest.approx(area_busy / (2 * r.end_h), rel=1e-6)
