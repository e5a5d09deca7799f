"""The filter scheduler against Nova's (Juno's) rules, written here from the rules themselves."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from novatest_helpers import cloud, host, scheduler
from twin.cloud.nova.filters import DEFAULT_FILTERS, FILTERS, JUNO_DEFAULT_FILTERS, match_extra_spec
from twin.cloud.nova.flavors import M1_FLAVORS, Catalogue, Flavor
from twin.cloud.nova.request import RequestSpec, ServerGroup
from twin.cloud.nova.weighers import HostWeigher, ram_weigher

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

CAT = Catalogue()
TINY, SMALL, MEDIUM, LARGE, XLARGE = (CAT[n] for n in ("m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"))


def fill(s, hosts, flavor, limit=10_000):
    """Boot `flavor` through the scheduler until refused; returns how many were placed."""
    spec = RequestSpec(flavor)
    n = 0
    while n < limit:
        h = s.select(spec)
        if h is None:
            return n
        h.claim(flavor)
        s.changed(h)
        n += 1
    return n


def test_the_defaults_are_junos_filters_plus_core_disk_and_num_instances():
    assert JUNO_DEFAULT_FILTERS == ("RetryFilter", "AvailabilityZoneFilter", "RamFilter", "ComputeFilter",
                                    "ComputeCapabilitiesFilter", "ImagePropertiesFilter",
                                    "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter")
    assert DEFAULT_FILTERS == JUNO_DEFAULT_FILTERS + ("CoreFilter", "DiskFilter", "NumInstancesFilter")
    assert [(f.name, f.vcpus, f.memory_mb, f.root_gb) for f in M1_FLAVORS] == [
        ("m1.tiny", 1, 512, 1), ("m1.small", 1, 2048, 20), ("m1.medium", 2, 4096, 40),
        ("m1.large", 4, 8192, 80), ("m1.xlarge", 8, 16384, 160)]


# --- RamFilter: usable = total x ratio - used, used including reserved_host_memory_mb -------------
@pytest.mark.parametrize("memory_mb,ratio,reserved", [(4096, 1.5, 512), (131072, 1.5, 512), (8192, 1.0, 0),
                                                     (16384, 2.0, 2048), (3000, 1.0, 512)])
def test_ram_ratio_scales_the_total_and_the_reserve_counts_as_used(memory_mb, ratio, reserved):
    h = host(0, memory_mb=memory_mb, vcpus=1000, local_gb=100000, max_instances=100000,
             ram_allocation_ratio=ratio, reserved_host_memory_mb=reserved)
    s = scheduler([h])
    # Juno RamFilter: memory_mb_limit = total_usable_ram_mb * ram_allocation_ratio;
    # used_ram_mb = total - free_ram_mb, and the resource tracker starts memory_mb_used at the reserve.
    expected = math.floor((memory_mb * ratio - reserved) / TINY.memory_mb)
    assert fill(s, [h], TINY) == expected
    assert s.last_reason == "No valid host was found: RamFilter returned 0 hosts"


def test_the_reserve_is_not_scaled_by_the_ratio():
    h = host(0, memory_mb=4096, ram_allocation_ratio=1.5, reserved_host_memory_mb=512, max_instances=100)
    s = scheduler([h])
    # 4096 x 1.5 - 512 = 5632 MB -> 11 tiny VMs; (4096 - 512) x 1.5 = 5376 would give 10
    assert fill(s, [h], TINY) == 11


def test_one_medium_then_the_rest_in_tiny_on_a_small_host():
    h = host(0, memory_mb=4096, max_instances=100)
    s = scheduler([h])
    assert fill(s, [h], MEDIUM, limit=1) == 1
    assert s.select(RequestSpec(SMALL)) is None  # 5632 - 4096 = 1536 MB left
    assert fill(s, [h], TINY) == 3


def test_core_disk_and_instance_limits():
    # CoreFilter: vcpus x cpu_allocation_ratio (16) - used >= flavor vcpus
    h = host(0, memory_mb=10**7, vcpus=2, local_gb=10**6, max_instances=1000)
    s = scheduler([h])
    assert fill(s, [h], MEDIUM) == 2 * 16 // 2 and "CoreFilter" in s.last_reason
    # DiskFilter: local_gb x 1024 x disk_allocation_ratio (1.0) - used >= 1024 (root + ephemeral) + swap
    h = host(0, memory_mb=10**7, vcpus=1000, local_gb=100, max_instances=1000)
    s = scheduler([h])
    assert fill(s, [h], SMALL) == 5 and "DiskFilter" in s.last_reason
    # NumInstancesFilter: num_instances < max_instances_per_host (Helion: 40)
    h = host(0, memory_mb=10**7, vcpus=1000, local_gb=10**6, max_instances=40)
    s = scheduler([h])
    assert fill(s, [h], TINY) == 40 and "NumInstancesFilter" in s.last_reason


def test_core_filter_passes_a_host_that_reports_no_vcpus():
    h = host(0, vcpus=0)
    assert FILTERS["CoreFilter"].host_passes(h, RequestSpec(XLARGE))


def test_disk_filter_asks_for_swap_but_a_vm_uses_root_and_ephemeral():
    f = Flavor("swappy", vcpus=1, memory_mb=512, root_gb=10, ephemeral_gb=5, swap_mb=1024)
    assert (f.requested_disk_mb, f.disk_mb) == (1024 * 15 + 1024, 1024 * 15)
    h = host(0, local_gb=16)
    assert FILTERS["DiskFilter"].host_passes(h, RequestSpec(f))  # 16384 >= 16384
    h.claim(f)
    assert h.free_disk_mb == 1024


# --- refusal after the filters, naming the filter ----------------------------------------------------
def test_a_request_that_fits_no_host_is_refused_naming_the_first_filter_that_left_none():
    a = host(0, memory_mb=2048)  # RamFilter refuses m1.large (2048 x 1.5 - 512 < 8192)
    s = scheduler([a, host(1, memory_mb=4096)])
    assert s.select(RequestSpec(LARGE)) is None
    assert s.last_reason == "No valid host was found: RamFilter returned 0 hosts"
    b = host(1)  # passes RamFilter, but it is down: ComputeFilter (after RamFilter) refuses it
    b.service_up = False
    s = scheduler([a, b])
    assert s.select(RequestSpec(LARGE)) is None
    assert s.last_reason == "No valid host was found: ComputeFilter returned 0 hosts"
    c = host(2, vcpus=1)  # 1 x 16 vCPUs: two xlarge (8 each), then CoreFilter refuses it
    s = scheduler([a, b, c])
    for _ in range(2):
        h = s.select(RequestSpec(XLARGE))
        assert h is c
        h.claim(XLARGE)
        s.changed(h)
    assert s.select(RequestSpec(XLARGE)) is None
    assert s.last_reason == "No valid host was found: CoreFilter returned 0 hosts"


def test_a_disabled_or_failed_host_is_never_chosen():
    a, b = host(0), host(1)
    s = scheduler([a, b])
    a.enabled = False
    s.changed(a)
    assert s.select(RequestSpec(SMALL)) is b
    b.service_up = False
    s.changed(b)
    assert s.select(RequestSpec(SMALL)) is None and "ComputeFilter" in s.last_reason


# --- weighing ---------------------------------------------------------------------------------------
def test_spread_goes_round_the_hosts_and_stack_fills_one_first():
    spread_hosts = [host(i) for i in range(3)]
    s = scheduler(spread_hosts, multiplier=1.0)
    chosen = []
    for _ in range(6):
        h = s.select(RequestSpec(SMALL))
        h.claim(SMALL)
        s.changed(h)
        chosen.append(h.name)
    assert chosen == ["compute0", "compute1", "compute2"] * 2  # most free RAM first, ties in host order

    stack_hosts = [host(i, max_instances=4) for i in range(3)]
    s = scheduler(stack_hosts, multiplier=-1.0)
    chosen = []
    for _ in range(6):
        h = s.select(RequestSpec(SMALL))
        h.claim(SMALL)
        s.changed(h)
        chosen.append(h.name)
    assert chosen == ["compute0"] * 4 + ["compute1"] * 2  # least free RAM first, until full


def test_spread_and_stack_pick_the_most_and_least_free_host_that_fits():
    hosts = [host(0, memory_mb=65536), host(1, memory_mb=131072), host(2, memory_mb=9000)]
    assert scheduler(hosts, 1.0).select(RequestSpec(MEDIUM)).name == "compute1"
    assert scheduler(hosts, -1.0).select(RequestSpec(MEDIUM)).name == "compute2"
    # compute2 cannot take an xlarge (9000 x 1.5 - 512 < 16384): stacking picks the next least free
    assert scheduler(hosts, -1.0).select(RequestSpec(XLARGE)).name == "compute0"
    assert scheduler(hosts, 0.0).select(RequestSpec(MEDIUM)).name == "compute0"  # no weight: host order


def test_two_weighers_are_normalised_then_summed():
    hosts = [host(0, memory_mb=10000), host(1, memory_mb=20000), host(2, memory_mb=30000)]
    fewest = HostWeigher("FewVcpus", lambda h: float(-h.vcpus_total), 3.0)
    hosts[2].vcpus_total = 48  # most RAM but most vCPUs
    s = scheduler(hosts, weighers=[ram_weigher(1.0), fewest])
    # normalised RAM: 0, .5, 1; normalised -vcpus: 1, 1, 0 (x3): totals 3, 3.5, 1
    assert not s.fast and s.select(RequestSpec(TINY)).name == "compute1"


def test_host_subset_size_picks_at_random_among_the_best():
    hosts = [host(i, memory_mb=100000 + 1000 * i) for i in range(6)]
    s = scheduler(hosts, subset=3, rng=np.random.default_rng(7))
    seen = {s.select(RequestSpec(TINY)).name for _ in range(200)}
    assert seen == {"compute5", "compute4", "compute3"}


# --- the other filters ------------------------------------------------------------------------------
def test_availability_zone_capabilities_image_properties_and_retry():
    a = host(0, availability_zone="az1", capabilities={"ssd": "true", "gpus": "2"})
    b = host(1, hypervisor_type="VMware vCenter Server")
    s = scheduler([a, b])
    assert s.select(RequestSpec(TINY, availability_zone="az1")) is a
    assert s.select(RequestSpec(TINY, availability_zone="nova")) is b
    assert s.select(RequestSpec(TINY, availability_zone="az9")) is None
    assert "AvailabilityZoneFilter" in s.last_reason
    ssd = Flavor("ssd", 1, 512, 1, extra_specs=(("capabilities:ssd", "true"),))
    assert s.select(RequestSpec(ssd)) is a
    gpu = Flavor("gpu", 1, 512, 1, extra_specs=(("gpus", ">= 3"),))
    assert s.select(RequestSpec(gpu)) is None and "ComputeCapabilitiesFilter" in s.last_reason
    other_scope = Flavor("quota", 1, 512, 1, extra_specs=(("quota:disk_read_bytes_sec", "1"),))
    assert s.select(RequestSpec(other_scope)) is a  # another filter's scope is ignored; most free RAM... tie: a
    assert s.select(RequestSpec(TINY, image_properties={"hypervisor_type": "vmware"})) is b
    assert s.select(RequestSpec(TINY, image_properties={"hypervisor_type": "kvm"})) is a
    assert s.select(RequestSpec(TINY, image_properties={"architecture": "armv7l"})) is None
    assert s.select(RequestSpec(TINY).retried("compute0")) is b
    assert s.select(RequestSpec(TINY).retried("compute0").retried("compute1")) is None
    assert "RetryFilter" in s.last_reason


def test_extra_spec_operators():
    assert match_extra_spec("2", "2") and not match_extra_spec("2", "3")
    assert match_extra_spec("4", "= 2") and not match_extra_spec("1", "= 2")  # "=" means at least
    assert match_extra_spec("4", "<= 4") and match_extra_spec("4", "== 4") and match_extra_spec("4", "!= 5")
    assert match_extra_spec("a", "s== a") and match_extra_spec("a", "s!= b")
    assert match_extra_spec("x", "<or> y <or> x") and not match_extra_spec("z", "<or> y <or> x")
    assert not match_extra_spec("fast", ">= 2")


def test_server_groups():
    hosts = [host(i) for i in range(3)]
    s = scheduler(hosts)
    anti = ServerGroup("web", "anti-affinity")
    placed = []
    for _ in range(3):
        h = s.select(RequestSpec(TINY, group=anti))
        h.claim(TINY)
        s.changed(h)
        anti.add(h.name)
        placed.append(h.name)
    assert sorted(placed) == ["compute0", "compute1", "compute2"]
    assert s.select(RequestSpec(TINY, group=anti)) is None
    assert "ServerGroupAntiAffinityFilter" in s.last_reason
    together = ServerGroup("db", "affinity")
    first = s.select(RequestSpec(TINY, group=together))
    together.add(first.name)
    for _ in range(3):
        h = s.select(RequestSpec(TINY, group=together))
        assert h is first
        h.claim(TINY)
        s.changed(h)


# --- the fast path is Juno's algorithm ----------------------------------------------------------------
host_state = st.fixed_dictionaries({
    "memory_mb": st.sampled_from([2048, 4096, 8192, 65536, 131072]),
    "vcpus": st.integers(0, 32), "local_gb": st.sampled_from([10, 100, 2048]),
    "max_instances": st.integers(1, 50), "used": st.lists(st.sampled_from(range(5)), max_size=30),
    "up": st.booleans(), "enabled": st.booleans(), "az": st.sampled_from(["nova", "az1"]),
    "ssd": st.sampled_from([None, "true", "false"]),
})
request = st.fixed_dictionaries({
    "flavor": st.sampled_from(range(5)), "az": st.sampled_from([None, "nova", "az1"]),
    "ssd": st.booleans(), "group": st.sampled_from([None, "anti-affinity", "affinity"]),
    "group_hosts": st.sets(st.integers(0, 7), max_size=3), "retry": st.sets(st.integers(0, 7), max_size=3),
    "ignore": st.sets(st.integers(0, 7), max_size=2),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(states=st.lists(host_state, min_size=1, max_size=8), requests=st.lists(request, min_size=1, max_size=6),
       multiplier=st.sampled_from([1.0, -1.0, 0.0, 2.5]), subset=st.integers(1, 3))
def test_the_fast_path_chooses_what_junos_algorithm_chooses(states, requests, multiplier, subset):
    hosts = []
    for i, d in enumerate(states):
        h = host(i, memory_mb=d["memory_mb"], vcpus=d["vcpus"], local_gb=d["local_gb"],
                 max_instances=d["max_instances"], availability_zone=d["az"],
                 capabilities={"ssd": d["ssd"]} if d["ssd"] else None)
        for k in d["used"]:
            h.claim(M1_FLAVORS[k])
        h.service_up, h.enabled = d["up"], d["enabled"]
        hosts.append(h)
    fast = scheduler(hosts, multiplier, subset=subset, rng=np.random.default_rng(3))
    slow = scheduler(hosts, multiplier, subset=subset, rng=np.random.default_rng(3))
    ssd = Flavor("ssd", 1, 512, 1, extra_specs=(("capabilities:ssd", "true"),))
    for r in requests:
        flavor = ssd if r["ssd"] else CAT.flavors[r["flavor"]]
        group = None
        if r["group"]:
            group = ServerGroup("g", r["group"])
            for i in r["group_hosts"]:
                group.add(f"compute{i}")
        spec = RequestSpec(flavor, availability_zone=r["az"], group=group,
                           retry_hosts=frozenset(f"compute{i}" for i in r["retry"]),
                           ignore_hosts=frozenset(f"compute{i}" for i in r["ignore"]))
        got = fast.select(spec)
        want, reason = slow.select_nova(spec)
        assert got is want
        if got is None:
            assert fast.last_reason == reason
        else:  # place it, so the next request sees a changed cloud
            got.claim(flavor)
            fast.changed(got)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(st.sampled_from(["boot", "boot", "boot", "delete", "resize", "migrate", "fail",
                                                "recover"]),
                              st.integers(0, 4), st.integers(0, 10**6)), min_size=1, max_size=120),
       n_hosts=st.integers(1, 4), limit=st.integers(1, 6), multiplier=st.sampled_from([1.0, -1.0]))
def test_no_host_ever_exceeds_its_instance_limit_or_its_resources(ops, n_hosts, limit, multiplier):
    hosts = [host(i, memory_mb=16384, vcpus=4, local_gb=400, max_instances=limit) for i in range(n_hosts)]
    w, c = cloud(hosts, multiplier=multiplier)
    vms = []
    for op, k, pick in ops:
        if op == "boot":
            vm = c.boot(0, RequestSpec(CAT.flavors[k]))
            if vm is not None:
                vms.append(vm)
        elif vms:
            vm = vms[pick % len(vms)]
            if op == "delete":
                c.delete(vm)
            elif op == "resize":
                c.resize(vm, CAT.flavors[k])
            elif op == "migrate":
                w.process(c.live_migrate(vm))
                w.run()
            elif op == "fail":
                c.host_failed(hosts[pick % n_hosts].name)
            elif op == "recover":
                c.host_recovered(hosts[pick % n_hosts].name)
        for h in hosts:
            assert 0 <= h.num_instances <= h.max_instances
            assert h.num_instances == len(h.vms)
            assert h.usable_ram_mb >= 0 and h.vcpus_limit - h.vcpus_used >= 0 and h.usable_disk_mb >= 0


def test_a_refused_request_is_tried_again_once_any_host_changes():
    a = host(0, max_instances=1)
    s = scheduler([a])
    spec = RequestSpec(TINY)
    assert s.select(spec) is a
    a.claim(TINY)
    s.changed(a)
    assert s.select(spec) is None and s.select(spec) is None  # the second answer comes from the first
    assert "NumInstancesFilter" in s.last_reason
    a.release(TINY)
    s.changed(a)
    assert s.select(spec) is a
