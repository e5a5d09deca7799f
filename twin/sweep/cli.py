"""`twin sweep`: replications of a scenario over the cartesian product of `--set` axes.

Rules: as every `twin` command: a user error is one line on stderr and no traceback; exit 0 when
the sweep finished (failed deployments are data, not errors), 1 for an invalid value, 2 for bad
usage or an unreadable file, 130 on Ctrl-C and 143 on SIGTERM (both stop the same way: finished
replications are kept, workers stopped, and the message says how to resume). The header and the
inventory's warnings are printed when the sweep starts, before its progress bar.
"""
from __future__ import annotations

import argparse
import shlex
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from twin.outformat import add_format_argument, render
from twin.outputs import check_out_dir, default_out_dir

EXIT_OK = 0
EXIT_STOPPED = {"SIGINT": 130, "SIGTERM": 143}  # 128 + the signal's number, as a shell reports it


def register(subparsers) -> argparse.ArgumentParser:
    sw = subparsers.add_parser(
        "sweep", help="Monte Carlo replications of a scenario over a product of parameter values",
        description="Run R replications (independent random streams) of every combination of the --set "
                    "values; write DIR/results.parquet (a row per replication and point) and DIR/summary.json "
                    "(mean, sd and 95% confidence interval per point and metric). See docs/sweep.md.")
    sw.add_argument("scenario", help="scenario YAML file (see scenarios/)")
    sw.add_argument("--replications", "-r", type=int, required=True, metavar="R", help="replications per point")
    sw.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=V1,V2",
                    help="an axis: a dotted key of the scenario file and its values, as YAML scalars "
                         "(e.g. timing.post_s=60,90 or policy=carry-on,helion); repeat for a product")
    sw.add_argument("--workers", "-j", type=int, default=None, metavar="K",
                    help="local worker processes (default: one per CPU; 1 runs in this process)")
    sw.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask distributed cluster instead")
    sw.add_argument("--out", metavar="DIR", help="output folder (default: reports/SCENARIO-NAME-sweep)")
    sw.add_argument("--resume", action="store_true", help="continue an interrupted sweep in DIR")
    sw.add_argument("--seed", type=int, help="base seed of the replications' streams (default: the scenario's)")
    sw.add_argument("--max-runs", type=int, default=None, metavar="N",
                    help="refuse a sweep of more than N points x replications (default 100,000)")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    add_format_argument(sw)
    sw.set_defaults(func=run)
    return sw


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a sweep stops as on Ctrl-C."""

    signal = "SIGTERM"


@contextmanager
def _sigterm_as_ctrl_c():
    def raise_terminated(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second SIGTERM must not cut the cleanup short
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args) -> int:
    from twin.sweep import SweepError, SweepInterrupted, format_summary, parse_sets, run_sweep
    from twin.sweep.executors import default_workers
    from twin.sweep.spec import MAX_RUNS

    def started(plan, reused, warnings) -> None:
        for line in warnings:
            print(line, file=sys.stderr, flush=True)
        print(f"{plan.name}: {len(plan.points)} point(s) x {plan.replications} replication(s), base seed "
              f"{plan.base_seed}" + (f" ({reused} finished before, {plan.total - reused} to run)" if reused else ""),
              file=sys.stdout if args.format == "table" else sys.stderr, flush=True)

    out = None
    try:
        with _sigterm_as_ctrl_c():
            axes = parse_sets(args.sets)
            if args.out:
                out = check_out_dir(args.out)
            else:
                from twin.runs import load_scenario

                out = check_out_dir(default_out_dir(load_scenario(args.scenario).scenario.name, "-sweep"))
            workers = args.workers if args.workers is not None else (1 if args.scheduler else default_workers())
            result = run_sweep(args.scenario, args.replications, axes, workers=workers, scheduler=args.scheduler,
                               out_dir=out, resume=args.resume, seed=args.seed, progress=not args.quiet,
                               on_start=started, max_runs=args.max_runs if args.max_runs is not None else MAX_RUNS)
    except SweepError as e:
        print(f"twin sweep: error: {e}", file=sys.stderr)
        return e.exit_code
    except SweepInterrupted as e:
        print(f"twin sweep: {_STOPPED_BY[e.signal]}: {e.done} of {e.total} replications finished and kept in "
              f"{e.out_dir}; resume with: {shlex.join(_resume_command(args, e.out_dir))}", file=sys.stderr)
        return EXIT_STOPPED[e.signal]
    except KeyboardInterrupt as e:  # before the tasks ran, or while the results were written
        stopped = getattr(e, "signal", "SIGINT")
        parts = sorted((out / "parts").glob("*.json")) if out is not None and (out / "parts").is_dir() else []
        if parts:
            print(f"twin sweep: {_STOPPED_BY[stopped]}: {len(parts)} replication(s) finished and kept in {out}; "
                  f"resume with: {shlex.join(_resume_command(args, out))}", file=sys.stderr)
        else:
            print(f"twin sweep: {_STOPPED_BY[stopped]} before any replication ran", file=sys.stderr)
        return EXIT_STOPPED[stopped]
    files = (f"results: {result.out_dir / 'results.parquet'}  summary: {result.out_dir / 'summary.json'}  "
             f"report: {result.out_dir / 'report.html'}")
    print(render(result.summary, args.format, lambda s: format_summary(s) + "\n" + files))
    return EXIT_OK


_STOPPED_BY = {"SIGINT": "interrupted", "SIGTERM": "terminated (SIGTERM)"}


def _resume_command(args, out: Path) -> list[str]:
    cmd = ["twin", "sweep", args.scenario, "--replications", str(args.replications)]
    for s in args.sets:
        cmd += ["--set", s]
    for flag, value in (("--workers", args.workers), ("--scheduler", args.scheduler), ("--seed", args.seed),
                        ("--max-runs", args.max_runs)):
        if value is not None:
            cmd += [flag, str(value)]
    cmd += ["--out", str(out), "--resume"]
    return cmd + (["--quiet"] if args.quiet else [])
