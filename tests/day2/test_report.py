"""The day-2 part of a run's outputs: the report's actions table and metrics, a failed action's
cause, the digest's line."""
from twin.runs import render_report
from twin.runs.operations import digest


def test_a_failed_action_skips_its_rest_and_the_report_and_digest_say_why(day2, tmp_path):
    r = day2({"schedule": [{"do": "replace_controller", "nodes": ["controller2"], "at_s": 100},
                           {"do": "remove_nodes", "nodes": ["compute1"], "at_s": 200}],
              "figures": {"stack_update_s": 5000}}, timing={"heat_stack_timeout_s": 3600})
    e = r.events[(r.events.kind == "action") & (r.events.subject == "replace_controller[0]")]
    assert list(zip(e.name, e.detail))[:4] == [("action:replace_controller", "start"),
                                               ("forget_cluster_node", "start"), ("forget_cluster_node", "end"),
                                               ("scale_control_to_2", "start")]
    assert list(e.detail)[4:] == ["failed", "skipped", "skipped", "skipped", "skipped", "failed"]
    why = "scale_control_to_2: the stack update timed out after 3600 s"
    assert e.cause.iloc[-1] == why
    assert r.metrics["actions_failed"] == 2 and r.metrics["actions_done"] == 0
    assert r.summary["inventory_deleted"] == []  # the removal failed at its stack update: nothing deleted

    html = render_report(r.events, r.summary)
    section = html[html.index('id="day2"'):]
    assert section.count("<tr><td>replace_controller[0]</td>") == 1 and why in section
    text, code = digest(r.summary, tmp_path)
    assert code == 0 and "day-2: 0 action(s) done, 2 failed" in text


def test_a_live_drill_with_actions_is_refused_located(tmp_path):
    import yaml

    from twin.runs import kind, load_scenario

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "run": "operations", "inventory": {"generate": {"compute": 1}},
                                    "actions": {"schedule": [{"do": "rolling_update", "at_s": 1}]}}))
    loaded = load_scenario(path)
    problems = kind("operations").live_problems(loaded, loaded.scenario)
    assert len(problems) == 1 and "simulation only" in str(problems[0]) and str(problems[0]).startswith(f"{path}:")


def test_a_refused_removal_says_capacity_short_in_the_report_and_the_digest(day2, tmp_path):
    r = day2({"schedule": [{"do": "remove_nodes", "nodes": ["compute1"], "at_s": 100}],
              "compute": {"vms_per_host": 30}}, duration_s=8000)
    html = render_report(r.events, r.summary)
    section = html[html.index('id="day2"'):]
    assert "refused: capacity short: no other host has room for a m1.small" in section
    text, _ = digest(r.summary, tmp_path)
    assert "VMs moved off removed nodes 20, lost 0 (capacity short in 1 removal(s))" in text
