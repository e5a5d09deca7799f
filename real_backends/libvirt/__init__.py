"""Direct libvirt domain power and boot control (Helion's `VM` power management)."""
from real_backends.libvirt.power import LibvirtBmcPort, LibvirtPower, domain_macs

__all__ = ["LibvirtBmcPort", "LibvirtPower", "domain_macs"]
