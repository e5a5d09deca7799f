"""vsa_metrics on a log written by hand, against values worked out by hand."""
import pytest

from twin.cloud.vsa.metrics import vsa_metrics
from twin.record.events import RunMark, VsaQuorum, VsaResync, VsaVolumes
from twin.record.recorder import Recorder

GIB = 1024 ** 3


def log(rows):
    rec = Recorder()
    for t, event in rows:
        rec.record(t, event)
    return rec.frame()


def test_availability_degraded_time_losses_resyncs_and_quorum_losses():
    events = log([
        (0, VsaQuorum("g", "held", 3, 3, "start")),
        (0, VsaVolumes("a", "10", "online", "", 30, "start")),
        (0, VsaVolumes("a", "5", "online", "", 10, "start")),
        (0, VsaVolumes("b", "10", "online", "", 5, "start")),
        (100, VsaVolumes("a", "10", "degraded", "online", 30)),
        (100, VsaResync("a", "vsa0", "start", "rejoin", 2 * GIB)),
        (200, VsaVolumes("a", "5", "offline", "online", 10)),
        (200, VsaQuorum("g", "lost", 1, 3)),
        (300, VsaVolumes("a", "5", "online", "offline", 10)),
        (300, VsaQuorum("g", "held", 2, 3)),
        (400, VsaResync("a", "vsa0", "interrupted", "rejoin", GIB)),
        (500, VsaResync("a", "vsa0", "start", "rejoin", GIB)),
        (520, VsaResync("a", "vsa0", "end", "rejoin", GIB)),
        (600, VsaVolumes("a", "10", "online", "degraded", 30)),
        (700, VsaVolumes("b", "10", "lost", "online", 5)),
        (1000, RunMark("end", "success")),
    ])
    m = vsa_metrics(events)
    assert m["availability_vsa_a"] == pytest.approx(1 - 100 * 10 / 40 / 1000)  # 10 of 40 offline for 100 s
    assert m["degraded_s_vsa_a"] == pytest.approx(500)
    assert m["availability_vsa_b"] == pytest.approx(0.7) and m["volumes_lost_vsa_b"] == 5
    assert m["volumes_lost_vsa_a"] == 0 and m["degraded_s_vsa_b"] == 0
    assert m["resyncs"] == 1 and m["resyncs_interrupted"] == 1
    assert m["resync_s_mean"] == m["resync_s_max"] == pytest.approx(20)
    assert m["resync_gib"] == pytest.approx(2.0)
    assert m["quorum_losses"] == 1


def test_a_count_change_reweights_the_share():
    events = log([
        (0, VsaVolumes("a", "10", "online", "", 1, "start")),
        (0, VsaVolumes("a", "0", "offline", "", 1, "start")),
        (500, VsaVolumes("a", "10", "online", "online", 3)),  # two creates
    ])
    assert vsa_metrics(events, duration_s=1000)["availability_vsa_a"] == pytest.approx((500 * 0.5 + 500 * 0.75) / 1000)
