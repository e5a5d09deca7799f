"""`twin validate` applies the StoreVirtual limits: to the default cluster of every VSA node, or to
the clusters of a scenario's storage.vsa section (--scenario), each problem located."""
import json
from pathlib import Path

from twin.cli import main

PASSWORD = "S3cr3t-VSA-validate"
BASE_ROLES = ["undercloud", "control", "control", "control", "swift-storage", "swift-storage", "compute"]


def instackenv(tmp_path, vsa: int, disk: int = 1024) -> str:
    roles = BASE_ROLES + ["block-storage"] * vsa
    nodes = [{"name": f"vsa{i - len(BASE_ROLES)}" if r == "block-storage" else f"n{i}", "pm_type": "pxe_ipmitool",
              "pm_addr": f"10.0.0.{i + 1}", "pm_user": "admin", "pm_password": PASSWORD,
              "mac": [f"52:54:00:00:00:{i:02x}"], "cpu": 8, "memory": 65536, "disk": disk, "arch": "x86_64",
              "capabilities": f"profile:{r}"} for i, r in enumerate(roles)]
    path = tmp_path / "instackenv.json"
    path.write_text(json.dumps({"nodes": nodes}, indent=2))
    return str(path)


def scenario(tmp_path, storage: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text("name: v\nrun: operations\ninventory: {generate: {compute: 1}}\n" + storage)
    return str(path)


def validate(capsys, *args, stream="out"):
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err and "Traceback" not in out + err
    return code, out if stream == "out" else err


def node_line(path: str, name: str) -> int:
    """The line where the node's JSON object starts (the `{` just above its first key, "name")."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if f'"name": "{name}"' in text) - 1


def test_seventeen_vsa_nodes_are_too_many_for_the_default_cluster(tmp_path, capsys):
    path = instackenv(tmp_path, vsa=17)
    code, out = validate(capsys, path)
    assert code == 1
    problem = next(line for line in out.splitlines() if "at most 16" in line)
    assert problem.startswith(f"{path}:{node_line(path, 'vsa16')}: role: cluster 'vsa' has 17 nodes")
    assert "storage.vsa.clusters" in problem  # the way out: split them with a scenario


def test_a_scenario_that_splits_them_makes_the_inventory_valid(tmp_path, capsys):
    path = instackenv(tmp_path, vsa=17)
    first = ", ".join(f"vsa{i}" for i in range(9))
    second = ", ".join(f"vsa{i}" for i in range(9, 17))
    sc = scenario(tmp_path, f"storage:\n  vsa:\n    clusters:\n      - {{name: gold, nodes: [{first}]}}\n"
                            f"      - {{name: silver, nodes: [{second}]}}\n")
    code, out = validate(capsys, path, "--scenario", sc)
    assert code == 0, out
    assert "at most 16" not in out


def test_a_scenario_cluster_naming_a_compute_node_is_located_in_the_scenario(tmp_path, capsys):
    path = instackenv(tmp_path, vsa=3)
    sc = scenario(tmp_path, "storage:\n  vsa:\n    clusters:\n      - name: gold\n"
                            "        nodes: [vsa0, vsa1, n6]\n")
    code, out = validate(capsys, path, "--scenario", sc)
    assert code == 1
    assert f"{sc}:8: storage.vsa.clusters[0].nodes[2]: n6: role OvercloudCompute is not a VSA role" in out


def test_network_raid_too_big_for_the_cluster_is_an_error_in_json(tmp_path, capsys):
    path = instackenv(tmp_path, vsa=3)
    sc = scenario(tmp_path, "storage:\n  vsa:\n    clusters:\n      - {name: gold, network_raid: '10+2'}\n")
    code, out = validate(capsys, path, "--scenario", sc, "--json")
    document = json.loads(out)
    assert code == 1 and not document["valid"]
    (error,) = [e for e in document["errors"] if "Network RAID" in e["message"]]
    assert error["file"] == sc and error["line"] == 7 and error["field"] == "storage.vsa.clusters[0].network_raid"


def test_a_bad_scenario_is_refused_with_its_own_located_error(tmp_path, capsys):
    path = instackenv(tmp_path, vsa=3)
    sc = scenario(tmp_path, "storage:\n  vsa:\n    clusterz: []\n")
    code, err = validate(capsys, path, "--scenario", sc, stream="err")
    assert code == 1
    assert err.startswith(f"{sc}:6: storage.vsa.clusterz: unknown key (did you mean `clusters`?")
    code, err = validate(capsys, path, "--scenario", str(tmp_path / "missing.yaml"), stream="err")
    assert code == 2 and err.startswith(f"{tmp_path / 'missing.yaml'}:0: file: no such file")
