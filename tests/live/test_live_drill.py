"""A failover drill on a real lab: the scenario's power loss of the VIP-holding controller is
applied to its guest through its BMC, the HA model runs on the guests' real power states (polled
through the BMCs), and the run shows the VIP on another controller and a bounded API error window.
The same lab's guests then play VSA nodes and Swift servers, one of them powered off the same way.
Checked against independent truth: libvirt's view of the guests."""
from types import SimpleNamespace

import pytest
from conftest import unique_name

from twin.cloud.ha.vrrp import master_down_s
from twin.runs import Scenario

pytestmark = pytest.mark.live

AT_S, FOR_S, RESPONSE_S = 15.0, 20.0, 5.0
INTERVAL_S = 5.0  # Ironic's ipmi_min_command_interval_s (the scenario's default): one conductor per BMC
# Long enough for the operator's power-on (after AT_S + FOR_S + RESPONSE_S), its power-state polls
# and the liveness poller's next read, each waiting for its slot on the BMC's one conductor.
DURATION_S = 90.0


@pytest.fixture(scope="module")
def drill_lab(lab_root):
    """Undercloud and three controllers (the installer's first four roles)."""
    from real_backends.lab import Lab

    lab = Lab(unique_name("ha"), root=lab_root)
    try:
        lab.up(4, owned=True)
        yield lab
    finally:
        lab.down()


@pytest.fixture(scope="module")
def drill(drill_lab):
    from twin.runs.operations import live as operate_live

    sc = Scenario(name="live-drill", run="operations", inventory={"generate": {}},
                  operations={"duration_s": DURATION_S, "operator_response_s": RESPONSE_S,
                              "clients": {"rate_per_s": 5, "services": ["keystone", "nova"]}},
                  ha={"services": {"keystone": {"needs": ["db"]}, "nova": {"needs": ["db", "rpc"]}}},
                  faults=[{"kind": "power_loss", "node": "controller0", "at_s": AT_S, "for_s": FOR_S}])
    result = operate_live(sc, SimpleNamespace(active=drill_lab.nodes()), 1, "lab", drill_lab.dir)
    return result, drill_lab


def test_the_vip_moves_to_another_controller_after_the_vrrp_takeover(drill):
    result, _ = drill
    ev = result.events
    down = ev[(ev.kind == "liveness") & (ev.subject == "controller0") & (ev.name == "down")].time_s
    # the BMC's power off waits for the poller's slot, the next read of the conductor for the off's
    assert len(down) == 1 and AT_S < down.iloc[0] < AT_S + 2 * INTERVAL_S + 2
    moves = result.summary["operations"]["vip"]["moves"]
    first = moves[0]
    assert (first["previous"], first["holder"]) == ("controller0", "controller1")
    assert first["takeover_s"] == pytest.approx(master_down_s(100, 1.0), abs=0.25)  # real time: loop latency


def test_the_api_error_window_is_bounded(drill):
    result, _ = drill
    reqs = result.summary["operations"]["requests"]
    ev = result.events
    errors = ev[(ev.kind == "request") & (ev.name == "error")]
    assert len(errors) > 0 and errors.time_s.min() >= AT_S
    # keystone: power-off + detection (~1-3 s) + VRRP takeover (3.6 s) + HAProxy `fall 5` (~10 s)
    assert reqs["keystone"]["error_window_s"] <= 20
    assert errors[errors.subject == "keystone"].time_s.max() <= AT_S + 2 * INTERVAL_S + 25
    assert reqs["keystone"]["success_rate"] > 0.5


def test_the_operator_powers_the_controller_back_on_and_libvirt_agrees(drill):
    result, lab = drill
    ev = result.events
    up = ev[(ev.kind == "liveness") & (ev.subject == "controller0") & (ev.name == "up")].time_s
    assert len(up) == 1 and up.iloc[0] >= AT_S + FOR_S + RESPONSE_S
    guest = result.summary["live_nodes"]["controller0"]
    powered = {n["name"]: n["power"] for n in lab.status()["nodes"]}
    assert powered[guest] == "on" and all(p == "on" for p in powered.values())
    calls = ev[(ev.kind == "bmc") & (ev.subject == "controller0")]
    assert {"power_off", "power_on"} <= set(calls.name) and (calls.detail == "ok").all()


def test_the_report_of_the_live_drill_shows_the_move_and_the_errors(drill):
    from twin.runs import render_report

    result, _ = drill
    # every BMC is read at most once per interval (the conductor's spacing), and the poller keeps at it
    polls = result.summary["liveness_polls"]
    assert result.summary["backend"] == "lab" and DURATION_S / (3 * INTERVAL_S) < polls <= DURATION_S / INTERVAL_S + 2
    html = render_report(result.events, result.summary)
    assert "controller1" in html and "power_loss controller0 (faults[0])" in html and 'id="requests"' in html


# --- block storage: the same lab's guests as StoreVirtual nodes ---------------------------------
VSA_AT_S, VSA_FOR_S, VSA_DURATION_S = 10.0, 10.0, 75.0
RESYNC_GBPS = 0.2


def storage_drill(lab, role: str, sc: Scenario):
    """Run `sc` live on the lab with its guests 1-3 in `role` (an inventory says which guest plays
    which role; the guests are alike)."""
    from dataclasses import replace

    from twin.inventory.model import Role
    from twin.runs.operations import live as operate_live

    guests = lab.nodes()
    nodes = [guests[0]] + [replace(g, role=Role[role]) for g in guests[1:]]
    return operate_live(sc, SimpleNamespace(active=nodes), 1, "lab", lab.dir), lab


@pytest.fixture(scope="module")
def vsa_drill(drill, drill_lab):
    """The lab's guests 1-3 as the cloud's VSA nodes: vsa1 loses power through its BMC and comes back."""
    sc = Scenario(name="live-vsa-drill", run="operations", inventory={"generate": {}},
                  operations={"duration_s": VSA_DURATION_S, "operator_response_s": RESPONSE_S},
                  storage={"vsa": {"resync_gbps": RESYNC_GBPS, "write_rate_mib_s": 2,
                                   "clusters": [{"name": "lab", "volumes": {"count": 4, "size_gib": 10}}]}},
                  faults=[{"kind": "power_loss", "node": "vsa1", "at_s": VSA_AT_S, "for_s": VSA_FOR_S}])
    return storage_drill(drill_lab, "VSA", sc)


def test_a_vsa_node_powered_off_through_its_bmc_degrades_the_volumes_then_resyncs(vsa_drill):
    result, lab = vsa_drill
    ev = result.events
    live = ev[(ev.kind == "liveness") & (ev.subject == "vsa1")]
    down, up = live[live.name == "down"].time_s.iloc[0], live[live.name == "up"].time_s.iloc[0]
    volumes = ev[(ev.kind == "vsa_volumes") & (ev.subject == "lab/nr-10")]
    vsa = ev[ev.kind.str.startswith("vsa") | (ev.kind == "liveness")].to_string()
    assert list(volumes.name) == ["online", "degraded", "online"], vsa  # 2 of 3 copies: never offline
    assert volumes.time_s.iloc[1] == down  # the model reads the BMC-polled power state
    resync = ev[(ev.kind == "vsa_resync") & (ev.subject == "lab/vsa1")]
    start, end = resync[resync.name == "start"], resync[resync.name == "end"]
    assert start.time_s.iloc[0] == up and len(end) == 1
    # alone on the (modelled) management network: the writes missed over the resync cap, on the live clock
    expected_s = start.value.iloc[0] * 8 / (RESYNC_GBPS * 1e9)
    assert end.time_s.iloc[0] - up == pytest.approx(expected_s, abs=0.5)
    assert volumes.time_s.iloc[2] == end.time_s.iloc[0]
    quorum = ev[ev.kind == "vsa_quorum"]
    assert set(quorum.name) == {"held"}  # 2 of 3 managers kept quorum
    m = result.metrics
    assert m["availability_vsa_lab"] == 1.0 and m["volumes_lost_vsa_lab"] == 0 and m["quorum_losses"] == 0
    assert m["degraded_s_vsa_lab"] == pytest.approx(end.time_s.iloc[0] - down)
    guest = result.summary["live_nodes"]["vsa1"]
    assert {n["name"]: n["power"] for n in lab.status()["nodes"]}[guest] == "on"  # libvirt agrees


# --- object storage: the same lab's guests as Swift servers -------------------------------------
SWIFT_AT_S, SWIFT_FOR_S, SWIFT_DURATION_S = 10.0, 10.0, 75.0
SWIFT_PART_POWER = 6


@pytest.fixture(scope="module")
def swift_drill(vsa_drill, drill_lab):
    """The lab's guests 1-3 as the cloud's Swift servers (swift0-2): swift1 loses power through its
    BMC and comes back."""
    sc = Scenario(name="live-swift-drill", run="operations", inventory={"generate": {}},
                  operations={"duration_s": SWIFT_DURATION_S, "operator_response_s": RESPONSE_S},
                  swift={"part_power": SWIFT_PART_POWER},
                  faults=[{"kind": "power_loss", "node": "swift1", "at_s": SWIFT_AT_S, "for_s": SWIFT_FOR_S}])
    return storage_drill(drill_lab, "SWIFT", sc)


def test_a_swift_server_powered_off_through_its_bmc_leaves_its_partitions_under_replicated_until_it_is_back(
        swift_drill):
    """Three servers, three replicas: swift's ring puts one replica of every partition on each
    server, so while swift1 is off every partition has one primary fewer, and two of three still
    answer (Juno's quorum): every GET and PUT succeeds. The model reads the BMC-polled power state."""
    result, lab = swift_drill
    ev = result.events
    live = ev[(ev.kind == "liveness") & (ev.subject == "swift1")]
    down, up = live[live.name == "down"].time_s.iloc[0], live[live.name == "up"].time_s.iloc[0]
    under = ev[(ev.kind == "swift_parts") & (ev.name == "under_replicated")]
    swift = ev[ev.kind.str.startswith("swift") | (ev.kind == "liveness")].to_string()
    assert list(zip(under.time_s, under.value)) == [(0.0, 0), (down, 2 ** SWIFT_PART_POWER), (up, 0)], swift
    levels = ev[ev.kind == "swift_level"]
    assert set(levels.subject) == {"object"} and (levels.value == 1.0).all(), swift
    m = result.metrics
    assert m["availability_swift_read"] == 1.0 and m["availability_swift_write"] == 1.0
    assert m["partitions_under_replicated_max"] == 2 ** SWIFT_PART_POWER and m["objects_lost"] == 0
    assert m["time_to_full_redundancy_s_max"] == pytest.approx(up - down)
    assert "swift" in result.summary["storage"]
    guest = result.summary["live_nodes"]["swift1"]
    assert {n["name"]: n["power"] for n in lab.status()["nodes"]}[guest] == "on"  # libvirt agrees
