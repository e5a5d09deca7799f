"""The simulated BMC's Redfish flavour: a node whose pm_type is redfish answers with the
scenario's `redfish_latency_s` / `redfish_power_latency_s`, IPMI nodes keep `ipmi_*`; a scenario
says which protocol its nodes speak through its inventory (`generate: {power: redfish}` or
pm_type per node in instackenv.json). Checked against the analytic values: with fixed latencies
and one command at a time per BMC, every recorded BMC call lasts exactly its protocol's figure."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from twin.errors import BmcError
from twin.inventory import generate_inventory
from twin.inventory.model import PowerKind
from twin.kernel.ports import PowerAction
from twin.kernel.sim import make_sim_world
from twin.record.recorder import Recorder
from twin.runs.deploy import simulate
from twin.runs.scenario import load_scenario
from twin.scenario.schema import Timing

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "scenarios" / "lab-minimum.yaml"


def scenario_with(tmp_path, power: str, **timing):
    data = yaml.safe_load(LAB.read_text())
    data["inventory"]["generate"]["power"] = power
    data["timing"].update(timing)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path).scenario


def bmc_latencies(events) -> dict[str, set[float]]:
    calls = events[events.kind == "bmc"]
    return {name: {round(float(v), 9) for v in group.value} for name, group in calls.groupby("name")}


@pytest.mark.parametrize("power, status_s, power_s", [("Redfish", 0.7, 2.5), ("IPMI", 0.05, 0.25)])
def test_each_protocol_answers_with_its_own_latencies(tmp_path, power, status_s, power_s):
    sc = scenario_with(tmp_path, power, redfish_latency_s=0.7, redfish_power_latency_s=2.5,
                       ipmi_latency_s=0.05, ipmi_power_latency_s=0.25)
    from twin.inventory.generate import generate_from_spec

    inventory = generate_from_spec(sc.inventory.generate.model_dump())
    assert {n.bmc.kind for n in inventory.nodes} == {PowerKind(power)}
    result = simulate(sc, inventory, 1)
    assert result.summary["deployment"]["outcome"] == "success"
    latencies = bmc_latencies(result.events)
    assert latencies["power_status"] == {status_s}
    assert latencies["boot_pxe"] == {status_s} and latencies["boot_disk_persistent"] == {status_s}
    assert latencies["power_on"] == {power_s}  # every power command of a deployment changes the state


def test_a_mixed_inventory_gives_each_node_its_protocol(tmp_path):
    timing = Timing(redfish_latency_s=0.7, redfish_power_latency_s=2.5, ipmi_latency_s=0.05, ipmi_power_latency_s=0.25)
    ipmi = generate_inventory({"undercloud": 1, "control": 0, "swift": 0, "compute": 0}).nodes
    redfish = generate_inventory({"undercloud": 0, "control": 0, "swift": 0, "compute": 1}, power="redfish").nodes
    assert redfish[0].bmc.endpoint == f"https://{redfish[0].bmc.address}:443/redfish/v1/Systems/1"
    from twin.scenario.schema import Network
    from twin.sim.hardware import SimHardware

    nodes = ipmi + redfish
    world = make_sim_world(1, Recorder(), lambda w: SimHardware(w, nodes, timing, Network()))
    took = {}

    def read(node):
        start = world.now
        yield world.bmc(node).power_state()
        took[node.name] = world.now - start
        start = world.now
        yield world.bmc(node).power(PowerAction.ON)
        took[node.name + ":on"] = world.now - start

    world.run(until=world.all_of([world.process(read(n)) for n in nodes]))
    a, b = nodes[0].name, nodes[1].name
    assert took == {a: 0.05, a + ":on": 0.25, b: 0.7, b + ":on": 2.5}


def test_a_redfish_bmc_refuses_wrong_credentials_in_its_own_words(tmp_path):
    from twin.scenario.schema import Network
    from twin.sim.hardware import SimHardware

    node = generate_inventory({"undercloud": 1, "control": 0, "swift": 0, "compute": 0}, power="redfish").nodes[0]
    faults = [{"kind": "bmc_wrong_credentials", "node": node.name, "at_s": 0}]
    sc_faults = _faults(faults)
    world = make_sim_world(1, Recorder(), lambda w: SimHardware(w, [node], Timing(), Network(), sc_faults))

    def read():
        try:
            yield world.bmc(node).power_state()
        except BmcError as exc:
            return exc

    exc = world.run(until=world.process(read()))
    assert isinstance(exc, BmcError) and exc.reason == "credentials" and "HTTP 401" in str(exc)
    assert "RMCP+" not in str(exc) and "https://" in str(exc)


def _faults(items):
    from pydantic import TypeAdapter

    from twin.faults.spec import Fault

    return TypeAdapter(list[Fault]).validate_python(items)
