"""The Nova state of an operations run with day-2 actions: the compute nodes as Nova hosts with
VMs on them, through the Nova model (twin/cloud/nova), so that a removal moves real VMs.

Rules:
- Hosts are the inventory's compute nodes (hardware from their rows, Helion's limit of
  `max_vms_per_host` VMs a host). Nodes an add_nodes action will deploy start outside Nova
  (service down, disabled) and enter it at their `schedulable` step (`admit`).
- At t = 0, `vms_per_host` x (hosts in service) VMs of `flavor` are booted through the filter
  scheduler (RAM weigher: spread), one project, no lifetime.
- A host's service follows its node's liveness (host_failed / host_recovered). Nova does not
  evacuate on its own (Helion 1.x has no automatic evacuation): the VMs of a failed host wait
  for it, unless a removal evacuates them.
- `move_off(node)`: the node's VMs, oldest first, live-migrated one at a time (`live_migration_s`
  each) while the host is up, evacuated (rebuilt elsewhere) when it is down. A VM no other host
  has room for (the capacity filters, in service and enabled) is *short*: without `force` the
  moving stops (the VMs left stay on the node, none is lost); with `force` it is evacuated
  anyway, which loses it when no host takes it. A VM still migrating onto the node (chosen
  before it was disabled) is waited for and moved on; one aborted (its destination failed) is
  tried again, up to MIGRATION_ATTEMPTS. Returns (moved, evacuated, lost, short reason).
- `retire(node)`: a removed node leaves Nova (disabled, service down, no longer follows liveness).
"""
from __future__ import annotations

from twin.cloud.nova.cloud import ACTIVE, DOWN, NovaCloud, NovaSettings
from twin.cloud.nova.filters import DEFAULT_FILTERS, resolve
from twin.cloud.nova.flavors import Catalogue
from twin.cloud.nova.hosts import HostState, host_specs
from twin.cloud.nova.request import RequestSpec
from twin.cloud.nova.weighers import ram_weigher
from twin.scenario.distributions import Fixed

TENANT = "operations"
MIGRATION_ATTEMPTS = 3  # a live migration aborted by its destination's failure is tried again (*inferred*)


class Compute:
    def __init__(self, world, params, nodes, liveness):
        self.world, self.p, self.lv = world, params, liveness
        catalogue = Catalogue()
        self.flavor = catalogue[params.flavor]
        hosts = [HostState(s.name, i, s.memory_mib, s.cpus, s.disk_gib, max_instances=params.max_vms_per_host,
                           arch=s.arch) for i, s in enumerate(host_specs(list(nodes)))]
        settings = NovaSettings(evacuate_on_host_failure=False, live_migration_s=Fixed(value=params.live_migration_s))
        self.cloud = NovaCloud(world, hosts, catalogue, resolve(DEFAULT_FILTERS), [ram_weigher()],
                               tenants=[TENANT], settings=settings)
        self.in_service: set[str] = set()

    def has(self, node: str) -> bool:
        return node in self.cloud.by_name

    def start(self, spares) -> None:
        cloud = self.cloud
        for host in cloud.hosts:
            if host.name in spares:
                cloud.disable(host.name, "spare: not yet deployed")
                cloud.host_failed(host.name, "spare: not yet deployed")
            else:
                self.in_service.add(host.name)
        self._follow("start")
        spec = RequestSpec(self.flavor, TENANT)
        for _ in range(self.p.vms_per_host * len(self.in_service)):
            cloud.boot(0, spec)
        self.lv.watch(self._follow)

    def admit(self, node: str, cause: str) -> None:
        """A deployed node becomes a Nova host (its nova-compute registered and enabled)."""
        self.in_service.add(node)
        self.cloud.enable(node)
        self._follow(cause)

    def retire(self, node: str, cause: str) -> None:
        self.in_service.discard(node)
        host = self.cloud.host(node)
        if host.enabled:
            self.cloud.disable(node, cause)
        self.cloud.host_failed(node, cause)

    def disable(self, node: str, cause: str) -> None:
        self.cloud.disable(node, cause)

    def enable(self, node: str) -> None:
        self.cloud.enable(node)

    def move_off(self, node: str, force: bool):
        """A process (see the module's rules); value: (moved, evacuated, lost, short reason)."""
        cloud, host = self.cloud, self.cloud.host(node)
        moved = evacuated = lost = 0
        short = ""
        tried: set[int] = set()
        attempts: dict[int, int] = {}
        while True:
            todo = [vm for vm in sorted(host.vms.values(), key=lambda v: v.id) if vm.id not in tried]
            if not todo:
                if not any(vm.dest is host for vm in cloud._migrating.values()):
                    break
                # a migration chosen before the host was disabled is still landing here
                yield self.world.timeout(max(self.p.live_migration_s, 1.0))
                continue
            for vm in todo:
                tried.add(vm.id)
                if vm.host is not host or not vm.alive:
                    continue
                if not self._room(host, vm.flavor):
                    short = short or (f"capacity short: no other host has room for a {vm.flavor.name} "
                                      f"({len(host.vms)} VM(s) left on {node})")
                    if not force:
                        return moved, evacuated, lost, short
                if vm.state == ACTIVE and host.service_up:
                    if (yield self.world.process(cloud.live_migrate(vm))):
                        moved += 1
                        continue
                    attempts[vm.id] = attempts.get(vm.id, 0) + 1
                    if vm.host is host and vm.state == ACTIVE and host.service_up:
                        if attempts[vm.id] < MIGRATION_ATTEMPTS:  # aborted (its destination failed): again
                            tried.discard(vm.id)
                            continue
                        short = short or f"no host took VM {vm.id}: {cloud.scheduler.last_reason}"
                        if not force:
                            return moved, evacuated, lost, short
                if vm.host is host and vm.alive and (vm.state == DOWN or not host.service_up or short):
                    if cloud.evacuate(vm):
                        evacuated += 1
                    else:
                        lost += 1
        return moved, evacuated, lost, short

    def vms_on(self, node: str) -> int:
        return len(self.cloud.host(node).vms)

    # --- internals -------------------------------------------------------------------------
    def _room(self, host, flavor) -> bool:
        return any(h is not host and h.service_up and h.enabled and h.fits(flavor) for h in self.cloud.hosts)

    def _follow(self, cause: str) -> None:
        cloud = self.cloud
        for host in cloud.hosts:  # in inventory order (determinism)
            name = host.name
            if name not in self.in_service:
                continue
            up = self.lv.up(name)
            if up and not host.service_up:
                cloud.host_recovered(name, cause)
            elif not up and host.service_up:
                cloud.host_failed(name, cause)
