"""Role assignment and stable naming, exactly as the Helion 1.1 installer assigns roles.

Rules (docs/domain.md section 2):
1. Count the explicit roles across the whole file, deleted rows excluded.
2. For each row without a role, in file order, take the first entry of ASSIGN_ORDER whose count
   is below its wanted count (Undercloud 1, Control 3, SwiftStorage 2, VSA, VSA-AO, scale-out
   Swift proxy, scale-out Swift storage: 0 each by default), else OvercloudCompute.
   Each assignment raises that role's count. Assigned nodes have role_given False.
3. Names: per role, in file order, NAME_STEM + index (controller0, controller1, ...); the first
   undercloud is just `undercloud`. A row whose file gives a name (instackenv.json "name") keeps
   it when no other row gives the same name. A stable name already taken by a file-given name gets
   `-line<N>` appended. Deleted rows are named `deleted-line<N>`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from twin.errors import TwinError
from twin.inventory.model import NAME_STEM, Bmc, Hardware, Node, Role


class InventoryConfigError(TwinError, ValueError):
    """A parameter given to the inventory code (profile name, role counts, generate spec) is wrong."""


@dataclass(frozen=True)
class WantedCounts:
    """How many nodes of each role the assignment fills before the next role (defaults: Helion's)."""

    undercloud: int = 1
    control: int = 3
    swift: int = 2
    vsa: int = 0
    vsa_ao: int = 0
    so_swift_proxy: int = 0
    so_swift_storage: int = 0

    @classmethod
    def from_any(cls, value: WantedCounts | Mapping[Any, int] | None) -> WantedCounts:
        """Accept a WantedCounts, None (defaults) or a mapping keyed by field name or Role."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise InventoryConfigError(f"role counts must be a mapping, not {type(value).__name__}")
        known = {f.name for f in fields(cls)}
        by_role = {role: name for name, role in FIELD_ROLE.items()}
        kwargs = {}
        for key, count in value.items():
            name = by_role.get(key) if isinstance(key, Role) else str(key).lower()
            if name not in known:
                raise InventoryConfigError(
                    f"unknown role count {key!r}; known: {', '.join(sorted(known))}")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise InventoryConfigError(f"role count {name} must be a whole number >= 0, not {count!r}")
            kwargs[name] = count
        return cls(**kwargs)


#: WantedCounts field -> role, in the installer's assignment order; Compute takes the rest.
FIELD_ROLE = {
    "undercloud": Role.UNDERCLOUD,
    "control": Role.CONTROL,
    "swift": Role.SWIFT,
    "vsa": Role.VSA,
    "vsa_ao": Role.VSA_AO,
    "so_swift_proxy": Role.SO_SWIFT_PROXY,
    "so_swift_storage": Role.SO_SWIFT_STORAGE,
}
FALLBACK_ROLE = Role.COMPUTE


@dataclass
class Draft:
    """A parsed row before role assignment: `role` None means "assign by the rules"."""

    line: int
    mac: str
    bmc: Bmc
    hardware: Hardware
    role: Role | None = None
    deleted: bool = False
    name: str | None = None  # a name given by the file (instackenv.json), if any


def assign_roles(drafts: list[Draft], wanted: WantedCounts | None = None) -> list[tuple[Role, bool]]:
    """(role, role_given) per draft, in order, by the installer's rules (see module docstring)."""
    wanted = wanted or WantedCounts()
    order = [(FIELD_ROLE[f.name], getattr(wanted, f.name)) for f in fields(WantedCounts)]
    counts: dict[Role, int] = {role: 0 for role in Role}
    for d in drafts:
        if d.role is not None and not d.deleted:
            counts[d.role] += 1
    result = []
    for d in drafts:
        if d.role is not None:
            result.append((d.role, True))
            continue
        role = next((r for r, want in order if counts[r] < want), FALLBACK_ROLE)
        if not d.deleted:
            counts[role] += 1
        result.append((role, False))
    return result


def stable_names(drafts: list[Draft], roles: list[Role]) -> list[str]:
    """Node names per the module docstring's naming rule; always unique."""
    given: dict[str, int] = {}
    for d in drafts:
        if d.name and not d.deleted:
            given[d.name] = given.get(d.name, 0) + 1
    kept = {d.name for d in drafts if d.name and not d.deleted and given[d.name] == 1}
    index: dict[Role, int] = {role: 0 for role in Role}
    taken = set(kept)
    names = []
    for d, role in zip(drafts, roles):
        if d.deleted:
            names.append(_unique(f"deleted-line{d.line}", taken))
            continue
        i = index[role]
        index[role] += 1
        if d.name in kept:
            names.append(d.name)
            continue
        stem = NAME_STEM[role]
        base = stem if role is Role.UNDERCLOUD and i == 0 else f"{stem}{i}"
        names.append(base if base not in taken else _unique(f"{base}-line{d.line}", taken))
        taken.add(names[-1])
    return names


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def build_nodes(drafts: list[Draft], source: str, wanted: WantedCounts | None = None) -> list[Node]:
    """Nodes from drafts: roles assigned, stable names given, source and line kept."""
    assigned = assign_roles(drafts, wanted)
    roles = [role for role, _ in assigned]
    names = stable_names(drafts, roles)
    return [
        Node(name=name, role=role, mac=d.mac, bmc=d.bmc, hardware=d.hardware, role_given=given,
             deleted=d.deleted, source=source, line=d.line)
        for d, (role, given), name in zip(drafts, assigned, names)
    ]
