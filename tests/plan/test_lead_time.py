"""`twin plan capacity`'s deployment lead times: the time to add N compute nodes is what an
operations run of the day-2 `add_nodes` action of N nodes takes (through twin.runs.simulate, read
from its event log here), at the plan's percentile over the sweep's replication seeds; it is at
least the management network's transfer bound N x (ramdisk + image) / bandwidth and grows with
N; each month's start date is the month's start (m x workload.month_s) minus it; the CLI, plan.json
and plan.html carry it."""
import json

import numpy as np
import pytest

from twin.cli import main
from twin.cloud.workload.config import MONTH_S
from twin.inventory import generate_from_spec
from twin.plan.leadtime import AddTimes, describe, lead_times
from twin.plan.search import MonthPlan
from twin.runs import Scenario, simulate
from twin.sweep.spec import replication_seeds
from twin.timefmt import hms

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

GIB, MIB = 1024**3, 1024**2

# The Erlang-B plan of tests/nova/test_plan.py: 4 hosts now; month 0 needs 4, month 1 needs 6.
PLAN = """name: lead-plan
run: capacity
seed: 7
inventory:
  generate: {compute: 4, hardware: {cpus: 64, memory_mib: 262144, disk_gib: 4096}}
nova:
  max_instances_per_host: 10
  quotas: {default: {instances: -1, cores: -1, ram_mb: -1}}
workload:
  start: steady
  tenants:
    - {name: a, rate_per_hour: 25, growth_per_month: 0.8, lifetime_s: {dist: exponential, mean: 3600},
       flavors: {m1.tiny: 1}}
capacity:
  warmup_s: 7200
  duration_s: 43200
  plan: {target_blocking: 0.02, months: 1, replications: 5}
network: {management_gbps: 1.0, image_gib: 5}
"""


def capacity(compute=3, network=None, timing=None):
    sc = Scenario(name="cap", run="capacity", inventory={"generate": {"compute": compute}},
                  network=network or {}, timing=timing or {})
    return sc, generate_from_spec(sc.inventory.generate.model_dump())


def direct_add_seconds(compute: int, count: int, seed: int, network=None, timing=None) -> float:
    """An operations run of a generated cloud with `count` spare compute rows, added at t = 0;
    the add_nodes action's start-to-end on its event log."""
    new = [f"compute{compute + i}" for i in range(count)]
    sc = Scenario(name="ops", run="operations", inventory={"generate": {"compute": compute + count}},
                  network=network or {}, timing=timing or {}, operations={"duration_s": 40000},
                  actions={"schedule": [{"do": "add_nodes", "nodes": new, "at_s": 0, "label": "grow"}]})
    r = simulate(sc, generate_from_spec(sc.inventory.generate.model_dump()), seed)
    e = r.events
    a = e[(e.kind == "action") & (e.subject == "grow") & (e.name == "action:add_nodes")]
    assert list(a.detail) == ["start", "end"]
    assert all(r.operations.world.hardware.machines[n].os_running for n in new)
    return float(a.time_s.iloc[1] - a.time_s.iloc[0])


def test_the_plan_states_each_addition_from_a_direct_add_nodes_run(tmp_path, capsys):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    out = tmp_path / "out"
    assert main(["plan", "capacity", str(path), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    data = json.loads((out / "plan.json").read_text())
    assert [mp["hosts"] for mp in data["candidates"]["current"]] == [4, 6]
    (lt,) = data["lead_times"]["current"]  # month 0: the 4 hosts there suffice; month 1 adds 2
    assert (lt["month"], lt["have"], lt["hosts"], lt["add"]) == (1, 4, 6, 2)
    network = {"management_gbps": 1.0, "image_gib": 5}
    direct = [direct_add_seconds(4, 2, s, network) for s in replication_seeds(7, 5)]
    assert lt["durations_s"] == pytest.approx(direct, abs=1e-3)
    assert lt["lead_time_s"] == pytest.approx(float(np.percentile(direct, 95)), rel=1e-12)
    # month 1's demand begins one month of growth from now; the add must start a lead time before
    assert data["month_s"] == MONTH_S
    assert lt["month_start_s"] == MONTH_S
    assert lt["start_s"] == pytest.approx(MONTH_S - lt["lead_time_s"], rel=1e-12)
    assert lt["overdue"] is False
    line = (f"month 1 needs 2 more hosts (6 in all): start add_nodes by {hms(lt['start_s'])} "
            f"(deploying 2 nodes takes about {lt['lead_time_s'] / 3600:.1f} h at p95)")
    assert f"  {line}\n" in text
    assert line in (out / "plan.html").read_text()


def test_the_lead_time_is_at_least_the_network_bound_and_grows_with_n():
    network = {"management_gbps": 1.0, "image_gib": 5}
    sc, inv = capacity(network=network)
    times = AddTimes(sc, inv.active, replications=8, percentile=95, seed=3)
    leads = {}
    for n in (1, 4, 16, 32):
        lead, durations, failed, _ = times.lead_time(n)
        assert failed == 0
        # every ramdisk and image crosses the one shared link: no add is quicker than that
        bound = n * (250 * MIB + 5 * GIB) * 8 / 1e9
        assert min(durations) >= bound
        leads[n] = lead
    assert leads[1] <= leads[4] <= leads[16] <= leads[32]
    # a 10 GbE network carries 16 images 10x faster than 1 GbE
    sc10, _ = capacity(network={"management_gbps": 10.0, "image_gib": 5})
    assert AddTimes(sc10, inv.active, 8, 95, 3).lead_time(16)[0] < leads[16]


def test_same_seed_same_durations_other_seed_others():
    sc, inv = capacity()
    a = AddTimes(sc, inv.active, 4, 95, 11).lead_time(3)
    b = AddTimes(sc, inv.active, 4, 95, 11).lead_time(3)
    c = AddTimes(sc, inv.active, 4, 95, 12).lead_time(3)
    assert a == b and a[1] != c[1]


def plan(*hosts):
    return [MonthPlan(m, 0.0, 1, h, None, False) for m, h in enumerate(hosts)]


def test_additions_count_from_what_the_cloud_already_has():
    sc, inv = capacity()
    times = AddTimes(sc, inv.active, 3, 95, 5)
    month_s = 86400.0 * 30
    # 4 hosts now: month 2 adds 1; then month 3 is beyond the search and ends the list
    leads = lead_times(plan(3, 3, 5, None, 9), 4, month_s, times)
    assert [(lt.month, lt.have, lt.add) for lt in leads] == [(2, 4, 1)]
    # month 0 needs more than there are: overdue by its lead time; month 1 needs less than month 0
    leads = lead_times(plan(6, 5, 8), 4, month_s, times)
    assert [(lt.month, lt.have, lt.add) for lt in leads] == [(0, 4, 2), (2, 6, 2)]
    first, second = leads
    assert first.start_s == -first.lead_time_s and first.overdue
    assert second.start_s == pytest.approx(2 * month_s - second.lead_time_s) and not second.overdue
    assert first.lead_time_s == times.lead_time(2)[0] == second.lead_time_s  # one simulation per count
    assert describe(first, 95).startswith(f"month 0 needs 2 more hosts (6 in all): overdue, start add_nodes now, "
                                          f"{hms(first.lead_time_s, span=True)} late")
    assert describe(second, 95).startswith("month 2 needs 2 more hosts (8 in all): start add_nodes by day 59 ")


def test_an_add_that_outlives_the_heat_timeout_has_no_lead_time():
    # 20 images of 10 GiB over 1 Gb/s take ~1,700 s: more than a 900 s stack timeout
    sc, inv = capacity(network={"management_gbps": 1.0}, timing={"heat_stack_timeout_s": 900})
    times = AddTimes(sc, inv.active, 3, 95, 5)
    (lt,) = lead_times(plan(3, 23), 3, 86400.0, times)
    assert lt.lead_time_s is None and lt.start_s is None and lt.failed == 3
    assert "timed out after 900 s" in lt.cause
    assert describe(lt, 95) == ("month 1 needs 20 more hosts (23 in all): adding 20 nodes at once failed in 3 of 3 "
                                f"replications ({lt.cause}): add them in smaller batches")
