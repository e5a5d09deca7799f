"""Real backends for the live World: IPMI BMCs (pyghmi), libvirt domains, the PXE boot endpoint,
the hardware that bundles them (LiveHardware), the live world's liveness and fault targets for
drills (ops.py) and the virtual bare-metal lab.

Rules: only this package imports pyghmi or libvirt; everything here is reached by workflows only
through the kernel's ports (twin.kernel.ports), on a LiveEnvironment (twin.kernel.live).
"""
