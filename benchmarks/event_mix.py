#!/usr/bin/env python3
"""What simpy alone costs for the simulated deployment's own mix of events: the floor under
benchmarks/run.py's floor.

benchmarks/run.py compares the model with bare simpy running the same number of events, every one
a timeout that resumes a process (the cheapest event simpy has). The model's events are of other
kinds too: process starts and ends, timers nobody waits for (a command's bound that lost the
race), events succeeded from a timer's callback (a BMC's answer). This script counts the model's
events by kind (through `Environment.schedule` and the events' `callbacks`: public simpy API),
replays the same counts in bare simpy with no model logic (the kinds dealt round-robin to one
process per node, started in the same waves), and prints both floors against the model, all
measured in the same run, alternately, best of k (CPU seconds, collector off, as run.py).

Read the table so: "mix / floor" is what simpy itself adds for the model's kinds of events;
"model / mix" is what the model's own Python costs on top of them. run.py's goal (model at most
2x the floor) leaves the model's logic 2 / (mix / floor) - 1 of what simpy spends on the mix.

Usage: .venv/bin/python benchmarks/event_mix.py [--quick]     (make bench)
    --quick   skip the 3,000-node case
"""
from __future__ import annotations

import argparse
import random
from collections import Counter
from itertools import cycle

import simpy

from run import REPO, _collector_off, bare_simpy, synthetic, twin_model_run  # benchmarks/run.py (puts REPO on sys.path)

from twin.runs import load_scenario, resolve_inventory

#: The kinds of event, by what simpy does with them (a waiter is a process the event resumes).
KINDS = ("resume", "resume+callback", "answer timer", "answer", "lone timer", "lone callback timer",
         "lone event", "start", "end", "condition")


class CountingEnvironment(simpy.Environment):
    """An Environment that counts its events by kind as they are processed (into the class's
    `kinds`): a `_Count` added to an event's callbacks when it is scheduled sees, when the event
    is processed, every other callback of that list."""

    kinds: Counter = Counter()

    def schedule(self, event, priority=simpy.core.NORMAL, delay=0):
        event.callbacks.append(_Count(event.callbacks))
        super().schedule(event, priority, delay)


class _Count:
    __slots__ = ("callbacks",)

    def __init__(self, callbacks):
        self.callbacks = callbacks

    def __call__(self, event):
        others = [cb for cb in self.callbacks if cb is not self]
        waiters = sum(1 for cb in others if isinstance(getattr(cb, "__self__", None), simpy.Process))
        CountingEnvironment.kinds[_kind(event, waiters, len(others) - waiters)] += 1


def _kind(event, waiters: int, plain: int) -> str:
    if isinstance(event, simpy.events.Initialize):
        return "start"
    if isinstance(event, simpy.Process):
        return "end"
    if isinstance(event, simpy.events.Condition):
        return "condition"
    if isinstance(event, simpy.events.Timeout):
        if waiters:
            return "resume+callback" if plain else "resume"
        return "answer timer" if plain else "lone timer"
    return "answer" if waiters else "lone event"


def count_kinds(sc, inventory, seed: int) -> tuple[Counter, int, list[int]]:
    """(kinds, events, waves) of one model run in a counting environment."""
    CountingEnvironment.kinds = Counter()
    plain, simpy.Environment = simpy.Environment, CountingEnvironment  # twin/kernel/sim.py builds from here
    try:
        _seconds, events, waves = twin_model_run(sc, inventory, seed)
    finally:
        simpy.Environment = plain
    kinds = CountingEnvironment.kinds
    if sum(kinds.values()) != events:  # an event scheduled some other way: the replay would be wrong
        raise SystemExit(f"{sc.name}: counted {sum(kinds.values())} of {events} events (has simpy changed?)")
    return kinds, events, waves


def mix_floor(kinds: Counter, waves: list[int], seed: int = 1) -> tuple[float, int]:
    """(CPU s, events) of bare simpy replaying `kinds`: one process per node, in the same waves,
    each node's share of every kind (dealt round-robin) run as its own child processes."""
    rng = random.Random(seed)
    delays = [rng.expovariate(1 / 30.0) for _ in range(4096)]
    env = simpy.Environment()
    nodes = sum(waves)
    starts = max(0, kinds["start"] - nodes - 1)  # the node processes and the waves' own are counted
    per_node: list[list[str]] = [[] for _ in range(nodes)]
    deal = cycle(range(nodes))
    # an answer is its timer plus the event it succeeds: replayed together
    pairs = min(kinds["answer timer"], kinds["answer"])
    for op, count in (("resume", kinds["resume"]), ("resume+callback", kinds["resume+callback"]),
                      ("answer", pairs), ("lone timer", kinds["lone timer"]),
                      ("lone callback timer", kinds["lone callback timer"] + kinds["answer timer"] - pairs),
                      ("lone event", kinds["lone event"] + kinds["answer"] - pairs), ("child", starts)):
        for _ in range(count):
            per_node[next(deal)].append(op)
    noop = (lambda _event: None)
    k = 0

    def run_ops(ops):
        nonlocal k
        for op in ops:
            k += 1
            delay = delays[k & 4095]
            if op == "resume":  # the kinds in the order of their frequency in a deployment
                yield env.timeout(delay)
            elif op == "lone timer":
                env.timeout(delay * 4)
            elif op == "answer":
                done = env.event()
                env.timeout(delay).callbacks.append(lambda _timer, done=done: done.succeed())
                yield done
            elif op == "resume+callback":
                timer = env.timeout(delay)
                timer.callbacks.append(noop)
                yield timer
            elif op == "lone callback timer":
                env.timeout(delay).callbacks.append(noop)
            elif op == "lone event":
                env.event().succeed()

    def node(ops):
        children = ops.count("child")
        work = [op for op in ops if op != "child"]
        share = len(work) // (children + 1)
        yield from run_ops(work[:share])
        for c in range(children):
            yield env.process(run_ops(work[share * (c + 1):share * (c + 2) if c + 1 < children else None]))

    def waves_in_order():
        start = 0
        for size in waves:
            yield env.all_of([env.process(node(per_node[i])) for i in range(start, start + size)])
            start += size

    env.process(waves_in_order())
    seconds = _collector_off(env.run)
    return seconds, next(env._eid)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 3,000-node case")
    args = ap.parse_args()
    cases = []
    for name in ("helion-reference", "helion-max"):
        loaded = load_scenario(REPO / "scenarios" / f"{name}.yaml")
        inventory, _ = resolve_inventory(loaded)
        cases.append((name, loaded.scenario, inventory))
    for compute in ([100, 1000] if args.quick else [100, 1000, 3000]):
        cases.append((f"synthetic-{compute}", *synthetic(compute)))

    header = (f"{'case':<18}{'nodes':>7}{'events':>9}{'mix events':>12}{'model s':>9}{'floor s':>9}{'mix s':>8}"
              f"{'mix/floor':>11}{'model/floor':>13}{'model/mix':>11}")
    print(header)
    print("-" * len(header))
    per_node = {}
    for name, sc, inventory in cases:
        kinds, events, waves = count_kinds(sc, inventory, 42)
        nodes = len(inventory.active)
        per_node[nodes] = kinds
        repeat = 5 if nodes <= 100 else 3
        models, floors, mixes = [], [], []
        for _ in range(repeat):  # alternately, so that other work on the machine shifts all three alike
            models.append(twin_model_run(sc, inventory, 42)[0])
            floors.append(bare_simpy(waves, events))
            seconds, mix_events = mix_floor(kinds, waves)
            mixes.append(seconds)
        model_s, floor_s, mix_s = min(models), min(floors), min(mixes)
        print(f"{name:<18}{nodes:>7}{events:>9}{mix_events:>12}{model_s:>9.3f}{floor_s:>9.3f}{mix_s:>8.3f}"
              f"{mix_s / floor_s:>11.2f}{model_s / floor_s:>13.2f}{model_s / mix_s:>11.2f}")
    print()
    print("the model's events per node, by kind:")
    print(f"{'kind':<22}" + "".join(f"{n:>9}" for n in per_node))
    for kind in KINDS:
        print(f"{kind:<22}" + "".join(f"{per_node[n][kind] / n:>9.2f}" for n in per_node))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
