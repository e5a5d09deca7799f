"""`run: capacity` end to end: metrics checked against hand-computed values, determinism, located
scenario errors, the limits profile, ESX clusters, host failures, the report and the CLI."""
import json
from pathlib import Path

import pytest
from novatest_helpers import capacity_scenario, run_capacity

from twin.cli import main
from twin.errors import InputError
from twin.runs import load_scenario

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_metrics_of_a_hand_checked_run(tmp_path):
    # one host of 4096 MB, 4 CPUs, 100 GB; a medium VM for good, a second medium refused by RamFilter
    trace = write(tmp_path, "t.csv", "submit_s,lifetime_s,flavor\n0,,m1.medium\n500,,m1.medium\n")
    sc = capacity_scenario(compute=1, capacity={"warmup_s": 0, "duration_s": 1000, "sample_interval_s": 100,
                                                "host_hardware": {"cpus": 4, "memory_mib": 4096, "disk_gib": 100}},
                           workload={"traces": [{"file": str(trace)}]})
    r = run_capacity(sc)
    c, m = r.summary["capacity"], r.metrics
    schedulable = 4096 * 1.5 - 512  # RamFilter limit less the reserve: what VMs may take
    assert m["requests"] == 2 and m["blocking_probability"] == 0.5
    assert c["requests"]["reasons"] == {"No valid host was found: RamFilter returned 0 hosts": 1}
    assert m["util_ram_mean"] == pytest.approx(4096 / schedulable)
    assert m["util_cores_mean"] == pytest.approx(2 / (4 * 16.0))
    assert m["util_disk_mean"] == pytest.approx(40 / 100)
    assert m["util_slots_mean"] == pytest.approx(1 / 40)
    # 1536 MB free, but the only flavor asked for needs 4096: all of it is stranded
    assert m["stranded_ram_fraction"] == pytest.approx((schedulable - 4096) / schedulable)
    assert m["headroom_min_m1.medium"] == 0 and c["headroom"]["m1.medium"]["mean"] == 0
    assert c["series"]["util"]["ram"] == [pytest.approx(4096 / schedulable)] * 10
    assert c["series"]["requests"] == [1] + [0] * 4 + [1] + [0] * 4
    heat = c["series"]["host_util"]
    four = dict(abs=5e-5)  # the series keep 4 decimals
    assert heat["ram"] == [[pytest.approx(4096 / schedulable, **four)] * 10]
    assert heat["slots"] == [[pytest.approx(1 / 40, **four)] * 10] and heat["disk"] == [[pytest.approx(0.4)] * 10]


def test_per_host_series_are_blank_while_down_and_coarsened_to_a_bounded_width(tmp_path):
    trace = write(tmp_path, "t.csv", "submit_s,lifetime_s,flavor\n0,,m1.small\n")
    sc = capacity_scenario(compute=2, capacity={"warmup_s": 0, "duration_s": 1000 * 60.0, "sample_interval_s": 60,
                                                "host_failures": [{"host": "compute1", "at_s": 0}]},
                           workload={"traces": [{"file": str(trace)}]})
    series = run_capacity(sc).summary["capacity"]["series"]
    assert len(series["t_s"]) == 1000 and len(series["host_t_s"]) == 334  # 3 steps per column
    ram = series["host_util"]["ram"]
    assert all(x is None for x in ram[1])  # compute1: down the whole run
    assert ram[0] == [pytest.approx(2048 / (131072 * 1.5 - 512), abs=5e-5)] * 334


def test_utilisation_is_time_weighted_and_excludes_the_warm_up(tmp_path):
    trace = write(tmp_path, "t.csv", "submit_s,lifetime_s,flavor\n0,1500,m1.small\n1200,,m1.small\n")
    sc = capacity_scenario(compute=1, capacity={"warmup_s": 1000, "duration_s": 1000,
                                                "host_hardware": {"cpus": 4, "memory_mib": 4096, "disk_gib": 100}},
                           workload={"traces": [{"file": str(trace)}]})
    m = run_capacity(sc).metrics
    # in [1000, 2000): the first VM until 1500, the second from 1200: (500 + 800) / 1000 VMs on average
    assert m["vms_mean"] == pytest.approx(1.3)
    assert m["util_slots_mean"] == pytest.approx(1.3 / 40)
    assert m["requests"] == 1  # the request at t=0 was in the warm-up


def test_same_seed_same_events_and_summary():
    tenants = [{"name": "a", "rate_per_hour": 30, "lifetime_s": {"dist": "lognormal", "median": 3600, "sigma": 1},
                "flavors": {"m1.small": 2, "m1.large": 1}, "actions": {"resize_per_day": 2, "suspend_per_day": 1,
                                                                       "snapshot_per_day": 1}}]
    sc = capacity_scenario(compute=2, tenants=tenants, capacity={"warmup_s": 3600, "duration_s": 86400 * 3,
                                                                 "maintenance": [{"host": "compute0", "at_s": 7200,
                                                                                  "for_s": 3600}]},
                           workload={"start": "steady"})
    a, b = run_capacity(sc, 3), run_capacity(sc, 3)
    assert a.events.equals(b.events) and a.summary == b.summary
    assert set(a.events.name) >= {"boot", "delete", "resize", "suspend", "resume", "snapshot", "migrate"}
    assert not run_capacity(sc, 4).events.equals(a.events)


def test_a_host_failure_is_measured_as_evacuation_success():
    tenants = [{"name": "a", "rate_per_hour": 10, "lifetime_s": {"dist": "exponential", "mean": 36000},
                "flavors": {"m1.small": 1}}]
    sc = capacity_scenario(compute=3, nova={"max_instances_per_host": 40}, tenants=tenants,
                           workload={"start": "steady"},
                           capacity={"warmup_s": 3600, "duration_s": 86400,
                                     "host_failures": [{"host": "compute0", "at_s": 7200, "for_s": 7200}]})
    r = run_capacity(sc)
    ev = r.summary["capacity"]["evacuation"]
    # ~100 VMs on 120 slots: a third fail, the other hosts have room for some of them only
    assert ev["host_failures"] == 1 and ev["evacuated"] > 0 and ev["lost"] > 0
    assert r.metrics["evacuation_success"] == pytest.approx(ev["evacuated"] / (ev["evacuated"] + ev["lost"]))
    hosts = r.events[r.events.kind == "host"]
    assert list(hosts.name) == ["failed", "evacuated", "recovered"]
    assert list(hosts.time_s) == [7200.0, 7500.0, 14400.0]


def test_hosts_down_fails_the_largest_hosts_for_the_whole_run():
    sc = capacity_scenario(compute=3, capacity={"hosts_down": 2, "warmup_s": 0, "duration_s": 3600},
                           tenants=[{"name": "a", "rate_per_hour": 10, "lifetime_s": 3600, "flavors": {"m1.tiny": 1}}])
    r = run_capacity(sc)
    assert r.metrics["hosts"] == 3 and r.metrics["hosts_up"] == 1
    boots = r.events[(r.events.kind == "vm") & (r.events.name == "boot")]
    assert set(boots.cause) == {"compute0"}  # equal hosts: ties go down last host first


def test_profiles_esx_clusters_and_the_limit():
    sc = capacity_scenario(compute=2, limits_profile="esx", capacity={"warmup_s": 0, "duration_s": 60})
    hosts = run_capacity(sc).summary["capacity"]["cloud"]["host_table"]
    assert [(h["memory_mb"], h["vcpus"], h["max_instances"]) for h in hosts] == [(4 * 131072, 96, 200)] * 2
    sc = capacity_scenario(compute=2, capacity={"compute_hosts": 31, "warmup_s": 0, "duration_s": 60})
    cloud = run_capacity(sc).summary["capacity"]["cloud"]
    assert cloud["hosts"] == 31 and not cloud["within_profile"] and cloud["max_compute"] == 30


SCENARIO = """name: bad
run: capacity
inventory:
  generate: {{compute: 2}}
workload:
  tenants:
    - name: a
      rate_per_hour: 1
      lifetime_s: {{dist: pareto, shape: 0.8, scale: 10}}
      flavors: {{m1.huge: 1}}
capacity:
  compute_hosts: {hosts}
  host_failures:
    - {{host: compute99}}
"""


def test_scenario_mistakes_are_located(tmp_path, capsys):
    path = write(tmp_path, "s.yaml", SCENARIO.format(hosts=31))
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert f"{path}:10: workload.tenants[0].flavors.m1.huge: unknown flavor 'm1.huge' " \
           "(flavors: m1.large, m1.medium, m1.small, m1.tiny, m1.xlarge)" in err
    assert f"{path}:9: workload.tenants[0].lifetime_s: a steady start needs a finite mean lifetime " \
           "(pareto: shape > 1); use start: empty" in err
    assert any(line.startswith(f"{path}:14: capacity.host_failures[0].host: no compute host named 'compute99'")
               for line in err)


def test_more_hosts_than_the_profile_allows_is_a_warning(tmp_path, capsys):
    path = write(tmp_path, "s.yaml", "name: big\nrun: capacity\ninventory:\n  generate: {compute: 2}\n"
                                     "workload:\n  tenants: [{name: a, rate_per_hour: 1, lifetime_s: 60, "
                                     "flavors: {m1.tiny: 1}}]\ncapacity:\n  compute_hosts: 31\n  duration_s: 600\n")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert f"warning: {path}:8: capacity.compute_hosts: 31 compute hosts: more than 30 compute hosts under " \
           "kvm-30x40 (a supported cloud has at most 30)" in err.splitlines()
    assert "  more than 30 compute hosts under kvm-30x40" in out.splitlines()


def test_schema_mistakes_are_located(tmp_path):
    path = write(tmp_path, "s.yaml", "name: s\nrun: capacity\ninventory:\n  generate: {compute: 1}\nnova:\n"
                                     "  scheduler_default_filters: [RamFilter, BogusFilter]\n  ram_allocation_ratio: 0\n"
                                     "workload:\n  tenants:\n    - {name: a, rate_per_hour: 1, lifetime_s: 5, "
                                     "flavors: {m1.tiny: 1}, weekly: [1, 2]}\n")
    with pytest.raises(InputError) as e:
        load_scenario(path)
    found = {(p.line, p.field) for p in e.value.problems}
    assert found == {(6, "nova.scheduler_default_filters"), (7, "nova.ram_allocation_ratio"),
                     (10, "workload.tenants[0].weekly")}


@pytest.mark.slow  # > 0.8 s: left out of `make test-fast`
def test_twin_run_writes_a_capacity_report_the_same_every_time(tmp_path, capsys):
    scenario = REPO / "scenarios" / "capacity-reference.yaml"
    for out in ("a", "b"):
        assert main(["run", str(scenario), "--out", str(tmp_path / out), "--quiet"]) == 0
    digest = capsys.readouterr().out
    assert "capacity-reference (capacity, seed 42): 3 compute hosts (kvm-30x40), 14.0 days measured" in digest
    for name in ("report.html", "summary.json", "events.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    html = (tmp_path / "a" / "report.html").read_text()
    for part in ('id="capacity-curves"', 'id="blocking"', 'id="heatmap"', "Blocking by flavor", "Blocking by tenant"):
        assert part in html
    assert html.count("plotly.js v") == 1 and html.count("Plotly.newPlot") == 3  # the library inlined once
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["run"] == "capacity" and summary["metrics"]["requests"] > 500
    heat = summary["capacity"]["series"]["host_util"]
    assert set(heat) == {"ram", "cores", "disk", "slots"} and all(len(v) == 3 for v in heat.values())
