"""The fault vocabulary as a scenario writes it: one `Fault` model for both worlds and every run.

Rules of this file:
- One list, `faults:`, holds every fault. A fault names its kind, its target and its timing.
- Targets: `node` (one node), `nodes` (several, each failing on its own; `all` = every node of
  the inventory), `group` (a failure domain from `failure_domains:`: rack or power domain, every
  node in it fails at once: a correlated failure), or `sides` (a network partition between named
  node sets). Exactly one, as the kind allows (KIND_TARGETS).
- Timing: scheduled (`at_s`, alias of the deployment faults' `from_s`, then `for_s`; forever
  without it), or stochastic (`ttf`: time to failure, `ttr`: time to repair, Distributions; a
  new time to failure starts when the repair is done). A stochastic fault starts at `at_s`.
- Deployment faults (`bmc_no_answer`, `bmc_wrong_credentials`, `pxe_timeout`, `slow_nic`) keep
  their original meaning and keys: the hardware looks them up when it acts (twin/sim/faults.py).
- What each kind does to a world is twin/faults/effects.py; references to nodes and groups are
  checked against the inventory by twin/faults/validate.py (located FILE:LINE: field problems).
"""
from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from twin.scenario.base import SectionModel

from twin.scenario.distributions import Distribution

#: Faults the deployment hardware looks up at the moment it acts (passive lookups).
DEPLOY_KINDS = ("bmc_no_answer", "bmc_wrong_credentials", "pxe_timeout", "slow_nic")
#: Faults that happen to a node (start and end are actions on the world's targets).
NODE_KINDS = ("node_crash", "graceful_shutdown", "power_loss", "bmc_hang", "nic_down", "disk_failure",
              "service_crash")
ALL_KINDS = DEPLOY_KINDS + NODE_KINDS + ("partition",)
#: Services a `service_crash` can stop (the control plane's moving parts on a controller).
SERVICES = ("haproxy", "mysqld", "rabbitmq", "keepalived")

FaultKind = Literal[
    "bmc_no_answer", "bmc_wrong_credentials", "pxe_timeout", "slow_nic",
    "node_crash", "graceful_shutdown", "power_loss", "bmc_hang", "nic_down", "disk_failure", "service_crash",
    "partition",
]
ServiceName = Literal["haproxy", "mysqld", "rabbitmq", "keepalived"]

#: Which target keys each kind accepts.
KIND_TARGETS: dict[str, tuple[str, ...]] = {
    **{k: ("node",) for k in DEPLOY_KINDS},
    **{k: ("node", "nodes", "group") for k in NODE_KINDS},
    "partition": ("sides",),
}
#: Kinds that may be stochastic (a deployment lookup is a fixed condition of a node, except a
#: BMC that stops answering, which is a `bmc_hang` by another name).
STOCHASTIC_KINDS = frozenset(NODE_KINDS + ("partition", "bmc_no_answer"))


def _all_is_a_list(value):
    return [ALL] if value == ALL else value


ALL = "all"  # `nodes: all`: every node of the inventory




class Fault(SectionModel):
    """A fault: scheduled from `at_s` (`from_s`) for `for_s` seconds (forever when absent), or
    stochastic with `ttf`/`ttr` distributions (every figure in seconds)."""

    kind: FaultKind
    node: str | None = None
    nodes: Annotated[list[str] | None, BeforeValidator(_all_is_a_list)] = Field(
        None, description="several nodes, each failing independently (`all`: every node)")
    group: str | None = Field(None, description="a failure domain (failure_domains:): its nodes fail together")
    sides: list[list[str]] | None = Field(None, description="partition only: node sets that cannot reach each other")
    service: ServiceName | None = Field(None, description="service_crash only: which service stops")
    from_s: float = Field(0.0, ge=0)
    at_s: float | None = Field(None, ge=0, description="when the fault starts (same as from_s)")
    for_s: float | None = Field(None, gt=0)
    ttf: Distribution | None = Field(None, description="stochastic: time to failure")
    ttr: Distribution | None = Field(None, description="stochastic: time to repair")
    rate_mbps: float | None = Field(None, gt=0, description="slow_nic only: the NIC's speed")

    @field_validator("sides")
    @classmethod
    def _sides(cls, sides):
        if sides is not None:
            _check_sides(sides)
        return sides

    @field_validator("ttf")
    @classmethod
    def _ttf(cls, ttf):
        if ttf is not None and not ttf.mean > 0:
            raise ValueError("the time to failure must have a positive mean (failures would never stop)")
        return ttf

    @field_validator("ttr")
    @classmethod
    def _ttr(cls, ttr):
        if ttr is not None and not math.isfinite(ttr.mean):
            raise ValueError("the time to repair must have a finite mean (a Pareto needs shape > 1)")
        return ttr

    @model_validator(mode="after")
    def _consistent(self):
        if self.at_s is not None:
            if "from_s" in self.model_fields_set and self.from_s != self.at_s:
                raise ValueError("give at_s or from_s, not both")
            self.from_s = self.at_s
        allowed = KIND_TARGETS[self.kind]
        given = [k for k in ("node", "nodes", "group", "sides") if getattr(self, k) is not None]
        wrong = [k for k in given if k not in allowed]
        if wrong:
            raise ValueError(f"{self.kind} faults take {' or '.join(allowed)}, not {', '.join(wrong)}")
        if len(given) != 1:
            raise ValueError(f"give exactly one target: {' or '.join(allowed)}")
        if isinstance(self.nodes, list) and not self.nodes:
            raise ValueError("nodes: give at least one node (or `all`)")
        if (self.kind == "service_crash") != (self.service is not None):
            raise ValueError("service_crash faults name a `service`" if self.kind == "service_crash"
                             else "`service` applies to service_crash faults only")
        if self.kind == "slow_nic" and self.rate_mbps is None:
            self.rate_mbps = 100.0  # a NIC that negotiated 100 Mb/s (TripleO demo)
        if self.kind != "slow_nic" and self.rate_mbps is not None:
            raise ValueError("rate_mbps applies to slow_nic faults only")
        self._check_timing()
        return self

    def _check_timing(self) -> None:
        if (self.ttf is None) != (self.ttr is None):
            raise ValueError("a stochastic fault gives both ttf (time to failure) and ttr (time to repair)")
        if self.ttf is None:
            return
        if self.kind not in STOCHASTIC_KINDS:
            raise ValueError(f"{self.kind} faults are scheduled only (at_s, for_s), not stochastic")
        if self.for_s is not None:
            raise ValueError("a stochastic fault's durations come from ttr; leave for_s out")

    @property
    def stochastic(self) -> bool:
        return self.ttf is not None

    def active(self, now: float) -> bool:
        """Scheduled faults: is it in force at `now` ([from_s, from_s + for_s))?"""
        return now >= self.from_s and (self.for_s is None or now < self.from_s + self.for_s)


def _check_sides(sides) -> None:
    if len(sides) < 2:
        raise ValueError("a partition has at least two sides")
    seen: set[str] = set()
    for side in sides:
        if not side:
            raise ValueError("a partition side names at least one node")
        for name in side:
            if name in seen:
                raise ValueError(f"node '{name}' is on two sides of the partition (sides must not overlap)")
            seen.add(name)


def label(fault: Fault, index: int | None = None) -> str:
    """How a fault is named in events and reports: 'power_loss controller0' (faults[2])."""
    if fault.sides is not None:
        target = " | ".join(",".join(s) for s in fault.sides)
    elif fault.group is not None:
        target = f"group {fault.group}"
    elif fault.nodes is not None:
        target = "all nodes" if fault.nodes == [ALL] else ",".join(fault.nodes)
    else:
        target = fault.node or ""
    what = f"{fault.kind}:{fault.service}" if fault.service else fault.kind
    return f"{what} {target}" + (f" (faults[{index}])" if index is not None else "")
