"""VSA clusters inside `run: operations`: the storage section, faults on VSA nodes, the metrics in
the run's sweep row, the located limits, and inventory names in a cluster's node list."""
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from twin.errors import InputError
from twin.inventory import generate_from_spec
from twin.runs import Scenario, digest, resolve_inventory, simulate
from twin.scenario import LoadedScenario


def _scenario(faults=(), storage=None, vsa=3):
    sc = Scenario(name="t", run="operations", inventory={"generate": {"vsa": vsa, "compute": 1}},
                  operations={"duration_s": 20000}, faults=list(faults), storage=storage or {})
    return sc, generate_from_spec(sc.inventory.generate.model_dump())


def _time_with_two_of_three_up(events, nodes, duration):
    """Independent truth from the liveness log alone: how long at least 2 of `nodes` were up."""
    rows = events[(events.kind == "liveness") & events.subject.isin(nodes)].sort_values("seq")
    up, last, total = {n: True for n in nodes}, 0.0, 0.0
    for t, node, state in zip(rows.time_s, rows.subject, rows.name):
        total += (t - last) * (sum(up.values()) >= 2)
        up[node], last = state == "up", t
    return total + (duration - last) * (sum(up.values()) >= 2)


def test_crashing_every_vsa_node_takes_the_volumes_offline_while_quorum_is_lost():
    crash = [{"kind": "node_crash", "node": f"vsa{i}", "at_s": 1000, "for_s": 2000} for i in range(3)]
    sc, inventory = _scenario(crash, {"vsa": {"write_rate_mib_s": 0}})
    result = simulate(sc, inventory, 1)
    m = result.metrics
    # three managers on three nodes, NR-10, no writes (nothing to resync): the volumes are online
    # exactly while 2 of the 3 nodes are up (down 1000 s to 3000 s plus each node's reboot)
    up = _time_with_two_of_three_up(result.events, ["vsa0", "vsa1", "vsa2"], 20000)
    assert 2000 < 20000 - up < 3000
    assert m["availability_vsa_vsa"] == pytest.approx(up / 20000, abs=1e-9)
    assert m["quorum_losses"] == 1 and m["volumes_lost_vsa_vsa"] == 0
    calm = simulate(*_scenario(storage={"vsa": {"write_rate_mib_s": 0}}), 1).metrics
    assert calm["availability_vsa_vsa"] == 1.0 and calm["quorum_losses"] == 0
    assert "block storage (VSA): vsa 8" in digest(result.summary, Path("out"))[0]


def test_a_cluster_names_its_nodes_by_their_inventory_names():
    """Operations speak Helion names (vsa0, vsa1...); a cluster listed by inventory names still
    gets those nodes, in its order."""
    sc, inventory = _scenario(vsa=3)
    nodes = [replace(n, name=f"rack1-{k:02d}") for k, n in enumerate(inventory.active)]
    vsa_names = [n.name for n in nodes if n.role.value == "OvercloudVSAStorage"]
    sc = sc.model_copy(update={"storage": Scenario.model_fields["storage"].annotation.model_validate(
        {"vsa": {"clusters": [{"name": "gold", "nodes": [vsa_names[2], vsa_names[0]]}]}})})
    result = simulate(sc, SimpleNamespace(active=nodes), 1)
    managers = result.events[result.events.kind == "vsa_manager"]
    assert set(managers.subject.astype(str)) == {"gold/vsa2", "gold/vsa0", "gold/virtual"}  # 2 nodes: 2 + a virtual
    assert "availability_vsa_gold" in result.metrics


def test_vsa_limits_are_located_errors_before_the_run(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: t\nrun: operations\ninventory:\n  generate: {vsa: 2}\nstorage:\n  vsa:\n"
                    "    clusters:\n      - {name: big, network_raid: '10+2'}\n")
    from twin.runs import load_scenario

    loaded = load_scenario(path)
    with pytest.raises(InputError) as e:
        resolve_inventory(loaded)
    located = [str(p) for p in e.value.problems]
    assert any(line.startswith(f"{path}:8: storage.vsa.clusters[0]") for line in located), located
    assert isinstance(loaded, LoadedScenario)
