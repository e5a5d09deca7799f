"""The scenario file's schema: what a user may write in `scenarios/*.yaml`.

Rules: every figure has a default taken from the real system (its source in the comment, or
*inferred* where it is our own estimate) and may be overridden; unknown keys are errors (a typo
must not silently fall back to a default). This module holds the sections every run shares; the
whole `Scenario` (with each run kind's sections) is composed in twin/runs/scenario.py, and
`twin schema` prints its JSON Schema. Every number is finite (`.inf` and `.nan` are refused:
twin/scenario/base.py) and every size and count that drives the cost of a run has an upper
bound, named below with its reason (twin/scenario/bounds.py checks the costs that depend on
several sections, such as a workload's requests over a capacity run).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from twin.kernel.rng import MAX_SEED  # a seed fits a signed 64-bit column
from twin.scenario.base import SectionModel
from twin.scenario.distributions import Distribution, fixed, lognormal, uniform

#: Nodes of one role a `generate:` may ask for. The largest cloud the benchmarks build is 10,000
#: nodes; a million took 39 s and 950 MB before validation said "at most 30". The limits profile
#: (at most 100 rows in every profile) is checked before generating (twin/scenario/bounds.py).
MAX_GENERATED_PER_ROLE = 100_000
#: Installation attempts under `policy: helion`: each attempt is a whole deployment (1-2 h of
#: simulated time and its events); an operator restarts a failing installation a few times.
#: Measured: 100 failing attempts of the reference cloud take about 2 minutes and 230 MB.
MAX_ATTEMPTS = 100
#: Ironic's retry_timeout for one IPMI command: retries back off to one every 10 s, so an hour is
#: ~360 tries per command and node; a longer window only makes a dead BMC cost more events.
MAX_IPMI_RETRY_TIMEOUT_S = 3600.0


class HardwareSpec(SectionModel):
    cpus: int = Field(12, gt=0)
    memory_mib: int = Field(65536, gt=0)
    disk_gib: int = Field(2048, gt=0)


class GeneratedInventory(SectionModel):
    """A synthetic inventory: how many nodes of each role, all of one hardware profile."""

    undercloud: int = Field(1, ge=0, le=MAX_GENERATED_PER_ROLE)
    control: int = Field(3, ge=0, le=MAX_GENERATED_PER_ROLE)
    swift: int = Field(2, ge=0, le=MAX_GENERATED_PER_ROLE)
    vsa: int = Field(0, ge=0, le=MAX_GENERATED_PER_ROLE)
    vsa_ao: int = Field(0, ge=0, le=MAX_GENERATED_PER_ROLE)
    so_swift_proxy: int = Field(0, ge=0, le=MAX_GENERATED_PER_ROLE)
    so_swift_storage: int = Field(0, ge=0, le=MAX_GENERATED_PER_ROLE)
    compute: int = Field(1, ge=0, le=MAX_GENERATED_PER_ROLE)
    hardware: HardwareSpec = HardwareSpec()
    # the power controller every generated node has: the BMC protocol a simulated run models
    # (IPMI or Redfish latencies, twin/sim/bmc.py); VM and HP_iLO4 are driven over IPMI there
    power: Literal["IPMI", "VM", "HP_iLO4", "Redfish"] = "IPMI"


class RoleCounts(SectionModel):
    """How many nodes of each optional role the installer assigns to rows without a role
    (Helion fills Undercloud 1, Control 3, Swift 2 first; these are the rest, before Compute)."""

    vsa: int = Field(0, ge=0, le=MAX_GENERATED_PER_ROLE)
    vsa_ao: int = Field(0, ge=0, le=MAX_GENERATED_PER_ROLE)
    so_swift_proxy: int = Field(0, ge=0, le=MAX_GENERATED_PER_ROLE)
    so_swift_storage: int = Field(0, ge=0, le=MAX_GENERATED_PER_ROLE)


class InventorySource(SectionModel):
    """Either `file:` (baremetal.csv or instackenv.json, relative to the scenario) or `generate:`."""

    file: str | None = None
    generate: GeneratedInventory | None = None
    assign: RoleCounts = RoleCounts()

    @model_validator(mode="after")
    def _one_source(self):
        if (self.file is None) == (self.generate is None):
            raise ValueError("give exactly one of 'file' or 'generate'")
        return self


class Timing(SectionModel):
    """Durations in seconds. Distributions: a number, or {dist: lognormal, median, sigma},
    {dist: uniform, low, high}, {dist: normal, mean, sd}, {dist: exponential, mean}."""

    # IPMI, as Ironic's ipmitool driver (Juno) drives it
    ipmi_latency_s: Distribution = lognormal(0.3, 0.4)  # *inferred*: one ipmitool lanplus call
    ipmi_power_latency_s: Distribution = lognormal(0.6, 0.4)  # *inferred*: chassis power on/off/cycle take longer
    ipmi_call_timeout_s: float = Field(10.0, gt=0)  # *inferred*: ipmitool -N 1 -R 4 retransmits
    ipmi_retry_timeout_s: float = Field(60.0, gt=0, le=MAX_IPMI_RETRY_TIMEOUT_S)  # Ironic [ipmi] retry_timeout
    ipmi_min_command_interval_s: float = Field(5.0, ge=0)  # Ironic [ipmi] min_command_interval
    power_timeout_s: float = Field(60.0, gt=0)  # power state polled 1,1,4,9,16.. s, ERROR after 60 s
    # Redfish BMCs (nodes with pm_type redfish): HTTPS to the BMC's web server; the conductor's
    # spacing, bound and retries above apply to both protocols (twin/workflows/power.py)
    redfish_latency_s: Distribution = lognormal(0.5, 0.5)  # *inferred*: one HTTPS GET/PATCH to a BMC
    redfish_power_latency_s: Distribution = lognormal(1.0, 0.4)  # *inferred*: ComputerSystem.Reset answered after the change
    # the machine
    post_s: Distribution = lognormal(90.0, 0.15)  # *inferred*: server POST 1-2 min
    dhcp_s: Distribution = uniform(1.0, 4.0)  # *inferred*
    dhcp_timeout_s: float = Field(10.0, gt=0)  # iPXE DHCP timeout ~10 s (PXE spec: 32 s)
    ramdisk_boot_s: Distribution = lognormal(40.0, 0.2)  # *inferred*: deploy ramdisk to callback
    image_write_overhead_s: Distribution = lognormal(20.0, 0.2)  # *inferred*: iSCSI login, partition
    os_boot_s: Distribution = lognormal(60.0, 0.2)  # *inferred*: disk boot to the OS signalling
    # a lab's guests share one host's CPU: this many guests' worth of it; the deploy ramdisk's and
    # the OS's boots of n guests at once each run at min(1, capacity/n) of their lone speed
    # (twin/sim/hostcpu.py). None: every machine has its own CPU, as real servers do
    lab_host_capacity: float | None = Field(None, gt=0)
    # Ironic conductor (Juno defaults)
    deploy_callback_timeout_s: float = Field(1800.0, gt=0)  # [conductor] deploy_callback_timeout
    local_boot_timeout_s: float = Field(1800.0, gt=0)  # *inferred*: same bound for the OS to come up
    check_provision_state_interval_s: float = Field(60.0, gt=0)  # [conductor] check_provision_state_interval
    register_s: Distribution = fixed(2.0)  # *inferred*: ironic node-create + port-create
    schedulable_after_s: float = Field(60.0, ge=0)  # "a newly registered node takes ~60 s"
    # TripleO / Helion installer
    seed_install_s: Distribution = lognormal(600.0, 0.1)  # "seed VM install ~10 min"
    undercloud_configure_s: Distribution = lognormal(1500.0, 0.15)  # *inferred* from 60-90 min total
    overcloud_control_configure_s: Distribution = lognormal(900.0, 0.15)  # *inferred*
    overcloud_compute_configure_s: Distribution = lognormal(600.0, 0.15)  # *inferred*: incl. demo VM
    heat_stack_timeout_s: float = Field(3600.0, gt=0)  # Heat stack timeout: 60 min (240 on slow hw)


class Network(SectionModel):
    management_gbps: float = Field(10.0, gt=0)  # the shared 10 GbE management network
    nic_gbps: float = Field(10.0, gt=0)  # each node's PXE NIC (Helion: >= 1x10 GbE with PXE)
    deploy_ramdisk_mib: float = Field(250.0, gt=0)  # *inferred*: deploy kernel + ramdisk
    image_gib: float = Field(10.0, gt=0)  # *inferred*: a 100 Mb/s NIC adds ~15 min (TripleO demo)


class TimingProfile(SectionModel):
    """A file of timing and network figures that overrides a scenario's (`twin run --timing`),
    such as `twin calibrate` fits to a live run."""

    timing: Timing | None = None  # validated here (errors at this file's lines); merged as written
    network: Network | None = None


class ScenarioBase(SectionModel):
    """What every scenario has, whatever it runs. The whole scenario adds each run kind's
    sections to this (twin/runs/scenario.py), so this package imports nothing above it."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: int = Field(42, ge=0, le=MAX_SEED)
    inventory: InventorySource
    limits_profile: str = "kvm-30x40"
    acknowledge: list[str] = Field(default_factory=list, description=(
        "known warnings this scenario accepts, by the code printed after them (e.g. vsa-few-nodes): "
        "they are not printed again"))
    ironic_release: Literal["juno", "kilo"] = Field(
        "juno", description="Ironic's provision states: juno (Helion 1.x: NOSTATE -> deploying -> wait call-back "
        "-> active) or kilo (enroll -> manageable -> available -> deploying...); twin/workflows/states.py")
    timing: Timing = Timing()
    network: Network = Network()
