"""Fixtures shared by the test folders: `operate` runs a small operations scenario in the simulated
world (a generated cloud), for tests/faults and tests/ha; `vsa_faults_run` is one operations run
with two VSA clusters and faults on their nodes (tests/report, tests/browser)."""
import pytest

from opstest_helpers import build

from twin.inventory import generate_from_spec
from twin.runs import Scenario, simulate


@pytest.fixture
def operate():
    """operate(faults, duration_s=..., seed=1, operations=..., timing=..., ha=..., ...) -> RunResult
    (with `.operations`: the run's plane, injector and clients to look into)."""

    def _operate(faults=(), seed=1, **kw):
        sc, inventory = build(faults, **kw)
        return simulate(sc, inventory, seed)

    return _operate


def _crash(node, at_s, for_s, kind="node_crash"):
    return {"kind": kind, "node": node, "at_s": at_s, "for_s": for_s}


# gold (vsa0-3, NR-10, 3 managers): vsa1 then vsa2 down (quorum lost, a rejoin resync), a disk of
# vsa3 replaced (a rebuild, interrupted when vsa2 crashes again, then restarted), vsa0 down
# (quorum lost again); silver (vsa4-5, 2 managers and a virtual one): vsa4 down (quorum lost).
VSA_FAULTS = [_crash("vsa1", 1000, 1500), _crash("vsa2", 1800, 1500), _crash("vsa3", 8000, 3000, "disk_failure"),
              _crash("vsa4", 5000, 1000), _crash("vsa2", 11500, 400), _crash("vsa0", 12000, 600)]
VSA_STORAGE = {"vsa": {"write_rate_mib_s": 0.5, "clusters": [{"name": "gold", "nodes": ["vsa0", "vsa1", "vsa2", "vsa3"]},
                                                             {"name": "silver", "nodes": ["vsa4", "vsa5"]}]}}


@pytest.fixture(scope="session")
def vsa_faults_scenario():
    """(scenario, inventory) of `vsa_faults_run` (seed 1)."""
    sc = Scenario(name="vsa-faults", run="operations", inventory={"generate": {"vsa": 6, "compute": 1}},
                  operations={"duration_s": 20000}, faults=VSA_FAULTS, storage=VSA_STORAGE)
    return sc, generate_from_spec(sc.inventory.generate.model_dump())


@pytest.fixture(scope="session")
def vsa_faults_run(vsa_faults_scenario):
    return simulate(*vsa_faults_scenario, 1)
