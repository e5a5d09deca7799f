"""A simulated BMC with IPMI semantics, implementing the kernel's BmcPort.

Rules:
- The BMC executes one command at a time; each takes a sampled latency (IPMI over LAN); a chassis
  power command that changes the power state has its own (longer) latency, one that finds the
  machine already as asked is answered like a query.
- Credentials are checked against the BMC's own; a wrong password fails fast ("credentials").
- A BMC that does not answer (fault `bmc_no_answer`) never completes the command: the
  conductor's call timeout decides (twin/workflows/power.py).
- Effects land on the machine when the command completes: power on/off/cycle/reset and the boot
  device (one-time or persistent), as IPMI's chassis commands do.
"""
from __future__ import annotations

from twin.errors import BmcError
from twin.kernel.ports import BootDevice, PowerAction


class SimBmc:
    def __init__(self, world, node, machine, latency, power_latency, faults):
        self.world, self.node, self.machine = world, node, machine
        self._latency, self._power_latency, self._faults = latency, power_latency, faults
        self._rng = world.rng("bmc")
        self._busy_until = 0.0

    # --- BmcPort ------------------------------------------------------------------------
    def power(self, action: PowerAction):
        action = PowerAction(action)
        changes = not (action is PowerAction.ON and self.machine.power == "on"
                       or action is PowerAction.OFF and self.machine.power == "off")
        return self._command(lambda: self.machine.apply_power(action), self._power_latency if changes else None)

    def power_state(self):
        return self._command(lambda: self.machine.power)

    def set_boot_device(self, device: BootDevice, persistent: bool):
        return self._command(lambda: self.machine.set_boot_device(BootDevice(device), persistent))

    # --- the model ----------------------------------------------------------------------
    def _command(self, effect, latency=None):
        env = self.world.env
        done = env.event()
        if self._faults.active(self.node.name, "bmc_no_answer", env.now):
            return done  # never answers: the caller's timeout fires
        start = max(env.now, self._busy_until)
        self._busy_until = start + (latency or self._latency).sample(self._rng)
        wrong_password = self._faults.active(self.node.name, "bmc_wrong_credentials", env.now)

        def complete(_event):
            if wrong_password:
                done.fail(BmcError(self.node.name, self.node.bmc.endpoint, "credentials",
                                   "unable to establish IPMI v2 / RMCP+ session (user or password rejected)"))
            else:
                done.succeed(effect())

        env.timeout(self._busy_until - env.now).callbacks.append(complete)
        return done
