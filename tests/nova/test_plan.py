"""`twin plan capacity`: the search finds what Erlang B says a slot-limited demand needs, month by
month, with and without spare hosts; it says when the current cloud runs out and when the answer is
beyond the limits profile; the same plan on 1 or 2 workers."""
import json

import pytest
from novatest_helpers import erlang_b

from twin.cli import main
from twin.plan.search import PlanError, PlanOptions, plan_capacity

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

# 10 slots per host, Poisson requests of one flavor, mean lifetime 1 h: Erlang B with c = 10 n.
# Month 0: A = 25 -> B(30) = 0.053, B(40) = 0.0014: 4 hosts for a 2% target.
# Month 1: A = 45 (growth 80%) -> B(50) = 0.054, B(60) = 0.0054: 6 hosts.
SCENARIO = """name: erlang-plan
run: capacity
seed: 7
inventory:
  generate: {{compute: 4, hardware: {{cpus: 64, memory_mib: 262144, disk_gib: 4096}}}}
nova:
  max_instances_per_host: {slots}
  quotas: {{default: {{instances: -1, cores: -1, ram_mb: -1}}}}
workload:
  start: steady
  tenants:
    - {{name: a, rate_per_hour: {rate}, growth_per_month: 0.8, lifetime_s: {{dist: exponential, mean: 3600}},
       flavors: {{m1.tiny: 1}}}}
capacity:
  warmup_s: 7200
  duration_s: {duration}
  plan: {{target_blocking: 0.02, months: 1, replications: 5}}
"""


def scenario(tmp_path, rate=25, duration=172800, slots=10):
    p = tmp_path / "plan.yaml"
    p.write_text(SCENARIO.format(rate=rate, duration=duration, slots=slots))
    return p


def test_the_answer_is_erlang_bs_month_by_month(tmp_path):
    r = plan_capacity(scenario(tmp_path))
    plan = r.candidates["current"]
    assert [mp.hosts for mp in plan] == [4, 6]
    for mp, load in zip(plan, (25, 45)):
        assert erlang_b(10 * mp.hosts, load) < 0.02 < erlang_b(10 * (mp.hosts - 1), load)
        assert mp.point.p_blocking <= 0.02
        below = next(p for p in r.points if p.month == mp.month and p.hosts == mp.hosts - 1)
        assert below.p_blocking > 0.02
    assert r.current_hosts == 4 and r.runs_out_month == 1
    assert r.current[0].p_blocking <= 0.02 < r.current[1].p_blocking


def test_surviving_a_host_failure_takes_one_more_host(tmp_path):
    r = plan_capacity(scenario(tmp_path), PlanOptions(survive=1))
    assert [mp.hosts for mp in r.candidates["current"]] == [5, 7]
    assert r.runs_out_month == 0  # 3 hosts up: B(30, 25) = 0.053


def test_an_answer_beyond_the_profile_says_so(tmp_path, capsys):
    path = scenario(tmp_path, rate=70, duration=43200, slots=2)  # B(2 n, 70) = 2% at n ~ 41
    assert main(["plan", "capacity", str(path), "--months", "0", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.strip().startswith("0 "))
    assert "more than 30 compute hosts under kvm-30x40" in row
    assert 39 <= int(row.split()[3]) <= 45  # B(80, 70) = 0.025, B(84, 70) = 0.012 (12 h windows: noisier)
    assert "from month 0 the answer is more than 30 compute hosts under kvm-30x40" in out
    data = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert data["candidates"]["current"][0]["exceeds_profile"] is True
    assert (tmp_path / "out" / "plan.html").stat().st_size > 100_000
    assert (tmp_path / "out" / "points.csv").read_text().startswith("hardware,month,hosts,")


def test_the_same_plan_on_one_or_two_workers(tmp_path):
    path = scenario(tmp_path, duration=43200)
    one = plan_capacity(path, PlanOptions(months=0))
    two = plan_capacity(path, PlanOptions(months=0, workers=2))
    assert [p.as_dict() for p in one.points] == [p.as_dict() for p in two.points]


def test_candidate_hardware(tmp_path):
    path = scenario(tmp_path, duration=43200)
    text = path.read_text().replace("replications: 5}", "replications: 5, hardware: [{name: big, cpus: 8, "
                                    "memory_mib: 65536, disk_gib: 1024}]}")
    path.write_text(text)
    r = plan_capacity(path, PlanOptions(months=0, hardware="all"))
    assert set(r.candidates) == {"current", "big"}
    assert r.hardware["big"] == {"cpus": 8, "memory_mib": 65536, "disk_gib": 1024}
    with pytest.raises(PlanError, match="no candidate named 'huge'.*candidates: current, all, big"):
        plan_capacity(path, PlanOptions(hardware="huge"))


def test_usage_mistakes(tmp_path, capsys):
    path = scenario(tmp_path)
    assert main(["plan", "capacity", str(path), "--replications", "1"]) == 2  # a usage mistake, as for a sweep
    assert "--replications: needs at least 2 replications" in capsys.readouterr().err
    deploy = tmp_path / "d.yaml"
    deploy.write_text("name: d\ninventory:\n  generate: {compute: 1}\n")
    assert main(["plan", "capacity", str(deploy)]) == 1
    assert "needs a scenario with `run: capacity`" in capsys.readouterr().err
    assert main(["plan", "capacity", str(tmp_path / "missing.yaml")]) == 2
