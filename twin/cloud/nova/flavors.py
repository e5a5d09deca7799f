"""Flavors: the sizes a VM can be booted with, and the catalogue a cloud offers.

Rules:
- The built-in set is Nova's m1.* flavors (docs/domain.md section 7); a scenario adds its own under
  `nova.flavors`. A name is defined once: a user flavor may not silently replace a built-in.
- Units as Nova's: memory in MB (Nova's MB are MiB), disks in GB (GiB), swap in MB.
- What the scheduler asks for (DiskFilter: 1024 x (root + ephemeral) + swap) and what a VM
  consumes on its host (root + ephemeral, swap not counted) differ exactly as in Juno's
  DiskFilter and resource tracker; m1.* have no swap, so they agree for those.
- A catalogue numbers its flavors 0..n-1 in definition order (built-ins first); the number is
  what the event log and metrics use.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Flavor:
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    ephemeral_gb: int = 0
    swap_mb: int = 0
    # ComputeCapabilitiesFilter matches these against host capabilities (see filters.py)
    extra_specs: tuple[tuple[str, str], ...] = ()
    index: int = -1  # position in its catalogue
    # derived once (read on the scheduler's hot path):
    disk_gb: int = field(init=False)  # local disk a VM uses on its host (resource tracker: root + ephemeral)
    disk_mb: int = field(init=False)  # the same in MB (what a claim takes off free_disk_mb)
    requested_disk_mb: int = field(init=False)  # what DiskFilter asks for: 1024 x (root + ephemeral) + swap

    def __post_init__(self):
        object.__setattr__(self, "disk_gb", self.root_gb + self.ephemeral_gb)
        object.__setattr__(self, "disk_mb", 1024 * (self.root_gb + self.ephemeral_gb))
        object.__setattr__(self, "requested_disk_mb", 1024 * (self.root_gb + self.ephemeral_gb) + self.swap_mb)

    def label(self) -> str:
        return f"{self.name} ({self.memory_mb} MB, {self.vcpus} vCPU, {self.disk_gb} GB)"


#: Nova's default flavors (docs/domain.md s7): name, MB, vCPUs, root GB.
M1_FLAVORS = (
    Flavor("m1.tiny", vcpus=1, memory_mb=512, root_gb=1),
    Flavor("m1.small", vcpus=1, memory_mb=2048, root_gb=20),
    Flavor("m1.medium", vcpus=2, memory_mb=4096, root_gb=40),
    Flavor("m1.large", vcpus=4, memory_mb=8192, root_gb=80),
    Flavor("m1.xlarge", vcpus=8, memory_mb=16384, root_gb=160),
)


class DuplicateFlavor(ValueError):
    pass


class Catalogue:
    """Flavors by name and by number. `add` returns the (numbered) flavor."""

    def __init__(self, flavors=M1_FLAVORS):
        self.flavors: list[Flavor] = []
        self._by_name: dict[str, Flavor] = {}
        for f in flavors:
            self.add(f)

    def add(self, flavor: Flavor) -> Flavor:
        if flavor.name in self._by_name:
            raise DuplicateFlavor(f"flavor '{flavor.name}' is already defined")
        numbered = Flavor(flavor.name, flavor.vcpus, flavor.memory_mb, flavor.root_gb, flavor.ephemeral_gb,
                          flavor.swap_mb, tuple(flavor.extra_specs), len(self.flavors))
        self.flavors.append(numbered)
        self._by_name[numbered.name] = numbered
        return numbered

    def get(self, name: str) -> Flavor | None:
        return self._by_name.get(name)

    def __getitem__(self, name: str) -> Flavor:
        return self._by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self.flavors)

    def __iter__(self):
        return iter(self.flavors)

    def names(self) -> list[str]:
        return [f.name for f in self.flavors]

    def sized(self, vcpus: int, memory_mb: int, disk_gb: int) -> Flavor:
        """The flavor with exactly these sizes (a trace row without a flavor name): an existing one
        if one matches, else a new one named `<vcpus>c-<memory_mb>m-<disk_gb>g`."""
        name = f"{vcpus}c-{memory_mb}m-{disk_gb}g"
        found = self._by_name.get(name)
        if found is not None:
            return found
        for f in self.flavors:
            if (f.vcpus, f.memory_mb, f.disk_gb, f.swap_mb, f.extra_specs) == (vcpus, memory_mb, disk_gb, 0, ()):
                return f
        return self.add(Flavor(name, vcpus=vcpus, memory_mb=memory_mb, root_gb=disk_gb))
