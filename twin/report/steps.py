"""Per-node deployment steps measured from an event log, the same way for every world.

Rules: a step is defined only by events both worlds record (Ironic states, the conductor's BMC
commands, the two callbacks, the image write), so a simulated and a live run are measured alike,
and the same way for both Ironic releases (twin/workflows/states.py):
    register     node-create -> verified: Kilo enroll -> available; Juno has no state for a
                 verified node, so NOSTATE -> the first acknowledged power status (the BMC check)
    queued       verified -> deploying (waiting for its Heat stack)
    pxe_boot     first power_on acknowledged -> deploy callback (POST, DHCP, ramdisk)
    image_write  deploy callback -> image written
    reboot       image written -> second power_on acknowledged (boot device, power cycle)
    local_boot   second power_on acknowledged -> local-boot callback (POST, OS)
    deploy       deploying -> active (the whole deploy)
A step a node never completed is absent. Only the last installation attempt counts.
"""
from __future__ import annotations

import pandas as pd

from twin.record.provision import ACTIVE, AVAILABLE, DEPLOY_FROM, DEPLOYING, ENROLLED

STEPS = ("register", "queued", "pxe_boot", "image_write", "reboot", "local_boot", "deploy")


def _last_attempt(events: pd.DataFrame) -> pd.DataFrame:
    marks = events[(events.kind == "run") & (events.name == "attempt")]
    return events if marks.empty else events[events.seq >= int(marks.seq.iloc[-1])]


def state_sequences(events: pd.DataFrame) -> dict[str, list[str]]:
    """Each node's provision states in order (last attempt), as Ironic reported them."""
    states = _last_attempt(events)
    states = states[states.kind == "state"]
    return {node: list(group.name) for node, group in states.groupby("subject", sort=True)}


def node_steps(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (node, step): start_s, end_s, duration_s."""
    rows = []
    ev = _last_attempt(events)
    ev = ev[ev.kind.isin(["state", "bmc", "boot"])]
    for node, group in ev.groupby("subject", sort=True):
        marks: dict[str, float] = {}
        power_ons = []
        for kind, name, detail, t in zip(group.kind, group.name, group.detail, group.time_s):
            if kind == "state":
                if name in ENROLLED:
                    marks.setdefault("enrolled", t)
                elif name == AVAILABLE:
                    marks["available"] = t
                elif name == DEPLOYING and detail in DEPLOY_FROM:
                    marks["deploying"] = t
                elif name == ACTIVE:
                    marks["active"] = t
            elif kind == "bmc" and name == "power_on" and detail == "ok" and "deploying" in marks:
                power_ons.append(t)
            elif kind == "bmc" and name == "power_status" and detail == "ok" and "enrolled" in marks:
                marks.setdefault("power_status_ok", t)
            elif kind == "boot" and name in ("deploy_callback", "image_written", "local_boot_callback"):
                marks.setdefault(name, t)
        registered = marks.get("available", marks.get("power_status_ok"))
        if registered is not None:
            marks["registered"] = registered
        if power_ons:
            marks["power_on_1"] = power_ons[0]
        if len(power_ons) > 1:
            marks["power_on_2"] = power_ons[-1]
        for step, (a, b) in _BOUNDS.items():
            if a in marks and b in marks:
                rows.append((node, step, marks[a], marks[b], marks[b] - marks[a]))
    return pd.DataFrame(rows, columns=["node", "step", "start_s", "end_s", "duration_s"])


_BOUNDS = {
    "register": ("enrolled", "registered"),
    "queued": ("registered", "deploying"),
    "pxe_boot": ("power_on_1", "deploy_callback"),
    "image_write": ("deploy_callback", "image_written"),
    "reboot": ("image_written", "power_on_2"),
    "local_boot": ("power_on_2", "local_boot_callback"),
    "deploy": ("deploying", "active"),
}
