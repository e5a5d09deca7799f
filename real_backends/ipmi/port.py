"""LiveBmcPort: the kernel's BmcPort for a node with an IPMI BMC, on a LiveEnvironment.

Rules: every method returns an event at once (never blocks the loop); each call is ONE IPMI
command, waited for by a thread of the environment's pool while the process's one IPMI thread
carries it out (loop.py), bounded by `IpmiOptions.timeout_s`; failures are BmcErrors naming node
and BMC address (see client.py), a silent BMC always as `client.no_answer`. Polling, retries and spacing are the
conductor's (twin/workflows/power.py).
"""
from __future__ import annotations

from twin.inventory.model import Node
from twin.kernel.ports import BootDevice, PowerAction

from real_backends.bounded import bounded_call
from real_backends.ipmi.client import IpmiClient, IpmiOptions


class LiveBmcPort:
    def __init__(self, env, node: Node, options: IpmiOptions | None = None, client: IpmiClient | None = None):
        self.env = env
        self.node = node
        self.options = options or IpmiOptions()
        self.client = client or IpmiClient(node.name, node.bmc, self.options)

    def power(self, action: PowerAction):
        action = PowerAction(action)
        return bounded_call(self.env, self.node, f"power {action.value}", self.options.timeout_s,
                            self.client.power, action.value)

    def power_state(self):
        return bounded_call(self.env, self.node, "power status", self.options.timeout_s, self.client.power_state)

    def set_boot_device(self, device: BootDevice, persistent: bool):
        device = BootDevice(device)
        return bounded_call(self.env, self.node, f"bootdev {device.value}", self.options.timeout_s,
                            self.client.set_boot_device, device.value, bool(persistent))

    def close(self) -> None:
        self.client.close()
