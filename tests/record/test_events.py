"""The typed events: immutable records, each mapping onto the log's columns."""
import math
import typing

import pytest

from twin.record import events
from twin.record.events import COLUMNS, BmcCall, BootStage, StateChanged, VsaVolumes

EVENT_CLASSES = [c for c in vars(events).values() if isinstance(c, type) and hasattr(c, "row") and c.__module__ == events.__name__]


def test_every_event_class_is_immutable_and_fills_every_column_after_seq_and_time():
    assert len(EVENT_CLASSES) >= 20
    for cls in EVENT_CLASSES:
        fields = cls._fields
        hints = typing.get_type_hints(cls)
        sample = cls(*["x" if hints[f] is str else 1.0 for f in fields])
        with pytest.raises(AttributeError):
            setattr(sample, fields[0], "changed")
        row = sample.row()
        assert len(row) == len(COLUMNS) - 2, cls.__name__
        assert all(isinstance(v, str) for v in row[:5]) and isinstance(row[5], float), cls.__name__


def test_fields_defaults_and_rows_are_as_declared():
    call = BmcCall("n1", "power_on", "ok", 0.25)
    assert (call.node, call.command, call.result, call.latency_s) == ("n1", "power_on", "ok", 0.25)
    assert call.row() == ("bmc", "n1", "power_on", "ok", "", 0.25)
    stage = BootStage("n1", "post")
    assert stage.detail == "" and math.isnan(stage.value)
    assert StateChanged("n1", "active", "deploying").row()[:5] == ("state", "n1", "active", "deploying", "")
    assert VsaVolumes("c1", "10", "online", "", 4).count == 4  # a field may be named like a tuple method
    assert VsaVolumes("c1", "10", "online", "", 4).row()[5] == 4.0
