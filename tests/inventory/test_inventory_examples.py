"""The two real baremetal.csv samples from the HP Helion documentation, judged exactly as
tests/fixtures/inventory/helion-docs/README.md says. The fixtures are verbatim copies: their
SHA-256 as printed is recorded in that README and checked here."""
from __future__ import annotations

import hashlib
import re

import pytest
from invtest_helpers import EXAMPLE_10, EXAMPLE_11, FIXTURES

from twin.inventory import load_inventory, validate
from twin.inventory.model import PowerKind, Role


def judged(path):
    inv = load_inventory(str(path))
    problems = validate(inv, "kvm-30x40")
    errors = [(p.line, p.field) for p in problems if p.severity == "error"]
    warnings = [(p.line, p.field) for p in problems if p.severity == "warning"]
    return inv, problems, errors, warnings


def test_1_0_example_two_nodes_with_16384_mb_are_flagged():
    inv, problems, errors, warnings = judged(FIXTURES / EXAMPLE_10)
    assert inv.dialect == "csv-1.0"
    assert len(inv.nodes) == 7
    # line 1 is the undercloud; roles are assigned in order
    assert [n.name for n in inv.nodes] == ["undercloud", "controller0", "controller1", "controller2",
                                           "swift0", "swift1", "compute0"]
    assert errors == [(2, "memory_MB"), (7, "memory_MB")]
    assert warnings == []
    for p in problems:
        assert "16384" in p.message and "32768" in p.message


def test_1_0_example_line_2_is_the_smallest_so_the_flavor_rule_holds():
    inv, _, errors, _ = judged(FIXTURES / EXAMPLE_10)
    flavor = inv.nodes[1].hardware
    for n in inv.nodes[2:]:
        assert n.hardware.cpus >= flavor.cpus and n.hardware.memory_mib >= flavor.memory_mib
        assert n.hardware.disk_gib >= flavor.disk_gib
    assert not [e for e in errors if e[1] == "disk_GiB"]


def test_1_1_example_last_two_rows_with_70_gib_disks_are_flagged():
    inv, problems, errors, warnings = judged(FIXTURES / EXAMPLE_11)
    assert inv.dialect == "csv-1.1"
    assert errors == [(8, "disk_GiB"), (9, "disk_GiB")]
    for p in problems:
        if p.severity == "error":
            assert "70 GiB" in p.message and "512 GiB" in p.message
    # one VSA and one VSA-AO node: each is a lone StoreVirtual node, below the recommended 3
    assert warnings == [(8, "role"), (9, "role")]


def test_1_1_example_rows_without_power_management_default_to_ipmi():
    inv = load_inventory(str(FIXTURES / EXAMPLE_11))
    vsa, vsa_ao = inv.nodes[7], inv.nodes[8]
    assert (vsa.role, vsa_ao.role) == (Role.VSA, Role.VSA_AO)
    assert vsa.bmc.kind is PowerKind.IPMI and vsa_ao.bmc.kind is PowerKind.IPMI
    assert vsa.mac == "e4:11:5b:b7:ae:be"  # upper case in the file
    assert all(n.role_given for n in inv.nodes)


def recorded_sha256() -> dict[str, str]:
    """File name -> SHA-256 as the fixtures' README records it."""
    readme = (FIXTURES / "helion-docs" / "README.md").read_text()
    return {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)}


@pytest.mark.parametrize("name", [EXAMPLE_10, EXAMPLE_11])
def test_fixture_copies_are_the_files_as_printed(name):
    path = FIXTURES / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded_sha256()[path.name]
