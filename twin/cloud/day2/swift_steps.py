"""The Swift steps of add_nodes and remove_nodes (twin/cloud/day2/procedures.py), on the Swift
model of the run (twin/cloud/swift/model.py) through twin/cloud/swift/membership.py.

Rules (docs/operations.md, "Swift nodes"):
- add_nodes (`swift_weight_steps`): after the new nodes are deployed, their disks enter the
  ring(s) of their role at `weight_steps[0]` of their full weight, then each later step raises
  the weight `min_part_hours` (simulated) after the previous one; every step is one swift
  rebalance per ring and node, recorded as a `swift_weight_step NODE` row (value: swift's count
  of reassigned partition replicas; cause: ring, weight, moved replicas and their GiB).
- remove_nodes (`swift_drain`): refused with the reason when a ring would keep fewer devices
  than replicas; else the weights step down (`weight_steps`, default 75/50/25/0 %), one step per
  `min_part_hours`; when the 0 % rebalance leaves replicas on the node (swift moves at most one
  replica of a partition per min_part_hours), 0 % is repeated every `min_part_hours` (at most
  `MAX_DRAIN_ROUNDS` more) until the ring assigns the node none; then the operator waits until
  the replicator has pushed the moved replicas off it (the old holder serves them until then; at
  most one more `min_part_hours`). `swift_remove_devices` then
  removes the devices from the ring (a last rebalance: what the node still held moves).
- A step that does not apply (no Swift model, a node of another role) takes no time.
"""
from __future__ import annotations

from twin.cloud.day2.runner import POLL_S, StepFailed
from twin.errors import InputError
from twin.inventory.model import Role
from twin.record.events import ActionStep

SWIFT_ROLES = (Role.SWIFT, Role.SO_SWIFT_STORAGE)
MAX_DRAIN_ROUNDS = 3  # extra 0 % rounds (each min_part_hours apart) for replicas swift could not move yet
GIB = 1024 ** 3


def _swift_nodes(day2, nodes) -> list[str]:
    return [n for n in nodes if day2.nodes[n].role in SWIFT_ROLES] if day2.swift is not None else []


def _step(day2, name: str, row: str, node: str, fraction: float, add: bool) -> int:
    """One weight step of `node`: swift's add_dev/set_dev_weight and rebalance per ring; rows recorded."""
    from twin.cloud.swift.membership import set_share

    model = day2.swift
    model.cause = f"{name}: {node}'s weight to {fraction:.0%}"
    try:
        moved = set_share(model, node, day2.nodes[node].role, fraction, day2.sc.failure_domains, add=add)
    except InputError as e:
        raise StepFailed(f"swift refused the ring change: {e}") from None
    total = 0
    for ring, (replicas, reassigned, nbytes) in moved.items():
        day2.world.record(ActionStep(name, f"{row} {node}", "end",
                                     f"{ring} {fraction:.0%}: {replicas} partition replicas moved, "
                                     f"{nbytes / GIB:.2f} GiB", float(reassigned)))
        total += reassigned
    return total


def _wait_s(day2) -> float:
    from twin.cloud.swift.membership import min_part_hours

    return min_part_hours(day2.swift) * 3600.0


def weights(day2, name, action):
    """add_nodes: the new Swift nodes' disks enter their rings in weight steps."""
    nodes = _swift_nodes(day2, action.nodes)
    for k, fraction in enumerate(action.swift_steps if nodes else []):
        if k:
            yield day2.world.timeout(_wait_s(day2))
        for node in nodes:
            _step(day2, name, "swift_weight_step", node, fraction, add=True)


def drain(day2, name, action, node):
    """remove_nodes: the node's weights stepped down to 0 and its data moved off."""
    from twin.cloud.swift.membership import assigned, device_ids, drain_refusal, holding

    if not _swift_nodes(day2, [node]) or not any(device_ids(r, day2.swift, node) for r in day2.swift.rings.values()):
        return None  # not a Swift node, or the operator already removed its devices (a failure)
    refusal = drain_refusal(day2.swift, node)
    if refusal:
        raise StepFailed(f"refused: {refusal}")
    world, wait = day2.world, _wait_s(day2)
    for k, fraction in enumerate(action.swift_steps):
        if k:
            yield world.timeout(wait)
        _step(day2, name, "swift_drain_step", node, fraction, add=False)
    for _ in range(MAX_DRAIN_ROUNDS):
        if not assigned(day2.swift, node):
            break
        yield world.timeout(wait)
        _step(day2, name, "swift_drain_step", node, 0.0, add=False)
    deadline = world.now + wait
    while holding(day2.swift, node) and world.now < deadline:
        yield world.timeout(min(POLL_S, deadline - world.now))
    return None


def remove(day2, name, action, node):
    """remove_nodes: the drained node's devices removed from the rings (a last rebalance)."""
    from twin.cloud.swift.membership import remove as remove_devices

    if not _swift_nodes(day2, [node]):
        return None
    day2.swift.cause = f"{name}: {node}'s devices removed"
    for ring, (replicas, _, nbytes) in remove_devices(day2.swift, node).items():
        day2.world.record(ActionStep(name, f"swift_devices_removed {node}", "end",
                                     f"{ring}: {replicas} partition replicas moved, {nbytes / GIB:.2f} GiB",
                                     float(replicas)))
    return None
    yield  # a generator like every effect
