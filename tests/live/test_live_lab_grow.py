"""`twin lab grow` and `twin lab shrink` on a real lab: a new guest and its BMC process join a
running lab (and its instackenv.json), answer ipmitool (the independent witness) and libvirt
agrees on the power; shrinking removes exactly that guest, its BMC process, port and files, and
the rows left keep their names, MACs, BMC ports and roles. Errors are one located line."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from test_live_lab import bmc_processes, guests, listening_ports, run_ipmitool

from real_backends.lab import Lab, LabError
from real_backends.lab import cli as lab_cli
from twin.inventory.instackenv import read_instackenv

pytestmark = pytest.mark.live


def libvirt_power(name: str) -> str:
    import libvirt

    conn = libvirt.open("qemu:///system")
    try:
        return "on" if conn.lookupByName(name).isActive() else "off"
    finally:
        conn.close()


def rows(lab: Lab) -> list[dict]:
    return json.loads((lab.dir / "instackenv.json").read_text())["nodes"]


def test_grow_adds_a_guest_with_its_bmc_and_shrink_removes_them(fresh_lab, ipmitool):
    lab = fresh_lab("gr")
    lab.up(1)
    first = rows(lab)[0]

    status = lab.grow(1, role="compute")
    new = f"twin-{lab.name}-1"
    assert [n["name"] for n in status["nodes"]] == [f"twin-{lab.name}-0", new]
    assert all(n["bmc_running"] for n in status["nodes"])
    inv = rows(lab)
    assert inv[0]["name"] == first["name"] and inv[0]["mac"] == first["mac"] and inv[0]["pm_port"] == first["pm_port"]
    # roles are frozen: the first row keeps its installer-order role, the new one is compute
    assert [r["capabilities"] for r in inv] == ["profile:undercloud", "profile:compute"]
    inventory, _ = read_instackenv(lab.dir / "instackenv.json")
    assert [(n.name, n.role.value) for n in inventory.nodes] == [(f"twin-{lab.name}-0", "Undercloud"),
                                                                  (new, "OvercloudCompute")]
    assert [n.role.value for n in lab.nodes()] == ["Undercloud", "OvercloudCompute"]
    port = inv[1]["pm_port"]
    assert port != first["pm_port"] and port in listening_ports()

    # The new BMC powers the new guest: ipmitool says so and libvirt agrees.
    assert run_ipmitool(ipmitool, lab, port, "power", "status")[0] == "Chassis Power is off"
    run_ipmitool(ipmitool, lab, port, "power", "on")
    assert run_ipmitool(ipmitool, lab, port, "power", "status")[0] == "Chassis Power is on"
    assert libvirt_power(new) == "on"
    disk = json.loads((lab.dir / "lab.json").read_text())["nodes"][1]["disk"]  # its thin qcow2, as `up` makes
    assert disk and Path(disk).is_file()

    before = set(bmc_processes(lab.dir))
    removed = lab.shrink([new])
    assert removed["guests"] == [new] and len(removed["bmc_processes"]) == 1
    assert new not in guests() and f"twin-{lab.name}-0" in guests()
    assert set(bmc_processes(lab.dir)) == before - set(removed["bmc_processes"])
    assert port not in listening_ports()
    assert not (lab.dir / "bmc" / "1.json").exists() and not Path(disk).exists()
    assert [r["name"] for r in rows(lab)] == [f"twin-{lab.name}-0"]
    assert rows(lab)[0]["pm_port"] == first["pm_port"]
    # the old guest's BMC still answers
    assert run_ipmitool(ipmitool, lab, first["pm_port"], "power", "status")[0] == "Chassis Power is off"

    # Growing again never reuses the removed guest's name or MAC.
    lab.grow(1)
    again = rows(lab)[1]
    assert again["name"] == f"twin-{lab.name}-2" and again["mac"] != inv[1]["mac"]
    assert lab.shrink(1)["guests"] == [f"twin-{lab.name}-2"]
    assert lab.up(1)["nodes"][0]["bmc_running"]  # `up` still converges on a reshaped lab


def test_grow_and_shrink_errors_are_one_line(fresh_lab, capsys):
    lab = fresh_lab("ge")
    parser = argparse.ArgumentParser()
    lab_cli.register(parser.add_subparsers(dest="command"))

    def cli(*argv) -> str:
        args = parser.parse_args(["lab", *argv])
        assert args.func(args) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        return err

    assert "not found" in cli("grow", "--name", lab.name, "--nodes", "1")
    assert "not found" in cli("shrink", "--name", lab.name, "--nodes", "1")
    lab.up(1)
    assert f"no node twin-{lab.name}-7" in cli("shrink", "--name", lab.name, "--nodes", f"twin-{lab.name}-7")
    assert "take it down" in cli("shrink", "--name", lab.name, "--nodes", f"twin-{lab.name}-0")
    assert "shrink by" in cli("shrink", "--name", lab.name, "--nodes", "1")
    assert "can grow by" in cli("grow", "--name", lab.name, "--nodes", "0")
    with pytest.raises(LabError, match="--role"):
        lab.grow(1, role="bogus")
    assert [g for g in guests() if g.startswith(f"twin-{lab.name}-")] == [f"twin-{lab.name}-0"]
