"""The faults vocabulary in a capacity run: compute nodes that crash, lose power or shut down are
Nova hosts that fail (their VMs evacuated or lost) and come back when the operator brings them up."""
import pytest
from novatest_helpers import UNLIMITED, run_capacity

from twin.cli import main
from twin.runs import Scenario

TENANTS = [{"name": "a", "rate_per_hour": 8, "lifetime_s": {"dist": "exponential", "mean": 36000},
            "flavors": {"m1.small": 1}}]


def scenario(faults, compute=3, **kw):
    return Scenario(name="f", run="capacity", inventory={"generate": {"compute": compute}},
                    nova={"quotas": UNLIMITED}, workload={"start": "steady", "tenants": TENANTS},
                    capacity={"warmup_s": 3600, "duration_s": 3 * 86400}, faults=faults, **kw)


def host_rows(result):
    ev = result.events
    return [(t, s, n) for t, s, n in zip(ev.time_s, ev.subject, ev.name) if n in ("failed", "recovered")]


def test_a_power_loss_fails_the_host_until_the_operator_powers_it_on():
    sc = scenario([{"kind": "power_loss", "node": "compute1", "at_s": 10000, "for_s": 3600}],
                  operations={"operator_response_s": 900})
    r = run_capacity(sc)
    # mains back at 13600; the BIOS keeps it off; the operator notices 900 s later and powers it on
    assert host_rows(r) == [(10000.0, "compute1", "failed"), (14500.0, "compute1", "recovered")]
    ev = r.summary["capacity"]["evacuation"]
    assert ev["host_failures"] == 1 and ev["evacuated"] > 0 and ev["lost"] == 0 and r.metrics["evacuation_success"] == 1


def test_stochastic_crashes_come_back_after_their_repair():
    sc = scenario([{"kind": "node_crash", "nodes": ["compute0", "compute2"],
                    "ttf": {"dist": "exponential", "mean": 50000}, "ttr": 7200}])
    rows = host_rows(run_capacity(sc, seed=3))
    assert len(rows) >= 4
    for host in ("compute0", "compute2"):
        mine = [(t, n) for t, s, n in rows if s == host]
        for (t1, n1), (t2, n2) in zip(mine[::2], mine[1::2]):
            assert (n1, n2) == ("failed", "recovered") and t2 - t1 == pytest.approx(7200.0)
    assert not [s for _, s, _ in rows if s == "compute1"]


def test_faults_that_do_not_change_compute_capacity_are_left_out_with_a_warning(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("name: w\nrun: capacity\ninventory:\n  generate: {compute: 2}\nworkload:\n  tenants: "
                    "[{name: a, rate_per_hour: 1, lifetime_s: 60, flavors: {m1.tiny: 1}}]\ncapacity: {duration_s: 600}\n"
                    "faults:\n  - {kind: service_crash, node: controller0, service: mysqld}\n"
                    "  - {kind: node_crash, node: controller1}\n")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"warning: {path}:9: faults[0].kind: service_crash does not change compute capacity" in err
    assert f"warning: {path}:10: faults[1].kind: none of its nodes is a compute host of this run (left out)" in err


def test_a_fault_reaches_its_host_by_its_inventory_name_or_its_helion_name():
    """Nova hosts keep the inventory's names (here rack1-NN); a fault may name a node either way."""
    from dataclasses import replace
    from types import SimpleNamespace

    from twin.inventory import generate_from_spec
    from twin.runs import simulate

    base = scenario([])
    nodes = [replace(n, name=f"rack1-{k:02d}") for k, n in enumerate(
        generate_from_spec(base.inventory.generate.model_dump()).active)]
    compute = [n.name for n in nodes if n.role.value == "OvercloudCompute"]
    for named in (compute[1], "compute1"):  # the inventory's name, then the Helion name of the same node
        sc = scenario([{"kind": "node_crash", "node": named, "at_s": 10000, "for_s": 3600}])
        rows = host_rows(simulate(sc, SimpleNamespace(active=nodes), 1))
        assert rows[0] == (10000.0, compute[1], "failed"), (named, rows)
