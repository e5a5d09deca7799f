"""Synthetic inventories: counts per role and one hardware spec -> an Inventory.

Rules:
- Deterministic: node i (0-based, in installer order Undercloud, Control, Swift, VSA, VSA-AO,
  scale-out Swift proxy, scale-out Swift storage, Compute) gets MAC 52:54:00:xx:xx:xx (i in the low
  24 bits) and BMC address 10.a.b.c (i + 1 in the low 24 bits, so 10.0.x.y up to 65,534 nodes),
  port 623, user "admin", password "generated" (placeholders); line = i + 1 as if written to a CSV.
- Counts default to the minimal Helion cloud (1 undercloud, 3 controllers, 2 Swift, 1 compute);
  the counts given override those per role (give 0 to drop one). Roles are explicit (role_given).
- No profile limit is applied unless asked (benchmarks build 10,000-node clouds): validation
  judges the result. `max_nodes` refuses a larger total before a node is built (pass the limits
  profile's max_rows, as a scenario's `generate:` is checked by twin/scenario/bounds.py).
- Count keys: a Role, its value (case-insensitive), its NAME_STEM ("controller"), or a
  WantedCounts field name ("control", "vsa_ao"). Power: IPMI, VM, HP_iLO4 or Redfish (each BMC at
  https://<its address>:443, system /redfish/v1/Systems/1).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from twin.inventory.model import NAME_STEM, Bmc, Hardware, Inventory, Node, PowerKind, Role
from twin.inventory.roles import FALLBACK_ROLE, FIELD_ROLE, InventoryConfigError

SOURCE, DIALECT = "<generated>", "generated"
ORDER = tuple(FIELD_ROLE.values()) + (FALLBACK_ROLE,)
DEFAULT_COUNTS = {Role.UNDERCLOUD: 1, Role.CONTROL: 3, Role.SWIFT: 2, Role.COMPUTE: 1}
# Hardware of the Helion 1.1 documentation's sample server (12 CPUs, 32 GB, 2 TB = 2048 GiB).
DEFAULT_HARDWARE = Hardware(cpus=12, memory_mib=32768, disk_gib=2048)
HARDWARE_KEYS = ("cpus", "memory_mib", "disk_gib", "arch")
OPTION_KEYS = ("power", "user", "password")
POWER_KINDS = {"ipmi": PowerKind.IPMI, "vm": PowerKind.VM, "hp_ilo4": PowerKind.ILO4, "redfish": PowerKind.REDFISH}
MAX_NODES = (1 << 24) - 2
#: A generated Redfish BMC: one server's own BMC, HTTPS on 443, its one system (as iLO 5 names it).
REDFISH_BMC = {"port": 443, "scheme": "https", "system_id": "/redfish/v1/Systems/1"}
ROLE_KEYS: dict[str, Role] = {
    **{r.value.lower(): r for r in Role},
    **{stem: r for r, stem in NAME_STEM.items()},
    **{name: r for name, r in FIELD_ROLE.items()},
}


def _role(key: Any) -> Role:
    if isinstance(key, Role):
        return key
    role = ROLE_KEYS.get(str(key).lower())
    if role is None:
        raise InventoryConfigError(
            f"unknown role {key!r} in generate counts; use one of {', '.join(sorted(ROLE_KEYS))}")
    return role


def _whole(name: str, value: Any, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InventoryConfigError(f"generate: {name} must be a whole number >= {minimum}, not {value!r}")
    return value


def _hardware(hardware: Hardware | Mapping | None) -> Hardware:
    if hardware is None or isinstance(hardware, Hardware):
        return hardware or DEFAULT_HARDWARE
    unknown = set(hardware) - set(HARDWARE_KEYS)
    if unknown:
        raise InventoryConfigError(f"generate: unknown hardware key(s) {sorted(map(str, unknown))}; "
                                   f"use {', '.join(HARDWARE_KEYS)}")
    base = {k: getattr(DEFAULT_HARDWARE, k) for k in HARDWARE_KEYS}
    base.update(hardware)
    for key in HARDWARE_KEYS[:3]:
        _whole(key, base[key], -(1 << 62))  # any integer: validation judges the figures
    return Hardware(**base)


def generate_inventory(counts: Mapping[Any, int] | None = None, hardware: Hardware | Mapping | None = None, *,
                       power: str | PowerKind = PowerKind.IPMI, user: str = "admin",
                       password: str = "generated", max_nodes: int = MAX_NODES) -> Inventory:
    """A synthetic Inventory (see module docstring); raises InventoryConfigError on a bad parameter."""
    wanted = dict(DEFAULT_COUNTS)
    for key, value in (counts or {}).items():
        role = _role(key)
        wanted[role] = _whole(f"count of {role.value}", value, 0)
    spec = _hardware(hardware)
    kind = power if isinstance(power, PowerKind) else POWER_KINDS.get(str(power).lower())
    if kind not in POWER_KINDS.values():
        raise InventoryConfigError(f"generate: power {power!r} not supported; use IPMI, VM, HP_iLO4 or Redfish")
    total = sum(wanted.values())
    if total > MAX_NODES:
        raise InventoryConfigError(f"generate: {total} nodes exceed the address plan's {MAX_NODES}")
    if total > max_nodes:
        raise InventoryConfigError(f"generate: {total:,} nodes; an inventory holds at most {max_nodes} "
                                   "(refused before generating them)")
    secret = SecretStr(password)
    nodes = []
    i = 0
    for role in ORDER:
        stem = NAME_STEM[role]
        for k in range(wanted.get(role, 0)):
            h = i + 1
            name = stem if role is Role.UNDERCLOUD and k == 0 else f"{stem}{k}"
            bmc = Bmc(kind=kind, address=f"10.{h >> 16 & 255}.{h >> 8 & 255}.{h & 255}", user=user, password=secret,
                      **(REDFISH_BMC if kind is PowerKind.REDFISH else {}))
            mac = f"52:54:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
            nodes.append(Node(name=name, role=role, mac=mac, bmc=bmc, hardware=spec, source=SOURCE, line=h))
            i += 1
    return Inventory(SOURCE, DIALECT, nodes)


def generate_from_spec(spec: Mapping[str, Any], max_nodes: int = MAX_NODES) -> Inventory:
    """Build from a scenario's `generate:` mapping: role counts and hardware keys, flat or under
    "counts" / "hardware", plus optional power, user, password; at most `max_nodes` nodes."""
    if not isinstance(spec, Mapping):
        raise InventoryConfigError(f"generate: expected a mapping, not {type(spec).__name__}")
    counts = dict(spec.get("counts") or {})
    hardware = dict(spec.get("hardware") or {})
    options = {}
    for key, value in spec.items():
        if key in ("counts", "hardware"):
            continue
        if key in HARDWARE_KEYS:
            hardware[key] = value
        elif key in OPTION_KEYS:
            options[key] = value
        elif isinstance(key, Role) or str(key).lower() in ROLE_KEYS:
            counts[key] = value
        else:
            raise InventoryConfigError(
                f"generate: unknown key {key!r}; use role counts ({', '.join(sorted(ROLE_KEYS))}), hardware "
                f"({', '.join(HARDWARE_KEYS)}), {', '.join(OPTION_KEYS)}, or nested counts/hardware")
    return generate_inventory(counts, hardware, **options, max_nodes=max_nodes)
