"""An operations run that removes nodes writes the changed inventory into its folder: the input's
baremetal.csv with the removed rows as `Role:deleted` (every other row as it was), or the input's
instackenv.json without them (TripleO's file has no deleted rows); mode 0600, as it holds the BMC
passwords, which stay out of summary.json and report.html."""
import json
import shutil
import stat
from pathlib import Path

import pytest

from twin.cli import main
from twin.inventory.csv_format import read_csv
from twin.inventory.instackenv import read_instackenv, write_instackenv

pytestmark = pytest.mark.slow  # two operations runs through the CLI

REFERENCE = Path(__file__).resolve().parents[2] / "scenarios" / "inventories" / "helion-reference.csv"
SCENARIO = """name: removal
run: operations
inventory: {{file: {inventory}}}
acknowledge: [vsa-few-nodes]
operations: {{duration_s: 7200}}
actions:
  schedule:
    - {{do: remove_nodes, nodes: [compute1], at_s: 600, force: true}}
"""


def run(tmp_path, inventory: Path) -> Path:
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO.format(inventory=inventory.name))
    out = tmp_path / "out"
    assert main(["run", str(sc), "--out", str(out), "--quiet"]) == 0
    return out


def secrets(nodes) -> set[str]:
    return {n.bmc.password.get_secret_value() for n in nodes}


def removed_row(out: Path) -> str:
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inventory_deleted"] == ["compute1"]
    return summary["inventory_written"]


def test_a_csv_inventory_comes_back_with_the_removed_row_deleted(tmp_path):
    source = tmp_path / "baremetal-in.csv"
    shutil.copy(REFERENCE, source)
    out = run(tmp_path, source)
    assert removed_row(out) == "baremetal.csv"
    written = out / "baremetal.csv"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    before, _ = read_csv(source)
    after, problems = read_csv(written)
    assert not problems and len(after.nodes) == len(before.nodes)
    computes = [n for n in before.nodes if n.role.value == "OvercloudCompute"]
    gone = computes[1]  # compute1: the second compute row (stable names follow the file's order)
    for b, a in zip(before.nodes, after.nodes):
        assert (a.mac, a.bmc.address, a.role, a.hardware) == (b.mac, b.bmc.address, b.role, b.hardware)
        assert a.deleted == (b.mac == gone.mac)
    assert f"{gone.role.value}:deleted" in written.read_text()
    for name in ("summary.json", "report.html"):
        text = (out / name).read_text()
        assert not any(s in text for s in secrets(before.nodes))


def test_an_instackenv_comes_back_without_the_removed_node(tmp_path):
    csv_inventory, _ = read_csv(REFERENCE)
    source = tmp_path / "instackenv-in.json"
    write_instackenv(csv_inventory, source)
    out = run(tmp_path, source)
    assert removed_row(out) == "instackenv.json"
    before, _ = read_instackenv(source)
    after, problems = read_instackenv(out / "instackenv.json")
    computes = [n for n in before.nodes if n.role.value == "OvercloudCompute"]
    assert not problems and stat.S_IMODE((out / "instackenv.json").stat().st_mode) == 0o600
    assert [n.mac for n in after.nodes] == [n.mac for n in before.nodes if n.mac != computes[1].mac]
