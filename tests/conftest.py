"""Fixtures shared by the test folders: `operate` runs a small operations scenario in the simulated
world (a generated cloud), for tests/faults and tests/ha."""
import pytest

from twin.inventory import generate_from_spec
from twin.runs import Scenario, simulate


def build(faults=(), duration_s=3600.0, operations=None, timing=None, ha=None, failure_domains=None,
          run="operations", **counts):
    spec = {"compute": 2, **counts}
    sc = Scenario(name="t", run=run, inventory={"generate": spec}, faults=list(faults),
                  operations={"duration_s": duration_s, **(operations or {})}, timing=timing or {},
                  ha=ha or {}, failure_domains=failure_domains or {})
    return sc, generate_from_spec(sc.inventory.generate.model_dump())


@pytest.fixture
def operate():
    """operate(faults, duration_s=..., seed=1, operations=..., timing=..., ha=..., ...) -> RunResult
    (with `.operations`: the run's plane, injector and clients to look into)."""

    def _operate(faults=(), seed=1, **kw):
        sc, inventory = build(faults, **kw)
        return simulate(sc, inventory, seed)

    return _operate
