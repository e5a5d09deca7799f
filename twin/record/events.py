"""The typed events of a run, and the one table they all become.

Rules: an event is a small immutable record, a `typing.NamedTuple` (a deployment records an
event for every other simpy event: a named tuple is built in a third of a frozen dataclass's
time, and its class in a tenth of one's, which every run pays at start); the recorder stamps
it with time and sequence. Tell events apart by their class, never by comparing them (as
tuples, two events of different classes with equal fields are equal).
Every event maps onto the same columns (COLUMNS), so the log is one DataFrame / Parquet table:
    seq, time_s, kind, subject, name, detail, cause, value
`kind` says which event class; `subject` is a node, phase or "run"; `name` is the state, stage,
command or edge; `detail` and `cause` are text ("" when empty); `value` is a number (NaN if none).
No event field ever holds a secret.
"""
from __future__ import annotations

from typing import NamedTuple

COLUMNS = ("seq", "time_s", "kind", "subject", "name", "detail", "cause", "value")
NAN = float("nan")


class RunMark(NamedTuple):
    """Run-level marks: `start`, `attempt` (helion policy restart), `end` (detail: outcome)."""

    name: str
    detail: str = ""
    cause: str = ""

    def row(self):
        return ("run", "run", self.name, self.detail, self.cause, NAN)


class PhaseEdge(NamedTuple):
    """A TripleO phase starts or ends (`detail`: success|failed on end)."""

    phase: str
    edge: str  # "start" | "end"
    outcome: str = ""
    cause: str = ""

    def row(self):
        return ("phase", self.phase, self.edge, self.outcome, self.cause, NAN)


class NodePlanned(NamedTuple):
    """A node of the inventory is part of this run (`detail`: its role)."""

    node: str
    role: str

    def row(self):
        return ("node", self.node, "planned", self.role, "", NAN)


class NodeEnrolled(NamedTuple):
    """A node is registered with an Ironic (`detail`: role; `cause`: which Ironic, seed|undercloud)."""

    node: str
    role: str
    ironic: str

    def row(self):
        return ("node", self.node, "enrolled", self.role, self.ironic, NAN)


class StateChanged(NamedTuple):
    """An Ironic provision state change (`detail`: the previous state)."""

    node: str
    state: str
    previous: str
    cause: str = ""

    def row(self):
        return ("state", self.node, self.state, self.previous, self.cause, NAN)


class NodeFailed(NamedTuple):
    node: str
    cause: str

    def row(self):
        return ("failure", self.node, "failed", "", self.cause, NAN)


class BmcCall(NamedTuple):
    """One BMC command as the conductor saw it (`detail`: ok or the error reason; value: seconds)."""

    node: str
    command: str
    result: str
    latency_s: float

    def row(self):
        return ("bmc", self.node, self.command, self.result, "", self.latency_s)


class PowerChanged(NamedTuple):
    """The machine's own power state changed (what the hardware did, not what was asked)."""

    node: str
    power: str

    def row(self):
        return ("power", self.node, self.power, "", "", NAN)


class BootStage(NamedTuple):
    """A step of the machine's boot: post, dhcp, dhcp_timeout, ramdisk_loaded, deploy_callback,
    image_written, os_booted, local_boot_callback, no_boot_device..."""

    node: str
    stage: str
    detail: str = ""
    value: float = NAN

    def row(self):
        return ("boot", self.node, self.stage, self.detail, "", self.value)


class HostChanged(NamedTuple):
    """A compute host as the Nova model sees it: failed, recovered, disabled, enabled, drained,
    maintenance-start, maintenance-end (`detail`: a note; `value`: a count, e.g. VMs left)."""

    host: str
    change: str
    detail: str = ""
    cause: str = ""
    value: float = NAN

    def row(self):
        return ("host", self.host, self.change, self.detail, self.cause, self.value)


# --- operations: faults, liveness, the HA control plane, what users experience -------------

class FaultEdge(NamedTuple):
    """A fault on `target` (a node, a group, a partition's sides): `start`; `repair` (a crew
    begins; value: its wait) and `repaired` (value: the repair time) for stochastic faults;
    `noticed` (monitoring saw it, the repair may be asked for; value: the wait);
    `operator_retry` (a repair step's BMC did not answer; detail: why); `end` (the end steps are
    done: mains back, node powered on...). `detail`: the kind; `cause`: the fault's label."""

    target: str
    edge: str
    kind: str
    label: str
    value: float = NAN

    def row(self):
        return ("fault", self.target, self.edge, self.kind, self.label, self.value)


class NodeLiveness(NamedTuple):
    """A node's OS came up or went down, as the world reports it (`cause`: why)."""

    node: str
    state: str  # "up" | "down"
    cause: str = ""

    def row(self):
        return ("liveness", self.node, self.state, "", self.cause, NAN)


class ComponentState(NamedTuple):
    """A control-plane component's state change: subject `component/member` (e.g.
    `galera/controller1`, `vrrp/controller0`, `singleton/cinder_volume`), `detail`: previous state."""

    component: str
    member: str
    state: str
    previous: str
    cause: str = ""

    def row(self):
        return ("ha", f"{self.component}/{self.member}", self.state, self.previous, self.cause, NAN)


class VipMoved(NamedTuple):
    """The VIP's traffic goes to `holder` now ("" = nobody answers); `detail`: the previous holder."""

    holder: str
    previous: str
    cause: str = ""

    def row(self):
        return ("vip", "vip", self.holder, self.previous, self.cause, NAN)


class ServiceLevel(NamedTuple):
    """A service's level changed: the share of requests that would succeed now (`value`, 0..1);
    `name`: up | degraded | down; `detail`: why requests fail; `cause`: what made it so."""

    service: str
    level: float
    reason: str = ""
    cause: str = ""

    def row(self):
        state = "up" if self.level >= 1.0 else ("down" if self.level <= 0.0 else "degraded")
        return ("service", self.service, state, self.reason, self.cause, self.level)


class Request(NamedTuple):
    """One synthetic API request through the VIP (`detail`: the backend or ""; `cause`: the error;
    `value`: latency in seconds, stamped at the time the request was sent)."""

    service: str
    ok: bool
    backend: str
    error: str
    latency_s: float

    def row(self):
        return ("request", self.service, "ok" if self.ok else "error", self.backend, self.error, self.latency_s)


# --- block storage: StoreVirtual VSA (twin/cloud/vsa) ----------------------------------------

class VsaManager(NamedTuple):
    """A vote of a VSA management group started or stopped: subject `group/member` (a node,
    `fom` or `virtual`), name running|stopped, `detail`: where it runs (its host)."""

    group: str
    member: str
    state: str
    host: str = ""
    cause: str = ""

    def row(self):
        return ("vsa_manager", f"{self.group}/{self.member}", self.state, self.host, self.cause, NAN)


class VsaQuorum(NamedTuple):
    """A management group's quorum: name held|lost, `detail`: "running/votes" of the largest
    side, `value`: its running votes."""

    group: str
    state: str
    running: int
    votes: int
    cause: str = ""

    def row(self):
        return ("vsa_quorum", self.group, self.state, f"{self.running}/{self.votes}", self.cause, float(self.running))


class VsaVolumes(NamedTuple):
    """The volumes of one Network RAID level of a cluster (they share their layout, so their
    state): subject `cluster/nr-<level>`, name online|degraded|offline|lost, `detail`: the
    previous state ("" at the start), `value`: how many volumes (a create or delete changes it)."""

    cluster: str
    level: str
    state: str
    previous: str
    count: int
    cause: str = ""

    def row(self):
        return ("vsa_volumes", f"{self.cluster}/nr-{self.level}", self.state, self.previous, self.cause,
                float(self.count))


class VsaNodeData(NamedTuple):
    """A node's data in its cluster: subject `cluster/node`, name current|away|stale|resyncing|
    destroyed, `detail`: the previous state."""

    cluster: str
    node: str
    state: str
    previous: str
    cause: str = ""

    def row(self):
        return ("vsa_node", f"{self.cluster}/{self.node}", self.state, self.previous, self.cause, NAN)


class VsaResync(NamedTuple):
    """A node's resync: subject `cluster/node`, name start|end|interrupted, `detail`: rejoin
    (data written while it was away) or rebuild (its whole share, after a new disk), `value`:
    bytes to move (start), bytes moved by this attempt (end, interrupted)."""

    cluster: str
    node: str
    edge: str
    reason: str
    nbytes: float
    cause: str = ""

    def row(self):
        return ("vsa_resync", f"{self.cluster}/{self.node}", self.edge, self.reason, self.cause, float(self.nbytes))


class VsaCinder(NamedTuple):
    """A Cinder volume request on a VSA backend: subject the cluster, name created|deleted|
    refused, `detail`: the Network RAID level and provisioning, `cause`: Cinder's reason for a
    refusal, `value`: the size in GiB."""

    cluster: str
    outcome: str
    volume_type: str
    size_gib: float
    reason: str = ""

    def row(self):
        return ("vsa_cinder", self.cluster, self.outcome, self.volume_type, self.reason, float(self.size_gib))


# --- day-2 operations: operator actions and monitoring (twin/cloud/day2) -------------------

class ActionStep(NamedTuple):
    """A step of an operator action (twin/cloud/day2): subject the action's label, `name` the
    step, `detail` start | end | failed | skipped, `cause` why (or what), `value` a number (the
    step's duration on end; a recovery point on a restore's `recovery_point` step)."""

    action: str
    step: str
    edge: str
    cause: str = ""
    value: float = NAN

    def row(self):
        return ("action", self.action, self.step, self.edge, self.cause, self.value)


class MonitorEvent(NamedTuple):
    """Monitoring (check_mk pushing to Icinga): subject a node (or "icinga"); `name` failed |
    noticed | unnoticed (a failure over before any check saw it) | blind | seeing (Icinga lost or
    back); `value`: the detection delay on `noticed`."""

    node: str
    what: str
    cause: str = ""
    value: float = NAN

    def row(self):
        return ("monitor", self.node, self.what, "", self.cause, self.value)


# --- object storage durability: swift disks failing over years (twin/runs/durability.py) ----

class DiskFailed(NamedTuple):
    """A disk of the ring fails: subject the device (`ring/ip/device`), `detail` its device id,
    `value` the hours it stays out (replacement delay plus rebuild)."""

    device: str
    device_id: int
    outage_h: float

    def row(self):
        return ("disk", self.device, "failed", str(self.device_id), "", float(self.outage_h))


class DiskRestored(NamedTuple):
    """A failed disk is back in service (replaced and rebuilt): subject the device, `detail` its id."""

    device: str
    device_id: int

    def row(self):
        return ("disk", self.device, "restored", str(self.device_id), "", NAN)


class PartitionsLost(NamedTuple):
    """Partitions of the ring lost for good (every replica on a disk that is out) when a disk
    failed: subject the ring, `detail` the disk whose failure lost them, `value` how many."""

    ring: str
    device: str
    count: int

    def row(self):
        return ("partitions_lost", self.ring, "lost", self.device, "", float(self.count))

# --- object storage: Swift in operations runs (twin/cloud/swift/model.py) -------------------

class SwiftDevice(NamedTuple):
    """A ring device's state: subject `ring/ip/device`, name serving | away (its server is down
    or unreachable) | failed (its disk died: its data is gone) | removed (out of the ring);
    `detail`: the previous state ("" at the start)."""

    ring: str
    device: str
    state: str
    previous: str
    cause: str = ""

    def row(self):
        return ("swift_device", f"{self.ring}/{self.device}", self.state, self.previous, self.cause, NAN)


class SwiftLevel(NamedTuple):
    """The share of a ring's partitions (= of its objects) the proxy can read or write now:
    subject the ring, name read | write, `detail`: the ring's partition count (its weight when
    rings are combined), `value` the share (0..1)."""

    ring: str
    path: str
    share: float
    parts: int
    cause: str = ""

    def row(self):
        return ("swift_level", self.ring, self.path, str(self.parts), self.cause, float(self.share))


class SwiftPartitions(NamedTuple):
    """A count of a ring's partitions changed: subject the ring, name under_replicated (fewer
    of its primaries hold the data and answer than it has replicas) | lost (no replica left
    anywhere), `value` how many."""

    ring: str
    what: str
    count: int
    cause: str = ""

    def row(self):
        return ("swift_parts", self.ring, self.what, "", self.cause, float(self.count))


class SwiftReplication(NamedTuple):
    """A server's replicator pass that pushes missing replicas over the management network:
    subject `ring/node`, name start | end | interrupted, `detail`: how many partition replicas,
    `value`: bytes to push (start) or pushed (end, interrupted)."""

    ring: str
    node: str
    edge: str
    replicas: int
    nbytes: float
    cause: str = ""

    def row(self):
        return ("swift_replication", f"{self.ring}/{self.node}", self.edge, str(self.replicas), self.cause,
                float(self.nbytes))


class SwiftRing(NamedTuple):
    """The operator changed a ring: subject the ring, name rebalance (devices removed, swift's
    rebalance) | weight (a day-2 weight step: devices added or reweighed, then swift's rebalance;
    `detail` gives each device's new weight) | removal_skipped (too few devices would be left),
    `detail`: the devices,
    `value`: partition replicas that moved."""

    ring: str
    action: str
    devices: str
    moved: int
    cause: str = ""

    def row(self):
        return ("swift_ring", self.ring, self.action, self.devices, self.cause, float(self.moved))


class SwiftFill(NamedTuple):
    """Bytes of current replicas a device holds (at the start and when it changes): subject
    `ring/ip/device`, `value` the bytes."""

    ring: str
    device: str
    nbytes: float
    cause: str = ""

    def row(self):
        return ("swift_fill", f"{self.ring}/{self.device}", "fill", "", self.cause, float(self.nbytes))
