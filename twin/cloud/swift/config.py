"""The scenario's `swift:` section: how the twin builds Helion's Swift rings (or which builder files
of the operator it loads instead).

Rules: every figure defaults to a documented Swift or Helion value (docs/domain.md, "Swift"), its
source in the comment, *inferred* where it is our own estimate; unknown keys are errors. Used by
twin/cloud/swift/build.py; the Scenario's `swift:` section (declared by the operations run kind)
and, at the end, its `durability:` section (declared by the durability run kind).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from twin.scenario.base import SectionModel


class DiskSpec(SectionModel):
    """One data disk of every Swift storage node."""

    device: str = Field(min_length=1, pattern=r"^[^/\s]+$", description="the disk's name (e.g. sdb1)")
    size_gib: float = Field(gt=0, description="its size in GiB (1 TB = 931 GiB)")
    weight: float | None = Field(None, ge=0, description="ring weight (default: the size in GiB, swift's usual "
                                                         "convention)")

    @property
    def ring_weight(self) -> float:
        return self.size_gib if self.weight is None else self.weight


#: *inferred*: Helion's seed doc asks >= 2 TB of disk per node; two 1 TB data disks (931 GiB each).
DEFAULT_DISKS = [DiskSpec(device="sdb", size_gib=931), DiskSpec(device="sdc", size_gib=931)]

#: The rings Helion's Swift runs: account, container and object (storage policy 0) on the starter Swift
#: nodes, object-1 (storage policy 1) on the scale-out object nodes (docs/domain.md, "Swift").
RING_NAMES = ("account", "container", "object", "object-1")


class Replication(SectionModel):
    """Swift's object-replicator and the operator's handling of failures in operations runs
    (twin/cloud/swift/model.py, docs/storage.md "The proxy and replicator model")."""

    # swift's object-server.conf [object-replicator] defaults in the 2014 releases (docs/domain.md, "Swift")
    run_pause_s: float = Field(30.0, gt=0, description="seconds each server's replicator sleeps between passes; "
                                                       "swift: run_pause = 30")
    concurrency: int = Field(1, ge=1, le=64, description="parallel pushes per server pass; swift: concurrency = 1")
    # *inferred* from swift's admin guide (docs/domain.md, "Swift"): an unmounted failed drive is removed
    # from the ring so its replicas are made elsewhere; a server that only needs a reboot is waited for
    disk_remove_delay_s: float = Field(3600.0, ge=0, description="seconds from a disk failure until the operator "
                                                                 "removes its devices from the ring (*inferred*)")
    server_remove_delay_s: float = Field(14400.0, ge=0, description="seconds a down server is waited for before "
                                                                    "the operator removes its devices (*inferred*)")
    fill: float = Field(0.5, ge=0, le=1, description="fraction of every device's size in use (the bytes "
                                                     "replication moves); *inferred*, as `twin ring analyze`")


class SwiftConfig(SectionModel):
    # Helion's recommendation for Swift rings (docs/domain.md, "Swift")
    replicas: float = Field(3.0, ge=1, description="replicas per partition (may be fractional); Helion: 3")
    min_part_hours: int = Field(24, ge=0, description="hours before a partition may move again; Helion: 24")
    # *inferred* from Swift's rule of at least 100 partitions per disk at the largest planned size:
    # 2^10 x 3 replicas / 100 = 30 disks, the starter's 2 nodes grown to 15 nodes of 2 disks.
    part_power: int = Field(10, ge=0, le=32, description="2^part_power partitions (swift allows 0..32)")
    disks: list[DiskSpec] = Field(default_factory=lambda: list(DEFAULT_DISKS), min_length=1,
                                  description="the data disks of every Swift storage node")
    region: int = Field(1, ge=0, description="the swift region of every node (Helion 1.x: one region)")
    # swift's default server ports (swift's sample object/container/account-server.conf)
    ports: dict[str, int] = Field(default_factory=lambda: {"object": 6000, "container": 6001, "account": 6002},
                                  description="server port per ring kind (object rings share the object port)")
    builders: dict[str, Path] = Field(
        default_factory=dict, description="the operator's builder files to load instead of building a ring: "
        "{account|container|object|object-1: FILE}")
    seed: int = Field(0, ge=0, description="seed of the rings' first rebalance (determinism)")
    replication: Replication = Field(default_factory=Replication,
                                     description="the object-replicator and the operator's ring removals "
                                                 "(operations runs)")

    @field_validator("builders")
    @classmethod
    def _known_rings(cls, v: dict[str, Path]) -> dict[str, Path]:
        unknown = sorted(set(v) - set(RING_NAMES))
        if unknown:
            raise ValueError(f"unknown ring {', '.join(unknown)} (rings: {', '.join(RING_NAMES)})")
        return v

    @field_validator("ports")
    @classmethod
    def _ports(cls, v: dict[str, int]) -> dict[str, int]:
        missing = sorted({"object", "container", "account"} - set(v))
        extra = sorted(set(v) - {"object", "container", "account"})
        if missing or extra:
            raise ValueError("ports names exactly object, container and account")
        if not all(1 <= p <= 65535 for p in v.values()):
            raise ValueError("a port is between 1 and 65535")
        return v

    @model_validator(mode="after")
    def _distinct_disks(self) -> SwiftConfig:
        names = [d.device for d in self.disks]
        if len(set(names)) != len(names):
            raise ValueError(f"disks: two disks share a device name ({', '.join(names)})")
        return self


# ---- the `durability:` section (run: durability, twin/runs/durability.py) --------------------

#: Longest run: a replication is one run, so a sweep gives the per-year figure from many short runs.
MAX_YEARS = 1000


class DurabilityConfig(SectionModel):
    """Which ring, how long, and how its disks fail and come back (docs/storage.md). `ring` takes
    the names of the rings built from `swift:` (twin/cloud/swift/config.py, which imports no swift)."""

    ring: Literal[RING_NAMES] = Field(
        "object", description="a ring the twin builds from the `swift:` section (or loads from swift.builders)")
    builder: str | None = Field(None, min_length=1, description="an operator's .builder file instead of `ring` "
                                "(relative to the scenario file)")
    years: int = Field(1, ge=1, le=MAX_YEARS, description="years of operation one run simulates; 1 makes "
                       "`lost_any` over a sweep's replications P(losing any partition per year)")
    # the figures of twin/cloud/swift/durability.py DurabilityParams (*inferred*: Helion publishes none)
    afr: float = Field(0.02, ge=0, lt=1, description="annual failure rate of a disk (*inferred* 2%)")
    replacement_delay_h: float = Field(24.0, ge=0, description="hours from a disk's failure to its "
                                       "replacement starting to rebuild (*inferred*: next business day)")
    rebuild_gbps: float = Field(1.0, gt=0, description="rebuild bandwidth into a new disk, Gbit/s (*inferred*)")
    fill: float = Field(0.5, ge=0, le=1, description="fraction of each disk in use (its weight read as GiB), "
                        "rebuilt after a failure")
    used_gib: float | None = Field(None, ge=0, description="GiB in use on every disk, instead of `fill`")
    _resolved: object = PrivateAttr(default=None)  # set by `problems`: twin/runs/durability.py Ring

    @model_validator(mode="after")
    def _one_ring(self):
        if self.builder is not None and "ring" in self.model_fields_set:
            raise ValueError("give `ring` (built from the swift: section) or `builder` (a file), not both")
        return self
