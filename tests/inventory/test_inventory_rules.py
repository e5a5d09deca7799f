"""Every validation rule, one focused test each: which line and which field is flagged."""
from __future__ import annotations

import dataclasses

import pytest
from invtest_helpers import MINIMAL_ROLES, PASSWORD, csv_text, instackenv_text, minimal_rows, node_json, row, write

from twin.inventory import generate_inventory, get_profile, load_inventory, validate

PROFILES7 = ["undercloud", "control", "control", "control", "swift-storage", "swift-storage", "compute"]


def check(tmp_path, rows, profile="kvm-30x40", severity="error"):
    inv = load_inventory(write(tmp_path, "baremetal.csv", csv_text(rows)))
    problems = validate(inv, profile)
    for p in problems:
        assert PASSWORD.casefold() not in str(p).casefold() and "\n" not in str(p)
    return [(p.line, p.field) for p in problems if p.severity == severity], problems


def with_row(index, **changes):
    """The minimal valid 1.1 file with row `index` (0-based; line index+1) changed."""
    rows = minimal_rows()
    rows[index] = row(index, role=MINIMAL_ROLES[index], power=changes.pop("power", "IPMI"), **changes)
    return rows


def test_minimal_valid_file_has_no_problems(tmp_path):
    assert check(tmp_path, minimal_rows())[1] == []


def test_too_few_rows_is_a_whole_file_problem(tmp_path):
    where, problems = check(tmp_path, minimal_rows()[:6])
    assert (0, "rows") in where
    rows_problem = next(p for p in problems if p.field == "rows")
    assert "6 active nodes" in rows_problem.message and "at least 7" in rows_problem.message


def test_too_many_rows_is_reported_at_the_first_row_beyond_the_limit(tmp_path):
    roles = MINIMAL_ROLES[:6] + ["OvercloudCompute"] * 95
    rows = [row(i, mac=f"52:54:00:00:{i // 256:02x}:{i % 256:02x}", address=f"10.0.{i // 256}.{i % 256}", role=r)
            for i, r in enumerate(roles)]
    where, problems = check(tmp_path, rows, profile="commercial-1.1")
    assert where == [(101, "rows")]
    assert "at most 100" in problems[0].message and "node 101 of 101" in problems[0].message


@pytest.mark.parametrize("mac", ["52:54:00:00:00", "52-54-00-00-00-03", "52:54:00:00:00:0g", "525400000003", ""])
def test_malformed_mac(tmp_path, mac):
    where, problems = check(tmp_path, with_row(3, mac=mac))
    assert where == [(4, "mac")]
    assert "six hex pairs" in problems[0].message


@pytest.mark.parametrize("mac", ["01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"])
def test_multicast_or_zero_mac_is_not_a_nic(tmp_path, mac):
    assert check(tmp_path, with_row(2, mac=mac))[0] == [(3, "mac")]


def test_duplicate_mac_flagged_on_the_later_line_naming_the_first(tmp_path):
    where, problems = check(tmp_path, with_row(5, mac="52:54:00:00:00:01"))
    assert where == [(6, "mac")]
    assert "line 2" in problems[0].message


def test_mac_duplicate_is_case_insensitive(tmp_path):
    rows = minimal_rows()
    rows[4] = row(4, mac="52:54:00:00:00:0A", role=MINIMAL_ROLES[4], power="IPMI")
    rows[6] = row(6, mac="52:54:00:00:00:0a", role=MINIMAL_ROLES[6], power="IPMI")
    assert check(tmp_path, rows)[0] == [(7, "mac")]


@pytest.mark.parametrize("address", ["192.168.11", "192.168.11.256", "bmc01.lab", "fe80::1", "0.0.0.0",
                                     "224.0.0.1", "255.255.255.255", ""])
def test_ipmi_needs_an_ipv4_unicast_address(tmp_path, address):
    where, problems = check(tmp_path, with_row(1, address=address))
    assert where == [(2, "ipmi_address")]


def test_loopback_is_allowed_for_virtualbmc_labs(tmp_path):
    assert check(tmp_path, with_row(1, address="127.0.0.1:6231"))[1] == []


@pytest.mark.parametrize("address,ok", [("hypervisor.lab", True), ("kvm-host-01", True), ("10.0.0.9", True),
                                        ("-bad.lab", False), ("under_score", False), ("192.168.1", False)])
def test_vm_power_accepts_ipv4_or_hostname(tmp_path, address, ok):
    where, _ = check(tmp_path, with_row(6, power="VM", address=address))
    assert where == ([] if ok else [(7, "ipmi_address")])


def test_duplicate_bmc_flagged_on_the_later_line(tmp_path):
    where, problems = check(tmp_path, with_row(4, address="10.0.0.2"))
    assert where == [(5, "ipmi_address")]
    assert "'10.0.0.2'" in problems[0].message and "line 2" in problems[0].message


def test_vm_nodes_share_their_hypervisor_address_legitimately(tmp_path):
    rows = [row(i, role=r, power="VM", address="192.168.122.1") for i, r in enumerate(MINIMAL_ROLES)]
    assert check(tmp_path, rows)[1] == []


def test_bmc_identity_includes_port_and_moonshot_target(tmp_path):
    rows = minimal_rows()
    rows[4] = row(4, role=MINIMAL_ROLES[4], power="HP_Moonshot:0x84:0x72", address="10.9.9.9")
    rows[5] = row(5, role=MINIMAL_ROLES[5], power="HP_Moonshot:0x84:0x74", address="10.9.9.9")
    rows[6] = row(6, role=MINIMAL_ROLES[6], power="HP_Moonshot:0x84:0x72", address="10.9.9.9")
    rows[2] = row(2, role=MINIMAL_ROLES[2], address="127.0.0.1:6230")
    rows[3] = row(3, role=MINIMAL_ROLES[3], address="127.0.0.1:6231")
    where, problems = check(tmp_path, rows)
    assert where == [(7, "ipmi_address")]
    assert "target 0x72" in problems[0].message and "line 5" in problems[0].message


def test_empty_user_and_empty_password(tmp_path):
    where, problems = check(tmp_path, with_row(2, user="", password=""))
    assert where == [(3, "ipmi_user"), (3, "ipmi_password")]


@pytest.mark.parametrize("field,kwarg", [("cpus", "cpus"), ("memory_MB", "memory"), ("disk_GiB", "disk")])
@pytest.mark.parametrize("value", [0, -4])
def test_numbers_must_be_positive(tmp_path, field, kwarg, value):
    where, problems = check(tmp_path, with_row(6, **{kwarg: value}))
    assert where == [(7, field)]
    assert f"is {value}; a positive whole number is required" == problems[0].message


def test_memory_below_minimum_says_found_and_required(tmp_path):
    where, problems = check(tmp_path, with_row(5, memory=16384))
    assert where == [(6, "memory_MB")]
    assert "16384 MB" in problems[0].message and "32768 MB" in problems[0].message


def test_disk_below_minimum_says_found_and_required(tmp_path):
    where, problems = check(tmp_path, with_row(0, disk=511))
    assert where == [(1, "disk_GiB")]
    assert "511 GiB" in problems[0].message and "512 GiB" in problems[0].message
    assert check(tmp_path, with_row(0, disk=512))[1] == []


def test_minimums_come_from_the_profile(tmp_path):
    strict = dataclasses.replace(get_profile("kvm-30x40"), name="strict", min_cpus=16, min_disk_gib=2048)
    where, problems = check(tmp_path, minimal_rows(), profile=strict)
    assert where == [(line, f) for line in range(1, 8) for f in ("cpus", "disk_GiB")]
    assert "8 CPUs is below the minimum of 16" in problems[0].message


def test_two_undercloud_flagged_at_the_second(tmp_path):
    roles = ["Undercloud"] + MINIMAL_ROLES[1:] + ["Undercloud"]
    where, problems = check(tmp_path, [row(i, role=r) for i, r in enumerate(roles)])
    assert where == [(8, "role")]
    assert "exactly 1" in problems[0].message


def test_missing_undercloud_is_a_whole_file_problem(tmp_path):
    roles = ["OvercloudCompute"] + MINIMAL_ROLES[1:]
    assert check(tmp_path, [row(i, role=r) for i, r in enumerate(roles)])[0] == [(0, "role")]


def test_four_controllers_flagged_at_the_fourth_and_two_at_line_zero(tmp_path):
    four = MINIMAL_ROLES + ["OvercloudControl"]
    assert check(tmp_path, [row(i, role=r) for i, r in enumerate(four)])[0] == [(8, "role")]
    two = ["Undercloud", "OvercloudControl", "OvercloudControl"] + MINIMAL_ROLES[4:] + ["OvercloudCompute"]
    where, problems = check(tmp_path, [row(i, role=r) for i, r in enumerate(two)])
    assert where == [(0, "role")]
    assert "2 OvercloudControl nodes; exactly 3 required" in problems[0].message


def test_one_swift_node_is_too_few(tmp_path):
    roles = MINIMAL_ROLES[:5] + ["OvercloudCompute", "OvercloudCompute"]
    where, problems = check(tmp_path, [row(i, role=r) for i, r in enumerate(roles)])
    assert where == [(0, "role")] and "OvercloudSwiftStorage" in problems[0].message


def test_no_compute_is_an_error(tmp_path):
    roles = MINIMAL_ROLES[:6] + ["OvercloudSwiftStorage"]
    where, problems = check(tmp_path, [row(i, role=r) for i, r in enumerate(roles)])
    assert where == [(0, "role")] and "0 OvercloudCompute" in problems[0].message


def test_compute_above_profile_maximum_names_the_profile_limit(tmp_path):
    roles = MINIMAL_ROLES[:6] + ["OvercloudCompute"] * 31
    rows = [row(i, role=r) for i, r in enumerate(roles)]
    where, problems = check(tmp_path, rows)
    assert where == [(37, "role")]
    assert "kvm-30x40 supports at most 30 compute nodes" in problems[0].message
    assert "31 OvercloudCompute" in problems[0].message
    assert check(tmp_path, rows, profile="commercial-1.1")[1] == []


@pytest.mark.parametrize("role,count,warned", [("OvercloudVSAStorage", 1, True), ("OvercloudVSAStorage", 2, True),
                                               ("OvercloudVSAStorage", 3, False), ("OvercloudVSAAOStorage", 2, True)])
def test_fewer_than_three_vsa_nodes_is_a_warning(tmp_path, role, count, warned):
    rows = minimal_rows() + [row(7 + k, role=role) for k in range(count)]
    errors, problems = check(tmp_path, rows)
    warnings = [(p.line, p.field) for p in problems if p.severity == "warning"]
    assert errors == []
    assert warnings == ([(8, "role")] if warned else [])
    if warned:
        assert "at least 3" in problems[0].message and f"only {count}" in problems[0].message


def test_1_0_flavor_row_must_be_the_smallest_server(tmp_path):
    rows = [row(i) for i in range(7)]
    rows[1] = row(1, memory=98304, cpus=16)   # line 2 (the flavor) is bigger than the others
    rows[0] = row(0, memory=40000)            # the undercloud is not an overcloud node: exempt
    where, problems = check(tmp_path, rows)
    assert where == [(line, f) for line in range(3, 8) for f in ("cpus", "memory_MB")]
    assert all("line 2" in p.message and "flavor" in p.message for p in problems)


def test_flavor_rule_is_1_0_only(tmp_path):
    rows = minimal_rows()
    rows[1] = row(1, memory=98304, role="OvercloudControl")
    assert check(tmp_path, rows)[1] == []


def test_deleted_rows_are_not_judged(tmp_path):
    rows = minimal_rows() + [row(0, mac="nonsense", address="10.0.0.1", memory=1, role="OvercloudCompute:deleted")]
    assert check(tmp_path, rows)[1] == []


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    rows = minimal_rows()
    rows[1] = row(1, mac="bad", role="OvercloudControl", memory=1024)
    rows[3] = row(3, address="10.0.0.1", role="OvercloudControl", disk=100, user="")
    where, _ = check(tmp_path, rows)
    assert where == [(2, "mac"), (2, "memory_MB"), (4, "ipmi_user"), (4, "disk_GiB"), (4, "ipmi_address")]


def test_a_password_in_another_column_is_redacted(tmp_path):
    where, problems = check(tmp_path, with_row(2, mac=PASSWORD, address="x" + PASSWORD))
    assert where == [(3, "mac"), (3, "ipmi_address")]
    assert all("<redacted>" in p.message for p in problems)


def test_instackenv_problems_use_json_keys(tmp_path):
    nodes = [node_json(i, capabilities=f"profile:{p}") for i, p in enumerate(PROFILES7)]
    nodes[2]["memory"], nodes[3]["pm_addr"], nodes[4]["pm_user"] = 1024, "bmc.example", ""
    inv = load_inventory(write(tmp_path, "instackenv.json", instackenv_text(nodes)))
    problems = validate(inv)
    assert [p.field for p in problems] == ["memory", "pm_addr", "pm_user"]
    assert "1024 MiB" in problems[0].message
    assert [p.line for p in problems] == [inv.nodes[2].line, inv.nodes[3].line, inv.nodes[4].line]


def test_generated_inventory_is_validated_like_a_csv(tmp_path):
    inv = generate_inventory({"compute": 40}, {"cpus": 4, "memory_mib": 32768, "disk_gib": 600})
    problems = validate(inv)
    # lines 1..6 are the undercloud, controllers and Swift; the 31st compute is line 37
    assert [(p.field, p.line) for p in problems] == [("role", 37)]
    assert "kvm-30x40 supports at most 30 compute nodes" in problems[0].message


def test_whole_file_rules_can_be_skipped(tmp_path):
    inv = load_inventory(write(tmp_path, "b.csv", csv_text(minimal_rows()[:3])))
    assert [p.field for p in validate(inv)] == ["rows", "role", "role", "role"]
    assert validate(inv, whole_file=False) == []
