"""Workloads for the Nova model: who asks for VMs, when, of which flavor, for how long.

    config.py     the scenario's `workload:` section (tenants, traces)
    arrivals.py   RateProfile (daily and weekly cycles, monthly growth), thinning, TenantProcess
    sampling.py   vectorised draws from the Distribution union and its equilibrium residual
    trace.py      read_trace: CSV / Parquet replay input, every problem located
"""

# The scenario schema imports this package's config.py (its section of a scenario), and config.py
# needs the scenario's Distribution: load the scenario package first, whichever is imported first.
import twin.scenario  # noqa: E402,F401
