"""Helion's rings from the scenario's `swift:` section, and atomic builder saves."""
from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from swift_helpers import swift_figures
from twin.cloud.swift import analyze, rings, verbs
from twin.cloud.swift.build import build_rings, zones_for
from twin.cloud.swift.config import SwiftConfig
from twin.errors import InputError, UnreadableError
from twin.inventory.model import Role

SMALL = {"part_power": 6, "min_part_hours": 1}


def nodes(swift=2, scale_out=0, other=1):
    return ([SimpleNamespace(name=f"swift{i}", role=Role.SWIFT) for i in range(swift)]
            + [SimpleNamespace(name=f"soswiftstorage{i}", role=Role.SO_SWIFT_STORAGE) for i in range(scale_out)]
            + [SimpleNamespace(name=f"compute{i}", role=Role.COMPUTE) for i in range(other)])


def test_the_starter_cloud_gets_account_container_object_rings():
    cfg = SwiftConfig(**SMALL)
    built = build_rings(cfg, nodes(swift=2))
    assert sorted(built) == ["account", "container", "object"]
    for b in built.values():
        verbs.validate(b)
        assert b.replicas == 3.0 and b.parts == 64
        assert {d["ip"] for d in b._iter_devs()} == {"swift0", "swift1"}
        assert {d["device"] for d in b._iter_devs()} == {"sdb", "sdc"}
        assert all(d["weight"] == 931 for d in b._iter_devs())
        # 3 replicas on 2 servers: every partition keeps a replica on each server
        for part in range(b.parts):
            assert {b.devs[p2d[part]]["ip"] for p2d in b._replica2part2dev} == {"swift0", "swift1"}
    assert {d["port"] for d in built["account"]._iter_devs()} == {6002}
    assert {d["port"] for d in built["object"]._iter_devs()} == {6000}


def test_scale_out_nodes_are_storage_policy_1():
    built = build_rings(SwiftConfig(**SMALL), nodes(swift=2, scale_out=3), {"rackA": ["soswiftstorage0", "soswiftstorage1"]})
    assert sorted(built) == ["account", "container", "object", "object-1"]
    devs = list(built["object-1"]._iter_devs())
    assert {d["ip"] for d in devs} == {"soswiftstorage0", "soswiftstorage1", "soswiftstorage2"}
    zones = {d["ip"]: d["zone"] for d in devs}
    assert zones["soswiftstorage0"] == zones["soswiftstorage1"] != zones["soswiftstorage2"]
    f = analyze.failure_impact(built["object-1"], analyze.failed_devices(built["object-1"], ["zone:1"]),
                               analyze.used_bytes(built["object-1"]))
    assert f["partitions_all_lost"] == 0  # a failed rack never holds every replica


def test_zones_from_failure_domains():
    ns = nodes(swift=4, other=0)
    assert zones_for(ns, {"b": ["swift2", "swift3"], "a": ["swift0"], "x": ["compute9"]}) == \
        {"swift0": 1, "swift2": 2, "swift3": 2, "swift1": 3}


def test_same_config_same_rings():
    a = build_rings(SwiftConfig(**SMALL), nodes(swift=3))
    b = build_rings(SwiftConfig(**SMALL), nodes(swift=3))
    for name in a:
        assert analyze.replica_table(a[name]).tobytes() == analyze.replica_table(b[name]).tobytes()


def test_operator_builder_files_are_loaded(tmp_path):
    mine = build_rings(SwiftConfig(**SMALL, replicas=2, disks=[{"device": "sdd", "size_gib": 100}]), nodes(swift=3))
    rings.save_builder(mine["object"], tmp_path / "object.builder")
    built = build_rings(SwiftConfig(**SMALL, builders={"object": tmp_path / "object.builder"}), nodes(swift=2))
    assert built["object"].replicas == 2 and {d["device"] for d in built["object"]._iter_devs()} == {"sdd"}
    assert built["account"].replicas == 3
    with pytest.raises(UnreadableError, match="nope.builder:0: builder: no such builder file"):
        build_rings(SwiftConfig(builders={"object": tmp_path / "nope.builder"}), nodes())


def test_config_refuses_unknown_keys_and_rings():
    for bad in ({"replica": 3}, {"builders": {"objects": "x.builder"}}, {"part_power": 33},
                {"disks": [{"device": "sdb", "size_gib": 1}, {"device": "sdb", "size_gib": 2}]},
                {"ports": {"object": 6000}}, {"disks": [{"device": "sdb", "size_gib": 10, "speed": 1}]}):
        with pytest.raises(ValidationError):
            SwiftConfig(**bad)


def test_too_few_disks_for_the_replicas_is_located():
    with pytest.raises(InputError, match="swift:0: replicas: 3 replicas need at least 3 disks; the account ring has 2"):
        build_rings(SwiftConfig(**SMALL, disks=[{"device": "sdb", "size_gib": 10}]), nodes(swift=2))


def test_a_failed_save_leaves_the_target_untouched(tmp_path):
    b = build_rings(SwiftConfig(**SMALL), nodes(swift=2))["object"]
    target = tmp_path / "object.builder"
    target.write_bytes(b"the operator's file")

    def broken_save(path):  # a disk-full in the middle of swift's write
        with open(path, "wb") as f:
            f.write(b"half")
        raise OSError(28, "No space left on device")

    b.save = broken_save
    with pytest.raises(UnreadableError, match="object.builder:0: builder: cannot write in .*No space left on device"):
        rings.save_builder(b, target)  # one located line, not a traceback
    assert target.read_bytes() == b"the operator's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["object.builder"]


def test_a_saved_scenario_ring_opens_in_swift_ring_builder(tmp_path):
    b = build_rings(SwiftConfig(**SMALL), nodes(swift=2, scale_out=3))["object-1"]
    rings.save_builder(b, tmp_path / "object-1.builder")
    assert oct(os.stat(tmp_path / "object-1.builder").st_mode & 0o777) == "0o644"
    shown = swift_figures(tmp_path / "object-1.builder")
    assert shown["devices"] == 6 and shown["balance"] == f"{verbs.balance(b):.2f}"
