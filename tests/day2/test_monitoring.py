"""Monitoring (check_mk pushing to Icinga on the undercloud): when a failure is noticed, against
the check schedule's arithmetic; blindness while the undercloud is backed up; the notice hook."""
import math

import pytest

from twin.errors import InputError


def windows(r, node):
    """[(down, up)] of a node from the liveness log."""
    out, since = [], None
    for row in r.events[(r.events.kind == "liveness") & (r.events.subject == node)].itertuples():
        if row.name == "down" and since is None:
            since = row.time_s
        elif row.name == "up" and since is not None:
            out.append((since, row.time_s))
            since = None
    return out


def notices(r, node, what="noticed"):
    m = r.events[(r.events.kind == "monitor") & (r.events.subject == node) & (r.events.name == what)]
    return list(zip(m.time_s.astype(float), m.value.astype(float)))


def test_a_failure_is_noticed_at_the_nodes_next_check_on_its_own_phase(day2):
    interval = 3600.0
    r = day2({"monitoring": {"check_interval_s": interval}},
             faults=[{"kind": "node_crash", "node": "compute0", "at_s": 1000, "for_s": 4000},
                     {"kind": "node_crash", "node": "compute0", "at_s": 10000, "for_s": 10},
                     {"kind": "node_crash", "node": "compute0", "at_s": 15000, "for_s": 10}], duration_s=30000)
    (first_t, first_delay), *rest = notices(r, "compute0")
    assert first_delay == pytest.approx(first_t - 1000) and 0 <= first_delay <= interval
    phase = first_t % interval
    noticed_later = {round(t - d, 6) for t, d in rest}
    unnoticed = notices(r, "compute0", "unnoticed")
    for down, up in windows(r, "compute0")[1:]:
        tick = phase + math.ceil((down - phase) / interval) * interval
        if tick < up:  # a check falls inside the outage: noticed at it
            assert round(down, 6) in noticed_later and any(t == pytest.approx(tick) for t, _ in rest)
        else:
            assert any(d == pytest.approx(up - down) for _, d in unnoticed)
    m = r.metrics
    assert m["failures_noticed"] + m["failures_unnoticed"] == 3


def test_monitoring_is_blind_during_the_undercloud_backup_and_notices_after_it(day2):
    r = day2({"schedule": [{"do": "backup", "target": "undercloud", "at_s": 100}],
              "figures": {"backup_overhead_s": 0, "backup_gbps": 1.0, "sizes_gib": {"undercloud": 100.0}}},
             faults=[{"kind": "power_loss", "node": "compute1", "at_s": 200}])
    backup_end = 100 + 100 * 8 * 2**30 / 1e9
    (t, delay), = notices(r, "compute1")
    assert backup_end <= t <= backup_end + 60 and delay == pytest.approx(t - 200)
    blind = r.events[(r.events.kind == "monitor") & (r.events.subject == "icinga")]
    assert list(blind.name) == ["blind", "seeing"]
    assert r.metrics["monitoring_blind_s"] == pytest.approx(backup_end - 100)
    # the hook for the operator's responses
    monitor = r.operations.monitor
    assert monitor.noticed_at("compute1", 0) == t and monitor.noticed_at("compute1", 201) is None


def test_icingas_own_node_is_noticed_by_the_operator_after_the_set_time(day2):
    r = day2({"monitoring": {"icinga_lost_noticed_s": 500}},
             faults=[{"kind": "power_loss", "node": "undercloud", "at_s": 1000}])
    assert notices(r, "undercloud") == [(1500.0, 500.0)]
    assert r.metrics["monitoring_blind_s"] == pytest.approx(20000 - 1000)


def test_a_spare_is_not_watched_until_discovered_after_it_runs(day2):
    r = day2({"schedule": [{"do": "add_nodes", "nodes": ["compute2"], "at_s": 100}],
              "monitoring": {"discovery_s": 1000}})
    up = windows(r, "compute2")
    mon = r.events[(r.events.kind == "monitor") & (r.events.subject == "compute2")]
    assert list(mon.name) == ["discovered"]
    booted = r.events[(r.events.kind == "liveness") & (r.events.subject == "compute2") & (r.events.name == "up")]
    deployed = float(booted.time_s.iloc[-1])  # (the first "up" is the cloud's start, before it became a spare)
    assert float(mon.time_s.iloc[0]) == pytest.approx(deployed + 1000)
    assert up == [(0.0, deployed)]  # off from the start (a spare) until the action deployed it


@pytest.mark.parametrize("action, words", [
    ({"do": "backup", "target": "database", "at_s": 1, "after": "x"}, "exactly one of at_s, after, when"),
    ({"do": "backup", "at_s": 1}, "backup needs a target"),
    ({"do": "replace_controller", "nodes": ["controller0", "controller1"], "at_s": 1}, "one controller"),
    ({"do": "backup", "target": "database", "after": "nothing"}, "`after` names no action"),
    ({"do": "backup", "target": "database", "at_s": 1, "colour": "red"}, "colour"),
])
def test_a_bad_action_is_one_located_error(tmp_path, action, words):
    import yaml

    from twin.runs import load_scenario

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "run": "operations", "inventory": {"generate": {"compute": 1}},
                                    "actions": {"schedule": [action]}}))
    with pytest.raises(InputError) as e:
        load_scenario(path)
    lines = [str(p) for p in e.value.problems]
    assert len(lines) == 1 and words in lines[0] and lines[0].startswith(f"{path}:")


def test_a_node_of_the_wrong_role_is_refused_before_the_run(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    repo = Path(__file__).resolve().parents[2]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "run": "operations", "inventory": {"generate": {"compute": 1}},
                                    "actions": {"schedule": [{"do": "remove_nodes", "nodes": ["controller1"],
                                                              "at_s": 1}]}}))
    p = subprocess.run([sys.executable, "-m", "twin.cli", "run", str(path), "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, check=False, cwd=repo, env={"PYTHONPATH": str(repo), "PATH": "/usr/bin"})
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "actions.schedule[0].nodes[0]: remove_nodes acts on OvercloudCompute or " in p.stderr + p.stdout
    assert not any((tmp_path / "out").glob("*"))  # nothing written
