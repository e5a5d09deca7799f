"""RedfishBmcPort: the kernel's BmcPort for a node with a Redfish BMC, on a LiveEnvironment.

Rules (as real_backends/ipmi/port.py): every method returns an event at once; each call is ONE
Redfish operation, carried out by a thread of the environment's pool (`call_blocking`) through
the client, which bounds it by `RedfishOptions.timeout_s` (set by LiveHardware from the scenario's
`ipmi_call_timeout_s`, the conductor's one bound on a BMC command: the timing is shared by both
protocols, twin/workflows/power.py). Failures are BmcErrors naming node and BMC address.
"""
from __future__ import annotations

from twin.inventory.model import Node
from twin.kernel.ports import BootDevice, PowerAction

from real_backends.redfish.client import RedfishClient, RedfishOptions


class RedfishBmcPort:
    def __init__(self, env, node: Node, options: RedfishOptions | None = None, client: RedfishClient | None = None):
        self.env = env
        self.node = node
        self.options = options or RedfishOptions()
        self.client = client or RedfishClient(node.name, node.bmc, self.options)

    def power(self, action: PowerAction):
        return self.env.call_blocking(self.client.power, PowerAction(action).value)

    def power_state(self):
        return self.env.call_blocking(self.client.power_state)

    def set_boot_device(self, device: BootDevice, persistent: bool):
        return self.env.call_blocking(self.client.set_boot_device, BootDevice(device).value, bool(persistent))

    def close(self) -> None:
        self.client.close()
