"""LiveHardware: the kernel's Hardware for the live world: a BMC port per node (IPMI through
pyghmi, Redfish through sushy, or libvirt for `VM` power management; chosen by the node's power
kind, i.e. its pm_type) and the boot endpoint.

Rules: it needs a World on a LiveEnvironment (twin.kernel.live); it starts the boot endpoint at
construction and stops it, and closes BMC sessions, when the environment closes. A lab run binds
the boot endpoint on the port the lab's guests were defined with (`for_lab`, from lab.json).
Ports do not bound their calls: the conductor does, once, with the scenario's
`ipmi_call_timeout_s` (twin/workflows/power.py); the IPMI and Redfish clients' own give-up times
(`IpmiOptions.timeout_s`, `RedfishOptions.timeout_s`) are set from the same figure when `timing` is given (the runs pass
the scenario's), so there is one source.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from twin.errors import BmcError, TwinError
from twin.inventory.model import Node, PowerKind
from twin.kernel.live import LiveEnvironment

from real_backends.ipmi.client import IpmiOptions
from real_backends.ipmi.port import LiveBmcPort
from real_backends.libvirt.power import LibvirtBmcPort
from real_backends.pxe.endpoint import BootEndpoint
from real_backends.redfish.client import RedfishOptions
from real_backends.redfish.port import RedfishBmcPort


class _UnsupportedPort:
    """A node whose power controller the live backend cannot drive: every call fails clearly."""

    def __init__(self, env, node: Node, why: str):
        self.env, self.node, self.why = env, node, why

    def _fail(self):
        event = self.env.event()
        event.fail(BmcError(self.node.name, self.node.bmc.endpoint, "protocol", self.why))
        return event

    def power(self, action):
        return self._fail()

    def power_state(self):
        return self._fail()

    def set_boot_device(self, device, persistent):
        return self._fail()

    def close(self):
        pass


class LiveHardware:
    def __init__(self, world, nodes=(), *, boot_host: str = "127.0.0.1", boot_port: int = 0,
                 ipmi: IpmiOptions | None = None, libvirt_uri: str | None = None,
                 timing=None, redfish: RedfishOptions | None = None, artifacts=None):
        if not isinstance(world.env, LiveEnvironment):
            raise TypeError("LiveHardware needs a World on a LiveEnvironment (twin.kernel.live.make_live_world)")
        self.world = world
        self.env = world.env
        self.ipmi = ipmi or IpmiOptions()
        if timing is not None:  # the scenario's Timing: the one source of the bound on a call
            self.ipmi = replace(self.ipmi, timeout_s=timing.ipmi_call_timeout_s)
        self.redfish = redfish or RedfishOptions()
        if timing is not None:
            self.redfish = replace(self.redfish, timeout_s=timing.ipmi_call_timeout_s)
        self.libvirt_uri = libvirt_uri
        self._ports: dict[Node, object] = {}
        self.boot = BootEndpoint(world, nodes, host=boot_host, port=boot_port, artifacts=artifacts).start()
        self.env.on_close(self.close)

    @classmethod
    def for_lab(cls, world, lab_dir, nodes=None, **kwargs) -> LiveHardware:
        """Hardware for a lab made by `twin lab up`: the boot endpoint on the lab's boot port,
        deploying for real with the lab's boot images (lab.json `images`, real_backends/lab/images.py;
        `artifacts=` overrides them); `nodes` default to the lab's nodes."""
        path = Path(lab_dir) / "lab.json"
        try:
            info = json.loads(path.read_text())
            port = int(info["boot_port"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise TwinError(f"{path}: not a lab description ({exc.__class__.__name__}); run 'twin lab up' first") from None
        if nodes is None:
            from real_backends.lab.lab import Lab

            nodes = Lab(info["name"], lab_dir).nodes()
        if "artifacts" not in kwargs and info.get("images"):
            from real_backends.lab import images

            kwargs["artifacts"] = images.artifacts(Path(info["images"]), build=False)
        return cls(world, nodes, boot_port=port, **kwargs)

    def bmc(self, node: Node):
        port = self._ports.get(node)
        if port is None:
            self.boot.add_node(node)
            kind = node.bmc.kind
            if kind == PowerKind.VM:
                port = LibvirtBmcPort(self.env, node, self.libvirt_uri)
            elif kind == PowerKind.REDFISH:
                port = RedfishBmcPort(self.env, node, self.redfish)
            elif kind == PowerKind.MOONSHOT:
                port = _UnsupportedPort(self.env, node, "bridged IPMI (HP Moonshot transit/target) is not "
                                                        "supported by the live backend")
            else:  # IPMI, and HP_iLO4 through its IPMI-over-LAN interface
                port = LiveBmcPort(self.env, node, self.ipmi)
            self._ports[node] = port
        return port

    def close(self) -> None:
        self.boot.stop()
        ports, self._ports = list(self._ports.values()), {}
        for port in ports:
            try:
                port.close()
            except Exception:  # noqa: BLE001 - best effort at the end of a run
                pass
