"""`run: operations`: an already-deployed cloud operating for `operations.duration_s` under the
scenario's faults, with its HA control plane and (optionally) sampled API clients; simulated, or
as a drill on live hardware (power faults through the BMCs).

Rules:
- `operate(world, ...)` is the one operations loop for both worlds: it takes the world's
  liveness (what the HA model reads) and fault targets (what faults act on); the simulated world
  gives both from twin/sim/ops.py, the live lab from real_backends/ops.py (BmcLiveness, BmcTargets).
- Live, the lab's nodes take their Helion names (as in a simulated run), so a scenario written
  for the simulated cloud runs on the lab unchanged; the summary keeps the map (`live_nodes`).
  Before the clock starts, every node is powered on in a world of its own; the drill's t = 0 is
  when they all are. Fault kinds the BMCs cannot apply are refused before the run, located.
- Day-2 actions run in both worlds through the same Day2 (twin/cloud/day2); live only
  add_nodes, remove_nodes and replace_controller (`LIVE_ACTIONS`; the rest refused, located).
  add_nodes' rows start powered off, and a replace's `spare:` row is no node of the cloud until
  it replaces its controller (live: the spare guest is deployed under the controller's name;
  simulated: the controller's own row gets the new hardware).
- At t = 0 every node is deployed and running and the control plane is in its steady state (the
  highest-priority controller holds the VIP, Galera is primary with every member synced).
- Nodes go by their Helion names (undercloud, controller0, ...) whatever the inventory calls
  them; faults may name either (twin/faults/validate.py `helion_named`).
- The run ends at duration_s exactly; the summary and metrics come from the event log
  (summary.py), never from the model's own counters.
"""
from __future__ import annotations

import math
from functools import cache

from twin.errors import TwinError
from twin.faults.injector import FaultInjector
from twin.faults.validate import LIVE_KINDS, helion_named
from twin.inventory.model import Role
from twin.kernel.sim import make_sim_world
from twin.record.events import NodePlanned, RunMark
from twin.record.recorder import Recorder
from twin.record.result import RunResult
from twin.runs.kind import RunKind
from twin.sim.hardware import SimHardware
from twin.sim.ops import SimTargets

SWIFT_ROLES = (Role.SWIFT, Role.SO_SWIFT_STORAGE)


def _helion_named(sc, nodes):
    """helion_named (twin/faults/validate.py), with the storage clusters' node lists renamed too."""
    sc, nodes, names = helion_named(sc, nodes)
    vsa = sc.storage.vsa
    if vsa is not None and vsa.clusters:
        helion = {inventory: h for h, inventory in names.items()}
        clusters = [c.model_copy(update={"nodes": [helion.get(n, n) for n in c.nodes]}) if c.nodes else c
                    for c in vsa.clusters]
        storage = sc.storage.model_copy(update={"vsa": vsa.model_copy(update={"clusters": clusters})})
        sc = sc.model_copy(update={"storage": storage})
    return sc, nodes, names


def _cloud(sc, inventory_nodes):
    """(scenario, the cloud's nodes, {Helion name: inventory name}, {controller: spare Node}):
    the Helion-named nodes without the spare rows of replace_controller actions (`spare:`, by
    inventory or Helion name), which stay out of the cloud until they replace their controller."""
    sc, nodes, names = _helion_named(sc, inventory_nodes)
    wanted = {}
    if sc.actions is not None:
        helion = {inventory: h for h, inventory in names.items()}
        wanted = {a.nodes[0]: helion.get(a.spare, a.spare) for _, a in sc.actions.labelled() if a.spare}
    by_name = {n.name: n for n in nodes}
    spares = {dead: by_name[s] for dead, s in wanted.items() if s in by_name}
    return sc, [n for n in nodes if n.name not in set(wanted.values())], names, spares


def _spares_at_start(sc) -> set[str]:
    """Rows that are not running at t = 0: add_nodes' new rows (the spares come off the list)."""
    if sc.actions is None:
        return set()
    return {n for _, a in sc.actions.labelled() if a.do == "add_nodes" for n in a.nodes}


def simulate(sc, inventory, seed: int, progress: bool = False) -> RunResult:
    """Run the scenario's operations in the simulated world; a RunResult. A replace_controller's
    spare row stays out of the cloud: the dead controller's own machine gets the new hardware (the
    model's equivalent)."""
    sc, nodes, names, _ = _cloud(sc, inventory.active)
    world = make_sim_world(seed, Recorder(), lambda w: SimHardware(w, nodes, sc.timing, sc.network, sc.faults))
    targets = SimTargets(world, world.hardware)
    for machine in world.hardware.machines.values():
        machine.stay_off_after_power_loss = sc.operations.stay_off_after_power_loss
    targets.start_deployed()
    return _with_inventory(operate(world, sc, nodes, targets, targets, seed, "sim", progress), inventory, names)


def _with_inventory(result: RunResult, inventory, names: dict[str, str]) -> RunResult:
    """The run's changed inventory among its files, when it removed rows: the input's format with
    those rows deleted (baremetal.csv keeps them as `Role:deleted`; instackenv.json, as TripleO's,
    drops them), mode 0600 as it holds the BMC passwords. `names`: Helion name -> inventory name."""
    removed = {names.get(n, n) for n in result.summary.get("inventory_deleted") or []}
    if not removed or not hasattr(inventory, "nodes"):  # a drill's bare node list has no file to change
        return result
    from dataclasses import replace

    from twin.inventory.csv_format import write_csv
    from twin.inventory.instackenv import write_instackenv

    changed = replace(inventory, nodes=[replace(n, deleted=True) if n.name in removed else n for n in inventory.nodes])
    name, write = ("instackenv.json", write_instackenv) if inventory.dialect == "instackenv" \
        else ("baremetal.csv", write_csv)
    result.files[name] = lambda path: write(changed, path)
    result.summary["inventory_written"] = name
    return result


class Operations:
    """The pieces of one operations run (kept for tests and the live drill to look into)."""

    def __init__(self, world, sc, nodes, liveness, targets):
        from twin.cloud.ha.clients import ApiClients  # the HA models: imported by the runs that use them
        from twin.cloud.ha.plane import ControlPlane

        self.world, self.sc, self.nodes = world, sc, list(nodes)
        self._modelled_link = None  # `_network`'s, on a world without a network of its own
        ops = sc.operations
        controllers = [n.name for n in self.nodes if n.role is Role.CONTROL]
        swift = [n.name for n in self.nodes if n.role in SWIFT_ROLES]
        self.swift = self._swift(world, sc, liveness, swift, controllers)
        self.plane = ControlPlane(world, sc.ha, liveness, controllers, swift, ops.probe_sources,
                                  swift_refusal=self.swift.refusal if self.swift is not None else None) \
            if controllers else None
        self.injector = FaultInjector(world, sc.faults, self.nodes, sc.failure_domains, targets, sc.timing, ops,
                                      sc.ironic_release)
        self.clients = ApiClients(world, self.plane, ops.clients, sc.ha) \
            if ops.clients is not None and self.plane is not None else None
        self.vsa = self._vsa(world, sc, liveness)
        self.monitor, self.day2 = self._day2(world, sc, liveness, targets)

    def _day2(self, world, sc, liveness, targets):
        """The operator's day-2 actions and monitoring (twin/cloud/day2), when the scenario has
        an `actions:` section."""
        if sc.actions is None:
            return None, None
        from twin.cloud.day2.monitoring import Monitor
        from twin.cloud.day2.runner import Day2

        p = sc.actions
        monitor = Monitor(world, p.monitoring, liveness, [n.name for n in self.nodes]) \
            if p.monitoring.enabled else None
        if monitor is not None:  # repairs start from the notice (docs/operations.md)
            self.injector.repair_gate = monitor.repair_gate
        return monitor, Day2(world, sc, self.nodes, liveness, targets, self.plane, monitor, vsa=self.vsa,
                             swift=self.swift)

    def _network(self, world, sc):
        """The management network storage traffic (VSA resyncs, Swift replication) shares: the
        simulated world's own; on a live lab, whose guests hold no VSA or Swift data, one modelled
        network of the scenario's `network:` figures on the live clock, shared by both."""
        link = getattr(world.hardware, "link", None) or self._modelled_link
        if link is None:
            from twin.sim.network import SharedLink

            link = self._modelled_link = SharedLink(world.env, sc.network.management_gbps * 1e9)
        return link

    def _vsa(self, world, sc, liveness):
        """The StoreVirtual clusters of the VSA nodes (twin/cloud/vsa); their resyncs run on the
        management network (`_network`)."""
        from twin.cloud.vsa.config import plan_clusters
        from twin.cloud.vsa.model import VsaModel

        if not plan_clusters(sc.storage.vsa, self.nodes):
            return None
        machines = getattr(world.hardware, "machines", None)  # simulated machines: each NIC caps its resync
        return VsaModel(world, sc.storage.vsa, self.nodes, liveness, self._network(world, sc),
                        nic_bps=(lambda n: machines[n].nic_bps() if n in machines else math.inf) if machines else None)

    def _swift(self, world, sc, liveness, swift_nodes, controllers):
        """Swift's object rings (built from `swift:` once per run without the rows add_nodes will
        deploy, or the operator's builders) and their proxy and replicator model
        (twin/cloud/swift/model.py); replication runs on the management network (`_network`)."""
        if not swift_nodes:
            return None
        from twin.cloud.swift.build import shared_rings
        from twin.cloud.swift.model import OBJECT_RINGS, SwiftModel

        spares = set(sc.actions.spares()) if sc.actions is not None else set()  # enter the rings when added
        holders = [n for n in self.nodes if n.name not in spares]
        builders = shared_rings(sc.swift, holders, sc.failure_domains, names=OBJECT_RINGS)
        if not builders:
            return None
        machines = getattr(world.hardware, "machines", None)  # simulated machines: each NIC caps its pushes
        return SwiftModel(world, sc.swift, builders, swift_nodes, liveness, self._network(world, sc),
                          proxies=controllers,
                          nic_bps=(lambda n: machines[n].nic_bps() if n in machines else None) if machines else None)

    def start(self) -> None:
        world = self.world
        world.record(RunMark("start", "operations"))
        for node in self.nodes:
            world.record(NodePlanned(node.name, node.role.value))
        if self.plane is not None:
            self.plane.start()
        self.injector.start()
        if self.clients is not None:
            self.clients.start()
        if self.day2 is not None:
            self.day2.start()  # first: spares are off before monitoring looks
        if self.monitor is not None:
            self.monitor.start()
        if self.swift is not None:
            self.swift.start()
        if self.vsa is not None:
            self.vsa.start()
            workload = self.vsa.p.workload
            if workload is not None:
                from twin.cloud.vsa.cinder import CinderVsa
                from twin.cloud.vsa.workload import start_workload

                start_workload(self.world, self.vsa, CinderVsa(self.vsa), workload, self._cinder_refusal)

    def _cinder_refusal(self) -> str:
        """Why a Cinder create fails now on the control plane ("" when it works): the path of one
        cinder request through the VIP (the API, the database, RPC and the cinder-volume singleton)."""
        from twin.cloud.ha.plane import REASONS

        if self.plane is None:
            return ""
        _, reason = self.plane.route("cinder", 0)
        return f"cinder API: {REASONS[reason][0] if reason in REASONS else reason}" if reason else ""


def operate(world, sc, nodes, liveness, targets, seed: int, backend: str, progress: bool = False,
            until: float | None = None):
    """Run operations in `world` to `until` (default operations.duration_s); a RunResult."""
    duration = float(until if until is not None else sc.operations.duration_s)
    run = Operations(world, sc, nodes, liveness, targets)
    run.start()
    if progress:
        _run_with_bar(world, duration)
    else:
        world.run(until=duration)
    world.record(RunMark("end", "success"))
    from twin.cloud.ha.summary import summarize_operations  # with pandas: only the kinds that use it import it

    events = world.recorder.frame()
    summary = summarize_operations(events, scenario=sc.name, backend=backend, seed=seed, duration_s=duration,
                                   nodes={n.name: n.role.value for n in nodes})
    if run.vsa is not None:
        from twin.cloud.vsa.metrics import vsa_metrics

        summary["storage"] = {"vsa": vsa_metrics(events, duration)}
    if run.swift is not None:
        from twin.cloud.swift.metrics import swift_metrics

        summary.setdefault("storage", {})["swift"] = swift_metrics(events, duration)
    if run.day2 is not None:
        from twin.cloud.day2.metrics import day2_metrics, deleted_rows

        summary["day2"] = day2_metrics(events, duration, list(sc.ha.services))
        summary["inventory_deleted"] = deleted_rows(events)
    result = RunResult(summary, events, metrics(summary))
    result.operations = run
    return result


def _run_with_bar(world, duration: float, steps: int = 200) -> None:
    from tqdm import tqdm

    with tqdm(total=steps, unit="step", desc="operating", disable=None, leave=False,
              bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}] {postfix}") as bar:
        for k in range(1, steps + 1):
            world.run(until=duration * k / steps)
            bar.update(1)
            bar.set_postfix_str(f"t={world.now / 86400:.1f} d")


def live_problems(loaded, sc) -> list:
    """Why this scenario cannot run as a live drill, located (empty when it can)."""
    problems = []
    for i, fault in enumerate(sc.faults):
        if fault.kind not in LIVE_KINDS:
            problems.append(loaded.problem(("faults", i, "kind"), f"{fault.kind} cannot be applied to live nodes "
                                           f"(only {', '.join(sorted(LIVE_KINDS))} through the BMC)"))
        if fault.node == "seed":
            problems.append(loaded.problem(("faults", i, "node"), "the seed VM is not part of a live inventory"))
    if sc.actions is not None:
        for i, action in enumerate(sc.actions.schedule):
            if action.do not in LIVE_ACTIONS:
                problems.append(loaded.problem(("actions", "schedule", i, "do"),
                                               f"{action.do} runs in simulation only (live: "
                                               f"{', '.join(LIVE_ACTIONS)}; docs/operations.md)"))
            if action.when is not None and action.when.node_down == "seed":
                problems.append(loaded.problem(("actions", "schedule", i, "when", "node_down"),
                                               "the seed VM is not part of a live inventory"))
    return problems


#: Day-2 procedures a live drill runs (through BmcTargets: power, out of service, new hardware);
#: backup, restore and rolling_update need service stops and reboots the live world cannot make.
LIVE_ACTIONS = ("add_nodes", "remove_nodes", "replace_controller")


def live(sc, inventory, seed: int, backend: str = "lab", lab_dir=None, boot_bind=("127.0.0.1", 0),
         progress: bool = False, poll_s: float | None = None) -> RunResult:
    """An operations run (a drill) on live hardware; a RunResult like a simulated one. The live
    adapters (BmcLiveness, BmcTargets, power_on_all) are in real_backends/ops.py; `poll_s`: how
    often the liveness probes every BMC (default there)."""
    from real_backends.hardware import LiveHardware
    from real_backends.ops import POLL_S, BmcLiveness, BmcTargets, power_on_all
    from twin.kernel.live import make_live_world

    sc, nodes, names, spares = _cloud(sc, inventory.active)
    later = _spares_at_start(sc)
    running = [n for n in nodes if n.name not in later]
    shelved = [n for n in nodes if n.name in later] + list(spares.values())

    def hardware(w):
        if backend == "lab":
            return LiveHardware.for_lab(w, lab_dir, nodes, timing=sc.timing)
        return LiveHardware(w, nodes, boot_host=boot_bind[0], boot_port=boot_bind[1], timing=sc.timing)

    bring_up = make_live_world(seed, Recorder(), hardware)
    with bring_up.env:
        up = bring_up.run(until=bring_up.process(power_on_all(bring_up, running, sc.timing)))
        off = bring_up.run(until=bring_up.process(power_on_all(bring_up, shelved, sc.timing, "off")))
    down = [n for n, ok in up.items() if not ok] + [n for n, ok in off.items() if not ok]
    if down:
        calls = bring_up.recorder.frame()
        calls = calls[(calls.kind == "bmc") & calls.subject.isin(down)]
        why = "; ".join(f"{n}: {c.name.iloc[-1]} {c.detail.iloc[-1]}" for n in down
                        if len(c := calls[calls.subject == n]))
        raise TwinError(f"could not power {', '.join(down)} {'off' if set(down) <= set(off) else 'on'} through "
                        f"their BMCs before the drill" + (f" (last BMC calls: {why})" if why else ""))

    world = make_live_world(seed, Recorder(), hardware)
    with world.env:
        liveness = BmcLiveness(world, nodes, sc.timing, POLL_S if poll_s is None else poll_s,
                               initial={**up, **{n: False for n in later}})
        targets = BmcTargets(world, liveness, nodes, sc.timing, spares=spares)
        liveness.start()
        result = operate(world, sc, nodes, liveness, targets, seed, backend, progress)
        _live_rows(result.summary, names, targets, {dead: (sp.name, names[sp.name]) for dead, sp in spares.items()})
        result.summary["liveness_polls"] = liveness.polls
        return _with_inventory(result, inventory, names)


def _live_rows(summary: dict, names: dict, targets, spare_rows: dict) -> None:
    """The live run's rows: `live_nodes` {Helion name: lab guest / inventory row} after the run
    (a replaced controller's name on its spare), `live_replaced` {controller: {old, new}} and
    `live_retired`, the rows to take out of the lab (`twin lab shrink`): the removed nodes' and
    the replaced controllers' old machines."""
    inventory = dict(names)
    replaced = {}
    for helion, _ in spare_rows.values():
        inventory.pop(helion, None)  # a spare is no node of the cloud under its own name
    for node in targets.replaced:
        replaced[node] = {"old": inventory[node], "new": spare_rows[node][1]}
        inventory[node] = spare_rows[node][1]
    summary["live_nodes"] = inventory
    if replaced or summary.get("inventory_deleted"):
        summary["live_replaced"] = replaced
        summary["live_retired"] = [names[n] for n in summary.get("inventory_deleted", [])] + \
                                  [r["old"] for r in replaced.values()]


def metrics(summary: dict) -> dict[str, float]:
    """The HA plane's metrics (twin/cloud/ha/summary.py), the VSA clusters' (twin/cloud/vsa), Swift's
    (twin/cloud/swift/metrics.py) and the day-2 operations' (twin/cloud/day2/metrics.py)."""
    from twin.cloud.ha.summary import operations_metrics

    storage = summary.get("storage") or {}
    return {**operations_metrics(summary), **storage.get("vsa", {}), **storage.get("swift", {}),
            **(summary.get("day2") or {})}


def problems(loaded, sc, inventory):
    """The StoreVirtual limits on the scenario's clusters (twin/cloud/vsa/config.py) and the day-2
    actions' node names (twin/cloud/day2/config.py), located."""
    from twin.cloud.day2.config import actions_problems
    from twin.cloud.vsa.config import vsa_problems
    from twin.faults.validate import stable_names

    errors, warnings = [], []
    for loc, message, severity in vsa_problems(sc.storage.vsa, inventory.active):
        (errors if severity == "error" else warnings).append(loaded.problem(loc, message, severity))
    helion = stable_names(inventory.active)
    roles = {helion[n.name]: n.role.value for n in inventory.active}
    errors += [loaded.problem(loc, message) for loc, message in actions_problems(sc.actions, roles)]
    errors += [loaded.problem(loc, message) for loc, message in _spare_problems(sc.actions, helion)]
    return errors, warnings


def _spare_problems(actions, helion: dict) -> list:
    """A replace_controller's `spare:` names an inventory row (inventory or Helion name) that no
    action acts on, is not the controller it replaces, and spares one controller only."""
    if actions is None:
        return []
    to_helion = {**{h: h for h in helion.values()}, **helion}
    acted_on = {n for _, a in actions.labelled() for n in a.nodes}
    problems, seen = [], set()
    for i, action in enumerate(actions.schedule):
        if action.spare is None:
            continue
        loc, spare = ("actions", "schedule", i, "spare"), to_helion.get(action.spare)
        if spare is None:
            problems.append((loc, (f"no inventory row named '{action.spare}' (a spare is a row of the inventory, "
                                   "on the lab a guest grown for it: twin lab grow)")))
        elif spare in acted_on:
            problems.append((loc, (f"'{action.spare}' is a node the actions act on; a spare is a row kept out "
                                   "of the cloud")))
        elif spare in seen:
            problems.append((loc, f"'{action.spare}' is already the spare of another replace_controller"))
        seen.add(spare)
    return problems


def compare(a, b) -> dict | None:
    """The day-2 steps of both runs side by side (twin/runs/day2_compare.py), when they have any;
    operations runs only measure: no verdict."""
    from twin.runs.day2_compare import compare_day2, render_day2

    detail = compare_day2(a, b)
    if not detail["day2_steps"]:
        return {"detail": {}, "text": "", "same": True}
    return {"detail": detail, "text": render_day2(detail), "same": True}


def report(events, summary: dict) -> str:
    from twin.record.recorder import as_frame
    from twin.report.operations import render_operations_report

    return render_operations_report(as_frame(events), summary)


def digest(summary: dict, out) -> tuple[str, int]:
    from twin.cloud.ha.summary import operations_digest

    text = operations_digest(summary, out)
    vsa = (summary.get("storage") or {}).get("vsa")
    if vsa:
        *head, files = text.split("\n")
        clusters = sorted(k.removeprefix("availability_vsa_") for k in vsa if k.startswith("availability_vsa_"))
        head.append("  block storage (VSA): " + ", ".join(
            f"{c} {100 * vsa[f'availability_vsa_{c}']:.4f}% online, {vsa[f'degraded_s_vsa_{c}']:.0f} s degraded, "
            f"{vsa[f'volumes_lost_vsa_{c}']} volumes lost" for c in clusters)
            + f"; {vsa['quorum_losses']} quorum loss(es), {vsa['resyncs']} resync(s) moving {vsa['resync_gib']:.1f} GiB")
        text = "\n".join([*head, files])
    swift = (summary.get("storage") or {}).get("swift")
    if swift:
        *head, files = text.split("\n")
        head.append(f"  object storage (Swift): read {100 * swift['availability_swift_read']:.4f}%, "
                    f"write {100 * swift['availability_swift_write']:.4f}%; "
                    f"under-replicated partitions max {swift['partitions_under_replicated_max']:.0f}, "
                    f"full redundancy again after {swift['time_to_full_redundancy_s_mean']:.0f} s mean / "
                    f"{swift['time_to_full_redundancy_s_max']:.0f} s max; {swift['replicated_gib']:.1f} GiB "
                    f"replicated; {swift['objects_lost']:.0f} partition(s) lost")
        text = "\n".join([*head, files])
    day2 = summary.get("day2")
    if day2:
        *head, files = text.split("\n")
        head.append(f"  day-2: {day2['actions_done']:.0f} action(s) done, {day2['actions_failed']:.0f} failed; "
                    f"{day2['backups_done']:.0f} backup(s); recovery point max {day2['recovery_point_max_s']:.0f} s; "
                    f"detection delay mean {day2['detection_delay_mean_s']:.0f} s, "
                    f"{day2['failures_unnoticed']:.0f} unnoticed; monitoring blind {day2['monitoring_blind_s']:.0f} s"
                    + (f"; VMs moved off removed nodes {day2['vms_migrated']:.0f}, lost {day2['vms_lost']:.0f} "
                       f"(capacity short in {day2['removals_short']:.0f} removal(s))"
                       if day2.get("vms_migrated") or day2.get("removals_short") else "")
                    + (f"; rows deleted: {', '.join(summary['inventory_deleted'])}" if summary.get("inventory_deleted") else "")
                    + (f"; lab guests to retire (twin lab shrink): {', '.join(summary['live_retired'])}"
                       if summary.get("live_retired") else ""))
        text = "\n".join([*head, files])
    return text, 0


@cache
def _sections():
    from pydantic import Field

    from twin.cloud.day2.config import Actions
    from twin.cloud.ha.operating import Operations
    from twin.cloud.ha.params import HaParams
    from twin.cloud.swift.config import SwiftConfig
    from twin.cloud.vsa.config import Storage

    deploy_sections = _deploy_sections()
    return {"faults": deploy_sections["faults"], "failure_domains": deploy_sections["failure_domains"],
            "operations": (Operations, Field(default_factory=Operations)),
            "ha": (HaParams, Field(default_factory=HaParams)),
            "storage": (Storage, Field(default_factory=Storage)),
            "swift": (SwiftConfig, Field(default_factory=SwiftConfig, description="Swift's rings (twin/cloud/swift, "
                                         "docs/storage.md): built from the Swift nodes, or the operator's builders")),
            "actions": (Actions | None, Field(None, description="day-2 operations: the operator's actions on "
                                              "a timeline and monitoring (twin/cloud/day2, docs/operations.md)"))}


def _deploy_sections():
    from twin.runs.deploy import KIND as DEPLOY

    return DEPLOY.sections()


KIND = RunKind(
    name="operations", help="an already-deployed cloud operating for operations.duration_s under its faults, "
    "with the HA control plane (twin/cloud/ha); live: a drill through the BMCs",
    sections=_sections, simulate=simulate, live=live, live_problems=live_problems, problems=problems,
    metrics=metrics, digest=digest, report=report, compare=compare)
