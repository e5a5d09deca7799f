"""Operator logic written once for both worlds: Ironic provision states, the conductor's power
driver, per-node deployment and the TripleO phases. Sees only the kernel's World."""
