"""`--set` parsing, the cartesian product of axes, per-point validation and replication seeds."""
import numpy as np
import pytest

from twin.errors import InputError
from twin.scenario.distributions import fixed
from twin.sweep import SweepError, SweepUsageError, parse_sets, replication_seeds, run_sweep
from twin.sweep.spec import parse_key, parse_set, plan_sweep


def test_set_values_are_yaml_scalars():
    assert parse_set("timing.post_s=60,90") == ("timing.post_s", [60, 90])
    assert parse_set("policy=carry-on,helion") == ("policy", ["carry-on", "helion"])
    assert parse_set("network.management_gbps=1.5") == ("network.management_gbps", [1.5])
    assert parse_set("x=true,null,'a,b',\"c\"") == ("x", [True, None, "a,b", "c"])
    assert parse_set("timing.post_s=60,{dist: uniform, low: 60, high: 120}") == \
        ("timing.post_s", [60, {"dist": "uniform", "low": 60, "high": 120}])


def test_dotted_keys_with_list_indexes():
    assert parse_key("timing.post_s", "s") == ("timing", "post_s")
    assert parse_key("faults[0].for_s", "s") == parse_key("faults.0.for_s", "s") == ("faults", 0, "for_s")
    assert parse_key("inventory.generate.hardware.cpus", "s") == ("inventory", "generate", "hardware", "cpus")


@pytest.mark.parametrize("args, words", [
    (["timing.post_s"], ["--set timing.post_s", "no '='"]),
    (["=1"], ["key is empty"]),
    (["policy="], ["--set policy=", "no values"]),
    (["timing.post_s=[1,2"], ["--set timing.post_s=[1,2", "not valid YAML"]),
    (["timing..post_s=1"], ["not a dotted key"]),
    (["0.post_s=1"], ["must start with a key"]),
    (["policy=helion", "policy=carry-on"], ["--set policy=carry-on", "set twice"]),
])
def test_malformed_set_arguments_are_usage_errors_naming_the_argument(args, words):
    with pytest.raises(SweepUsageError) as e:
        parse_sets(args)
    assert e.value.exit_code == 2 and "\n" not in str(e.value)
    for word in words:
        assert word in str(e.value)


def test_the_product_of_the_axes_in_order(reference):
    plan = plan_sweep(reference, 2, {"policy": ["carry-on", "helion"], "network.management_gbps": [1, 10, 100]})
    assert plan.total == 12 and [p.index for p in plan.points] == list(range(6))
    assert [tuple(p.params.values()) for p in plan.points] == [
        ("carry-on", 1), ("carry-on", 10), ("carry-on", 100), ("helion", 1), ("helion", 10), ("helion", 100)]
    for p in plan.points:  # each point's scenario carries its overrides, the rest of the file unchanged
        assert p.scenario.policy == p.params["policy"]
        assert p.scenario.network.management_gbps == p.params["network.management_gbps"]
        assert p.scenario.timing.heat_stack_timeout_s == 3600 and p.scenario.name == "helion-reference"
    assert plan.definition["axes"] == {"policy": ["carry-on", "helion"], "network.management_gbps": [1, 10, 100]}


def test_no_axes_is_one_point(reference):
    plan = plan_sweep(reference, 3)
    assert len(plan.points) == 1 and plan.points[0].params == {} and plan.total == 3


def test_an_override_creates_the_sections_the_file_leaves_out(tmp_path):
    path = tmp_path / "bare.yaml"
    path.write_text("name: bare\ninventory:\n  generate: {compute: 2}\n")
    plan = plan_sweep(path, 1, {"timing.post_s": [60], "inventory.generate.hardware.cpus": [8]})
    sc = plan.points[0].scenario
    assert sc.timing.post_s == fixed(60.0)
    assert plan.points[0].mapping["timing"] == {"post_s": 60}
    assert sc.inventory.generate.hardware.cpus == 8 and sc.inventory.generate.compute == 2


def test_a_list_item_by_index(tmp_path):
    path = tmp_path / "faulty.yaml"
    path.write_text("name: faulty\ninventory:\n  generate: {compute: 2}\n"
                    "faults:\n  - {kind: pxe_timeout, node: compute0, for_s: 100}\n")
    plan = plan_sweep(path, 1, {"faults[0].for_s": [100, 3000]})
    assert [p.scenario.faults[0].for_s for p in plan.points] == [100, 3000]
    with pytest.raises(SweepUsageError, match=r"--set faults\[1\]\.for_s=5: no item 1 in faults"):
        plan_sweep(path, 1, {"faults[1].for_s": [5]})


def test_an_unknown_key_is_a_usage_error_naming_the_argument_and_field(reference):
    with pytest.raises(SweepUsageError) as e:
        plan_sweep(reference, 2, {"timing.post": [60, 90]})
    assert str(e.value).startswith("--set timing.post=60,90: timing.post: unknown key")
    with pytest.raises(SweepUsageError, match="cannot set 'x' inside name"):
        plan_sweep(reference, 2, {"name.x": [1]})


def test_a_bad_value_is_invalid_naming_the_argument_value_and_field(reference):
    with pytest.raises(SweepError) as e:
        plan_sweep(reference, 2, {"network.management_gbps": [1, 0]})
    assert not isinstance(e.value, SweepUsageError) and e.value.exit_code == 1
    assert str(e.value) == ("--set network.management_gbps=1,0: value 0: network.management_gbps: "
                            "Input should be greater than 0")
    with pytest.raises(SweepError, match=r"value yolo: policy: Input should be 'carry-on' or 'helion'"):
        plan_sweep(reference, 2, {"policy": ["yolo"]})
    # a distribution's fields, without pydantic's union tag in the path
    with pytest.raises(SweepError, match=r": timing\.post_s\.sigma: required key is missing$"):
        plan_sweep(reference, 2, {"timing.post_s": [{"dist": "lognormal", "median": 90}]})


def test_point_inventories_are_checked_before_anything_runs(reference, tmp_path):
    with pytest.raises(SweepError, match=r"^--set limits_profile=nope: .*helion-reference\.yaml:\d+: limits_profile: "):
        plan_sweep(reference, 2, {"limits_profile": ["kvm-30x40", "nope"]})
    with pytest.raises(SweepError, match=r"faults\[0\]\.node: no node named 'nope'"):
        plan_sweep(reference, 2, {"faults": [[], [{"kind": "bmc_no_answer", "node": "nope"}]]})
    out = tmp_path / "never"
    with pytest.raises(SweepError):
        run_sweep(reference, 2, {"network.management_gbps": [0]}, out_dir=out)
    assert not out.exists()


def test_the_seed_is_not_an_axis_and_axes_do_not_overlap(reference):
    with pytest.raises(SweepUsageError, match="--seed"):
        plan_sweep(reference, 2, {"seed": [1, 2]})
    with pytest.raises(SweepUsageError, match="overlaps"):
        plan_sweep(reference, 2, {"timing": [{}], "timing.post_s": [60]})
    with pytest.raises(SweepUsageError, match="listed twice"):
        plan_sweep(reference, 2, {"policy": ["helion", "helion"]})


def test_bad_counts_are_usage_errors(reference):
    for kwargs in ({"replications": 0}, {"replications": 2, "seed": -1}):
        with pytest.raises(SweepUsageError):
            plan_sweep(reference, **kwargs)
    with pytest.raises(SweepUsageError, match="--workers"):
        run_sweep(reference, 2, workers=0)
    with pytest.raises(SweepUsageError, match="--resume needs"):
        run_sweep(reference, 2, resume=True)


def test_an_invalid_scenario_file_keeps_its_located_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninventory:\n  generate: {compute: 1}\npolicy: nope\n")
    with pytest.raises(InputError) as e:
        plan_sweep(bad, 2)
    assert str(e.value).startswith(f"{bad}:4: policy:")


def test_replication_seeds_are_seedsequence_children():
    seeds = replication_seeds(42, 5)
    children = np.random.SeedSequence(42).spawn(5)
    assert seeds == [int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children]
    assert replication_seeds(42, 3) == seeds[:3]  # child r does not depend on the count
    assert len(set(seeds)) == 5 and all(0 <= s < 2**63 for s in seeds)
    assert replication_seeds(43, 5) != seeds
