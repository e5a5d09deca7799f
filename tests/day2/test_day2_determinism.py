"""Same scenario and seed, same event log byte for byte, with the day-2 Nova state, VSA
membership changes, Swift weight steps and notice-gated repairs, whatever Python's string hashing (two processes
with different PYTHONHASHSEED)."""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import hashlib
from twin.inventory import generate_from_spec
from twin.runs import Scenario, simulate
sc = Scenario(name="v", run="operations", inventory={"generate": {"vsa": 4, "compute": 4, "swift": 3}},
              swift={"min_part_hours": 1, "part_power": 8},
              operations={"duration_s": 60000},
              faults=[{"kind": "node_crash", "nodes": "all", "ttf": {"dist": "exponential", "mean": 40000},
                       "ttr": {"dist": "fixed", "value": 900}}],
              actions={"schedule": [{"do": "add_nodes", "nodes": ["vsa3", "compute3", "swift2"], "at_s": 1000,
                                     "label": "grow"},
                                    {"do": "remove_nodes", "nodes": ["compute0", "vsa3", "swift0"], "after": "grow"},
                                    {"do": "backup", "target": "undercloud", "at_s": 3000, "every_s": 20000}]})
events = simulate(sc, generate_from_spec(sc.inventory.generate.model_dump()), 7).events
assert (events.kind == "fault").any() and (events.name == "noticed").any() and (events.kind == "vsa_resync").any()
assert events.name.str.startswith("swift_weight_step").any() and events.name.str.startswith("swift_drain_step").any()
print(hashlib.sha256(events.to_csv().encode()).hexdigest())
"""


def run(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, env=env, cwd=REPO)
    return out.stdout.strip()


@pytest.mark.slow  # > 0.8 s: left out of `make test-fast`
def test_the_event_log_is_the_same_byte_for_byte_across_processes():
    first, second = run("1"), run("2")
    assert len(first) == len(hashlib.sha256().hexdigest()) and first == second
