"""`twin lab up|status|grow|shrink|down`: the lab's command line.

Rules: `register(subparsers)` adds the `lab` command to the twin's argparse subparsers and sets
`func(args)` to a handler returning an exit code (0 ok, 1 a TwinError, printed as one line without a
traceback, 130 on Ctrl-C). Output never contains a password: the credentials are in the lab's
instackenv.json (mode 0600), which the output names. `python -m real_backends.lab.cli` runs the
same commands on their own.
"""
from __future__ import annotations

import argparse
import functools
import signal
import sys

from real_backends.lab import owners
from real_backends.lab.lab import (
    BMC_PROTOCOLS,
    DEFAULT_BMC_PORT,
    ROLE_BY_PROFILE,
    Declared,
    Lab,
    LabError,
)
from twin.errors import TwinError
from twin.outformat import add_format_argument, render


def register(subparsers) -> argparse.ArgumentParser:
    lab = subparsers.add_parser("lab", help="a virtual bare-metal lab: libvirt guests + virtual BMCs on 127.0.0.1",
                                description="Make, show or remove a virtual bare-metal lab (QEMU/TCG guests that "
                                            "PXE-boot through user-mode networking, one virtualbmc per guest).")
    sub = lab.add_subparsers(dest="lab_command", metavar="{up,status,grow,shrink,down}")
    sub.required = True

    up = sub.add_parser("up", help="define the guests, start their BMCs, write instackenv.json (idempotent)")
    up.add_argument("--nodes", type=int, required=True, help="number of guests (7 = the Helion minimum)")
    up.add_argument("--name", default="lab", help="lab name (default: lab); guests are twin-<name>-<i>")
    up.add_argument("--out", default=None, help="lab directory for instackenv.json and the lab's files")
    up.add_argument("--bmc-port", type=int, default=DEFAULT_BMC_PORT,
                    help=f"first UDP port for the virtual BMCs (default {DEFAULT_BMC_PORT}; busy ports are skipped)")
    up.add_argument("--boot-port", type=int, default=None,
                    help="TCP port on 127.0.0.1 the run's boot endpoint will use (default: chosen per lab)")
    up.add_argument("--bmc-busy", type=float, default=None, metavar="S",
                    help="for S seconds after each power change the BMCs refuse power commands with IPMI "
                         "'node busy' (0xC0), as real BMCs do in a transition (default 0)")
    up.add_argument("--bmc", choices=BMC_PROTOCOLS, default=None,
                    help="BMC protocol: ipmi (default, one virtualbmc per guest, as in Helion) or redfish "
                         "(one sushy-tools emulator on 127.0.0.1 for the lab's guests, HTTP basic auth); "
                         "kept for the lab's life")
    up.add_argument("--deploy", choices=("real", "emulated"), default=None,
                    help="real (default for a new lab): runs write the user image to the guests' disks with "
                         "the deploy ramdisk (built once per host); emulated: the boot endpoint only switches "
                         "stages (faster, no kernel boots)")
    add_format_argument(up, json_alias=True)
    up.set_defaults(func=functools.partial(run, _up))

    st = sub.add_parser("status", help="guests, BMC ports and power states")
    st.add_argument("--name", default="lab")
    add_format_argument(st, json_alias=True)
    st.set_defaults(func=functools.partial(run, _status))

    grow = sub.add_parser("grow", help="add guests and their BMCs to a lab; rewrite its instackenv.json")
    grow.add_argument("--name", default="lab")
    grow.add_argument("--nodes", type=int, required=True, help="how many guests to add")
    grow.add_argument("--role", default=None, choices=sorted(ROLE_BY_PROFILE),
                      help="the new rows' TripleO profile in instackenv.json (capabilities: profile:<role>); "
                           "freezes every row's role (default: the installer's order)")
    grow.add_argument("--bmc-port", type=int, default=DEFAULT_BMC_PORT,
                      help=f"first UDP port for the new virtual BMCs (default {DEFAULT_BMC_PORT})")
    add_format_argument(grow, json_alias=True)
    grow.set_defaults(func=functools.partial(run, _grow))

    shrink = sub.add_parser("shrink", help="remove guests and their BMCs from a lab; rewrite its instackenv.json")
    shrink.add_argument("--name", default="lab")
    shrink.add_argument("--nodes", required=True, metavar="NAMES|N",
                        help="guest names (twin-<lab>-<i>, comma-separated) or a count (the newest guests)")
    shrink.set_defaults(func=functools.partial(run, _shrink))

    down = sub.add_parser("down", help="remove every guest, BMC process and file of the lab")
    down.add_argument("--name", default="lab")
    down.set_defaults(func=functools.partial(run, _down))
    return lab


def _print_status(status: dict, fmt: str) -> None:
    if fmt != "table":
        print(render(status, fmt, ""))
        return
    if not status["exists"]:
        print(f"lab {status['name']}: not found")
        for entry in owners.owned_labs():  # labs of test sessions and runs, wherever they live
            owner = entry.get("owner") or {}
            print(f"  owned lab {entry.get('name')} in {entry.get('dir')} (owner pid {owner.get('pid')})")
        return
    print(f"lab {status['name']}  dir {status['dir']}  boot endpoint 127.0.0.1:{status['boot_port']} "
          f"(guests: http://10.0.2.2:{status['boot_port']}/boot.ipxe)")
    if "libvirt" in status:
        print(f"  libvirt: {status['libvirt']}")
    print(f"  BMC protocol: {status.get('bmc_protocol', 'ipmi')}")
    width = max([16] + [len(n["bmc"]) for n in status["nodes"]])
    print(f"  {'guest':<24} {'mac':<18} {'power':<8} {'bmc':<{width}} bmc process")
    for n in status["nodes"]:
        print(f"  {n['name']:<24} {n['mac']:<18} {n['power']:<8} {n['bmc']:<{width}} "
              f"{'running' if n['bmc_running'] else 'DOWN'}")


def _up(args) -> int:
    lab = Lab(args.name, args.out)
    status = lab.up(args.nodes, bmc_port=args.bmc_port, boot_port=args.boot_port, declared=None,
                    bmc_busy_s=args.bmc_busy, bmc=args.bmc,
                    deploy=args.deploy or (None if lab.exists else "real"))
    _print_status(status, args.format)
    if args.format == "table":
        print(f"  inventory: {lab.dir / 'instackenv.json'} (mode 0600, holds the BMC password)")
    return 0


def _status(args) -> int:
    for name in owners.reap_stale():
        print(f"lab {name}: its owner process is gone; taken down", file=sys.stderr)
    status = Lab(args.name).status()
    _print_status(status, args.format)
    return 0 if status["exists"] else 1


def _grow(args) -> int:
    lab = Lab(args.name)
    status = lab.grow(args.nodes, role=args.role, bmc_port=args.bmc_port)
    _print_status(status, args.format)
    if args.format == "table":
        print(f"  inventory: {lab.dir / 'instackenv.json'} (mode 0600, holds the BMC password)")
    return 0


def _shrink(args) -> int:
    text = args.nodes.strip()
    if text.isdigit():
        which: int | list[str] = int(text)
    else:
        which = [w.strip() for w in text.split(",") if w.strip()]
        if not which:
            raise LabError("--nodes: give guest names (twin-<lab>-<i>, comma-separated) or a count")
    lab = Lab(args.name)
    removed = lab.shrink(which)
    print(f"lab {args.name}: removed {len(removed['guests'])} guests ({', '.join(removed['guests']) or '-'}), "
          f"{len(removed['bmc_processes'])} BMC processes; inventory: {lab.dir / 'instackenv.json'}")
    return 0


def _down(args) -> int:
    lab = Lab(args.name)
    removed = lab.down()
    print(f"lab {args.name}: removed {len(removed['guests'])} guests, {len(removed['bmc_processes'])} BMC "
          f"processes, {len(removed['files'])} files")
    return 0


def run(handler, args) -> int:
    """Call a handler; a TwinError is one line on stderr and exit code 1; SIGTERM is Ctrl-C."""
    def terminate(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        return handler(args)
    except TwinError as exc:
        print(f"twin lab: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("twin lab: interrupted (run 'lab down' to remove a half-made lab)", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m real_backends.lab.cli")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["lab", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Declared", "main", "register", "run"]
