"""Cinder on the VSA clusters: LeftHand extra specs, capacity, refusals with Cinder's words."""
import pytest
from vsa_harness import vsa_world

from twin.cloud.vsa.cinder import CinderVsa, volume_type
from twin.cloud.vsa.config import GIB

TIB = 1024


def test_extra_specs_map_as_the_lefthand_driver_does():
    expected = {"r-0": "0", "r-5": "5", "r-10-2": "10", "r-10-3": "10+1", "r-10-4": "10+2", "r-6": "6"}
    for spec, level in expected.items():
        assert volume_type("t", {"hplh:data_pl": spec}).level == level
    default = volume_type("t", {})
    assert (default.level, default.provisioning) == ("0", "thin")  # the driver's defaults
    assert volume_type("gold", {"hplh:data_pl": "r-10-3", "hplh:provisioning": "full"}).label == "nr-10+1 full"
    with pytest.raises(ValueError, match="hplh:data_pl 'r-7'"):
        volume_type("t", {"hplh:data_pl": "r-7"})
    with pytest.raises(ValueError, match="hplh:provisioning 'fat'"):
        volume_type("t", {"hplh:provisioning": "fat"})


def cloud(volumes=0):
    run = vsa_world(3, storage={"clusters": [{"name": "c", "volumes": {"count": volumes}}], "thin_fill": 0.5})
    return run, CinderVsa(run.model)


def test_capacity_is_nodes_times_the_smallest_node_and_levels_cost_their_factor():
    run, cinder = cloud()
    assert cinder.total_bytes("c") == 3 * 2048 * GIB
    gold = volume_type("gold", {"hplh:data_pl": "r-10-2", "hplh:provisioning": "full"})
    thin5 = volume_type("t5", {"hplh:data_pl": "r-5"})
    vid, reason = cinder.create("c", gold, 100)
    assert reason == "" and cinder.used_bytes("c") == pytest.approx(200 * GIB)  # 2 copies
    cinder.create("c", thin5, 100)  # NR-5 on 3 nodes: 2 data + 1 parity; thin: half written
    assert cinder.used_bytes("c") == pytest.approx(200 * GIB + 100 * GIB * 0.5 * 1.5)
    cinder.delete(vid)
    assert cinder.used_bytes("c") == pytest.approx(75 * GIB)
    assert run.model.clusters["c"].classes["10"].count == 0


def test_creates_are_refused_with_cinders_reason_when_full():
    run, cinder = cloud()
    full = volume_type("gold", {"hplh:data_pl": "r-10-2", "hplh:provisioning": "full"})
    assert cinder.create("c", full, 2 * TIB)[1] == ""  # 4 TiB raw of 6
    vid, reason = cinder.create("c", full, 3 * TIB)
    assert vid is None
    assert reason == "No valid host was found. Insufficient free space for volume creation (requested / avail): 3072/2048.0"
    vid, reason = cinder.create("c", full, 1.5 * TIB)  # fits the scheduler's view, not the cluster's NR-10 need
    assert vid is None and reason.startswith("cluster c: not enough space for 1536 GiB at Network RAID-10")
    refused = run.world.recorder.frame().query("kind == 'vsa_cinder' and name == 'refused'")
    assert refused.cause.to_list()[0].startswith("No valid host was found.") and len(refused) == 2


def test_levels_the_cluster_cannot_hold_the_api_refusal_and_no_quorum():
    run, cinder = cloud()
    nr6 = volume_type("t", {"hplh:data_pl": "r-6"})
    assert cinder.create("c", nr6, 1)[1] == "Network RAID-6 needs at least 5 nodes; cluster c has 3"
    assert cinder.create("c", volume_type("t", {}), 1, api_refusal="cinder_volume_down")[1] == "cinder_volume_down"
    run.targets.shutdown("vsa0", "test")
    run.targets.shutdown("vsa1", "test")
    run.world.run(until=1)
    assert cinder.create("c", volume_type("t", {}), 1)[1] == \
        "the LeftHand backend does not answer: management group c has no quorum"


def test_an_attach_needs_an_accessible_volume():
    run, cinder = cloud()
    vid, _ = cinder.create("c", volume_type("t", {"hplh:data_pl": "r-10-2"}), 10)
    assert cinder.attach_refusal(vid) == ""
    run.targets.shutdown("vsa0", "test")
    run.targets.shutdown("vsa1", "test")
    run.world.run(until=1)
    assert cinder.attach_refusal(vid) == f"volume {vid} is offline"
