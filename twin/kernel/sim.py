"""The simulated World: a plain simpy Environment (virtual time) over simulated hardware.

Rule: a simulated run pauses Python's cyclic garbage collector while it runs (twin/collector.py:
a run is bounded and keeps its objects alive to its end anyway; the collector's repeated passes
over a growing heap made 10,000-node runs superlinear).
"""
from __future__ import annotations

import simpy

from twin.collector import paused_gc
from twin.kernel.rng import Streams
from twin.kernel.world import World
from twin.record.recorder import Recorder


class SimWorld(World):
    def run(self, until=None):
        with paused_gc():
            return self.env.run(until)


def make_sim_world(seed: int, recorder: Recorder | None = None, hardware_factory=None) -> SimWorld:
    """A World on virtual time. `hardware_factory(world)` builds its hardware (it needs the
    world for its clock and random streams)."""
    world = SimWorld(simpy.Environment(), Streams(seed), recorder if recorder is not None else Recorder())
    if hardware_factory is not None:
        world.hardware = hardware_factory(world)
    return world
