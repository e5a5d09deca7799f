"""The TripleO deployment workflow in the simulated world, with and without injected faults."""
import math

import pytest

from twin.faults.spec import Fault

# Helion 1.x's Ironic (Juno): node-create leaves a node in NOSTATE ("None"), ready to deploy.
HAPPY = ["None", "deploying", "wait call-back", "deploying", "active"]
HAPPY_KILO = ["enroll", "verifying", "manageable", "available", "deploying", "wait call-back", "deploying", "active"]
GIB = 1024**3


def state_sequence(events, node):
    return list(events[(events.kind == "state") & (events.subject == node)].name)


def test_a_clean_deployment_brings_every_node_to_active_through_ironics_states(deploy):
    summary, events = deploy(compute=3)
    d = summary["deployment"]
    assert d["outcome"] == "success" and d["attempts"] == 1
    assert set(d["nodes"]) == {"undercloud", "controller0", "controller1", "controller2", "swift0", "swift1",
                               "compute0", "compute1", "compute2"}
    for name, node in d["nodes"].items():
        assert node["state"] == "active" and node["cause"] is None and node["deploy_s"] > 0
        assert state_sequence(events, name) == HAPPY
    assert [p["name"] for p in d["phases"]] == ["seed", "undercloud", "overcloud-control", "overcloud-compute"]
    assert all(p["outcome"] == "success" for p in d["phases"])
    assert d["makespan_s"] == pytest.approx(d["phases"][-1]["end_s"])


def test_phases_run_in_order_and_each_role_deploys_in_its_own_phase(deploy):
    summary, events = deploy(compute=2, vsa=1)
    phases = {p["name"]: p for p in summary["deployment"]["phases"]}
    for a, b in zip(["seed", "undercloud", "overcloud-control"], ["undercloud", "overcloud-control", "overcloud-compute"]):
        assert phases[a]["end_s"] <= phases[b]["start_s"]
    deploying = events[(events.kind == "state") & (events.name == "deploying") & (events.detail == "None")]
    started = dict(zip(deploying.subject, deploying.time_s))
    for node, phase in [("undercloud", "undercloud"), ("controller1", "overcloud-control"), ("swift0", "overcloud-control"),
                        ("compute1", "overcloud-compute"), ("vsa0", "overcloud-compute")]:
        assert phases[phase]["start_s"] <= started[node] <= phases[phase]["end_s"]


def test_an_unanswering_bmc_fails_that_node_only_and_says_why(deploy):
    summary, _ = deploy(compute=2, faults=[Fault(kind="bmc_no_answer", node="compute1")])
    nodes = summary["deployment"]["nodes"]
    assert summary["deployment"]["outcome"] == "failed"
    assert nodes["compute1"]["state"] == "None"  # verification failed: Juno keeps it in NOSTATE (maintenance)
    assert "BMC 10.0.0.8: timeout" in nodes["compute1"]["cause"]
    assert [n for n, v in nodes.items() if v["state"] != "active"] == ["compute1"]


def test_wrong_credentials_fail_verification_with_a_credentials_cause(deploy):
    summary, events = deploy(compute=2, faults=[Fault(kind="bmc_wrong_credentials", node="controller2")])
    node = summary["deployment"]["nodes"]["controller2"]
    assert node["state"] == "None" and "credentials" in node["cause"]
    assert state_sequence(events, "controller2") == ["None"]  # Juno has no verifying state
    assert summary["deployment"]["nodes"]["compute1"]["state"] == "active"  # the rest carried on


def test_a_pxe_timeout_hits_the_callback_timeout_noticed_at_ironics_periodic_check(deploy):
    summary, events = deploy(compute=1, faults=[Fault(kind="pxe_timeout", node="compute0")],
                             timing={"deploy_callback_timeout_s": 600, "check_provision_state_interval_s": 60})
    node = summary["deployment"]["nodes"]["compute0"]
    assert node["state"] == "deploy failed" and "deploy ramdisk callback" in node["cause"]
    states = events[(events.kind == "state") & (events.subject == "compute0")]
    waited_from = float(states[states.name == "wait call-back"].time_s.iloc[0])
    failed_at = float(states[states.name == "deploy failed"].time_s.iloc[0])
    assert failed_at == pytest.approx(math.ceil((waited_from + 600) / 60) * 60)
    boots = events[(events.kind == "boot") & (events.subject == "compute0")]
    assert "dhcp_timeout" in set(boots.name) and "deploy_callback" not in set(boots.name)


def test_a_slow_nic_makes_that_nodes_image_write_take_as_long_as_100_mbps_allows(deploy):
    summary, events = deploy(compute=1, faults=[Fault(kind="slow_nic", node="compute0", rate_mbps=100)],
                             network={"image_gib": 2.0})
    assert summary["deployment"]["outcome"] == "success"
    written = events[(events.kind == "boot") & (events.name == "image_written") & (events.subject == "compute0")]
    resumed = events[(events.kind == "state") & (events.subject == "compute0") & (events.name == "deploying")
                     & (events.detail == "wait call-back")]
    write_s = float(written.time_s.iloc[0] - resumed.time_s.iloc[0])
    transfer_s = 2.0 * GIB * 8 / 100e6  # 171.8 s at 100 Mb/s, plus the iSCSI overhead (~20 s)
    assert transfer_s < write_s < transfer_s + 60


def test_concurrent_image_writes_share_the_management_network(deploy):
    # 8 compute nodes write 4 GiB each over a 1 Gb/s management network at about the same time:
    # together they cannot beat 8 x 4 GiB at 1 Gb/s; alone one would take 1/8 of that.
    summary, events = deploy(compute=8, network={"management_gbps": 1.0, "image_gib": 4.0})
    computes = [f"compute{i}" for i in range(8)]
    written = events[(events.kind == "boot") & (events.name == "image_written") & events.subject.isin(computes)]
    resumed = events[(events.kind == "state") & (events.name == "deploying") & (events.detail == "wait call-back")
                     & events.subject.isin(computes)]
    span = float(written.time_s.max() - resumed.time_s.min())
    alone_s = 4.0 * GIB * 8 / 1e9
    assert span >= 8 * alone_s * 0.999
    assert span < 8 * alone_s + 300  # and the network is not left idle for long


def test_a_heat_stack_timeout_fails_the_unfinished_nodes_of_that_stack(deploy):
    summary, _ = deploy(compute=2, faults=[Fault(kind="pxe_timeout", node="compute1")],
                        timing={"heat_stack_timeout_s": 900})
    nodes = summary["deployment"]["nodes"]
    assert nodes["compute1"]["state"] == "deploy failed"
    assert "Heat stack 'overcloud-compute' timed out after 900 s" in nodes["compute1"]["cause"]
    assert nodes["compute0"]["state"] == "active"


def test_a_failed_undercloud_means_no_overcloud_node_is_deployed(deploy):
    summary, _ = deploy(compute=1, faults=[Fault(kind="bmc_wrong_credentials", node="undercloud")])
    nodes = summary["deployment"]["nodes"]
    assert nodes["undercloud"]["state"] == "None"
    for name in ("controller0", "swift1", "compute0"):
        assert nodes[name]["state"] == "not enrolled"
        assert "undercloud failed" in nodes[name]["cause"]


def test_helion_policy_restarts_the_installation_and_succeeds_once_a_transient_fault_is_gone(deploy):
    summary, events = deploy(compute=1, policy="helion",
                             faults=[Fault(kind="bmc_no_answer", node="compute0", for_s=3000)])
    d = summary["deployment"]
    assert d["outcome"] == "success" and d["attempts"] == 2
    assert [p["attempt"] for p in d["phases"]].count(2) == 4  # the whole installation again
    assert d["phases"][0]["name"] == "seed" and d["phases"][3]["name"] == "seed"
    assert d["nodes"]["compute0"]["cause"] is None  # the earlier attempt's failure is history


def test_helion_policy_gives_up_after_max_attempts_on_a_persistent_fault(deploy):
    summary, events = deploy(compute=1, policy="helion", faults=[Fault(kind="bmc_wrong_credentials", node="swift1")])
    d = summary["deployment"]
    assert d["outcome"] == "failed" and d["attempts"] == 3
    assert "credentials" in d["nodes"]["swift1"]["cause"]
    run = events[events.kind == "run"]
    assert list(run.name) == ["start", "attempt", "attempt", "end"]


def test_carry_on_is_one_attempt_even_when_nodes_fail(deploy):
    summary, _ = deploy(compute=1, faults=[Fault(kind="bmc_wrong_credentials", node="compute0")])
    assert summary["deployment"]["attempts"] == 1


def test_same_seed_same_log_and_different_seeds_different_timings(deploy):
    _, a = deploy(compute=3, seed=5)
    _, b = deploy(compute=3, seed=5)
    _, c = deploy(compute=3, seed=6)
    assert a.equals(b)
    assert not a.time_s.equals(c.time_s)
    for node in ("undercloud", "controller0", "compute2"):  # timings differ, the logic does not
        assert state_sequence(a, node) == state_sequence(c, node) == HAPPY


# --- Kilo and later: the named alternative (scenario key ironic_release: kilo) ---------------------

def test_kilo_deploys_through_enroll_manageable_available(deploy):
    summary, events = deploy(compute=2, release="kilo")
    d = summary["deployment"]
    assert d["outcome"] == "success"
    for name, node in d["nodes"].items():
        assert node["state"] == "active" and node["deploy_s"] > 0
        assert state_sequence(events, name) == HAPPY_KILO


def test_kilo_returns_a_node_that_fails_verification_to_enroll(deploy):
    summary, events = deploy(compute=2, release="kilo",
                             faults=[Fault(kind="bmc_wrong_credentials", node="controller2")])
    node = summary["deployment"]["nodes"]["controller2"]
    assert node["state"] == "enroll" and "credentials" in node["cause"]
    assert state_sequence(events, "controller2") == ["enroll", "verifying", "enroll"]
    assert summary["deployment"]["nodes"]["compute1"]["state"] == "active"
