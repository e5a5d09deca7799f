"""The cloud's VM lifecycle and failures: boot, delete, resize, suspend/resume, snapshot,
live migration, evacuation, loss, maintenance, quotas, retries; and the log replays to the hosts."""
import numpy as np
import pytest

from novatest_helpers import cloud, host
from twin.cloud.nova import log as L
from twin.cloud.nova.cloud import ACTIVE, DOWN, LOST, SUSPENDED, NovaSettings
from twin.cloud.nova.flavors import Catalogue
from twin.cloud.nova.quotas import QuotaBook
from twin.cloud.nova.request import RequestSpec
from twin.scenario.distributions import fixed

CAT = Catalogue()
TINY, SMALL, MEDIUM, LARGE = (CAT[n] for n in ("m1.tiny", "m1.small", "m1.medium", "m1.large"))


def actions(c):
    return [L.ACTIONS[a] for a in c.log.arrays()["action"]]


def replayed_usage(c):
    """Each host's (instances, MB, vCPUs) from the log's deltas alone."""
    a = c.log.arrays()
    out = {h.name: [0, 0, 0] for h in c.hosts}
    for act, fl, h in zip(a["action"], a["flavor"], a["host"]):
        d = int(L.DELTA[act])
        if d and h >= 0:
            f = CAT.flavors[fl]
            u = out[c.hosts[h].name]
            u[0] += d
            u[1] += d * f.memory_mb
            u[2] += d * f.vcpus
    return out


def assert_log_replays(c):
    for h in c.hosts:
        assert replayed_usage(c)[h.name] == [h.num_instances, h.instance_ram_mb, h.vcpus_used]


def test_boot_and_delete_at_end_of_life():
    w, c = cloud([host(0), host(1)])
    vm = c.boot(0, RequestSpec(SMALL), lifetime_s=100.0)
    assert vm.state == ACTIVE and vm.host.name == "compute0"
    w.run(until=99.0)
    assert vm.host.num_instances == 1
    w.run(until=101.0)
    assert vm.state == "deleted" and c.hosts[0].num_instances == 0
    assert actions(c) == ["boot", "delete"]
    assert_log_replays(c)


def test_resize_moves_to_another_host_and_changes_the_claim():
    w, c = cloud([host(0), host(1)])
    vm = c.boot(0, RequestSpec(SMALL))
    assert c.resize(vm, LARGE)
    assert vm.host.name == "compute1" and vm.flavor is LARGE  # allow_resize_to_same_host = False
    assert c.hosts[0].num_instances == 0 and c.hosts[1].vcpus_used == 4
    assert actions(c) == ["boot", "resize", "resize-from"]
    w2, c2 = cloud([host(0)])
    vm2 = c2.boot(0, RequestSpec(SMALL))
    assert not c2.resize(vm2, LARGE) and vm2.flavor is SMALL  # no other host
    assert actions(c2)[-1] == "resize-failed"
    assert_log_replays(c)


def test_suspend_keeps_resources_and_snapshot_stores_an_image():
    w, c = cloud([host(0)])
    vm = c.boot(0, RequestSpec(MEDIUM))
    assert c.suspend(vm) and vm.state == SUSPENDED
    assert c.hosts[0].vcpus_used == 2  # Nova keeps a suspended VM's resources
    assert not c.suspend(vm) and c.resume(vm) and vm.state == ACTIVE
    image = c.snapshot(vm)
    assert image.size_gib == MEDIUM.root_gb * 0.5 and c.images == [image]
    df = c.log.frame(["t"], CAT.names(), ["compute0"])
    assert df[df.name == "snapshot"].value.tolist() == [20.0]


def test_live_migration_holds_both_hosts_until_it_ends():
    hosts = [host(0), host(1)]
    w, c = cloud(hosts, settings=NovaSettings(live_migration_s=fixed(30.0)))
    vm = c.boot(0, RequestSpec(LARGE))
    done = w.process(c.live_migrate(vm))
    w.run(until=10.0)
    assert hosts[0].num_instances == 1 and hosts[1].num_instances == 1 and vm.state == "migrating"
    w.run(until=done)
    assert done.value is True and vm.host is hosts[1] and hosts[0].num_instances == 0
    assert actions(c) == ["boot", "migrate", "migrate-from"]
    assert_log_replays(c)


def test_deleting_a_migrating_vm_releases_both_claims():
    hosts = [host(0), host(1)]
    w, c = cloud(hosts, settings=NovaSettings(live_migration_s=fixed(30.0)))
    vm = c.boot(0, RequestSpec(LARGE))
    done = w.process(c.live_migrate(vm))
    w.run(until=10.0)
    c.delete(vm)
    w.run(until=done)
    assert done.value is False and all(h.num_instances == 0 for h in hosts)
    assert_log_replays(c)


def test_a_failed_host_is_evacuated_where_there_is_room_and_the_rest_is_lost():
    hosts = [host(0, max_instances=3), host(1, max_instances=2)]
    w, c = cloud(hosts, settings=NovaSettings(evacuate_after_s=300.0, live_migration_s=None), multiplier=-1.0)
    vms = [c.boot(0, RequestSpec(TINY)) for _ in range(3)]  # stack: all on compute0
    assert {vm.host.name for vm in vms} == {"compute0"}
    c.host_failed("compute0", "power loss")
    assert all(vm.state == DOWN for vm in vms)
    assert c.boot(0, RequestSpec(TINY)).host.name == "compute1"  # the failed host takes nothing
    w.run(until=301.0)
    assert [vm.state for vm in vms] == [ACTIVE, LOST, LOST]  # one slot left on compute1: oldest first
    assert vms[0].host.name == "compute1" and hosts[0].num_instances == 0
    names = actions(c)
    assert names[:7] == ["boot"] * 3 + ["down"] * 3 + ["boot"]
    assert names.count("evacuate") == 1 and names.count("lost") == 2
    assert_log_replays(c)
    c.host_recovered("compute0")
    assert c.boot(0, RequestSpec(TINY)).host.name == "compute0"


def test_without_evacuation_vms_wait_for_their_host():
    hosts = [host(0), host(1)]
    w, c = cloud(hosts, settings=NovaSettings(evacuate_on_host_failure=False))
    vm = c.boot(0, RequestSpec(TINY))
    c.host_failed("compute0")
    w.run(until=3600.0)
    assert vm.state == DOWN and vm.host is hosts[0]
    c.host_recovered("compute0")
    assert vm.state == ACTIVE and actions(c) == ["boot", "down", "up"]


def test_evacuation_is_skipped_when_the_host_comes_back_first():
    w, c = cloud([host(0), host(1)], settings=NovaSettings(evacuate_after_s=300.0))
    vm = c.boot(0, RequestSpec(TINY))
    c.host_failed("compute0")
    w.run(until=100.0)
    c.host_recovered("compute0")
    w.run(until=400.0)
    assert vm.state == ACTIVE and vm.host.name == "compute0"


def test_maintenance_drains_by_live_migration_and_reenables():
    hosts = [host(0), host(1), host(2, max_instances=1)]
    w, c = cloud(hosts, settings=NovaSettings(live_migration_s=fixed(60.0)))
    vms = [c.boot(0, RequestSpec(SMALL)) for _ in range(5)]  # spread over 3 hosts
    on0 = [vm for vm in vms if vm.host is hosts[0]]
    done = w.process(c.maintain("compute0", 3600.0))
    w.run(until=1000.0)
    assert hosts[0].num_instances == 0 and not hosts[0].enabled
    assert all(vm.host is not hosts[0] for vm in on0)
    w.run(until=done)
    assert hosts[0].enabled
    events = w.recorder.frame()
    assert list(events[events.kind == "host"].name) == ["disabled", "drained", "maintenance-start",
                                                         "maintenance-end", "enabled"]
    assert_log_replays(c)


def test_a_drain_that_cannot_move_everything_says_how_many_stayed():
    hosts = [host(0), host(1, max_instances=1)]
    w, c = cloud(hosts, settings=NovaSettings(live_migration_s=None), multiplier=-1.0)
    for _ in range(3):
        c.boot(0, RequestSpec(SMALL))
    done = w.process(c.drain("compute0"))
    w.run(until=done)
    assert done.value == 2 and hosts[0].num_instances == 2
    assert actions(c).count("migrate-failed") == 2


def test_quotas_refuse_before_the_scheduler():
    quotas = QuotaBook(["a", "b"], default=(2, 20, 51200), per_tenant={"b": (-1, 3, -1)})
    w, c = cloud([host(0)], tenants=("a", "b"), quotas=quotas)
    assert c.boot(0, RequestSpec(TINY)) and c.boot(0, RequestSpec(TINY))
    assert c.boot(0, RequestSpec(TINY)) is None
    assert c.log.reasons[c.log.arrays()["reason"][-1]] == "Quota exceeded for instances"
    vm = c.boot(1, RequestSpec(MEDIUM))
    assert c.boot(1, RequestSpec(MEDIUM)) is None  # 2 + 2 cores > 3
    c.delete(vm)
    assert c.boot(1, RequestSpec(MEDIUM)) is not None
    assert quotas.usage[1] == [1, 2, 4096]


def test_build_failures_are_retried_on_other_hosts_up_to_max_attempts():
    settings = NovaSettings(build_failure_probability=1.0, scheduler_max_attempts=3)
    w, c = cloud([host(i) for i in range(4)], settings=settings)
    assert c.boot(0, RequestSpec(TINY)) is None
    a = c.log.arrays()
    assert [L.ACTIONS[x] for x in a["action"]] == ["build-retry"] * 3 + ["failed"]
    assert len(set(a["host"][:3].tolist())) == 3  # RetryFilter: a new host each attempt
    w, c = cloud([host(0)], settings=NovaSettings(build_failure_probability=1.0))
    assert c.boot(0, RequestSpec(TINY)) is None
    assert actions(c) == ["build-retry", "blocked"]
    assert "RetryFilter" in c.log.reasons[-1]


@pytest.mark.parametrize("seed", [1, 2])
def test_same_seed_same_log(seed):
    def one():
        w, c = cloud([host(0), host(1)], seed=seed,
                     settings=NovaSettings(build_failure_probability=0.3, live_migration_s=fixed(5.0)))
        rng = np.random.default_rng(seed)
        for i in range(200):
            c.boot(0, RequestSpec(CAT.flavors[int(rng.integers(4))]), lifetime_s=float(rng.exponential(50)))
            w.run(until=w.now + float(rng.exponential(1)))
        return {k: v.tolist() for k, v in c.log.arrays().items()}

    assert one() == one()
