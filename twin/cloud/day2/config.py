"""The `actions:` section of an operations scenario: the operator's day-2 actions on a timeline,
the monitoring that tells the operator about failures, and the figures the procedures take.

Rules:
- An action is one procedure (`do`: replace_controller, backup, restore, add_nodes,
  remove_nodes, rolling_update) with its targets and exactly one trigger: `at_s` (a time),
  `after` (when the action labelled so ends), or `when` (a condition holds, e.g. a node has been
  down `for_s`). `every_s` repeats an `at_s` action (a schedule such as "database nightly").
- Every figure is a parameter with a default; its comment gives the source (docs/domain.md s8,
  or *inferred*). Unknown keys are errors (SectionModel).
"""
from __future__ import annotations

import itertools
from typing import Literal

from pydantic import Field, model_validator

from twin.cloud.nova.flavors import M1_FLAVORS
from twin.scenario.base import SectionModel

#: Helion's weight steps for a Swift node entering the rings (docs/domain.md, "Swift" [H-swift]); a drain
#: steps down the same way.
ADD_WEIGHT_STEPS = (0.25, 0.5, 0.75, 1.0)
DRAIN_WEIGHT_STEPS = (0.75, 0.5, 0.25, 0.0)
PROCEDURES = ("replace_controller", "backup", "restore", "add_nodes", "remove_nodes", "rolling_update")
BACKUP_TARGETS = ("seed", "undercloud", "controller", "database")


class When(SectionModel):
    """A condition: `node_down` has been down for `for_s` (counted from when monitoring noticed
    it when `noticed` and monitoring is on; else from the failure)."""

    node_down: str
    for_s: float = Field(0.0, ge=0)
    noticed: bool = True


class Action(SectionModel):
    do: Literal[PROCEDURES]
    label: str | None = Field(None, description="the action's name in the log (default: do[index])")
    nodes: list[str] = Field(default_factory=list, description="the nodes acted on (replace_controller: one "
                             "controller; add/remove_nodes: inventory rows; rolling_update: default every "
                             "controller then every compute node)")
    target: Literal[BACKUP_TARGETS] | None = Field(None, description="backup/restore: what")
    spare: str | None = Field(None, description="replace_controller: the inventory row of the new server "
                              "(on the lab, a guest grown for it), kept out of the cloud until it takes the "
                              "dead controller's place; without it the dead node's own row gets new hardware "
                              "(simulation). Needed live (docs/operations.md)")
    at_s: float | None = Field(None, ge=0)
    every_s: float | None = Field(None, gt=0, description="repeat an at_s action (e.g. 86400: nightly)")
    after: str | None = Field(None, description="start when the action with this label ends")
    when: When | None = None
    force: bool = Field(False, description="remove_nodes: remove even when capacity is short (the VMs that "
                        "cannot move are lost; default: the removal is refused with the reason)")
    weight_steps: list[float] | None = Field(
        None, min_length=1, description="add_nodes / remove_nodes: a Swift node's ring weight, as fractions of "
        "its full weight, one step per min_part_hours (default: 0.25, 0.5, 0.75, 1 to add; 0.75, 0.5, 0.25, 0 "
        "to drain) [H-swift]")

    @property
    def swift_steps(self) -> list[float]:
        if self.weight_steps is not None:
            return list(self.weight_steps)
        return list(ADD_WEIGHT_STEPS if self.do == "add_nodes" else DRAIN_WEIGHT_STEPS)

    @model_validator(mode="after")
    def _one_trigger(self):
        triggers = [t for t in ("at_s", "after", "when") if getattr(self, t) is not None]
        if len(triggers) != 1:
            raise ValueError(f"an action needs exactly one of at_s, after, when (got {', '.join(triggers) or 'none'})")
        if self.every_s is not None and self.at_s is None:
            raise ValueError("every_s repeats an at_s action")
        if self.do in ("backup", "restore") and self.target is None:
            raise ValueError(f"{self.do} needs a target ({', '.join(BACKUP_TARGETS)})")
        if self.do == "replace_controller" and len(self.nodes) != 1:
            raise ValueError("replace_controller replaces one controller: nodes: [controllerN]")
        if self.force and self.do != "remove_nodes":
            raise ValueError("force applies to remove_nodes only")
        if self.spare is not None and self.do != "replace_controller":
            raise ValueError("spare: is the new server of a replace_controller")
        if self.do in ("add_nodes", "remove_nodes") and not self.nodes:
            raise ValueError(f"{self.do} needs nodes")
        if self.weight_steps is not None:
            self._check_weight_steps()
        return self

    def _check_weight_steps(self) -> None:
        steps = self.weight_steps
        if self.do not in ("add_nodes", "remove_nodes"):
            raise ValueError("weight_steps applies to add_nodes and remove_nodes only")
        if not all(0.0 <= f <= 1.0 for f in steps):
            raise ValueError("weight_steps are fractions of the full weight, between 0 and 1")
        rising = self.do == "add_nodes"
        pairs = list(itertools.pairwise(steps))
        if not all((b > a) if rising else (b < a) for a, b in pairs):
            raise ValueError(f"{self.do}'s weight_steps must {'rise' if rising else 'fall'} step by step")
        if steps[-1] != (1.0 if rising else 0.0):
            raise ValueError(f"{self.do}'s weight_steps end at {1 if rising else 0} (the node "
                             f"{'at its full weight' if rising else 'holding nothing'})")


class Monitoring(SectionModel):
    """check_mk on every node pushing to Icinga on the undercloud [H-log]."""

    enabled: bool = True
    check_interval_s: float = Field(60.0, gt=0)  # check_mk's default check interval (1 min)
    discovery_s: float = Field(3600.0, ge=0)  # *inferred*: check_mk's periodic service discovery finds a new node
    icinga_node: str = "undercloud"  # Helion runs Icinga on the undercloud [H-log]
    icinga_lost_noticed_s: float = Field(900.0, ge=0)  # *inferred*: Icinga's own host failing is seen
    #                                                     by the operator missing its UI (one on-call response)


class Compute(SectionModel):
    """The Nova state of an operations run (twin/cloud/day2/compute.py): the compute nodes as Nova
    hosts, each running `vms_per_host` VMs of `flavor` at the start."""

    enabled: bool = True
    vms_per_host: int = Field(10, ge=0)  # *inferred*: a quarter of the 40 a host may run (room to drain a host)
    max_vms_per_host: int = Field(40, ge=1)  # Helion: 40 VMs per compute node, KVM [H-faq] (docs/domain.md s1)
    flavor: Literal[tuple(f.name for f in M1_FLAVORS)] = "m1.small"  # Nova's m1.* (docs/domain.md s7)
    live_migration_s: float = Field(30.0, ge=0)  # *inferred*: one VM's memory (2 GiB) over 1 Gb/s plus setup


class Figures(SectionModel):
    """Durations of the procedures' steps (docs/domain.md s8)."""

    stack_update_s: float = Field(1800.0, gt=0)  # "stack update (30+ min)" [H-ha-recover]
    forget_cluster_node_s: float = Field(60.0, ge=0)  # *inferred*: one rabbitmqctl command from a console
    sst_wait_limit_s: float = Field(7200.0, gt=0)  # *inferred*: give up waiting for the Galera SST after this
    singletons_move_s: float = Field(600.0, ge=0)  # *inferred*: cinder-volume and consoleauth re-homed
    sherpa_restore_s: float = Field(1800.0, ge=0)  # *inferred*: Sherpa's state restored on the new controller0
    nova_disable_s: float = Field(30.0, ge=0)  # *inferred*: nova service-disable
    drain_s: float = Field(600.0, ge=0)  # *inferred*: a compute node's VMs live-migrated away
    ironic_delete_s: float = Field(5.0, ge=0)  # *inferred*: ironic node-delete
    health_check_s: float = Field(120.0, ge=0)  # *inferred*: the operator checks services after a reboot
    up_wait_limit_s: float = Field(3600.0, gt=0)  # *inferred*: a rebooted node not up after this fails the update
    backup_gbps: float = Field(1.0, gt=0)  # *inferred*: a backup's throughput to the backup server
    backup_overhead_s: float = Field(300.0, ge=0)  # *inferred*: quiesce, snapshot, verify
    sizes_gib: dict[Literal[BACKUP_TARGETS], float] = Field(
        default_factory=lambda: {"seed": 20.0, "undercloud": 60.0, "controller": 60.0, "database": 5.0},
        description="backup sizes (*inferred*: images and databases of a 30-node cloud)")


class Actions(SectionModel):
    """Day-2 operations: `schedule` (the actions), `monitoring`, `compute` (Nova), `figures`."""

    schedule: list[Action] = Field(default_factory=list)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    compute: Compute = Field(default_factory=Compute)
    figures: Figures = Field(default_factory=Figures)

    @model_validator(mode="after")
    def _labels(self):
        labels = [a.label or f"{a.do}[{i}]" for i, a in enumerate(self.schedule)]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"action labels must be unique (repeated: {', '.join(dup)})")
        missing = sorted({a.after for a in self.schedule if a.after is not None} - set(labels))
        if missing:
            raise ValueError(f"`after` names no action: {', '.join(missing)}")
        return self

    def labelled(self) -> list[tuple[str, Action]]:
        return [(a.label or f"{a.do}[{i}]", a) for i, a in enumerate(self.schedule)]

    def spares(self) -> list[str]:
        """The rows add_nodes actions deploy (not in the cloud until then), in schedule order."""
        out = []
        for a in self.schedule:
            if a.do == "add_nodes":
                out += [n for n in a.nodes if n not in out]
        return out


#: The roles each procedure acts on (inventory role values).
NODE_ROLES = {
    "replace_controller": ("OvercloudControl",),
    "add_nodes": ("OvercloudCompute", "OvercloudVSAStorage", "OvercloudVSAAOStorage", "OvercloudSwiftStorage",
                  "OvercloudSOSwiftStorage"),
    "remove_nodes": ("OvercloudCompute", "OvercloudVSAStorage", "OvercloudVSAAOStorage", "OvercloudSwiftStorage",
                     "OvercloudSOSwiftStorage"),
}


def actions_problems(actions: Actions | None, roles: dict[str, str]) -> list[tuple[tuple, str]]:
    """(location, message) for every action naming a node the cloud does not have (`roles`:
    {Helion name: inventory role value}) or one of the wrong role for its procedure."""
    if actions is None:
        return []
    problems = []
    for i, action in enumerate(actions.schedule):
        wanted = NODE_ROLES.get(action.do)
        for j, node in enumerate(action.nodes):
            loc = ("actions", "schedule", i, "nodes", j)
            if node not in roles:
                problems.append((loc, (f"no node named '{node}' (actions name nodes by their Helion names: "
                                   f"{', '.join(sorted(roles)[:8])}...)")))
            elif wanted and roles[node] not in wanted:
                problems.append((loc, f"{action.do} acts on {' or '.join(wanted)} nodes; {node} is {roles[node]}"))
        if action.when is not None and action.when.node_down not in roles and action.when.node_down != "seed":
            problems.append((("actions", "schedule", i, "when", "node_down"),
                             f"no node named '{action.when.node_down}'"))
    return problems
