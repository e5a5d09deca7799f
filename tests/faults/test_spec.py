"""Fault specifications: the vocabulary's keys, and bad specs rejected with FILE:LINE: field."""
import textwrap

import pytest

from twin.errors import InputError
from twin.faults.spec import ALL, Fault, label
from twin.runs import load_scenario, resolve_inventory

HEAD = """\
name: t
run: operations
inventory:
  generate: {compute: 2}
failure_domains:
  rack-a: [controller0, compute0]
faults:
"""


def problems(tmp_path, faults: str, head: str = HEAD) -> list[str]:
    """Load a scenario whose `faults:` list is `faults`; every problem line (schema or inventory)."""
    path = tmp_path / "s.yaml"
    path.write_text(head + textwrap.indent(textwrap.dedent(faults), "  "))
    try:
        loaded = load_scenario(path)
        resolve_inventory(loaded)
    except InputError as e:
        return [str(p).replace(str(path), "S") for p in e.problems]
    return []


def test_the_four_deployment_faults_keep_their_keys_and_meaning():
    f = Fault(kind="slow_nic", node="compute0")
    assert f.rate_mbps == 100.0 and f.from_s == 0.0 and f.for_s is None and not f.stochastic
    g = Fault(kind="pxe_timeout", node="swift1", from_s=10, for_s=3000)
    assert g.active(10) and g.active(3009.9) and not g.active(3010) and not g.active(9.9)
    assert Fault(kind="bmc_no_answer", node="compute1", at_s=5).from_s == 5


def test_every_kind_of_the_vocabulary_is_accepted_with_its_targets(tmp_path):
    assert problems(tmp_path, """\
        - {kind: node_crash, node: controller1, at_s: 10, for_s: 60}
        - {kind: graceful_shutdown, nodes: [controller1, controller2], at_s: 10}
        - {kind: power_loss, group: rack-a, at_s: 100, for_s: 300}
        - {kind: bmc_hang, node: compute1, for_s: 30}
        - {kind: nic_down, node: swift0, at_s: 1, for_s: 2}
        - {kind: disk_failure, node: compute1, at_s: 50}
        - {kind: service_crash, service: mysqld, node: controller2, at_s: 5, for_s: 5}
        - {kind: partition, sides: [[controller0], [controller1, controller2]], at_s: 7, for_s: 9}
        - {kind: node_crash, nodes: all, ttf: {dist: weibull, shape: 1.2, scale: 1e7},
           ttr: {dist: lognormal, median: 3600, sigma: 0.5}}
        - {kind: power_loss, node: seed, at_s: 3}
        """) == []


def test_labels_name_kind_target_and_index():
    assert label(Fault(kind="power_loss", node="controller0"), 2) == "power_loss controller0 (faults[2])"
    assert label(Fault(kind="partition", sides=[["a"], ["b", "c"]])) == "partition a | b,c"
    assert label(Fault(kind="service_crash", service="haproxy", nodes=ALL)) == "service_crash:haproxy all nodes"


@pytest.mark.parametrize("faults, expected", [
    ("- {kind: power_loss, node: controller9}\n",
     "S:8: faults[0].node: no node named 'controller9' in the inventory"),
    ("- {kind: node_crash, nodes: [compute0, nope], at_s: 1}\n",
     "S:8: faults[0].nodes[1]: no node named 'nope'"),
    ("- {kind: power_loss, group: rack-z}\n",
     "S:8: faults[0].group: no failure domain named 'rack-z' (failure_domains: rack-a)"),
    ("- kind: nic_down\n  node: compute0\n  for_s: -5\n",
     "S:10: faults[0].for_s: Input should be greater than 0"),
    ("- kind: nic_down\n  node: compute0\n  at_s: -1\n",
     "S:10: faults[0].at_s: Input should be greater than or equal to 0"),
    ("- kind: node_crash\n  node: compute0\n  ttf: {dist: exponential, mean: -3}\n  ttr: 60\n",
     "S:10: faults[0].ttf.mean: Input should be greater than 0"),
    ("- kind: node_crash\n  node: compute0\n  ttf: 100\n  ttr: {dist: weibull, shape: 0, scale: 5}\n",
     "S:11: faults[0].ttr.shape: Input should be greater than 0"),
    ("- kind: node_crash\n  node: compute0\n  ttf: 100\n  ttr: {dist: pareto, shape: 0.8, scale: 5}\n",
     "S:11: faults[0].ttr: the time to repair must have a finite mean"),
    ("- kind: node_crash\n  node: compute0\n  ttf: 0\n  ttr: 5\n",
     "S:10: faults[0].ttf: the time to failure must have a positive mean"),
    ("- kind: node_crash\n  node: compute0\n  ttf: 100\n",
     "S:8: faults[0]: a stochastic fault gives both ttf (time to failure) and ttr (time to repair)"),
    ("- kind: node_crash\n  node: compute0\n  ttf: 100\n  ttr: 5\n  for_s: 10\n",
     "S:8: faults[0]: a stochastic fault's durations come from ttr; leave for_s out"),
    ("- kind: partition\n  sides: [[controller0, controller1], [controller1, controller2]]\n",
     "S:9: faults[0].sides: node 'controller1' is on two sides of the partition (sides must not overlap)"),
    ("- kind: partition\n  sides: [[controller0], [controller1, ghost]]\n",
     "S:9: faults[0].sides[1][1]: no node named 'ghost'"),
    ("- {kind: partition, sides: [[controller0, controller1]]}\n",
     "S:8: faults[0].sides: a partition has at least two sides"),
    ("- {kind: service_crash, node: controller0}\n",
     "S:8: faults[0]: service_crash faults name a `service`"),
    ("- {kind: service_crash, service: haproxy, node: compute0}\n",
     "S:8: faults[0].service: haproxy runs on the controllers only, not on compute0"),
    ("- {kind: pxe_timeout, group: rack-a}\n",
     "S:8: faults[0]: pxe_timeout faults take node, not group"),
    ("- {kind: slow_nic, node: compute0, ttf: 5, ttr: 5}\n",
     "S:8: faults[0]: slow_nic faults are scheduled only (at_s, for_s), not stochastic"),
    ("- {kind: node_crash, node: compute0, at_s: 5, from_s: 6}\n",
     "S:8: faults[0]: give at_s or from_s, not both"),
    ("- {kind: nic_down, node: seed}\n",
     "S:8: faults[0].node: 'seed' (the seed VM) can only suffer graceful_shutdown, node_crash, power_loss"),
    ("- {kind: node_crash, node: compute0, service: mysqld}\n",
     "S:8: faults[0]: `service` applies to service_crash faults only"),
])
def test_bad_fault_specs_are_rejected_with_file_line_and_field(tmp_path, faults, expected):
    found = problems(tmp_path, faults)
    assert any(p.startswith(expected) for p in found), found


def test_a_failure_domain_naming_an_unknown_node_is_located(tmp_path):
    head = HEAD.replace("rack-a: [controller0, compute0]", "rack-a:\n    - controller0\n    - compute7")
    assert problems(tmp_path, "- {kind: power_loss, group: rack-a}\n", head) == [
        "S:8: failure_domains.rack-a[1]: no node named 'compute7' in the inventory (nodes: compute0, compute1, "
        "controller0, controller1, controller2, swift0, swift1, undercloud)"]


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    found = problems(tmp_path, """\
        - {kind: power_loss, node: x1}
        - {kind: power_loss, node: x2}
        """)
    assert [p.split(":")[1:3] for p in found] == [["8", " faults[0].node"], ["9", " faults[1].node"]]
