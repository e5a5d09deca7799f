"""The simulated world's hardware: one machine and BMC per inventory node, one shared
management network, one provisioning network, and (for a lab, `timing.lab_host_capacity`) the
host CPU its guests share. Implements the kernel's Hardware protocol."""
from __future__ import annotations

from twin.inventory.model import PowerKind
from twin.sim.bmc import SimBmc
from twin.sim.faults import FaultBook
from twin.sim.hostcpu import HostCpu
from twin.sim.machine import SimMachine
from twin.sim.network import SharedLink
from twin.sim.pxe import SimProvisioning

#: The timing keys of a node's BMC latencies, by the protocol its BMC speaks (its pm_type);
#: every other power kind is driven over IPMI.
LATENCY_KEYS = {PowerKind.REDFISH: ("redfish_latency_s", "redfish_power_latency_s")}
IPMI_LATENCY_KEYS = ("ipmi_latency_s", "ipmi_power_latency_s")


class SimHardware:
    def __init__(self, world, nodes, timing, network, faults=()):
        self.faults = FaultBook(faults)
        self.link = SharedLink(world.env, network.management_gbps * 1e9)
        host_cpu = HostCpu(world.env, timing.lab_host_capacity) if timing.lab_host_capacity else None
        self.boot = SimProvisioning(world, self.link, timing, network, self.faults, host_cpu)
        self.machines: dict[str, SimMachine] = {}
        self._bmcs: dict[str, SimBmc] = {}
        for node in nodes:
            machine = SimMachine(world, node, timing, self.boot, network.nic_gbps * 1e9, host_cpu)
            self.machines[node.name] = machine
            latency, power_latency = LATENCY_KEYS.get(node.bmc.kind, IPMI_LATENCY_KEYS)
            self._bmcs[node.name] = SimBmc(world, node, machine, getattr(timing, latency),
                                            getattr(timing, power_latency), self.faults)
        self.boot.machines = self.machines

    def bmc(self, node):
        return self._bmcs[node.name]
