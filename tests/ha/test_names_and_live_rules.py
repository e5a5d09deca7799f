"""Operations speak Helion names whatever the inventory calls its nodes, and what a live drill can
and cannot apply (the live drill itself: tests/live/test_live_drill.py)."""
from dataclasses import replace
from types import SimpleNamespace

from real_backends.ops import BmcTargets
from twin.cloud.ha.live import live_problems
from twin.faults.validate import helion_named, stable_names
from twin.inventory import generate_from_spec
from twin.runner import simulate
from twin.scenario import Scenario


def lab_like_nodes():
    """A generated inventory whose nodes are named like lab guests (twin-lab-0, twin-lab-1...)."""
    nodes = generate_from_spec({"compute": 1}).active
    return [replace(n, name=f"twin-lab-{i}") for i, n in enumerate(nodes)]


def test_stable_names_follow_the_installers_roles_and_order():
    names = stable_names(lab_like_nodes())
    assert list(names.values()) == ["undercloud", "controller0", "controller1", "controller2", "swift0", "swift1",
                                    "compute0"]


def test_faults_may_name_inventory_names_or_helion_names_and_the_run_uses_helion_names():
    nodes = lab_like_nodes()
    sc = Scenario(name="t", run="operations", inventory={"generate": {}}, operations={"duration_s": 100},
                  faults=[{"kind": "power_loss", "node": "twin-lab-1", "at_s": 10},
                          {"kind": "partition", "sides": [["twin-lab-2"], ["controller2"]], "at_s": 50}])
    renamed_sc, renamed, names = helion_named(sc, nodes)
    assert renamed_sc.faults[0].node == "controller0" and renamed_sc.faults[1].sides == [["controller1"], ["controller2"]]
    assert names["controller0"] == "twin-lab-1" and [n.name for n in renamed][:2] == ["undercloud", "controller0"]
    result = simulate(sc, SimpleNamespace(active=nodes), 1)
    moves = result.summary["operations"]["vip"]["moves"]
    assert moves[0]["previous"] == "controller0" and moves[0]["time_s"] == 13.609


def test_a_live_drill_applies_power_faults_only():
    ok = Scenario(name="t", run="operations", inventory={"generate": {}},
                  faults=[{"kind": "power_loss", "node": "controller0", "at_s": 1},
                          {"kind": "node_crash", "node": "controller1", "ttf": 100, "ttr": 10}])
    assert live_problems(ok) == []
    bad = Scenario(name="t", run="operations", inventory={"generate": {}},
                   faults=[{"kind": "nic_down", "node": "controller0"},
                           {"kind": "graceful_shutdown", "node": "seed"}])
    problems = live_problems(bad)
    assert problems[0].startswith("faults[0]: nic_down cannot be applied to live nodes")
    assert "seed VM" in problems[1]
    assert live_problems(Scenario(name="t", inventory={"generate": {}})) == ["not an operations scenario"]


def test_live_targets_refuse_what_the_bmc_cannot_do():
    import pytest

    from twin.errors import TwinError

    targets = BmcTargets(world=None, liveness=None, nodes=[], timing=None)
    with pytest.raises(TwinError, match="cannot apply 'nic_down' faults"):
        targets.nic_down("controller0", "x")
    with pytest.raises(AttributeError):
        targets.__deepcopy__
