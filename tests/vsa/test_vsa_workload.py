"""The Cinder volume workload against independent truth: Poisson arrivals (the count of creates
over a long run), Little's law (the time-average number of volumes = arrival rate x mean
lifetime, with a lognormal's mean exp(mu + sigma^2/2) worked out here), and capacity: creates are
refused with Cinder's reason once the cluster is full, and the space used never exceeds it."""
import math

import numpy as np
import pytest
from vsa_harness import vsa_world

from twin.cloud.vsa.config import GIB, Storage, vsa_problems
from twin.inventory import generate_from_spec

DAYS = 2000.0
RATE = 5.0  # creates per day
MEDIAN_LIFE, SIGMA = 20 * 86400.0, 0.5


def time_average_count(events, cluster, duration):
    rows = events[events.kind == "vsa_volumes"]
    total, last, count = 0.0, 0.0, 0.0
    for t, subject, value in zip(rows.time_s, rows.subject, rows.value):
        if str(subject).startswith(f"{cluster}/"):
            total += (t - last) * count
            last, count = t, value
    return (total + (duration - last) * count) / duration


@pytest.mark.slow  # > 0.8 s: left out of `make test-fast`
def test_arrivals_are_poisson_and_the_volume_count_follows_littles_law():
    workload = {"creates_per_day": RATE, "size_gib": 1,
                "lifetime_s": {"dist": "lognormal", "median": MEDIAN_LIFE, "sigma": SIGMA}}
    run = vsa_world(3, storage={"clusters": [{"name": "c", "volumes": {"count": 0}}], "workload": workload})
    duration = DAYS * 86400
    events = run.finish(duration)
    cinder = events[events.kind == "vsa_cinder"].name
    creates = int(cinder.isin(["created", "refused"]).sum())
    assert (cinder == "refused").sum() == 0  # plenty of space: nothing refused
    expected = RATE * DAYS
    assert abs(creates - expected) < 4 * math.sqrt(expected)  # Poisson: sd = sqrt(mean)
    mean_life = MEDIAN_LIFE * math.exp(SIGMA**2 / 2)
    little = RATE / 86400 * mean_life
    assert time_average_count(events, "c", duration) == pytest.approx(little, rel=0.08)


def test_a_full_cluster_refuses_creates_with_cinders_reason_and_never_overfills():
    workload = {"creates_per_day": 50, "size_gib": {"dist": "uniform", "low": 100, "high": 400},
                "lifetime_s": 1e9, "extra_specs": {"hplh:data_pl": "r-10-2", "hplh:provisioning": "full"}}
    run = vsa_world(3, storage={"clusters": [{"name": "c", "volumes": {"count": 0}}], "workload": workload})
    total = run.cinder.total_bytes("c")
    used = []
    for day in range(1, 60):
        run.world.run(until=day * 86400)
        used.append(run.cinder.used_bytes("c"))
    events = run.world.recorder.frame()
    refused = events[(events.kind == "vsa_cinder") & (events.name == "refused")]
    assert len(refused) > 10 and max(used) <= total
    assert total - max(used) < 2 * 400 * GIB  # it did fill up: what is left is less than the largest NR-10 volume
    assert refused.cause.str.startswith(("No valid host was found. Insufficient free space", "cluster c: not enough")).all()
    sizes = refused.value.to_numpy()
    assert np.all(sizes >= 100) and np.all(sizes <= 400)


def test_workload_problems_are_located():
    nodes = generate_from_spec({"compute": 1, "vsa": 3}).active
    config = Storage.model_validate({"vsa": {"workload": {"creates_per_day": 1, "cluster": "x",
                                                          "extra_specs": {"hplh:data_pl": "r-9"}}}}).vsa
    found = vsa_problems(config, nodes)
    assert [(loc[-1], sev) for loc, _, sev in found] == [("cluster", "error"), ("extra_specs", "error")]
    assert found[1][1] == "hplh:data_pl 'r-9': expected one of r-0, r-5, r-10-2, r-10-3, r-10-4, r-6"
