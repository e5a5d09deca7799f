"""Day-2 changes of Swift's object rings: a new storage node's disks enter the ring(s) of its role
in weight steps, and a node leaving is drained (weights stepped down) before its devices are
removed (docs/operations.md, docs/storage.md "The proxy and replicator model").

Rules:
- A node an add_nodes action will deploy is a *spare*: the rings are built without it
  (twin/runs/operations.py), but it is one of the model's servers from the start (down until
  deployed), so its devices can join later.
- The rings a node's role holds are those of twin/cloud/swift/build.py's RING_LAYOUT that the
  model runs (the object rings; account and container rings are not modelled).
- `set_share(model, node, role, fraction, domains)`: every disk of the `swift: disks` spec gets
  weight fraction x its full weight (`ring_weight`): added with swift's `add_dev` the first time,
  `set_dev_weight` after (a drain, `add=False`, only reweighs devices the ring still has: an
  operator's earlier removal leaves nothing to drain); then one swift rebalance per ring (model.change_ring: the moved slots
  are empty until the replicator fills them). A new device's zone is that of the ring's devices
  on a node sharing its failure domain, else one past the highest zone (its own zone).
- `remove(model, node)`: the node's devices removed with `remove_dev` and a rebalance.
- `assigned(model, node)`: partition replicas the ring tables give the node's devices;
  `holding(model, node)`: those plus the moved replicas they still hold as old holders (the
  replicator pushes them to the new primaries, then they are gone).
- `drain_refusal(model, node)`: why the node cannot leave ("" when it can): fewer devices than
  replicas would be left in a ring.
Returns are per ring: {ring name: (moved replicas by the table, swift's reassigned count, the
moved replicas' bytes)}.
"""
from __future__ import annotations

from twin.cloud.swift import verbs
from twin.cloud.swift.build import RING_LAYOUT


def rings_of(model, role) -> list:
    """The model's rings that nodes of inventory `role` hold."""
    return [model.rings[name] for name, (r, _) in RING_LAYOUT.items() if r == role and name in model.rings]


def device_ids(ring, model, node: str) -> list[int]:
    k = model.node_index.get(node)
    return [i for i in ring.live_ids() if k is not None and ring.dev_node[i] == k]


def _zone(ring, model, node: str, domains: dict[str, list[str]]) -> int:
    zones = {d["ip"]: d["zone"] for d in ring.builder._iter_devs()}
    for domain in sorted(domains or {}):
        members = domains[domain]
        if node in members:
            for other in sorted(members):
                if other in zones:
                    return zones[other]
    return max(zones.values(), default=0) + 1


def set_share(model, node: str, role, fraction: float, domains=None, add: bool = True
              ) -> dict[str, tuple[int, int, float]]:
    """Give `node`'s disks `fraction` of their full weight in its role's rings, and rebalance;
    with `add` false, only rings already holding its devices change (a drain)."""
    out = {}
    for ring in rings_of(model, role):
        ids = device_ids(ring, model, node)
        if not ids and not add:
            continue
        where = f"swift ({ring.name} ring)"
        weights = [fraction * disk.ring_weight for disk in model.p.disks]

        def change(builder, ids=ids, ring=ring, weights=weights, where=where):
            if ids:
                by_device = {builder.devs[i]["device"]: i for i in ids}
                for disk, weight in zip(model.p.disks, weights):
                    builder.set_dev_weight(by_device[disk.device], weight)
                return
            zone = _zone(ring, model, node, domains)
            for disk, weight in zip(model.p.disks, weights):
                verbs.add_disk(builder, region=model.p.region, zone=zone, ip=node, port=model.p.ports["object"],
                               device=disk.device, weight=weight, meta=f"{disk.size_gib:g} GiB", where=where)

        names = ", ".join(f"{node}/{d.device}={w:g}" for d, w in zip(model.p.disks, weights))
        out[ring.name] = model.change_ring(ring, "weight", names, change)
    return out


def remove(model, node: str) -> dict[str, tuple[int, int, float]]:
    """Remove `node`'s devices from every ring holding them, and rebalance."""
    out = {}
    for ring in model.rings.values():
        ids = device_ids(ring, model, node)
        if not ids:
            continue

        def change(builder, ids=ids):
            for i in ids:
                builder.remove_dev(i)

        out[ring.name] = model.change_ring(ring, "rebalance", ", ".join(ring.labels[i] for i in ids), change)
        ring.removed[ids] = True
        ring.version += 1
    return out


def assigned(model, node: str) -> int:
    """Partition replicas the rings assign to `node`'s devices (0 once swift moved them all)."""
    return sum(int((ring.table == i).sum()) for ring in model.rings.values() for i in device_ids(ring, model, node))


def holding(model, node: str) -> int:
    """Partition replicas `node`'s devices still hold: assigned, or moved away but not yet pushed
    to their new primary (the old holder keeps serving them until then)."""
    return assigned(model, node) + sum(int((ring.old == i).sum()) for ring in model.rings.values()
                                       for i in device_ids(ring, model, node))


def drain_refusal(model, node: str) -> str:
    for ring in model.rings.values():
        ids = device_ids(ring, model, node)
        left = len(ring.live_ids()) - len(ids)
        if ids and left < ring.builder.replicas:
            return (f"ring {ring.name} would keep {left} device(s) without {node}; "
                    f"its {ring.builder.replicas:g} replicas need at least as many")
    return ""


def min_part_hours(model) -> int:
    """The longest min_part_hours of the model's rings (the operator waits that long between steps)."""
    return max((ring.builder.min_part_hours for ring in model.rings.values()), default=0)
