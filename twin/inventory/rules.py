"""Validation of an Inventory against a limits profile: every problem, errors and warnings.

Rules (each reported as `FILE:LINE: field: message`, field = the CSV column or JSON key; line 0 =
the file as a whole; deleted rows are never judged):
  rows              active rows within profile.min_rows..max_rows (the excess reported at the
                    first row beyond the maximum)
  mac               six hex pairs separated by colons, not multicast, not all zero; unique
  ipmi_address      IPMI, HP_Moonshot, HP_iLO4: an IPv4 unicast address (loopback allowed for
                    virtualbmc labs). VM (pxe_ssh): the hypervisor's IPv4 address or hostname.
                    Unique BMC identity (address, port, Moonshot target) except VM nodes, which
                    legitimately share their hypervisor.
  ipmi_user, ipmi_password   non-empty (the password is never shown, not even when wrong)
  cpus, memory_MB, disk_GiB  positive whole numbers, at least the profile's minimums
  role              per-role counts (exactly 1 undercloud, exactly 3 controllers, >= 2 Swift,
                    1..max_compute compute); WARNING for 1 or 2 nodes of one VSA kind
  (1.0 dialect)     the 2nd row defines the overcloud flavor: every other overcloud node must have
                    cpus, memory_MB and disk_GiB >= it; each node below it is an error
Whole-file rules (rows, role counts, the 1.0 flavor rule) are skipped with whole_file=False,
which the CLI uses when some rows did not parse (the counts would be wrong).
Every user value in a message goes through textio.show, which redacts any password.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from twin.errors import Problem
from twin.inventory.model import Inventory, Node, PowerKind, Role
from twin.inventory.profiles import DEFAULT_PROFILE, Profile, get_profile
from twin.inventory.textio import show

#: logical field -> the name the operator sees, per file format ("generated" uses the CSV names).
FIELDS = {
    "csv": {"mac": "mac", "user": "ipmi_user", "password": "ipmi_password", "address": "ipmi_address",
            "cpus": "cpus", "memory": "memory_MB", "disk": "disk_GiB", "role": "role", "rows": "rows"},
    "instackenv": {"mac": "mac", "user": "pm_user", "password": "pm_password", "address": "pm_addr",
                   "cpus": "cpu", "memory": "memory", "disk": "disk", "role": "capabilities", "rows": "nodes"},
}
MEMORY_UNIT = {"csv": "MB", "instackenv": "MiB"}
MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
HOSTNAME_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
#: Power controllers that may be named by host name (others are reached by IPv4 address).
HOSTNAME_KINDS = frozenset({PowerKind.VM, PowerKind.REDFISH})
MAC_EXAMPLE = "six hex pairs separated by colons, e.g. 78:e7:d1:22:5d:58"
VSA_ROLES = (Role.VSA, Role.VSA_AO)
#: (logical field, Hardware attribute, unit, Profile minimum attribute)
HARDWARE = (("cpus", "cpus", "CPUs", "min_cpus"), ("memory", "memory_mib", None, "min_memory_mib"),
            ("disk", "disk_gib", "GiB", "min_disk_gib"))


@dataclass
class Context:
    inventory: Inventory
    profile: Profile
    fields: dict[str, str]
    memory_unit: str
    secrets: frozenset[str]

    def problem(self, line: int, key: str, message: str, severity: str = "error", code: str = "") -> Problem:
        return Problem(self.inventory.source, line, self.fields[key], message, severity, code)

    def show(self, value: object, quote: bool = True) -> str:
        return show(value, self.secrets, quote)

    def unit(self, logical: str, unit: str | None) -> str:
        return self.memory_unit if logical == "memory" else unit


def secrets_of(inventory: Inventory) -> frozenset[str]:
    # Unwrapped only to keep every password out of every message (see textio.show).
    return frozenset(p for p in (n.bmc.password.get_secret_value() for n in inventory.nodes) if p)


# --- per-node rules ---------------------------------------------------------------------------

def check_mac(ctx: Context, node: Node) -> Iterable[Problem]:
    mac = node.mac
    if not mac:
        yield ctx.problem(node.line, "mac", f"is empty; give the PXE NIC's MAC address ({MAC_EXAMPLE})")
    elif not MAC.fullmatch(mac):
        yield ctx.problem(node.line, "mac", f"{ctx.show(mac)} is not a MAC address; expected {MAC_EXAMPLE}")
    elif int(mac[:2], 16) & 1 or mac == "00:00:00:00:00:00":
        yield ctx.problem(node.line, "mac", f"{ctx.show(mac)} is a multicast or all-zero address, not a NIC's; "
                                            "give the PXE NIC's own MAC address")


def check_address(ctx: Context, node: Node) -> Iterable[Problem]:
    address, kind = node.bmc.address, node.bmc.kind
    if not address:
        yield ctx.problem(node.line, "address", "is empty; give the address of the node's BMC"
                          if kind is not PowerKind.VM else "is empty; give the hypervisor's address")
        return
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        if kind in HOSTNAME_KINDS and _is_hostname(address):
            return
        wanted = ("an IPv4 address or a hostname of the hypervisor (VM power)" if kind is PowerKind.VM
                  else "an IPv4 address or a host name of the Redfish BMC" if kind is PowerKind.REDFISH
                  else f"an IPv4 address such as 192.168.11.1 ({kind.value} BMCs are reached by address)")
        yield ctx.problem(node.line, "address", f"{ctx.show(address)} is not {wanted}")
        return
    if ip.is_unspecified or ip.is_multicast or ip == ipaddress.IPv4Address("255.255.255.255"):
        yield ctx.problem(node.line, "address", f"{ctx.show(address)} is not a usable unicast address for a BMC")


def _is_hostname(text: str) -> bool:
    labels = text.lower().rstrip(".").split(".")
    return (text.isascii() and len(text) <= 253 and all(HOSTNAME_LABEL.fullmatch(label) for label in labels)
            and not labels[-1].isdigit())


def check_credentials(ctx: Context, node: Node) -> Iterable[Problem]:
    if not node.bmc.user:
        yield ctx.problem(node.line, "user", "is empty; give a BMC user with ADMINISTRATOR privilege")
    if len(node.bmc.password) == 0:
        yield ctx.problem(node.line, "password", "is empty; the installer needs the BMC password")


def check_hardware(ctx: Context, node: Node) -> Iterable[Problem]:
    for logical, attribute, unit, minimum_name in HARDWARE:
        value, minimum = getattr(node.hardware, attribute), getattr(ctx.profile, minimum_name)
        unit = ctx.unit(logical, unit)
        if value <= 0:
            yield ctx.problem(node.line, logical, f"is {ctx.show(value, False)}; a positive whole number is required")
        elif value < minimum:
            yield ctx.problem(node.line, logical, _below_minimum(ctx, logical, value, minimum, unit))


def _below_minimum(ctx: Context, logical: str, value: int, minimum: int, unit: str) -> str:
    shown = ctx.show(value, False)
    if logical == "memory":
        return (f"{shown} {unit} of RAM is below the Helion minimum of {minimum} {unit} "
                f"({minimum // 1024} GB; profile {ctx.profile.name})")
    if logical == "disk":
        return (f"a {shown} GiB disk is below the Helion 1.1 minimum of {minimum} GiB: the installer rejects "
                f"it (1 TB = 931 GiB; profile {ctx.profile.name})")
    return f"{shown} {unit} is below the minimum of {minimum} (profile {ctx.profile.name})"


NODE_RULES: tuple[Callable[[Context, Node], Iterable[Problem]], ...] = (
    check_mac, check_address, check_credentials, check_hardware)


# --- rules across nodes -----------------------------------------------------------------------

def check_unique(ctx: Context, nodes: list[Node]) -> Iterable[Problem]:
    first_mac: dict[str, int] = {}
    first_bmc: dict[tuple, int] = {}
    for node in nodes:
        if node.mac:
            if node.mac in first_mac:
                yield ctx.problem(node.line, "mac", f"{ctx.show(node.mac)} is also the MAC of line "
                                  f"{first_mac[node.mac]}; each node needs its own PXE NIC")
            else:
                first_mac[node.mac] = node.line
        bmc = node.bmc
        if bmc.address and bmc.kind is not PowerKind.VM:
            key = (bmc.address.lower(), bmc.port, bmc.target or bmc.system_id)
            if key in first_bmc:
                where = ctx.show(bmc.address) + (f" port {bmc.port}" if bmc.port != 623 else "")
                where += f" target {bmc.target}" if bmc.target else ""
                where += f" system {bmc.system_id}" if bmc.system_id else ""
                yield ctx.problem(node.line, "address", f"BMC {where} is also the BMC of line {first_bmc[key]}; "
                                  "each server has its own BMC (HP Moonshot cartridges differ by target, "
                                  "the systems of one Redfish service by system id)")
            else:
                first_bmc[key] = node.line


def check_rows(ctx: Context, nodes: list[Node]) -> Iterable[Problem]:
    p = ctx.profile
    if len(nodes) < p.min_rows:
        yield ctx.problem(0, "rows", f"{len(nodes)} active nodes; Helion needs at least {p.min_rows} (1 undercloud, "
                          f"3 controllers, 2 Swift, 1 compute; profile {p.name})")
    elif len(nodes) > p.max_rows:
        yield ctx.problem(nodes[p.max_rows].line, "rows", f"this is node {p.max_rows + 1} of {len(nodes)}; "
                          f"baremetal.csv holds at most {p.max_rows} nodes (profile {p.name})")


def check_role_counts(ctx: Context, nodes: list[Node]) -> Iterable[Problem]:
    for limit in ctx.profile.role_limits:
        members = [n for n in nodes if n.role is limit.role]
        wanted = (f"exactly {limit.min}" if limit.min == limit.max
                  else f"at least {limit.min}" if limit.max is None else f"{limit.min} to {limit.max}")
        if len(members) < limit.min:
            yield ctx.problem(0, "role", f"{len(members)} {limit.role.value} nodes; {wanted} required "
                              f"({limit.why})")
        elif limit.max is not None and len(members) > limit.max:
            yield ctx.problem(members[limit.max].line, "role", f"{len(members)} {limit.role.value} nodes, this is "
                              f"number {limit.max + 1}; {wanted} allowed ({limit.why})")
    for role in VSA_ROLES:
        members = [n for n in nodes if n.role is role]
        if 0 < len(members) < ctx.profile.vsa_recommended_min:
            yield ctx.problem(members[0].line, "role", f"only {len(members)} {role.value} node(s): a StoreVirtual "
                              f"cluster has no network-RAID quorum below {ctx.profile.vsa_recommended_min}; Helion "
                              f"recommends at least {ctx.profile.vsa_recommended_min} per cluster", "warning",
                              code="vsa-few-nodes")


def check_flavor_row(ctx: Context, nodes: list[Node]) -> Iterable[Problem]:
    """1.0 dialect: the 2nd row is the flavor; no overcloud node may be smaller in any dimension."""
    rows = ctx.inventory.nodes
    if ctx.inventory.dialect != "csv-1.0" or len(rows) < 2 or rows[1].deleted:
        return
    flavor = rows[1]
    for node in nodes:
        if node is flavor or node.role is Role.UNDERCLOUD:
            continue
        for logical, attribute, unit, _ in HARDWARE:
            value, limit = getattr(node.hardware, attribute), getattr(flavor.hardware, attribute)
            if 0 < value < limit:
                unit = ctx.unit(logical, unit)
                yield ctx.problem(node.line, logical, (
                    f"{ctx.show(value, False)} {unit} is below line {flavor.line}'s {ctx.show(limit, False)}: in the "
                    f"1.0 format TripleO builds the overcloud flavor from line {flavor.line}, so line {flavor.line} "
                    "must be the smallest server; move the smallest server to that line"))


WHOLE_FILE_RULES = (check_rows, check_role_counts, check_flavor_row)


def validate(inventory: Inventory, profile: str | Profile = DEFAULT_PROFILE, *,
             whole_file: bool = True) -> list[Problem]:
    """Every problem of `inventory` under `profile` (errors and warnings), sorted by line."""
    profile = get_profile(profile)
    family = "instackenv" if inventory.dialect == "instackenv" else "csv"
    ctx = Context(inventory, profile, FIELDS[family], MEMORY_UNIT[family], secrets_of(inventory))
    nodes = inventory.active
    problems = [p for node in nodes for rule in NODE_RULES for p in rule(ctx, node)]
    problems += check_unique(ctx, nodes)
    if whole_file:
        for rule in WHOLE_FILE_RULES:
            problems += rule(ctx, nodes)
    return sorted(problems, key=lambda p: p.line)


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity != "warning"]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "warning"]
