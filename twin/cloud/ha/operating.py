"""The `operations:` section of a scenario: an already-deployed cloud, operating (for how long,
who repairs it, which synthetic clients call it). Read by the deploy kind too (the operator's
repairs of its faults), so it lives apart from the HA figures (params.py), whose models a
deployment does not build.

Rules: as params.py (every figure a parameter with a default and its source; unknown keys are
errors).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from twin.scenario.base import SectionModel

YEAR_S = 365 * 86400.0

#: The API services users call through the VIP (the synthetic clients' targets).
API_SERVICES = ("keystone", "nova", "neutron", "glance", "cinder", "swift")


class Clients(SectionModel):
    """Synthetic API clients: each request goes through the VIP and is recorded with its outcome
    and latency. For drills; a year of them is too many events (leave `clients` out: the
    availability is computed exactly from the services' up/down intervals anyway)."""

    rate_per_s: float = Field(1.0, gt=0, description="requests per second, per service")
    services: list[Literal["keystone", "nova", "neutron", "glance", "cinder", "swift"]] = Field(
        default_factory=lambda: list(API_SERVICES))
    sources: int = Field(12, ge=1, le=4096, description="distinct client addresses (balance source pins each)")
    arrivals: Literal["poisson", "fixed"] = "poisson"
    timeout_s: float = Field(30.0, gt=0)  # *inferred*: a client's connect timeout to the VIP
    from_s: float = Field(0.0, ge=0)
    until_s: float | None = Field(None, gt=0)


class Operations(SectionModel):
    """An already-deployed cloud, operating: for how long, who repairs, who clients are."""

    duration_s: float = Field(YEAR_S, gt=0)  # one year
    repair_crews: int = Field(0, ge=0, description="shared repair crews (a FIFO queue); 0: every failure "
                                                    "is repaired independently")
    operator_response_s: float = Field(900.0, ge=0)  # *inferred*: on-call paged and at the console
    stay_off_after_power_loss: bool = True  # Helion hardware requirement (BIOS: stay off after power loss)
    probe_sources: int = Field(12, ge=1, le=1024,
                               description="client addresses over which a service's level (the share of "
                                           "requests that would succeed) is computed; 12 divides evenly "
                                           "over 1, 2, 3, 4 and 6 backends")
    clients: Clients | None = None
