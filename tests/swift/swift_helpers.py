"""Helpers of the Swift tests: rings built with swift's own RingBuilder, and the real swift-ring-builder CLI.

(Imported as `swift_helpers`: pytest puts tests/swift on sys.path; the fixture is in conftest.py.)"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


from swift.common.ring import RingBuilder

SWIFT_RING_BUILDER = str(Path(sys.executable).with_name("swift-ring-builder"))


def make_ring(part_power: int, replicas: float, layout, seed: int = 7, min_part_hours: int = 1):
    """A rebalanced RingBuilder; layout: [(region, zone, ip, device, weight)]."""
    b = RingBuilder(part_power, replicas, min_part_hours)
    for region, zone, ip, device, weight in layout:
        b.add_dev({"region": region, "zone": zone, "ip": ip, "port": 6000, "device": device, "weight": weight})
    b.rebalance(seed=seed)
    return b


def grid(regions=1, zones=3, servers=2, disks=2, weight=lambda r, z, s, d: 100.0):
    return [(r, z, f"10.{r}.{z}.{s}", f"sd{'bcdefgh'[d]}", weight(r, z, s, d))
            for r in range(1, regions + 1) for z in range(1, zones + 1)
            for s in range(1, servers + 1) for d in range(disks)]


#: rings of several sizes, zones, weights and a fractional replica count: (id, part_power, replicas, layout)
RINGS = [
    ("p6-r3-3zones", 6, 3, grid()),
    ("p8-r2.5-4zones-weights", 8, 2.5, grid(zones=4, weight=lambda r, z, s, d: 50.0 * z + 10 * d)),
    ("p7-r3-2regions", 7, 3, grid(regions=2, zones=2, servers=2, disks=1, weight=lambda r, z, s, d: 100.0 + 30 * s)),
    ("p5-r1.75-uneven", 5, 1.75, grid(zones=2, servers=3, disks=1, weight=lambda r, z, s, d: [10.0, 40.0, 100.0][s - 1])),
    ("p9-r3-one-zone", 9, 3, grid(zones=1, servers=4, disks=3)),
]


def swift_ring_builder(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([SWIFT_RING_BUILDER, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def swift_figures(builder_file) -> dict:
    """What `swift-ring-builder FILE` prints: partitions, replicas, devices, balance, dispersion, parts per device."""
    out = swift_ring_builder(builder_file)
    assert out.returncode == 0, out.stdout + out.stderr
    m = re.search(r"^(\d+) partitions, ([\d.]+) replicas, (\d+) regions, (\d+) zones, (\d+) devices, "
                  r"\d+-byte IDs, ([\d.]+) balance(?:, ([\d.]+) dispersion)?$", out.stdout, re.MULTILINE)
    assert m, out.stdout
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+:\d+\s+\S+:\d+\s+(\S+)\s+([\d.]+)\s+(\d+)\s+(-?[\d.]+)",
                      out.stdout, re.MULTILINE)
    return {"parts": int(m[1]), "replicas": float(m[2]), "regions": int(m[3]), "zones": int(m[4]),
            "devices": int(m[5]), "balance": m[6], "dispersion": m[7],
            "device_parts": {int(r[0]): int(r[5]) for r in rows}, "stdout": out.stdout}
