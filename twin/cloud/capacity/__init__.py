"""The capacity model: a workload on the Nova model of the compute hosts, measured.

    config.py    the scenario's `capacity:` section (hosts, outages, the plan's options)
    run.py       CapacityRun: the Nova cloud, the tenants' demand, host failures; capacity_problems
    faults.py    the `faults:` that stop compute nodes, wired to Nova's host_failed/host_recovered
    metrics.py   blocking, utilisation, stranded RAM, headroom and evacuation, from the VM log

The `run: capacity` kind that runs it is twin/runs/capacity.py; `twin plan capacity` (twin/plan/)
searches host counts with it.
"""
