"""The simulated world's hardware: one machine and BMC per inventory node, one shared
management network, one provisioning network. Implements the kernel's Hardware protocol."""
from __future__ import annotations

from twin.sim.bmc import SimBmc
from twin.sim.faults import FaultBook
from twin.sim.machine import SimMachine
from twin.sim.network import SharedLink
from twin.sim.pxe import SimProvisioning


class SimHardware:
    def __init__(self, world, nodes, timing, network, faults=()):
        self.faults = FaultBook(faults)
        self.link = SharedLink(world.env, network.management_gbps * 1e9)
        self.boot = SimProvisioning(world, self.link, timing, network, self.faults)
        self.machines: dict[str, SimMachine] = {}
        self._bmcs: dict[str, SimBmc] = {}
        for node in nodes:
            machine = SimMachine(world, node, timing, self.boot, network.nic_gbps * 1e9)
            self.machines[node.name] = machine
            self._bmcs[node.name] = SimBmc(world, node, machine, timing.ipmi_latency_s,
                                            timing.ipmi_power_latency_s, self.faults)
        self.boot.machines = self.machines

    def bmc(self, node):
        return self._bmcs[node.name]
