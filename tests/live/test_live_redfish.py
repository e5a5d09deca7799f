"""A Redfish lab for real: libvirt guests under QEMU/TCG behind one sushy-tools emulator
(`twin lab up --bmc redfish`) on 127.0.0.1 with HTTP basic auth, driven by the twin's Redfish
client (sushy) through the shared conductor, with curl as the independent witness of the
emulator's view and libvirt's of the guests'. The same deployment workflow as IPMI labs reaches
active. No mocks; every lab made here is taken down (owned labs, conftest.py)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import skip_or_fail, unique_name
from pydantic import SecretStr

from twin.errors import BmcError
from twin.inventory.model import Inventory, PowerKind
from twin.kernel.live import make_live_world
from twin.kernel.ports import PowerAction
from twin.record.recorder import Recorder

pytestmark = pytest.mark.live
REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "lab-minimum.yaml"
# Ironic Juno's provision states (the scenario default, as in tests/live/test_live_deploy.py)
HAPPY = ["None", "deploying", "wait call-back", "deploying", "active"]


@pytest.fixture(scope="module")
def redfish_host(lab_host):
    try:
        import sushy  # noqa: F401
        import sushy_tools  # noqa: F401
    except ImportError:
        skip_or_fail("sushy and sushy-tools are not installed (pip install -e '.[lab]')")
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed (Debian: curl)")


@pytest.fixture(scope="module")
def redfish_lab(lab_root, redfish_host):
    from real_backends.lab import Lab

    lab = Lab(unique_name("rf"), root=lab_root)
    try:
        lab.up(3, owned=True, bmc="redfish")
        yield lab
    finally:
        lab.down()


def secrets_of(lab) -> dict:
    return json.loads((lab.dir / "secrets.json").read_text())


@pytest.fixture(scope="module")
def curl(redfish_lab, tmp_path_factory):
    """GET a path of the lab's emulator with curl (basic auth from a 0600 netrc, loopback only)."""
    secret = secrets_of(redfish_lab)
    netrc = tmp_path_factory.mktemp("curl") / "netrc"
    netrc.touch(mode=0o600)
    netrc.write_text(f"machine 127.0.0.1 login {secret['user']} password {secret['password']}\n")
    port = json.loads((redfish_lab.dir / "state.json").read_text())["redfish"]["port"]

    def get(path: str) -> dict:
        out = subprocess.run(["curl", "-sS", "--fail", "--noproxy", "*", "--max-time", "20", "--netrc-file", str(netrc),
                              f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=30, check=False)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    return get


def libvirt_states(names) -> dict[str, str]:
    import libvirt

    conn = libvirt.open("qemu:///system")
    try:
        return {n: "on" if conn.lookupByName(n).isActive() else "off" for n in names}
    finally:
        conn.close()


def live_world(lab, nodes=None, timing=None):
    from real_backends.hardware import LiveHardware

    return make_live_world(3, Recorder(), lambda w: LiveHardware.for_lab(w, lab.dir, nodes, timing=timing))


def lab_timing():
    from twin.runs.scenario import load_scenario

    return load_scenario(SCENARIO).scenario.timing


def listening(port: int) -> list[str]:
    """The local addresses listening on TCP `port` (ss, an independent view)."""
    out = subprocess.run(["ss", "-lntH"], capture_output=True, text=True, check=True, timeout=30).stdout
    return [f[3] for f in (line.split() for line in out.splitlines()) if len(f) >= 4 and f[3].endswith(f":{port}")]


def emulator_pids(lab) -> list[int]:
    from real_backends.lab import redfishd
    from real_backends.lab.lab import _proc_cmdline

    return redfishd.pids_of(lab.dir, _proc_cmdline)


# --- the lab -----------------------------------------------------------------------------------
def test_up_serves_the_labs_guests_and_only_them_on_loopback_with_private_files(redfish_lab, curl, capsys):
    import libvirt

    from real_backends.lab import cli as lab_cli

    lab = redfish_lab
    status = lab.status()
    assert status["bmc_protocol"] == "redfish" and all(n["bmc_running"] for n in status["nodes"])
    pids = emulator_pids(lab)
    assert len(pids) == 1  # one emulator per lab
    port = json.loads((lab.dir / "state.json").read_text())["redfish"]["port"]
    assert listening(port) == [f"127.0.0.1:{port}"]

    inventory = json.loads((lab.dir / "instackenv.json").read_text())["nodes"]
    conn = libvirt.open("qemu:///system")
    try:
        uuids = {n["name"]: conn.lookupByName(n["name"]).UUIDString() for n in inventory}
    finally:
        conn.close()
    assert [(n["pm_type"], n["pm_addr"]) for n in inventory] == [("redfish", f"http://127.0.0.1:{port}")] * 3
    assert {n["name"]: n["pm_system_id"] for n in inventory} == {k: f"/redfish/v1/Systems/{u}" for k, u in uuids.items()}
    # the emulator lists the lab's guests and no other libvirt domain of the host
    members = {m["@odata.id"].rstrip("/") for m in curl("/redfish/v1/Systems")["Members"]}
    assert members == {n["pm_system_id"] for n in inventory}
    # the twin reads that inventory as Redfish nodes
    from twin.inventory.instackenv import read_instackenv

    parsed, problems = read_instackenv(lab.dir / "instackenv.json")
    assert problems == [] and {n.bmc.kind for n in parsed.nodes} == {PowerKind.REDFISH}

    for name in ("secrets.json", "instackenv.json", "redfish/htpasswd", "redfish/emulator.conf"):
        assert stat.S_IMODE((lab.dir / name).stat().st_mode) == 0o600, name
    assert lab.up(3) == status and emulator_pids(lab) == pids  # idempotent: the same emulator

    parser = argparse.ArgumentParser()
    lab_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["lab", "status", "--name", lab.name])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "BMC protocol: redfish" in out and all(n["pm_system_id"] in out for n in inventory)
    password = secrets_of(lab)["password"]
    assert password not in out
    for path in [lab.dir / "lab.json", lab.dir / "redfish" / "htpasswd", *(lab.dir / "logs").iterdir()]:
        assert password not in path.read_text(errors="replace"), path


def test_power_through_the_twins_client_and_curl_agrees(redfish_lab, curl):
    from twin.workflows.power import conductor

    nodes = redfish_lab.nodes()
    timing = lab_timing()
    world = live_world(redfish_lab, nodes, timing)
    seen = {}

    def flow(node, wanted):
        driver = conductor(world, node, timing)
        yield from driver.set_power(wanted)
        seen[node.name] = yield from driver.power_state()

    def all_to(wanted):
        world.run(until=world.all_of([world.process(flow(n, wanted)) for n in nodes]))
        emulator = {n.name: curl(n.bmc.system_id)["PowerState"] for n in nodes}
        return dict(seen), emulator, libvirt_states([n.name for n in nodes])

    try:
        on = all_to("on")
        off = all_to("off")
    finally:
        world.env.close()
    names = [n.name for n in nodes]
    assert on == ({n: "on" for n in names}, {n: "On" for n in names}, {n: "on" for n in names})
    assert off == ({n: "off" for n in names}, {n: "Off" for n in names}, {n: "off" for n in names})
    calls = [(r.subject, r.name, r.detail) for r in world.recorder.frame().itertuples() if r.kind == "bmc"]
    assert calls and {d for *_, d in calls} == {"ok"}


def test_wrong_credentials_are_one_line_without_the_password(redfish_lab):
    node = redfish_lab.nodes()[1]
    wrong = "Wr0ng-" + secrets_of(redfish_lab)["password"][::-1]
    bad = dataclasses.replace(node, bmc=dataclasses.replace(node.bmc, password=SecretStr(wrong)))
    world = live_world(redfish_lab, [bad])

    def flow():
        try:
            yield world.bmc(bad).power(PowerAction.ON)  # with a wrong password: refused, nothing switched
        except BmcError as exc:
            return exc

    try:
        exc = world.run(until=world.process(flow()))
    finally:
        world.env.close()
    assert isinstance(exc, BmcError) and exc.reason == "credentials", exc
    text = str(exc)
    assert len(text.splitlines()) == 1 and node.name in text and node.bmc.system_id in text
    assert "HTTP 401" in text
    for secret in (wrong, secrets_of(redfish_lab)["password"]):
        assert secret not in text and secret not in repr(exc.args)
    assert libvirt_states([node.name]) == {node.name: "off"}


def test_the_deployment_workflow_reaches_active_on_a_redfish_lab(redfish_lab, curl):
    """The same TripleO workflow as on IPMI labs (twin/runs/deploy.py `live`), the lab-minimum
    timings, three nodes (the inventory rules' Helion minimum of 7 is not the point here)."""
    from twin.runs.deploy import live
    from twin.runs.scenario import load_scenario

    sc = load_scenario(SCENARIO).scenario
    nodes = redfish_lab.nodes()
    inventory = Inventory(str(redfish_lab.dir / "instackenv.json"), "instackenv", nodes)
    result = live(sc, inventory, 1, "lab", lab_dir=redfish_lab.dir, progress=False)
    summary, events = result.summary, result.events
    assert summary["deployment"]["outcome"] == "success", summary["deployment"]["nodes"]
    for node in nodes:
        assert list(events[(events.kind == "state") & (events.subject == node.name)].name) == HAPPY
    scripts = events[(events.kind == "boot") & (events.name == "pxe_script")]
    assert set(scripts.subject) == {n.name for n in nodes} and set(scripts.detail) == {"deploy", "local_boot"}
    bmc = events[events.kind == "bmc"]
    assert set(bmc.detail) == {"ok"} and {"power_on", "power_off", "boot_pxe", "boot_disk_persistent"} <= set(bmc.name)
    # the emulator and libvirt agree that every deployed node is on
    assert {n.name: curl(n.bmc.system_id)["PowerState"] for n in nodes} == {n.name: "On" for n in nodes}
    assert libvirt_states([n.name for n in nodes]) == {n.name: "on" for n in nodes}
    password = secrets_of(redfish_lab)["password"]
    assert password not in events.to_csv() and password not in json.dumps(summary)
    # leave the shared lab off for the next test
    world = live_world(redfish_lab, nodes, sc.timing)
    try:
        from twin.workflows.power import conductor

        world.run(until=world.all_of([world.process(conductor(world, n, sc.timing).set_power("off")) for n in nodes]))
    finally:
        world.env.close()


def test_down_stops_the_emulator_and_frees_its_port(fresh_lab, redfish_host):
    lab = fresh_lab("rfdown")
    lab.up(1, owned=True, bmc="redfish")
    port = json.loads((lab.dir / "state.json").read_text())["redfish"]["port"]
    assert len(emulator_pids(lab)) == 1 and listening(port)
    removed = lab.down()
    assert len(removed["bmc_processes"]) == 1 and len(removed["guests"]) == 1
    assert emulator_pids(lab) == [] and listening(port) == []
    assert not lab.dir.exists()


def test_the_bmc_protocol_is_kept_for_the_labs_life(fresh_lab, redfish_host):
    from real_backends.lab import LabError

    lab = fresh_lab("rfkeep")
    lab.up(1, owned=True, bmc="redfish")
    with pytest.raises(LabError, match="has redfish BMCs; take it down first"):
        lab.up(1, bmc="ipmi")
    with pytest.raises(LabError, match="--bmc serial: use one of ipmi, redfish"):
        lab.up(1, bmc="serial")


OWNER = """
import sys, time
from real_backends.lab import Lab
Lab(sys.argv[1], root=sys.argv[2]).up(1, owned=True, bmc="redfish")
print("ready", flush=True)
time.sleep(600)
"""


def test_a_redfish_lab_whose_owner_was_killed_is_reaped_emulator_and_all(lab_root, redfish_host, tmp_path,
                                                                         monkeypatch):
    import os
    import signal
    import sys

    from real_backends.lab import Lab, owners

    name = unique_name("rfown")
    monkeypatch.setenv("TWIN_STATE_DIR", str(tmp_path / "state"))
    env = dict(os.environ, TWIN_LAB_ROOT=str(lab_root), PYTHONPATH=str(REPO))
    owner = subprocess.Popen([sys.executable, "-c", OWNER, name, str(lab_root)], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lab = Lab(name, root=lab_root)
    try:
        assert owner.stdout.readline().strip() == "ready", owner.stderr.read() if owner.poll() is not None else ""
        port = json.loads(lab.state_path.read_text())["redfish"]["port"]
        pids = emulator_pids(lab)
        assert len(pids) == 1 and listening(port)
        owner.send_signal(signal.SIGKILL)  # nothing runs in the owner: the lab stays ...
        owner.wait(timeout=60)
        assert emulator_pids(lab) == pids
        assert name in owners.reap_stale()  # ... until the next reap
        assert emulator_pids(lab) == [] and listening(port) == [] and not lab.dir.exists()
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        owner.stdout.close()
        owner.stderr.close()
        Lab(name, root=lab_root).down()
