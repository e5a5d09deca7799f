"""`twin calibrate`'s reading of real image writes (twin/analysis/calibrate.py): per-node bytes and
seconds, and the total bandwidth of writes that overlapped, checked against hand-computed values."""
import math

import pandas as pd

from twin.analysis.calibrate import shared_bandwidth_bps, write_measurements

MIB = 1024 ** 2


def boot(time_s, node, name, value):
    return {"time_s": time_s, "kind": "boot", "subject": node, "name": name, "detail": "", "value": value}


def events(*rows):
    return pd.DataFrame(list(rows))


def test_each_write_is_bytes_and_the_ramdisks_seconds_ending_at_its_report():
    ev = events(boot(10.0, "a", "image_write_s", 2.0), boot(10.0, "a", "image_written", 16 * MIB),
                boot(30.0, "b", "image_write_s", 4.0), boot(30.0, "b", "image_written", 16 * MIB),
                boot(31.0, "c", "image_written", 0.0))  # an emulated write: no bytes, not a measurement
    w = write_measurements(ev)
    assert list(w.node) == ["a", "b"]
    assert list(w.start) == [8.0, 26.0] and list(w.end) == [10.0, 30.0]
    assert list(w.bytes / w.write_s) == [8 * MIB, 4 * MIB]


def test_lone_writes_say_nothing_about_the_shared_network():
    ev = events(boot(10.0, "a", "image_write_s", 2.0), boot(10.0, "a", "image_written", 16 * MIB),
                boot(30.0, "b", "image_write_s", 4.0), boot(30.0, "b", "image_written", 16 * MIB))
    assert shared_bandwidth_bps(write_measurements(ev)) is None


def test_overlapping_writes_add_up_their_bandwidths():
    # a: 8..10 s at 8 MiB/s; b: 7..11 s at 4 MiB/s; c alone later
    ev = events(boot(10.0, "a", "image_write_s", 2.0), boot(10.0, "a", "image_written", 16 * MIB),
                boot(11.0, "b", "image_write_s", 4.0), boot(11.0, "b", "image_written", 16 * MIB),
                boot(40.0, "c", "image_write_s", 1.0), boot(40.0, "c", "image_written", 16 * MIB))
    assert math.isclose(shared_bandwidth_bps(write_measurements(ev)), 12 * MIB)
