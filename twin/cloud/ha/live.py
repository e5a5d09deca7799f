"""A drill on live hardware: the operations run on the nodes' real power states, power faults
applied through their BMCs. The live adapters (BmcLiveness, BmcTargets, power_on_all) are in
real_backends/ops.py, next to the live backends.

Rules:
- The lab's nodes take their Helion names (undercloud, controller0, ...; twin/faults/validate.py
  `helion_named`), as in a simulated operations run, so that a scenario written for the
  simulated cloud runs on the lab unchanged; the summary keeps the map (`live_nodes`).
- Only power faults run live (twin/faults/validate.py LIVE_KINDS); other kinds are refused
  before the run (`live_problems`).
- Before the clock starts, every node is powered on (an already-deployed cloud is running) in a
  world of its own; the drill's t = 0 is when they all are.
"""
from __future__ import annotations

from twin.errors import TwinError
from twin.faults.validate import LIVE_KINDS, helion_named


def live_problems(sc) -> list[str]:
    """Why this scenario cannot run as a live drill (empty when it can)."""
    problems = []
    if sc.run != "operations":
        problems.append("not an operations scenario")
    for i, fault in enumerate(sc.faults):
        if fault.kind not in LIVE_KINDS:
            problems.append(f"faults[{i}]: {fault.kind} cannot be applied to live nodes "
                            f"(only {', '.join(sorted(LIVE_KINDS))} through the BMC)")
        if fault.node == "seed":
            problems.append(f"faults[{i}]: the seed VM is not part of a live inventory")
    return problems


def operate_live(sc, inventory, seed: int, backend: str = "lab", lab_dir=None, boot_bind=("127.0.0.1", 0),
                 progress: bool = False, poll_s: float | None = None):
    """An operations run (a drill) on live hardware; a RunResult like a simulated one. `poll_s`:
    how often the liveness probes every BMC (default real_backends/ops.py POLL_S)."""
    from real_backends.hardware import LiveHardware
    from real_backends.ops import POLL_S, BmcLiveness, BmcTargets, power_on_all
    from twin.cloud.ha.operations import operate
    from twin.kernel.live import make_live_world
    from twin.record.recorder import Recorder

    problems = live_problems(sc)
    if problems:
        raise TwinError("this scenario cannot run live: " + "; ".join(problems))
    sc, nodes, names = helion_named(sc, inventory.active)

    def hardware(w):
        if backend == "lab":
            return LiveHardware.for_lab(w, lab_dir, nodes, timing=sc.timing)
        return LiveHardware(w, nodes, boot_host=boot_bind[0], boot_port=boot_bind[1], timing=sc.timing)

    bring_up = make_live_world(seed, Recorder(), hardware)
    with bring_up.env:
        up = bring_up.run(until=bring_up.process(power_on_all(bring_up, nodes, sc.timing)))
    down = [n for n, ok in up.items() if not ok]
    if down:
        raise TwinError(f"could not power on {', '.join(down)} through their BMCs before the drill")

    world = make_live_world(seed, Recorder(), hardware)
    with world.env:
        liveness = BmcLiveness(world, nodes, sc.timing, POLL_S if poll_s is None else poll_s, initial=up)
        targets = BmcTargets(world, liveness, nodes, sc.timing)
        liveness.start()
        result = operate(world, sc, nodes, liveness, targets, seed, backend, progress)
        result.summary["live_nodes"] = names
        result.summary["liveness_polls"] = liveness.polls
        return result
