"""The operations report's curves against their analytic values (issue 13 item 8)."""
from __future__ import annotations

import numpy as np

from twin.cloud.ha.summary import level_frame
from twin.record.events import ServiceLevel
from twin.record.recorder import Recorder
from twin.report.operations import availability_so_far


def test_the_availability_so_far_curve_is_exact_between_level_changes():
    """cinder down from 300 s to 823.9 s of a 1,500 s run: at 10 min the availability so far is
    300/600 = 0.50 (the old curve joined the change points and drew about 0.6)."""
    rec = Recorder()
    rec.record(0.0, ServiceLevel("cinder", 1.0, "", "start"))
    rec.record(300.0, ServiceLevel("cinder", 0.0, "cinder-volume (singleton) is down", "fault"))
    rec.record(823.9, ServiceLevel("cinder", 1.0, "", "repair"))
    table = level_frame(rec.frame(), 1500.0)
    x, y = availability_so_far(table.index.to_numpy(dtype=float), table.width_s.to_numpy(), table.cinder.to_numpy())

    def truth(t):
        down = np.clip(np.minimum(t, 823.9) - 300.0, 0, None)
        return 1.0 - down / t

    probe = np.linspace(1.0, 1500.0, 3000)
    assert abs(np.interp(600.0, x, y) - 0.5) < 0.005
    assert np.max(np.abs(np.interp(probe, x, y) - truth(probe))) < 0.005
    assert y[-1] == (1500.0 - 523.9) / 1500.0 and x[-1] == 1500.0
