"""Builders shared by the workload tests: capacity scenarios and trace files."""
from __future__ import annotations

from pathlib import Path

from twin.inventory import generate_from_spec
from twin.runs import Scenario, simulate

UNLIMITED = {"default": {"instances": -1, "cores": -1, "ram_mb": -1}}
BIG = {"cpus": 1000, "memory_mib": 10**7, "disk_gib": 10**6}


def capacity_scenario(compute=2, tenants=None, nova=None, capacity=None, hardware=None, workload=None, **kw):
    nova = {"quotas": UNLIMITED, **(nova or {})}
    wl = {"start": "empty", "tenants": tenants or [], **(workload or {})}
    hw = {"cpus": 24, "memory_mib": 131072, "disk_gib": 2048, **(hardware or {})}
    return Scenario(name="wl", run="capacity", inventory={"generate": {"compute": compute, "hardware": hw}},
                    nova=nova, workload=wl, capacity=capacity or {}, **kw)


def run_capacity(sc: Scenario, seed: int = 1):
    return simulate(sc, generate_from_spec(sc.inventory.generate.model_dump()), seed)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
