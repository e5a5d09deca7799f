"""Fault specifications checked against the inventory and the scenario's failure domains.

Rules: every problem is located (FILE:LINE: field) through `LoadedScenario.problem`; all
problems are reported, not only the first. The schema (spec.py) has already checked what needs
no inventory (kinds, targets, durations, distributions, partition sides overlapping).
"""
from __future__ import annotations

from dataclasses import replace

from twin.errors import Problem
from twin.faults.spec import ALL, SERVICES

#: Nodes that are not in the inventory but can fail: the seed VM on the installer host.
PSEUDO_NODES = ("seed",)
#: Kinds a pseudo-node can suffer (it has no BMC, NIC or disk of its own in the twin).
PSEUDO_KINDS = frozenset({"node_crash", "graceful_shutdown", "power_loss"})


def stable_names(nodes) -> dict[str, str]:
    """{inventory name: Helion name}: per role, in inventory order, the installer's stable names
    (undercloud, controller0, controller1, swift0, compute0...; twin/inventory/roles.py). A lab's
    guests (twin-lab-3) are controller2 and so on to a scenario written for any cloud."""
    from twin.inventory.model import NAME_STEM, Role

    index: dict = {}
    names = {}
    for node in nodes:
        i = index.get(node.role, 0)
        index[node.role] = i + 1
        stem = NAME_STEM[node.role]
        names[node.name] = stem if node.role is Role.UNDERCLOUD and i == 0 else f"{stem}{i}"
    return names


def check_faults(loaded, nodes) -> list[Problem]:
    """Problems with the scenario's `faults` and `failure_domains`, given the inventory's nodes.
    A node may be named by its inventory name or by its Helion name (`stable_names`)."""
    sc = loaded.scenario
    aliases = stable_names(nodes)
    names = {n.name for n in nodes} | set(aliases.values())
    controllers = {n.name for n in nodes if n.role.value == "OvercloudControl"}
    controllers |= {aliases[n] for n in controllers}
    shown = sorted(n.name for n in nodes)
    listing = f"{', '.join(shown[:8])}{'...' if len(shown) > 8 else ''}"
    problems: list[Problem] = []

    def unknown(loc, name, kind=None):
        if name in names or (name in PSEUDO_NODES and (kind is None or kind in PSEUDO_KINDS)):
            return False
        if name in PSEUDO_NODES:
            problems.append(loaded.problem(loc, f"'{name}' (the seed VM) can only suffer "
                                                f"{', '.join(sorted(PSEUDO_KINDS))}"))
        else:
            problems.append(loaded.problem(loc, f"no node named '{name}' in the inventory (nodes: {listing})"))
        return True

    for group, members in sc.failure_domains.items():
        if not members:
            problems.append(loaded.problem(("failure_domains", group), "a failure domain names at least one node"))
        for j, name in enumerate(members):
            unknown(("failure_domains", group, j), name)

    for i, fault in enumerate(sc.faults):
        targets: list[str] = []
        if fault.node is not None:
            if not unknown(("faults", i, "node"), fault.node, fault.kind):
                targets.append(fault.node)
        elif fault.nodes is not None:
            if fault.nodes == [ALL]:
                targets = sorted(n.name for n in nodes)
            for j, name in enumerate(fault.nodes if fault.nodes != [ALL] else ()):
                if not unknown(("faults", i, "nodes", j), name, fault.kind):
                    targets.append(name)
        elif fault.group is not None:
            if fault.group not in sc.failure_domains:
                known = ", ".join(sorted(sc.failure_domains)) or "none are defined"
                problems.append(loaded.problem(("faults", i, "group"),
                                               f"no failure domain named '{fault.group}' (failure_domains: {known})"))
            else:
                targets = list(sc.failure_domains[fault.group])
        elif fault.sides is not None:
            for s, side in enumerate(fault.sides):
                for j, name in enumerate(side):
                    unknown(("faults", i, "sides", s, j), name, "nic_down")
        if fault.kind == "service_crash" and fault.service in SERVICES:
            outside = [t for t in targets if t not in controllers]
            if outside and fault.nodes != [ALL]:
                problems.append(loaded.problem(("faults", i, "service"),
                                               f"{fault.service} runs on the controllers only, not on "
                                               f"{', '.join(outside)}"))
    return problems


def fault_targets(fault, nodes, failure_domains) -> list[str]:
    """The nodes a (validated) node fault applies to, in a stable order. A service crash on
    `nodes: all` means every controller (where the services run)."""
    if fault.node is not None:
        return [fault.node]
    if fault.group is not None:
        return list(failure_domains[fault.group])
    if fault.nodes == [ALL]:
        if fault.kind == "service_crash":
            return [n.name for n in nodes if n.role.value == "OvercloudControl"]
        return [n.name for n in nodes]
    return list(fault.nodes or ())


def helion_named(sc, nodes):
    """(scenario, nodes, {Helion name: inventory name}) with every node under its Helion name and
    the scenario's fault targets and failure domains rewritten from inventory names to Helion
    names (an operations run speaks of controller0 whatever the inventory calls it)."""
    names = stable_names(nodes)
    if all(k == v for k, v in names.items()):
        return sc, list(nodes), {n: n for n in names}
    renamed = [replace(n, name=names[n.name]) for n in nodes]
    return _renamed_targets(sc, names), renamed, {names[n.name]: n.name for n in nodes}


def inventory_named(sc, nodes):
    """The scenario with its fault targets and failure domains written in the inventory's names
    (a Helion name such as compute0 becomes the node it stands for), for the runs whose nodes
    keep their inventory names (a capacity run's Nova hosts): a fault reaches its node whichever
    name the scenario used."""
    helion_to_inventory = {h: n for n, h in stable_names(nodes).items() if h != n}
    return _renamed_targets(sc, helion_to_inventory) if helion_to_inventory else sc


def _renamed_targets(sc, names: dict[str, str]):
    def rename(value):
        if isinstance(value, str):
            return names.get(value, value)
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    faults = [f.model_copy(update={k: rename(getattr(f, k)) for k in ("node", "nodes", "sides")
                                   if getattr(f, k) is not None}) for f in sc.faults]
    domains = {g: rename(members) for g, members in sc.failure_domains.items()}
    return sc.model_copy(update={"faults": faults, "failure_domains": domains})


#: Fault kinds a live world applies: a chassis power off through the node's BMC, then the
#: operator's power-on through it (real_backends/ops.py `BmcTargets`).
LIVE_KINDS = frozenset({"node_crash", "graceful_shutdown", "power_loss"})
