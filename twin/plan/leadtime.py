"""The plan's deployment lead times: for each month that needs more compute hosts, by when the
`add_nodes` must start so the new hosts are schedulable when that month's demand begins.

Rules:
- A month m adds `hosts(m) - have(m)` hosts when that is positive, where have(m) is the most
  hosts the cloud already has by then: the current cloud's compute hosts (candidate `current`;
  0 for another hardware candidate, none of which exists yet) or any earlier month's answer (the
  plan never removes hosts). A month whose answer is beyond `max_hosts` (unknown) adds nothing
  and ends the list (what follows rests on it).
- Month m's demand begins at m x `workload.month_s` after now (month 0 is now), as the planner's
  capacity runs at `workload.start_month: m` place it.
- The lead time of adding N nodes: the `percentile`-th percentile (numpy's linear
  interpolation, as for blocking) of the durations of `replications` simulated `add_nodes` of N
  compute nodes (twin/runs/add_nodes.py: the day-2 procedure through the undercloud's Ironic, the
  N deploying concurrently on the shared management network, the scenario's timing and
  network), replication r with the sweep's seed r of the plan's seed (twin/sweep/spec.py), so
  the same plan gives the same lead times. Each N is simulated once per plan (a cache).
- Start by = month start - lead time; before now (negative) it is overdue: start now.
- An add that fails in any replication (e.g. the stack update outlives the Heat timeout) has no
  lead time; the cause says why, and the advice is smaller batches.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.runs.add_nodes import AddTime, simulate_add_nodes
from twin.sweep.spec import replication_seeds
from twin.timefmt import DAY, hms


@dataclass
class LeadTime:
    """One month's addition and when it must start (seconds from now)."""

    month: int
    hosts: int  # the month's answer
    have: int  # hosts already there (the current cloud or an earlier month's answer)
    add: int
    month_start_s: float
    lead_time_s: float | None  # None: the add failed in some replication
    start_s: float | None  # month_start_s - lead_time_s
    durations_s: list[float] = field(default_factory=list)
    failed: int = 0
    cause: str = ""

    @property
    def overdue(self) -> bool:
        return self.start_s is not None and self.start_s < 0

    def as_dict(self) -> dict:
        return {"month": self.month, "hosts": self.hosts, "have": self.have, "add": self.add,
                "month_start_s": self.month_start_s, "lead_time_s": self.lead_time_s, "start_s": self.start_s,
                "overdue": self.overdue, "durations_s": self.durations_s, "failed": self.failed, "cause": self.cause}


class AddTimes:
    """Simulated add_nodes durations by node count, `replications` each (cached per count)."""

    def __init__(self, sc, existing, replications: int, percentile: float, seed: int, echo=None):
        self.sc, self.existing, self.percentile = sc, list(existing), percentile
        self.seeds = replication_seeds(seed, replications)
        self.echo = echo or (lambda text: None)
        self._runs: dict[int, list[AddTime]] = {}

    def runs(self, count: int) -> list[AddTime]:
        if count not in self._runs:
            self.echo(f"lead time: adding {count} compute node{'s' if count != 1 else ''}, "
                      f"{len(self.seeds)} replications")
            self._runs[count] = [simulate_add_nodes(self.sc, self.existing, count, s) for s in self.seeds]
        return self._runs[count]

    def lead_time(self, count: int) -> tuple[float | None, list[float], int, str]:
        """(percentile of the durations or None, the durations, failures, the first failure's cause)."""
        runs = self.runs(count)
        durations = [round(r.seconds, 3) for r in runs]
        failed = [r for r in runs if not r.ok]
        if failed:
            return None, durations, len(failed), failed[0].cause
        return float(np.percentile([r.seconds for r in runs], self.percentile)), durations, 0, ""


def lead_times(plan, have: int, month_s: float, times: AddTimes) -> list[LeadTime]:
    """The additions of one candidate's plan (a list of MonthPlan) and their start dates."""
    out = []
    for mp in plan:
        if mp.hosts is None:
            break
        if mp.hosts > have:
            add = mp.hosts - have
            lead, durations, failed, cause = times.lead_time(add)
            start = mp.month * month_s
            out.append(LeadTime(mp.month, mp.hosts, have, add, start, lead,
                                None if lead is None else start - lead, durations, failed, cause))
            have = mp.hosts
    return out


def start_text(start_s: float) -> str:
    """An instant on the plan's clock (now = 0) as the twin writes instants: 'day 212 13:40'."""
    return hms(start_s) if start_s >= DAY else f"day 0 {hms(start_s)}"


def describe(lt: LeadTime, percentile: float) -> str:
    """One addition as a sentence: 'month 7 needs 4 more hosts (7 in all): start add_nodes by day
    211 23:31 (deploying 4 nodes takes about 0.4 h at p95)'."""
    more = f"month {lt.month} needs {lt.add} more host{'s' if lt.add != 1 else ''} ({lt.hosts} in all)"
    nodes = f"{lt.add} node{'s' if lt.add != 1 else ''}"
    if lt.lead_time_s is None:
        return (f"{more}: adding {nodes} at once failed in {lt.failed} of {len(lt.durations_s)} replications "
                f"({lt.cause}): add them in smaller batches")
    takes = f"deploying {nodes} takes about {lt.lead_time_s / 3600:.1f} h at p{percentile:g}"
    if lt.overdue:
        return f"{more}: overdue, start add_nodes now, {hms(-lt.start_s, span=True)} late ({takes})"
    return f"{more}: start add_nodes by {start_text(lt.start_s)} ({takes})"


__all__ = ["AddTimes", "LeadTime", "describe", "lead_times", "start_text"]
