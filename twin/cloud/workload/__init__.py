"""Workloads for the Nova model: who asks for VMs, when, of which flavor, for how long.

    config.py     the scenario's `workload:` section (tenants, traces)
    arrivals.py   RateProfile (daily and weekly cycles, monthly growth), thinning, TenantProcess
    sampling.py   vectorised draws from the Distribution union and its equilibrium residual
    trace.py      read_trace: CSV / Parquet replay input, every problem located
"""
