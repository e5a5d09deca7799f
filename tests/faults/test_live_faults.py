"""What a live run does with a scenario's faults: a drill applies power faults through the BMCs and
refuses the rest, a deployment refuses every fault; each refusal is located at its fault."""
import pytest

from twin.errors import InputError
from twin.faults.validate import LIVE_KINDS
from twin.runs import load_scenario, run_live


def live_fault_problems(loaded):
    """What `twin run --backend lab` refuses, before anything starts (located problems)."""
    with pytest.raises(InputError) as e:
        run_live(loaded, None, 1, "lab")
    return e.value.problems

DEPLOY = """\
name: t
inventory:
  generate: {compute: 1}
faults:
  - {kind: power_loss, node: compute0, at_s: 10}
  - {kind: bmc_no_answer, node: compute0}
"""

DRILL = """\
name: t
run: operations
inventory:
  generate: {compute: 1}
faults:
  - {kind: power_loss, node: controller0, at_s: 10, for_s: 20}
  - {kind: nic_down, node: controller1, at_s: 10}
  - {kind: graceful_shutdown, node: seed, at_s: 30}
  - {kind: node_crash, node: controller2, ttf: 100, ttr: 10}
"""


def loaded(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return load_scenario(path)


def test_a_live_deployment_refuses_every_fault_at_its_line(tmp_path):
    sc = loaded(tmp_path, DEPLOY)
    lines = [str(p) for p in live_fault_problems(sc)]
    path = tmp_path / "s.yaml"
    assert lines[0].startswith(f"{path}:5: faults[0]: a live deployment applies no faults")
    assert lines[1].startswith(f"{path}:6: faults[1]: a live deployment applies no faults")
    assert len(lines) == 2


def test_a_live_drill_applies_power_faults_and_refuses_the_rest_at_their_lines(tmp_path):
    sc = loaded(tmp_path, DRILL)
    path = tmp_path / "s.yaml"
    assert [str(p) for p in live_fault_problems(sc)] == [
        f"{path}:7: faults[1].kind: nic_down cannot be applied to live nodes (only "
        f"{', '.join(sorted(LIVE_KINDS))} through the BMC)",
        f"{path}:8: faults[2].node: the seed VM is not part of a live inventory"]


def test_a_scenario_without_faults_passes_the_live_checks(tmp_path):
    from twin.runs import kind

    sc = loaded(tmp_path, "name: t\ninventory:\n  generate: {compute: 1}\n")
    assert kind("deploy").live_problems(sc, sc.scenario) == []
    assert kind("operations").live_problems(sc, sc.scenario) == []
