"""The model's checks for `twin validate`: the StoreVirtual limits (twin/cloud/vsa/config.py,
docs/storage.md) on an inventory's VSA clusters.

Rules: with `--scenario`, the clusters are the scenario's `storage.vsa` section and a problem is
located in the scenario file (its key's line); without one, the VSA nodes form the default cluster
(every VSA node, Network RAID-10, as an operations run builds it) and a problem is located at the
inventory row of the node it names, else at the last VSA row. The scenario is loaded before the
inventory is judged, so a bad scenario is refused with its own located error.
"""
from __future__ import annotations

from twin.cloud.vsa.config import VSA_ROLES, vsa_problems
from twin.errors import Problem

DEFAULT_CLUSTER_HINT = ("every VSA node forms one cluster unless a scenario's storage.vsa.clusters splits them "
                        "(twin validate --scenario FILE)")


def vsa_checks(loaded=None):
    """A `more(inventory)` for twin/inventory/validate.py run_validate: the VSA limits as Problems."""
    config = loaded.scenario.storage.vsa if loaded is not None else None

    def more(inventory) -> list[Problem]:
        found = vsa_problems(config, inventory.active)
        if loaded is not None:
            return [loaded.problem(loc, message, severity) for loc, message, severity in found]
        return [_at_rows(inventory, message, severity) for _, message, severity in found]

    return more


def _at_rows(inventory, message: str, severity: str) -> Problem:
    vsa = [n for n in inventory.active if n.role in VSA_ROLES]
    named = next((n for n in vsa if message.startswith(f"{n.name}:")), None)
    node = named or (vsa[-1] if vsa else None)
    where = (node.source, node.line) if node is not None else (inventory.source, 0)
    return Problem(str(where[0]), where[1], "role", f"{message}; {DEFAULT_CLUSTER_HINT}", severity)
