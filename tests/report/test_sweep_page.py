"""The sweep's page (twin/report/sweep.py) on a hand-written summary: escaped, the interval as
asymmetric error bars, no interval shown as '—', deterministic."""
from __future__ import annotations

import math

from twin.report.sweep import metric_figure, render_sweep_report


def _summary():
    point = lambda i, v, stats: {"point": i, "params": {"timing.post_s": v}, "metrics": stats}  # noqa: E731
    return {"scenario": "<b>demo</b>", "replications": 3, "confidence": 0.95, "seed": 1,
            "axes": {"timing.post_s": [60, 240]}, "intervals": {"makespan_s": "t", "one": "t"},
            "points": [point(0, 60, {"makespan_s": {"mean": 100.0, "sd": 5.0, "n": 3, "ci_low": 90.0, "ci_high": 115.0,
                                                    "interval": "t"},
                                     "one": {"mean": 7.0, "sd": math.nan, "n": 1, "ci_low": None, "ci_high": None,
                                             "interval": "t"}}),
                       point(1, 240, {"makespan_s": {"mean": 200.0, "sd": 5.0, "n": 3, "ci_low": 195.0,
                                                     "ci_high": 205.0, "interval": "t"},
                                      "one": {"mean": 8.0, "sd": 0.0, "n": 3, "ci_low": 8.0, "ci_high": 8.0,
                                              "interval": "t"}})]}


def test_each_metric_has_its_mean_and_interval_per_point():
    (trace,), layout = metric_figure(_summary(), "makespan_s")
    assert trace["x"] == [60, 240] and trace["y"] == [100.0, 200.0]
    assert trace["error_y"]["array"] == [15.0, 5.0] and trace["error_y"]["arrayminus"] == [10.0, 5.0]
    (one,), _ = metric_figure(_summary(), "one")
    assert one["error_y"]["array"] == [None, 0.0]  # no interval with one replication


def test_the_page_is_escaped_deterministic_and_lists_every_point():
    page = render_sweep_report(_summary())
    assert "<b>demo</b>" not in page and "&lt;b&gt;demo&lt;/b&gt;" in page
    assert page.count("plotly.js v") == 1 and page.count('class="plotly-graph-div"') == 2
    assert "<td>timing.post_s=60</td><td>one</td><td class=num>1</td><td class=num>7</td><td class=num>—</td>" in page
    assert render_sweep_report(_summary()) == page
