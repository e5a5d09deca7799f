"""The `twin` command line: run, validate, compare, calibrate, schema, sweep, plan (and lab,
where the live lab is installed).

Rules: user errors (TwinError) print one line per problem on stderr, never a traceback, and exit
non-zero: 1 for invalid content or a failed deployment, 2 for unreadable input, an output path
that cannot be written, or bad usage; 130 on Ctrl-C, 143 on SIGTERM (both clean up the same way).
Only a bug in the twin shows a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

# One BLAS thread (unless the user set another count): numpy's OpenBLAS otherwise starts a thread
# per core when numpy is imported, about 0.15 CPU s per `twin` process (and per sweep worker),
# for matrix products no run makes. Read by OpenBLAS when numpy is first imported: set it first.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from twin import __version__  # noqa: E402
from twin.collector import paused_gc  # noqa: E402
from twin.errors import InputError, OutputError, TwinError, UnreadableError, UsageError  # noqa: E402
from twin.outformat import add_format_argument  # noqa: E402

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader left


def _cmd_run(args) -> int:
    if args.backend != "sim":
        return _run(args)
    with paused_gc():  # one bounded run, imports to written outputs (twin/collector.py)
        return _run(args)


def _run(args) -> int:
    from twin.runs import (
        digest,
        problem_lines,
        resolve_inventory,
        run_live,
        simulate,
        write_outputs,
    )
    from twin.kernel.rng import check_seed
    from twin.outformat import render as render_result
    from twin.outputs import check_out_dir, default_out_dir
    from twin.runs.scenario import load_scenario

    if args.seed is not None:
        check_seed(args.seed)  # a bad --seed is one line before anything is read or written
    loaded = load_scenario(args.scenario, args.timing)
    out = check_out_dir(Path(args.out) if args.out else default_out_dir(loaded.scenario.name))
    if args.backend != "sim" and not args.inventory:
        raise TwinError(f"--backend {args.backend} needs --inventory (for a lab: LAB_DIR/instackenv.json)")
    inventory, warnings = resolve_inventory(loaded, args.inventory)
    for line in problem_lines(warnings):
        print(line, file=sys.stderr)
    seed = loaded.scenario.seed if args.seed is None else args.seed
    if args.backend == "sim":
        result = simulate(loaded.scenario, inventory, seed, progress=not args.quiet)
    else:
        lab_dir = Path(args.lab).resolve() if args.lab else Path(args.inventory).resolve().parent
        if args.backend == "lab" and not (lab_dir / "lab.json").is_file():
            raise TwinError(f"{lab_dir}: no lab.json there; give the instackenv.json that 'twin lab up' wrote "
                            f"(LAB_DIR/instackenv.json) or the lab's folder with --lab")
        result = run_live(loaded, inventory, seed, args.backend, lab_dir=lab_dir,
                          boot_bind=_host_port(args.boot_endpoint), progress=not args.quiet)
    result.summary["inputs"] = {"scenario_file": str(Path(args.scenario).resolve()),
                                "timing_profile": str(Path(args.timing).resolve()) if args.timing else None,
                                "inventory_file": str(Path(args.inventory).resolve()) if args.inventory else None}
    write_outputs(result, out)
    text, code = digest(result.summary, out)
    record = {"scenario": result.summary.get("scenario"), "run": loaded.scenario.run, "backend": args.backend,
              "seed": seed, "exit_code": code, "metrics": result.metrics,
              "report": str(out / "report.html"), "events": str(out / "events.parquet"),
              "summary": str(out / "summary.json")}
    print(render_result(record, args.format, text))
    return code


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise TwinError(f"--boot-endpoint {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    return host, int(port)


def _cmd_validate(args) -> int:
    from twin.inventory.validate import run_validate
    from twin.runs.scenario import load_scenario
    from twin.runs.validate import vsa_checks

    loaded = load_scenario(args.scenario) if args.scenario else None  # a bad scenario: its own located error
    return run_validate(args.inventory, profile=args.profile, fmt=args.format, more=vsa_checks(loaded))


def _cmd_compare(args) -> int:
    from twin.analysis.compare import as_json, compare, render
    from twin.analysis.runs import read_run
    from twin.outformat import render as render_result

    result = compare(read_run(args.run_a), read_run(args.run_b))
    print(render_result(as_json(result), args.format, lambda _: render(result)))
    return EXIT_OK if result["same"] else EXIT_INVALID


def _cmd_calibrate(args) -> int:
    from twin.analysis.calibrate import calibrate, render
    from twin.analysis.runs import read_run

    from twin.outformat import render as render_result

    out = Path(args.out)
    result = calibrate(read_run(args.live_run), out, args.scenario, args.replications)
    print(render_result(result, args.format, lambda r: render(r, out)))
    return EXIT_OK


def _cmd_schema(args) -> int:
    from twin.runs.scenario import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return EXIT_OK


#: The commands this module defines; the others come from their packages (register_more).
OWN_COMMANDS = frozenset({"run", "validate", "compare", "calibrate", "schema"})


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; when `command` (the one about to run) is one of OWN_COMMANDS, the
    other packages' commands are left out: registering them imports their modules (the lab's
    libvirt-free but HTTP- and pydantic-heavy CLI alone costs a `twin run` about 0.1 s), and
    only `twin --help`, a usage error or those commands themselves need them."""
    parser = argparse.ArgumentParser(prog="twin", description="Helion Twin: a digital twin of an HP Helion OpenStack cloud")
    parser.add_argument("--version", action="version", version=f"twin {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario (its run: deploy, operations or capacity) and write its report",
                         description="Run a scenario of any kind (the scenario's `run:` key: deploy, operations, "
                         "capacity) and write events.parquet, summary.json and report.html into --out. "
                         "Live backends (--backend lab|ipmi) run deployments and operations drills.")
    run.add_argument("scenario", help="scenario YAML file (see scenarios/)")
    run.add_argument("--backend", choices=["sim", "lab", "ipmi"], default="sim",
                     help="sim (default): simulated hardware; lab: a 'twin lab up' lab (--inventory "
                          "LAB/instackenv.json); ipmi: physical BMCs from --inventory")
    run.add_argument("--lab", metavar="DIR", help="lab backend: the lab's folder (default: the inventory's folder)")
    run.add_argument("--timing", help="a timing profile (timing:/network: sections, e.g. from 'twin calibrate') "
                                      "overriding the scenario's")
    run.add_argument("--boot-endpoint", default="127.0.0.1:0", metavar="HOST:PORT",
                     help="ipmi backend: where the PXE boot endpoint listens (default 127.0.0.1, any port); "
                          "the machines' DHCP must chain to http://HOST:PORT/boot.ipxe")
    run.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    run.add_argument("--inventory", help="use this baremetal.csv / instackenv.json instead of the scenario's")
    run.add_argument("--out", help="output folder (default: reports/SCENARIO-NAME)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    add_format_argument(run)
    run.set_defaults(func=_cmd_run)

    val = sub.add_parser("validate", help="check an inventory against Helion's rules")
    val.add_argument("inventory", help="baremetal.csv (Helion 1.0 or 1.1) or instackenv.json")
    val.add_argument("--profile", default="kvm-30x40", help="limits profile (default: kvm-30x40)")
    val.add_argument("--scenario", help="apply this scenario's storage.vsa clusters (default: every VSA node is one "
                                        "cluster) to the StoreVirtual limits")
    add_format_argument(val, json_alias=True)
    val.set_defaults(func=_cmd_validate)

    cmp_ = sub.add_parser("compare", help="two runs of one kind side by side: metrics (and for deployments, "
                          "provision-state sequences and step durations)")
    cmp_.add_argument("run_a", help="a run's --out folder (e.g. a simulated run)")
    cmp_.add_argument("run_b", help="another run's --out folder (e.g. a lab run)")
    add_format_argument(cmp_, json_alias=True)
    cmp_.set_defaults(func=_cmd_compare)

    cal = sub.add_parser("calibrate", help="fit the simulator's timing to a live run and measure the fit")
    cal.add_argument("live_run", help="the --out folder of a live run (--backend lab or ipmi)")
    cal.add_argument("--out", required=True, help="timing profile to write (YAML; use with twin run --timing)")
    cal.add_argument("--scenario", help="scenario to simulate (default: the one the live run used)")
    cal.add_argument("--replications", type=int, default=20, help="simulations to measure the fit (default 20)")
    add_format_argument(cal)
    cal.set_defaults(func=_cmd_calibrate)

    sch = sub.add_parser("schema", help="print the scenario file's JSON Schema")
    sch.set_defaults(func=_cmd_schema)

    if command not in OWN_COMMANDS:
        register_more(sub)
    return parser


def register_more(sub) -> None:
    """The commands of other packages: sweep, ring, plan, lab."""
    from twin.sweep.cli import register as register_sweep

    register_sweep(sub)

    from twin.cloud.swift.cli import register as register_ring

    register_ring(sub)

    from twin.plan.cli import register as register_plan

    register_plan(sub)

    from real_backends.lab.cli import register as register_lab  # libvirt is imported only when a lab is used

    register_lab(sub)


def _command_of(argv: list[str]) -> str | None:
    """The command `argv` asks for: its first word that is not an option (`twin` itself has no
    option that takes a value), or None."""
    return next((a for a in argv if not a.startswith("-")), None)


class Terminated(KeyboardInterrupt):
    """SIGTERM: unwinds like Ctrl-C (every `finally` cleans up), exits 143 (128 + SIGTERM)."""


def _terminate_like_ctrl_c(signum, frame):
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_command_of(argv)).parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a `kill`, a CI timeout) cleans up exactly as Ctrl-C does: every `finally` runs
        signal.signal(signal.SIGTERM, _terminate_like_ctrl_c)
    try:
        return args.func(args)
    except UnreadableError as e:
        _print_error(e)
        return EXIT_UNREADABLE
    except (OutputError, UsageError) as e:
        print(f"twin: error: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
    except InputError as e:
        _print_error(e)
        return EXIT_INVALID
    except TwinError as e:
        print(f"twin: error: {e}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # `twin ... | head`: the reader left; that is not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_BROKEN_PIPE
    except Terminated:
        print("twin: terminated (SIGTERM); cleaned up", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("twin: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _print_error(e: InputError) -> None:
    for p in e.problems:
        print(("warning: " if p.severity == "warning" else "") + str(p), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
