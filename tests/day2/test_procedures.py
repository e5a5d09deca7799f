"""Each day-2 procedure's sequence of steps against Helion's documented steps (docs/domain.md s8),
both as the procedure tables say and as a simulated run performs them; and each step's effect."""
import pytest

from tests.day2.conftest import action_window, galera_status, steps
from twin.cloud.day2.procedures import steps_of

#: Helion 1.x's documented steps, per procedure (docs/domain.md s8):
#: [H-ha-recover] "Recovering from a controller failure": rabbitmqctl forget_cluster_node, scale
#: control to 2 with a stack update, (deploy the new node), scale back to 3; Galera transfers its
#: state to the new node (PXC SST); controller0 is the bootstrap node (singletons, Sherpa).
#: [H-add] "Adding nodes": rows appended to baremetal.csv, enrolled, `--update-overcloud`; removal:
#: nova-compute disabled, the node's Heat resource and Ironic node deleted, the row `:deleted`.
#: [H-br] "Backup and Restore": one copy per target.
#: [H-swift] a Swift node's disks enter the rings in weight steps (25/50/75/100 %), one per
#: min_part_hours; a leaving node is drained the same way before its devices are removed.
DOCUMENTED = {
    "replace_controller": ["forget_cluster_node", "scale_control_to_2", "enrol_new_node", "deploy_new_node",
                           "scale_control_to_3", "galera_sst"],
    "replace_controller0": ["forget_cluster_node", "scale_control_to_2", "enrol_new_node", "deploy_new_node",
                            "scale_control_to_3", "galera_sst", "move_singletons", "restore_sherpa"],
    "add_nodes": ["append_rows", "enrol", "update_overcloud", "configure", "schedulable", "join_storage_cluster",
                  "swift_weight_steps"],
    "remove_nodes": ["drain_storage", "swift_drain", "swift_remove_devices", "disable_nova_compute", "migrate_vms", "delete_stack_resource", "delete_ironic_node",
                     "mark_deleted"],
    "rolling_update": ["drain", "reboot", "health_check"],
    "backup": ["backup"],
    "restore": ["recovery_point", "restore"],
}


def names(do, nodes):
    return [step.name for _, step in steps_of(do, nodes)]


def test_the_tables_follow_the_documented_order():
    assert names("replace_controller", ["controller1"]) == DOCUMENTED["replace_controller"]
    assert names("replace_controller", ["controller0"]) == DOCUMENTED["replace_controller0"]
    assert names("add_nodes", ["compute3"]) == DOCUMENTED["add_nodes"]
    assert names("remove_nodes", ["compute1", "compute2"]) == DOCUMENTED["remove_nodes"] * 2
    assert names("rolling_update", ["controller0", "compute0"]) == DOCUMENTED["rolling_update"] * 2
    assert names("backup", []) == DOCUMENTED["backup"]


@pytest.fixture(scope="module")
def replaced():
    from tests.day2.conftest import build
    from twin.runs import simulate

    sc, inv = build({"schedule": [{"do": "replace_controller", "nodes": ["controller1"],
                                   "when": {"node_down": "controller1", "for_s": 1800}}]},
                    faults=[{"kind": "power_loss", "node": "controller1", "at_s": 600}], duration_s=12000)
    return simulate(sc, inv, 3)


def test_replace_controller_runs_the_documented_steps_and_rejoins_galera(replaced):
    r = replaced
    assert steps(r, "replace_controller[0]") == DOCUMENTED["replace_controller"]
    start, _, outcome = action_window(r, "replace_controller[0]")
    assert outcome == "end"
    # it starts 30 min after monitoring noticed the failure (not after the failure itself)
    mon = r.events[(r.events.kind == "monitor") & (r.events.subject == "controller1")]
    noticed = float(mon[mon.name == "noticed"].time_s.iloc[0])
    assert noticed > 600 and start == pytest.approx(noticed + 1800)
    # the new node booted during deploy_new_node, then Galera put it through a state transfer
    g = r.events[(r.events.kind == "ha") & (r.events.subject == "galera/controller1")]
    assert list(g.name)[-2:] == ["joiner", "synced"]
    assert r.operations.plane.galera.synced_primary("controller1")
    # the cluster kept its primary component throughout (two of three stayed up)
    assert all(status != "non_primary" for _, status in galera_status(r))


def test_stack_updates_take_the_figure_and_deploy_goes_through_ironic(replaced):
    a = replaced.events[(replaced.events.kind == "action") & (replaced.events.detail == "end")]
    durations = dict(zip(a.name, a.value))
    assert durations["scale_control_to_2"] == 1800.0 and durations["scale_control_to_3"] == 1800.0
    states = replaced.events[(replaced.events.kind == "state") & (replaced.events.subject == "controller1")]
    assert "active" in set(states.name) and "deploying" in set(states.name)


def test_backup_duration_is_size_over_bandwidth_and_the_undercloud_is_unavailable(day2):
    r = day2({"schedule": [{"do": "backup", "target": "undercloud", "at_s": 100},
                           {"do": "add_nodes", "nodes": ["compute2"], "at_s": 200}],
              "figures": {"backup_gbps": 2.0, "backup_overhead_s": 60, "sizes_gib": {"undercloud": 100.0}}})
    expected = 100 * 8 * 2**30 / 2e9 + 60
    start, end, _ = action_window(r, "backup[0]")
    assert end - start == pytest.approx(expected)
    # no Ironic during the backup: the enrolment waits for it; monitoring is blind meanwhile
    enrol = r.events[(r.events.kind == "action") & (r.events.name == "enrol") & (r.events.detail == "end")]
    assert float(enrol.time_s.iloc[0]) >= end
    assert r.metrics["monitoring_blind_s"] == pytest.approx(expected)
    assert steps(r, "add_nodes[1]") == DOCUMENTED["add_nodes"]
    assert r.operations.world.hardware.machines["compute2"].os_running


def test_restore_has_recovery_point_since_the_last_backup_snapshot(day2):
    r = day2({"schedule": [{"do": "backup", "target": "database", "at_s": 0, "every_s": 3600},
                           {"do": "restore", "target": "database", "at_s": 9000}]}, duration_s=12000)
    # snapshots at 0, 3600, 7200 (each completes ~343 s later): the last before 9000 is 7200
    assert r.metrics["recovery_point_max_s"] == pytest.approx(9000 - 7200)
    assert steps(r, "restore[1]") == ["restore"]
    a = r.events[(r.events.kind == "action") & (r.events.subject == "restore[1]")]
    assert list(a.name)[1:3] == ["restore", "recovery_point database"]
    # the database is unavailable while it is restored
    assert r.metrics["recovery_time_max_s"] > 0
    assert any(status == "non_primary" and 9000 <= t for t, status in galera_status(r))


def test_remove_nodes_runs_the_documented_steps_and_marks_the_rows_deleted(day2):
    r = day2({"schedule": [{"do": "remove_nodes", "nodes": ["compute0", "compute2"], "at_s": 10}]})
    assert steps(r, "remove_nodes[0]") == [f"{s} {n}" for n in ("compute0", "compute2")
                                             for s in DOCUMENTED["remove_nodes"]]
    assert r.summary["inventory_deleted"] == ["compute0", "compute2"]
    machines = r.operations.world.hardware.machines
    assert not machines["compute0"].os_running and not machines["compute2"].os_running
    # a removed node is forgotten by monitoring: its power-off is not a failure
    mon = r.events[(r.events.kind == "monitor") & r.events.subject.isin(["compute0", "compute2"])]
    assert mon.empty


def test_rolling_update_reboots_one_node_at_a_time_through_the_bmc(day2):
    r = day2({"schedule": [{"do": "rolling_update", "at_s": 100}]})
    order = ["controller0", "controller1", "controller2", "compute0", "compute1", "compute2"]
    assert steps(r, "rolling_update[0]") == [f"{s} {n}" for n in order for s in DOCUMENTED["rolling_update"]]
    live = r.events[(r.events.kind == "liveness") & r.events.subject.isin(order)]
    down = set()
    for row in live.itertuples():
        if row.name == "down":
            down.add(row.subject)
            assert len(down) == 1, down  # never two nodes down at once
        else:
            down.discard(row.subject)
    powered_on = r.events[(r.events.kind == "bmc") & (r.events.name == "power_on") & (r.events.detail == "ok")]
    assert list(powered_on.subject) == order  # each node powered back on through its BMC, in turn
    assert all(status != "non_primary" for _, status in galera_status(r))
    # the availability cost: cinder-volume (a singleton on controller0) is out while it reboots
    assert r.metrics["update_cost_s_cinder"] > r.metrics["update_cost_s_keystone"] > 0


def test_the_same_seed_gives_the_same_log(day2):
    actions = {"schedule": [{"do": "rolling_update", "at_s": 100},
                            {"do": "backup", "target": "database", "at_s": 0, "every_s": 3000}]}
    a, b = day2(actions, seed=5), day2(actions, seed=5)
    assert a.events.equals(b.events)


def test_replacing_controller0_adds_the_bootstrap_nodes_steps(day2):
    r = day2({"schedule": [{"do": "replace_controller", "nodes": ["controller0"],
                            "when": {"node_down": "controller0", "for_s": 600}}]},
             faults=[{"kind": "disk_failure", "node": "controller0", "at_s": 300}])
    assert steps(r, "replace_controller[0]") == DOCUMENTED["replace_controller0"]
    a = r.events[(r.events.kind == "action") & (r.events.detail == "end")]
    durations = dict(zip(a.name, a.value))
    assert durations["move_singletons"] == 600.0 and durations["restore_sherpa"] == 1800.0
    # Sherpa lives on controller0's disk: it is back only when the new controller0 is
    sherpa = r.events[(r.events.kind == "ha") & (r.events.subject == "singleton/sherpa")]
    booted = r.events[(r.events.kind == "liveness") & (r.events.subject == "controller0") & (r.events.name == "up")]
    assert float(sherpa[sherpa.name == "running"].time_s.iloc[-1]) == float(booted.time_s.iloc[-1])


def test_triggers_after_an_action_and_when_a_node_has_been_down(day2):
    r = day2({"schedule": [{"do": "backup", "target": "database", "at_s": 50, "label": "first"},
                           {"do": "backup", "target": "seed", "after": "first"},
                           {"do": "restore", "target": "seed", "when": {"node_down": "compute0", "for_s": 900,
                                                                        "noticed": False}},
                           {"do": "restore", "target": "database", "when": {"node_down": "compute0", "for_s": 900}}]},
             faults=[{"kind": "node_crash", "node": "compute0", "at_s": 100, "for_s": 60},
                     {"kind": "power_loss", "node": "compute0", "at_s": 3000}])
    _, first_end, _ = action_window(r, "first")
    assert action_window(r, "backup[1]")[0] == first_end
    # the first outage is shorter than 900 s: neither fires for it; the second (for good) does
    live = r.events[(r.events.kind == "liveness") & (r.events.subject == "compute0")]
    assert list(live.name)[1:3] == ["down", "up"] and 0 < live.time_s.iloc[2] - live.time_s.iloc[1] < 900
    assert action_window(r, "restore[2]")[0] == pytest.approx(3000 + 900)
    noticed = r.operations.monitor.noticed_at("compute0", 3000)
    assert noticed > 3000 and action_window(r, "restore[3]")[0] == pytest.approx(noticed + 900)
