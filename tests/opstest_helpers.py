"""`build`: a small operations scenario on a generated cloud, and its inventory (tests/conftest.py's
`operate` fixture and tests that drive the run's pieces themselves import it from here: a module
called `conftest` is ambiguous when several folders have one)."""
from twin.inventory import generate_from_spec
from twin.runs import Scenario


def build(faults=(), duration_s=3600.0, operations=None, timing=None, ha=None, failure_domains=None,
          run="operations", **counts):
    spec = {"compute": 2, **counts}
    sc = Scenario(name="t", run=run, inventory={"generate": spec}, faults=list(faults),
                  operations={"duration_s": duration_s, **(operations or {})}, timing=timing or {},
                  ha=ha or {}, failure_domains=failure_domains or {})
    return sc, generate_from_spec(sc.inventory.generate.model_dump())
