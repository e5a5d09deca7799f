"""Cinder on StoreVirtual: volume types by LeftHand extra specs, capacity per cluster, and
creates refused with Cinder's reason.

Rules (sources in docs/domain.md):
- A volume type's extra specs pick the Network RAID level and provisioning as the LeftHand
  driver maps them: `hplh:data_pl` r-0 | r-5 | r-10-2 | r-10-3 | r-10-4 | r-6 (NR-0, NR-5, NR-10,
  NR-10+1, NR-10+2, NR-6) and `hplh:provisioning` thin | full; the driver's defaults are r-0 and
  thin (openstack/cinder, hpe_lefthand_iscsi.py). One backend per cluster.
- Capacity: a cluster has n x its smallest node's space (disk, at most the licence). A volume
  takes size x fill x w/(w-f) of it (placement.py), fill = 1 for full provisioning and
  `thin_fill` for thin (what is written).
- A create is refused, in order: by the caller's reason (the API or cinder-volume down:
  `api_refusal`, given by the HA wiring); when the level needs more nodes than the cluster has;
  when the management group has no quorum (its API does not answer; our words);
  when the management group already holds `max_group_volumes`; by the scheduler's capacity
  filter when the size exceeds the backend's free space (Cinder Juno's words: "No valid host
  was found. Insufficient free space for volume creation (requested / avail): R/A", GiB; the
  driver reports the cluster's raw free space); then by the cluster when a full volume's raw
  need exceeds its free raw space (our words: StoreVirtual's message is not published).
- An attach needs the API and an accessible (online or degraded) volume.
"""
from __future__ import annotations

from dataclasses import dataclass

from twin.cloud.vsa.config import GIB
from twin.cloud.vsa.placement import LEVELS
from twin.cloud.vsa.volumes import ACCESSIBLE
from twin.record.events import VsaCinder

DATA_PL = {"r-0": "0", "r-5": "5", "r-10-2": "10", "r-10-3": "10+1", "r-10-4": "10+2", "r-6": "6"}
PROVISIONING = ("thin", "full")
DEFAULT_SPECS = {"hplh:data_pl": "r-0", "hplh:provisioning": "thin"}  # the LeftHand driver's defaults


@dataclass(frozen=True)
class VolumeType:
    name: str
    level: str  # a key of placement.LEVELS
    provisioning: str  # thin | full

    @property
    def label(self) -> str:
        return f"nr-{self.level} {self.provisioning}"


def volume_type(name: str, extra_specs: dict[str, str]) -> VolumeType:
    """A volume type from its extra specs; a ValueError naming the bad key otherwise."""
    specs = {**DEFAULT_SPECS, **extra_specs}
    for key in extra_specs:
        if key.startswith("hplh:") and key not in DEFAULT_SPECS and key != "hplh:ao":
            raise ValueError(f"{name}: extra spec {key}: unknown (known: hplh:data_pl, hplh:provisioning, hplh:ao)")
    pl, prov = specs["hplh:data_pl"], specs["hplh:provisioning"]
    if pl not in DATA_PL:
        raise ValueError(f"{name}: hplh:data_pl {pl!r}: expected one of {', '.join(DATA_PL)}")
    if prov not in PROVISIONING:
        raise ValueError(f"{name}: hplh:provisioning {prov!r}: expected thin or full")
    return VolumeType(name, DATA_PL[pl], prov)


@dataclass(frozen=True)
class Volume:
    id: int
    cluster: str
    type: VolumeType
    size_gib: float
    write_mib_s: float


class CinderVsa:
    def __init__(self, model):
        self.model = model
        self.volumes: dict[int, Volume] = {}
        self._next = 0

    # --- capacity ------------------------------------------------------------------------
    def total_bytes(self, cluster: str) -> float:
        c = self.model.clusters[cluster]
        return c.n * min(c.plan.node_bytes) if c.n else 0.0

    def used_bytes(self, cluster: str) -> float:
        return sum(vc.raw_bytes for vc in self.model.clusters[cluster].classes.values())

    def free_bytes(self, cluster: str) -> float:
        return max(0.0, self.total_bytes(cluster) - self.used_bytes(cluster))

    def _group_volumes(self, cluster: str) -> int:
        group = self.model.clusters[cluster].group
        return sum(vc.count for c in self.model.clusters.values() if c.group is group for vc in c.classes.values())

    # --- requests ------------------------------------------------------------------------
    def refusal(self, cluster: str, vtype: VolumeType, size_gib: float, api_refusal: str = "") -> str:
        """Why a create would be refused now ("" if it would succeed)."""
        if api_refusal:
            return api_refusal
        c, p = self.model.clusters[cluster], self.model.p
        level = LEVELS[vtype.level]
        if c.n < level.min_nodes:
            return f"Network RAID-{vtype.level} needs at least {level.min_nodes} nodes; cluster {cluster} has {c.n}"
        if not c.group.quorum:
            return f"the LeftHand backend does not answer: management group {c.group.name} has no quorum"
        if self._group_volumes(cluster) >= p.max_group_volumes:
            return f"management group {c.group.name} already holds {p.max_group_volumes} volumes"
        free_gib = self.free_bytes(cluster) / GIB
        if size_gib > free_gib:
            return (f"No valid host was found. Insufficient free space for volume creation "
                    f"(requested / avail): {size_gib:g}/{free_gib:.1f}")
        fill = 1.0 if vtype.provisioning == "full" else p.thin_fill
        need = size_gib * GIB * fill * level.capacity_factor(c.n)
        if need > self.free_bytes(cluster):
            return (f"cluster {cluster}: not enough space for {size_gib:g} GiB at Network RAID-{vtype.level} "
                    f"({need / GIB:.1f} GiB raw needed, {self.free_bytes(cluster) / GIB:.1f} free)")
        return ""

    def create(self, cluster: str, vtype: VolumeType, size_gib: float, write_mib_s: float | None = None,
               api_refusal: str = "") -> tuple[int | None, str]:
        """(volume id, "") or (None, Cinder's reason)."""
        reason = self.refusal(cluster, vtype, size_gib, api_refusal)
        if reason:
            self.model.record(VsaCinder(cluster, "refused", vtype.label, size_gib, reason))
            return None, reason
        rate = self.model.p.write_rate_mib_s if write_mib_s is None else write_mib_s
        self._next += 1
        volume = self.volumes[self._next] = Volume(self._next, cluster, vtype, size_gib, rate)
        self.model.record(VsaCinder(cluster, "created", vtype.label, size_gib))
        self.model.clusters[cluster].add_volumes(vtype.level, 1, size_gib * GIB, vtype.provisioning, rate)
        return volume.id, ""

    def delete(self, volume_id: int) -> None:
        volume = self.volumes.pop(volume_id)
        self.model.record(VsaCinder(volume.cluster, "deleted", volume.type.label, volume.size_gib))
        self.model.clusters[volume.cluster].add_volumes(volume.type.level, -1, volume.size_gib * GIB,
                                                        volume.type.provisioning, volume.write_mib_s)

    def attach_refusal(self, volume_id: int, api_refusal: str = "") -> str:
        if api_refusal:
            return api_refusal
        volume = self.volumes[volume_id]
        state = self.model.clusters[volume.cluster].classes[volume.type.level].state
        return "" if state in ACCESSIBLE else f"volume {volume_id} is {state}"
