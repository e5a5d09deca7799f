"""baremetal.csv reading (both dialects) and writing."""
from __future__ import annotations

import os
import stat

import pytest
from invtest_helpers import PASSWORD, csv_text, minimal_rows, row, write

from twin.errors import InputError, UnreadableError
from twin.inventory import load_inventory, parse_inventory
from twin.inventory.csv_format import COLUMNS_10, COLUMNS_11, write_csv
from twin.inventory.model import PowerKind, Role


def load(tmp_path, rows, name="baremetal.csv"):
    return load_inventory(write(tmp_path, name, csv_text(rows)))


def parse_problems(tmp_path, rows):
    inv, problems = parse_inventory(write(tmp_path, "baremetal.csv", csv_text(rows)))
    return inv, [(p.line, p.field) for p in problems], problems


def test_seven_columns_everywhere_is_the_1_0_dialect(tmp_path):
    inv = load(tmp_path, [row(i) for i in range(7)])
    assert inv.dialect == "csv-1.0"
    n = inv.nodes[0]
    assert (n.mac, n.bmc.user, n.bmc.address, n.bmc.port) == ("52:54:00:00:00:00", "admin", "10.0.0.1", 623)
    assert (n.hardware.cpus, n.hardware.memory_mib, n.hardware.disk_gib) == (8, 65536, 1024)
    assert n.bmc.password.get_secret_value() == PASSWORD and n.bmc.kind is PowerKind.IPMI
    assert [n.line for n in inv.nodes] == list(range(1, 8))


def test_any_eight_or_nine_field_row_makes_it_the_1_1_dialect(tmp_path):
    rows = [row(i) for i in range(6)] + [row(6, role="OvercloudCompute")]
    inv = load(tmp_path, rows)
    assert inv.dialect == "csv-1.1"
    assert inv.nodes[-1].role is Role.COMPUTE and inv.nodes[-1].bmc.kind is PowerKind.IPMI


def test_mixed_7_8_9_field_rows_in_a_1_1_file(tmp_path):
    rows = [row(0, role="Undercloud", power="VM"), row(1, role="OvercloudControl"), row(2)]
    inv = load(tmp_path, rows)
    assert inv.dialect == "csv-1.1"
    assert [n.bmc.kind for n in inv.nodes] == [PowerKind.VM, PowerKind.IPMI, PowerKind.IPMI]
    assert [n.role_given for n in inv.nodes] == [True, True, False]


def test_empty_role_and_power_fields_mean_assign_and_ipmi(tmp_path):
    inv = load(tmp_path, [row(0, role="", power="")])
    assert inv.nodes[0].role is Role.UNDERCLOUD and not inv.nodes[0].role_given
    assert inv.nodes[0].bmc.kind is PowerKind.IPMI


def test_whitespace_case_blank_lines_and_comments(tmp_path):
    text = ("# a comment\n\n  AA:BB:CC:DD:EE:01 , admin ,  pw , 10.0.0.1 , 4 , 32768 , 600 , overcloudcompute , vm \n"
            "   \n# another\r\n52:54:00:00:00:02,admin,pw,10.0.0.2,4,32768,600\r\n")
    inv = load_inventory(write(tmp_path, "b.csv", text))
    assert [n.line for n in inv.nodes] == [3, 6]
    first = inv.nodes[0]
    assert first.mac == "aa:bb:cc:dd:ee:01" and first.bmc.user == "admin"
    assert first.bmc.password.get_secret_value() == "pw"
    assert first.role is Role.COMPUTE and first.bmc.kind is PowerKind.VM


@pytest.mark.parametrize("header", [COLUMNS_10, COLUMNS_11])
def test_header_with_exact_column_names_is_skipped_silently(tmp_path, header):
    inv, problems = parse_inventory(write(tmp_path, "b.csv", csv_text([",".join(header)] + [row(i) for i in range(7)])))
    assert problems == [] and len(inv.nodes) == 7 and inv.nodes[0].line == 2
    assert inv.dialect == ("csv-1.1" if len(header) == 9 else "csv-1.0")


def test_header_with_other_names_is_a_row_like_any_other(tmp_path):
    _, where, _ = parse_problems(tmp_path, ["MAC,user,password,address,cpus,memory,disk"] + [row(i) for i in range(7)])
    assert where == [(1, "cpus"), (1, "memory_MB"), (1, "disk_GiB")]


def test_moonshot_power_management(tmp_path):
    inv = load(tmp_path, [row(0, role="OvercloudCompute", power="HP_Moonshot:0x84:0x72"),
                          row(1, role="OvercloudCompute", power="hp_moonshot:0X84:0X7A")])
    a, b = (n.bmc for n in inv.nodes)
    assert (a.kind, a.transit, a.target) == (PowerKind.MOONSHOT, "0x84", "0x72")
    assert (b.kind, b.transit, b.target) == (PowerKind.MOONSHOT, "0x84", "0x7a")
    assert a.endpoint == "10.0.0.1/0x72"


@pytest.mark.parametrize("power", ["HP_Moonshot", "HP_Moonshot:0x84", "HP_Moonshot:0x84:72", "HP_Moonshot:0x84:0x720",
                                   "HP_Moonshot:0x84:0x72:0x1"])
def test_malformed_moonshot_is_a_power_management_problem(tmp_path, power):
    _, where, problems = parse_problems(tmp_path, [row(0, role="OvercloudCompute", power=power)])
    assert where == [(1, "power_management")]
    assert "HP_Moonshot:<transit>:<target>" in problems[0].message


def test_ilo4_and_unknown_power(tmp_path):
    inv, where, problems = parse_problems(tmp_path, [row(0, role="Undercloud", power="HP_iLO4"),
                                                     row(1, role="Undercloud", power="IPMB")])
    assert inv.nodes[0].bmc.kind is PowerKind.ILO4
    assert where == [(2, "power_management")]
    assert "'IPMB'" in problems[0].message and "HP_iLO4" in problems[0].message


def test_unknown_role_lists_known_roles(tmp_path):
    _, where, problems = parse_problems(tmp_path, [row(0, role="OvercloudComptue")])
    assert where == [(1, "role")]
    assert "'OvercloudComptue'" in problems[0].message and "OvercloudCompute" in problems[0].message


@pytest.mark.parametrize("role", [":deleted", "OvercloudCompute:removed"])
def test_bad_role_suffix_or_bare_deleted(tmp_path, role):
    _, where, _ = parse_problems(tmp_path, [row(0, role=role)])
    assert where == [(1, "role")]


@pytest.mark.parametrize("column,value", [("cpus", "eight"), ("memory_MB", "32768MB"), ("disk_GiB", "1.5"),
                                          ("cpus", "")])
def test_non_integer_numbers_are_parse_problems_naming_the_column(tmp_path, column, value):
    kwargs = {"cpus": "cpus", "memory_MB": "memory", "disk_GiB": "disk"}
    _, where, problems = parse_problems(tmp_path, [row(0), row(1, **{kwargs[column]: value})])
    assert where == [(2, column)]
    assert "whole number" in problems[0].message


@pytest.mark.parametrize("count", [6, 10, 1])
def test_wrong_field_count(tmp_path, count):
    fields = row(0, role="OvercloudCompute", power="IPMI").split(",") + ["x"]
    _, where, problems = parse_problems(tmp_path, [",".join(fields[:count])])
    assert where == [(1, "row")]
    assert f"found {count}" in problems[0].message


def test_every_parse_problem_is_reported_not_just_the_first(tmp_path):
    rows = [row(0, cpus="x", memory="y"), row(1), row(2, role="Nope", power="Bogus"), "a,b,c"]
    with pytest.raises(InputError) as info:
        load(tmp_path, rows)
    assert not isinstance(info.value, UnreadableError)
    assert [(p.line, p.field) for p in info.value.problems] == [
        (1, "cpus"), (1, "memory_MB"), (3, "role"), (3, "power_management"), (4, "row")]


def test_address_with_port_is_a_lab_extension(tmp_path):
    inv, where, _ = parse_problems(tmp_path, [row(0, address="127.0.0.1:6230"), row(1, address="127.0.0.1:99999"),
                                              row(2, address="127.0.0.1:" + "9" * 5000), row(3, address="h:0")])
    assert (inv.nodes[0].bmc.address, inv.nodes[0].bmc.port) == ("127.0.0.1", 6230)
    assert where == [(2, "ipmi_address"), (3, "ipmi_address"), (4, "ipmi_address")]


def test_empty_file_parses_to_no_nodes(tmp_path):
    inv, problems = parse_inventory(write(tmp_path, "b.csv", "\n# only a comment\n"))
    assert inv.nodes == [] and problems == []


def test_unreadable_files(tmp_path):
    cases = {"missing.csv": None, "dir.csv": "dir", "fifo.csv": "fifo", "binary.csv": b"\x00\x01abc",
             "latin1.csv": b"mac,\xe9\n"}
    for name, content in cases.items():
        path = tmp_path / name
        if content == "dir":
            path.mkdir()
        elif content == "fifo":
            os.mkfifo(path)  # reading it would block forever: refused up front
        elif content is not None:
            path.write_bytes(content)
        with pytest.raises(UnreadableError) as info:
            load_inventory(str(path))
        (problem,) = info.value.problems
        assert problem.file == str(path) and problem.field == "file"


def test_utf8_bom_is_tolerated(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([row(0)]).encode())
    assert load_inventory(str(path)).nodes[0].mac == "52:54:00:00:00:00"


def test_write_csv_round_trip_keeps_roles_deleted_moonshot_port_and_is_private(tmp_path):
    rows = minimal_rows() + [row(7, role="OvercloudCompute:deleted"),
                             row(8, role="OvercloudCompute", power="HP_Moonshot:0x84:0x72"),
                             row(9, role="OvercloudCompute", power="VM", address="hypervisor.lab"),
                             row(10, role="OvercloudCompute", address="127.0.0.1:6231")]
    original = load(tmp_path, rows)
    out = tmp_path / "out.csv"
    write_csv(original, out)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    again = load_inventory(str(out))
    assert again.dialect == "csv-1.1"
    for a, b in zip(original.nodes, again.nodes, strict=True):
        assert (a.name, a.role, a.mac, a.deleted, a.hardware, a.line) == \
               (b.name, b.role, b.mac, b.deleted, b.hardware, b.line)
        assert (a.bmc.kind, a.bmc.address, a.bmc.port, a.bmc.transit, a.bmc.target, a.bmc.user) == \
               (b.bmc.kind, b.bmc.address, b.bmc.port, b.bmc.transit, b.bmc.target, b.bmc.user)
        assert a.bmc.password.get_secret_value() == b.bmc.password.get_secret_value()


def test_comma_in_password_is_explained_and_no_piece_of_it_is_shown(tmp_path):
    rows = [row(0, password="S3cr,3t-XYZZY"), row(1, password="a,b,S3cr3t")]
    _, where, problems = parse_problems(tmp_path, rows)
    assert where == [(1, "row"), (2, "row")]
    assert "contain a comma" in problems[0].message
    text = " ".join(p.message for p in problems)
    assert "S3cr" not in text and "XYZZY" not in text


def test_comma_in_mac_with_bad_numbers_redacts_the_shifted_password(tmp_path):
    # mac "52:54,00..." shifts everything right by one: the password lands in ipmi_address and the
    # address in cpus; memory_MB is also broken, so the numbers do not line up either way.
    line = "52:54,00:00:00:01,admin,S3cr3t-XYZZY,10.0.0.1,8,lots,1024"
    _, where, problems = parse_problems(tmp_path, [line])
    assert (1, "role") in where
    assert all("XYZZY" not in p.message for p in problems)
