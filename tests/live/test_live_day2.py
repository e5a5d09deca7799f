"""Day-2 operations on a real lab, through the same Day2 code as in simulation: a compute node is
added (its guest, grown into the lab before the drill, is enrolled, PXE-deployed through its BMC
and comes up), then removed (powered off for good, its row `:deleted`), and a controller whose
guest lost power is replaced by a spare guest (the old one stays off, the spare is deployed under
the controller's name and Galera takes it back). Checked against independent truth: libvirt's view
of the guests, the procedures' tables of documented steps, and a simulated run of the same
scenario (`twin compare`).

Keep it small (CI has 2 cores): undercloud, three controllers, one compute row to add and remove,
one spare: six guests, four running at t = 0."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import unique_name

from twin.cloud.day2.procedures import steps_of
from twin.runs import Scenario

pytestmark = pytest.mark.live

DURATION_S = 150.0  # the longest chain (add, then remove) and the replace end well within it


def libvirt_power(names) -> dict[str, str]:
    import libvirt

    conn = libvirt.open("qemu:///system")
    try:
        return {n: "on" if conn.lookupByName(n).isActive() else "off" for n in names}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def day2_lab(lab_root):
    """undercloud, controller0-2 (`up 4`), then grown as an operator would: one compute row to add,
    one spare for the controller replacement."""
    from real_backends.lab import Lab

    lab = Lab(unique_name("d2"), root=lab_root)
    try:
        lab.up(4, owned=True)
        lab.grow(1, role="compute")
        lab.grow(1, role="control")
        yield lab
    finally:
        lab.down()


def scenario(spare: str) -> Scenario:
    return Scenario(
        name="live-day2", run="operations", inventory={"generate": {}},
        operations={"duration_s": DURATION_S},
        ha={"services": {"keystone": {"needs": ["db"]}}, "galera": {"state_transfer_s": 5}},
        # the procedures' waits short; the machine's figures those of a lab guest (seconds, not a
        # server's minutes of POST), so that the simulated run of the same file compares
        timing={"ipmi_min_command_interval_s": 1, "register_s": 1, "schedulable_after_s": 2,
                "overcloud_compute_configure_s": 2, "deploy_callback_timeout_s": 600,
                "local_boot_timeout_s": 600, "check_provision_state_interval_s": 5,
                "post_s": 2, "dhcp_s": 1, "ramdisk_boot_s": 3, "image_write_overhead_s": 1, "os_boot_s": 3},
        faults=[{"kind": "power_loss", "node": "controller1", "at_s": 5}],
        actions={"schedule": [
            {"do": "add_nodes", "nodes": ["compute0"], "at_s": 5, "label": "grow"},
            {"do": "remove_nodes", "nodes": ["compute0"], "after": "grow", "label": "shrink"},
            {"do": "replace_controller", "nodes": ["controller1"], "spare": spare, "label": "replace",
             "when": {"node_down": "controller1", "for_s": 5, "noticed": False}}],
            "monitoring": {"enabled": False},
            "figures": {"stack_update_s": 3, "forget_cluster_node_s": 1, "nova_disable_s": 1, "drain_s": 1,
                        "ironic_delete_s": 1, "sst_wait_limit_s": 120}})


@pytest.fixture(scope="module")
def live_run(day2_lab):
    from twin.runs.operations import live as operate_live

    nodes = day2_lab.nodes()
    spare = nodes[-1].name  # the guest grown for the replacement (an inventory name)
    result = operate_live(scenario(spare), SimpleNamespace(active=nodes), 1, "lab", day2_lab.dir, poll_s=2.0)
    return result, day2_lab, nodes


def steps_done(events, label):
    """The steps an action ran and how each ended (outcome rows such as `vms_moved` are no steps:
    a step has a start row)."""
    rows = events[(events.kind == "action") & (events.subject == label) & ~events.name.str.startswith("action:")]
    started = set(rows[rows.detail == "start"].name)
    return [(name, detail) for name, detail in zip(rows.name, rows.detail) if detail != "start" and name in started]


def expected(do, nodes):
    return [(f"{step.name} {node}".strip(), "end") for node, step in steps_of(do, nodes)]


def test_every_action_runs_its_documented_steps_live(live_run):
    result, _, _ = live_run
    ev = result.events
    assert steps_done(ev, "grow") == expected("add_nodes", ["compute0"])
    assert steps_done(ev, "shrink") == expected("remove_nodes", ["compute0"])
    assert steps_done(ev, "replace") == expected("replace_controller", ["controller1"])
    assert result.metrics["actions_done"] == 3 and result.metrics["actions_failed"] == 0


def test_the_added_node_was_really_pxe_deployed_then_removed_for_good(live_run):
    result, _, nodes = live_run
    ev = result.events
    guest = result.summary["live_nodes"]["compute0"]
    assert guest == nodes[4].name
    boot = ev[(ev.kind == "boot") & (ev.subject == "compute0")]
    assert {"deploy_callback", "local_boot_callback"} <= set(boot.name)
    states = list(ev[(ev.kind == "state") & (ev.subject == "compute0")].name)
    assert states[-1] == "active"
    live = ev[(ev.kind == "liveness") & (ev.subject == "compute0")]
    assert list(live.name) == ["up", "down"]  # up once deployed, down when removed
    # removed: :deleted in the inventory the run writes, off in libvirt, to be retired from the lab
    assert result.summary["inventory_deleted"] == ["compute0"]
    assert guest in result.summary["live_retired"]
    assert libvirt_power([guest])[guest] == "off"


def test_the_controller_is_replaced_by_the_spare_guest(live_run):
    result, _, nodes = live_run
    ev = result.events
    old, spare = nodes[2].name, nodes[-1].name  # controller1's guest, the spare grown for it
    assert result.summary["live_replaced"] == {"controller1": {"old": old, "new": spare}}
    assert result.summary["live_nodes"]["controller1"] == spare and old in result.summary["live_retired"]
    power = libvirt_power([old, spare])
    assert power == {old: "off", spare: "on"}  # the old machine off for good, the new one running
    # the spare was PXE-deployed under the controller's name, through its own BMC
    boot = ev[(ev.kind == "boot") & (ev.subject == "controller1")]
    assert {"deploy_callback", "local_boot_callback"} <= set(boot.name)
    live = ev[(ev.kind == "liveness") & (ev.subject == "controller1")]
    assert list(live.name) == ["down", "up"]
    # Galera took it back: the SST step ended once it was synced in the primary component
    sst = ev[(ev.kind == "action") & (ev.name == "galera_sst") & (ev.detail == "end")]
    assert len(sst) == 1 and sst.time_s.iloc[0] > live[live.name == "up"].time_s.iloc[0]


def test_compare_shows_the_simulated_and_the_live_steps(live_run, tmp_path):
    from twin.analysis.compare import compare, render
    from twin.analysis.runs import read_run
    from twin.runs import write_outputs
    from twin.runs.operations import simulate

    result, _, nodes = live_run
    sim = simulate(scenario(nodes[-1].name), SimpleNamespace(active=nodes), 1)
    write_outputs(sim, tmp_path / "sim")
    write_outputs(result, tmp_path / "live")
    cmp = compare(read_run(tmp_path / "sim"), read_run(tmp_path / "live"))
    assert cmp["same_steps"], cmp["day2_steps"]
    text = render(cmp)
    print("\n" + text)
    assert "day-2 steps (the same in both runs)" in text and "replace  deploy_new_node" in text
    metrics = {r["metric"] for r in cmp["metrics"]}
    assert {"actions_done", "actions_failed"} <= metrics


def test_the_retired_guests_leave_the_lab_and_its_inventory(live_run):
    """The flow's last step: `twin lab shrink` of the guests the run lists in live_retired."""
    import json

    from test_live_lab import guests

    result, lab, nodes = live_run
    retired = result.summary["live_retired"]
    assert sorted(retired) == sorted([nodes[4].name, nodes[2].name])  # compute0's guest, controller1's old one
    removed = lab.shrink(retired)
    assert sorted(removed["guests"]) == sorted(retired) and not set(retired) & set(guests())
    rows = json.loads((lab.dir / "instackenv.json").read_text())["nodes"]
    assert [r["name"] for r in rows] == [n.name for n in nodes if n.name not in retired]
    # the spare now stands where controller1 was: a control row of the lab's inventory
    spare = result.summary["live_nodes"]["controller1"]
    assert {r["name"]: r["capabilities"] for r in rows}[spare] == "profile:control"
