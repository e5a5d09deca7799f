"""Juno (the Helion default) and Kilo provision states give the same deployment: only the names
of the states differ, so everything measured from the log (summary, steps, metrics) is the same,
and `twin compare` tells two runs of different releases apart by their state sequences."""
from pathlib import Path

import pytest

from twin.analysis.compare import compare, render
from twin.analysis.runs import RunOnDisk
from twin.report.steps import STEPS, node_steps, state_sequences
from twin.report import derive
from twin.runs.deploy import metrics as deploy_metrics
from twin.faults.spec import Fault


@pytest.fixture
def both(deploy):
    def _both(**kw):
        return deploy(release="juno", **kw), deploy(release="kilo", **kw)
    return _both


def test_both_releases_deploy_alike_and_the_summary_measures_both_the_same(both):
    (juno, juno_events), (kilo, kilo_events) = both(compute=2)
    dj, dk = juno["deployment"], kilo["deployment"]
    assert dj["makespan_s"] == dk["makespan_s"] and dj["outcome"] == dk["outcome"] == "success"
    assert {n: v["deploy_s"] for n, v in dj["nodes"].items()} == {n: v["deploy_s"] for n, v in dk["nodes"].items()}
    assert all(v["deploy_s"] > 0 for v in dj["nodes"].values())
    assert juno["counts"]["by_state"] == kilo["counts"]["by_state"] == {"active": 8}
    assert deploy_metrics(juno) == deploy_metrics(kilo)
    assert deploy_metrics(juno)["nodes_active"] == 8.0


def test_every_step_is_measured_the_same_for_both_releases(both):
    (_, juno_events), (_, kilo_events) = both(compute=2)
    sj, sk = node_steps(juno_events), node_steps(kilo_events)
    assert set(sj.step) == set(STEPS)  # Juno's register step is measured too (no state marks it)
    pd_j = sj.set_index(["node", "step"]).sort_index()
    pd_k = sk.set_index(["node", "step"]).sort_index()
    assert pd_j.equals(pd_k)


def test_a_failed_verification_is_a_failure_in_both_releases(both):
    fault = [Fault(kind="bmc_wrong_credentials", node="compute1")]
    (juno, _), (kilo, _) = both(compute=2, faults=fault)
    nj, nk = juno["deployment"]["nodes"]["compute1"], kilo["deployment"]["nodes"]["compute1"]
    assert (nj["state"], nk["state"]) == ("None", "enroll")
    assert nj["cause"] == nk["cause"] and "credentials" in nj["cause"]
    assert deploy_metrics(juno) == deploy_metrics(kilo)
    assert deploy_metrics(juno)["nodes_failed"] == 1.0


def test_compare_tells_the_releases_apart_and_matches_a_release_with_itself(both):
    (juno, juno_events), (kilo, kilo_events) = both(compute=1)
    a, b = RunOnDisk(Path("juno"), juno_events, juno), RunOnDisk(Path("kilo"), kilo_events, kilo)
    assert compare(a, a)["same_states"]
    result = compare(a, b)
    assert not result["same_states"]
    node = next(n for n in result["nodes"] if n["node"] == "compute0")
    assert node["states_a"] == ["None", "deploying", "wait call-back", "deploying", "active"]
    assert node["states_b"][:4] == ["enroll", "verifying", "manageable", "available"]
    assert state_sequences(juno_events)["compute0"][-1] == state_sequences(kilo_events)["compute0"][-1] == "active"
    assert result["ironic_release"] == ("juno", "kilo") and compare(a, a)["ironic_release"] == ("juno", "juno")
    assert "different Ironic releases (juno | kilo)" in render(result)
    assert "different Ironic releases" not in render(compare(b, b))


def test_the_report_orders_the_states_of_both_releases_in_their_lifecycle(both):
    (juno, juno_events), _ = both(compute=1)
    intervals = derive.state_intervals(juno_events, derive.end_time(juno_events, juno))
    seen = sorted({i.state for i in intervals}, key=derive.state_rank)
    assert seen == ["None", "deploying", "wait call-back", "active"]
    assert derive.state_rank("None") < derive.state_rank("enroll") < derive.state_rank("available")
    assert derive.is_failed_state("deploy failed") and derive.is_failed_state("error")
    assert not derive.is_failed_state("None")
