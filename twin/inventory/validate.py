"""`twin validate INVENTORY [--profile P] [--scenario S] [--json]`: judge an inventory file, print every problem.

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 unreadable file or unknown profile.
Human output (stdout): one line per problem, `FILE:LINE: field: message` (warnings prefixed with
`warning: `), then one verdict line such as `baremetal.csv: 10 nodes, valid (profile kvm-30x40)`.
--json output: {"valid", "nodes": [{"name", "role", "mac", "power_management", "bmc_address",
"cpus", "memory_mib", "disk_gib"}], "errors": [{"file", "line", "field", "message"}], "warnings"}.
`nodes` lists the active nodes that parsed; bmc_address is Bmc.endpoint (":port" when not 623,
"/target" for HP Moonshot); a name, mac or bmc_address containing a password shows <redacted>.
When some rows do not parse, their problems are reported with every
per-node problem of the rows that did, but role and row counts are not judged (they would be
wrong). Passwords are never printed; no user input causes a traceback.
Checks that need the model above the inventory layer (the StoreVirtual cluster limits) come in as
`more`: a callable from the fully parsed inventory to more problems (twin/runs/validate.py).
"""
from __future__ import annotations

import json
import sys

from twin.errors import Problem, UnreadableError
from twin.inventory import parse_inventory
from twin.inventory.csv_format import power_text
from twin.inventory.model import Inventory, Node
from twin.inventory.profiles import DEFAULT_PROFILE, UnknownProfileError, get_profile
from twin.inventory.rules import errors, secrets_of, validate, warnings
from twin.inventory.textio import redact

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def node_summary(node: Node, secrets: frozenset[str] = frozenset()) -> dict:
    """One node for --json; a text value that contains any password is shown as <redacted>."""
    return {"name": redact(node.name, secrets), "role": node.role.value, "mac": redact(node.mac, secrets),
            "power_management": power_text(node), "bmc_address": redact(node.bmc.endpoint, secrets),
            "cpus": node.hardware.cpus, "memory_mib": node.hardware.memory_mib, "disk_gib": node.hardware.disk_gib}


def run_validate(path: str, profile: str = DEFAULT_PROFILE, as_json: bool = False, out=None,
                 fmt: str | None = None, more=None) -> int:
    """Run the validate command; returns the exit code (see module docstring). `more(inventory)`:
    further problems of an inventory whose every row parsed."""
    out = out or sys.stdout
    inventory: Inventory | None = None
    partial = False
    try:
        chosen = get_profile(profile)
        inventory, problems = parse_inventory(path)
        partial = bool(problems)
        problems = problems + validate(inventory, chosen, whole_file=not partial)
        if more is not None and not partial:
            problems += more(inventory)
        problems = sorted(problems, key=lambda p: p.line)
        code, reason = (EXIT_INVALID if errors(problems) else EXIT_VALID), ""
    except UnknownProfileError as exc:
        problems, code, reason = [Problem(str(path), 0, "profile", str(exc))], EXIT_UNREADABLE, "unknown profile"
    except UnreadableError as exc:
        problems, code, reason = exc.problems, EXIT_UNREADABLE, "unreadable"
    nodes = inventory.active if inventory is not None and code != EXIT_UNREADABLE else []
    fmt = fmt or ("json" if as_json else "table")
    if fmt != "table":  # json, or value (the same document's values, one per line: twin/outformat.py)
        from twin.outformat import render

        secrets = secrets_of(inventory) if nodes else frozenset()
        document = {"valid": code == EXIT_VALID, "nodes": [node_summary(n, secrets) for n in nodes],
                    "errors": [p.as_dict() for p in errors(problems)],
                    "warnings": [p.as_dict() for p in warnings(problems)]}
        print(json.dumps(document, indent=2) if fmt == "json" else render(document, fmt, ""), file=out)
        return code
    for p in problems:
        print(f"warning: {p}" if p.severity == "warning" else str(p), file=out)
    print(f"{path}: not validated ({reason})" if reason else _verdict(path, profile, problems, inventory, partial),
          file=out)
    return code


def _verdict(path: str, profile: str, problems: list[Problem], inventory: Inventory, partial: bool) -> str:
    n_err, n_warn = len(errors(problems)), len(warnings(problems))
    deleted = len(inventory.nodes) - len(inventory.active)
    text = f"{path}: {len(inventory.active)} nodes"
    text += f" ({deleted} deleted row{'s' * (deleted != 1)} ignored)" if deleted else ""
    if not n_err:
        text += ", valid" + (f" with {n_warn} warning{'s' * (n_warn != 1)}" if n_warn else "")
    else:
        text += f", invalid: {n_err} error{'s' * (n_err != 1)}"
        text += f", {n_warn} warning{'s' * (n_warn != 1)}" if n_warn else ""
    text += f" (profile {profile})"
    return text + ("; role and row counts are checked once every row parses" if partial else "")
