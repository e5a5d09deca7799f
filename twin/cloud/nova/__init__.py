"""The Nova compute model: hosts as Nova's scheduler sees them, flavors, the filter scheduler
(filters and weighers as data), quotas, and the cloud that boots, moves and loses VMs.

    flavors.py    Flavor, Catalogue, M1_FLAVORS (docs/domain.md s7)
    hosts.py      HostState (Juno's host_state figures), host_specs (inventory -> hosts)
    request.py    RequestSpec, ServerGroup
    filters.py    FILTERS, DEFAULT_FILTERS: Juno's defaults + Core, Disk, NumInstances
    weighers.py   RAMWeigher (spread or stack by the multiplier's sign), normalize
    scheduler.py  Scheduler: select (fast, same answer) and select_nova (Juno's algorithm)
    quotas.py     QuotaBook (per-project instances, cores, ram)
    cloud.py      NovaCloud: boot, delete, resize, suspend/resume, snapshot, live_migrate,
                  evacuate, host_failed / host_recovered, drain, maintain
    log.py        VmLog: the columnar VM event log every metric is derived from
    config.py     the scenario's `nova:` section
"""
