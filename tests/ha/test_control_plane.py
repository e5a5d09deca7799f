"""The HA control plane under single faults: VRRP takeover, quorum (2 of 3 lost, graceful leave
versus crash), partitions, HAProxy detection, the singletons."""
import pytest

from twin.cloud.ha.vrrp import master_down_s, skew_s
from twin.faults.spec import Fault as F

DB_OR_RPC = ["keystone", "nova", "neutron", "glance", "cinder", "swift"]


def levels(events, service):
    """(time, level) at each change of the level (a change of reason alone is recorded too: skipped)."""
    rows = events[(events.kind == "service") & (events.subject == service)]
    steps = list(zip(rows.time_s.round(4), rows.value.round(4)))
    return [s for k, s in enumerate(steps) if k == 0 or s[1] != steps[k - 1][1]]


def level_at(events, service, t):
    rows = events[(events.kind == "service") & (events.subject == service) & (events.time_s <= t)]
    return float(rows.value.iloc[-1])


def vip_moves(events):
    rows = events[(events.kind == "vip") & (events.cause != "start")]
    return list(zip(rows.time_s, rows.name, rows.detail))


def states(events, component_member):
    rows = events[(events.kind == "ha") & (events.subject == component_member)]
    return list(zip(rows.time_s.round(4), rows.name))


# --- VRRP ----------------------------------------------------------------------------------------------

def test_the_vip_moves_after_the_configured_vrrp_takeover_when_its_holder_dies(operate):
    r = operate([F(kind="power_loss", node="controller0", at_s=100, for_s=60)], duration_s=130)
    (t, holder, previous), = vip_moves(r.events)
    assert (holder, previous) == ("controller1", "controller0")
    assert t - 100 == pytest.approx(master_down_s(100, 1.0)) == pytest.approx(3.609375)
    assert r.summary["operations"]["vip"]["moves"][0]["takeover_s"] == pytest.approx(3.609, abs=1e-3)


@pytest.mark.parametrize("advert, prios, taker", [
    (2.0, {"controller0": 200, "controller1": 50, "controller2": 120}, "controller2"),
    (0.5, {"controller0": 254, "controller1": 1, "controller2": 2}, "controller2"),
    (1.0, {"controller0": 10, "controller1": 20, "controller2": 30}, None),  # c2 holds at start
])
def test_the_takeover_follows_priorities_and_the_advert_interval(operate, advert, prios, taker):
    start_holder = max(prios, key=prios.get)
    r = operate([F(kind="node_crash", node=start_holder, at_s=50, for_s=1000)], duration_s=100,
                ha={"keepalived": {"advert_interval_s": advert, "priorities": prios}})
    (t, holder, previous), = vip_moves(r.events)
    taker = taker or max((n for n in prios if n != start_holder), key=prios.get)
    assert (holder, previous) == (taker, start_holder)
    assert t - 50 == pytest.approx(3 * advert + (256 - prios[taker]) / 256 * advert)


def test_a_graceful_shutdown_of_the_holder_hands_the_vip_over_after_the_skew_only(operate):
    r = operate([F(kind="graceful_shutdown", node="controller0", at_s=100, for_s=60)], duration_s=130)
    (t, holder, _), = vip_moves(r.events)
    assert holder == "controller1" and t - 100 == pytest.approx(skew_s(100, 1.0))


def test_a_dead_haproxy_on_the_holder_moves_the_vip_after_chk_haproxy_falls(operate):
    r = operate([F(kind="service_crash", service="haproxy", node="controller0", at_s=100, for_s=600)],
                duration_s=200)
    (t, holder, _), = vip_moves(r.events)
    interval, fall = 2.0, 4  # chk_haproxy interval 2, fall 4
    assert holder == "controller1"
    assert (fall - 1) * interval + skew_s(100, 1) <= t - 100 <= fall * interval + skew_s(100, 1)
    assert levels(r.events, "keystone")[1:3] == [(100.0, 0.0), (round(t, 4), 1.0)]  # refused until it moved
    reason = r.events[(r.events.kind == "service") & (r.events.time_s == 100.0)].detail.iloc[0]
    assert "HAProxy is not running on the VIP holder" in reason


def test_a_killed_keepalived_leaves_the_vip_serving_while_a_backup_takes_over(operate):
    r = operate([F(kind="service_crash", service="keepalived", node="controller0", at_s=100, for_s=600)],
                duration_s=200)
    (t, holder, _), = vip_moves(r.events)
    assert holder == "controller1" and t - 100 == pytest.approx(master_down_s(100, 1.0))
    assert levels(r.events, "keystone") == [(0.0, 1.0)]  # no request failed: the VIP stayed configured


def test_the_returning_higher_priority_node_takes_the_vip_back(operate):
    r = operate([F(kind="node_crash", node="controller0", at_s=100, for_s=200)], duration_s=1200,
                timing={"post_s": 10, "os_boot_s": 10})
    moves = vip_moves(r.events)
    assert [(h, p) for _, h, p in moves] == [("controller1", "controller0"), ("controller0", "controller1")]
    up = r.events[(r.events.kind == "liveness") & (r.events.subject == "controller0") & (r.events.name == "up")]
    assert moves[1][0] - up.time_s.iloc[-1] == pytest.approx(master_down_s(101, 1.0))
    assert r.summary["operations"]["vip"]["moves"][1]["takeover_s"] is None  # a preemption


# --- quorum --------------------------------------------------------------------------------------------

def test_losing_two_of_three_controllers_stops_every_db_or_rpc_api_while_vms_stay_up(operate):
    r = operate([F(kind="node_crash", nodes=["controller1", "controller2"], at_s=100)], duration_s=400,
                compute=3)
    ev = r.events
    for service in DB_OR_RPC:
        assert level_at(ev, service, 399) == 0.0, service
    assert states(ev, "galera/controller0")[-1][1] == "non_primary"
    assert states(ev, "galera/cluster")[-1][1] == "non_primary"
    assert states(ev, "rabbitmq/controller0")[-1] == (160.0, "paused")  # after net_ticktime
    plane = r.operations.plane
    assert plane.galera.refusal("controller0") == "db_non_primary"
    assert plane.route("nova", 0)[1] == "db_no_server"  # clustercheck: HAProxy has no MySQL server left
    computes = [f"compute{i}" for i in range(3)]
    assert all(plane.liveness.up(c) for c in computes)
    assert not (ev[ev.kind == "liveness"].subject.isin(computes) & (ev.name == "down")).any()
    assert r.metrics["availability_compute_hosts"] == 1.0


def test_a_graceful_leave_recounts_quorum_and_a_crash_does_not(operate):
    leave = operate([F(kind="graceful_shutdown", nodes=["controller1", "controller2"], at_s=100)], duration_s=300)
    crash = operate([F(kind="node_crash", nodes=["controller1", "controller2"], at_s=100)], duration_s=300)
    assert states(leave.events, "galera/controller0")[-1][1] == "synced"  # primary alone: 1 of 1
    assert states(crash.events, "galera/controller0")[-1][1] == "non_primary"  # 1 of 3: no majority
    assert level_at(leave.events, "keystone", 299) == 1.0  # the DB still commits
    assert level_at(crash.events, "keystone", 299) == 0.0
    # RabbitMQ's pause_minority counts stopped nodes as cluster members: RPC stops either way
    assert level_at(leave.events, "nova", 299) == 0.0
    assert states(leave.events, "rabbitmq/controller0")[-1] == (100.0, "paused")  # announced: at once


def test_one_crash_at_a_time_still_loses_quorum_at_the_second(operate):
    r = operate([F(kind="node_crash", node="controller2", at_s=100),
                 F(kind="node_crash", node="controller1", at_s=200)], duration_s=300)
    assert states(r.events, "galera/cluster") == [(0.0, "primary"), (100.0, "blocked"), (105.0, "primary"),
                                                  (200.0, "blocked"), (205.0, "non_primary")]


def test_a_one_two_partition_leaves_the_majority_serving_and_the_minority_refusing_writes(operate):
    split = F(kind="partition", sides=[["controller0"], ["controller1", "controller2"]], at_s=100, for_s=200)
    r = operate([split], duration_s=250)
    ev, plane = r.events, r.operations.plane
    assert states(ev, "galera/controller0")[-1] == (105.0, "non_primary")
    assert plane.galera.state["controller1"] == plane.galera.state["controller2"] == "synced"
    assert states(ev, "rabbitmq/controller0")[-1] == (160.0, "paused")
    (t, holder, _), = vip_moves(ev)  # the majority elected a master; clients follow its ARP
    assert holder in ("controller1", "controller2") and t - 100 == pytest.approx(3.609375)
    for service in DB_OR_RPC[:-2]:
        assert level_at(ev, service, 249) == 1.0, service  # the majority side serves
    assert level_at(ev, "cinder", 249) == 0.0  # cinder-volume stays on controller0 (minority)
    assert plane.vrrp.state["controller0"] == "master"  # split brain: it still holds its copy
    assert plane.galera.refusal("controller0") == "db_non_primary"  # the minority refuses writes
    refusals = {plane.route("nova", k, entry="controller0")[1] for k in range(12)}
    assert refusals == {"db_no_server"}  # and its HAProxy (clustercheck) has no MySQL server to send them to
    assert plane.route("nova", 0, entry="controller1")[1] == ""


def test_after_the_partition_heals_the_minority_rejoins_with_a_state_transfer(operate):
    split = F(kind="partition", sides=[["controller0"], ["controller1", "controller2"]], at_s=100, for_s=200)
    r = operate([split], duration_s=1000, ha={"galera": {"state_transfer_s": 120}})
    assert states(r.events, "galera/controller0") == [(0.0, "synced"), (105.0, "non_primary"),
                                                      (300.0, "joiner"), (420.0, "synced")]
    assert states(r.events, "rabbitmq/controller0")[-1] == (300.0, "running")


def test_the_undercloud_down_does_not_touch_the_overcloud_apis(operate):
    r = operate([F(kind="power_loss", node="undercloud", at_s=10)], duration_s=100)
    assert all(level_at(r.events, s, 99) == 1.0 for s in DB_OR_RPC)
    assert r.metrics["availability_undercloud"] == pytest.approx(0.1)


# --- HAProxy and the singletons ---------------------------------------------------------------------------

def test_a_dead_backend_fails_its_pinned_clients_until_haproxy_marks_it_down(operate):
    r = operate([F(kind="node_crash", node="controller2", at_s=100, for_s=500)], duration_s=200)
    lv = levels(r.events, "keystone")
    assert lv[1][0] == pytest.approx(100.0, abs=0.01) and lv[1][1] < 1.0  # a share of clients fail...
    assert 100 + 4 * 2 <= lv[-1][0] <= 100 + 5 * 2 and lv[-1][1] == 1.0  # ...until `fall 5` x 2 s
    # (while Galera waits for the silent member the DB stalls: the level is 0 from 100 to 105)
    assert (100.0, 0.0) in lv


def test_cinder_volume_is_moved_by_the_operator_and_sherpa_waits_for_controller0(operate):
    r = operate([F(kind="node_crash", node="controller0", at_s=100)], duration_s=5000,
                ha={"singletons": {"failover_s": 1200}})
    assert states(r.events, "singleton/cinder_volume") == [(0.0, "running"), (100.0, "lost"), (1300.0, "running")]
    assert states(r.events, "singleton/sherpa") == [(0.0, "running"), (100.0, "lost")]
    assert level_at(r.events, "cinder", 1299) == 0.0 and level_at(r.events, "cinder", 1301) == 1.0
