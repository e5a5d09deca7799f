"""Drive the IPMI client the way a live run does, against BMCs that die, come back and never
answer, from many threads at once, for a while; then close every client. Used by
tests/live/test_live_ipmi_churn.py, which runs it in a child process under a generous overall
bound: a deadlock anywhere (pyghmi's session locks, a close or logout that waits for ever) shows
up as a child that never ends.

Usage: python tests/live/ipmi_churn.py ROUNDS [--seed S]
Prints one JSON line: commands answered, BmcErrors per reason, other exceptions, kills.

Rules: every BMC is a real IPMI server process (tests/live/bmc_server.py) on 127.0.0.1; the
"never answers" ports are bound UDP sockets nobody reads, and closed ports. Every process this
starts is killed before it exits (finally), also when interrupted.
"""
from __future__ import annotations

import json
import os
import random
import secrets
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from pydantic import SecretStr

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from twin.errors import BmcError  # noqa: E402
from twin.inventory.model import Bmc, PowerKind  # noqa: E402

from real_backends.ipmi.client import IpmiClient, IpmiOptions  # noqa: E402

SERVER = Path(__file__).with_name("bmc_server.py")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BmcProcess:
    """One real BMC server process on a fixed port, which can be killed and restarted."""

    def __init__(self, port: int, password: str):
        self.port, self.password, self.proc = port, password, None

    def start(self) -> None:
        env = dict(os.environ, TWIN_TEST_BMC_PASSWORD=self.password)
        self.proc = subprocess.Popen([sys.executable, str(SERVER), str(self.port)], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
        ready = selectors.DefaultSelector()
        ready.register(self.proc.stdout, selectors.EVENT_READ)
        line = self.proc.stdout.readline().decode().strip() if ready.select(timeout=30) else "no answer in 30 s"
        ready.close()
        if line != f"ready {self.port}":
            raise RuntimeError(f"BMC server on {self.port} did not start: {line!r}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
            self.proc.stdout.close()


def main(argv: list[str]) -> int:
    rounds = int(argv[0])
    rng = random.Random(int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 1)
    password = secrets.token_urlsafe(12)
    live = [BmcProcess(free_udp_port(), password) for _ in range(4)]
    silent = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    for s in silent:
        s.bind(("127.0.0.1", 0))  # bound, never read: the BMC that never answers
    closed = [free_udp_port() for _ in range(2)]  # nothing bound: ICMP port unreachable
    ports = [b.port for b in live] + [s.getsockname()[1] for s in silent] + closed
    options = IpmiOptions(timeout_s=2.0)
    answered, errors, other, kills = Counter(), Counter(), Counter(), 0
    guard = threading.Lock()
    try:
        for b in live:
            b.start()

        def worker(index: int, port: int, seed: int) -> None:
            wrng = random.Random(seed)
            bmc = Bmc(kind=PowerKind.IPMI, address="127.0.0.1", user="admin", password=SecretStr(password), port=port)
            client = IpmiClient(f"node-{index}", bmc, options)
            try:
                for _ in range(rounds):
                    try:
                        if wrng.random() < 0.5:
                            client.power_state()
                        else:
                            client.power(wrng.choice(["on", "off"]))
                        with guard:
                            answered[port] += 1
                    except BmcError as exc:
                        with guard:
                            errors[exc.reason] += 1
                    except Exception as exc:  # noqa: BLE001 - counted: the test asserts there are none
                        with guard:
                            other[f"{type(exc).__name__}: {exc}"] += 1
                    if wrng.random() < 0.2:
                        client.close()  # a new session next time, as a new run would make
            finally:
                client.close()

        threads = [threading.Thread(target=worker, args=(i, ports[i % len(ports)], rng.random()), daemon=True)
                   for i in range(3 * len(ports))]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            victim = rng.choice(live)  # a BMC dies mid-session and comes back
            time.sleep(rng.uniform(0.05, 0.4))
            victim.kill()
            kills += 1
            time.sleep(rng.uniform(0.0, 0.3))
            victim.start()
        for t in threads:
            t.join()
    finally:
        for b in live:
            b.kill()
        for s in silent:
            s.close()
    print(json.dumps({"answered": sum(answered.values()), "answered_ports": sorted(answered),
                      "live_ports": [b.port for b in live], "errors": dict(errors), "other": dict(other),
                      "kills": kills}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
