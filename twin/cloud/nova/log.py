"""The VM event log: one row per VM lifecycle step, kept as columns (cheap to append, a million
rows a simulated year), turned into the run's common event table only when asked.

Rules:
- A row is (time_s, action, vm, flavor, host, reason): numbers indexing the cloud's tables
  (tenants per vm, flavors, hosts, reasons); -1 = none. Every boot request gets a vm number,
  refused ones too, so a request and its VM share one name.
- Each action has a fixed effect on its row's host: +1 (the VM's flavor is claimed there),
  -1 (released there) or 0 (`DELTA`). A resize or a move is two rows (claim on the destination,
  release on the source), so replaying the deltas per host gives each host's usage at any time:
  the metrics (twin/cloud/capacity/metrics.py) are derived from this log alone.
- As event-table rows (twin/record/events.py, kind "vm"): subject = "<tenant>/vm<n>",
  name = action, detail = flavor, cause = host (rows on a host) or the reason (refusals),
  value = the row's delta (+1/-1), the image size in GiB for snapshots, else NaN.
"""
from __future__ import annotations

from array import array

import numpy as np
import pandas as pd

ACTIONS = ("boot", "delete", "blocked", "quota", "failed", "build-retry", "resize", "resize-from", "resize-failed",
           "migrate", "migrate-from", "migrate-failed", "migrate-abort", "evacuate", "evacuate-from", "lost",
           "suspend", "resume", "snapshot", "down", "up")
(BOOT, DELETE, BLOCKED, QUOTA, FAILED, BUILD_RETRY, RESIZE, RESIZE_FROM, RESIZE_FAILED, MIGRATE, MIGRATE_FROM,
 MIGRATE_FAILED, MIGRATE_ABORT, EVACUATE, EVACUATE_FROM, LOST, SUSPEND, RESUME, SNAPSHOT, DOWN,
 UP) = range(len(ACTIONS))
CODE = {name: i for i, name in enumerate(ACTIONS)}

DELTA = np.zeros(len(ACTIONS), dtype=np.int8)
DELTA[[BOOT, RESIZE, MIGRATE, EVACUATE]] = 1
DELTA[[DELETE, RESIZE_FROM, MIGRATE_FROM, MIGRATE_ABORT, EVACUATE_FROM, LOST]] = -1
#: Outcomes of a boot request (one of these per request, at its time).
REQUEST_OUTCOMES = (BOOT, BLOCKED, QUOTA, FAILED)


class VmLog:
    def __init__(self):
        self.time = array("d")
        self.action = array("b")
        self.vm = array("q")
        self.flavor = array("h")
        self.host = array("i")
        self.reason = array("h")
        self.vm_tenant = array("i")  # tenant number per vm number
        self.reasons: list[str] = []
        self._reason_index: dict[str, int] = {}
        self.snapshot_gib: dict[int, float] = {}  # row number -> image size

    def __len__(self) -> int:
        return len(self.time)

    def new_vm(self, tenant: int) -> int:
        self.vm_tenant.append(tenant)
        return len(self.vm_tenant) - 1

    def reason_code(self, text: str) -> int:
        code = self._reason_index.get(text)
        if code is None:
            code = self._reason_index[text] = len(self.reasons)
            self.reasons.append(text)
        return code

    def add(self, t: float, action: int, vm: int, flavor: int, host: int = -1, reason: int = -1) -> None:
        self.time.append(t)
        self.action.append(action)
        self.vm.append(vm)
        self.flavor.append(flavor)
        self.host.append(host)
        self.reason.append(reason)

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays (no copy of the data beyond numpy's view)."""
        return {
            "time_s": np.frombuffer(self.time, dtype=np.float64) if len(self.time) else np.zeros(0),
            "action": np.frombuffer(self.action, dtype=np.int8) if len(self.action) else np.zeros(0, np.int8),
            "vm": np.frombuffer(self.vm, dtype=np.int64) if len(self.vm) else np.zeros(0, np.int64),
            "flavor": np.frombuffer(self.flavor, dtype=np.int16) if len(self.flavor) else np.zeros(0, np.int16),
            "host": np.frombuffer(self.host, dtype=np.int32) if len(self.host) else np.zeros(0, np.int32),
            "reason": np.frombuffer(self.reason, dtype=np.int16) if len(self.reason) else np.zeros(0, np.int16),
        }

    def frame(self, tenants: list[str], flavors: list[str], hosts: list[str]) -> pd.DataFrame:
        """The rows in the event table's columns (without seq; see module docstring)."""
        a = self.arrays()
        n = len(a["time_s"])
        vm_tenant = np.frombuffer(self.vm_tenant, dtype=np.int32) if len(self.vm_tenant) else np.zeros(0, np.int32)
        tenant_names = np.array(tenants, dtype=object)
        subject = [f"{t}/vm{v}" for t, v in zip(tenant_names[vm_tenant[a["vm"]]] if n else [], a["vm"].tolist())]
        flavor_names = np.array(list(flavors) + [""], dtype=object)
        detail = flavor_names[a["flavor"]] if n else np.zeros(0, dtype=object)
        host_names = np.array(list(hosts) + [""], dtype=object)
        reason_names = np.array(self.reasons + [""], dtype=object)
        cause = np.where(a["host"] >= 0, host_names[a["host"]], reason_names[a["reason"]]) if n else detail
        value = DELTA[a["action"]].astype(np.float64)
        value[value == 0] = np.nan
        for row, gib in self.snapshot_gib.items():
            value[row] = gib
        return pd.DataFrame({
            "time_s": a["time_s"].copy(),
            "kind": "vm",
            "subject": subject,
            "name": np.array(ACTIONS, dtype=object)[a["action"]] if n else np.zeros(0, dtype=object),
            "detail": detail,
            "cause": cause,
            "value": value,
        })
