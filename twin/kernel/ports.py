"""Hardware ports: what a workflow may ask of a node's hardware, in either world.

Rules: every method returns a kernel event at once (never blocks); the workflow yields it. A
failed command fails its event with a `twin.errors.BmcError` naming node and BMC address. One
call is one IPMI command: polling, retries and the minimum command interval are conductor logic
and live in `twin/workflows/power.py`, once for both worlds.
"""
from __future__ import annotations

import enum
from typing import Any, Protocol

from twin.inventory.model import Node


class PowerAction(str, enum.Enum):
    ON = "on"
    OFF = "off"
    CYCLE = "cycle"  # off then on; IPMI "chassis power cycle"
    RESET = "reset"  # hard reset; power stays on


class BootDevice(str, enum.Enum):
    PXE = "pxe"
    DISK = "disk"


class BmcPort(Protocol):
    node: Node

    def power(self, action: PowerAction) -> Any:
        """Send one power command. Event value: None."""

    def power_state(self) -> Any:
        """Ask the power state. Event value: "on" or "off"."""

    def set_boot_device(self, device: BootDevice, persistent: bool) -> Any:
        """Set next boot (persistent=False: one time, as IPMI's boot flags valid-once)."""


class BootPort(Protocol):
    """The provisioning network as the conductor sees it: PXE, callbacks and the image write."""

    def expect(self, node: Node, stage: str) -> Any:
        """Arm a wait for `node`'s callback at `stage` ("deploy" or "local_boot"); call before
        powering the node on. Event value: a dict of what the node reported."""

    def write_image(self, node: Node) -> Any:
        """Write the overcloud image to the node's disk (iSCSI deploy). Event value: bytes."""


class Hardware(Protocol):
    """What a World's hardware offers: a BMC port per node and the provisioning network."""

    boot: BootPort

    def bmc(self, node: Node) -> BmcPort: ...
