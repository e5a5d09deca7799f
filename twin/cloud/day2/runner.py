"""Runs a scenario's day-2 actions (twin/cloud/day2/config.py) on the World clock: triggers,
then each procedure's steps (procedures.py) with their effects on the nodes (through the
world's fault targets and BMC ports), on the HA model (which reacts to those nodes) and on the
undercloud's Ironic (new nodes go through the same NodeTask as a deployment).

Rules:
- Operator logic written once: nodes change only through `targets` (power, services, disks),
  the BMCs (PowerDriver) and Ironic (NodeTask); the HA model sees what its liveness sees.
- Every step is recorded (ActionStep start, then end | failed | skipped); a failed step ends its
  action (the rest is skipped). An action whose trigger never comes is not recorded.
- The undercloud is unavailable during its backup and restore: its `ironic` and `icinga`
  services are stopped (no deployments, monitoring blind); steps needing Ironic wait for it.
- With the Nova state (compute.py), remove_nodes disables the node's nova-compute and moves its
  VMs off through the Nova model (live migration; evacuation when the node is down), refused
  with the reason when capacity is short unless the action says `force`; add_nodes' compute
  nodes become Nova hosts at their `schedulable` step. VSA rows join their cluster (restripe)
  and are drained before they leave (twin/cloud/vsa/membership.py); Swift rows enter and leave
  the rings in weight steps (twin/cloud/day2/swift_steps.py); a step that does not apply
  to a node's role (a VSA node's Nova steps, a compute node's storage steps) takes no time.
- `when` conditions count from the notice time when monitoring is on (Monitor.noticed_at).
- add_nodes' rows start as spares and removed nodes end so: powered off with nothing to boot (a
  repair's power-on leaves them down) until an action enrols and deploys them.
- New hardware may be another machine: a live world's targets swap a replaced controller onto
  its spare (real_backends/ops.py `BmcTargets.replaced`), which the enrol step takes in.
"""
from __future__ import annotations

from twin.cloud.day2.procedures import steps_of
from twin.errors import BmcError, TwinError
from twin.inventory.model import Role
from twin.record.events import ActionStep
from twin.workflows.node import NodeTask
from twin.workflows.power import PowerDriver

POLL_S = 10.0  # how often a waiting step looks again (a Galera sync, a node coming up)
IRONIC_SERVICES = ("ironic", "icinga")


class StepFailed(Exception):
    pass


class Day2:
    def __init__(self, world, sc, nodes, liveness, targets, plane=None, monitor=None, vsa=None, swift=None):
        self.world, self.sc, self.lv, self.targets = world, sc, liveness, targets
        self.p = sc.actions
        self.f = self.p.figures
        self.timing = sc.timing
        self.nodes = {n.name: n for n in nodes}
        self.plane, self.monitor, self.vsa, self.swift = plane, monitor, vsa, swift
        self.undercloud = next((n.name for n in nodes if n.role is Role.UNDERCLOUD), None)
        self.ended: dict[str, object] = {}
        self.last_backup: dict[str, float] = {}  # target -> snapshot time of the last good backup
        self.deleted: list[str] = []
        self._down_waiters: dict[str, list] = {}
        self._stack_deadline = float("inf")  # the running stack update's timeout (deploy, then configure)
        self._tasks: dict[str, dict] = {}  # action name -> {node: NodeTask} from its enrol step
        self.compute = self._compute(world, sc.actions.compute, nodes, liveness)

    @staticmethod
    def _compute(world, params, nodes, liveness):
        """The Nova state (twin/cloud/day2/compute.py), when enabled and the cloud has compute nodes."""
        if not params.enabled or not any(n.role is Role.COMPUTE for n in nodes):
            return None
        from twin.cloud.day2.compute import Compute

        return Compute(world, params, nodes, liveness)

    # --- triggers -------------------------------------------------------------------------
    def start(self) -> None:
        for label, action in self.p.labelled():
            self.ended[label] = self.world.event()
        spares = set()
        for label, action in self.p.labelled():
            if action.do == "add_nodes":
                for node in action.nodes:
                    self._out_of_service(node, f"spare: not yet deployed ({label})")
                    spares.add(node)
            self.world.process(self._trigger(label, action))
        if self.compute is not None:
            self.compute.start(spares)
        if self.vsa is not None:  # before the VSA model starts: spares are not members yet
            from twin.cloud.vsa.membership import withhold

            for node in sorted(spares, key=list(self.nodes).index):
                withhold(self.vsa, node)

    def _trigger(self, label, action):
        world = self.world
        if action.at_s is not None:
            t, k = action.at_s, 0
            while True:
                if t > world.now:
                    yield world.timeout(t - world.now)
                name = label if action.every_s is None else f"{label}#{k}"
                yield from self._run(name, label, action)
                if action.every_s is None:
                    return
                k += 1
                t = action.at_s + k * action.every_s
        elif action.after is not None:
            yield self.ended[action.after]
            yield from self._run(label, label, action)
        else:
            yield from self._when(label, action)

    def _when(self, label, action):
        world, cond = self.world, action.when
        node = cond.node_down
        while True:
            if self.lv.up(node):
                yield self._went_down(node)
            failed = world.now
            start = failed
            if cond.noticed and self.monitor is not None:
                noticed = self.monitor.noticed_at(node, failed)
                if noticed is None:
                    yield self.monitor.wait_noticed(node)
                    noticed = world.now
                start = noticed
            if start + cond.for_s > world.now:
                yield world.timeout(start + cond.for_s - world.now)
            if not self.lv.up(node):
                yield from self._run(label, label, action)
                return

    def _went_down(self, node: str):
        """A World event that fires when `node` goes down (from the liveness watch, no polling)."""
        event = self.world.event()
        if not self._down_waiters:
            self.lv.watch(self._liveness_changed)
        self._down_waiters.setdefault(node, []).append(event)
        return event

    def _liveness_changed(self, cause: str) -> None:
        for node, events in self._down_waiters.items():
            if events and not self.lv.up(node):
                for event in events:
                    event.succeed()
                events.clear()

    # --- one action ---------------------------------------------------------------------------
    def _run(self, name, label, action):
        world = self.world
        nodes = action.nodes or self._default_nodes(action.do)
        world.record(ActionStep(name, f"action:{action.do}", "start", ", ".join(nodes) or (action.target or "")))
        failed = ""
        for node, step in steps_of(action.do, nodes):
            what = f"{step.name} {node}".strip()
            if failed:
                world.record(ActionStep(name, what, "skipped", failed))
                continue
            t0 = world.now
            world.record(ActionStep(name, what, "start", step.source))
            try:
                value = yield from getattr(self, step.effect)(name, action, node, step)
            except StepFailed as e:
                failed = f"{what}: {e}"
                world.record(ActionStep(name, what, "failed", str(e), world.now - t0))
                continue
            world.record(ActionStep(name, what, "end", "", world.now - t0 if value is None else value))
        world.record(ActionStep(name, f"action:{action.do}", "failed" if failed else "end", failed))
        event = self.ended[label]
        if not event.triggered:
            event.succeed()

    def _default_nodes(self, do: str) -> list[str]:
        if do == "rolling_update":
            return [n for n, x in self.nodes.items() if x.role is Role.CONTROL] + \
                   [n for n, x in self.nodes.items() if x.role is Role.COMPUTE and n not in self.deleted]
        return []

    # --- effects (each a generator; may raise StepFailed; returns a value for the log or None) --
    def wait(self, name, action, node, step):
        figure = step.figure.removeprefix("figures.")
        seconds = getattr(self.f, figure) if figure else 0.0
        yield self.world.timeout(seconds)

    def stack_update(self, name, action, node, step):
        if self.f.stack_update_s > self.timing.heat_stack_timeout_s:
            yield self.world.timeout(self.timing.heat_stack_timeout_s)
            raise StepFailed(f"the stack update timed out after {self.timing.heat_stack_timeout_s:g} s")
        yield from self._ironic_ready()
        yield self.world.timeout(self.f.stack_update_s)

    def enrol(self, name, action, node, step):
        yield from self._ironic_ready()
        for n in action.nodes:
            self.targets.power_restore(n, f"new hardware in place ({name})")
            self.targets.disk_replace(n, f"new hardware in place ({name})")
        self.nodes.update(getattr(self.targets, "replaced", {}))  # live: a spare is another machine
        tasks = self._tasks[name] = {n: NodeTask(self.world, self.nodes[n], self.timing, "undercloud")
                                     for n in action.nodes}  # per action: two may overlap
        procs = [self.world.process(t.enroll()) for t in tasks.values()]
        results = yield self.world.all_of(procs)
        bad = [n for n, p in zip(tasks, procs) if not results[p]]
        if bad:
            raise StepFailed(f"enrolment failed: {', '.join(bad)}: " + "; ".join(tasks[n].cause for n in bad))

    def deploy(self, name, action, node, step):
        """Deploy the enrolled nodes through Ironic, bounded by the Heat stack timeout."""
        yield from self._ironic_ready()
        self._stack_deadline = self.world.now + self.timing.heat_stack_timeout_s
        tasks = self._tasks[name]
        procs = {n: self.world.process(t.deploy()) for n, t in tasks.items()}
        from twin.kernel.world import WaitTimeout

        try:
            yield from self.world.within(self.world.all_of(procs.values()), self.timing.heat_stack_timeout_s)
        except WaitTimeout:
            raise StepFailed(f"the stack update timed out after {self.timing.heat_stack_timeout_s:g} s") from None
        bad = [n for n, p in procs.items() if not p.value]
        if bad:
            raise StepFailed(f"deploy failed: {', '.join(bad)}: " + "; ".join(tasks[n].cause for n in bad))

    def configure(self, name, action, node, step):
        """The new nodes' configuration, the end of the same Heat stack update as their deploy:
        the stack's timeout bounds both (Heat completes the stack when the software deployments
        signal)."""
        seconds = self.timing.overcloud_compute_configure_s.sample(self.world.rng("day2", "configure"))
        left = self._stack_deadline - self.world.now
        if seconds > left:
            yield self.world.timeout(max(left, 0.0))
            raise StepFailed(f"the stack update timed out after {self.timing.heat_stack_timeout_s:g} s "
                             "(while configuring the new nodes)")
        yield self.world.timeout(seconds)

    def schedulable(self, name, action, node, step):
        """After `schedulable_after_s`, the new compute nodes are Nova hosts."""
        yield self.world.timeout(self.timing.schedulable_after_s)
        if self.compute is not None:
            for n in action.nodes:
                if self.compute.has(n):
                    self.compute.admit(n, f"new compute host ({name})")

    def join_storage(self, name, action, node, step):
        """New VSA nodes join their clusters, which restripe onto them over the network."""
        if self.vsa is None:
            return None
        from twin.cloud.vsa.membership import join

        events = [e for e in (join(self.vsa, n) for n in action.nodes) if e is not None]
        if events:
            yield self.world.all_of(events)
        return None

    def drain_storage(self, name, action, node, step):
        """A VSA node's data is moved off (its cluster restripes over the others), then it leaves."""
        if self.vsa is None:
            return None
        from twin.cloud.vsa.membership import drain, drain_refusal

        refusal = drain_refusal(self.vsa, node)
        if refusal:
            raise StepFailed(f"refused: {refusal}")
        event = drain(self.vsa, node)
        if event is not None:
            yield event
        return None

    # Swift's weight steps (twin/cloud/day2/swift_steps.py)
    def swift_weights(self, name, action, node, step):
        from twin.cloud.day2 import swift_steps

        return (yield from swift_steps.weights(self, name, action))

    def swift_drain(self, name, action, node, step):
        from twin.cloud.day2 import swift_steps

        return (yield from swift_steps.drain(self, name, action, node))

    def swift_remove(self, name, action, node, step):
        from twin.cloud.day2 import swift_steps

        return (yield from swift_steps.remove(self, name, action, node))

    def nova_disable(self, name, action, node, step):
        if self.nodes[node].role is not Role.COMPUTE:
            return None
        yield self.world.timeout(self.f.nova_disable_s)
        if self.compute is not None and self.compute.has(node):
            self.compute.disable(node, f"nova service-disable ({name})")

    def migrate_vms(self, name, action, node, step):
        """The node's VMs live-migrated (evacuated when it is down) through the Nova model; a
        removal refused with the reason when capacity is short (unless `force`)."""
        if self.nodes[node].role is not Role.COMPUTE:
            return None
        if self.compute is None or not self.compute.has(node):
            yield self.world.timeout(self.f.drain_s)
            return None
        moved, evacuated, lost, short = yield self.world.process(self.compute.move_off(node, action.force))
        self.world.record(ActionStep(name, f"vms_moved {node}", "end", f"{moved} live-migrated, {evacuated} evacuated",
                                     moved + evacuated))
        if short:
            self.world.record(ActionStep(name, f"capacity_short {node}", "end", short,
                                         float(self.compute.vms_on(node) + lost)))
        if lost:
            self.world.record(ActionStep(name, f"vms_lost {node}", "end", short, lost))
        if short and not action.force:
            self.compute.enable(node)  # the operator gives the removal up: the node stays a host
            raise StepFailed(f"refused: {short}")
        return None

    def galera_sync(self, name, action, node, step):
        """Wait until the new member is synced in the primary component (its SST is done)."""
        if self.plane is None:
            return
        member = action.nodes[0]
        deadline = self.world.now + self.f.sst_wait_limit_s
        while not self.plane.galera.synced_primary(member):
            if self.world.now >= deadline:
                raise StepFailed(f"{member} not synced in Galera after {self.f.sst_wait_limit_s:g} s")
            yield self.world.timeout(POLL_S)

    def backup(self, name, action, node, step):
        target = action.target
        seconds = self._transfer_s(target)
        host = self._host(target)
        if host is not None and not self.lv.up(host):
            raise StepFailed(f"{host} is down: nothing to back up")
        snapshot = self.world.now
        with self._undercloud_busy(target == "undercloud", f"undercloud backup ({name})"):
            yield self.world.timeout(seconds)
        self.last_backup[target] = snapshot
        return seconds

    def restore(self, name, action, node, step):
        target = action.target
        last = self.last_backup.get(target)
        point = self.world.now - (last if last is not None else 0.0)
        self.world.record(ActionStep(name, f"recovery_point {target}", "end",
                                     "since the last backup" if last is not None else "no backup: since the start",
                                     point))
        seconds = self._transfer_s(target)
        cause = f"restore {target} ({name})"
        if target == "seed":  # restoring the seed replaces the running seed VM [H-br]
            self.targets.shutdown("seed", cause)
            yield self.world.timeout(seconds)
            self.targets.restart("seed", cause)
        elif target == "undercloud":
            with self._undercloud_busy(True, cause):
                yield self.world.timeout(seconds)
        elif target == "database":
            controllers = self._controllers()
            for c in controllers:
                self.targets.service_stop(c, "mysqld", cause)
            yield self.world.timeout(seconds)
            for c in controllers:
                self.targets.service_start(c, "mysqld", cause)
        else:
            host = self._host(target)
            self.targets.shutdown(host, cause)
            yield self.world.timeout(seconds)
            self.targets.restart(host, cause)
        return seconds

    def power_off_for_good(self, name, action, node, step):
        yield self.world.timeout(self.f.ironic_delete_s)
        if self.monitor is not None:
            self.monitor.forget(node)
        if self.compute is not None and self.compute.has(node):
            self.compute.retire(node, f"removed ({name})")
        self._out_of_service(node, f"removed ({name})")

    def mark_deleted(self, name, action, node, step):
        self.deleted.append(node)
        return None
        yield

    def drain(self, name, action, node, step):
        if self.nodes[node].role is Role.COMPUTE:
            yield self.world.timeout(self.f.drain_s)

    def reboot(self, name, action, node, step):
        """The patched node's OS shuts down cleanly (its services say goodbye: the VIP and
        Galera membership move at once), then it is powered on through its BMC."""
        driver = PowerDriver(self.world, self.nodes[node], self.timing)
        self.targets.shutdown(node, f"rolling update ({name})")
        try:
            yield from driver.set_power("on")
        except (BmcError, TwinError) as e:
            raise StepFailed(str(e)) from None
        deadline = self.world.now + self.f.up_wait_limit_s
        yield self.world.timeout(POLL_S)
        while not self.lv.up(node):
            if self.world.now >= deadline:
                raise StepFailed(f"{node} not up {self.f.up_wait_limit_s:g} s after its reboot")
            yield self.world.timeout(POLL_S)

    def health_check(self, name, action, node, step):
        if self.plane is not None and node in self.plane.controllers:
            deadline = self.world.now + self.f.sst_wait_limit_s
            while not self.plane.galera.synced_primary(node):
                if self.world.now >= deadline:
                    raise StepFailed(f"{node} not synced in Galera after {self.f.sst_wait_limit_s:g} s")
                yield self.world.timeout(POLL_S)
        yield self.world.timeout(self.f.health_check_s)

    # --- helpers ------------------------------------------------------------------------------
    def _controllers(self) -> list[str]:
        return [n for n, x in self.nodes.items() if x.role is Role.CONTROL]

    def _host(self, target: str) -> str | None:
        """The node a backup target lives on (the database: any controller; the seed: its VM)."""
        if target == "undercloud":
            return self.undercloud
        if target == "controller":
            controllers = self._controllers()
            return controllers[0] if controllers else None
        if target == "seed":
            return "seed"
        return None

    def _out_of_service(self, node: str, cause: str) -> None:
        """Off, with nothing to boot: a power-on (an operator's repair of a fault) finds no image,
        so the node stays out of the cloud until an action deploys it again."""
        self.targets.shutdown(node, cause)
        self.targets.disk_fail(node, cause)

    def _transfer_s(self, target: str) -> float:
        return self.f.sizes_gib[target] * 8.0 * 1024**3 / (self.f.backup_gbps * 1e9) + self.f.backup_overhead_s

    def _ironic_ready(self):
        """Wait until the undercloud's Ironic can deploy (up, not being backed up or restored)."""
        uc = self.undercloud
        while uc is not None and not self.lv.running(uc, "ironic"):
            yield self.world.timeout(POLL_S * 6)

    def _undercloud_busy(self, busy: bool, cause: str):
        return _Busy(self, busy, cause)


class _Busy:
    """The undercloud's Ironic and Icinga stopped for the duration of a `with` block."""

    def __init__(self, day2, busy, cause):
        self.d, self.busy, self.cause = day2, busy and day2.undercloud is not None, cause

    def __enter__(self):
        if self.busy:
            for service in IRONIC_SERVICES:
                self.d.targets.service_stop(self.d.undercloud, service, self.cause)

    def __exit__(self, *exc):
        if self.busy:
            for service in IRONIC_SERVICES:
                self.d.targets.service_start(self.d.undercloud, service, self.cause)
        return False
