"""One node's life in an Ironic: enroll and verify, then deploy (PXE, callback, image write,
reboot to disk, local-boot callback), as Ironic's pxe_ipmitool/iSCSI deploy does it.

Rules:
- Every step goes through the World (ports, clock); nothing here knows which world it is in.
- A failure never escapes: the node's state goes to its failure state, a NodeFailed event says
  why in words an operator can act on, and the function returns False; the run carries on.
- Callback timeouts are noticed when Ironic's periodic check runs (every
  check_provision_state_interval_s), not at the exact deadline.
"""
from __future__ import annotations

import math

from twin.errors import TwinError
from twin.kernel.ports import BootDevice
from twin.kernel.world import Interrupt, WaitTimeout
from twin.record.events import NodeEnrolled, NodeFailed
from twin.workflows import states
from twin.workflows.power import conductor


class NodeTask:
    """A node as one Ironic conductor handles it. `ironic` names which (seed or undercloud)."""

    def __init__(self, world, node, timing, ironic: str):
        self.world, self.node, self.timing, self.ironic = world, node, timing, ironic
        self.power = conductor(world, node, timing)  # shared with every other user of this BMC
        self.state: states.ProvisionState | None = None
        self.cause = ""

    @property
    def ok(self) -> bool:
        return self.state is not None and self.state.state == states.ACTIVE

    def fail(self, cause: str) -> bool:
        self.cause = cause
        self.world.record(NodeFailed(self.node.name, cause))
        return False

    # --- enroll -> manageable -> available ----------------------------------------------
    def enroll(self):
        world, t = self.world, self.timing
        self.world.record(NodeEnrolled(self.node.name, self.node.role.value, self.ironic))
        self.state = states.ProvisionState(world, self.node.name)
        yield world.timeout(t.register_s.sample(world.rng("conductor")))
        self.state.fire("manage")
        try:
            yield from self.power.power_state()  # verifies the BMC credentials, as Ironic does
        except TwinError as e:
            self.state.fire("fail", str(e))
            return self.fail(f"verification failed: {e}")
        except Interrupt as i:
            self.state.fire("fail", str(i.cause))
            return self.fail(str(i.cause))
        self.state.fire("done")
        self.state.fire("provide")
        return True

    # --- available -> active -------------------------------------------------------------
    def deploy(self):
        world, t, node = self.world, self.timing, self.node
        sm = self.state
        sm.fire("deploy")
        try:
            yield from self.power.set_boot_device(BootDevice.PXE, persistent=False)
            deploy_callback = world.boot.expect(node, "deploy")
            yield from self.power.set_power("reboot")
            sm.fire("wait")
            yield from self._wait_callback(deploy_callback, t.deploy_callback_timeout_s, "deploy ramdisk")
            sm.fire("resume")
            yield world.boot.write_image(node)
            yield from self.power.set_boot_device(BootDevice.DISK, persistent=True)
            booted = world.boot.expect(node, "local_boot")
            yield from self.power.set_power("reboot")
            yield from self._wait_callback(booted, t.local_boot_timeout_s, "deployed OS (local boot)")
        except TwinError as e:
            sm.fire("fail", str(e))
            return self.fail(str(e))
        except Interrupt as i:
            sm.fire("fail", str(i.cause))
            return self.fail(str(i.cause))
        sm.fire("done")
        return True

    def _wait_callback(self, event, timeout_s: float, what: str):
        """Wait for a callback until Ironic's periodic check notices the deadline has passed."""
        world, interval = self.world, self.timing.check_provision_state_interval_s
        noticed_at = math.ceil((world.now + timeout_s) / interval) * interval
        try:
            return (yield from world.within(event, noticed_at - world.now))
        except WaitTimeout:
            raise TwinError(f"timed out after {timeout_s:g} s waiting for the {what} callback "
                            f"(PXE/DHCP or boot problem: is the node's NIC first in the boot order?)") from None
