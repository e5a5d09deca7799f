"""The boot endpoint over real HTTP on 127.0.0.1 (no guests needed): iPXE scripts per MAC and
stage, callbacks that succeed armed events on the loop thread, rogue MACs refused."""
from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

from pydantic import SecretStr

from twin.errors import DeployError
from twin.inventory.model import Bmc, Hardware, Node, PowerKind, Role
from twin.kernel.live import make_live_world
from twin.record.recorder import Recorder

from real_backends.pxe.endpoint import BootEndpoint

MAC = "52:54:00:00:be:01"
NODE = Node(name="controller0", role=Role.CONTROL, mac=MAC,
            bmc=Bmc(PowerKind.IPMI, "127.0.0.1", "admin", SecretStr("not-shown"), 6299),
            hardware=Hardware(4, 32768, 512))


def get(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def make():
    world = make_live_world(1, Recorder())
    endpoint = BootEndpoint(world, [NODE]).start()
    world.env.on_close(endpoint.stop)
    return world, endpoint


def test_binds_loopback_on_an_ephemeral_port_and_chains_by_mac():
    world, endpoint = make()
    try:
        assert endpoint.host == "127.0.0.1" and endpoint.port > 0
        code, body = get(f"{endpoint.url}/boot.ipxe", host=f"10.0.2.2:{endpoint.port}")
        assert code == 200
        assert body.startswith("#!ipxe")
        assert f"chain http://10.0.2.2:{endpoint.port}/node/${{net0/mac}}.ipxe" in body
        # Known MAC, nothing armed: nothing to boot.
        code, body = get(f"{endpoint.url}/node/{MAC.replace(':', '%3A')}.ipxe")
        assert code == 200 and "exit" in body and "callback" not in body
    finally:
        world.env.close()


def test_deploy_then_local_boot_callbacks_trigger_armed_events():
    world, endpoint = make()
    base = endpoint.url
    try:
        def flow():
            deploy = endpoint.expect(NODE, "deploy")
            info = yield from world.within(deploy, 10)
            early = endpoint.write_image(NODE)  # deploy callback came: the node is in the "ramdisk"
            written = yield early
            local = endpoint.expect(NODE, "local_boot")
            info2 = yield from world.within(local, 10)
            return info, written, info2

        def machine():  # plays the PXE-booting node from another thread
            time.sleep(0.2)
            _, script = get(f"{base}/node/{MAC}.ipxe")
            assert "stage deploy" in script and "/callback/deploy?mac=${net0/mac}" in script
            code, idle = get(f"{base}/callback/deploy?mac={MAC.replace(':', '%3A')}")
            assert code == 200 and "sleep" in idle
            deadline = time.monotonic() + 5
            while endpoint.stage_of(MAC) != "local_boot" and time.monotonic() < deadline:
                time.sleep(0.05)
            _, script = get(f"{base}/node/{MAC}.ipxe")
            assert "stage local_boot" in script
            get(f"{base}/callback/local_boot?mac={MAC}")

        t = threading.Thread(target=machine, daemon=True)
        t.start()
        proc = world.process(flow())
        info, written, info2 = world.run(until=proc)
        t.join(5)
        assert info["node"] == "controller0" and info["stage"] == "deploy" and info["mac"] == MAC
        assert written == 0
        assert info2["stage"] == "local_boot"
        stages = [(r.subject, r.name) for r in world.recorder.frame().itertuples() if r.kind == "boot"]
        assert ("controller0", "deploy_callback") in stages
        assert ("controller0", "image_written") in stages
        assert ("controller0", "local_boot_callback") in stages
    finally:
        world.env.close()


def test_image_write_before_the_ramdisk_called_back_fails():
    world, endpoint = make()
    try:
        def flow():
            endpoint.expect(NODE, "deploy")
            try:
                yield endpoint.write_image(NODE)
            except DeployError as exc:
                return str(exc)

        assert "not running the deploy ramdisk" in world.run(until=world.process(flow()))
    finally:
        world.env.close()


def test_unknown_mac_is_refused_logged_and_recorded():
    world, endpoint = make()
    try:
        code, body = get(f"{endpoint.url}/node/de:ad:be:ef:00:01.ipxe")
        assert code == 404 and body.startswith("#!ipxe") and "not in the inventory" in body
        code, _ = get(f"{endpoint.url}/callback/deploy?mac=de%3Aad%3Abe%3Aef%3A00%3A01")
        assert code == 404
        code, _ = get(f"{endpoint.url}/node/not-a-mac.ipxe")
        assert code == 404
        assert [r["mac"] for r in endpoint.rogues] == ["de:ad:be:ef:00:01", "de:ad:be:ef:00:01", None]
        world.run(until=0.2)  # let the loop record what the HTTP threads posted
        rogue = [r for r in world.recorder.frame().itertuples() if r.name == "rogue_node"]
        assert len(rogue) == 3 and rogue[0].subject == "de:ad:be:ef:00:01"
    finally:
        world.env.close()


def test_a_callback_nobody_expects_is_recorded_and_dropped():
    world, endpoint = make()
    try:
        assert get(f"{endpoint.url}/callback/local_boot?mac={MAC}")[0] == 200
        world.run(until=0.2)
        rows = [(r.name, r.detail) for r in world.recorder.frame().itertuples() if r.kind == "boot"]
        assert ("local_boot_callback", "unexpected: dropped") in rows
    finally:
        world.env.close()


def test_a_client_that_disconnects_costs_one_log_line_not_a_traceback(capfd, caplog):
    """Issue 13 item 15: a PXE client that drops its connection (a guest powered off mid-fetch)
    printed a traceback per connection. Here clients send a request and reset the connection
    before the answer, and others drop in the middle of their request line."""
    import logging
    import socket
    import struct

    world, endpoint = make()
    caplog.set_level(logging.INFO, logger="real_backends.pxe.endpoint")
    try:
        for i in range(5):
            with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
                s.sendall(b"GET /node/52:54:00:00:be:01.ipxe HTTP/1.0\r\nHost: x\r\n" if i % 2 else
                          b"GET /boot.ipxe HTTP/1.0\r\n\r\n")
        code, _ = get(f"{endpoint.url}/boot.ipxe")  # still serving
        assert code == 200
        time.sleep(0.5)  # let the server threads finish with the dropped connections
    finally:
        world.env.close()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err
    dropped = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert dropped and all("\n" not in r.getMessage() for r in dropped)
    assert all(r.exc_info is None for r in caplog.records)


def test_a_real_write_is_a_command_the_ramdisk_fetches_and_a_report_that_settles_it(tmp_path):
    """The deploy ramdisk's side of the protocol played over real HTTP: the stage script loads
    the served kernel and initrd, the agent fetches the write command and the image, a failure
    report fails the write with its cause, a success report completes it; then the node is sent
    to its local disk and its OS's callback carries the disk's identity."""
    import hashlib
    import urllib.parse

    from real_backends.lab.images import Artifacts

    image = tmp_path / "disk.img"
    image.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    for name in ("vmlinuz", "initrd.gz"):
        (tmp_path / name).write_bytes(name.encode() * 100)
    sha = hashlib.sha256(image.read_bytes()).hexdigest()
    artifacts = Artifacts(tmp_path, tmp_path / "vmlinuz", tmp_path / "initrd.gz", image, image.stat().st_size, sha,
                          image.stat().st_size, "test")
    world = make_live_world(1, Recorder())
    endpoint = BootEndpoint(world, [NODE], artifacts=artifacts).start()
    world.env.on_close(endpoint.stop)
    base, quoted = endpoint.url, urllib.parse.quote(MAC)
    seen = {}

    def post(path, lines):
        data = "\n".join(lines).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{base}{path}", data=data), timeout=5) as r:
            return r.status

    def machine():
        time.sleep(0.2)
        _, script = get(f"{base}/node/{MAC}.ipxe")
        seen["deploy_script"] = script
        seen["kernel"] = get(f"{base}/deploy/vmlinuz")[1]
        get(f"{base}/callback/deploy?mac={quoted}")
        for outcome in ("fail", "ok"):
            command = "wait"
            while command == "wait":
                command = get(f"{base}/agent/command?mac={quoted}")[1].strip()
            verb, url, size, want, sector, name, then = command.split()
            seen.setdefault("commands", []).append(command)
            with urllib.request.urlopen(url, timeout=5) as r:  # the image, from the URL the command names
                got = hashlib.sha256(r.read()).hexdigest()
            if outcome == "fail":
                post(f"/agent/report?mac={quoted}", ["status=fail", "cause=disk too small: /dev/vda has 512 bytes"])
            else:
                post(f"/agent/report?mac={quoted}", ["status=ok", f"bytes={size}", "write_s=0.5", f"sha256={got}"])
        deadline = time.monotonic() + 5
        while endpoint.stage_of(MAC) != "local_boot" and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["local_script"] = get(f"{base}/node/{MAC}.ipxe")[1]
        get(f"{base}/callback/local_boot?mac={quoted}&from=disk&name={NODE.name}&nic={quoted}")

    def flow():
        deploy = endpoint.expect(NODE, "deploy")
        yield from world.within(deploy, 10)
        try:
            yield endpoint.write_image(NODE)
        except DeployError as exc:
            seen["failure"] = str(exc)
        written = yield endpoint.write_image(NODE)
        local = endpoint.expect(NODE, "local_boot")
        yield from world.within(local, 10)
        return written

    try:
        t = threading.Thread(target=machine, daemon=True)
        t.start()
        written = world.run(until=world.process(flow()))
        t.join(5)
    finally:
        world.env.close()
    assert "/deploy/vmlinuz" in seen["deploy_script"] and "twin.mode=deploy" in seen["deploy_script"]
    assert "/deploy/initrd.gz" in seen["deploy_script"] and seen["kernel"] == "vmlinuz" * 100
    assert seen["failure"] == f"node {NODE.name}: image write: disk too small: /dev/vda has 512 bytes"
    assert written == image.stat().st_size
    assert all(c.split()[1:4] == [f"{base}/image/disk.img", str(written), sha] for c in seen["commands"])
    assert "sanboot --no-describe --drive 0x80" in seen["local_script"]
    boot = world.recorder.frame()
    boot = boot[boot.kind == "boot"]
    assert list(boot[boot.name == "image_write_failed"].detail) == ["disk too small: /dev/vda has 512 bytes"]
    assert list(boot[boot.name == "image_written"].value) == [float(written)]
    (detail,) = boot[boot.name == "local_boot_callback"].detail
    assert detail.startswith(f"booted from disk: identity name={NODE.name} mac={MAC}") and "(matches this node)" in detail
