"""The inventory's data model: nodes, their BMC credentials, roles and hardware.

Rules: a Node is immutable and knows the file and line it came from (for error messages); the BMC
password is a pydantic SecretStr and is only ever unwrapped by code that talks to a BMC.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from pydantic import SecretStr


class Role(str, enum.Enum):
    """Helion 1.1 roles, in baremetal.csv spelling (matched case-insensitively on input)."""

    UNDERCLOUD = "Undercloud"
    CONTROL = "OvercloudControl"
    SWIFT = "OvercloudSwiftStorage"
    COMPUTE = "OvercloudCompute"
    VSA = "OvercloudVSAStorage"
    VSA_AO = "OvercloudVSAAOStorage"
    SO_SWIFT_PROXY = "OvercloudSOSwiftProxy"
    SO_SWIFT_STORAGE = "OvercloudSOSwiftStorage"


#: Stable node-name stem per role: undercloud, controller0..2, swift0..1, compute0.. (see roles.py).
NAME_STEM = {
    Role.UNDERCLOUD: "undercloud",
    Role.CONTROL: "controller",
    Role.SWIFT: "swift",
    Role.COMPUTE: "compute",
    Role.VSA: "vsa",
    Role.VSA_AO: "vsaao",
    Role.SO_SWIFT_PROXY: "soswiftproxy",
    Role.SO_SWIFT_STORAGE: "soswiftstorage",
}

#: TripleO profile capability per role (instackenv.json "capabilities": "profile:...").
PROFILE = {
    Role.UNDERCLOUD: "undercloud",
    Role.CONTROL: "control",
    Role.SWIFT: "swift-storage",
    Role.COMPUTE: "compute",
    Role.VSA: "block-storage",
    Role.VSA_AO: "block-storage-ao",
    Role.SO_SWIFT_PROXY: "so-swift-proxy",
    Role.SO_SWIFT_STORAGE: "so-swift-storage",
}


class PowerKind(str, enum.Enum):
    """baremetal.csv power_management; the Ironic driver each maps to is in the comment."""

    IPMI = "IPMI"  # pxe_ipmitool (the default)
    VM = "VM"  # pxe_ssh: a virtual machine whose power is switched by its hypervisor
    MOONSHOT = "HP_Moonshot"  # pxe_ipmitool with IPMI bridging (transit, target addresses)
    ILO4 = "HP_iLO4"  # pxe_ilo (UEFI)
    REDFISH = "Redfish"  # redfish (instackenv.json only: Helion's baremetal.csv predates it)


@dataclass(frozen=True)
class Bmc:
    """How to reach a node's power controller. `port` is the IPMI UDP port (623 unless a lab).
    A Redfish BMC is `scheme`://`address`:`port` (its service root under /redfish/v1) and the
    node is the ComputerSystem `system_id` (e.g. /redfish/v1/Systems/<uuid>) of that service."""

    kind: PowerKind
    address: str
    user: str
    password: SecretStr = field(repr=False)
    port: int = 623
    transit: str | None = None  # HP_Moonshot bridging, e.g. "0x84"
    target: str | None = None  # HP_Moonshot bridging, e.g. "0x72"
    system_id: str | None = None  # Redfish: the node's ComputerSystem path
    scheme: str = "https"  # Redfish: http or https

    @property
    def url(self) -> str:
        """A Redfish BMC's base URL (no credentials in it)."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """Address as shown to humans: host, with :port when not 623, with the Moonshot target;
        a Redfish BMC as its URL and system."""
        if self.kind is PowerKind.REDFISH:
            return f"{self.url}{self.system_id or ''}"
        text = self.address if self.port == 623 else f"{self.address}:{self.port}"
        return f"{text}/{self.target}" if self.target else text


@dataclass(frozen=True)
class Hardware:
    cpus: int
    memory_mib: int
    disk_gib: int
    arch: str = "x86_64"


@dataclass(frozen=True)
class Node:
    """One inventory row. `name` is the stable role-based name (controller0...)."""

    name: str
    role: Role
    mac: str  # the PXE NIC, lower case, colon separated
    bmc: Bmc
    hardware: Hardware
    role_given: bool = True  # False when the role was assigned by the installer's rules
    deleted: bool = False  # a `Role:deleted` row: kept in the file, excluded from the cloud
    source: str = ""  # file the row came from
    line: int = 0  # 1-based line (CSV) or the line where the node's object starts (JSON)


@dataclass
class Inventory:
    """The nodes of one inventory file, deleted rows included (use `active` for the cloud)."""

    source: str
    dialect: str  # "csv-1.0", "csv-1.1", "instackenv" or "generated"
    nodes: list[Node]

    @property
    def active(self) -> list[Node]:
        return [n for n in self.nodes if not n.deleted]

    def by_role(self, role: Role) -> list[Node]:
        return [n for n in self.active if n.role == role]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)
