"""The HA control plane of a Helion overcloud (../shared/DOMAIN.md section 4) and what its users
experience. Modules, each a small state machine with its transitions as a data table:

    params.py      every figure, with its default and source (scenario keys `ha:`, `operations:`)
    liveness.py    what the model reads from a world: node up, reachability, services running
    checks.py      rise/fall health checks, event-driven (HAProxy backends, keepalived chk_haproxy)
    vrrp.py        keepalived: who holds the VIP, takeover after 3 x advert + skew
    galera.py      the primary component: weighted majority, suspect timeout, leave vs crash
    rabbit.py      the RabbitMQ cluster with pause_minority and net_ticktime
    singletons.py  cinder-volume, Sherpa, nova-consoleauth and their manual failover
    plane.py       the control plane: the above wired together, a request's path through the VIP
    clients.py     synthetic API clients (sampled requests with outcome and latency)
    operations.py  the `run: operations` kind: world, faults, plane, clients, summary, metrics
    summary.py     availability, outages, VIP moves, metrics and the digest, from the event log
    live.py        a drill on live hardware (its adapters: real_backends/ops.py)

The scenario schema includes params.py, which needs the scenario's distributions: this __init__
imports twin.scenario first, so that either package can be imported first.
"""
import twin.scenario  # noqa: F401,E402  (import order: see above)
