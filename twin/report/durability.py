"""The report of a `run: durability`: one small self-contained HTML page.

Contents: the header (scenario, seed, ring, parameters, the run's outcome), then the partitions
lost and the disk failures of the run, from the event log (at most MAX_ROWS rows each).

Rules (as twin/report/html.py): no network, every text from the inputs html-escaped, nothing
shown beyond the summary and the event log, the same inputs give the same bytes. One run is one
sample: the page says so and points to `twin sweep` for the probability and its interval.
"""
from __future__ import annotations

from html import escape

from twin.report.capacity import CSS

MAX_ROWS = 500
SECONDS_PER_YEAR = 365.25 * 86400


def _table(headers: list[str], rows: list[list], total: int) -> str:
    if not rows:
        return '<p class="note">None.</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    more = f'<p class="note">The first {len(rows):,} of {total:,}.</p>' if total > len(rows) else ""
    return f'<table class="data"><tr>{head}</tr>{body}</table>{more}'


def _year(seconds: float) -> str:
    return f"{seconds / SECONDS_PER_YEAR:.4f}"


def render_durability_report(events, summary: dict) -> str:
    s = summary["durability"]
    ring, p, outage = s["ring"], s["params"], s["outage_h"]
    name = str(summary.get("scenario") or "unnamed scenario")
    used = f"{p['used_gib']:g} GiB per disk" if p.get("used_gib") is not None else f"fill {100 * p['fill']:g}%"
    facts = [
        ("scenario", name), ("seed", summary.get("seed")),
        ("ring", (f"{ring['name']} ({ring['source']}): {ring['parts']:,} partitions, {ring['replicas']:g} "
                  f"replicas, {ring['devices']} disks in {ring['zones']} zone(s)")),
        ("years", p["years"]), ("disk AFR", f"{100 * p['afr']:g}%"),
        ("a failed disk is out", (f"{p['replacement_delay_h']:g} h to replace + rebuild at {p['rebuild_gbps']:g} "
                                  f"Gbit/s ({used}): {outage['min']:,.1f} to {outage['max']:,.1f} h")),
        ("disk failures", f"{s['disk_failures']:,}"),
        ("partitions lost", f"{s['partitions_lost']:,}" + (f", the first in year {s['first_loss_year']:.4f}"
                                                           if s["lost_any"] else "")),
        ("years with a loss", f"{s['years_with_loss']} of {p['years']}"),
    ]
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in facts)
    verdict = (f'<div class="big bad">{s["partitions_lost"]:,} partition(s) lost</div>' if s["lost_any"]
               else '<div class="big ok">no partition lost</div>')
    lost = events[events.kind == "partitions_lost"]
    failed = events[(events.kind == "disk") & (events.name == "failed")]
    lost_rows = [[_year(t), d, int(v)] for t, d, v in zip(lost.time_s[:MAX_ROWS], lost.detail[:MAX_ROWS],
                                                          lost.value[:MAX_ROWS])]
    failed_rows = [[_year(t), d, f"{v:,.1f}"] for t, d, v in zip(failed.time_s[:MAX_ROWS], failed.subject[:MAX_ROWS],
                                                                 failed.value[:MAX_ROWS])]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(f'Helion Twin durability report: {name}')}</title>", f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(name)}</h1>", verdict, f'<table class="facts">{rows}</table>',
        ('<p class="note">One run is one sample of the disks\' failures. The probability of losing any '
         "partition, with its confidence interval, is the mean of <code>lost_any</code> over a sweep's "
         "replications: <code>twin sweep SCENARIO --replications N</code> (docs/storage.md).</p>"),
        "<h2>Partitions lost</h2>", _table(["year", "disk whose failure lost them", "partitions"], lost_rows, len(lost)),
        "<h2>Disk failures</h2>", _table(["year", "disk", "hours out"], failed_rows, len(failed)),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
