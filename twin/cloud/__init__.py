"""Service models of the cloud, running on the World's clock over whichever hardware the world
has: `ha` (the controllers' HA control plane: VRRP, HAProxy, Galera, RabbitMQ, singletons, and
the API clients that measure it); Nova and the workload live beside it.

Rule: a service model sees the world only through the World (clock, random streams, recorder)
and a small liveness interface (twin/cloud/ha/liveness.py); it never touches simulated or real
hardware directly, so the same model runs on a simulated cloud and on the live lab.
"""
