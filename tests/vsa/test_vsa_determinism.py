"""Same scenario and seed, same event log byte for byte (stochastic crashes, disk failures, resyncs)."""
from vsa_harness import vsa_world

from twin.record.recorder import write_events

FAULTS = [{"kind": "node_crash", "nodes": ["vsa0", "vsa1", "vsa2", "vsa3"], "ttf": {"dist": "exponential", "mean": 86400},
           "ttr": {"dist": "exponential", "mean": 7200}},
          {"kind": "disk_failure", "node": "vsa2", "at_s": 200000, "for_s": 3600}]

def log_bytes(seed, tmp_path):
    run = vsa_world(4, storage={"virtual_manager_start_s": 600}, faults=FAULTS, seed=seed)
    events = run.finish(10 * 86400)
    path = tmp_path / f"events-{seed}-{len(list(tmp_path.iterdir()))}.parquet"
    write_events(events, path)
    return path.read_bytes(), events

def test_same_seed_same_log(tmp_path):
    a, events = log_bytes(7, tmp_path)
    b, _ = log_bytes(7, tmp_path)
    c, _ = log_bytes(8, tmp_path)
    assert a == b and a != c
    assert (events.kind == "vsa_resync").sum() > 5
