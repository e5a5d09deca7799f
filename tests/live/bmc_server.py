"""A stand-alone IPMI BMC for the live tests: pyghmi's BMC server (the one virtualbmc is built on)
with its chassis kept in memory instead of a libvirt guest, so that tests can start, kill and
restart many BMCs in a second without guests.

Usage: python tests/live/bmc_server.py PORT
  The password comes from the environment (TWIN_TEST_BMC_PASSWORD), never from argv; the user is
  "admin". It binds 127.0.0.1:PORT/udp only and prints "ready PORT" once bound.

Rules: real IPMI over RMCP+ on loopback (pyghmi's server), nothing faked on the client's side.
"""
from __future__ import annotations

import os
import signal
import sys


def main(argv: list[str]) -> int:
    port = int(argv[0])
    from pyghmi.ipmi import bmc

    class MemoryBmc(bmc.Bmc):
        power = "off"
        bootdev = "default"

        def get_power_state(self):
            return self.power

        def _set(self, state):
            self.power = state
            return 0

        def power_on(self):
            return self._set("on")

        def power_off(self):
            return self._set("off")

        def power_cycle(self):
            return self._set("on")

        def power_reset(self):
            return self._set("on")

        def get_boot_device(self):
            return self.bootdev

        def set_boot_device(self, bootdevice):
            self.bootdev = bootdevice

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server = MemoryBmc({"admin": os.environ["TWIN_TEST_BMC_PASSWORD"]}, port=port, address="127.0.0.1")
    print(f"ready {port}", flush=True)
    server.listen(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
