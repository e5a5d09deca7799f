"""One lab BMC process: a virtualbmc VirtualBMC for one libvirt guest, on 127.0.0.1:PORT (UDP).

Usage (by the lab only): python -m real_backends.lab.bmcd LAB_DIR/bmc/N.json

Rules of this file:
- One process per guest, as vbmcd does (vbmcd itself fails to daemonize on the lab machines, see
  docs/lab-notes.md): a BMC that crashes or is killed is one unreachable BMC, as in a real fleet.
- The config file (mode 0600, written by the lab) holds the domain, port, user, password and
  libvirt URI. The password is never logged or printed; argv carries only the file's path (and
  the lab directory in it, which is how `lab down` finds stray BMC processes of its lab).
- It binds 127.0.0.1 only. It prints "ready <port>" on stdout once the socket is bound, then
  points stdout at /dev/null, so the lab can wait for it and then walk away.
- The BMC adds chassis power cycle (off, then on) to virtualbmc, which answers it with
  "invalid data field": a real BMC supports it and Ironic's reboot may use it.
- `busy_s: S` in the config: for S seconds after the BMC starts and after each power change,
  chassis power commands are refused with completion code 0xC0 (node busy), as real BMCs refuse
  commands during a power transition (`twin lab up --bmc-busy S`); each refusal is a log line.
- virtualbmc reads its configuration from VIRTUALBMC_CONFIG; the lab points it (and HOME) at the
  lab directory so that labs never share state with each other or with ~/.vbmc.
- pyghmi 1.6's BMC server dies when a sessionless packet (a client's retransmitted session
  set-up, seen under load) lands in an open server session's queue: `Session.process_pktqueue`
  calls `sessionless_data`, which only the server has (AttributeError, the process ends and the
  node's BMC is gone). `_survive_sessionless_packets` gives the session that method, handing
  the packet to its server, as the server's own queue does.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time

#: IPMI completion code "node busy" (IPMI 2.0 table 5-2), what virtualbmc answers when libvirt fails.
NODE_BUSY = 0xC0


def _survive_sessionless_packets() -> None:
    """See the module docstring (pyghmi 1.6.19: ServerSession lacks sessionless_data)."""
    from pyghmi.ipmi.private import serversession

    if not hasattr(serversession.ServerSession, "sessionless_data"):
        serversession.ServerSession.sessionless_data = \
            lambda session, data, sockaddr: session.bmc.sessionless_data(data, sockaddr)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m real_backends.lab.bmcd CONFIG.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as fh:
        conf = json.load(fh)
    address = conf.get("address", "127.0.0.1")
    if address != "127.0.0.1":
        print("lab bmc: refusing to bind anything but 127.0.0.1", file=sys.stderr)
        return 2

    from virtualbmc.vbmc import VirtualBMC

    _survive_sessionless_packets()

    busy_s = float(conf.get("busy_s", 0))

    class LabBMC(VirtualBMC):
        busy_until = time.monotonic() + busy_s  # a BMC that has just started is in a transition too

        def _in_transition(self) -> bool:
            if time.monotonic() < self.busy_until:
                print(f"lab bmc for {conf['domain']}: busy: power command refused with 0xC0",
                      file=sys.stderr, flush=True)
                return True
            return False

        def _changed(self, rc):
            if not rc:
                self.busy_until = time.monotonic() + busy_s
            return rc

        def power_on(self):
            return NODE_BUSY if self._in_transition() else self._changed(super().power_on())

        def power_off(self):
            return NODE_BUSY if self._in_transition() else self._changed(super().power_off())

        def power_reset(self):
            return NODE_BUSY if self._in_transition() else self._changed(super().power_reset())

        def power_cycle(self):
            if self._in_transition():
                return NODE_BUSY
            rc = VirtualBMC.power_off(self)
            if rc:
                return rc
            return self._changed(VirtualBMC.power_on(self))

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        bmc = LabBMC(conf["user"], conf["password"], int(conf["port"]), address,
                     conf["domain"], conf.get("uri", "qemu:///system"))
    except OSError as exc:
        print(f"lab bmc: cannot bind {address}:{conf['port']}/udp: {exc.strerror}", file=sys.stderr)
        return 3
    del conf["password"]
    try:
        print(f"ready {conf['port']}", flush=True)
    except BrokenPipeError:
        pass  # `lab up` died while waiting for us: serve anyway; `up` again or `down` finds us
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    print(f"lab bmc for {conf['domain']} listening on {address}:{conf['port']}/udp", file=sys.stderr, flush=True)
    bmc.listen(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
