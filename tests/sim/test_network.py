"""The shared management network: concurrent transfers share bandwidth (max-min fair),
checked against closed-form finish times."""
import pytest
import simpy

from twin.sim.network import SharedLink

GBPS = 1e9


def finish_times(starts_sizes_caps, capacity_bps):
    env = simpy.Environment()
    link = SharedLink(env, capacity_bps)
    done = {}

    def flow(i, start, size, cap):
        yield env.timeout(start)
        yield link.transfer(size, cap)
        done[i] = env.now

    for i, (start, size, cap) in enumerate(starts_sizes_caps):
        env.process(flow(i, start, size, cap))
    env.run()
    return [done[i] for i in range(len(starts_sizes_caps))]


def test_one_transfer_runs_at_the_slower_of_link_and_nic():
    size = 1.25e9  # bytes = 10 Gbit
    assert finish_times([(0, size, 10 * GBPS)], 10 * GBPS) == pytest.approx([1.0])
    assert finish_times([(0, size, 1 * GBPS)], 10 * GBPS) == pytest.approx([10.0])


def test_n_equal_concurrent_transfers_share_the_link_equally():
    n, size = 8, 1.25e9
    times = finish_times([(0, size, 10 * GBPS)] * n, 10 * GBPS)
    assert times == pytest.approx([n * 1.0] * n)  # each gets 1/n: all finish at n x alone


def test_a_capped_flow_gets_its_cap_and_the_others_split_the_rest():
    # 10 Gb/s link; one 100 Mb/s NIC and two 10 GbE NICs, 1.25 GB each.
    size = 1.25e9
    times = finish_times([(0, size, 0.1 * GBPS), (0, size, 10 * GBPS), (0, size, 10 * GBPS)], 10 * GBPS)
    fast = 10e9 / (4.95e9)  # each fast flow gets (10 - 0.1) / 2 Gb/s
    assert times[1] == pytest.approx(fast) and times[2] == pytest.approx(fast)
    # the slow flow ran at 0.1 Gb/s throughout (its cap is below any fair share)
    assert times[0] == pytest.approx(100.0)


def test_a_late_arrival_slows_the_flow_already_running():
    # A: 10 Gbit alone from t=0; B: 10 Gbit from t=0.5. A has 5 Gbit left at 0.5, then 5 Gb/s each:
    # A ends at 0.5 + 1 = 1.5; B then has 5 Gbit left alone at 10 Gb/s: ends at 1.5 + 0.5 = 2.0.
    size = 1.25e9
    times = finish_times([(0, size, 10 * GBPS), (0.5, size, 10 * GBPS)], 10 * GBPS)
    assert times == pytest.approx([1.5, 2.0])


def reference_max_min(flows, capacity_bps):
    """An independent, per-flow implementation: at every arrival or completion recompute each
    active flow's max-min fair rate by water-filling, and advance to the next such instant."""
    remaining = {i: size * 8.0 for i, (_, size, _) in enumerate(flows)}
    start = {i: s for i, (s, _, _) in enumerate(flows)}
    cap = {i: c for i, (_, _, c) in enumerate(flows)}
    now, done = 0.0, {}
    while len(done) < len(flows):
        active = [i for i in remaining if i not in done and start[i] <= now + 1e-12]
        rates, left, pool = {}, capacity_bps, sorted(active, key=lambda i: cap[i])
        for k, i in enumerate(pool):
            rates[i] = min(cap[i], left / (len(pool) - k))
            left -= rates[i]
        arrivals = [start[i] for i in remaining if i not in done and start[i] > now + 1e-12]
        finishes = [now + remaining[i] / rates[i] for i in active]
        step = min(arrivals + finishes) - now
        for i in active:
            remaining[i] -= rates[i] * step
            if remaining[i] <= 1e-9 * flows[i][1] * 8:  # relative: absolute bits get lost in rounding
                done[i] = now + step
        now += step
    return [done[i] for i in range(len(flows))]


@pytest.mark.parametrize("capacity_gbps", [1, 5, 25])
def test_finish_times_match_an_independent_max_min_fair_reference(capacity_gbps):
    flows = [(i * 0.3, (i + 1) * 1e8, (i % 3 + 1) * GBPS) for i in range(12)]
    flows += [(0.1, 3e8, 0.1 * GBPS), (1.0, 5e8, 0.1 * GBPS)]  # two 100 Mb/s NICs in the mix
    got = finish_times(flows, capacity_gbps * GBPS)
    assert got == pytest.approx(reference_max_min(flows, capacity_gbps * GBPS), rel=1e-6)
    for (start, size, cap), end in zip(flows, got):
        assert end - start >= size * 8 / cap * (1 - 1e-9)  # nobody beats its own NIC


def test_an_empty_transfer_completes_at_once():
    env = simpy.Environment()
    ev = SharedLink(env, GBPS).transfer(0, GBPS)
    assert ev.triggered and ev.value == 0.0
