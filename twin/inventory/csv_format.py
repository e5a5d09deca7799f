"""Read and write Helion baremetal.csv, both dialects.

Format (docs/domain.md section 2):
- 1.0: `mac,ipmi_user,ipmi_password,ipmi_address,cpus,memory_MB,disk_GiB` (7 fields).
- 1.1: the same plus `role,power_management`; both optional per row, so a 1.1 row has 7, 8
  (role only) or 9 fields. The dialect is csv-1.1 when any data row (or the header) has 8 or 9
  fields, else csv-1.0 (so a 1.1 file whose rows all omit role and power is read as 1.0).
Reading rules:
- Fields are split on "," (no quoting, like the installer) and stripped of whitespace.
- Blank lines and lines starting with "#" are ignored. A first data line that is exactly the
  column names (7, 8 or 9 of them) is a header and is skipped silently.
- MAC is lower-cased. memory_MB is read as MiB (Ironic's memory_mb). An `ipmi_address` of the form
  `A.B.C.D:PORT` sets a non-default IPMI port (a twin extension for virtualbmc labs).
- role is matched case-insensitively against Role values; `Role:deleted` keeps the row with
  deleted=True. Empty role = assign by the installer's rules (roles.py).
- power_management: empty/IPMI, VM, HP_iLO4 (case-insensitive), or HP_Moonshot:<transit>:<target>
  with one-byte hex addresses such as 0x84 (stored lower case).
- A row of 8 or 9 fields whose role column is not a role was shifted by a comma inside mac,
  ipmi_user or ipmi_password (the installer cannot hold commas in values): no field that may hold
  the password is shown, and when its numbers line up after the shift, one `row` problem says so.
- What cannot be represented in a Node (wrong field count, a non-integer number, an unknown role
  or power_management, a bad port) is a parse problem; every one is collected, none raised here.
  Everything else (MAC and address syntax, minimums, counts) is judged by rules.py.
"""
from __future__ import annotations

import os
import re

from pydantic import SecretStr

from twin.errors import Problem
from twin.inventory.model import Bmc, Hardware, Inventory, Node, PowerKind, Role
from twin.inventory.roles import Draft, WantedCounts, build_nodes
from twin.inventory.textio import WriteError, atomic_write, read_text, show

COLUMNS_10 = ("mac", "ipmi_user", "ipmi_password", "ipmi_address", "cpus", "memory_MB", "disk_GiB")
COLUMNS_11 = COLUMNS_10 + ("role", "power_management")
HEADERS = {COLUMNS_11[:n] for n in (7, 8, 9)}
PASSWORD_COLUMN = 2
DELETED_SUFFIX = "deleted"
DEFAULT_PORT = 623

ROLE_BY_NAME = {role.value.lower(): role for role in Role}
POWER_BY_NAME = {"": PowerKind.IPMI, "ipmi": PowerKind.IPMI, "vm": PowerKind.VM, "hp_ilo4": PowerKind.ILO4}
MOONSHOT_BYTE = re.compile(r"0x[0-9a-f]{1,2}")
INTEGER = re.compile(r"-?[0-9]{1,18}")
POWER_HELP = "use IPMI (default), VM, HP_iLO4 or HP_Moonshot:<transit>:<target> (e.g. HP_Moonshot:0x84:0x72)"


def read_csv(path: str | os.PathLike, wanted: WantedCounts | None = None) -> tuple[Inventory, list[Problem]]:
    """Parse a baremetal.csv; returns the inventory of the rows that parsed and every parse problem."""
    source = os.fspath(path)
    text = read_text(source)
    rows: list[tuple[int, list[str]]] = []
    header: tuple[str, ...] = ()
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        if not rows and not header and tuple(fields) in HEADERS:
            header = tuple(fields)
            continue
        rows.append((number, fields))
    widths = {len(f) for _, f in rows} | {len(header)}
    dialect = "csv-1.1" if widths & {8, 9} else "csv-1.0"
    secrets = {f[PASSWORD_COLUMN] for _, f in rows if len(f) > PASSWORD_COLUMN and f[PASSWORD_COLUMN]}
    drafts, problems = [], []
    for number, fields in rows:
        draft = _draft(source, number, fields, secrets, problems)
        if draft is not None:
            drafts.append(draft)
    return Inventory(source, dialect, build_nodes(drafts, source, wanted)), problems


def _draft(source: str, number: int, fields: list[str], secrets: set[str], problems: list[Problem]) -> Draft | None:
    def bad(field: str, message: str) -> None:
        problems.append(Problem(source, number, field, message))

    if len(fields) not in (7, 8, 9):
        bad("row", f"expected 7 fields ({','.join(COLUMNS_10)}) or up to 9 with role,power_management; "
                   f"found {len(fields)}")
        return None
    shift = _shift(fields)
    if shift:
        # Commas inside mac, ipmi_user or ipmi_password shifted the columns: the password (or its
        # pieces) may now sit in any column up to ipmi_password + shift, so none of those is shown.
        secrets = secrets | set(fields[PASSWORD_COLUMN:PASSWORD_COLUMN + shift + 1])
        if all(INTEGER.fullmatch(f) for f in fields[4 + shift:7 + shift]):
            bad("row", f"{len(fields)} fields whose numbers sit {shift} column(s) right of cpus,memory_MB,disk_GiB: "
                       "a value before ipmi_address (mac, ipmi_user or ipmi_password) seems to contain a comma, "
                       "which baremetal.csv cannot hold")
            return None
    before = len(problems)
    values = dict(zip(COLUMNS_11, fields + [""] * (9 - len(fields))))
    if not all(INTEGER.fullmatch(values[c]) for c in ("cpus", "memory_MB", "disk_GiB")):
        # Numbers out of place mean the columns are misaligned (a comma inside a value together
        # with a missing column can hide a shift): the password may sit in any column from
        # ipmi_user to ipmi_address, so none of them is shown for this row.
        secrets = secrets | {f for f in fields[1:4] if f}
    numbers = {}
    for column in ("cpus", "memory_MB", "disk_GiB"):
        text = values[column]
        if INTEGER.fullmatch(text):
            numbers[column] = int(text)
        elif not text:
            bad(column, "is empty; a whole number is required")
        else:
            bad(column, f"{show(text, secrets)} is not a whole number (digits only, no units)")
    address, port = _address(values["ipmi_address"], secrets, bad)
    role, deleted = _role(values["role"], secrets, bad)
    kind, transit, target = _power(values["power_management"], secrets, bad)
    if len(problems) > before:
        return None
    bmc = Bmc(kind=kind, address=address, user=values["ipmi_user"], password=SecretStr(values["ipmi_password"]),
              port=port, transit=transit, target=target)
    hardware = Hardware(cpus=numbers["cpus"], memory_mib=numbers["memory_MB"], disk_gib=numbers["disk_GiB"])
    return Draft(line=number, mac=values["mac"].lower(), bmc=bmc, hardware=hardware, role=role, deleted=deleted)


def _shift(fields: list[str]) -> int:
    """Columns the row seems shifted right by commas inside values: len - 7 for an 8- or 9-field
    row whose role column holds neither a role nor nothing (a real 1.1 row has a role there)."""
    extra = len(fields) - 7
    role = fields[7].partition(":")[0].strip().lower() if extra > 0 else ""
    return extra if role and role not in ROLE_BY_NAME else 0


def _address(text: str, secrets, bad) -> tuple[str, int]:
    host, sep, port = text.partition(":")
    if not sep or ":" in port:  # no port, or an IPv6-looking value (rules.py judges it)
        return text, DEFAULT_PORT
    if port.isascii() and port.isdigit() and len(port) <= 5 and 1 <= int(port) <= 65535:
        return host.strip(), int(port)
    shown = "<redacted>" if show(text, secrets) == "<redacted>" else show(port, secrets)  # never a piece of a secret
    bad("ipmi_address", f"port {shown} is not a number 1..65535 (write A.B.C.D or A.B.C.D:PORT)")
    return text, DEFAULT_PORT


def _role(text: str, secrets, bad) -> tuple[Role | None, bool]:
    name, sep, suffix = text.partition(":")
    name = name.strip()
    deleted = bool(sep)
    if deleted and suffix.strip().lower() != DELETED_SUFFIX:
        bad("role", f"{show(text, secrets)}: the only suffix allowed is ':deleted' (e.g. OvercloudCompute:deleted)")
        return None, False
    if not name:
        if deleted:
            bad("role", "':deleted' needs the row's role before it, e.g. OvercloudCompute:deleted")
        return None, deleted
    role = ROLE_BY_NAME.get(name.lower())
    if role is None:
        bad("role", f"unknown role {show(name, secrets)}; known roles: {', '.join(r.value for r in Role)}")
    return role, deleted


def _power(text: str, secrets, bad) -> tuple[PowerKind, str | None, str | None]:
    parts = [p.strip() for p in text.split(":")]
    if parts[0].lower() == PowerKind.MOONSHOT.value.lower():
        pair = [p.lower() for p in parts[1:]]
        if len(pair) == 2 and all(MOONSHOT_BYTE.fullmatch(p) for p in pair):
            return PowerKind.MOONSHOT, pair[0], pair[1]
        bad("power_management", f"{show(text, secrets)}: HP_Moonshot needs a transit and a target address as "
                                "one-byte hex values: HP_Moonshot:<transit>:<target>, e.g. HP_Moonshot:0x84:0x72")
        return PowerKind.IPMI, None, None
    kind = POWER_BY_NAME.get(text.lower())
    if kind is None:
        bad("power_management", f"unknown power_management {show(text, secrets)}; {POWER_HELP}")
        return PowerKind.IPMI, None, None
    return kind, None, None


def power_text(node: Node) -> str:
    """The node's power_management in baremetal.csv spelling (HP_Moonshot:0x84:0x72 for Moonshot)."""
    bmc = node.bmc
    if bmc.kind is PowerKind.MOONSHOT:
        return f"{bmc.kind.value}:{bmc.transit}:{bmc.target}"
    return bmc.kind.value


def write_csv(inventory: Inventory, path: str | os.PathLike) -> None:
    """Write the inventory as a 1.1 baremetal.csv (no header; explicit roles; deleted rows kept as
    `Role:deleted`), atomically with mode 0600 since it holds BMC passwords."""
    lines = []
    for n in inventory.nodes:
        _check_writable(n)
        address = n.bmc.address if n.bmc.port == DEFAULT_PORT else f"{n.bmc.address}:{n.bmc.port}"
        role = f"{n.role.value}:{DELETED_SUFFIX}" if n.deleted else n.role.value
        # The one place a password is unwrapped here: this file is the installer's credential source.
        fields = [n.mac, n.bmc.user, n.bmc.password.get_secret_value(), address, str(n.hardware.cpus),
                  str(n.hardware.memory_mib), str(n.hardware.disk_gib), role, power_text(n)]
        lines.append(",".join(fields))
    atomic_write(path, "\n".join(lines) + "\n" if lines else "")


def _check_writable(node: Node) -> None:
    """Refuse values that would not read back the same (a comma, a line break, edge whitespace),
    and Redfish BMCs: Helion's baremetal.csv (1.0 and 1.1) has no Redfish power management, since
    the Helion installer predates Ironic's redfish driver (docs/domain.md s2)."""
    if node.bmc.kind is PowerKind.REDFISH:
        raise WriteError(f"node {node.name} (line {node.line}): a Redfish BMC cannot be written to baremetal.csv "
                         "(the Helion installer's dialects have no Redfish); write instackenv.json instead")
    values = {"mac": node.mac, "ipmi_user": node.bmc.user, "ipmi_password": node.bmc.password.get_secret_value(),
              "ipmi_address": node.bmc.address}
    for column, value in values.items():
        if (value != value.strip() or any(c in value for c in ",\n\r") or (column == "mac" and value.startswith("#"))
                or (column == "ipmi_address" and value.count(":") == 1)):
            name = show(node.name, [values["ipmi_password"]])
            raise WriteError(f"node {name} (line {node.line}): {column} holds a comma, a line break, edge "
                             "whitespace or (ipmi_address) a colon, which baremetal.csv cannot hold")
