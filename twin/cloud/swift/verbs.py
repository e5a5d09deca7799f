"""Ringos-style operations on a swift RingBuilder: create, add/remove disks, weights, replicas,
min_part_hours, rebalance, view, validate.

Rules: every change goes through RingBuilder's own methods (add_dev, remove_dev, set_dev_weight,
set_replicas, change_min_part_hours, rebalance, validate), never by editing its tables. Functions
take and return plain values; a bad argument or an operation swift refuses is an InputError whose
field names the argument or the device (`FILE:0: FIELD: message`). A device is named `IP/DEVICE`,
`IP:PORT/DEVICE` or `dID` (swift's search syntax for an id).
"""
from __future__ import annotations

import ipaddress
import math
import re

from twin.cloud.swift.rings import invalid

MAX_BALANCE = 999.99  # swift.common.ring.builder.MAX_BALANCE: a zero-weight device still holding parts
DEVICE_REF = re.compile(r"^(?:d(?P<id>\d+)|(?P<ip>\[[0-9a-fA-F:.]+\]|[^/:\[\]]+)(?::(?P<port>\d+))?/(?P<device>[^/\s]+))$")


def create(part_power: int, replicas: float, min_part_hours: int, where: str = ""):
    """A new, empty RingBuilder (swift's limits: 0 <= part power <= 32, replicas >= 1)."""
    from swift.common.ring import RingBuilder

    for field, value, ok, rule in (("part_power", part_power, 0 <= part_power <= 32, "between 0 and 32"),
                                   ("replicas", replicas, math.isfinite(replicas) and replicas >= 1, "at least 1"),
                                   ("min_part_hours", min_part_hours, min_part_hours >= 0, "at least 0")):
        if not ok:
            raise invalid(where, field, f"{value} is not allowed: must be {rule}")
    return RingBuilder(part_power, replicas, min_part_hours)


def devices(builder) -> list[dict]:
    """The builder's devices (no holes), in swift-ring-builder's display order."""
    return sorted(builder._iter_devs(), key=lambda d: (d["region"], d["zone"], d["ip"], d["device"]))


def device_name(dev) -> str:
    return f"{dev['ip']}:{dev['port']}/{dev['device']} (d{dev['id']})"


def find_device(builder, ref: str, where: str = "", field: str = "device") -> dict:
    """The one device `ref` names (IP/DEVICE, IP:PORT/DEVICE or dID); InputError naming it if none or several."""
    m = DEVICE_REF.match(ref.strip())
    if not m:
        raise invalid(where, field, f"'{ref}' is not a device: write IP/DEVICE, IP:PORT/DEVICE or dID")
    if m["id"] is not None:
        found = [d for d in builder._iter_devs() if d["id"] == int(m["id"])]
    else:
        ip = m["ip"].strip("[]")
        found = [d for d in builder._iter_devs() if d["ip"] == ip and d["device"] == m["device"]
                 and (m["port"] is None or d["port"] == int(m["port"]))]
    if not found:
        known = ", ".join(device_name(d) for d in devices(builder)[:8]) or "the builder has no devices"
        raise invalid(where, field, f"no device '{ref}' in this builder (devices: {known}"
                      + (", ...)" if len(devices(builder)) > 8 else ")"))
    if len(found) > 1:
        raise invalid(where, field, f"'{ref}' names {len(found)} devices ({', '.join(map(device_name, found))}); "
                      "add the port (IP:PORT/DEVICE) or use dID")
    return found[0]


def add_disk(builder, *, region: int, zone: int, ip: str, port: int, device: str, weight: float,
             meta: str = "", where: str = "") -> int:
    """Add a device; returns its id. Refuses a duplicate IP:PORT/DEVICE, a bad address or weight."""
    checks = (("--region", region >= 0, f"{region} must be at least 0"),
              ("--zone", zone >= 0, f"{zone} must be at least 0"),
              ("--port", 1 <= port <= 65535, f"{port} is not a TCP port (1-65535)"),
              ("--weight", math.isfinite(weight) and weight >= 0, f"{weight} must be a number >= 0"),
              ("--device", bool(re.fullmatch(r"[^/\s]+", device)), f"'{device}' is not a device name (e.g. sdb1)"),
              ("--ip", _is_address(ip), f"'{ip}' is not an IP address or host name"))
    for field, ok, message in checks:
        if not ok:
            raise invalid(where, field, message)
    for d in builder._iter_devs():
        if d["ip"] == ip and d["port"] == port and d["device"] == device:
            raise invalid(where, "--device", f"{ip}:{port}/{device} is already in the builder as d{d['id']}")
    return builder.add_dev({"region": region, "zone": zone, "ip": ip, "port": port, "device": device,
                            "weight": float(weight), "replication_ip": ip, "replication_port": port, "meta": meta})


def _is_address(ip: str) -> bool:
    try:
        ipaddress.ip_address(ip)
        return True
    except ValueError:
        return bool(re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", ip))


def remove_disk(builder, ref: str, where: str = "") -> dict:
    """Mark a device for removal (swift drops it and reassigns its partitions at the next rebalance)."""
    dev = find_device(builder, ref, where)
    if any(d["id"] == dev["id"] for d in builder._remove_devs):
        raise invalid(where, "device", f"{device_name(dev)} is already marked for removal")
    builder.remove_dev(dev["id"])
    return dev


def set_weight(builder, ref: str, weight: float, where: str = "") -> dict:
    dev = find_device(builder, ref, where)
    if not (math.isfinite(weight) and weight >= 0):
        raise invalid(where, "weight", f"{weight} must be a number >= 0")
    if any(d["id"] == dev["id"] for d in builder._remove_devs):
        raise invalid(where, "device", f"{device_name(dev)} is marked for removal; its weight cannot change")
    builder.set_dev_weight(dev["id"], float(weight))
    return dev


def set_replicas(builder, replicas: float, where: str = "") -> None:
    if not (math.isfinite(replicas) and replicas >= 1):
        raise invalid(where, "replicas", f"{replicas} must be at least 1")
    builder.set_replicas(replicas)


def set_min_part_hours(builder, hours: int, where: str = "") -> None:
    if hours < 0:
        raise invalid(where, "min_part_hours", f"{hours} must be at least 0")
    builder.change_min_part_hours(hours)


def rebalance(builder, seed: int | None = None, where: str = "") -> dict:
    """swift's rebalance; {reassigned, reassigned_percent, balance, dispersion, removed_devices}."""
    from swift.common import exceptions

    try:
        changed, balance, removed = builder.rebalance(seed=seed)
    except exceptions.RingBuilderError as e:
        raise invalid(where, "rebalance", str(e).strip())
    return {"reassigned": changed, "reassigned_percent": 100.0 * changed / builder.parts,
            "balance": balance, "dispersion": builder.dispersion or 0.0, "removed_devices": removed}


def validate(builder, where: str = "") -> dict:
    """swift's RingBuilder.validate(stats=True): every partition replica on a distinct, existing device."""
    from swift.common import exceptions

    try:
        _usage, worst = builder.validate(stats=True)
    except exceptions.RingBuilderError as e:
        raise invalid(where, "validate", str(e).strip())
    return {"valid": True, "worst_balance": worst}


def balance(builder) -> float:
    """Ring balance as swift-ring-builder shows it (0 for a builder without devices)."""
    from swift.common import exceptions

    try:
        return builder.get_balance()
    except exceptions.EmptyRingError:
        return 0.0


def view(builder) -> dict:
    """The figures swift-ring-builder prints for a builder, as a dict (JSON-ready)."""
    from swift.common import exceptions

    try:
        per_dev = builder._build_balance_per_dev()
    except exceptions.EmptyRingError:
        per_dev = {}
    removing = {d["id"] for d in builder._remove_devs}
    devs = list(builder._iter_devs())
    return {
        "parts": builder.parts, "part_power": builder.part_power, "replicas": builder.replicas,
        "min_part_hours": builder.min_part_hours, "overload": builder.overload, "version": builder.version,
        "regions": len({d["region"] for d in devs}), "zones": len({(d["region"], d["zone"]) for d in devs}),
        "balance": balance(builder), "dispersion": builder.dispersion or 0.0,
        "rebalanced": builder.ever_rebalanced,
        "devices": [{"id": d["id"], "region": d["region"], "zone": d["zone"], "ip": d["ip"], "port": d["port"],
                     "device": d["device"], "weight": d["weight"], "parts": d["parts"],
                     "balance": per_dev.get(d["id"], 0.0), "removing": d["id"] in removing}
                    for d in devices(builder)],
    }


def format_view(v: dict, name: str = "") -> str:
    """`view` as text, with swift-ring-builder's headline figures and device table."""
    lines = [(f"{name}: " if name else "")
             + f"{v['parts']} partitions, {v['replicas']:.6f} replicas, {v['regions']} regions, {v['zones']} zones, "
             f"{len(v['devices'])} devices, {v['balance']:.2f} balance, {v['dispersion']:.2f} dispersion",
             f"min_part_hours {v['min_part_hours']}, overload {v['overload'] * 100:.2f}%"
             + ("" if v["rebalanced"] else ", never rebalanced"),
             f"{'id':>5} {'region':>6} {'zone':>4} {'ip:port':>21} {'name':>8} {'weight':>9} {'partitions':>10} "
             f"{'balance':>8} flags"]
    for d in v["devices"]:
        lines.append(f"{d['id']:>5} {d['region']:>6} {d['zone']:>4} {d['ip'] + ':' + str(d['port']):>21} "
                     f"{d['device']:>8} {d['weight']:>9.2f} {d['parts']:>10} {d['balance']:>8.2f} "
                     + ("DEL" if d["removing"] else ""))
    return "\n".join(lines)
