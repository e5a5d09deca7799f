"""Operator responses start from the notice: a stochastic fault's repair is asked for only when
monitoring noticed the failure (twin/faults/injector.py `repair_gate`, twin/cloud/day2/monitoring.py),
so an undercloud (Icinga) outage lengthens every outage it hides; without monitoring (or without
an `actions:` section) the repair starts at the failure, as before."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.day2.conftest import build
from twin.runs import simulate

#: controller1 fails 1000 s after the start (and 1000 s after each repair), repaired in 10 min
CRASH = {"kind": "node_crash", "node": "controller1", "at_s": 0,
         "ttf": {"dist": "fixed", "value": 1000}, "ttr": {"dist": "fixed", "value": 600}}


def fault_edges(r, target, edge):
    f = r.events[(r.events.kind == "fault") & (r.events.subject == target) & (r.events.name == edge)]
    return list(zip(f.time_s.astype(float), f.value.astype(float)))


def notices(r, node):
    m = r.events[(r.events.kind == "monitor") & (r.events.subject == node) & (r.events.name == "noticed")]
    return list(m.time_s.astype(float))


def icinga_back(r):
    m = r.events[(r.events.kind == "monitor") & (r.events.subject == "icinga") & (r.events.name == "seeing")]
    return list(m.time_s.astype(float))


def test_with_icinga_down_the_repair_waits_for_the_undercloud_and_a_check():
    undercloud_out = {"kind": "power_loss", "node": "undercloud", "at_s": 500, "for_s": 3000}
    sc, inv = build({"monitoring": {"check_interval_s": 60}}, [CRASH, undercloud_out], duration_s=8000)
    r = simulate(sc, inv, 4)
    (repair_t, _), *_ = fault_edges(r, "controller1", "repair")
    noticed_t = notices(r, "controller1")[0]
    back = [t for t in icinga_back(r) if t > 1000][0]
    # Icinga on the undercloud sees again only when the mains are back (and it booted); the
    # controller's next check after that is the notice; the crew starts then, not at 1000 s
    assert back >= 3500
    assert back <= noticed_t <= back + 60
    assert repair_t == pytest.approx(noticed_t)
    (edge_t, waited), *_ = fault_edges(r, "controller1", "noticed")
    assert edge_t == pytest.approx(noticed_t) and waited == pytest.approx(noticed_t - 1000)
    # the controller is back one repair (600 s) after the notice
    (end_t, _), *_ = fault_edges(r, "controller1", "end")
    assert end_t >= noticed_t + 600


def test_the_same_failure_without_the_icinga_outage_is_repaired_at_the_next_check():
    sc, inv = build({"monitoring": {"check_interval_s": 60}}, [CRASH], duration_s=8000)
    r = simulate(sc, inv, 4)
    (repair_t, _), *_ = fault_edges(r, "controller1", "repair")
    assert 1000 <= repair_t <= 1060 and repair_t == pytest.approx(notices(r, "controller1")[0])


@pytest.mark.parametrize("actions", [None, {"monitoring": {"enabled": False}}])
def test_without_monitoring_the_repair_starts_at_the_failure(actions):
    undercloud_out = {"kind": "power_loss", "node": "undercloud", "at_s": 500, "for_s": 3000}
    sc, inv = build(actions, [CRASH, undercloud_out], duration_s=8000)
    r = simulate(sc, inv, 4)
    (repair_t, waited), *_ = fault_edges(r, "controller1", "repair")
    assert repair_t == pytest.approx(1000) and waited == 0
    assert fault_edges(r, "controller1", "noticed") == []


def test_a_service_crash_is_not_seen_by_the_host_checks_and_is_repaired_at_once():
    crash = {**CRASH, "kind": "service_crash", "service": "haproxy"}
    undercloud_out = {"kind": "power_loss", "node": "undercloud", "at_s": 500, "for_s": 3000}
    sc, inv = build({}, [crash, undercloud_out], duration_s=8000)
    r = simulate(sc, inv, 4)
    (repair_t, _), *_ = fault_edges(r, "controller1", "repair")
    assert repair_t == pytest.approx(1000)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(node=st.sampled_from(["controller0", "controller2", "compute1", "swift0"]),
       kind=st.sampled_from(["node_crash", "power_loss", "disk_failure"]),
       ttf=st.floats(100, 6000), ttr=st.floats(60, 3000), interval=st.floats(30, 1800),
       outage=st.one_of(st.none(), st.tuples(st.floats(0, 8000), st.floats(60, 6000))),
       crews=st.integers(0, 2), seed=st.integers(0, 2**16))
@pytest.mark.slow  # > 0.8 s: left out of `make test-fast`
def test_a_repair_never_starts_before_the_notice_nor_the_notice_before_the_failure(
        node, kind, ttf, ttr, interval, outage, crews, seed):
    faults = [{"kind": kind, "node": node, "at_s": 0, "ttf": {"dist": "exponential", "mean": ttf},
               "ttr": {"dist": "fixed", "value": ttr}}]
    if outage:
        faults.append({"kind": "power_loss", "node": "undercloud", "at_s": outage[0], "for_s": outage[1]})
    sc, inv = build({"monitoring": {"check_interval_s": interval}}, faults, duration_s=20000)
    sc = sc.model_copy(update={"operations": sc.operations.model_copy(update={"repair_crews": crews})})
    r = simulate(sc, inv, seed)
    starts = [t for t, _ in fault_edges(r, node, "start")]
    noticed = fault_edges(r, node, "noticed")
    repairs = [t for t, _ in fault_edges(r, node, "repair")]
    seen = notices(r, node)
    assert len(repairs) <= len(noticed) <= len(starts)
    for k, (t_noticed, waited) in enumerate(noticed):
        failed = starts[k]
        assert t_noticed == pytest.approx(failed + waited) and waited >= 0
        # the gate opened on a check's notice (or on the node coming back unseen)
        assert any(t == pytest.approx(t_noticed) for t in seen) or waited == 0 or \
            not any(failed <= t <= t_noticed + 1e-6 for t in seen)
        if k < len(repairs):
            assert repairs[k] >= t_noticed - 1e-9 >= failed - 1e-9
