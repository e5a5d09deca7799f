"""Floors shared by the benchmarks: bare simpy replaying a model's event pattern, measured in
the same run as the model, so each table compares against what simpy itself costs."""
from __future__ import annotations

import gc
import random
import time

import simpy


def failure_repair_floor(per_unit: list[int], horizon_s: float, seed: int = 1) -> float:
    """One process per unit, alternating failure/repair timeouts, the same counts as the model."""
    rng = random.Random(seed)
    env = simpy.Environment()

    def unit(failures: int):
        gap = horizon_s / (failures + 1)
        for _ in range(failures):
            yield env.timeout(rng.expovariate(1 / gap))
            yield env.timeout(rng.expovariate(1 / 3600.0))

    for failures in per_unit:
        env.process(unit(failures))
    gc.disable()
    try:
        t0 = time.perf_counter()
        env.run(until=horizon_s * 10)
        return time.perf_counter() - t0
    finally:
        gc.enable()
