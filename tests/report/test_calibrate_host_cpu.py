"""`twin calibrate`'s fit of a lab host's shared CPU (twin/analysis/calibrate.py): boot spans made
by hand under processor sharing (each boot 10 s of a lone guest's work, the host 1.5 guests'
worth), from which the fit must recover the capacity and the lone work, and spans that never
overlapped, from which it must not invent one."""
import math

import pandas as pd
import pytest

from twin.analysis.calibrate import host_capacity, lone_work

WORK, CAPACITY = 10.0, 1.5


def marks(groups):
    """One row per node: its deploy ramdisk's boot and, 100 s later, its OS's boot; `groups` are
    (start, size): that many nodes start both boots together, so each lasts WORK x max(1, size/CAPACITY)."""
    rows = []
    for start, size in groups:
        took = WORK * max(1.0, size / CAPACITY)
        for i in range(size):
            rows.append({"node": f"n{start}-{i}", "pxe_deploy": start, "deploy_cb": start + took,
                         "pxe_local": start + 100, "local_cb": start + 100 + took})
    return pd.DataFrame(rows)


def test_the_fit_recovers_the_hosts_capacity_and_each_boots_lone_work():
    m = marks([(0, 1), (300, 5), (600, 3)])  # the undercloud alone, then 5, then 3 at once
    capacity = host_capacity(m)
    assert capacity == pytest.approx(CAPACITY)
    work = lone_work(m, capacity)
    assert work["ramdisk_boot_s"] == pytest.approx([WORK] * 9)
    assert work["os_boot_s"] == pytest.approx([WORK] * 9)


def test_boots_that_never_overlapped_fit_no_shared_host():
    assert host_capacity(marks([(0, 1), (300, 1), (600, 1)])) is None


def test_boots_that_overlapped_without_slowing_down_fit_no_shared_host():
    # five at once, each as fast as alone: a host with room for all of them (real servers)
    m = marks([(0, 1), (300, 5)])
    m["deploy_cb"] = m.pxe_deploy + WORK
    m["local_cb"] = m.pxe_local + WORK
    assert host_capacity(m) is None


def test_an_unfinished_boot_is_left_out():
    m = marks([(0, 1), (300, 5), (600, 3)])
    m.loc[2, "local_cb"] = math.nan  # a node that never called back from disk
    work = lone_work(m, host_capacity(m))
    assert len(work["os_boot_s"]) == 8 and len(work["ramdisk_boot_s"]) == 9
