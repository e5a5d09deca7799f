"""How long adding N compute nodes to a running cloud takes: the day-2 `add_nodes` procedure
(twin/cloud/day2, docs/operations.md) alone, simulated on the scenario's timing and network.

Rules:
- The world holds the scenario's undercloud (its Ironic deploys and its DHCP answers; none when
  the inventory has none) and N new compute rows, on one shared management network
  (twin/sim/network.py): the N deploy concurrently, so their ramdisk and image transfers share
  its bandwidth. The rest of the cloud is not in the world: in the twin it takes nothing from
  that network while it runs, and nothing it does changes a deployment's time.
- The procedure is Day2's own (twin/cloud/day2/runner.py): the new rows start as spares (off,
  nothing to boot), then append_rows, enrol (NodeTask), update_overcloud (NodeTask.deploy in
  parallel, bounded by the Heat stack timeout), configure, schedulable. Its duration is the
  action's start-to-end on the event log, as an operations run with the same action records it.
- A node's hardware does not enter the deployment model (image and ramdisk sizes are the
  network's, NIC speeds too), so the new rows copy the last compute row (or the generator's
  default server) under fresh names, MACs and BMC addresses.
- Same scenario, count and seed: the same duration.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from types import SimpleNamespace

from pydantic import SecretStr

from twin.cloud.day2.config import Action, Actions, Monitoring
from twin.cloud.day2.runner import Day2
from twin.inventory.generate import DEFAULT_HARDWARE
from twin.inventory.model import Bmc, Node, PowerKind, Role
from twin.kernel.sim import make_sim_world
from twin.record.recorder import Recorder
from twin.sim.hardware import SimHardware
from twin.sim.ops import SimTargets

LABEL = "add_nodes"
NEW_NODE_NET = 250  # new rows' BMCs: 10.250.x.y (the generator's plan counts up from 10.0.0.1)


@dataclass(frozen=True)
class AddTime:
    """One simulated add: `seconds` from the action's start to its end (or to its failure)."""

    nodes: int
    seconds: float
    ok: bool
    cause: str = ""  # why it failed (the failed step's message)


def new_compute_rows(existing, count: int) -> list[Node]:
    """`count` compute rows after the existing ones: compute<k>, compute<k+1>... (Helion's names)."""
    computes = [n for n in existing if n.role is Role.COMPUTE]
    template = computes[-1] if computes else None
    hardware = template.hardware if template is not None else DEFAULT_HARDWARE
    bmc = template.bmc if template is not None else Bmc(PowerKind.IPMI, "", "admin", SecretStr("generated"))
    first = len(computes)
    rows = []
    for i in range(count):
        h = i + 1
        rows.append(Node(name=f"compute{first + i}", role=Role.COMPUTE, mac=f"52:54:fa:{h >> 16 & 255:02x}:"
                         f"{h >> 8 & 255:02x}:{h & 255:02x}",
                         bmc=replace(bmc, address=f"10.{NEW_NODE_NET}.{h >> 8 & 255}.{h & 255}", port=623),
                         hardware=hardware, role_given=True, source="add_nodes", line=h))
    return rows


def undercloud_of(existing) -> list[Node]:
    """The inventory's undercloud (as a one-element list), or none."""
    return [n for n in existing if n.role is Role.UNDERCLOUD][:1]


def simulate_add_nodes(sc, existing, count: int, seed: int) -> AddTime:
    """Add `count` compute nodes to the cloud of `existing` (inventory rows) in a simulated world
    of scenario `sc`'s timing and network, with `seed`; the action's duration (module docstring)."""
    if count < 1:
        raise ValueError(f"add_nodes needs at least one node, not {count}")
    rows = new_compute_rows(existing, count)
    nodes = undercloud_of(existing) + rows
    world = make_sim_world(seed, Recorder(), lambda w: SimHardware(w, nodes, sc.timing, sc.network))
    targets = SimTargets(world, world.hardware)
    targets.start_deployed()
    actions = Actions(schedule=[Action(do="add_nodes", label=LABEL, nodes=[n.name for n in rows], at_s=0.0)],
                      monitoring=Monitoring(enabled=False))
    day2 = Day2(world, SimpleNamespace(actions=actions, timing=sc.timing), nodes, targets, targets)
    day2.start()
    world.run(until=day2.ended[LABEL])
    return action_time(world.recorder.frame(), LABEL, count)


def action_time(events, label: str, count: int) -> AddTime:
    """The add's duration from an event log: its `action:add_nodes` start to its end or failure."""
    rows = events[(events.kind == "action") & (events.subject == label) & (events.name == "action:add_nodes")]
    start = rows[rows.detail == "start"]
    end = rows[rows.detail.isin(("end", "failed"))]
    if start.empty or end.empty:
        return AddTime(count, math.nan, False, "the action did not end")
    last = end.iloc[-1]
    return AddTime(count, float(last.time_s) - float(start.time_s.iloc[0]), last.detail == "end",
                   "" if last.detail == "end" else str(last.cause))


__all__ = ["AddTime", "action_time", "new_compute_rows", "simulate_add_nodes"]
