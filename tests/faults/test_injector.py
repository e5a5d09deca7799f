"""Faults applied to simulated hardware: what each kind does to the nodes, scheduled and
stochastic timing, repair crews, correlated failures, and the operator's repairs."""
import numpy as np
import pandas as pd
import pytest

from twin.faults.crews import CrewPool
from twin.faults.spec import Fault
from twin.inventory import generate_from_spec
from twin.kernel.sim import make_sim_world
from twin.runs import Scenario, simulate

F = Fault


def liveness(events, node):
    rows = events[(events.kind == "liveness") & (events.subject == node) & (events.time_s > 0)]
    return list(zip(rows.time_s.round(3), rows.name))


def fault_edges(events, edge):
    rows = events[(events.kind == "fault") & (events.name == edge)]
    return rows


def test_a_crash_takes_the_os_down_and_the_operator_reboots_it_through_the_bmc(operate):
    r = operate([F(kind="node_crash", node="compute1", at_s=100, for_s=50)],
                timing={"post_s": 90, "os_boot_s": 60})
    ev = r.events
    (t_down, s1), (t_up, s2) = liveness(ev, "compute1")
    assert (t_down, s1, s2) == (100.0, "down", "up")
    bmc = ev[(ev.kind == "bmc") & (ev.subject == "compute1")]
    assert list(bmc.name)[:2] == ["power_off", "power_status"] and "power_on" in set(bmc.name)
    assert bmc.time_s.min() >= 150.0  # the reboot starts when the repair is over
    assert 150 + 90 + 60 < t_up < 150 + 90 + 60 + 40  # + the conductor's command spacing and polling


def test_power_loss_with_a_bios_that_stays_off_waits_for_the_operator(operate):
    r = operate([F(kind="power_loss", node="compute0", at_s=10, for_s=100)],
                operations={"operator_response_s": 300}, timing={"post_s": 30, "os_boot_s": 30})
    (t_down, _), (t_up, _) = liveness(r.events, "compute0")
    assert t_down == 10.0 and 10 + 100 + 300 + 60 < t_up < 10 + 100 + 300 + 60 + 30
    power = r.events[(r.events.kind == "power") & (r.events.subject == "compute0")]
    assert list(zip(power.time_s.round(1), power.name))[0] == (10.0, "off")


def test_power_loss_with_a_bios_that_restarts_comes_back_by_itself(operate):
    r = operate([F(kind="power_loss", node="compute0", at_s=10, for_s=100)],
                operations={"operator_response_s": 300, "stay_off_after_power_loss": False},
                timing={"post_s": 30, "os_boot_s": 30})
    (_, _), (t_up, _) = liveness(r.events, "compute0")
    assert t_up == pytest.approx(10 + 100 + 60)
    commands = r.events[(r.events.kind == "bmc") & (r.events.subject == "compute0")]
    assert list(commands.name) == ["power_status"]  # the operator looked, found it on, did nothing


def test_a_rack_failure_takes_every_node_of_the_group_at_the_same_instant(operate):
    r = operate([F(kind="power_loss", group="rack", at_s=42, for_s=10)],
                failure_domains={"rack": ["controller1", "swift0", "compute1"]})
    down = r.events[(r.events.kind == "liveness") & (r.events.name == "down")]
    assert dict(zip(down.subject, down.time_s)) == {"controller1": 42.0, "swift0": 42.0, "compute1": 42.0}
    starts = fault_edges(r.events, "start")
    assert list(starts.subject) == ["group rack"]
    assert "controller1,swift0,compute1" in starts.cause.iloc[0]


def test_a_hung_bmc_keeps_a_crashed_node_down_until_it_answers_again(operate):
    r = operate([F(kind="node_crash", node="compute0", at_s=10, for_s=20),
                 F(kind="bmc_hang", node="compute0", at_s=0, for_s=1000)],
                operations={"operator_response_s": 120}, timing={"post_s": 10, "os_boot_s": 10})
    (_, _), (t_up, _) = liveness(r.events, "compute0")
    assert t_up > 1000
    retries = fault_edges(r.events, "operator_retry")
    assert len(retries) >= 5 and set(retries.detail) == {"timeout"}


def test_nic_down_and_partitions_cut_reachability_but_not_liveness(operate):
    r = operate([F(kind="nic_down", node="controller2", at_s=10, for_s=10),
                 F(kind="partition", sides=[["controller0"], ["controller1", "controller2"]], at_s=30, for_s=10)],
                duration_s=15)
    lv = r.operations.plane.liveness
    assert lv.up("controller2") and not lv.reachable("controller2", "controller0")
    assert not lv.client_reachable("controller2") and lv.reachable("controller0", "controller1")
    assert liveness(r.events, "controller2") == []
    r2 = operate([F(kind="partition", sides=[["controller0"], ["controller1", "controller2"]], at_s=30, for_s=10)],
                 duration_s=35)
    lv = r2.operations.plane.liveness
    assert not lv.reachable("controller0", "controller1") and not lv.reachable("controller2", "controller0")
    assert lv.reachable("controller1", "controller2") and lv.reachable("controller0", "compute0")


def test_a_replaced_disk_is_redeployed_through_the_undercloud_once_it_is_back(operate):
    r = operate([F(kind="disk_failure", node="compute1", at_s=100, for_s=600),
                 F(kind="power_loss", node="undercloud", at_s=50, for_s=3000)],
                duration_s=20000, operations={"operator_response_s": 300})
    ev = r.events
    uc_up = [t for t, s in liveness(ev, "undercloud") if s == "up"][0]
    (_, _), (t_up, _) = liveness(ev, "compute1")
    assert uc_up > 3050 and t_up > uc_up
    states = ev[(ev.kind == "state") & (ev.subject == "compute1")]
    # Juno (the default): torn down to NOSTATE, then deployed again
    assert list(states.name) == ["active", "deleting", "None", "deploying", "wait call-back", "deploying", "active"]
    assert states.time_s.iloc[0] >= uc_up  # the rebuild started after the undercloud was back
    assert ev[(ev.kind == "boot") & (ev.subject == "compute1") & (ev.name == "image_written")].shape[0] == 1


def test_with_kilos_states_a_replaced_disk_is_torn_down_to_available():
    sc = Scenario(name="t", run="operations", inventory={"generate": {"compute": 2}}, ironic_release="kilo",
                  faults=[F(kind="disk_failure", node="compute1", at_s=100, for_s=600)],
                  operations={"duration_s": 8000, "operator_response_s": 300})
    r = simulate(sc, generate_from_spec(sc.inventory.generate.model_dump()), 1)
    states = r.events[(r.events.kind == "state") & (r.events.subject == "compute1")]
    assert list(states.name) == ["active", "deleting", "available", "deploying", "wait call-back", "deploying",
                                 "active"]


def test_while_the_undercloud_is_down_no_overcloud_node_can_pxe_boot_in_a_deployment(operate):
    # the undercloud loses power once it is deployed; the overcloud's nodes get no DHCP offer
    r = operate([F(kind="power_loss", node="undercloud", at_s=2000)], run="deploy", compute=1)
    nodes = r.summary["deployment"]["nodes"]
    assert nodes["undercloud"]["state"] == "active"
    assert all(nodes[n]["state"] == "deploy failed" for n in nodes if n != "undercloud")
    offers = r.events[(r.events.kind == "boot") & (r.events.name == "dhcp_timeout")]
    assert set(offers.detail) == {"no DHCP offer: the undercloud is down"}
    assert "callback" in nodes["controller0"]["cause"]


def test_a_graceful_shutdown_marks_the_node_graceful_until_it_boots(operate):
    r = operate([F(kind="graceful_shutdown", node="controller1", at_s=10, for_s=100)], duration_s=50)
    lv = r.operations.plane.liveness
    assert not lv.up("controller1") and lv.graceful("controller1")


# --- stochastic faults and crews ------------------------------------------------------------------

STOCH = dict(kind="node_crash", nodes=["compute0", "compute1", "swift0", "swift1"],
             ttf={"dist": "exponential", "mean": 2000.0}, ttr={"dist": "exponential", "mean": 1500.0})


def repairs(events):
    """[(node, crew start, crew done)] of every repair in a run."""
    fe = events[events.kind == "fault"]
    out, started = [], {}
    for row in fe.itertuples():
        if row.name == "repair":
            started[row.subject] = row.time_s
        elif row.name == "repaired" and row.subject in started:
            out.append((row.subject, started.pop(row.subject), row.time_s))
    return out


def test_stochastic_faults_are_deterministic_per_seed(operate):
    kw = dict(duration_s=50000, timing={"post_s": 0, "os_boot_s": 0})
    a, b = operate([F(**STOCH)], seed=3, **kw), operate([F(**STOCH)], seed=3, **kw)
    pd.testing.assert_frame_equal(a.events, b.events)
    c = operate([F(**STOCH)], seed=4, **kw)
    assert not a.events.equals(c.events)


@pytest.mark.slow  # > 0.8 s: left out of `make test-fast`
def test_one_fault_does_not_shift_another_faults_random_numbers(operate):
    kw = dict(duration_s=30000, timing={"post_s": 0, "os_boot_s": 0})
    alone = operate([F(**STOCH)], seed=5, **kw)
    other = F(kind="nic_down", node="controller1", ttf={"dist": "exponential", "mean": 700.0}, ttr=30)
    both = operate([F(**STOCH), other], seed=5, **kw)
    starts = lambda r: list(fault_edges(r.events, "start").query("detail == 'node_crash'").time_s)  # noqa: E731
    assert starts(alone) == starts(both)


def test_one_repair_crew_repairs_one_failure_at_a_time_first_come_first_served(operate):
    r = operate([F(**STOCH)], duration_s=200000, operations={"repair_crews": 1},
                timing={"post_s": 0, "os_boot_s": 0})
    jobs = repairs(r.events)
    waits = fault_edges(r.events, "repair").value
    assert len(jobs) > 20 and (waits > 0).sum() > 3  # some failures waited for the crew
    spans = sorted((start, end - 1e-9) for _, start, end in jobs)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # never two repairs at once
    failed = fault_edges(r.events, "start").time_s.to_numpy()
    crew = fault_edges(r.events, "repair").time_s.to_numpy()
    assert np.all(np.diff(crew) >= 0) and np.all(crew >= failed[:len(crew)])  # FIFO


def test_without_crews_every_failure_is_repaired_at_once_and_in_parallel(operate):
    r = operate([F(**STOCH)], duration_s=200000, timing={"post_s": 0, "os_boot_s": 0})
    assert (fault_edges(r.events, "repair").value == 0).all()
    spans = sorted((start, end) for _, start, end in repairs(r.events))
    assert any(a[1] > b[0] for a, b in zip(spans, spans[1:]))  # some repairs overlapped


def test_crew_pool_queue_semantics():
    world = make_sim_world(1)
    pool = CrewPool(world, 2)
    first, second, third = pool.acquire(), pool.acquire(), pool.acquire()
    assert first.triggered and second.triggered and not third.triggered and pool.waiting == 1
    pool.release()
    assert third.triggered and pool.busy == 2 and pool.waiting == 0
    pool.release(), pool.release()
    assert pool.busy == 0
    unlimited = CrewPool(world, 0)
    assert all(unlimited.acquire().triggered for _ in range(50))
