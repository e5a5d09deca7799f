"""Simulated hardware: the shared management network, machines with BIOS, BMCs, PXE."""
