"""The live boot endpoint: iPXE scripts per MAC and stage, and the callbacks of booting nodes."""
from real_backends.pxe.endpoint import BootEndpoint, BootEndpointError, normalize_mac

__all__ = ["BootEndpoint", "BootEndpointError", "normalize_mac"]
