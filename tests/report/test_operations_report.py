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


def _levels_log(duration_s, changes):
    rec = Recorder()
    for service in ("keystone", "glance", "cinder"):
        rec.record(0.0, ServiceLevel(service, 1.0, "", "start"))
    for t, service, level, reason in changes:
        rec.record(t, ServiceLevel(service, level, reason, "fault"))
    return rec.frame()


def test_services_with_identical_levels_share_one_named_line():
    from twin.report.operations import _levels

    events = _levels_log(1500.0, [(300.0, "keystone", 0.0, "vip"), (300.0, "glance", 0.0, "vip"),
                                  (300.0, "cinder", 0.0, "vip"), (309.6, "keystone", 1.0, ""),
                                  (309.6, "glance", 1.0, ""), (823.9, "cinder", 1.0, "")])
    fig = _levels(events, {}, 1500.0, 60.0, "minutes")
    top = [t for t in fig.data if t.showlegend is not False]
    assert sorted(t.name for t in top) == ["cinder", "glance, keystone"]
    assert len({t.line.dash for t in top}) == 2  # told apart by dash as well as colour


def test_a_short_outage_on_a_year_axis_gets_a_marker():
    from twin.report.operations import _timeline

    year = 365 * 86400.0
    events = _levels_log(year, [(1e6, "keystone", 0.0, "vip"), (1e6 + 9.0, "keystone", 1.0, ""),
                                (2e6, "cinder", 0.0, "cinder-volume down"), (2e6 + 30 * 86400, "cinder", 1.0, "")])
    fig = _timeline(events, {}, year, 86400.0, "days")
    markers = [t for t in fig.data if t.type == "scatter"]
    assert len(markers) == 1 and list(markers[0].y) == ["keystone"]  # the 30-day one is wide enough
    assert abs(markers[0].x[0] - (1e6 + 4.5) / 86400) < 1e-9


def test_a_run_without_controllers_says_so_instead_of_a_vacuous_100_percent():
    """A storage drill on the lab has no controllers, hence no API service levels: the report and
    the digest say that no API services were modelled, where they used to show a 100 % badge over
    an empty per-service table. A run with services keeps its badge and table."""
    from pathlib import Path

    from twin.cloud.ha.summary import operations_digest, summarize_operations
    from twin.report.operations import NO_API_SERVICES, render_operations_report

    def report_and_digest(events):
        summary = {"scenario": "drill", "backend": "lab", "seed": 1, "counts": {"events": len(events)},
                   "operations": summarize_operations(events, scenario="drill", backend="lab", seed=1,
                                                      duration_s=1500.0, nodes={})["operations"]}
        return render_operations_report(events, summary), operations_digest(summary, Path("out"))

    empty = Recorder().frame()
    html, digest = report_and_digest(empty)
    assert f'<div class="big none">{NO_API_SERVICES}</div>' in html
    assert "Availability per service" not in html and "% available" not in html
    assert "no API services modelled (no controllers)" in digest.splitlines()[0]
    assert "per service" not in digest and "% overall" not in digest and "VIP" not in digest

    html, digest = report_and_digest(_levels_log(1500.0, [(300.0, "cinder", 0.0, "down"), (450.0, "cinder", 1.0, "")]))
    assert '<div class="big bad">90.0000% available</div>' in html and "Availability per service" in html
    assert NO_API_SERVICES not in html
    assert "availability 90.0000% overall" in digest and "per service: cinder 90.0000%" in digest
