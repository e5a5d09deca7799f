"""Day-2 changes of a StoreVirtual cluster's membership: a new node joins its cluster (the
cluster restripes onto it over the network) and a node leaves after its data is drained off.

Rules (docs/operations.md):
- A node that an add_nodes action will deploy is *withheld* before the model starts: it is not
  a member (its cluster is laid out without it) and it runs no manager (its vote is dropped).
- `join(model, node)`: the node's share of every volume class under the new layout
  (node_share(n + 1) x data) moves to it as one flow on the shared network (reason `restripe`);
  when it ends, the cluster is laid out over n + 1 nodes and the node holds a current copy. A
  joining node runs no manager (the operator may add one; not modelled).
- `drain(model, node)`: refused, with the reason, when the node runs a manager, when the
  cluster would have fewer nodes than its Network RAID level needs, when the others lack the
  raw space, or when the node is not present (nothing to read its data from). Otherwise its
  share (node_share(n) x data) moves off as one flow (reason `drain`); then the cluster is laid
  out over the other n - 1 nodes.
- Membership flows run on a ClusterResync of their own (up to `resync_gbps`, beside the
  cluster's rejoin/rebuild resyncs) and are recorded as VsaResync start/end; a failure during a
  flow does not interrupt it, and data written during a restripe is not owed by the new node
  (simplified).
- A relayout keeps which nodes hold a current copy (by name) and recomputes the raw space.
"""
from __future__ import annotations

from dataclasses import replace

from twin.cloud.vsa.resync import ClusterResync
from twin.record.events import VsaNodeData, VsaResync


def cluster_of(model, node: str):
    """The cluster `node` is (or was planned to be) a member of, or None."""
    for cluster in model.clusters.values():
        if node in cluster.nodes or node in cluster.withheld:
            return cluster
    return None


def withhold(model, node: str) -> None:
    """Before the model starts: `node` is a spare, not yet in its cluster nor a manager."""
    cluster = cluster_of(model, node)
    if cluster is None:
        return
    group = cluster.group
    if node in group.plan.managers:
        group.plan = replace(group.plan, managers=tuple(m for m in group.plan.managers if m != node))
    _space(cluster)
    cluster.withheld = (*cluster.withheld, node)
    _relayout(model, cluster, [n for n in cluster.nodes if n != node])


def join(model, node: str):
    """A World event that fires (value: bytes moved) when `node` is a current member, or None
    when it has no cluster."""
    cluster = cluster_of(model, node)
    if cluster is None:
        return None
    n = cluster.n + 1
    share = sum(vc.level.node_share(n) * vc.data_bytes for vc in cluster.classes.values())
    return _flow(model, cluster, node, "restripe", share, [*cluster.nodes, node])


def drain_refusal(model, node: str) -> str:
    """Why `node` cannot be drained now ("" when it can; also "" when it is in no cluster)."""
    cluster = cluster_of(model, node)
    if cluster is None or node not in cluster.nodes:
        return ""
    rest = [n for n in cluster.nodes if n != node]
    needs = max(vc.level.min_nodes for vc in cluster.classes.values())
    if node in cluster.group.plan.managers or node == cluster.group.plan.fom_host:
        return f"{node} runs a manager of group {cluster.group.name} (move it first)"
    if len(rest) < needs:
        return f"cluster {cluster.name} would keep {len(rest)} node(s); its Network RAID needs {needs}"
    space = _space(cluster)
    raw = sum(vc.data_bytes * vc.level.capacity_factor(len(rest)) for vc in cluster.classes.values())
    if raw > sum(space.get(n, 0.0) for n in rest):
        return f"capacity short: cluster {cluster.name} without {node} lacks the raw space for its volumes"
    if not cluster.present.get(node, False):
        return f"{node} is not present in cluster {cluster.name}: its data cannot be read off it"
    return ""


def drain(model, node: str):
    """A World event that fires (value: bytes moved) when `node` has left its cluster (check
    `drain_refusal` first), or None when it is in no cluster."""
    cluster = cluster_of(model, node)
    if cluster is None or node not in cluster.nodes:
        return None
    share = sum(vc.level.node_share(cluster.n) * vc.data_bytes for vc in cluster.classes.values())
    return _flow(model, cluster, node, "drain", share, [n for n in cluster.nodes if n != node])


# --- internals ---------------------------------------------------------------------------
def _space(cluster) -> dict[str, float]:
    """Each planned node's usable raw space (kept from the first plan: a withheld node's too)."""
    if cluster.space is None:
        cluster.space = dict(zip(cluster.plan.nodes, cluster.plan.node_bytes))
    return cluster.space


def _flow(model, cluster, node: str, reason: str, nbytes: float, after: list[str]):
    done = model.world.event()
    flows = cluster.membership
    if flows is None:
        flows = cluster.membership = ClusterResync(cluster.resync.link, cluster.resync.cap_bps, cluster.resync.nic_bps)
    model.record(VsaResync(cluster.name, node, "start", reason, nbytes, model.cause))

    def finished(moved):
        model.cause = f"{reason} of {node} done"
        model.record(VsaResync(cluster.name, node, "end", reason, moved, model.cause))
        if reason == "drain":
            model.record(VsaNodeData(cluster.name, node, "left", cluster.data_state.get(node, ""), model.cause))
        if reason == "restripe":
            cluster.withheld = tuple(n for n in cluster.withheld if n != node)
        _relayout(model, cluster, after)
        model.request_settle()
        done.succeed(moved)

    flows.start(node, nbytes, finished)
    return done


def _relayout(model, cluster, nodes: list[str]) -> None:
    cluster.integrate()
    old = cluster.index
    joined = [n for n in nodes if n not in old]
    cluster.nodes = list(nodes)
    cluster.n = len(nodes)
    cluster.index = {n: i for i, n in enumerate(nodes)}
    for vc in cluster.classes.values():
        vc.holding = {cluster.index[n] for n in nodes if (n in old and old[n] in vc.holding) or n in joined}
        vc.n = cluster.n
        vc.raw_bytes = vc.data_bytes * vc.level.capacity_factor(cluster.n) if cluster.n else 0.0
    for table in (cluster.present, cluster.owed, cluster.mark, cluster.reason, cluster.data_state):
        for n in [n for n in table if n not in cluster.index]:
            del table[n]
    cluster.destroyed &= set(nodes)
    for n in joined:
        cluster.owed[n] = 0.0
        cluster.present[n] = True
    space = _space(cluster)
    cluster.plan = replace(cluster.plan, nodes=tuple(nodes), node_bytes=tuple(space[n] for n in nodes))
    group = cluster.group
    left = {n for n in old if n not in cluster.index}
    group.nodes = [n for n in group.nodes if n not in left] + [n for n in joined if n not in group.nodes]
