"""Read and write TripleO/Ironic instackenv.json.

Format (docs/domain.md section 2): `{"nodes": [{"pm_type", "pm_addr", "pm_user", "pm_password",
"pm_port"?, "mac": [..], "cpu", "memory" (MiB), "disk" (GiB), "arch", "capabilities", "name"}]}`.
Reading rules:
- Invalid JSON (or JSON nested too deeply) raises UnreadableError at the decoder's line. A
  document that is not an object with a "nodes" list is a parse problem at line 1.
- Every problem about a node is reported at the line where that node's object starts (found by
  walking the text with json's raw_decode, since the stdlib keeps no line numbers).
- pm_type: PM_TYPES below (pxe_ipmitool/agent_ipmitool/ipmi -> IPMI, pxe_ssh/agent_ssh -> VM,
  pxe_ilo/iscsi_ilo/agent_ilo/ilo -> HP_iLO4). An IPMI-type node with both Ironic bridging keys
  `ipmi_transit_address` and `ipmi_target_address` (hex bytes such as "0x84"; `ipmi_bridging`
  optional) is an HP Moonshot cartridge.
- pm_port: integer or digit string 1..65535, default 623. cpu/memory/disk: integer or digit string.
- pm_type `redfish` (Ironic's redfish hardware type, as TripleO writes it): pm_addr is the BMC's
  URL or host[:port] (`https://10.0.0.9`, `http://127.0.0.1:8000`, `10.0.0.9:8443`; no scheme
  means https, as Ironic assumes; the port defaults to the scheme's, else pm_port); no path, no
  query, no user info (credentials belong in pm_user/pm_password). `pm_system_id` is required:
  the ComputerSystem's path, `/redfish/v1/Systems/<id>`.
- mac: a list of MAC strings (a single string is accepted); the first is the PXE NIC.
- capabilities: "k:v,k:v" string (or an object); `profile:<p>` gives the role (reverse of
  model.PROFILE); without a profile the role is assigned by the installer's rules (roles.py).
- name: kept when given and unique in the file, else the stable role name.
- Unknown keys are ignored (Ironic files carry many).
Writing: nodes except deleted ones, fixed key order, names = node names, passwords included (the
file's purpose), written atomically with mode 0600.
"""
from __future__ import annotations

import bisect
import json
import os
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from twin.errors import Problem
from twin.inventory.model import PROFILE, Bmc, Hardware, Inventory, Node, PowerKind, Role
from twin.inventory.roles import Draft, WantedCounts, build_nodes
from twin.inventory.textio import atomic_write, read_text, show, unreadable

PM_TYPES = {
    "pxe_ipmitool": PowerKind.IPMI, "agent_ipmitool": PowerKind.IPMI, "ipmi": PowerKind.IPMI,
    "pxe_ssh": PowerKind.VM, "agent_ssh": PowerKind.VM,
    "pxe_ilo": PowerKind.ILO4, "iscsi_ilo": PowerKind.ILO4, "agent_ilo": PowerKind.ILO4, "ilo": PowerKind.ILO4,
    "redfish": PowerKind.REDFISH,
}
#: pm_type written per kind (Moonshot is pxe_ipmitool plus the bridging keys).
WRITE_PM_TYPE = {PowerKind.IPMI: "pxe_ipmitool", PowerKind.MOONSHOT: "pxe_ipmitool",
                 PowerKind.VM: "pxe_ssh", PowerKind.ILO4: "pxe_ilo", PowerKind.REDFISH: "redfish"}
ROLE_BY_PROFILE = {profile: role for role, profile in PROFILE.items()}
TRANSIT, TARGET, BRIDGING = "ipmi_transit_address", "ipmi_target_address", "ipmi_bridging"
HEX_BYTE = re.compile(r"0x[0-9a-fA-F]{1,2}")
DIGITS = re.compile(r"-?[0-9]{1,18}")
DEFAULT_PORT = 623
SYSTEM_ID = "pm_system_id"
SYSTEMS_PREFIX = "/redfish/v1/Systems/"
SYSTEM_ID_RE = re.compile(r"/redfish/v1/Systems/[^\s/?#]+/?")
SCHEME_PORT = {"https": 443, "http": 80}


def read_instackenv(path: str | os.PathLike, wanted: WantedCounts | None = None) -> tuple[Inventory, list[Problem]]:
    """Parse an instackenv.json; returns the inventory of the nodes that parsed and every problem."""
    source = os.fspath(path)
    text = read_text(source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise unreadable(source, f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno, "json") from None
    except RecursionError:
        raise unreadable(source, "not readable as JSON: nested too deeply", 0, "json") from None
    except ValueError:  # e.g. an integer literal beyond Python's digit limit
        raise unreadable(source, "not readable as JSON: a number is too large", 0, "json") from None
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list):
        found = "an object without a \"nodes\" list" if isinstance(document, dict) else f"a JSON {_kind(document)}"
        problem = Problem(source, 1, "nodes", f"expected {{\"nodes\": [ ... ]}} at the top level; found {found}")
        return Inventory(source, "instackenv", []), [problem]
    starts = _node_lines(text)
    nodes_json = document["nodes"]
    if len(starts) != len(nodes_json):  # cannot happen for text json accepted; stay safe anyway
        starts = [1] * len(nodes_json)
    # Every string inside any pm_password (even a malformed one) is kept out of every message.
    secrets = {text for n in nodes_json if isinstance(n, dict) for text in _strings(n.get("pm_password")) if text}
    problems: list[Problem] = []
    drafts = []
    for line, obj in zip(starts, nodes_json):
        draft = _draft(source, line, obj, secrets, problems)
        if draft is not None:
            drafts.append(draft)
    return Inventory(source, "instackenv", build_nodes(drafts, source, wanted)), problems


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value, value.strip()]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [t for v in value for t in _strings(v)]
    return [str(value)] if value is not None and not isinstance(value, bool) else []


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _node_lines(text: str) -> list[int]:
    """1-based line where each element of the top-level "nodes" array starts (last "nodes" wins)."""
    decoder = json.JSONDecoder()
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect.bisect_left(newlines, pos) + 1

    def skip_ws(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\n\r":
            pos += 1
        return pos

    pos = skip_ws(0) + 1  # past "{"
    result: list[int] = []
    while True:
        pos = skip_ws(pos)
        if text[pos] == "}":
            return result
        key, pos = decoder.raw_decode(text, pos)
        pos = skip_ws(skip_ws(pos) + 1)  # past ":"
        if key == "nodes" and text[pos] == "[":
            result = []
            pos = skip_ws(pos + 1)
            while text[pos] != "]":
                result.append(line_of(pos))
                _, pos = decoder.raw_decode(text, pos)
                pos = skip_ws(pos)
                if text[pos] == ",":
                    pos = skip_ws(pos + 1)
            pos += 1
        else:
            _, pos = decoder.raw_decode(text, pos)
        pos = skip_ws(pos)
        if text[pos] == ",":
            pos += 1


def _draft(source: str, line: int, obj: Any, secrets: set[str], problems: list[Problem]) -> Draft | None:
    def bad(field: str, message: str) -> None:
        problems.append(Problem(source, line, field, message))

    if not isinstance(obj, dict):
        bad("nodes", f"each node must be a JSON object; found a JSON {_kind(obj)}")
        return None
    before = len(problems)
    strings = {}
    for key in ("pm_type", "pm_addr", "pm_user", "pm_password"):
        value = obj.get(key)
        if isinstance(value, str):
            strings[key] = value.strip()
        elif value is None and key != "pm_type":
            bad(key, "is missing; a string is required")
        elif value is not None:
            bad(key, f"must be a string; found a JSON {_kind(value)}")
    kind = PowerKind.IPMI
    pm_type = strings.get("pm_type", "pxe_ipmitool")
    if "pm_type" not in obj:
        bad("pm_type", f"is missing; use one of {', '.join(PM_TYPES)}")
    elif pm_type.lower() in PM_TYPES:
        kind = PM_TYPES[pm_type.lower()]
    elif "pm_type" in strings:
        bad("pm_type", f"unknown pm_type {show(pm_type, secrets)}; known: {', '.join(PM_TYPES)}")
    port = _integer(obj, "pm_port", secrets, bad, default=DEFAULT_PORT, low=1, high=65535)
    transit, target = _bridging(obj, kind, secrets, bad)
    if transit:
        kind = PowerKind.MOONSHOT
    redfish = {}
    if kind is PowerKind.REDFISH:
        redfish = _redfish(obj, strings.get("pm_addr"), port if "pm_port" in obj else None, secrets, bad)
    elif obj.get(SYSTEM_ID) is not None:
        bad(SYSTEM_ID, "is only for Redfish BMCs (pm_type redfish)")
    mac = _mac(obj.get("mac"), bad)
    numbers = {key: _integer(obj, key, secrets, bad) for key in ("cpu", "memory", "disk")}
    arch = obj.get("arch", "x86_64")
    if not isinstance(arch, str):
        bad("arch", f"must be a string such as x86_64; found a JSON {_kind(arch)}")
    role = _role(obj.get("capabilities"), secrets, bad)
    name = obj.get("name")
    if name is not None and not isinstance(name, str):
        bad("name", f"must be a string; found a JSON {_kind(name)}")
    if len(problems) > before:
        return None
    fields = {"address": strings["pm_addr"], "port": port, **redfish}
    bmc = Bmc(kind=kind, user=strings["pm_user"], password=SecretStr(obj["pm_password"]), transit=transit,
              target=target, **fields)
    hardware = Hardware(cpus=numbers["cpu"], memory_mib=numbers["memory"], disk_gib=numbers["disk"], arch=arch)
    return Draft(line=line, mac=mac.lower(), bmc=bmc, hardware=hardware, role=role,
                 name=name.strip() or None if name else None)


def _integer(obj: dict, key: str, secrets, bad, default: int | None = None, low: int | None = None,
             high: int | None = None) -> int:
    value = obj.get(key)
    if value is None and default is not None:
        return default
    if value is None:
        bad(key, "is missing; a whole number is required")
        return 0
    if isinstance(value, str) and DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        bad(key, f"must be a whole number; found {_found(value, secrets)}")
        return 0
    if low is not None and not low <= value <= high:
        bad(key, f"must be {low}..{high}; found {show(value, secrets, quote=False)}")
    return value


def _found(value: Any, secrets) -> str:
    """A scalar shown (redacted if need be); a container or boolean described by its JSON kind."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return show(value, secrets, quote=isinstance(value, str))
    return f"a JSON {_kind(value)}"


def _mac(value: Any, bad) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0].strip()
    if isinstance(value, list) and value:
        bad("mac", f"the first entry must be a MAC address string; found a JSON {_kind(value[0])}")
    elif isinstance(value, list):
        bad("mac", "is an empty list; give the PXE NIC's MAC address first")
    elif value is None:
        bad("mac", "is missing; give a list with the PXE NIC's MAC address first")
    else:
        bad("mac", f"must be a list of MAC address strings; found a JSON {_kind(value)}")
    return ""


def _bridging(obj: dict, kind: PowerKind, secrets, bad) -> tuple[str | None, str | None]:
    values = {k: obj.get(k) for k in (TRANSIT, TARGET)}
    if all(v is None for v in values.values()):
        return None, None
    if kind is not PowerKind.IPMI:
        bad(TRANSIT if values[TRANSIT] is not None else TARGET,
            "IPMI bridging (HP Moonshot) needs an IPMI pm_type such as pxe_ipmitool")
        return None, None
    for key, value in values.items():
        if not (isinstance(value, str) and HEX_BYTE.fullmatch(value.strip())):
            shown = show(value, secrets) if isinstance(value, str) else "nothing" if value is None else "a non-string"
            bad(key, f"HP Moonshot bridging needs both {TRANSIT} and {TARGET} as hex bytes such as "
                     f"\"0x84\"; found {shown}")
            return None, None
    return values[TRANSIT].strip().lower(), values[TARGET].strip().lower()


def _redfish(obj: dict, address: str | None, port: int | None, secrets, bad) -> dict:
    """A Redfish BMC's Bmc fields from pm_addr (URL or host[:port]), pm_port and pm_system_id."""
    fields: dict[str, Any] = {}
    system_id = obj.get(SYSTEM_ID)
    if system_id is None:
        bad(SYSTEM_ID, f"is missing; a Redfish node needs its ComputerSystem, e.g. \"{SYSTEMS_PREFIX}<uuid>\"")
    elif not isinstance(system_id, str) or not SYSTEM_ID_RE.fullmatch(system_id.strip()):
        bad(SYSTEM_ID, f"must be a ComputerSystem path such as \"{SYSTEMS_PREFIX}<uuid>\"; found "
                       f"{_found(system_id, secrets)}")
    else:
        fields["system_id"] = system_id.strip().rstrip("/")
    if address is None:
        return fields  # reported as missing already
    text = address if "://" in address else f"https://{address}"
    try:
        parts = urlsplit(text)
        host, url_port = parts.hostname, parts.port
    except ValueError:
        parts, host, url_port = None, None, None
    if parts is None or parts.scheme.lower() not in SCHEME_PORT or not host:
        bad("pm_addr", f"{show(address, secrets) if '@' not in address else 'the URL'} is not a Redfish BMC "
                       "address; use https://HOST[:PORT], http://HOST[:PORT] or HOST[:PORT]")
    elif "@" in parts.netloc:
        bad("pm_addr", "holds user info; put the user and password in pm_user and pm_password, not in the URL")
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        bad("pm_addr", f"{show(address, secrets)}: give the BMC's address only (the service root "
                       "/redfish/v1 is implied), without a path or query")
    else:
        scheme = parts.scheme.lower()
        fields.update(scheme=scheme, address=host, port=url_port or port or SCHEME_PORT[scheme])
    return fields


def _role(capabilities: Any, secrets, bad) -> Role | None:
    if capabilities is None:
        return None
    if isinstance(capabilities, dict):
        pairs = {str(k): v for k, v in capabilities.items()}
    elif isinstance(capabilities, str):
        pairs = dict(item.partition(":")[::2] for item in capabilities.split(",") if item.strip())
        pairs = {k.strip(): v.strip() for k, v in pairs.items()}
    else:
        bad("capabilities", "must be a string like \"profile:compute,boot_option:local\"; "
                            f"found a JSON {_kind(capabilities)}")
        return None
    profile = pairs.get("profile")
    if profile is None or profile == "":
        return None
    role = ROLE_BY_PROFILE.get(profile) if isinstance(profile, str) else None
    if role is None:
        bad("capabilities", f"unknown profile {show(profile, secrets)}; known: {', '.join(ROLE_BY_PROFILE)}")
    return role


def node_json(node: Node) -> dict:
    """One instackenv.json node object, keys in a fixed order (password included)."""
    bmc = node.bmc
    obj: dict[str, Any] = {"name": node.name, "pm_type": WRITE_PM_TYPE[bmc.kind], "pm_addr": bmc.address}
    if bmc.kind is PowerKind.REDFISH:
        obj.update({"pm_addr": bmc.url, SYSTEM_ID: bmc.system_id})
    elif bmc.port != DEFAULT_PORT:
        obj["pm_port"] = bmc.port
    # The one place a password is unwrapped here: instackenv.json is Ironic's credential source.
    obj.update({"pm_user": bmc.user, "pm_password": bmc.password.get_secret_value()})
    if bmc.kind is PowerKind.MOONSHOT:
        obj.update({BRIDGING: "dual", TRANSIT: bmc.transit, TARGET: bmc.target})
    capabilities = f"profile:{PROFILE[node.role]},boot_option:local"
    if bmc.kind is PowerKind.ILO4:
        capabilities += ",boot_mode:uefi"
    obj.update({"mac": [node.mac], "cpu": node.hardware.cpus, "memory": node.hardware.memory_mib,
                "disk": node.hardware.disk_gib, "arch": node.hardware.arch, "capabilities": capabilities})
    return obj


def write_instackenv(inventory: Inventory, path: str | os.PathLike) -> None:
    """Write the active nodes as instackenv.json, atomically, mode 0600."""
    document = {"nodes": [node_json(n) for n in inventory.active]}
    atomic_write(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
