"""The conductor's power driver: how Ironic's ipmitool driver (Juno) talks to a BMC, on top of
the kernel's BmcPort, for both worlds.

Rules:
- Commands to one BMC are at least `ipmi_min_command_interval_s` apart (faster "may crash the
  BMC"); the interval is kept per BMC, across everything the conductor does to it.
- A command that times out or cannot reach its BMC is retried with growing back-off until
  `ipmi_retry_timeout_s` has passed; wrong credentials are not retried (they will not improve).
- A power command is sent once, then the power state is polled with sleeps 1, 1, 4, 9, 16...
  seconds until it reads as wanted, and fails after `power_timeout_s`.
- Every command is recorded (BmcCall) with its outcome and latency, never with a password.
"""
from __future__ import annotations

from twin.errors import BmcError
from twin.kernel.ports import BootDevice, PowerAction
from twin.kernel.world import WaitTimeout
from twin.record.events import BmcCall

RETRYABLE = frozenset({"timeout", "unreachable"})


def poll_sleeps():
    """Ironic's power-state polling: 1, 1, 4, 9, 16, 25... seconds."""
    k = 0
    while True:
        yield max(1, k * k)
        k += 1


class PowerDriver:
    def __init__(self, world, node, timing):
        self.world, self.node, self.timing = world, node, timing
        self.port = world.bmc(node)
        self._last_command = None

    def _command(self, name: str, issue):
        """One IPMI command, spaced, bounded and retried as the rules above say."""
        world, env, t = self.world, self.world.env, self.timing
        deadline = env.now + t.ipmi_retry_timeout_s
        backoff = 1.0
        while True:
            if self._last_command is not None:
                wait = self._last_command + t.ipmi_min_command_interval_s - env.now
                if wait > 0:
                    yield env.timeout(wait)
            start = self._last_command = env.now
            try:
                value = yield from world.within(issue(), t.ipmi_call_timeout_s)
            except WaitTimeout:
                error = BmcError(self.node.name, self.node.bmc.endpoint, "timeout",
                                 f"no answer within {t.ipmi_call_timeout_s:g} s")
            except BmcError as e:
                error = e
            else:
                world.record(BmcCall(self.node.name, name, "ok", env.now - start))
                return value
            world.record(BmcCall(self.node.name, name, error.reason, env.now - start))
            if error.reason not in RETRYABLE or env.now + backoff >= deadline:
                if error.reason in RETRYABLE:
                    raise BmcError(error.node, error.address, error.reason,
                                   f"{error.detail}; gave up after {t.ipmi_retry_timeout_s:g} s of retries")
                raise error
            yield world.timeout(backoff)
            backoff = min(backoff * 2, 10.0)

    def power_state(self):
        return (yield from self._command("power_status", self.port.power_state))

    def set_boot_device(self, device: BootDevice, persistent: bool):
        name = f"boot_{device.value}{'_persistent' if persistent else ''}"
        yield from self._command(name, lambda: self.port.set_boot_device(device, persistent))

    def set_power(self, wanted: str):
        """Bring the node to power `wanted` ("on", "off", or "reboot": off then on, as Ironic's
        ipmitool driver reboots)."""
        world = self.world
        for target in (("off", "on") if wanted == "reboot" else (wanted,)):
            action = PowerAction.ON if target == "on" else PowerAction.OFF
            yield from self._command(f"power_{target}", lambda: self.port.power(action))
            deadline = world.now + self.timing.power_timeout_s
            for sleep in poll_sleeps():
                sleep = min(sleep, deadline - world.now)
                if sleep <= 0:
                    raise BmcError(self.node.name, self.node.bmc.endpoint, "power_timeout",
                                   f"power did not turn {target} within {self.timing.power_timeout_s:g} s")
                yield world.timeout(sleep)
                if (yield from self.power_state()) == target:
                    break
