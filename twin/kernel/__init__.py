"""The kernel: the World interface that workflows see, and its simulated implementation.

Workflows import from here (World, Interrupt, WaitTimeout, ports), never simpy or a backend.
"""
from twin.kernel.ports import BmcPort, BootDevice, BootPort, Hardware, PowerAction
from twin.kernel.rng import Streams
from twin.kernel.world import Interrupt, WaitTimeout, World

__all__ = ["BmcPort", "BootDevice", "BootPort", "Hardware", "Interrupt", "PowerAction", "Streams",
           "WaitTimeout", "World"]
