"""The IPMI client under churn: many threads, BMCs killed mid-session and restarted, ports that
never answer (issue 13 item 9: pyghmi's global session locks deadlocked a live run when it was
called from a thread pool). Real BMC server processes on 127.0.0.1 (tests/live/bmc_server.py);
the churn runs in a child process under one generous overall bound, the only time in an assert."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from twin.inventory.model import Bmc, PowerKind

from real_backends.ipmi.client import IpmiClient, IpmiOptions

pytestmark = pytest.mark.live
HERE = Path(__file__).resolve().parent
OVERALL_BOUND_S = 400  # a run takes ~40 s here; a deadlock never ends


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_churning_fleet_never_hangs_the_client(seed):
    # Its own process group: a hung churn is killed with every BMC server it started.
    proc = subprocess.Popen([sys.executable, str(HERE / "ipmi_churn.py"), "12", "--seed", str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=HERE.parents[1],
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=OVERALL_BOUND_S)
    except subprocess.TimeoutExpired:
        out = None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # nothing of the group may outlive the test
        except ProcessLookupError:
            pass
        if proc.poll() is None:
            proc.communicate()
    if out is None:
        pytest.fail(f"the churn did not end within {OVERALL_BOUND_S} s: the IPMI client hung")
    assert proc.returncode == 0, err[-2000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["other"] == {}, result  # only BmcErrors, never a stray exception
    assert set(result["errors"]) <= {"timeout"}, result
    assert result["kills"] > 0
    assert result["answered_ports"] == sorted(result["live_ports"]), result  # every live BMC answered


def test_one_message_for_a_bmc_that_does_not_answer():
    """Whoever notices first (pyghmi's retries, the client's bound, a re-login), a silent BMC is
    reported the same way."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        bmc = Bmc(kind=PowerKind.IPMI, address="127.0.0.1", user="admin", password=SecretStr("s3cret-x"), port=port)
        messages = set()
        for timeout_s in (1.0, 3.0):
            client = IpmiClient("n1", bmc, IpmiOptions(timeout_s=timeout_s))
            for call in (client.power_state, lambda c=client: c.power("on")):
                with pytest.raises(Exception) as info:
                    call()
                messages.add(str(info.value).replace(f"{timeout_s:g} s", "T s").replace("power on", "power status"))
            client.close()
    assert messages == {f"node n1: BMC 127.0.0.1:{port}: timeout: power status: no answer within T s"}
