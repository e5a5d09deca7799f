"""A simulated BMC with IPMI semantics, or Redfish's, implementing the kernel's BmcPort.

Rules:
- The BMC executes one command at a time; each takes a sampled latency (IPMI over LAN); a chassis
  power command that changes the power state has its own (longer) latency, one that finds the
  machine already as asked is answered like a query.
- The protocol (the node's power kind: Redfish for pm_type redfish, else IPMI) gives the
  latencies (SimHardware picks `redfish_*` or `ipmi_*` timing keys) and the wording of a refusal.
- Credentials are checked against the BMC's own; a wrong password fails fast ("credentials").
- A BMC that does not answer (fault `bmc_no_answer`) never completes the command: the
  conductor's call timeout decides (twin/workflows/power.py).
- Effects land on the machine when the command completes: power on/off/cycle/reset and the boot
  device (one-time or persistent), as IPMI's chassis commands do.
"""
from __future__ import annotations

from twin.errors import BmcError
from twin.inventory.model import PowerKind
from twin.kernel.ports import BootDevice, PowerAction

#: What a BMC says to a wrong user or password, by protocol (IPMI for every other kind).
REFUSAL = {PowerKind.REDFISH: "the BMC refused the user or its password (HTTP 401)"}
IPMI_REFUSAL = "unable to establish IPMI v2 / RMCP+ session (user or password rejected)"


class SimBmc:
    def __init__(self, world, node, machine, latency, power_latency, faults):
        self.world, self.node, self.machine = world, node, machine
        self._latency, self._power_latency, self._faults = latency, power_latency, faults
        self._rng = world.rng("bmc")
        self._busy_until = 0.0

    # --- BmcPort ------------------------------------------------------------------------
    def power(self, action: PowerAction):
        if action.__class__ is not PowerAction:  # a plain string ("on"); the enum call is slow (hot path)
            action = PowerAction(action)
        power = self.machine.power
        changes = not (action is PowerAction.ON and power == "on" or action is PowerAction.OFF and power == "off")
        return self._command(self.machine.apply_power, (action,), self._power_latency if changes else None)

    def power_state(self):
        return self._command(self._read_power, (), None, answers=True)

    def set_boot_device(self, device: BootDevice, persistent: bool):
        if device.__class__ is not BootDevice:
            device = BootDevice(device)
        return self._command(self.machine.set_boot_device, (device, persistent))

    # --- the model ----------------------------------------------------------------------
    def _read_power(self) -> str:
        return self.machine.power

    def _command(self, effect, args, latency=None, answers=False):
        """One command: `effect(*args)` lands on the machine when it completes. A command whose
        answer is only "done" is the completion timer itself (one event); one that answers a
        value, or fails, is an event succeeded (or failed) by that timer."""
        env = self.world.env
        now = env.now
        wrong_password = None
        faults = self._faults
        if faults.any:
            if faults.active(self.node.name, "bmc_no_answer", now):
                return env.event()  # never answers: the caller's timeout fires
            wrong_password = faults.active(self.node.name, "bmc_wrong_credentials", now)
        start = self._busy_until if self._busy_until > now else now
        self._busy_until = start + (latency or self._latency).sample(self._rng)
        timer = env.timeout(self._busy_until - now)
        if not (answers or wrong_password):
            timer.callbacks.append(lambda _timer: effect(*args))
            return timer
        done = env.event()

        def complete(_timer):
            if wrong_password:
                done.fail(BmcError(self.node.name, self.node.bmc.endpoint, "credentials",
                                   REFUSAL.get(self.node.bmc.kind, IPMI_REFUSAL)))
            else:
                done.succeed(effect(*args))

        timer.callbacks.append(complete)
        return done
