"""The plan's page (twin/plan/plot.py) on a hand-built plan (issue 13 item 8): a facts table, not a
<pre> dump; the host axes over the hosts evaluated in whole hosts; a legend that says which line
is RAM and which slots."""
from __future__ import annotations

from twin.plan.plot import plan_figure, plan_html
from twin.plan.search import MonthPlan, PlanResult, Point


def _point(month, hosts, blocking):
    return Point("current", month, hosts, [blocking], blocking, blocking, 0.5 / hosts, 0.1, 0.7 / hosts, 50.0, 0.0)


def _plan() -> PlanResult:
    points = [_point(m, h, b) for m in (0, 1) for h, b in ((3, 0.02 * (m + 1)), (4, 0.004), (5, 0.0))]
    months = [MonthPlan(0, 80.0, 3, 4, points[1], False), MonthPlan(1, 90.0, 3, 4, points[4], False)]
    return PlanResult(scenario="demo<1>", profile="kvm-30x40", max_compute=30, target=0.01, percentile=95,
                      survive=0, replications=2, months=1, current_hosts=3, current=[points[0], points[3]],
                      runs_out_month=0, candidates={"current": months}, hardware={"current": None},
                      points=points, runs=12, wall_s=1.5)


def test_the_host_axes_span_the_hosts_evaluated_in_whole_hosts():
    fig = plan_figure(_plan())
    for axis in (fig.layout.xaxis, fig.layout.xaxis2):
        assert tuple(axis.range) == (2.5, 5.5) and axis.dtick == 1 and axis.tickformat == "d"
    assert fig.layout.yaxis3.dtick >= 1 and float(fig.layout.yaxis3.dtick).is_integer()
    assert fig.layout.xaxis3.dtick == 1  # months: no "0.5"
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert "RAM utilisation (solid line)" in names and "slot utilisation (dotted line)" in names
    blocking, ram, slots = fig.data[0], fig.data[1], fig.data[2]
    assert blocking.line.color == ram.line.color == slots.line.color and slots.line.dash == "dot"


def test_the_page_has_a_facts_table_and_the_months_in_cells():
    page = plan_html(_plan(), "header\n\ncandidate table\n\nThe current cloud (3 hosts) runs out in month 0.")
    assert "<pre>" not in page and '<table class="facts">' in page and "demo&lt;1&gt;" in page
    assert "<td>month 1</td><td class=num>90.0</td>" in page
    assert "<p>The current cloud (3 hosts) runs out in month 0.</p>" in page
