"""The one pydantic base of every scenario section.

Rules: unknown keys are errors (a typo must not silently fall back to a default), no number is
infinite or NaN (a duration of .inf would run forever), and a field
may be written by its alias or its name. Every section model of every package derives from
`SectionModel`, so that rule holds everywhere.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SectionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)
