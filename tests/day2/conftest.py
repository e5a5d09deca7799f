"""Fixtures for the day-2 tests: `day2` runs a small operations scenario with an `actions:`
section in the simulated world (a generated cloud: undercloud, 3 controllers, 2 Swift, computes)."""
import pytest

from twin.inventory import generate_from_spec
from twin.runs import Scenario, simulate


def build(actions, faults=(), duration_s=20000.0, compute=3, ha=None, timing=None):
    sc = Scenario(name="d2", run="operations", inventory={"generate": {"compute": compute}},
                  faults=list(faults), operations={"duration_s": duration_s}, actions=actions,
                  ha=ha or {}, timing=timing or {})
    return sc, generate_from_spec(sc.inventory.generate.model_dump())


@pytest.fixture
def day2():
    def _run(actions, faults=(), seed=1, **kw):
        sc, inventory = build(actions, faults, **kw)
        return simulate(sc, inventory, seed)

    return _run


def steps(result, label):
    """The steps an action started, in order (without the action-level rows)."""
    a = result.events[(result.events.kind == "action") & (result.events.subject == label)]
    started = a[(a.detail == "start") & ~a.name.str.startswith("action:")]
    return list(started.name)


def action_window(result, label):
    a = result.events[(result.events.kind == "action") & (result.events.subject == label)
                      & result.events.name.str.startswith("action:")]
    return float(a.time_s.iloc[0]), float(a.time_s.iloc[-1]), str(a.detail.iloc[-1])


def galera_status(result):
    """[(time, status)] of the Galera cluster (primary | blocked | non_primary)."""
    g = result.events[(result.events.kind == "ha") & (result.events.subject == "galera/cluster")]
    return list(zip(g.time_s.astype(float), g.name))
