"""Nova's host filters (Juno), as data: named callables the scheduler runs in the configured order.

Rules:
- A filter is `HostFilter(name, host_passes, applies)`. `host_passes(host, spec)` is Juno's rule
  for one host (formulas below, from nova/scheduler/filters/*.py). `applies(spec)` is False when
  the filter passes every host for this request without looking (Juno returns True at once in
  those cases: no retry yet, no availability zone asked, no extra specs, no image properties, no
  server group); the scheduler skips it then. It never changes which hosts pass.
- Juno's default list (docs/domain.md s7) plus Core, Disk and NumInstances is the twin's default
  (`DEFAULT_FILTERS`); a scenario may give any list of names from `FILTERS`, in any order (the
  order decides only which filter is named when none passes, as Nova logs it).
- `host_only` marks a filter whose answer depends on the host alone (ComputeFilter,
  NumInstancesFilter): a host it refuses is refused for every request, which lets the scheduler
  keep such hosts out of its candidate order until they change (scheduler.py).
- Every filter has data in the model, but some have it only when the workload asks:
    RetryFilter          a host already tried for this request (build failures) is refused
    AvailabilityZoneFilter  host AZ (default "nova", Juno's default_availability_zone) == asked AZ
    RamFilter            memory_mb x ram_allocation_ratio - (memory_mb - free_ram_mb) >= flavor MB
                         (free_ram_mb already has reserved_host_memory_mb taken off: hosts.py)
    ComputeFilter        nova-compute service up and not disabled
    ComputeCapabilitiesFilter  each flavor extra spec (unscoped or "capabilities:") matches the
                         host's capability: plain value = string equality; "<op> value" with op in
                         = (numeric >=), ==, !=, >=, <=, s==, s!=, <or>
    ImagePropertiesFilter  image architecture / hypervisor_type / vm_mode among what the host runs
    ServerGroupAntiAffinityFilter  not a host of the group's members (anti-affinity groups)
    ServerGroupAffinityFilter      a host of the group's members, once it has any (affinity groups)
    CoreFilter           vcpus x cpu_allocation_ratio - vcpus_used >= flavor vCPUs (no vcpus: pass)
    DiskFilter           local_gb x 1024 x disk_allocation_ratio - used disk MB >= requested disk MB
    NumInstancesFilter   num_instances < max_instances_per_host
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HostFilter:
    name: str
    host_passes: Callable  # (HostState, RequestSpec) -> bool
    applies: Callable = lambda spec: True  # (RequestSpec) -> bool; False: passes every host
    host_only: bool = False  # the answer depends on the host alone, never on the request


def ram_filter(host, spec) -> bool:
    # memory_mb_limit (memory_mb x ram_allocation_ratio) - used_ram_mb (memory_mb - free_ram_mb)
    return host.ram_limit_mb - (host.memory_mb - host.free_ram_mb) >= spec.flavor.memory_mb


def core_filter(host, spec) -> bool:
    # vcpus_total x cpu_allocation_ratio - vcpus_used; no vcpus reported: Juno passes the host
    return not host.vcpus_total or host.vcpus_limit - host.vcpus_used >= spec.flavor.vcpus


def disk_filter(host, spec) -> bool:
    # total_usable_disk_mb x disk_allocation_ratio - used (total_usable_disk_mb - free_disk_mb)
    return host.disk_limit_mb - (host.disk_total_mb - host.free_disk_mb) >= spec.flavor.requested_disk_mb


def num_instances_filter(host, spec) -> bool:
    return host.num_instances < host.max_instances


def compute_filter(host, spec) -> bool:
    return host.service_up and host.enabled


def retry_filter(host, spec) -> bool:
    return host.name not in spec.retry_hosts


def availability_zone_filter(host, spec) -> bool:
    return host.availability_zone == spec.availability_zone


def anti_affinity_filter(host, spec) -> bool:
    return host.name not in spec.group.hosts


def affinity_filter(host, spec) -> bool:
    hosts = spec.group.hosts
    return not hosts or host.name in hosts


# --- ComputeCapabilitiesFilter ------------------------------------------------------------------
def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(op):
    def check(value: str, wanted: str) -> bool:
        a, b = _number(value), _number(wanted)
        return a is not None and b is not None and op(a, b)
    return check


_OPS = {
    "=": _numeric(lambda a, b: a >= b),  # Juno extra_specs_ops: "=" means "at least"
    "==": _numeric(lambda a, b: a == b),
    "!=": _numeric(lambda a, b: a != b),
    ">=": _numeric(lambda a, b: a >= b),
    "<=": _numeric(lambda a, b: a <= b),
    "s==": lambda a, b: a == b,
    "s!=": lambda a, b: a != b,
}


def match_extra_spec(value: str, requirement: str) -> bool:
    """Juno's extra_specs_ops.match for the operators listed in the module docstring."""
    words = requirement.split()
    if not words:
        return value == requirement
    op = words[0]
    if op == "<or>":
        return value in words[1::2]
    method = _OPS.get(op)
    if method is None or len(words) < 2:
        return value == requirement
    return method(value, words[1])


_HOST_ATTRIBUTES = ("hypervisor_type", "arch", "memory_mb", "vcpus_total", "local_gb", "availability_zone")


def host_capability(host, key: str):
    if key in host.capabilities:
        return host.capabilities[key]
    if key in _HOST_ATTRIBUTES:
        return getattr(host, key)
    return None


def capabilities_filter(host, spec) -> bool:
    for key, requirement in spec.flavor.extra_specs:
        scope = key.split(":")
        if len(scope) > 1:
            if scope[0] != "capabilities":
                continue  # another filter's scope (Juno skips it)
            scope = scope[1:]
        cap = host_capability(host, ":".join(scope))
        if cap is None or not match_extra_spec(str(cap), str(requirement)):
            return False
    return True


# --- ImagePropertiesFilter ----------------------------------------------------------------------
HYPERVISOR_RUNS = {"qemu": ("qemu", "kvm"), "kvm": ("qemu", "kvm"), "vmware vcenter server": ("vmware",)}


def image_properties_filter(host, spec) -> bool:
    props = spec.image_properties
    arch = props.get("architecture")
    hv = props.get("hypervisor_type")
    mode = props.get("vm_mode")
    if arch is not None and str(arch).lower() != host.arch.lower():
        return False
    runs = HYPERVISOR_RUNS.get(host.hypervisor_type.lower(), (host.hypervisor_type.lower(),))
    if hv is not None and str(hv).lower() not in runs:
        return False
    return mode is None or str(mode).lower() == "hvm"


def _group_policy(policy):
    return lambda spec: spec.group is not None and spec.group.policy == policy


FILTERS: dict[str, HostFilter] = {f.name: f for f in (
    HostFilter("RetryFilter", retry_filter, lambda spec: bool(spec.retry_hosts)),
    HostFilter("AvailabilityZoneFilter", availability_zone_filter, lambda spec: spec.availability_zone is not None),
    HostFilter("RamFilter", ram_filter),
    HostFilter("ComputeFilter", compute_filter, host_only=True),
    HostFilter("ComputeCapabilitiesFilter", capabilities_filter, lambda spec: bool(spec.flavor.extra_specs)),
    HostFilter("ImagePropertiesFilter", image_properties_filter, lambda spec: bool(spec.image_properties)),
    HostFilter("ServerGroupAntiAffinityFilter", anti_affinity_filter, _group_policy("anti-affinity")),
    HostFilter("ServerGroupAffinityFilter", affinity_filter, _group_policy("affinity")),
    HostFilter("CoreFilter", core_filter),
    HostFilter("DiskFilter", disk_filter),
    HostFilter("NumInstancesFilter", num_instances_filter, host_only=True),
)}

#: Juno's scheduler_default_filters (docs/domain.md s7) ...
JUNO_DEFAULT_FILTERS = ("RetryFilter", "AvailabilityZoneFilter", "RamFilter", "ComputeFilter",
                        "ComputeCapabilitiesFilter", "ImagePropertiesFilter", "ServerGroupAntiAffinityFilter",
                        "ServerGroupAffinityFilter")
#: ... plus the optional Core, Disk and NumInstances filters Helion's limits need (docs/domain.md s7).
DEFAULT_FILTERS = JUNO_DEFAULT_FILTERS + ("CoreFilter", "DiskFilter", "NumInstancesFilter")


def resolve(names) -> list[HostFilter]:
    """Names (or HostFilter objects) -> filters; KeyError names the unknown one."""
    out = []
    for n in names:
        if isinstance(n, HostFilter):
            out.append(n)
        elif n in FILTERS:
            out.append(FILTERS[n])
        else:
            raise KeyError(n)
    return out
