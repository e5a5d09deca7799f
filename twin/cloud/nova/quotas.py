"""Per-project quotas, as Nova's API checks them before a boot or resize reaches the scheduler.

Rules (nova/quota.py, Juno):
- Three limits per project: instances, cores, ram (MB). Defaults quota_instances 10,
  quota_cores 20, quota_ram 51200; -1 means unlimited. A project may have its own limits.
- A request is refused when usage + the request's amount would exceed a limit; nothing is taken
  then. A boot takes 1 instance and the flavor's vCPUs and MB; a delete or a lost VM gives them
  back; a resize takes the difference.
- A refusal names the first quota exceeded, in the order instances, cores, ram.
"""
from __future__ import annotations

UNLIMITED = -1
#: Juno's defaults (nova/quota.py: quota_instances, quota_cores, quota_ram).
NOVA_DEFAULT_LIMITS = (10, 20, 51200)
NAMES = ("instances", "cores", "ram")


class QuotaBook:
    def __init__(self, tenants: list[str], default=NOVA_DEFAULT_LIMITS, per_tenant: dict | None = None):
        per_tenant = per_tenant or {}
        self.limits = [tuple(per_tenant.get(t, default)) for t in tenants]
        self.usage = [[0, 0, 0] for _ in tenants]
        # a project whose every limit is -1 is never checked (the common case in capacity runs)
        self.checked = [any(x != UNLIMITED for x in lim) for lim in self.limits]

    def refuse(self, tenant: int, instances: int, cores: int, ram_mb: int) -> str | None:
        """The quota this request would exceed ("instances", "cores" or "ram"), or None."""
        if not self.checked[tenant]:
            return None
        used = self.usage[tenant]
        for k, (limit, amount) in enumerate(zip(self.limits[tenant], (instances, cores, ram_mb))):
            if limit != UNLIMITED and amount > 0 and used[k] + amount > limit:
                return NAMES[k]
        return None

    def take(self, tenant: int, instances: int, cores: int, ram_mb: int) -> None:
        used = self.usage[tenant]
        used[0] += instances
        used[1] += cores
        used[2] += ram_mb
