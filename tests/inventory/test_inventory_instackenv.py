"""instackenv.json reading (with line numbers) and writing."""
from __future__ import annotations

import json
import os
import stat

import pytest
from invtest_helpers import PASSWORD, instackenv_text, minimal_rows, node_json, write, csv_text, row

from twin.errors import InputError, UnreadableError
from twin.inventory import load_inventory, parse_inventory, write_instackenv
from twin.inventory.instackenv import read_instackenv
from twin.inventory.model import PowerKind, Role

PROFILES7 = ["undercloud", "control", "control", "control", "swift-storage", "swift-storage", "compute"]


def load(tmp_path, nodes, name="instackenv.json"):
    return load_inventory(write(tmp_path, name, instackenv_text(nodes)))


def problems_of(tmp_path, text):
    _, problems = parse_inventory(write(tmp_path, "instackenv.json", text))
    return problems


def test_reads_nodes_with_roles_from_profiles_and_lines_where_objects_start(tmp_path):
    nodes = [node_json(i, capabilities=f"profile:{p},boot_option:local") for i, p in enumerate(PROFILES7)]
    inv = load(tmp_path, nodes)
    assert inv.dialect == "instackenv"
    assert [n.role for n in inv.nodes] == [Role.UNDERCLOUD] + [Role.CONTROL] * 3 + [Role.SWIFT] * 2 + [Role.COMPUTE]
    assert all(n.role_given for n in inv.nodes)
    text = instackenv_text(nodes).split("\n")
    for n in inv.nodes:  # the line holds the "{" opening that node
        assert text[n.line - 1].strip() == "{"
        assert f'"name": "{n.name}"' in text[n.line]
    assert inv.nodes[0].bmc.password.get_secret_value() == PASSWORD


def test_string_numbers_and_port_and_single_mac_string(tmp_path):
    inv = load(tmp_path, [node_json(0, cpu="4", memory="32768", disk="600", pm_port="6230", mac="AA:BB:CC:DD:EE:FF")])
    n = inv.nodes[0]
    assert (n.hardware.cpus, n.hardware.memory_mib, n.hardware.disk_gib, n.bmc.port) == (4, 32768, 600, 6230)
    assert n.mac == "aa:bb:cc:dd:ee:ff"


@pytest.mark.parametrize("pm_type,kind", [("pxe_ipmitool", PowerKind.IPMI), ("ipmi", PowerKind.IPMI),
                                          ("pxe_ssh", PowerKind.VM), ("pxe_ilo", PowerKind.ILO4),
                                          ("PXE_IPMITOOL", PowerKind.IPMI)])
def test_pm_type_mapping(tmp_path, pm_type, kind):
    assert load(tmp_path, [node_json(0, pm_type=pm_type)]).nodes[0].bmc.kind is kind


def test_moonshot_via_ironic_bridging_keys(tmp_path):
    inv = load(tmp_path, [node_json(0, ipmi_bridging="dual", ipmi_transit_address="0x84", ipmi_target_address="0x72")])
    bmc = inv.nodes[0].bmc
    assert (bmc.kind, bmc.transit, bmc.target) == (PowerKind.MOONSHOT, "0x84", "0x72")


def test_moonshot_with_only_one_bridging_key_is_a_problem_at_the_node_line(tmp_path):
    text = instackenv_text([node_json(0), node_json(1, ipmi_transit_address="0x84")])
    (p,) = problems_of(tmp_path, text)
    assert (p.field, p.line) == ("ipmi_target_address", text.split("\n").index("    {", 3) + 1)


def test_role_assigned_when_no_profile_and_unknown_profile_is_a_problem(tmp_path):
    inv = load(tmp_path, [node_json(i) for i in range(7)])
    assert [n.role for n in inv.nodes][:2] == [Role.UNDERCLOUD, Role.CONTROL] and not inv.nodes[0].role_given
    (p,) = problems_of(tmp_path, instackenv_text([node_json(0, capabilities="profile:ceph-storage")]))
    assert p.field == "capabilities" and "'ceph-storage'" in p.message and "compute" in p.message


def test_every_node_problem_reported_with_its_own_line(tmp_path):
    nodes = [node_json(0, cpu="four"), node_json(1), node_json(2, pm_type="pxe_drac", memory=None, mac=[]),
             "not an object", node_json(4, pm_password=...)]
    text = instackenv_text(nodes)
    starts = [i + 1 for i, l in enumerate(text.split("\n")) if l in ("    {", '    "not an object",')]
    problems = problems_of(tmp_path, text)
    assert [(p.line, p.field) for p in problems] == [
        (starts[0], "cpu"), (starts[2], "pm_type"), (starts[2], "mac"), (starts[2], "memory"),
        (starts[3], "nodes"), (starts[4], "pm_password")]
    assert all(PASSWORD not in p.message for p in problems)


def test_compact_json_lines(tmp_path):
    text = '{"nodes": [%s,\n%s]}' % (json.dumps(node_json(0)), json.dumps(node_json(1, cpu=None)))
    (p,) = problems_of(tmp_path, text)
    assert (p.line, p.field) == (2, "cpu")


def test_duplicate_nodes_key_last_wins_like_json(tmp_path):
    text = '{"nodes": [1, 2, 3],\n "other": {"nodes": [4]},\n "nodes": [\n\n %s]}' % json.dumps(node_json(0, cpu=True))
    (p,) = problems_of(tmp_path, text)
    assert (p.line, p.field) == (5, "cpu")


@pytest.mark.parametrize("text,line", [('{"nodes": [\n  {"a": 1,}\n]}', 2), ("", 1), ("[1, 2", 1),
                                       ('{"nodes": []}\n{}', 2), ("[" * 100000, 0)])
def test_invalid_json_is_unreadable_with_the_decoder_line(tmp_path, text, line):
    with pytest.raises(UnreadableError) as info:
        load_inventory(write(tmp_path, "instackenv.json", text))
    (p,) = info.value.problems
    assert (p.line, p.field) == (line, "json")


@pytest.mark.parametrize("text", ['[]', '{"nodes": {}}', '{"nodes": null}', '"nodes"', '{}'])
def test_wrong_top_level_shape_is_an_input_error(tmp_path, text):
    with pytest.raises(InputError) as info:
        load_inventory(write(tmp_path, "instackenv.json", text))
    assert not isinstance(info.value, UnreadableError)
    assert [(p.line, p.field) for p in info.value.problems] == [(1, "nodes")]


def test_write_then_read_gives_the_same_nodes_and_mode_0600(tmp_path):
    csv_rows = minimal_rows() + [row(7, role="OvercloudCompute:deleted"),
                                 row(8, role="OvercloudCompute", power="HP_Moonshot:0x84:0x72"),
                                 row(9, role="OvercloudVSAStorage", power="HP_iLO4"),
                                 row(10, role="OvercloudCompute", power="VM", address="hyper.lab"),
                                 row(11, role="OvercloudCompute", address="127.0.0.1:6240")]
    original = load_inventory(write(tmp_path, "b.csv", csv_text(csv_rows)))
    out = tmp_path / "instackenv.json"
    out.write_text("old")
    os.chmod(out, 0o644)
    write_instackenv(original, out)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    again = load_inventory(str(out))

    def key(n):
        b = n.bmc
        return (n.name, n.role, n.mac, n.hardware, b.kind, b.address, b.port, b.user,
                b.password.get_secret_value(), b.transit, b.target)

    assert [key(n) for n in again.nodes] == [key(n) for n in original.active]
    assert len(again.nodes) == len(original.nodes) - 1  # the deleted row is not registered with Ironic
    document = json.loads(out.read_text())
    assert list(document["nodes"][0]) == ["name", "pm_type", "pm_addr", "pm_user", "pm_password", "mac", "cpu",
                                          "memory", "disk", "arch", "capabilities"]
    assert document["nodes"][0]["capabilities"] == "profile:undercloud,boot_option:local"


def test_writing_to_a_missing_directory_is_a_twin_error(tmp_path):
    from twin.errors import TwinError
    inv = load_inventory(write(tmp_path, "b.csv", csv_text([row(0)])))
    with pytest.raises(TwinError, match="cannot write"):
        write_instackenv(inv, tmp_path / "no" / "such" / "instackenv.json")


# --- Redfish (pm_type redfish, as TripleO writes it) ------------------------------------------
def test_redfish_nodes_read_with_url_or_host_port_and_their_system_ids(tmp_path):
    from twin.inventory.model import PowerKind

    nodes = [node_json(0, pm_type="redfish", pm_addr="http://127.0.0.1:8000", pm_system_id="/redfish/v1/Systems/a-1"),
             node_json(1, pm_type="redfish", pm_addr="10.0.0.9", pm_system_id="/redfish/v1/Systems/2"),
             node_json(2, pm_type="redfish", pm_addr="bmc3.example.com:8443", pm_system_id="/redfish/v1/Systems/3/"),
             node_json(3, pm_type="redfish", pm_addr="https://10.0.0.4", pm_port=8443,
                       pm_system_id="/redfish/v1/Systems/4")]
    inventory, problems = read_instackenv(write(tmp_path, "i.json", json.dumps({"nodes": nodes}, indent=1)))
    assert problems == []
    bmcs = {n.bmc.system_id: n.bmc for n in inventory.nodes}
    assert all(b.kind is PowerKind.REDFISH for b in bmcs.values())
    # Ironic: a missing scheme means https; the port defaults to the scheme's, else pm_port
    assert bmcs["/redfish/v1/Systems/a-1"].url == "http://127.0.0.1:8000"
    assert bmcs["/redfish/v1/Systems/2"].url == "https://10.0.0.9:443"
    assert bmcs["/redfish/v1/Systems/3"].url == "https://bmc3.example.com:8443"
    assert bmcs["/redfish/v1/Systems/4"].url == "https://10.0.0.4:8443"
    assert bmcs["/redfish/v1/Systems/2"].endpoint == "https://10.0.0.9:443/redfish/v1/Systems/2"


def test_redfish_problems_are_located_and_never_show_the_password(tmp_path):
    nodes = [node_json(0, pm_type="redfish", pm_addr="http://127.0.0.1:8000"),
             node_json(1, pm_type="redfish", pm_addr="http://127.0.0.1:8000", pm_system_id="Systems/1"),
             node_json(2, pm_type="redfish", pm_addr=f"https://admin:{PASSWORD}@10.0.0.3",
                       pm_system_id="/redfish/v1/Systems/3"),
             node_json(3, pm_type="redfish", pm_addr="ftp://10.0.0.4", pm_system_id="/redfish/v1/Systems/4"),
             node_json(4, pm_type="redfish", pm_addr="https://10.0.0.5/redfish/v1", pm_system_id="/redfish/v1/Systems/5"),
             node_json(5, pm_system_id="/redfish/v1/Systems/6")]
    text = json.dumps({"nodes": nodes}, indent=1)
    path = write(tmp_path, "i.json", text)
    inventory, problems = read_instackenv(path)
    assert inventory.nodes == []
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip() == "{"][1:]  # [0]: the document
    got = [(p.line, p.field) for p in problems]
    assert got == [(starts[0], "pm_system_id"), (starts[1], "pm_system_id"), (starts[2], "pm_addr"),
                   (starts[3], "pm_addr"), (starts[4], "pm_addr"), (starts[5], "pm_system_id")]
    assert "is missing" in problems[0].message and "/redfish/v1/Systems/" in problems[0].message
    assert "user info" in problems[2].message
    assert "only for Redfish" in problems[5].message
    assert all(PASSWORD not in str(p) for p in problems)


def test_redfish_nodes_round_trip_and_refuse_baremetal_csv(tmp_path):
    from twin.errors import TwinError
    from twin.inventory import write_csv

    nodes = [node_json(i, pm_type="redfish", pm_addr="http://127.0.0.1:8000", pm_system_id=f"/redfish/v1/Systems/{i}",
                       capabilities=f"profile:{p}")
             for i, p in enumerate(["undercloud", "control", "control"])]
    inventory, problems = read_instackenv(write(tmp_path, "i.json", json.dumps({"nodes": nodes})))
    assert problems == [] and len(inventory.nodes) == 3
    write_instackenv(inventory, tmp_path / "out.json")
    written = json.loads((tmp_path / "out.json").read_text())["nodes"]
    assert [(n["pm_type"], n["pm_addr"], n["pm_system_id"]) for n in written] == [
        ("redfish", "http://127.0.0.1:8000", f"/redfish/v1/Systems/{i}") for i in range(3)]
    again, problems = read_instackenv(tmp_path / "out.json")
    assert problems == [] and [n.bmc for n in again.nodes] == [n.bmc for n in inventory.nodes]
    with pytest.raises(TwinError, match="Redfish BMC cannot be written to baremetal.csv"):
        write_csv(inventory, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_the_systems_of_one_redfish_service_are_distinct_bmcs(tmp_path):
    from twin.inventory import validate

    nodes = [node_json(i, pm_type="redfish", pm_addr="http://127.0.0.1:8000",
                       pm_system_id=f"/redfish/v1/Systems/{i % 6}", capabilities=f"profile:{p}")
             for i, p in enumerate(["undercloud", "control", "control", "control", "swift-storage", "swift-storage",
                                    "compute"])]
    inventory, problems = read_instackenv(write(tmp_path, "i.json", json.dumps({"nodes": nodes}, indent=1)))
    assert problems == []
    found = [p for p in validate(inventory, "kvm-30x40") if p.field == "pm_addr"]
    assert len(found) == 1 and "system /redfish/v1/Systems/0" in found[0].message  # node 6 reuses system 0
