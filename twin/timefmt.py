"""How the twin writes a duration or a time on its clock for a person to read.

Rule: one format everywhere (digests, reports, tables), so the same instant reads the same.
"""
from __future__ import annotations

import math


def hms(seconds: float) -> str:
    """5123.4 -> '1:25:23'; NaN -> '—'."""
    if seconds is None or math.isnan(seconds):
        return "—"
    total = int(round(seconds))
    sign = "-" if total < 0 else ""
    total = abs(total)
    return f"{sign}{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"

