"""Role assignment (the Helion installer's rule) and stable naming."""
from __future__ import annotations

import pytest
from invtest_helpers import csv_text, node_json, instackenv_text, row, write
from pydantic import SecretStr

from twin.inventory import InventoryConfigError, WantedCounts, load_inventory
from twin.inventory.model import Bmc, Hardware, PowerKind, Role
from twin.inventory.roles import Draft, assign_roles, build_nodes

U, C, S, K = Role.UNDERCLOUD, Role.CONTROL, Role.SWIFT, Role.COMPUTE


def drafts(roles, deleted=()):
    bmc = Bmc(PowerKind.IPMI, "10.0.0.1", "admin", SecretStr("x"))
    hw = Hardware(8, 65536, 1024)
    return [Draft(line=i + 1, mac=f"52:54:00:00:00:{i:02x}", bmc=bmc, hardware=hw, role=r, deleted=i in deleted)
            for i, r in enumerate(roles)]


def load_rows(tmp_path, rows, **kw):
    return load_inventory(write(tmp_path, "baremetal.csv", csv_text(rows)), **kw)


def test_no_roles_fills_undercloud_control_swift_then_compute(tmp_path):
    inv = load_rows(tmp_path, [row(i) for i in range(10)])
    assert [n.role for n in inv.nodes] == [U, C, C, C, S, S, K, K, K, K]
    assert [n.name for n in inv.nodes] == ["undercloud", "controller0", "controller1", "controller2",
                                           "swift0", "swift1", "compute0", "compute1", "compute2", "compute3"]
    assert not any(n.role_given for n in inv.nodes)


def test_explicit_roles_are_counted_before_assigning(tmp_path):
    # The undercloud is the LAST row, explicitly: the first role-less row must not become one.
    rows = [row(i) for i in range(6)] + [row(6, role="Undercloud")]
    inv = load_rows(tmp_path, rows)
    assert [n.role for n in inv.nodes] == [C, C, C, S, S, K, U]
    assert [n.role_given for n in inv.nodes] == [False] * 6 + [True]
    assert inv.nodes[-1].name == "undercloud"


def test_explicit_controllers_later_in_file_reduce_assigned_controllers(tmp_path):
    rows = [row(i) for i in range(5)] + [row(5, role="OvercloudControl"), row(6, role="overcloudcontrol")]
    inv = load_rows(tmp_path, rows)
    assert [n.role for n in inv.nodes] == [U, C, S, S, K, C, C]
    # names follow file order within a role, explicit or assigned
    assert [n.name for n in inv.by_role(C)] == ["controller0", "controller1", "controller2"]
    assert inv.nodes[1].name == "controller0" and inv.nodes[6].name == "controller2"


def test_explicit_compute_does_not_stop_assignment_of_other_roles():
    result = assign_roles(drafts([K, None, None, None, None, None, None, None]))
    assert result == [(K, True), (U, False), (C, False), (C, False), (C, False), (S, False), (S, False), (K, False)]


def test_deleted_rows_do_not_count_and_get_line_names(tmp_path):
    rows = [row(0, role="OvercloudControl:deleted")] + [row(i) for i in range(1, 8)]
    inv = load_rows(tmp_path, rows)
    first = inv.nodes[0]
    assert first.deleted and first.role is C and first.name == "deleted-line1"
    # the deleted controller is not counted: three controllers are still assigned
    assert [n.role for n in inv.active] == [U, C, C, C, S, S, K]
    assert [n.name for n in inv.active][:2] == ["undercloud", "controller0"]


def test_deleted_suffix_is_case_insensitive(tmp_path):
    inv = load_rows(tmp_path, [row(0, role="OvercloudCompute:DELETED")] + [row(i) for i in range(1, 8)])
    assert inv.nodes[0].deleted


def test_all_role_kinds_in_installer_order_with_wanted_counts():
    wanted = WantedCounts(vsa=2, vsa_ao=1, so_swift_proxy=1, so_swift_storage=2)
    result = [r for r, _ in assign_roles(drafts([None] * 14), wanted)]
    assert result == [U, C, C, C, S, S, Role.VSA, Role.VSA, Role.VSA_AO, Role.SO_SWIFT_PROXY,
                      Role.SO_SWIFT_STORAGE, Role.SO_SWIFT_STORAGE, K, K]
    nodes = build_nodes(drafts([None] * 14), "x.csv", wanted)
    assert [n.name for n in nodes] == ["undercloud", "controller0", "controller1", "controller2", "swift0", "swift1",
                                       "vsa0", "vsa1", "vsaao0", "soswiftproxy0", "soswiftstorage0",
                                       "soswiftstorage1", "compute0", "compute1"]


def test_explicit_vsa_counts_toward_wanted_vsa():
    result = [r for r, _ in assign_roles(drafts([Role.VSA] + [None] * 8), WantedCounts(vsa=2))]
    assert result == [Role.VSA, U, C, C, C, S, S, Role.VSA, K]


def test_deleted_explicit_undercloud_does_not_satisfy_undercloud():
    result = assign_roles(drafts([U, None, None], deleted={0}))
    assert result == [(U, True), (U, False), (C, False)]


def test_role_counts_mapping_through_load_inventory(tmp_path):
    inv = load_rows(tmp_path, [row(i) for i in range(9)], role_counts={"vsa": 2, Role.CONTROL: 1})
    assert [n.role for n in inv.nodes] == [U, C, S, S, Role.VSA, Role.VSA, K, K, K]


def test_unknown_role_count_key_is_a_clear_error(tmp_path):
    with pytest.raises(InventoryConfigError, match="unknown role count 'vsaa'.*known: control"):
        load_rows(tmp_path, [row(i) for i in range(7)], role_counts={"vsaa": 1})


def test_second_explicit_undercloud_gets_a_distinct_name(tmp_path):
    inv = load_rows(tmp_path, [row(0, role="Undercloud"), row(1, role="Undercloud")] + [row(i) for i in range(2, 8)])
    assert [n.name for n in inv.nodes[:2]] == ["undercloud", "undercloud1"]


def test_instackenv_names_kept_when_unique_else_stable(tmp_path):
    nodes = [node_json(0, name="alpha"), node_json(1, name="dup"), node_json(2, name="dup"),
             node_json(3, name="compute0", capabilities="profile:control"), node_json(4, name=...),
             node_json(5, name=...), node_json(6, name=...)]
    inv = load_inventory(write(tmp_path, "instackenv.json", instackenv_text(nodes)))
    names = [n.name for n in inv.nodes]
    # alpha kept; the two "dup" lose their name; "compute0" is kept for the explicit controller,
    # so the first assigned compute's stable name compute0 is taken and gets a line suffix.
    assert names[0] == "alpha" and names[3] == "compute0"
    # the explicit controller is the third in file order, so it holds index 2 (named by the file)
    assert names[1:3] == ["controller0", "controller1"]
    assert [n.role for n in inv.nodes] == [U, C, C, C, S, S, K]
    assert names[6] == f"compute0-line{inv.nodes[6].line}"
    assert len(set(names)) == len(names)
