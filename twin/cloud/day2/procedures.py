"""The day-2 procedures as data: each is a table of steps in Helion's documented order
(docs/domain.md s8). A step names its effect (a method of twin/cloud/day2/runner.py `Day2`), the
figure its duration comes from (a field of `actions.figures`, of `timing`, or measured: "" when
the effect's own work takes the time), and its source.

Swift's weight steps are one table step (`swift_weight_steps`, `swift_drain`) whose rounds are
recorded as `swift_weight_step` / `swift_drain_step` rows (twin/cloud/day2/swift_steps.py).

Rules: the order of a table is the procedure's order; `per_node` procedures run their table once
per node, one node at a time (rolling_update, remove_nodes); `CONTROLLER0_EXTRA` follows a
replace of the bootstrap controller. Tests compare these tables with the documented steps.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    effect: str  # Day2 method: wait, stack_update, enrol, deploy, galera_sync, backup, restore, ...
    figure: str = ""  # figures.<name> or timing.<name>; "" = measured from the effect's work
    source: str = ""  # docs/domain.md source key


REPLACE_CONTROLLER = (
    Step("forget_cluster_node", "wait", "figures.forget_cluster_node_s", "H-ha-recover"),
    Step("scale_control_to_2", "stack_update", "figures.stack_update_s", "H-ha-recover"),
    Step("enrol_new_node", "enrol", "timing.register_s", "H-ha-recover"),
    Step("deploy_new_node", "deploy", "", "H-ha-recover"),
    Step("scale_control_to_3", "stack_update", "figures.stack_update_s", "H-ha-recover"),
    Step("galera_sst", "galera_sync", "ha.galera.state_transfer_s", "PXC"),
)
CONTROLLER0_EXTRA = (
    Step("move_singletons", "wait", "figures.singletons_move_s", "H-ha-recover"),
    Step("restore_sherpa", "wait", "figures.sherpa_restore_s", "H-ha-recover"),
)
BACKUP = (Step("backup", "backup", "figures.sizes_gib / figures.backup_gbps", "H-br"),)
RESTORE = (Step("restore", "restore", "figures.sizes_gib / figures.backup_gbps", "H-br"),)
ADD_NODES = (
    Step("append_rows", "wait", "", "H-add"),
    Step("enrol", "enrol", "timing.register_s", "H-add"),
    Step("update_overcloud", "deploy", "timing.heat_stack_timeout_s (bound)", "H-add"),
    Step("configure", "configure", "timing.overcloud_compute_configure_s (same stack update: same bound)", "H-add"),
    Step("schedulable", "schedulable", "timing.schedulable_after_s", "H-add"),
    Step("join_storage_cluster", "join_storage", "vsa.resync_gbps (restripe flow)", "H-vsa"),
    Step("swift_weight_steps", "swift_weights", "swift.min_part_hours between weight steps", "H-swift"),
)
REMOVE_NODE = (
    Step("drain_storage", "drain_storage", "vsa.resync_gbps (drain flow)", "H-vsa"),
    Step("swift_drain", "swift_drain", "swift.min_part_hours between weight steps; replication", "H-swift"),
    Step("swift_remove_devices", "swift_remove", "", "H-swift"),
    Step("disable_nova_compute", "nova_disable", "figures.nova_disable_s", "H-add"),
    Step("migrate_vms", "migrate_vms", "compute.live_migration_s per VM (no Nova state: figures.drain_s)", "H-add"),
    Step("delete_stack_resource", "stack_update", "figures.stack_update_s", "H-add"),
    Step("delete_ironic_node", "power_off_for_good", "figures.ironic_delete_s", "H-add"),
    Step("mark_deleted", "mark_deleted", "", "H-add"),
)
ROLLING_UPDATE_NODE = (
    Step("drain", "drain", "figures.drain_s (compute nodes)", "H-add"),
    Step("reboot", "reboot", "", "H-ha"),
    Step("health_check", "health_check", "figures.health_check_s", "H-ha"),
)

#: procedure -> (steps, per_node)
PROCEDURES: dict[str, tuple[tuple[Step, ...], bool]] = {
    "replace_controller": (REPLACE_CONTROLLER, False),
    "backup": (BACKUP, False),
    "restore": (RESTORE, False),
    "add_nodes": (ADD_NODES, False),
    "remove_nodes": (REMOVE_NODE, True),
    "rolling_update": (ROLLING_UPDATE_NODE, True),
}


def steps_of(do: str, nodes: list[str], bootstrap: str = "controller0") -> list[tuple[str, Step]]:
    """The (node, step) sequence an action runs ("" as node for a whole-action step)."""
    table, per_node = PROCEDURES[do]
    if per_node:
        return [(node, step) for node in nodes for step in table]
    steps = [("", step) for step in table]
    if do == "replace_controller" and bootstrap in nodes:
        steps += [("", step) for step in CONTROLLER0_EXTRA]
    return steps
