"""The Nova compute cloud: VMs booted through the filter scheduler onto hosts, and what happens to
them: delete, resize, suspend/resume, snapshot, live-migrate, evacuate; host failure, recovery
and maintenance.

Rules:
- Every step is one or more rows of the VM log (log.py) at the moment it happens; a row that
  claims or releases a flavor on a host is written together with the change to that host and the
  scheduler's weight order, so the log replays to the hosts' true figures.
- Boot: quota check (quotas.py), then the scheduler (a refusal is `blocked`, with the reason
  naming the filter that left no host). A build fails on its host with
  `build_failure_probability` (none by default: no published figure); Nova then reschedules with
  that host excluded (RetryFilter) until scheduler_max_attempts attempts (Juno 3), then `failed`.
  A VM holds its host's resources from its boot to its delete; the build time is not modelled.
- Resize (Juno, allow_resize_to_same_host False): to another host, through the scheduler, with
  the quota difference checked; confirmed at once. Only an ACTIVE VM is resized or live-migrated.
- Suspend keeps the VM's resources on its host (Nova counts them). A snapshot stores a Glance
  image of root_gb x snapshot_fraction GiB.
- Live migration: the destination is chosen by the scheduler (source ignored) and claimed at
  once; the source is released when the migration ends (`live_migration_s` later). Deleting a
  migrating VM releases both; a failure of either host aborts the migration (the destination's
  claim is released: `migrate-abort`).
- Host failure (`host_failed`): the host's service goes down (ComputeFilter refuses it), its VMs
  go `down`. After `evacuate_after_s` (service_down_time plus the operator's reaction), if the
  host is still down, each VM, oldest first, is evacuated through the scheduler to a host with
  room, or is `lost` (its resources and quota given back). Without evacuation the VMs wait and
  come back `up` with their host (`host_recovered`).
- Maintenance (`maintain`): disable the host, drain it by live-migrating its ACTIVE VMs one at a
  time, hold it for the maintenance time, enable it. VMs that cannot move stay (`drained` says
  how many).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from twin.cloud.nova import log as L
from twin.cloud.nova.quotas import QuotaBook
from twin.cloud.nova.scheduler import Scheduler
from twin.record.events import HostChanged

ACTIVE, SUSPENDED, MIGRATING, DOWN, LOST, DELETED = "active", "suspended", "migrating", "down", "lost", "deleted"
_INF = math.inf


class Vm:
    __slots__ = ("id", "tenant", "flavor", "host", "dest", "state", "spec")

    def __init__(self, vm_id: int, tenant: int, flavor, host, spec):
        self.id = vm_id
        self.tenant = tenant
        self.flavor = flavor
        self.host = host
        self.dest = None  # destination host while migrating
        self.state = ACTIVE
        self.spec = spec

    @property
    def alive(self) -> bool:
        return self.state not in (LOST, DELETED)

    def __repr__(self) -> str:
        where = self.host.name if self.host is not None else "-"
        return f"Vm({self.id}, {self.flavor.name} on {where}, {self.state})"


@dataclass
class NovaSettings:
    """The behaviour knobs of the cloud (the scenario's `nova:` section feeds these)."""

    scheduler_max_attempts: int = 3  # Juno scheduler_max_attempts
    build_failure_probability: float = 0.0  # *inferred*: no published figure; 0 = builds succeed
    evacuate_on_host_failure: bool = True
    evacuate_after_s: float = 300.0  # service_down_time 60 s + the operator's reaction (*inferred*)
    live_migration_s: object = None  # a Distribution; None = instantaneous
    snapshot_fraction: float = 0.5  # *inferred*: image size / root disk


@dataclass(frozen=True)
class Image:
    """A Glance image made by a snapshot."""

    vm: int
    time_s: float
    size_gib: float


class NovaCloud:
    def __init__(self, world, hosts: list, catalogue, filters: list, weighers: list, *, tenants: list[str],
                 quotas: QuotaBook | None = None, settings: NovaSettings | None = None, host_subset_size: int = 1):
        self.world = world
        self._env = world.env
        self.hosts = hosts
        self.by_name = {h.name: h for h in hosts}
        self.catalogue = catalogue
        self.tenants = list(tenants)
        self.tenant_index = {t: i for i, t in enumerate(self.tenants)}
        self.settings = settings or NovaSettings()
        self.quotas = quotas or QuotaBook(self.tenants, default=(-1, -1, -1))
        self.scheduler = Scheduler(hosts, filters, weighers, host_subset_size, world.rng("nova", "scheduler"))
        self.log = L.VmLog()
        lg = self.log
        self._columns = (lg.time.append, lg.action.append, lg.vm.append, lg.flavor.append, lg.host.append,
                         lg.reason.append)
        self.images: list[Image] = []
        self._migrating: dict[int, Vm] = {}
        self._build_rng = world.rng("nova", "build")
        self._build_failure_p = self.settings.build_failure_probability
        self._quota_checked = self.quotas.checked
        self._expire_cb = self._expire  # one bound method for every VM's end-of-life timer
        self._timeout = world.env.timeout
        self._ops_rng = world.rng("nova", "operations")

    # --- helpers ------------------------------------------------------------------------------
    def _reason(self, text: str) -> int:
        return self.log.reason_code(text)

    def _record_host(self, host, change: str, detail: str = "", cause: str = "", value: float = math.nan):
        self.world.record(HostChanged(host.name, change, detail, cause, value))

    def _claim(self, host, flavor) -> None:
        host.claim(flavor)
        self.scheduler.changed(host)

    def _release(self, host, flavor) -> None:
        host.release(flavor)
        self.scheduler.changed(host)

    def _place(self, vm: Vm, host) -> None:
        vm.host = host
        host.vms[vm.id] = vm
        if vm.spec.group is not None:
            vm.spec.group.add(host.name)

    def _unplace(self, vm: Vm) -> None:
        host = vm.host
        del host.vms[vm.id]
        if vm.spec.group is not None:
            vm.spec.group.remove(host.name)

    # --- boot and delete ----------------------------------------------------------------------
    def boot(self, tenant: int, spec, lifetime_s: float | None = None) -> Vm | None:
        """Ask for a VM of `spec.flavor` for project number `tenant`; deleted after `lifetime_s`
        (None or inf: never). Returns the VM, or None when refused (the log says why)."""
        now = self._env.now
        log = self.log
        vm_id = len(log.vm_tenant)
        log.vm_tenant.append(tenant)
        flavor = spec.flavor
        quota = self._quota_checked[tenant]
        if quota:
            over = self.quotas.refuse(tenant, 1, flavor.vcpus, flavor.memory_mb)
            if over is not None:
                log.add(now, L.QUOTA, vm_id, flavor.index, -1, self._reason(f"Quota exceeded for {over}"))
                return None
        scheduler = self.scheduler
        host = scheduler.select(spec)
        if host is None:
            log.add(now, L.BLOCKED, vm_id, flavor.index, -1, self._reason(scheduler.last_reason))
            return None
        if self._build_failure_p:
            host = self._build_with_retries(vm_id, spec, host, now)
            if host is None:
                return None
        host.claim(flavor)
        scheduler.changed(host)
        vm = Vm(vm_id, tenant, flavor, host, spec)
        host.vms[vm_id] = vm
        if spec.group is not None:
            spec.group.add(host.name)
        if quota:
            self.quotas.take(tenant, 1, flavor.vcpus, flavor.memory_mb)
        t, a, v, f, h, r = self._columns  # log.add, inlined (the hot path)
        t(now)
        a(L.BOOT)
        v(vm_id)
        f(flavor.index)
        h(host.index)
        r(-1)
        if lifetime_s is not None and lifetime_s < _INF:
            self._timeout(lifetime_s, vm).callbacks.append(self._expire_cb)
        return vm

    def _build_with_retries(self, vm_id: int, spec, host, now: float):
        attempts = 1
        p = self.settings.build_failure_probability
        while self._build_rng.random() < p:
            self.log.add(now, L.BUILD_RETRY, vm_id, spec.flavor.index, host.index,
                         self._reason("Build of instance failed on its host; rescheduled"))
            if attempts >= self.settings.scheduler_max_attempts:
                self.log.add(now, L.FAILED, vm_id, spec.flavor.index, -1, self._reason(
                    f"Exceeded maximum number of retries ({self.settings.scheduler_max_attempts})"))
                return None
            spec = spec.retried(host.name)
            attempts += 1
            host = self.scheduler.select(spec)
            if host is None:
                self.log.add(now, L.BLOCKED, vm_id, spec.flavor.index, -1, self._reason(self.scheduler.last_reason))
                return None
        return host

    def _expire(self, event) -> None:
        self.delete(event.value)

    def delete(self, vm: Vm) -> None:
        """Delete a VM: its resources, quota and group place are given back (a no-op if gone)."""
        if vm.state in (DELETED, LOST):
            return
        now = self._env.now
        host = vm.host
        flavor = vm.flavor
        host.release(flavor)
        self.scheduler.changed(host)
        del host.vms[vm.id]
        if vm.spec.group is not None:
            vm.spec.group.remove(host.name)
        t, a, v, f, h, r = self._columns  # log.add, inlined (the hot path)
        t(now)
        a(L.DELETE)
        v(vm.id)
        f(flavor.index)
        h(host.index)
        r(-1)
        if vm.dest is not None:  # deleted while migrating: the destination's claim goes too
            self._release(vm.dest, flavor)
            self.log.add(now, L.DELETE, vm.id, flavor.index, vm.dest.index)
            vm.dest = None
            self._migrating.pop(vm.id, None)
        vm.state = DELETED
        if self._quota_checked[vm.tenant]:
            self.quotas.take(vm.tenant, -1, -flavor.vcpus, -flavor.memory_mb)

    # --- lifecycle operations -----------------------------------------------------------------
    def resize(self, vm: Vm, flavor) -> bool:
        """Resize to `flavor` on another host (confirmed at once). False if refused."""
        now = self._env.now
        if vm.state != ACTIVE:
            return False
        old = vm.flavor
        if self.quotas.checked[vm.tenant]:
            over = self.quotas.refuse(vm.tenant, 0, flavor.vcpus - old.vcpus, flavor.memory_mb - old.memory_mb)
            if over is not None:
                self.log.add(now, L.RESIZE_FAILED, vm.id, flavor.index, -1, self._reason(f"Quota exceeded for {over}"))
                return False
        src = vm.host
        dest = self.scheduler.select(vm.spec.with_flavor(flavor).ignoring(src.name))
        if dest is None:
            self.log.add(now, L.RESIZE_FAILED, vm.id, flavor.index, -1, self._reason(self.scheduler.last_reason))
            return False
        self._claim(dest, flavor)
        self.log.add(now, L.RESIZE, vm.id, flavor.index, dest.index)
        self._release(src, old)
        self._unplace(vm)
        self.log.add(now, L.RESIZE_FROM, vm.id, old.index, src.index)
        vm.flavor = flavor
        vm.spec = vm.spec.with_flavor(flavor)
        self._place(vm, dest)
        if self.quotas.checked[vm.tenant]:
            self.quotas.take(vm.tenant, 0, flavor.vcpus - old.vcpus, flavor.memory_mb - old.memory_mb)
        return True

    def suspend(self, vm: Vm) -> bool:
        if vm.state != ACTIVE:
            return False
        vm.state = SUSPENDED
        self.log.add(self._env.now, L.SUSPEND, vm.id, vm.flavor.index, vm.host.index)
        return True

    def resume(self, vm: Vm) -> bool:
        if vm.state != SUSPENDED:
            return False
        vm.state = ACTIVE
        self.log.add(self._env.now, L.RESUME, vm.id, vm.flavor.index, vm.host.index)
        return True

    def snapshot(self, vm: Vm) -> Image | None:
        """Store a Glance image of the VM's root disk."""
        if not vm.alive or vm.state == DOWN:
            return None
        image = Image(vm.id, self._env.now, vm.flavor.root_gb * self.settings.snapshot_fraction)
        self.images.append(image)
        self.log.snapshot_gib[len(self.log)] = image.size_gib
        self.log.add(self._env.now, L.SNAPSHOT, vm.id, vm.flavor.index, vm.host.index)
        return image

    def live_migrate(self, vm: Vm):
        """A process: move an ACTIVE VM to a host the scheduler picks. Its value: True if moved."""
        now = self._env.now
        if vm.state != ACTIVE:
            return False
        src = vm.host
        dest = self.scheduler.select(vm.spec.ignoring(src.name))
        if dest is None:
            self.log.add(now, L.MIGRATE_FAILED, vm.id, vm.flavor.index, -1, self._reason(self.scheduler.last_reason))
            return False
        self._claim(dest, vm.flavor)
        self.log.add(now, L.MIGRATE, vm.id, vm.flavor.index, dest.index)
        vm.dest = dest
        vm.state = MIGRATING
        self._migrating[vm.id] = vm
        dist = self.settings.live_migration_s
        if dist is not None:
            yield self.world.timeout(dist.sample(self._ops_rng))
        if vm.state != MIGRATING or vm.dest is not dest:
            return False  # deleted, or aborted by a host failure, meanwhile
        self._migrating.pop(vm.id, None)
        self._release(src, vm.flavor)
        self._unplace(vm)
        self.log.add(self._env.now, L.MIGRATE_FROM, vm.id, vm.flavor.index, src.index)
        vm.dest = None
        vm.state = ACTIVE
        self._place(vm, dest)
        return True

    def _abort_migration(self, vm: Vm) -> None:
        dest = vm.dest
        self._release(dest, vm.flavor)
        self.log.add(self._env.now, L.MIGRATE_ABORT, vm.id, vm.flavor.index, dest.index,
                     self._reason("live migration aborted by a host failure"))
        vm.dest = None
        self._migrating.pop(vm.id, None)

    def evacuate(self, vm: Vm) -> bool:
        """Rebuild a VM of a failed host elsewhere (scheduler's choice), or lose it."""
        now = self._env.now
        src = vm.host
        dest = self.scheduler.select(vm.spec.ignoring(src.name))
        self._release(src, vm.flavor)
        self._unplace(vm)
        if dest is None:
            self.log.add(now, L.LOST, vm.id, vm.flavor.index, src.index, self._reason(self.scheduler.last_reason))
            vm.state = LOST
            if self.quotas.checked[vm.tenant]:
                self.quotas.take(vm.tenant, -1, -vm.flavor.vcpus, -vm.flavor.memory_mb)
            return False
        self._claim(dest, vm.flavor)
        self.log.add(now, L.EVACUATE, vm.id, vm.flavor.index, dest.index)
        self.log.add(now, L.EVACUATE_FROM, vm.id, vm.flavor.index, src.index)
        vm.state = ACTIVE
        self._place(vm, dest)
        return True

    # --- hosts --------------------------------------------------------------------------------
    def host(self, name: str):
        return self.by_name[name]

    @property
    def vms(self) -> dict[int, Vm]:
        """Live VMs (not deleted, not lost) by number, from the hosts."""
        return {vm.id: vm for h in self.hosts for vm in h.vms.values()}

    def host_failed(self, name: str, cause: str = "") -> None:
        """The host stopped (crash, power loss): entry point for the faults vocabulary."""
        host = self.by_name[name]
        if not host.service_up:
            return
        host.service_up = False
        self.scheduler.changed(host)
        self._record_host(host, "failed", cause=cause, value=float(len(host.vms)))
        now = self._env.now
        for vm in list(self._migrating.values()):
            if vm.dest is host or vm.host is host:
                self._abort_migration(vm)
                vm.state = ACTIVE  # on its source; goes down below if that is this host
        for vm in host.vms.values():
            if vm.state in (ACTIVE, SUSPENDED):
                vm.state = DOWN
                self.log.add(now, L.DOWN, vm.id, vm.flavor.index, host.index)
        if self.settings.evacuate_on_host_failure:
            self.world.process(self._evacuate_later(host))

    def _evacuate_later(self, host):
        yield self.world.timeout(self.settings.evacuate_after_s)
        if host.service_up:
            return
        moved = lost = 0
        for vm in sorted(host.vms.values(), key=lambda v: v.id):
            if vm.state == DOWN:
                if self.evacuate(vm):
                    moved += 1
                else:
                    lost += 1
        self._record_host(host, "evacuated", detail=f"{moved} evacuated, {lost} lost", value=float(lost))

    def host_recovered(self, name: str, cause: str = "") -> None:
        """The host is back (repaired, powered on): entry point for the faults vocabulary."""
        host = self.by_name[name]
        if host.service_up:
            return
        host.service_up = True
        self.scheduler.changed(host)
        self._record_host(host, "recovered", cause=cause, value=float(len(host.vms)))
        now = self._env.now
        for vm in host.vms.values():
            if vm.state == DOWN:
                vm.state = ACTIVE
                self.log.add(now, L.UP, vm.id, vm.flavor.index, host.index)

    def disable(self, name: str, reason: str = "") -> None:
        host = self.by_name[name]
        host.enabled = False
        self.scheduler.changed(host)
        self._record_host(host, "disabled", cause=reason)

    def enable(self, name: str) -> None:
        host = self.by_name[name]
        host.enabled = True
        self.scheduler.changed(host)
        self._record_host(host, "enabled")

    def drain(self, name: str):
        """A process: disable the host and live-migrate its ACTIVE VMs away, one at a time.
        Its value: how many VMs are left on the host."""
        host = self.by_name[name]
        self.disable(name, "maintenance")
        for vm in sorted(host.vms.values(), key=lambda v: v.id):
            if vm.state == ACTIVE and vm.host is host:
                yield self.world.process(self.live_migrate(vm))
        left = len(host.vms)
        self._record_host(host, "drained", detail=f"{left} VMs could not move" if left else "empty",
                          value=float(left))
        return left

    def maintain(self, name: str, for_s: float):
        """A process: drain the host, keep it in maintenance for `for_s`, enable it again."""
        host = self.by_name[name]
        yield self.world.process(self.drain(name))
        self._record_host(host, "maintenance-start")
        yield self.world.timeout(for_s)
        self._record_host(host, "maintenance-end")
        self.enable(name)
