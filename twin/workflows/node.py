"""One node's life in an Ironic: enroll and verify, then deploy (PXE, callback, image write,
reboot to disk, local-boot callback), as Ironic's pxe_ipmitool/iSCSI deploy does it, with the
provision states of the scenario's Ironic release (states.py: Juno by default, or Kilo).

Rules:
- Every step goes through the World (ports, clock); nothing here knows which world it is in.
- A failure never escapes: the node's state goes to its failure state, a NodeFailed event says
  why in words an operator can act on, and the function returns False; the run carries on.
  A node that fails verification in Juno keeps its state (NOSTATE) and is put in maintenance:
  it is not `ready` to deploy, as a node back in Kilo's enroll is not.
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

    def __init__(self, world, node, timing, ironic: str, release: states.IronicRelease = states.JUNO):
        self.world, self.node, self.timing, self.ironic = world, node, timing, ironic
        self.release = release
        self.power = conductor(world, node, timing)  # shared with every other user of this BMC
        self.state: states.ProvisionState | None = None
        self.maintenance = False
        self.cause = ""

    @property
    def ok(self) -> bool:
        return self.state is not None and self.state.state == states.ACTIVE

    @property
    def ready(self) -> bool:
        """Enrolled, verified and waiting for a deploy (Juno: NOSTATE; Kilo: available)."""
        return self.state is not None and not self.maintenance and self.state.state == self.release.ready

    def adopt(self, state: str, cause: str) -> None:
        """Take over a node already in `state` in this Ironic (a deployed node to rebuild)."""
        self.state = states.ProvisionState(self.world, self.node.name, state, cause, release=self.release)

    def fail(self, cause: str) -> bool:
        self.cause = cause
        self.world.record(NodeFailed(self.node.name, cause))
        return False

    # --- node-create, BMC verification (Kilo: enroll -> manageable -> available) ----------
    def enroll(self):
        world, t, release = self.world, self.timing, self.release
        self.world.record(NodeEnrolled(self.node.name, self.node.role.value, self.ironic))
        sm = self.state = states.ProvisionState(world, self.node.name, release=release)
        yield world.timeout(t.register_s.sample(world.rng("conductor")))
        for event in release.verify:
            sm.fire(event)
        try:
            yield from self.power.power_state()  # verifies the BMC credentials, as Ironic does
        except TwinError as e:
            return self._verification_failed(str(e), f"verification failed: {e}")
        except Interrupt as i:
            return self._verification_failed(str(i.cause), str(i.cause))
        for event in release.verified:
            sm.fire(event)
        return True

    def _verification_failed(self, why: str, cause: str) -> bool:
        if self.release.verify_failed is None:
            self.maintenance = True  # Juno: the power-state sync puts the node in maintenance
        else:
            self.state.fire(self.release.verify_failed, why)
        return self.fail(cause)

    # --- ready -> deploying -> wait call-back -> deploying -> active ----------------------
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
