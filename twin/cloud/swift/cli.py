"""`twin ring VERB BUILDER ...`: Ringos's verbs on a swift `.builder` file, and `analyze`.

Rules: as every `twin` command: a user error is one located line on stderr (`FILE:0: FIELD:
message`, the field naming the argument or the device), exit 1 for an invalid value or an operation
swift refuses, 2 for bad usage or an unreadable file, never a traceback. Every verb has `-f table|json|value` (`--json` = `-f json`).
A verb that changes the builder saves it atomically (twin/cloud/swift/rings.py) only after the
change succeeded, so a refused change leaves the file as it was. swift is imported when a verb
runs, not when the parser is built.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from twin.outformat import add_format_argument, render

EXIT_OK = 0


def register(subparsers) -> argparse.ArgumentParser:
    ring = subparsers.add_parser(
        "ring", help="swift rings: Ringos's verbs on a .builder file, failure and rebalance analysis",
        description="Operate on a swift ring builder file with swift's own RingBuilder (the files are "
                    "swift-ring-builder's). See docs/storage.md.")
    verbs = ring.add_subparsers(dest="ring_verb", required=True, metavar="VERB")

    def verb(name, help_, func, *, device=False):
        p = verbs.add_parser(name, help=help_, description=help_)
        p.add_argument("builder", help="the .builder file")
        if device:
            p.add_argument("device", help="the device: IP/DEVICE, IP:PORT/DEVICE or dID")
        add_format_argument(p, json_alias=True)
        p.set_defaults(func=func)
        return p

    p = verb("create", "create a builder with 2^PART_POWER partitions", _create)
    p.add_argument("part_power", type=int, metavar="PART_POWER")
    p.add_argument("replicas", type=float, metavar="REPLICAS", help="may be fractional (e.g. 2.5)")
    p.add_argument("min_part_hours", type=int, metavar="MIN_PART_HOURS")
    p.add_argument("--force", action="store_true", help="overwrite an existing builder file")

    p = verb("add-disk", "add a device (it gets partitions at the next rebalance)", _add_disk)
    for flag, type_, help_ in (("--region", int, "region number"), ("--zone", int, "zone number"),
                               ("--ip", str, "the storage server's address"), ("--port", int, "its object/"
                               "container/account server port (e.g. 6000)"), ("--device", str, "the disk (e.g. sdb1)"),
                               ("--weight", float, "relative weight (usually the size in GiB)")):
        p.add_argument(flag, type=type_, required=True, help=help_)
    p.add_argument("--meta", default="", help="free text kept with the device")

    verb("remove-disk", "mark a device for removal (done at the next rebalance)", _remove_disk, device=True)
    p = verb("set-weight", "change a device's weight", _set_weight, device=True)
    p.add_argument("weight", type=float, metavar="WEIGHT")
    p = verb("set-replicas", "change the replica count (may be fractional)", _set_replicas)
    p.add_argument("replicas", type=float, metavar="REPLICAS")
    p = verb("set-min-part-hours", "change min_part_hours", _set_min_part_hours)
    p.add_argument("hours", type=int, metavar="HOURS")
    p = verb("rebalance", "run swift's rebalance and save the builder", _rebalance)
    p.add_argument("--seed", type=int, help="random seed of the rebalance (as swift-ring-builder's)")
    verb("view", "the figures swift-ring-builder prints: partitions, replicas, balance, dispersion, devices", _view)
    verb("validate", "swift's validation: every partition replica on a distinct existing device", _validate)
    p = verb("write-ring", "write the ring file (.ring.gz) the servers read", _write_ring)
    p.add_argument("--out", help="ring file (default: NAME.ring.gz next to NAME.builder)")
    p.add_argument("--format-version", type=int, choices=(0, 1, 2), default=1,
                   help="swift's ring format (default 1, as swift-ring-builder's)")

    p = verb("analyze", "what a failure (--fail) or a rebalance (--rebalance) does to this ring", _analyze)
    p.add_argument("--fail", action="append", default=[], metavar="SPEC",
                   help="device:IP/DEVICE, server:IP, zone:N or region:N; several are one combined failure")
    p.add_argument("--used-gib", action="append", default=[], metavar="DEVICE=GIB",
                   help="GiB in use on a device (IP/DEVICE or dID); others: --fill x weight")
    p.add_argument("--fill", type=float, default=None, metavar="F",
                   help="fraction of each device's weight (read as GiB) in use (default 0.5)")
    p.add_argument("--rebalance", action="store_true",
                   help="predict what a rebalance moves: partitions, bytes, min_part_hours rounds")
    p.add_argument("--seed", type=int, help="seed of the predicted rebalance (pass the same to `rebalance`)")
    return ring


def _out(args, data: dict, text: str) -> int:
    print(render(dict(sorted(data.items())), args.format, text))
    return EXIT_OK


def _change(args, change) -> int:
    """Load, apply `change(builder) -> (json, text)`, save atomically, print."""
    from twin.cloud.swift import rings

    b = rings.load_builder(args.builder)
    data, text = change(b)
    rings.save_builder(b, args.builder)
    return _out(args, {"builder": args.builder, **data}, text)


def _create(args) -> int:
    from twin.cloud.swift import rings, verbs
    from twin.errors import InputError, Problem

    if Path(args.builder).exists() and not args.force:
        raise InputError([Problem(args.builder, 0, "builder", "already exists (use --force to overwrite it)")])
    b = verbs.create(args.part_power, args.replicas, args.min_part_hours, where=args.builder)
    rings.save_builder(b, args.builder)
    return _out(args, {"builder": args.builder, "parts": b.parts, "replicas": b.replicas,
                       "min_part_hours": b.min_part_hours},
                f"{args.builder}: created, {b.parts} partitions, {b.replicas:g} replicas, "
                f"min_part_hours {b.min_part_hours}")


def _add_disk(args) -> int:
    from twin.cloud.swift import verbs

    def change(b):
        dev_id = verbs.add_disk(b, region=args.region, zone=args.zone, ip=args.ip, port=args.port, device=args.device,
                                weight=args.weight, meta=args.meta, where=args.builder)
        dev = b.devs[dev_id]
        return ({"id": dev_id, "device": _dev_json(dev)},
                f"{args.builder}: added {verbs.device_name(dev)} region {args.region} zone {args.zone} "
                f"weight {args.weight:g} (rebalance to give it partitions)")
    return _change(args, change)


def _dev_json(dev) -> dict:
    return {k: dev[k] for k in ("id", "region", "zone", "ip", "port", "device", "weight", "parts")}


def _remove_disk(args) -> int:
    from twin.cloud.swift import verbs

    def change(b):
        dev = verbs.remove_disk(b, args.device, where=args.builder)
        return ({"removed": _dev_json(dev)},
                f"{args.builder}: {verbs.device_name(dev)} marked for removal ({dev['parts']} partition replicas "
                "move at the next rebalance)")
    return _change(args, change)


def _set_weight(args) -> int:
    from twin.cloud.swift import verbs

    def change(b):
        old = verbs.find_device(b, args.device, args.builder)["weight"]
        dev = verbs.set_weight(b, args.device, args.weight, where=args.builder)
        return ({"device": _dev_json(dev), "old_weight": old},
                f"{args.builder}: {verbs.device_name(dev)} weight {old:g} -> {args.weight:g}")
    return _change(args, change)


def _set_replicas(args) -> int:
    from twin.cloud.swift import verbs

    def change(b):
        old = b.replicas
        verbs.set_replicas(b, args.replicas, where=args.builder)
        return ({"replicas": b.replicas, "old_replicas": old}, f"{args.builder}: replicas {old:g} -> {b.replicas:g}")
    return _change(args, change)


def _set_min_part_hours(args) -> int:
    from twin.cloud.swift import verbs

    def change(b):
        old = b.min_part_hours
        verbs.set_min_part_hours(b, args.hours, where=args.builder)
        return ({"min_part_hours": b.min_part_hours, "old_min_part_hours": old},
                f"{args.builder}: min_part_hours {old} -> {b.min_part_hours}")
    return _change(args, change)


def _rebalance(args) -> int:
    from twin.cloud.swift import verbs

    def change(b):
        r = verbs.rebalance(b, seed=args.seed, where=args.builder)
        return (r, f"{args.builder}: reassigned {r['reassigned']} ({r['reassigned_percent']:.2f}%) partitions, "
                   f"balance {r['balance']:.2f}, dispersion {r['dispersion']:.2f}, "
                   f"{r['removed_devices']} device(s) removed")
    return _change(args, change)


def _view(args) -> int:
    from twin.cloud.swift import rings, verbs

    v = verbs.view(rings.load_builder(args.builder))
    return _out(args, {"builder": args.builder, **v}, verbs.format_view(v, args.builder))


def _validate(args) -> int:
    from twin.cloud.swift import rings, verbs

    r = verbs.validate(rings.load_builder(args.builder), where=args.builder)
    return _out(args, {"builder": args.builder, **r},
                f"{args.builder}: valid (worst device balance {r['worst_balance']:.2f})")


def _write_ring(args) -> int:
    from twin.cloud.swift import rings

    b = rings.load_builder(args.builder)
    out = Path(args.out) if args.out else rings.default_ring_path(args.builder)
    rings.write_ring(b, out, builder_path=args.builder, format_version=args.format_version)
    return _out(args, {"builder": args.builder, "ring": str(out), "format_version": args.format_version,
                       "parts": b.parts, "replicas": b.replicas},
                f"{args.builder}: ring written to {out} (format {args.format_version})")


def _parse_used(b, items: list[str], where: str) -> dict[int, float]:
    import math

    from twin.cloud.swift import verbs
    from twin.cloud.swift.rings import invalid

    used = {}
    for item in items:
        ref, sep, gib = item.rpartition("=")
        try:
            value = float(gib)
        except ValueError:
            value = math.nan
        if not sep or not (math.isfinite(value) and value >= 0):
            raise invalid(where, "--used-gib", f"'{item}' is not DEVICE=GIB with GIB >= 0")
        used[verbs.find_device(b, ref, where, field="--used-gib")["id"]] = value
    return used


def _analyze(args) -> int:
    from twin.cloud.swift import analyze, rings
    from twin.cloud.swift.rings import invalid

    b = rings.load_builder(args.builder)
    fill = analyze.DEFAULT_FILL if args.fill is None else args.fill
    if not 0 <= fill <= 1:
        raise invalid(args.builder, "--fill", f"{fill} must be between 0 and 1")
    failed = analyze.failed_devices(b, args.fail, where=args.builder)  # SPEC errors before any heavy work
    used = analyze.used_bytes(b, _parse_used(b, args.used_gib, args.builder), fill)
    data = {"builder": args.builder, **analyze.summary(b)}
    text = [f"{args.builder}: {data['parts']} partitions, {data['replicas']:g} replicas, {len(data['devices'])} "
            f"devices, balance {data['balance']:.2f}, dispersion {data['dispersion']:.2f}"]
    if args.fail:
        f = data["failure"] = analyze.failure_impact(b, failed, used, where=args.builder)
        by = ", ".join(f"{k} lost: {v}" for k, v in f["partitions_by_replicas_lost"].items())
        text += [f"failure of {' + '.join(args.fail)}: {len(failed)} device(s)",
                 f"  partition replicas lost   {f['part_replicas_lost']}",
                 f"  partitions degraded       {f['partitions_degraded']} ({by})",
                 f"  partitions all lost       {f['partitions_all_lost']}",
                 f"  to re-replicate           {analyze.fmt_bytes(f['bytes_to_replicate'])}"
                 + (f" (lost: {analyze.fmt_bytes(f['bytes_lost'])})" if f["bytes_lost"] else "")]
    if args.rebalance:
        r = data["rebalance"] = analyze.rebalance_impact(b, used, seed=args.seed, where=args.builder)
        text += [f"rebalance: {r['partitions_moved']} partitions ({r['part_replicas_moved']} replicas, "
                 f"{analyze.fmt_bytes(r['bytes_to_move'])}) move in {r['rounds']} round(s) of min_part_hours "
                 f"{r['min_part_hours']} (at least {r['hours_at_least']:g} h"
                 + (f", the first after {r['wait_before_first_round_h']:g} h" if r["wait_before_first_round_h"] else "")
                 + f"); then balance {r['balance_after']:.2f}, "
                 f"dispersion {r['dispersion_after']:.2f}"
                 + ("" if r["converged"] else f" (not settled after {analyze.MAX_ROUNDS} rounds)")]
        text += [f"  round {x['round']}: {x['partitions_moved']} partitions, {analyze.fmt_bytes(x['bytes_to_move'])}, "
                 f"balance {x['balance']:.2f}" for x in r["per_round"]]
    return _out(args, data, "\n".join(text))
