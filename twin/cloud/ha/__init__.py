"""The HA control plane of a Helion overcloud (docs/domain.md, the control plane) and what its
users experience. Modules, each a small state machine with its transitions as a data table:

    params.py      every figure, with its default and source (scenario key `ha:`)
    operating.py   the `operations:` section (duration, repair crews, clients), read by deploy too
    liveness.py    what the model reads from a world: node up, reachability, services running
    checks.py      rise/fall health checks, event-driven (HAProxy backends, keepalived chk_haproxy)
    vrrp.py        keepalived: who holds the VIP, takeover after 3 x advert + skew
    galera.py      the primary component: weighted majority, suspect timeout, leave vs crash
    rabbit.py      the RabbitMQ cluster with pause_minority and net_ticktime
    singletons.py  cinder-volume, Sherpa, nova-consoleauth and their manual failover
    plane.py       the control plane: the above wired together, a request's path through the VIP
    clients.py     synthetic API clients (sampled requests with outcome and latency)
    summary.py     availability, outages, VIP moves, metrics and the digest, from the event log

The `run: operations` kind that runs it lives in twin/runs/operations.py; the live world's
liveness and fault targets in real_backends/ops.py, the simulated world's in twin/sim/ops.py.
"""
