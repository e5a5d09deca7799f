"""Synthetic inventories and limits profiles."""
from __future__ import annotations

import time

import pytest

from twin.inventory import (PROFILES, InventoryConfigError, UnknownProfileError, generate_from_spec,
                            generate_inventory, get_profile, validate)
from twin.inventory.model import Hardware, PowerKind, Role


def test_default_generation_is_a_minimal_valid_cloud():
    inv = generate_inventory()
    assert (inv.source, inv.dialect) == ("<generated>", "generated")
    assert [n.name for n in inv.nodes] == ["undercloud", "controller0", "controller1", "controller2",
                                           "swift0", "swift1", "compute0"]
    assert validate(inv) == []
    assert inv.nodes[0].mac == "52:54:00:00:00:00" and inv.nodes[0].bmc.address == "10.0.0.1"
    assert inv.nodes[0].bmc.port == 623 and inv.nodes[0].bmc.password.get_secret_value() == "generated"


def test_generation_is_deterministic_and_follows_installer_order():
    a = generate_inventory({"vsa": 3, Role.SO_SWIFT_PROXY: 1, "OvercloudCompute": 2}, Hardware(4, 65536, 900))
    b = generate_inventory({"vsa": 3, Role.SO_SWIFT_PROXY: 1, "OvercloudCompute": 2}, Hardware(4, 65536, 900))
    assert [(n.name, n.mac, n.bmc.address) for n in a.nodes] == [(n.name, n.mac, n.bmc.address) for n in b.nodes]
    assert [n.role for n in a.nodes] == ([Role.UNDERCLOUD] + [Role.CONTROL] * 3 + [Role.SWIFT] * 2 + [Role.VSA] * 3
                                         + [Role.SO_SWIFT_PROXY] + [Role.COMPUTE] * 2)
    assert all(n.hardware == Hardware(4, 65536, 900) for n in a.nodes)


def test_ten_thousand_nodes_fast_unique_and_not_limited_here():
    start = time.perf_counter()
    inv = generate_inventory({"compute": 10_000 - 6})
    elapsed = time.perf_counter() - start
    assert len(inv.nodes) == 10_000
    assert len({n.mac for n in inv.nodes}) == 10_000 and len({n.bmc.address for n in inv.nodes}) == 10_000
    assert len({n.name for n in inv.nodes}) == 10_000
    assert elapsed < 2.0
    fields = {(p.line, p.field) for p in validate(inv, "commercial-1.1")}
    assert fields == {(101, "rows"), (107, "role")}  # validation, not generation, applies the limits


def test_generate_from_scenario_spec_flat_and_nested():
    flat = generate_from_spec({"compute": 5, "cpus": 2, "memory_mib": 16384, "power": "VM"})
    nested = generate_from_spec({"counts": {"compute": 5}, "hardware": {"cpus": 2, "memory_mib": 16384}, "power": "VM"})
    assert len(flat.nodes) == len(nested.nodes) == 11
    assert flat.nodes[0].hardware == nested.nodes[0].hardware == Hardware(2, 16384, 2048)
    assert {n.bmc.kind for n in flat.nodes} == {PowerKind.VM}
    assert [p.field for p in validate(flat)].count("memory_MB") == 11


@pytest.mark.parametrize("spec,match", [({"computes": 3}, "unknown key 'computes'"), ({"compute": -1}, ">= 0"),
                                        ({"power": "HP_Moonshot"}, "not supported"), ({"cpus": "4"}, "whole number"),
                                        ({"hardware": {"ram": 1}}, "unknown hardware")])
def test_bad_generate_specs_are_config_errors(spec, match):
    with pytest.raises(InventoryConfigError, match=match):
        generate_from_spec(spec)


def test_profiles_figures():
    kvm, commercial, esx = (get_profile(n) for n in ("kvm-30x40", "commercial-1.1", "esx"))
    assert (kvm.max_compute, kvm.max_vms_per_host) == (30, 40)
    assert (commercial.max_compute, commercial.max_vms_per_host) == (100, 40)
    assert esx.max_vms_per_host == 50 and esx.compute_host_is_cluster
    for p in PROFILES.values():
        assert (p.min_rows, p.max_rows, p.min_memory_mib, p.min_disk_gib, p.min_cpus) == (7, 100, 32768, 512, 1)
        limits = {l.role: (l.min, l.max) for l in p.role_limits}
        assert limits == {Role.UNDERCLOUD: (1, 1), Role.CONTROL: (3, 3), Role.SWIFT: (2, None),
                          Role.COMPUTE: (1, p.max_compute)}


def test_unknown_profile_lists_known_names():
    with pytest.raises(UnknownProfileError, match="known profiles: kvm-30x40, commercial-1.1, esx"):
        get_profile("kvm")


def test_max_nodes_refuses_a_larger_total_before_building_it():
    profile = PROFILES["kvm-30x40"]
    with pytest.raises(InventoryConfigError, match=r"generate: 1,000,006 nodes; an inventory holds at most 100"):
        generate_from_spec({"compute": 1_000_000}, max_nodes=profile.max_rows)
    assert len(generate_from_spec({"compute": 94}, max_nodes=profile.max_rows).nodes) == 100
