"""`twin plan capacity SCENARIO [options]`.

Rules: the table goes to stdout; progress (one line per step) to stderr unless --quiet; the plan's
files go to --out (default reports/<scenario>-plan): plan.html (the plot), plan.json (every
number), points.csv (every evaluated point). Exit 0 when the plan is made (whatever it says),
1 for an invalid scenario or option, 2 for an unreadable file or bad usage (twin/cli.py).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from twin.outformat import add_format_argument, render


def register(subparsers) -> None:
    plan = subparsers.add_parser("plan", help="capacity planning: how many compute nodes a demand needs")
    sub = plan.add_subparsers(dest="plan_command", required=True, metavar="WHAT")
    cap = sub.add_parser("capacity", help="search the number of compute hosts for a blocking target, month by month",
                         description="Search the fewest compute hosts that keep boot-request blocking under a "
                         "target at a percentile across replications, surviving N host failures, for each month "
                         "of demand growth; say when the current cloud runs out (docs/capacity.md).")
    cap.add_argument("scenario", help="a `run: capacity` scenario (see scenarios/capacity-reference.yaml)")
    cap.add_argument("--target-blocking", type=float, help="blocking probability to stay under (default: "
                     "capacity.plan.target_blocking, 0.01)")
    cap.add_argument("--percentile", type=float, help="percentile across replications (default 95)")
    cap.add_argument("--survive", type=int, help="host failures to survive (default: capacity.plan.survive)")
    cap.add_argument("--months", type=int, help="months of demand growth (default 12)")
    cap.add_argument("--replications", type=int, help="replications per point (default 10)")
    cap.add_argument("--hardware", help="candidate hardware: current (default), a name from capacity.plan.hardware, "
                     "or all")
    cap.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    cap.add_argument("--scheduler", help="a Dask scheduler address (tcp://HOST:PORT) to run on instead")
    cap.add_argument("--seed", type=int, help="base seed (default: the scenario's)")
    cap.add_argument("--out", help="output folder (default: reports/SCENARIO-plan)")
    cap.add_argument("--quiet", action="store_true", help="no progress lines")
    add_format_argument(cap)
    cap.set_defaults(func=_cmd_plan_capacity)


def _cmd_plan_capacity(args) -> int:
    import sys

    from twin.outputs import check_out_dir, default_out_dir
    from twin.plan.search import Planner, PlanOptions, progress_echo
    from twin.runs import problem_lines

    options = PlanOptions(target_blocking=args.target_blocking, percentile=args.percentile, survive=args.survive,
                          months=args.months, replications=args.replications, hardware=args.hardware,
                          workers=args.workers, scheduler=args.scheduler, seed=args.seed)
    echo = progress_echo(not args.quiet)
    planner = Planner(args.scenario, options, echo)
    out = check_out_dir(args.out or default_out_dir(planner.sc.name, "-plan"))  # before hours of runs
    for line in problem_lines(planner.warnings):
        print(line, file=sys.stderr)
    result = planner.run()
    text = plan_table(result)
    data = write_plan(result, text, out)
    files = f"plot: {out / 'plan.html'}  numbers: {out / 'plan.json'}  points: {out / 'points.csv'}"
    print(render(data, args.format, lambda _: text + "\n" + files))
    return 0


def _pct(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}%"


def plan_table(r) -> str:
    """The plan as text: a header, one table per candidate with its verdict and the start dates
    of its additions (twin/plan/leadtime.py), and the verdicts on the current cloud."""
    from twin.plan.leadtime import describe

    spares = f", surviving {r.survive} host failure{'s' if r.survive != 1 else ''}" if r.survive else ""
    lines = [f"Capacity plan for {r.scenario} ({r.profile}: at most {r.max_compute} compute hosts): blocking <= "
             f"{100 * r.target:g}% at the {r.percentile:g}th percentile of {r.replications} replications{spares}; "
             f"{r.runs} runs in {r.wall_s:.1f} s"]
    for name, plan in r.candidates.items():
        hw = r.hardware.get(name)
        what = ("the current hosts' hardware" if hw is None else
                f"{hw['cpus']} CPUs, {hw['memory_mib'] // 1024} GiB, {hw['disk_gib']} GiB disk")
        lines += ["", f"candidate {name} ({what}):",
                  f"{'month':>5} {'demand VMs':>11} {'now p' + format(r.percentile, 'g'):>9} {'hosts':>6} "
                  f"{'p' + format(r.percentile, 'g') + ' blocking':>13} {'RAM util':>9} {'slots':>7}  limits"]
        for mp, cur in zip(plan, r.current):
            now = _pct(cur.p_blocking) if cur is not None else "-"
            if mp.hosts is None:
                lines.append(f"{mp.month:>5} {mp.demand_vms:>11.1f} {now:>9} {'>' + str(r.max_hosts):>6} "
                             f"{'-':>13} {'-':>9} {'-':>7}  more than {r.max_hosts} hosts searched")
                continue
            p = mp.point
            verdict = (f"more than {r.max_compute} compute hosts under {r.profile}" if mp.exceeds_profile
                       else f"within {r.profile}")
            lines.append(f"{mp.month:>5} {mp.demand_vms:>11.1f} {now:>9} {mp.hosts:>6} {_pct(p.p_blocking):>13} "
                         f"{_pct(p.util_ram):>9} {_pct(p.util_slots):>7}  {verdict}")
        worst = plan[-1]
        if worst.hosts is None or worst.exceeds_profile:
            first = next(mp for mp in plan if mp.hosts is None or mp.exceeds_profile)
            lines.append(f"  from month {first.month} the answer is more than {r.max_compute} compute hosts under "
                         f"{r.profile}: beyond the profile's supported limit")
        else:
            lines.append(f"  month {worst.month} needs {worst.hosts} compute hosts"
                         + (f" ({r.survive} of them spare for failures)" if r.survive else ""))
        lines += [f"  {describe(lt, r.percentile)}" for lt in r.lead_times.get(name, [])]
    lines.append("")
    if r.survive >= r.current_hosts:
        lines.append(f"The current cloud ({r.current_hosts} hosts) cannot survive {r.survive} host failures at all.")
    elif r.runs_out_month is None:
        lines.append(f"The current cloud ({r.current_hosts} hosts) meets the target for all {r.months} months.")
    else:
        cur = r.current[r.runs_out_month]
        lines.append(f"The current cloud ({r.current_hosts} hosts) runs out in month {r.runs_out_month}: "
                     f"p{r.percentile:g} blocking {_pct(cur.p_blocking)} > {100 * r.target:g}%.")
    if r.quota_warning:
        lines.append("warning: some requests were refused by quota (nova.quotas): that demand is not in the blocking; "
                     "raise the quotas to plan for it")
    return "\n".join(lines)


def write_plan(result, text: str, out: Path) -> dict:
    """Write plan.json, points.csv and plan.html into `out`; returns plan.json's document."""
    import pandas as pd

    from twin.fileio import atomic_write
    from twin.plan.plot import plan_html

    out.mkdir(parents=True, exist_ok=True)
    data = {
        "scenario": result.scenario, "profile": result.profile, "max_compute": result.max_compute,
        "target_blocking": result.target, "percentile": result.percentile, "survive": result.survive,
        "replications": result.replications, "months": result.months, "current_hosts": result.current_hosts,
        "runs_out_month": result.runs_out_month, "wall_s": round(result.wall_s, 3), "runs": result.runs,
        "hardware": result.hardware,
        "current": [None if p is None else p.as_dict() for p in result.current],
        "candidates": {name: [{"month": mp.month, "demand_vms": round(mp.demand_vms, 3), "lower_bound": mp.lower_bound,
                               "hosts": mp.hosts, "exceeds_profile": mp.exceeds_profile,
                               "point": None if mp.point is None else mp.point.as_dict()} for mp in plan]
                       for name, plan in result.candidates.items()},
        "month_s": result.month_s,
        "lead_times": {name: [lt.as_dict() for lt in leads] for name, leads in result.lead_times.items()},
    }
    atomic_write(out / "plan.json", json.dumps(data, indent=2, allow_nan=True) + "\n")
    frame = pd.DataFrame([{k: v for k, v in p.as_dict().items() if k != "blocking"} for p in result.points])
    atomic_write(out / "points.csv", lambda p: frame.to_csv(p, index=False))
    atomic_write(out / "plan.html", plan_html(result, text))
    return data
