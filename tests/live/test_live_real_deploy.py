"""A real deployment on a real lab: each guest boots the deploy ramdisk (the Debian kernel and a
busybox initramfs loaded by iPXE over HTTP), which streams the user image onto the guest's qcow2
disk and verifies it; the guest then boots that disk and its OS calls back with the identity it
read from it. Checked against independent truth: the disks read from the host with `qemu-img`
and hashed here, the console logs the guests wrote, libvirt's power states. One 3-node lab for
the module (the third node's disk is smaller than the image); no mocks."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from conftest import skip_or_fail, unique_name

from twin.inventory.model import Inventory
from twin.kernel.live import make_live_world
from twin.record.recorder import Recorder

pytestmark = pytest.mark.live
REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "lab-real.yaml"
HAPPY = ["None", "deploying", "wait call-back", "deploying", "active"]
SMALL_DISK_MIB = 8  # the user image is ~13 MiB


@pytest.fixture(scope="module")
def real_lab(lab_root):
    from real_backends.lab import Lab, images

    try:
        images.artifacts()
    except images.ImageBuildError as exc:
        skip_or_fail(f"the lab's boot images cannot be built here: {exc}")
    lab = Lab(unique_name("real"), root=lab_root)
    try:
        lab.up(3, owned=True, deploy="real", disks_mib={2: SMALL_DISK_MIB})
        yield lab
    finally:
        lab.down()


@pytest.fixture(scope="module")
def scenario():
    from twin.runs.scenario import load_scenario

    return load_scenario(SCENARIO).scenario


@pytest.fixture(scope="module")
def deployed(real_lab, scenario):
    from twin.runs.deploy import live

    nodes = real_lab.nodes()
    inventory = Inventory(str(real_lab.dir / "instackenv.json"), "instackenv", nodes)
    result = live(scenario, inventory, 1, "lab", lab_dir=real_lab.dir, progress=False)
    return result.summary, result.events


def artifacts_of(lab):
    from real_backends.lab import images

    return images.artifacts(Path(json.loads((lab.dir / "lab.json").read_text())["images"]), build=False)


def disk_bytes(lab, index: int, tmp_path: Path) -> bytes:
    """The guest's disk as the host reads it with qemu-img (shared lock: the guest may run)."""
    disk = json.loads((lab.dir / "lab.json").read_text())["nodes"][index]["disk"]
    raw = tmp_path / f"disk-{index}.raw"
    proc = subprocess.run(["qemu-img", "convert", "-U", "-f", "qcow2", "-O", "raw", disk, str(raw)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return raw.read_bytes()


def test_nodes_with_a_big_enough_disk_reach_active_and_the_small_one_fails_with_that_cause(deployed, real_lab):
    summary, events = deployed
    names = [n.name for n in real_lab.nodes()]
    nodes = summary["deployment"]["nodes"]
    for name in names[:2]:
        assert nodes[name]["state"] == "active", nodes[name]
        assert list(events[(events.kind == "state") & (events.subject == name)].name) == HAPPY
    small = nodes[names[2]]
    assert small["state"] == "deploy failed"
    assert "disk too small" in small["cause"] and f"{SMALL_DISK_MIB * 1024 * 1024} bytes" in small["cause"], small
    failed = events[(events.kind == "boot") & (events.name == "image_write_failed")]
    assert list(failed.subject) == [names[2]]


def test_every_deployed_disk_holds_the_image_read_back_from_the_host(deployed, real_lab, tmp_path):
    a = artifacts_of(real_lab)
    image = a.image.read_bytes()
    want = hashlib.sha256(image).hexdigest()  # computed here, not taken from the build's record
    names = [n.name for n in real_lab.nodes()]
    for index in (0, 1):
        disk = disk_bytes(real_lab, index, tmp_path)
        assert hashlib.sha256(disk[:len(image)]).hexdigest() == want, names[index]
        identity = disk[a.identity_offset:a.identity_offset + 512].split(b"\n")[0].decode()
        assert identity.startswith("twin-identity ") and f"name={names[index]}" in identity, identity
        assert disk[510:512] == b"\x55\xaa"  # a bootable MBR
    small = disk_bytes(real_lab, 2, tmp_path)
    assert len(small) == SMALL_DISK_MIB * 1024 * 1024 and small.count(0) == len(small)  # nothing written


def test_every_deployed_node_booted_from_its_disk_and_says_who_the_disk_says_it_is(deployed, real_lab):
    _, events = deployed
    names = [n.name for n in real_lab.nodes()]
    macs = {n.name: n.mac for n in real_lab.nodes()}
    booted = events[(events.kind == "boot") & (events.name == "local_boot_callback")]
    assert set(booted.subject) == set(names[:2])
    for row in booted.itertuples():
        assert row.detail.startswith(f"booted from disk: identity name={row.subject} mac={macs[row.subject]}")
        assert "(matches this node)" in row.detail
    # the guests' own consoles: the kernel that called back was started from the disk
    for index in (0, 1):
        console = (real_lab.dir / "logs" / f"console-{index}.log").read_text(errors="replace")
        assert f"twin-disk" in console and f"booted from disk as {names[index]}" in console
    # each write is measured: bytes and seconds per node
    written = events[(events.kind == "boot") & (events.name == "image_written")]
    seconds = events[(events.kind == "boot") & (events.name == "image_write_s")]
    image_bytes = artifacts_of(real_lab).image_bytes
    assert set(written.subject) == set(names[:2]) and set(written.value) == {float(image_bytes)}
    assert set(seconds.subject) == set(names[:2]) and (seconds.value > 0).all()


def redeploy_undercloud(real_lab, scenario, seed: int, artifacts) -> dict:
    """The lab's first node (the undercloud) deployed alone again, its boot endpoint serving
    `artifacts`; the node's outcome in the summary."""
    from real_backends.hardware import LiveHardware
    from twin.runs.deploy import deploy

    node = real_lab.nodes()[0]
    world = make_live_world(seed, Recorder(), lambda w: LiveHardware.for_lab(w, real_lab.dir, [node],
                                                                            timing=scenario.timing,
                                                                            artifacts=artifacts))
    with world.env:
        result = deploy(world, scenario, [node], seed, "lab", False)
    return result.summary["deployment"]["nodes"][node.name]


def test_a_checksum_mismatch_fails_the_write_clearly(deployed, real_lab, scenario):
    """The image's published checksum is not the image's: the ramdisk writes, reads the disk
    back, and the node fails with both checksums named."""
    a = artifacts_of(real_lab)
    wrong = "0" * 64
    outcome = redeploy_undercloud(real_lab, scenario, 2, dataclasses.replace(a, image_sha256=wrong))
    assert outcome["state"] == "deploy failed", outcome
    assert "checksum mismatch" in outcome["cause"] and wrong in outcome["cause"] and a.image_sha256 in outcome["cause"]


def test_an_image_the_endpoint_cannot_serve_fails_the_write_with_the_http_error(deployed, real_lab, scenario,
                                                                              tmp_path):
    """The image file is gone from the boot endpoint: the ramdisk's download gets HTTP 404, and
    the node fails with that cause, named as the ramdisk saw it."""
    gone = dataclasses.replace(artifacts_of(real_lab), image=tmp_path / "no-such-disk.img")
    outcome = redeploy_undercloud(real_lab, scenario, 3, gone)
    assert outcome["state"] == "deploy failed", outcome
    assert "HTTP error fetching the image" in outcome["cause"] and "404" in outcome["cause"], outcome


def test_guest_disks_are_thin_qcow2_sized_from_the_inventory_and_go_with_the_lab(fresh_lab):
    """qemu-img's view of the disks `up` makes (no guest is started), and `down` removes them."""
    from real_backends.lab.lab import DISK_SCALE

    lab = fresh_lab("disks")
    lab.up(2, owned=True, disks_mib={1: 4})
    nodes = json.loads((lab.dir / "lab.json").read_text())["nodes"]
    declared_gib = json.loads((lab.dir / "instackenv.json").read_text())["nodes"][0]["disk"]
    sizes = []
    for n in nodes:
        info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", n["disk"]], capture_output=True,
                                         text=True, check=True, timeout=60).stdout)
        assert info["format"] == "qcow2" and info["actual-size"] < 1024 * 1024  # thin: nothing allocated yet
        sizes.append(info["virtual-size"])
    assert sizes == [declared_gib * 1024 ** 3 // DISK_SCALE, 4 * 1024 ** 2]
    lab.down()
    assert not any(Path(n["disk"]).exists() for n in nodes)
