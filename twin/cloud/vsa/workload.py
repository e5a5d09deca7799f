"""A Cinder volume workload on a VSA cluster: creates as Poisson arrivals, each volume deleted
after its lifetime (`storage.vsa.workload`).

Rules: arrivals and sizes come from the run's "vsa"/"workload" random stream; a size is rounded
up to whole GiB (Cinder sizes are integers, at least 1); a refused create is recorded with
Cinder's reason (cinder.py) and not retried; `api_refusal()` lets the caller refuse when the
cinder API or the cinder-volume singleton is down (the HA plane's answer; "" when it works).
"""
from __future__ import annotations

import math

from twin.cloud.vsa.cinder import volume_type


def start_workload(world, model, cinder, spec, api_refusal=lambda: "") -> None:
    cluster = spec.cluster or next(iter(model.clusters))
    vtype = volume_type("workload", spec.extra_specs)
    rng = world.rng("vsa", "workload")
    mean_gap = 86400.0 / spec.creates_per_day

    def delete_after(volume_id: int, lifetime: float):
        yield world.timeout(lifetime)
        cinder.delete(volume_id)

    def arrivals():
        while True:
            yield world.timeout(float(rng.exponential(mean_gap)))
            size = max(1, math.ceil(spec.size_gib.sample(rng)))
            lifetime = max(0.0, spec.lifetime_s.sample(rng))
            model.cause = "cinder create (workload)"
            volume_id, _ = cinder.create(cluster, vtype, size, spec.write_rate_mib_s, api_refusal())
            if volume_id is not None:
                world.process(delete_after(volume_id, lifetime))

    world.process(arrivals())
