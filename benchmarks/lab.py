#!/usr/bin/env python3
"""The live lab, measured: a 9-node lab from `twin lab up` to all nodes active with the real user
image written by the deploy ramdisk (and where the time goes), the same node deployments one at a
time versus concurrently with the image bytes per second each node wrote (the shared-bandwidth
model's input), IPMI round trips of the
twin's backend beside ipmitool for the same calls, Redfish against IPMI per power command (the
twin's clients on a lab of each protocol, beside curl / ipmitool for a status read), and how well a
calibrated simulation predicts the lab's makespan. Needs a lab host (make test as root sets one
up); cleans up after itself.

Usage: .venv/bin/python benchmarks/lab.py [--nodes 9] [--deploy real|emulated] [--bmc-only]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from real_backends.hardware import LiveHardware  # noqa: E402
from real_backends.ipmi.client import IpmiClient  # noqa: E402
from real_backends.lab import Lab  # noqa: E402
from real_backends.redfish.client import RedfishClient  # noqa: E402
from twin.analysis.calibrate import calibrate, shared_bandwidth_bps, write_measurements  # noqa: E402
from twin.analysis.runs import read_run  # noqa: E402
from twin.kernel.live import make_live_world  # noqa: E402
from twin.record.recorder import Recorder  # noqa: E402
from twin.report.steps import node_steps  # noqa: E402
from twin.runs import (  # noqa: E402
    load_scenario,  # noqa: E402
    resolve_inventory,
    run_live,
    write_outputs,
)
from twin.workflows.node import NodeTask  # noqa: E402

SCENARIOS = {"real": REPO / "scenarios" / "lab-real.yaml", "emulated": REPO / "scenarios" / "lab-minimum.yaml"}
MIB = 1024 ** 2


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def node_deploys(lab: Lab, sc, concurrent: bool):
    """Enroll and deploy every node with the shared NodeTask: all at once, or one after another.
    Returns the wall time and the run's events."""
    nodes = lab.nodes()
    world = make_live_world(1, Recorder(), lambda w: LiveHardware.for_lab(w, lab.dir, nodes))

    def one(node):
        task = NodeTask(world, node, sc.timing, "bench")
        yield from task.enroll()
        yield from task.deploy()
        return task.ok

    def everything():
        if concurrent:
            yield world.all_of([world.process(one(n)) for n in nodes])
        else:
            for n in nodes:
                yield world.process(one(n))

    with world.env:
        t0 = time.perf_counter()
        world.run(until=world.process(everything()))
        return time.perf_counter() - t0, world.recorder.frame()


def write_rates(events) -> str:
    """Image bytes per second written: per node (median) and, for writes that overlapped, in total."""
    w = write_measurements(events)
    if w.empty:
        return "no real image writes"
    per_node = (w.bytes / w.write_s).median() / MIB
    shared = shared_bandwidth_bps(w)
    together = "no writes overlapped" if shared is None else f"writes running at once: {shared / MIB:.2f} MiB/s in total at most"
    return f"{len(w)} writes of {w.bytes.median() / MIB:.1f} MiB: per node median {per_node:.2f} MiB/s; {together}"


def ipmi_round_trips(lab: Lab, calls: int = 20) -> dict:
    node = lab.nodes()[0]
    secrets = json.loads((lab.dir / "secrets.json").read_text())
    client = IpmiClient(node.name, node.bmc)
    twin_status = [timed(client.power_state)[0] for _ in range(calls)]
    twin_boot = [timed(client.get_boot_device)[0] for _ in range(calls)]
    client.close()
    base = ["ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", str(node.bmc.port), "-U", secrets["user"],
            "-P", secrets["password"], "-C", "3"]
    tool_status = [timed(lambda: subprocess.run(base + ["power", "status"], capture_output=True, check=True))[0]
                   for _ in range(calls)]
    tool_boot = [timed(lambda: subprocess.run(base + ["chassis", "bootparam", "get", "5"], capture_output=True,
                                              check=True))[0] for _ in range(calls)]
    return {"power status": (twin_status, tool_status), "boot device get": (twin_boot, tool_boot)}


def _wait_for(client, state: str, bound_s: float = 30.0) -> None:
    deadline = time.monotonic() + bound_s
    while client.power_state() != state:
        if time.monotonic() > deadline:
            raise RuntimeError(f"power did not turn {state} within {bound_s:g} s")


def protocol_commands(client, tool_status, calls: int = 20, cycles: int = 5) -> dict:
    """Per command, the twin's client's wall times on one node: power status (`calls`
    reads), boot device pxe (once), power on and power off (`cycles` each, the command alone and
    until the BMC reports the new state); `tool_status` is the same status read by an independent
    tool (the floor)."""
    result = {"power status": [timed(client.power_state)[0] for _ in range(calls)],
              "boot device pxe": [timed(lambda: client.set_boot_device("pxe", False))[0] for _ in range(calls)],
              "tool: power status": [timed(tool_status)[0] for _ in range(calls)],
              "power on": [], "power off": [], "power on, until on": [], "power off, until off": []}
    if client.power_state() != "off":
        client.power("off")
        _wait_for(client, "off")
    for _ in range(cycles):
        for action in ("on", "off"):
            start = time.perf_counter()
            client.power(action)
            result[f"power {action}"].append(time.perf_counter() - start)
            _wait_for(client, action)
            result[f"power {action}, until {action}"].append(time.perf_counter() - start)
    return result


def bmc_protocols(work: Path) -> None:
    """Redfish against IPMI per power command: a 1-node lab of each protocol."""
    labs = {"ipmi": Lab("benchipmi", work / "lab-ipmi"), "redfish": Lab("benchrf", work / "lab-redfish")}
    try:
        results = {}
        for protocol, lab in labs.items():
            lab.up(1, bmc=protocol)
            node = lab.nodes()[0]
            secrets = json.loads((lab.dir / "secrets.json").read_text())
            if protocol == "ipmi":
                client = IpmiClient(node.name, node.bmc)
                tool = ["ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", str(node.bmc.port), "-U", secrets["user"],
                        "-E", "-C", "3", "power", "status"]
                env = {"IPMI_PASSWORD": secrets["password"], "PATH": "/usr/bin:/bin"}
            else:
                client = RedfishClient(node.name, node.bmc)
                netrc = lab.dir / "bench.netrc"
                netrc.touch(mode=0o600)
                netrc.write_text(f"machine 127.0.0.1 login {secrets['user']} password {secrets['password']}\n")
                tool = ["curl", "-sS", "--fail", "--noproxy", "*", "--netrc-file", str(netrc), node.bmc.url + node.bmc.system_id]
                env = {"PATH": "/usr/bin:/bin"}
            try:
                results[protocol] = protocol_commands(
                    client, lambda tool=tool, env=env: subprocess.run(tool, capture_output=True, check=True, env=env))
            finally:
                client.close()
        print("\n== Redfish against IPMI per power command: the twin's clients, medians (127.0.0.1) ==")
        print("   (IPMI: virtualbmc, one process per guest; Redfish: sushy-tools' emulator, libvirt driver;")
        print("    'tool' = ipmitool / curl reading the power state: the floor of one status round trip)")
        print(f"{'command':<24}{'IPMI':>12}{'Redfish':>12}{'Redfish/IPMI':>14}")
        for command in results["ipmi"]:
            a, b = statistics.median(results["ipmi"][command]), statistics.median(results["redfish"][command])
            print(f"{command:<24}{a * 1e3:>9.1f} ms{b * 1e3:>9.1f} ms{b / a:>13.1f}x")
    finally:
        for lab in labs.values():
            lab.down()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=9)
    ap.add_argument("--bmc-only", action="store_true", help="only Redfish against IPMI per power command")
    ap.add_argument("--deploy", choices=sorted(SCENARIOS), default="real",
                    help="real: the deploy ramdisk writes the user image (default); emulated: no kernel boots")
    args = ap.parse_args()
    SCENARIO = SCENARIOS[args.deploy]
    for tool in ("ipmitool", "curl"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed: run 'make test' as root first (it sets up the lab host)")
            return 2
    loaded = load_scenario(SCENARIO)
    work = Path(tempfile.mkdtemp(prefix="twin-bench-lab-"))
    if args.bmc_only:
        try:
            bmc_protocols(work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    lab = Lab(f"bench{args.nodes}", work / "lab")
    try:
        up_s, _ = timed(lambda: lab.up(args.nodes, deploy=args.deploy))
        inventory, _ = resolve_inventory(loaded, str(lab.dir / "instackenv.json"))
        run_s, result = timed(lambda: run_live(loaded, inventory, 1, "lab", lab_dir=lab.dir, progress=False))
        result.summary["inputs"] = {"scenario_file": str(SCENARIO), "inventory_file": str(lab.dir / "instackenv.json")}
        write_outputs(result, work / "run")
        d = result.summary["deployment"]
        print(f"== {args.nodes}-node lab ({args.deploy} image write): `twin lab up` to every node active ==")
        print(f"{'lab up':<34}{up_s:>8.1f} s")
        for p in d["phases"]:
            print(f"{'phase ' + p['name']:<34}{p['end_s'] - p['start_s']:>8.1f} s")
        print(f"{'deployment (outcome ' + d['outcome'] + ')':<34}{run_s:>8.1f} s")
        print(f"{'total':<34}{up_s + run_s:>8.1f} s")
        steps = node_steps(result.events)
        print("per-node step medians: " + ", ".join(
            f"{s} {steps[steps.step == s].duration_s.median():.1f} s" for s in ("register", "pxe_boot", "reboot",
                                                                               "local_boot", "deploy")))
        print("image writes: " + write_rates(result.events))

        print(f"\n== the same {args.nodes} node deployments (shared NodeTask) ==")
        seq_s, seq_ev = node_deploys(lab, loaded.scenario, concurrent=False)
        con_s, con_ev = node_deploys(lab, loaded.scenario, concurrent=True)
        print(f"{'one node at a time':<34}{seq_s:>8.1f} s   image: {write_rates(seq_ev)}")
        print(f"{'all at once':<34}{con_s:>8.1f} s   image: {write_rates(con_ev)}")
        print(f"{'speed-up':<34}{seq_s / con_s:>8.1f} x")

        print("\n== IPMI round trip, median of 20 (127.0.0.1, virtualbmc) ==")
        print(f"{'call':<20}{'twin (pyghmi)':>16}{'ipmitool':>12}")
        for call, (mine, tool) in ipmi_round_trips(lab).items():
            print(f"{call:<20}{statistics.median(mine) * 1e3:>13.1f} ms{statistics.median(tool) * 1e3:>9.1f} ms")

        bmc_protocols(work)

        print("\n== calibration: the simulation against this lab run, before and after fitting ==")
        from twin.runs import simulate

        before = statistics.mean(simulate(loaded.scenario, inventory, seed).summary["deployment"]["makespan_s"]
                                 for seed in range(1, 11))
        live_make = result.summary["deployment"]["makespan_s"]
        print(f"before (the scenario's figures): simulated {before:.1f} s against the lab's {live_make:.1f} s "
              f"(error {(before - live_make) / live_make:+.1%})")
        q = calibrate(read_run(work / "run"), work / "timing.yaml", str(SCENARIO), replications=20)["quality"]
        print(f"makespan: lab {q['makespan_live_s']:.1f} s, calibrated simulation {q['makespan_sim_mean_s']:.1f} s "
              f"(error {q['makespan_error']:+.1%})")
        for s in q["steps"]:
            if s["live_s"] >= 1.0:
                print(f"  {s['step']:<12} lab {s['live_s']:6.2f} s   sim {s['sim_s']:6.2f} s   ({s['error']:+.1%})")
    finally:
        down_s, _ = timed(lab.down)
        print(f"\nlab down: {down_s:.1f} s")
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
