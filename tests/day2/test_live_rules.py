"""What a live drill accepts of the `actions:` section (add, remove, replace-controller; the rest
refused, located), and the `spare:` of a replace_controller: checked against the inventory
(located), kept out of the simulated cloud, the same steps run. The live runs themselves:
tests/live/test_live_day2.py."""
import yaml

from twin.inventory import generate_from_spec
from twin.runs import kind, load_scenario, simulate


def loaded_with(tmp_path, schedule, compute=2):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "run": "operations", "inventory": {"generate": {"compute": compute}},
                                    "operations": {"duration_s": 20000},
                                    "actions": {"schedule": schedule}}))
    loaded = load_scenario(path)
    return path, loaded, generate_from_spec(loaded.scenario.inventory.generate.model_dump())


def test_a_live_drill_runs_add_remove_and_replace_and_refuses_the_rest_located(tmp_path):
    path, loaded, _ = loaded_with(tmp_path, [
        {"do": "add_nodes", "nodes": ["compute1"], "at_s": 1},
        {"do": "remove_nodes", "nodes": ["compute0"], "at_s": 1},
        {"do": "replace_controller", "nodes": ["controller1"], "at_s": 1},
        {"do": "backup", "target": "database", "at_s": 1}])
    problems = kind("operations").live_problems(loaded, loaded.scenario)
    assert len(problems) == 1
    p = problems[0]
    assert str(p).startswith(f"{path}:") and p.field.endswith("schedule[3].do") and "backup runs in simulation only" in str(p)


def test_a_spare_must_be_a_row_of_the_inventory_no_action_acts_on(tmp_path):
    path, loaded, inventory = loaded_with(tmp_path, [
        {"do": "replace_controller", "nodes": ["controller1"], "spare": "nosuch", "at_s": 1},
        {"do": "replace_controller", "nodes": ["controller2"], "spare": "compute0", "at_s": 2},
        {"do": "remove_nodes", "nodes": ["compute0"], "at_s": 3}])
    errors, _ = kind("operations").problems(loaded, loaded.scenario, inventory)
    fields = {p.field: p.message for p in errors}
    assert "no inventory row named 'nosuch'" in fields["actions.schedule[0].spare"]
    assert "a node the actions act on" in fields["actions.schedule[1].spare"]
    assert all(str(p).startswith(f"{path}:") for p in errors)


def test_a_spare_stays_out_of_the_simulated_cloud_and_the_replace_runs_the_same_steps(tmp_path):
    _, loaded, inventory = loaded_with(tmp_path, [
        {"do": "replace_controller", "nodes": ["controller1"], "spare": "compute1", "at_s": 100}])
    errors, _ = kind("operations").problems(loaded, loaded.scenario, inventory)
    assert errors == []
    r = simulate(loaded.scenario, inventory, 1)
    planned = set(r.events[(r.events.kind == "node") & (r.events.name == "planned")].subject)
    assert "controller1" in planned and "compute1" not in planned and "compute0" in planned
    a = r.events[(r.events.kind == "action") & (r.events.subject == "replace_controller[0]")]
    assert a.detail.iloc[-1] == "end"
