"""The control plane against independent truth: three controllers whose only failures are
independent exponential crashes and repairs must show the analytic 2-of-3 availability, within the
95% confidence interval of a Monte Carlo sweep (replications with SeedSequence-spawned seeds,
t-intervals), with independent repair and with one shared repair crew.

The truth is computed here, not by the model: for independent repair the binomial k-of-n formula
A = sum_{i>=2} C(3,i) a^i (1-a)^(3-i), a = MTBF/(MTBF+MTTR); for one crew the birth-death chain
of the number of failed controllers (failure rate (3-j)/MTBF, repair rate min(j, crews)/MTTR).

What the analytic model leaves out is kept small on purpose, not switched off: boots take 0 s
here, a Galera component that regains a configured majority is bootstrapped at once
(`bootstrap_after_s: 0`, pc.recovery), and the model's own seconds (VRRP takeover 3.6 s, Galera
suspect 5 s, HAProxy fall 10 s, the conductor's reboot ~15 s) cost ~2e-4 of availability at these
rates, far inside the intervals (~1e-2).
"""
from math import comb

import pytest

from twin.sweep import run_sweep

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

MTBF_S, MTTR_S = 2 * 86400.0, 0.5 * 86400.0  # a = 0.8: failures often enough for short runs
DAYS, REPLICATIONS = 100, 40

SCENARIO = """\
name: three-controllers
run: operations
seed: {seed}
inventory: {{generate: {{compute: 1}}}}
timing: {{post_s: 0, os_boot_s: 0}}
ha:
  galera: {{bootstrap_after_s: 0}}
  services: {{keystone: {{needs: [db]}}}}
operations:
  duration_s: {duration}
  repair_crews: {crews}
faults:
  - kind: node_crash
    nodes: [controller0, controller1, controller2]
    ttf: {{dist: exponential, mean: {mtbf}}}
    ttr: {{dist: exponential, mean: {mttr}}}
"""


def k_of_n_independent(n: int, k: int, mtbf: float, mttr: float) -> float:
    a = mtbf / (mtbf + mttr)
    return sum(comb(n, i) * a**i * (1 - a) ** (n - i) for i in range(k, n + 1))


def k_of_n_birth_death(n: int, k: int, mtbf: float, mttr: float, crews: int) -> float:
    """Stationary P(at most n-k failed) of the chain j -> j+1 at (n-j)/mtbf, j -> j-1 at
    min(j, crews)/mttr (crews = 0: a crew per failure)."""
    weights = [1.0]
    for j in range(n):
        up = (n - j) / mtbf
        down = min(j + 1, crews if crews > 0 else n) / mttr
        weights.append(weights[-1] * up / down)
    return sum(weights[: n - k + 1]) / sum(weights)


def sweep(tmp_path, crews: int, seed: int):
    path = tmp_path / f"crews{crews}.yaml"
    path.write_text(SCENARIO.format(seed=seed, duration=DAYS * 86400, crews=crews, mtbf=MTBF_S, mttr=MTTR_S))
    result = run_sweep(path, REPLICATIONS, workers=2)
    return result.summary["points"][0]["metrics"]


def test_the_birth_death_chain_reduces_to_the_binomial_without_a_crew_limit():
    assert k_of_n_birth_death(3, 2, MTBF_S, MTTR_S, 0) == pytest.approx(k_of_n_independent(3, 2, MTBF_S, MTTR_S))
    assert k_of_n_birth_death(3, 2, MTBF_S, MTTR_S, 3) == pytest.approx(0.896)
    assert k_of_n_birth_death(3, 2, MTBF_S, MTTR_S, 1) == pytest.approx(1.75 / 2.21875)


@pytest.mark.parametrize("crews, seed", [(0, 11), (1, 12)])
def test_two_of_three_availability_matches_the_analytic_value(tmp_path, crews, seed):
    truth = k_of_n_birth_death(3, 2, MTBF_S, MTTR_S, crews) if crews else k_of_n_independent(3, 2, MTBF_S, MTTR_S)
    other = k_of_n_birth_death(3, 2, MTBF_S, MTTR_S, 1) if not crews else k_of_n_independent(3, 2, MTBF_S, MTTR_S)
    metrics = sweep(tmp_path, crews, seed)
    for name in ("availability_keystone", "availability_galera_primary"):
        m = metrics[name]
        assert m["n"] == REPLICATIONS and m["interval"] == "t"
        assert m["ci_low"] <= truth <= m["ci_high"], (name, truth, m)
        assert not m["ci_low"] <= other <= m["ci_high"]  # the test can tell the two repair policies apart
        assert m["ci_high"] - m["ci_low"] < 0.05
