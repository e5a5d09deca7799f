"""Operations speak Helion names whatever the inventory calls its nodes, and what a live drill can
and cannot apply (the live drill itself: tests/live/test_live_drill.py)."""
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from real_backends.ops import BmcTargets
from twin.errors import InputError
from twin.faults.validate import helion_named, stable_names
from twin.inventory import generate_from_spec
from twin.runs import Scenario, run_live, simulate
from twin.runs.operations import live_problems
from twin.scenario import LoadedScenario


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


def _loaded(**fields):
    return LoadedScenario(Scenario(name="t", inventory={"generate": {}}, **fields), Path("t.yaml"), None)


def test_a_live_drill_applies_power_faults_only():
    ok = _loaded(run="operations", faults=[{"kind": "power_loss", "node": "controller0", "at_s": 1},
                                           {"kind": "node_crash", "node": "controller1", "ttf": 100, "ttr": 10}])
    assert live_problems(ok, ok.scenario) == []
    bad = _loaded(run="operations", faults=[{"kind": "nic_down", "node": "controller0"},
                                            {"kind": "graceful_shutdown", "node": "seed"}])
    problems = [str(p) for p in live_problems(bad, bad.scenario)]
    assert problems[0].startswith("t.yaml:1: faults[0].kind: nic_down cannot be applied to live nodes")
    assert "seed VM" in problems[1] and problems[1].startswith("t.yaml:1: faults[1].node:")


def test_live_runs_refuse_what_they_cannot_do_before_anything_starts():
    capacity = _loaded(run="capacity")
    with pytest.raises(InputError) as e:
        run_live(capacity, None, 1, "lab")
    assert "run: capacity cannot run live" in str(e.value.problems[0])
    deploy = _loaded(faults=[{"kind": "power_loss", "node": "controller0", "at_s": 1}])
    with pytest.raises(InputError) as e:
        run_live(deploy, None, 1, "lab")
    assert [p.field for p in e.value.problems] == ["faults[0]"]
    assert "a live deployment applies no faults" in e.value.problems[0].message


def test_live_targets_refuse_what_the_bmc_cannot_do():
    import pytest

    from twin.errors import TwinError

    targets = BmcTargets(world=None, liveness=None, nodes=[], timing=None)
    with pytest.raises(TwinError, match="cannot apply 'nic_down' faults"):
        targets.nic_down("controller0", "x")
    with pytest.raises(AttributeError):
        targets.__deepcopy__
