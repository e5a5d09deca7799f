"""BMCs that say "busy" (issue 12 item 5): real BMCs refuse a power command during a power
transition with IPMI completion code 0xC0 (node busy). The lab's BMCs do so on request
(`lab up --bmc-busy S`: for S seconds after each power change); the live client asks again
within its bound, and a BMC still busy at the bound is a retryable timeout for the conductor
(twin/workflows/power.py retries those within `ipmi_retry_timeout_s`). ipmitool is the
independent witness of the power state; the BMC's log of the refusals of what it refused."""
from __future__ import annotations

import pytest

from twin.errors import BmcError
from twin.workflows.power import RETRYABLE

from real_backends.ipmi.client import IpmiClient, IpmiOptions

from test_live_lab import run_ipmitool

pytestmark = pytest.mark.live
REFUSED = "busy: power command refused with 0xC0"
BUSY_S = 4.0


def test_a_busy_bmc_is_asked_again_and_a_lasting_one_is_retryable(fresh_lab, ipmitool):
    lab = fresh_lab("bz")
    lab.up(1, bmc_busy_s=BUSY_S, owned=True)
    node = lab.nodes()[0]
    log = lab.dir / "logs" / "bmc-0.log"
    patient = IpmiClient(node.name, node.bmc, IpmiOptions(timeout_s=3 * BUSY_S, busy_retry_s=0.3))
    quick = IpmiClient(node.name, node.bmc, IpmiOptions(timeout_s=1.5, busy_retry_s=0.3))
    try:
        # The BMC has just started (a transition): refused, asked again, then done.
        refused = log.read_text().count(REFUSED)
        patient.power("on")
        assert log.read_text().count(REFUSED) > refused
        assert run_ipmitool(ipmitool, lab, node.bmc.port, "power", "status")[0] == "Chassis Power is on"

        # Busy again after the change, for longer than this client's bound: it asks, then reports
        # a timeout naming the cause, which the conductor retries; the power has not changed.
        refused = log.read_text().count(REFUSED)
        with pytest.raises(BmcError) as info:
            quick.power("off")
        assert info.value.reason in RETRYABLE and "0xC0" in str(info.value), str(info.value)
        assert log.read_text().count(REFUSED) > refused
        assert run_ipmitool(ipmitool, lab, node.bmc.port, "power", "status")[0] == "Chassis Power is on"

        patient.power("off")  # waits the transition out within its bound
        assert run_ipmitool(ipmitool, lab, node.bmc.port, "power", "status")[0] == "Chassis Power is off"
    finally:
        patient.close()
        quick.close()
