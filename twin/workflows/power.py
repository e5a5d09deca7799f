"""The conductor's power driver: how Ironic's ipmitool driver (Juno) talks to a BMC, on top of
the kernel's BmcPort, for both worlds.

Rules:
- One driver per node per world (`conductor`): the deployment, the operator's repairs, a live
  drill's fault targets and the liveness poller all command a BMC through the same driver, so
  Ironic's per-BMC minimum command interval holds across all of them.
- Commands to one BMC start at least `ipmi_min_command_interval_s` apart (faster "may crash the
  BMC"): a command reserves the next free slot before it waits for it, so concurrent users of
  one driver queue up instead of sending together.
- This is the one bound on a command: `ipmi_call_timeout_s` (the scenario's timing). Ports and
  backends do not bound calls themselves; a live call that outlives the bound finishes in its
  thread and its late result is dropped.
- A command that times out or cannot reach its BMC is retried with growing back-off until
  `ipmi_retry_timeout_s` has passed; wrong credentials are not retried (they will not improve).
  A probe (`probe_power_state`, the liveness poller's read) is one attempt, never retried.
- A power command is sent once, then the power state is polled with sleeps 1, 1, 4, 9, 16...
  seconds until it reads as wanted, and fails after `power_timeout_s`.
- Every command is recorded (BmcCall) with its outcome and latency, never with a password; every
  power state read is told to the driver's `observers` (a live liveness learns from them).
"""
from __future__ import annotations

from twin.errors import BmcError
from twin.kernel.ports import BootDevice, PowerAction
from twin.kernel.world import Bound, Interrupt, WaitTimeout
from twin.record.events import BmcCall

RETRYABLE = frozenset({"timeout", "unreachable"})
POWER_ACTION = {"on": PowerAction.ON, "off": PowerAction.OFF}
POWER_COMMAND = {"on": "power_on", "off": "power_off"}  # as BmcCall names them
BOOT_COMMAND = {(device, persistent): f"boot_{device.value}{'_persistent' if persistent else ''}"
                for device in BootDevice for persistent in (False, True)}  # likewise


def poll_sleeps():
    """Ironic's power-state polling: 1, 1, 4, 9, 16, 25... seconds."""
    k = 0
    while True:
        yield max(1, k * k)
        k += 1


def conductor(world, node, timing) -> PowerDriver:
    """The node's one power driver in `world`, created on first use (rules above)."""
    driver = world.conductors.get(node.name)
    if driver is None:
        driver = world.conductors[node.name] = PowerDriver(world, node, timing)
    elif driver.timing is not timing and driver.timing != timing:
        raise ValueError(f"{node.name}: one world, one timing: its conductor already runs with another")
    return driver


class PowerDriver:
    def __init__(self, world, node, timing):
        self.world, self.node, self.timing = world, node, timing
        self.port = world.bmc(node)
        self._next_slot = float("-inf")  # the earliest start of the next command
        self.observers: list = []  # callables(state: "on" | "off"), told every power state read

    def _commands(self, plan):
        """Run the IPMI commands `plan` asks for, one after the other, each spaced, bounded and
        retried as the rules above say; return what `plan` returns. `plan` is a generator that
        yields a command `(name, issue, args, retry, observe, after)` (send `issue(*args)`, no
        earlier than `after` seconds from now: a poll's sleep and the wait for the BMC's next
        slot are one timer) and is sent that command's answer; its exceptions end the run.

        One generator level between the caller and simpy however many commands a request takes
        (a reboot with its power-state polling is one call): the hot path of a simulated
        deployment. `plan` itself is advanced once per command, never per simpy event."""
        world, env, t = self.world, self.world.env, self.timing
        record, observers = world.record, self.observers
        name, issue, args, retry, observe, after = next(plan)
        while True:
            deadline = env.now + t.ipmi_retry_timeout_s
            backoff = 1.0
            while True:
                now = env.now
                earliest = now + after
                after = 0.0
                slot = self._next_slot if self._next_slot > earliest else earliest  # reserve the next free slot
                self._next_slot = slot + t.ipmi_min_command_interval_s
                if slot > now:
                    yield env.timeout(slot - now)
                start = env.now
                event = issue(*args)
                bound = Bound(env, event, t.ipmi_call_timeout_s)  # World.within, inlined (hot path)
                try:
                    try:
                        value = yield event
                    except Interrupt as interrupt:
                        bound.interrupted(interrupt)
                    except BaseException:
                        bound.cancel()
                        raise
                    bound.cancel()
                except WaitTimeout:
                    error = BmcError.no_answer(self.node.name, self.node.bmc.endpoint, name, t.ipmi_call_timeout_s)
                except BmcError as e:
                    error = e
                else:
                    record(BmcCall(self.node.name, name, "ok", env.now - start))
                    if observe:
                        for observer in observers:
                            observer(value)
                    break
                record(BmcCall(self.node.name, name, error.reason, env.now - start))
                if not retry or error.reason not in RETRYABLE or env.now + backoff >= deadline:
                    if retry and error.reason in RETRYABLE:
                        raise BmcError(error.node, error.address, error.reason,
                                       f"{error.detail}; gave up after {t.ipmi_retry_timeout_s:g} s of retries")
                    raise error
                yield world.timeout(backoff)
                backoff = min(backoff * 2, 10.0)
            try:
                name, issue, args, retry, observe, after = plan.send(value)
            except StopIteration as done:
                return done.value

    def _command(self, name: str, issue, args=(), retry: bool = True, observe: bool = False):
        """One IPMI command (rules above): a generator to `yield from`, returning its answer."""
        return self._commands(_one((name, issue, args, retry, observe, 0.0)))

    def power_state(self):
        return self._command("power_status", self.port.power_state, observe=True)

    def probe_power_state(self):
        """One power status read, not retried: the state, or None when the BMC did not answer."""
        try:
            return (yield from self._command("power_status", self.port.power_state, retry=False, observe=True))
        except BmcError:
            return None

    # --- commands: each returns a generator to `yield from` ------------------------------
    def set_boot_device(self, device: BootDevice, persistent: bool):
        return self._command(BOOT_COMMAND[device, bool(persistent)], self.port.set_boot_device, (device, persistent))

    def set_power(self, wanted: str):
        """Bring the node to power `wanted` ("on", "off", or "reboot": off then on, as Ironic's
        ipmitool driver reboots)."""
        return self._commands(self._power_plan(wanted))

    def _power_plan(self, wanted: str):
        """set_power's commands: each power command, then power-state polls until it reads as
        wanted (sleeps of poll_sleeps), or a power_timeout error after `power_timeout_s`."""
        world, port = self.world, self.port
        for target in (("off", "on") if wanted == "reboot" else (wanted,)):
            yield POWER_COMMAND[target], port.power, (POWER_ACTION[target],), True, False, 0.0
            deadline = world.now + self.timing.power_timeout_s
            for sleep in poll_sleeps():
                sleep = min(sleep, deadline - world.now)
                if sleep <= 0:
                    raise BmcError(self.node.name, self.node.bmc.endpoint, "power_timeout",
                                   f"power did not turn {target} within {self.timing.power_timeout_s:g} s")
                if (yield "power_status", port.power_state, (), True, True, sleep) == target:
                    break


def _one(command):
    """A plan of one command (PowerDriver._commands), returning its answer."""
    return (yield command)
