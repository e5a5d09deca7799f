"""LiveBmcPort: the kernel's BmcPort for a node with an IPMI BMC, on a LiveEnvironment.

Rules: every method returns an event at once (never blocks the loop); each call is ONE IPMI
command, waited for by a thread of the environment's pool (`call_blocking`) while the process's
one IPMI thread carries it out (loop.py); failures are BmcErrors naming node and BMC address (see
client.py), a silent BMC always as `client.no_answer`. The port does not bound the call: the
conductor does, once (twin/workflows/power.py, `ipmi_call_timeout_s`), as it also polls, retries
and spaces commands; a call that outlives that bound is dropped (the client gives up by itself
within `IpmiOptions.timeout_s`, which LiveHardware sets from the same timing).
"""
from __future__ import annotations

from twin.inventory.model import Node
from twin.kernel.ports import BootDevice, PowerAction

from real_backends.ipmi.client import IpmiClient, IpmiOptions


class LiveBmcPort:
    def __init__(self, env, node: Node, options: IpmiOptions | None = None, client: IpmiClient | None = None):
        self.env = env
        self.node = node
        self.options = options or IpmiOptions()
        self.client = client or IpmiClient(node.name, node.bmc, self.options)

    def power(self, action: PowerAction):
        action = PowerAction(action)
        return self.env.call_blocking(self.client.power, action.value)

    def power_state(self):
        return self.env.call_blocking(self.client.power_state)

    def set_boot_device(self, device: BootDevice, persistent: bool):
        device = BootDevice(device)
        return self.env.call_blocking(self.client.set_boot_device, device.value, bool(persistent))

    def close(self) -> None:
        self.client.close()
