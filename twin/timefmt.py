"""How the twin writes a duration or a time on its clock for a person to read.

Rule: one format everywhere (digests, reports, tables), so the same instant reads the same:
    under a day       H:MM:SS           5123.4 -> '1:25:23'
    a day or more     day N HH:MM       an instant N whole days after the start: 'day 283 06:59'
                      N d HH:MM         the same for a duration (`span=True`):    '365 d 00:00'
Seconds are dropped past a day (a year-long run has no use for them); N counts whole days, so
'day 1 00:00' is 24 hours after the start.
"""
from __future__ import annotations

import math

DAY = 86400


def hms(seconds: float, span: bool = False) -> str:
    """5123.4 -> '1:25:23'; 24_483_586 -> 'day 283 06:59' ('283 d 06:59' with span=True); NaN -> '—'."""
    if seconds is None or math.isnan(seconds):
        return "—"
    total = int(round(seconds))
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < DAY:
        return f"{sign}{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
    days, rest = divmod(total // 60 * 60, DAY)  # whole minutes: 23:59:59 into a day is 23:59
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"{sign}{days} d {clock}" if span else f"{sign}day {days} {clock}"
