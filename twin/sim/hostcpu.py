"""The CPU of a lab host that its guests share: the boots of machines that are not machines.

On real hardware every server boots on its own CPU. In a `twin lab up` lab every guest is a QEMU
process emulating its CPU (TCG) on the same few host cores, so a guest's kernel boots slower the
more guests boot at once (measured on a 2-core host: real_backends/lab/README.md). With
`timing.lab_host_capacity` set, the CPU-bound stages of a boot (the deploy ramdisk's boot up to
its callback, the deployed OS's boot) are work, in seconds a guest takes alone, run under
processor sharing:

Rules:
- n guests working at once each progress at min(1, capacity / n) of their lone speed (max-min
  fair: twin/sim/network.py's SharedLink, with one "guest-second" of work per second as its unit).
- A boot cut short (power off, crash) stops taking the host's CPU at once (`cancel`).
- Without a capacity every stage is a plain timeout of its drawn duration: the same events and
  the same random draws as a model without this module.
"""
from __future__ import annotations

from twin.kernel.world import Interrupt
from twin.sim.network import SharedLink

_UNIT = 8.0  # SharedLink counts bytes at bits per second: a work of w "bytes" at 8 "bps" takes w s


class HostCpu:
    def __init__(self, env, capacity: float):
        self._share = SharedLink(env, capacity * _UNIT)

    def work(self, seconds: float):
        """Generator: `seconds` of a lone guest's work, done at the host's shared speed."""
        done = self._share.transfer(seconds, _UNIT)
        try:
            yield done
        except Interrupt:
            self._share.cancel(done)
            raise


def cpu_work(world, host_cpu: HostCpu | None, seconds: float):
    """Generator: a CPU-bound boot stage of `seconds` (its lone duration) on this world's
    hardware: a timeout on a machine of its own, the shared host's speed in a lab."""
    if host_cpu is None:
        yield world.timeout(seconds)
    else:
        yield from host_cpu.work(seconds)
