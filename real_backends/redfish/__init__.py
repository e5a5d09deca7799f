"""Redfish BMCs for the live backend: a blocking client on sushy (client.py) and the kernel's
BmcPort on it (port.py)."""
