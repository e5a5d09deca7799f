"""Block storage: HP StoreVirtual VSA clusters under Cinder (docs/storage.md). Modules:

    config.py     the `storage: {vsa: ...}` section, cluster plans, the limits as located problems
    placement.py  Network RAID layouts: stripe groups on consecutive nodes, what they survive
    quorum.py     managers (default count rule, FOM, virtual manager) and strict-majority quorum
    volumes.py    volume states (online, degraded, offline, lost) from copies and quorum
    resync.py     resyncs as flows on the shared management network, with a per-cluster cap
    model.py      the cluster model on a World's clock, reacting to a Liveness
    cinder.py     volume types (LeftHand extra specs), capacity, create refusals
    workload.py   Cinder volume creates (Poisson) and deletes on a cluster
    metrics.py    the run's VSA metrics from the event log

The `run: operations` kind (twin/runs/operations.py) runs the model beside the HA control plane.
"""
