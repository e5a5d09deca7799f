"""IPMI over LAN for physical and virtual BMCs: a blocking pyghmi client and the BmcPort on it."""
from real_backends.ipmi.client import IpmiClient, IpmiOptions
from real_backends.ipmi.port import LiveBmcPort

__all__ = ["IpmiClient", "IpmiOptions", "LiveBmcPort"]
