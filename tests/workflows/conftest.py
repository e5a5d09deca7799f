import pytest

from twin.inventory import generate_from_spec
from twin.runs import Scenario, simulate


@pytest.fixture
def deploy():
    """Simulate a generated cloud (Juno's provision states unless release="kilo");
        returns (summary, events)."""

    def _deploy(compute=2, faults=(), seed=1, policy="carry-on", timing=None, network=None, release="juno",
                **counts):
        spec = {"compute": compute, **counts}
        sc = Scenario(name="t", inventory={"generate": spec}, faults=list(faults), policy=policy,
                      timing=timing or {}, network=network or {}, ironic_release=release)
        inventory = generate_from_spec(sc.inventory.generate.model_dump())
        result = simulate(sc, inventory, seed)
        return result.summary, result.events

    return _deploy

