"""Resync on the shared management network against closed-form times, the link's cancel, and
the dangerous case: a second failure while a node resyncs.

Truth is computed here from the scenario's figures and the log's liveness times: the bytes a
node owes (volumes x write rate x time away while the volumes took writes x its share 2/3 for
NR-10 on 3 nodes), and finish times of max-min fair sharing worked out by hand."""
import pytest
import simpy
from vsa_harness import vsa_world

from twin.cloud.vsa.metrics import vsa_metrics
from twin.cloud.vsa.resync import ClusterResync
from twin.sim.network import SharedLink

GBPS, MIB, GIB = 1e9, 1024.0 ** 2, 1024.0 ** 3
VOLUMES, RATE_MIB_S = 10, 1.0


def times(events, kind, subject, name):
    rows = events[(events.kind == kind) & (events.subject == subject) & (events.name == name) & (events.time_s > 0)]
    return rows.time_s.to_list(), rows.value.to_list()


def one_node_away(storage=None, network=None, counts=None, more_faults=()):
    storage = {"write_rate_mib_s": RATE_MIB_S, "clusters": [{"name": "c", "volumes": {"count": VOLUMES}}],
               **(storage or {})}
    faults = [{"kind": "node_crash", "node": "vsa0", "at_s": 100, "for_s": 1000}, *more_faults]
    return vsa_world(3, storage=storage, network=network, faults=faults, counts=counts)


def owed_bytes(events) -> float:
    (down,), _ = times(events, "liveness", "vsa0", "down")
    (up,), _ = times(events, "liveness", "vsa0", "up")
    return VOLUMES * RATE_MIB_S * MIB * (up - down) * 2 / 3


def test_resync_alone_takes_data_over_bandwidth():
    run = one_node_away(storage={"resync_gbps": 1.0})
    events = run.finish(3600)
    (start,), (nbytes,) = times(events, "vsa_resync", "c/vsa0", "start")
    (end,), (moved,) = times(events, "vsa_resync", "c/vsa0", "end")
    assert nbytes == pytest.approx(owed_bytes(events)) and moved == pytest.approx(nbytes)
    assert end - start == pytest.approx(nbytes * 8 / (1.0 * GBPS))  # the cluster cap binds (link 10, NIC 10)
    metrics = vsa_metrics(events)
    assert metrics["resync_s_max"] == pytest.approx(end - start)
    assert metrics["resync_gib"] == pytest.approx(nbytes / GIB)
    # degraded from the crash to the end of the resync, never offline
    (down,), _ = times(events, "liveness", "vsa0", "down")
    assert metrics["degraded_s_vsa_c"] == pytest.approx(end - down)
    assert metrics["availability_vsa_c"] == pytest.approx(1.0)


def test_a_slow_nic_caps_the_resync():
    run = one_node_away(storage={"resync_gbps": 5.0}, network={"nic_gbps": 0.5})
    events = run.finish(3600)
    (start,), (nbytes,) = times(events, "vsa_resync", "c/vsa0", "start")
    (end,), _ = times(events, "vsa_resync", "c/vsa0", "end")
    assert end - start == pytest.approx(nbytes * 8 / (0.5 * GBPS))


@pytest.mark.parametrize("image_gib", [0.5, 10.0])
def test_resync_stretches_under_a_pxe_image_write_on_the_same_link(image_gib):
    # 1 Gb/s management link, resync cap 1 Gb/s, the image writer's NIC 10 Gb/s: while both run
    # each gets 0.5 Gb/s (max-min); the one left alone then gets the whole 1 Gb/s.
    run = one_node_away(storage={"resync_gbps": 1.0}, network={"management_gbps": 1.0, "image_gib": image_gib},
                        counts={"compute": 1})
    link, machine = run.world.hardware.link, run.world.hardware.machines["compute0"]
    image_done = []

    def write_image_when_vsa0_returns(cause):
        if "vsa0 booted" in cause and not image_done:
            image_done.append(None)
            event = link.transfer(image_gib * GIB, machine.nic_bps())  # as twin/sim/pxe.py writes an image
            event.callbacks.append(lambda e: image_done.append(run.world.now))

    run.targets.watch(write_image_when_vsa0_returns)
    events = run.finish(7200)
    (start,), (d,) = times(events, "vsa_resync", "c/vsa0", "start")
    (end,), _ = times(events, "vsa_resync", "c/vsa0", "end")
    i = image_gib * GIB
    shared = min(d, i) * 8 / (0.5 * GBPS)  # both at 0.5 Gb/s until the smaller is done
    rest = abs(d - i) * 8 / (1.0 * GBPS)
    assert d > 1e9  # the resync is long enough to overlap
    if d > i:
        assert image_done[1] - start == pytest.approx(shared)
        assert end - start == pytest.approx(shared + rest)
    else:
        assert end - start == pytest.approx(shared)
        assert image_done[1] - start == pytest.approx(shared + rest)
    # stretched against the alone time by exactly the image's bytes it had to share the link with
    assert (end - start) - d * 8 / (1.0 * GBPS) == pytest.approx(min(d, i) * 8 / (1.0 * GBPS))


def test_the_links_cancel_returns_what_was_delivered_and_frees_the_bandwidth():
    env = simpy.Environment()
    link = SharedLink(env, 10 * GBPS)
    a = link.transfer(1.25e9, 10 * GBPS)  # 10 Gbit each
    b = link.transfer(1.25e9, 10 * GBPS)
    delivered, b_done = [], []
    b.callbacks.append(lambda e: b_done.append(env.now))

    def cancel_a():
        yield env.timeout(0.5)  # both at 5 Gb/s: 2.5 Gbit each so far
        delivered.append(link.cancel(a))

    env.process(cancel_a())
    env.run()
    assert delivered == [pytest.approx(2.5e9 / 8)]
    assert not a.triggered
    # b: 2.5 Gbit by 0.5 s, then the remaining 7.5 Gbit alone at 10 Gb/s
    assert b_done == [pytest.approx(0.5 + 0.75)]
    assert link.cancel(b) == 0.0  # complete: nothing to stop


def test_concurrent_resyncs_of_a_cluster_share_its_cap():
    env = simpy.Environment()
    link = SharedLink(env, 100 * GBPS)
    resync = ClusterResync(link, 1 * GBPS)
    done = {}
    size = 1.25e8  # 1 Gbit
    resync.start("a", size, lambda moved: done.setdefault("a", (env.now, moved)))

    def second():
        yield env.timeout(0.5)  # a has 0.5 Gbit left; then 0.5 Gb/s each
        resync.start("b", size, lambda moved: done.setdefault("b", (env.now, moved)))

    env.process(second())
    env.run()
    assert done["a"][0] == pytest.approx(1.5)  # 0.5 Gbit at 0.5 Gb/s
    assert done["b"][0] == pytest.approx(2.0)  # 0.5 Gbit by 1.5 s, then 0.5 Gbit alone at 1 Gb/s
    assert done["a"][1] == size and done["b"][1] == size


def test_a_second_failure_during_the_resync_takes_the_volumes_offline_until_the_newest_copy_returns():
    # vsa0 returns at ~1100 s and owes ~6.5 GiB at 0.01 Gb/s: it resyncs for hours. vsa1 crashes at
    # 2000 s: stripe vsa0-vsa1 has only a stale copy present -> offline, the resync stops (no
    # readable source) and keeps what it moved. vsa1 held the newest data and took no writes
    # while away (the volumes were offline): when it returns they are degraded, and vsa0's resync
    # resumes with what it still owes.
    run = one_node_away(storage={"resync_gbps": 0.01},
                        more_faults=[{"kind": "node_crash", "node": "vsa1", "at_s": 2000, "for_s": 1000}])
    events = run.finish(86400)
    starts, owed = times(events, "vsa_resync", "c/vsa0", "start")
    (cut,), (moved,) = times(events, "vsa_resync", "c/vsa0", "interrupted")
    (end,), _ = times(events, "vsa_resync", "c/vsa0", "end")
    (v1_down,), _ = times(events, "liveness", "vsa1", "down")
    (v1_up,), _ = times(events, "liveness", "vsa1", "up")
    assert cut == v1_down and moved == pytest.approx((cut - starts[0]) * 0.01 * GBPS / 8)
    assert starts[1] == v1_up and owed[1] == pytest.approx(owed[0] - moved)
    assert end - starts[1] == pytest.approx(owed[1] * 8 / (0.01 * GBPS))
    state = events[events.kind == "vsa_volumes"][["time_s", "name"]].itertuples(index=False)
    assert [(t, s) for t, s in state if t > 0] == [
        (pytest.approx(100.0), "degraded"), (v1_down, "offline"), (v1_up, "degraded"), (end, "online")]
    metrics = vsa_metrics(events)
    assert metrics["availability_vsa_c"] == pytest.approx(1 - (v1_up - v1_down) / 86400)
    assert metrics["resyncs_interrupted"] == 1 and metrics["volumes_lost_vsa_c"] == 0


def test_a_disk_failure_of_the_only_current_copy_during_the_resync_loses_the_volumes():
    run = one_node_away(storage={"resync_gbps": 0.01, "restore_s": 3600},
                        more_faults=[{"kind": "disk_failure", "node": "vsa1", "at_s": 2000, "for_s": 1000}])
    events = run.finish(86400)
    lost = events[(events.kind == "vsa_volumes") & (events.name == "lost")]
    assert lost.time_s.to_list() == [2000.0]
    metrics = vsa_metrics(events)
    assert metrics["volumes_lost_vsa_c"] == VOLUMES
    # restored from backup an hour later, onto the nodes present then (vsa0 and vsa2)
    after = events[(events.kind == "vsa_volumes") & (events.time_s > 2000)]
    assert after.time_s.iloc[0] == pytest.approx(5600.0) and after.name.iloc[0] == "degraded"
    # vsa1 comes back with a new disk and rebuilds its whole share
    rebuild = events[(events.kind == "vsa_resync") & (events.subject == "c/vsa1") & (events.name == "start")]
    assert rebuild.detail.to_list() == ["rebuild"]
