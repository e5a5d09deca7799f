"""Builders shared by the inventory tests: CSV rows and instackenv nodes with sane defaults."""
from __future__ import annotations

import json
from pathlib import Path

PASSWORD = "S3cr3t-XYZZY"  # planted everywhere: it must never show up in a message
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inventory"
EXAMPLE_10 = "helion-docs/helion-1.0-docs-example.csv"
EXAMPLE_11 = "helion-docs/helion-1.1-docs-example.csv"

#: The roles of a minimal valid cloud, in file order.
MINIMAL_ROLES = ["Undercloud", "OvercloudControl", "OvercloudControl", "OvercloudControl",
                 "OvercloudSwiftStorage", "OvercloudSwiftStorage", "OvercloudCompute"]


def row(i: int, *, mac=None, user="admin", password=PASSWORD, address=None, cpus=8, memory=65536, disk=1024,
        role=None, power=None) -> str:
    """One baremetal.csv row; role/power None = omit the column (7 or 8 fields)."""
    fields = [mac if mac is not None else f"52:54:00:00:00:{i:02x}", user, password,
              address if address is not None else f"10.0.0.{i + 1}", str(cpus), str(memory), str(disk)]
    if role is not None or power is not None:
        fields.append(role or "")
    if power is not None:
        fields.append(power)
    return ",".join(fields)


def csv_text(rows: list[str]) -> str:
    return "\n".join(rows) + "\n"


def minimal_rows(roles=MINIMAL_ROLES, **overrides) -> list[str]:
    return [row(i, role=r, power="IPMI", **overrides) for i, r in enumerate(roles)]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def node_json(i: int, **overrides) -> dict:
    node = {"name": f"n{i}", "pm_type": "pxe_ipmitool", "pm_addr": f"10.0.0.{i + 1}", "pm_user": "admin",
            "pm_password": PASSWORD, "mac": [f"52:54:00:00:00:{i:02x}"], "cpu": 8, "memory": 65536,
            "disk": 1024, "arch": "x86_64"}
    node.update(overrides)
    return {k: v for k, v in node.items() if v is not ...}  # `...` = drop the key


def instackenv_text(nodes: list[dict]) -> str:
    return json.dumps({"nodes": nodes}, indent=2)
