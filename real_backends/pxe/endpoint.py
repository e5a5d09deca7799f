"""The boot endpoint: the live provisioning network as the conductor sees it (the kernel's
BootPort), an HTTP server that PXE-booting machines fetch iPXE scripts from and call back to.

Rules of this file:
- It binds 127.0.0.1 (an ephemeral port unless told otherwise). Lab guests reach it as
  http://10.0.2.2:PORT through QEMU user-mode networking; every script it serves names the
  endpoint by the Host header the machine used (validated), so the same server works whatever
  address the machine sees it at.
- URLs: `/boot.ipxe` (what DHCP hands out, the same for every MAC) chains to
  `/node/${net0/mac}.ipxe`, which serves the node's current stage; a stage script chains to
  `/callback/<stage>?mac=${net0/mac}`, whose answer is a script that idles (the bundled iPXE may
  lack `poweroff`; the workflow powers the node off through its BMC).
- What a known MAC boots is decided here, as Ironic's PXE/iPXE driver decides it: "deploy" while
  the conductor has armed a deploy (`expect(node, "deploy")`) and not yet written the image;
  "local_boot" once the image is written (`write_image`); otherwise "none" (the script exits: no
  boot device, as a node no DHCP server answers).
- Two ways to write the image. With `artifacts` (real_backends/lab/images.py: the lab's deploy
  kernel, initrd and user image), the write is real: the deploy stage loads the deploy ramdisk
  over HTTP (`/deploy/vmlinuz`, `/deploy/initrd.gz`), which calls back and then long-polls
  `/agent/command?mac=`; `write_image` queues "write" there, the ramdisk streams `/image/disk.img`
  onto its disk, verifies the sha256 from the disk and POSTs `/agent/report?mac=` (status=ok with
  bytes and seconds, or status=fail with the exact cause: disk too small, checksum mismatch, HTTP
  error), which settles the write event; the local_boot stage then tells iPXE to boot the first
  hard disk (`sanboot --drive 0x80`, as Ironic's iPXE template boots a whole-disk image), whose
  OS calls back `/callback/local_boot?...&from=disk` with the identity it read from that disk.
  Without artifacts (`--backend ipmi` against machines the twin has no ramdisk for, and the unit
  tests of this file) the write is emulated: the stage just switches to local_boot and each stage
  script only calls back.
- An unknown MAC is refused (HTTP 404 with a short iPXE-readable body), logged, recorded as a
  `rogue_node` BootStage and kept in `rogues`: a rogue node is a real failure mode.
- Threads: HTTP requests run on server threads. They read the per-MAC boot configuration under
  a lock and hand everything else (recording, succeeding the armed event) to the loop thread
  with `LiveEnvironment.post`. `expect` and `write_image` are called on the loop thread.
- A callback nobody expects is recorded ("unexpected: dropped") and dropped, as in simulation.
- A client that disconnects mid-request is one log line, never a traceback on stderr.
"""
from __future__ import annotations

import errno
import logging
import re
import shutil
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twin.errors import DeployError, TwinError
from twin.inventory.model import Node
from twin.record.events import BootStage

log = logging.getLogger(__name__)

STAGES = ("deploy", "local_boot")
AGENT_POLL_S = 15.0  # how long /agent/command holds a request open when there is nothing to do
WRITE_TIMEOUT_S = 900.0  # a deploy ramdisk that never reports fails the write after this
#: files a real deploy serves: URL path -> the Artifacts attribute holding the file
SERVED = {"/deploy/vmlinuz": "kernel", "/deploy/initrd.gz": "initrd", "/image/disk.img": "image"}


@dataclass
class _Write:
    """A write queued for a node's deploy ramdisk (loop thread owns `event`)."""

    command: str
    event: object
    taken: bool = False
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
_MAC_RE = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")


class BootEndpointError(TwinError):
    """The boot endpoint cannot start (e.g. its port is taken)."""


#: What a client that goes away mid-request raises in a server thread (a guest powered off or
#: reset during an iPXE fetch): expected on a provisioning network, one log line each.
_DISCONNECTS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)


class _Server(ThreadingHTTPServer):
    """socketserver prints a traceback to stderr for every request that raises; here a client
    that disconnects is one info line and anything else one error line (traceback at debug)."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        import sys

        exc = sys.exc_info()[1]
        client = client_address[0] if client_address else "?"
        if isinstance(exc, _DISCONNECTS):
            log.info("boot endpoint: client %s disconnected (%s)", client, type(exc).__name__)
        else:
            log.error("boot endpoint: request from %s failed: %s: %s", client, type(exc).__name__, exc)
            log.debug("boot endpoint: request failure", exc_info=True)


def normalize_mac(text: str) -> str | None:
    mac = urllib.parse.unquote(text or "").strip().lower()
    if not _MAC_RE.match(mac):
        return None
    return mac.replace("-", ":")


def _ipxe(*lines: str) -> bytes:
    return ("#!ipxe\n" + "\n".join(lines) + "\n").encode()


class BootEndpoint:
    """The live BootPort. Start it before the first boot; stop it at the end of the run."""

    def __init__(self, world, nodes=(), host: str = "127.0.0.1", port: int = 0, artifacts=None,
                 after_write: str = "wait"):
        if after_write not in ("wait", "poweroff", "reboot"):
            raise ValueError(f"after_write: wait, poweroff or reboot, not {after_write!r}")
        self.world = world
        self.artifacts = artifacts  # real_backends.lab.images.Artifacts: real writes; None: emulated
        self.after_write = after_write  # what the ramdisk does once it reported (the conductor's say)
        self.env = world.env
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._by_mac: dict[str, Node] = {}
        self._armed: set[str] = set()  # MACs with a deploy armed and no image written yet
        self._imaged: set[str] = set()  # MACs whose (emulated) disk holds the image
        self._in_ramdisk: set[str] = set()  # MACs whose deploy callback came since arming
        self._expected: dict[tuple[str, str], object] = {}  # loop thread only
        self._writes: dict[str, _Write] = {}  # MAC -> queued write (under _lock / _cond)
        self._cond = threading.Condition(self._lock)
        self.rogues: list[dict] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        for node in nodes:
            self.add_node(node)

    # --- lifetime -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> BootEndpoint:
        if self._server is not None:
            return self
        try:
            server = _Server((self.host, self.port), _make_handler(self))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise BootEndpointError(f"boot endpoint: {self.host}:{self.port} is already in use "
                                        "(another run on the same lab?)") from None
            raise BootEndpointError(f"boot endpoint: cannot listen on {self.host}:{self.port}: "
                                    f"{exc.strerror}") from None
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"twin-boot-{self.port}", daemon=True)
        self._thread.start()
        log.info("boot endpoint listening on %s", self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for key in list(self._expected):
            self.env.release_external(self._expected.pop(key))
        with self._lock:
            writes, self._writes = list(self._writes.values()), {}
            self._cond.notify_all()
        for write in writes:
            self.env.release_external(write.event)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- nodes ----------------------------------------------------------------------------
    def add_node(self, node: Node) -> None:
        mac = normalize_mac(node.mac)
        if mac is None:
            raise ValueError(f"node {node.name}: not a MAC address: {node.mac!r}")
        with self._lock:
            self._by_mac[mac] = node

    def stage_of(self, mac: str) -> str:
        """What the machine with this MAC boots now: deploy, local_boot or none."""
        with self._lock:
            if mac in self._armed:
                return "deploy"
            if mac in self._imaged:
                return "local_boot"
            return "none"

    # --- BootPort (loop thread) -----------------------------------------------------------
    def expect(self, node: Node, stage: str):
        if stage not in STAGES:
            raise ValueError(f"unknown boot stage {stage!r}; known: {', '.join(STAGES)}")
        mac = normalize_mac(node.mac)
        with self._lock:
            self._by_mac.setdefault(mac, node)
            if stage == "deploy":
                self._armed.add(mac)
                self._in_ramdisk.discard(mac)
        old = self._expected.pop((node.name, stage), None)
        if old is not None:
            self.env.release_external(old)
        event = self.env.external_event()
        self._expected[(node.name, stage)] = event
        return event

    def write_image(self, node: Node):
        """Write the image to the node's disk. Real (with artifacts): queue the write for the node's
        deploy ramdisk; the event settles with its report (value: bytes written) or fails with
        the ramdisk's cause, or after WRITE_TIMEOUT_S. Emulated: switch the node's next network
        boot to the local_boot stage at once (value: 0)."""
        mac = normalize_mac(node.mac)
        with self._lock:
            ready = mac in self._in_ramdisk
        if not ready:
            event = self.env.event()
            event.fail(DeployError(node.name, "image write: the node is not running the deploy ramdisk"))
            return event
        if self.artifacts is None:
            event = self.env.event()
            self._image_written(mac)
            self.world.record(BootStage(node.name, "image_written", "emulated (no deploy ramdisk)", value=0.0))
            event.succeed(0)
            return event
        return self.world.process(self._real_write(node, mac))

    def _image_written(self, mac: str) -> None:
        with self._lock:
            self._imaged.add(mac)
            self._armed.discard(mac)

    def _real_write(self, node: Node, mac: str):
        from twin.kernel.world import WaitTimeout

        a = self.artifacts
        event = self.env.external_event()
        # the ramdisk fetches the image from the address it reached us at ({base}: filled in per request)
        command = (f"write {{base}}/image/disk.img {a.image_bytes} {a.image_sha256} {a.identity_offset // 512} "
                   f"{node.name} {self.after_write}")
        with self._cond:
            old = self._writes.pop(mac, None)
            self._writes[mac] = _Write(command, event)
            self._cond.notify_all()
        if old is not None:
            self.env.release_external(old.event)
        try:
            report = yield from self.world.within(event, WRITE_TIMEOUT_S)
        except WaitTimeout:
            raise DeployError(node.name, f"image write: the deploy ramdisk did not report within "
                                         f"{WRITE_TIMEOUT_S:g} s") from None
        finally:
            with self._lock:
                if self._writes.get(mac) is not None and self._writes[mac].event is event:
                    del self._writes[mac]
            self.env.release_external(event)
        written = int(report["bytes"])
        self._image_written(mac)
        write_s = float(report.get("write_s", "nan"))
        self.world.record(BootStage(node.name, "image_write_s", f"{written} bytes onto a {report.get('disk_bytes')} "
                                    f"byte disk, verified in {report.get('verify_s')} s", value=write_s))
        self.world.record(BootStage(node.name, "image_written", f"sha256 {report.get('sha256', '')[:16]} verified "
                                    "from the disk", value=float(written)))
        return written

    def _write_taken(self, node: Node, mac: str) -> None:  # loop thread
        self.world.record(BootStage(node.name, "image_write_start", "the deploy ramdisk fetches the image",
                                    value=float(self.artifacts.image_bytes)))

    def _write_report(self, node: Node, mac: str, report: dict) -> None:  # loop thread
        with self._lock:
            write = self._writes.get(mac)
        if write is None:
            self.world.record(BootStage(node.name, "image_write_report", "unexpected: dropped"))
            return
        if report.get("status") == "ok" and report.get("bytes", "").isdigit():
            self.env.trigger_external(write.event, report)
            return
        cause = report.get("cause") or f"the deploy ramdisk reported {report.get('status', 'nothing')!r}"
        self.world.record(BootStage(node.name, "image_write_failed", cause))
        self.env.trigger_external(write.event, exception=DeployError(node.name, f"image write: {cause}"))

    def next_command(self, mac: str, base: str, wait_s: float = AGENT_POLL_S) -> str:
        """HTTP thread: the deploy ramdisk's next command ("write ...", or "wait")."""
        with self._cond:
            self._cond.wait_for(lambda: (w := self._writes.get(mac)) is not None and not w.taken, timeout=wait_s)
            write = self._writes.get(mac)
            if write is None or write.taken:
                return "wait"
            write.taken = True
            return write.command.format(base=base)

    # --- from the HTTP threads ------------------------------------------------------------
    def _node_for(self, mac: str | None) -> Node | None:
        with self._lock:
            return self._by_mac.get(mac) if mac else None

    def _script_fetched(self, node: Node, stage: str) -> None:  # loop thread
        self.world.record(BootStage(node.name, "pxe_script", stage))

    def _rogue(self, mac: str, path: str, client: str) -> None:  # loop thread
        self.world.record(BootStage(mac or "unknown", "rogue_node", f"unknown MAC refused: GET {path}"))

    def _callback(self, node: Node, stage: str, info: dict) -> None:  # loop thread
        mac = normalize_mac(node.mac)
        if stage == "deploy":
            with self._lock:
                self._in_ramdisk.add(mac)
        event = self._expected.pop((node.name, stage), None)
        detail = "" if event is not None else "unexpected: dropped"
        if info.get("from") == "disk":  # the deployed OS, booted from its disk, says who the disk says it is
            same = info.get("disk_name") == node.name and normalize_mac(info.get("nic", "")) == mac
            detail = (f"booted from disk: identity name={info.get('disk_name')} mac={mac} "
                      f"({'matches' if same else 'does NOT match'} this node)" + (f"; {detail}" if detail else ""))
            info = dict(info, identity_matches=same)
        self.world.record(BootStage(node.name, f"{stage}_callback", detail))
        if event is not None:
            info = dict(info, time_s=self.env.now)
            self.env.trigger_external(event, info)


def _make_handler(endpoint: BootEndpoint):
    class Handler(BaseHTTPRequestHandler):
        server_version = "twin-boot/1"
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *args):  # keep the console quiet; debug log instead
            log.debug("%s %s", self.client_address[0], fmt % args)

        def _send(self, code: int, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _base(self) -> str:
            host = self.headers.get("Host", "")
            if host and _HOST_RE.match(host):
                return f"http://{host}"
            return endpoint.url

        def _refuse(self, mac: str | None, path: str) -> None:
            client = self.client_address[0]
            shown = mac or "?"
            log.warning("boot endpoint: refused unknown MAC %s (GET %s from %s): rogue node?", shown, path, client)
            endpoint.rogues.append({"mac": mac, "path": path, "client": client})
            endpoint.env.post(endpoint._rogue, mac, path, client)
            self._send(404, _ipxe(f"echo twin: MAC {shown} is not in the inventory; refused", "exit 1"))

        def do_GET(self):  # noqa: N802 - http.server's naming
            parsed = urllib.parse.urlsplit(self.path)
            path = parsed.path
            base = self._base()
            if path == "/boot.ipxe":
                return self._send(200, _ipxe(f"chain {base}/node/${{net0/mac}}.ipxe || exit 1"))
            if path.startswith("/node/") and path.endswith(".ipxe"):
                mac = normalize_mac(path[len("/node/"):-len(".ipxe")])
                node = endpoint._node_for(mac)
                if node is None:
                    return self._refuse(mac, path)
                stage = endpoint.stage_of(mac)
                endpoint.env.post(endpoint._script_fetched, node, stage)
                if stage == "none":
                    return self._send(200, _ipxe(f"echo twin: {node.name}: nothing to boot (no deployment armed)",
                                                 "exit 1"))
                if endpoint.artifacts is not None:
                    return self._send(200, _real_stage_script(node, stage, base))
                return self._send(200, _ipxe(
                    f"echo twin: {node.name}: stage {stage}",
                    f"chain {base}/callback/{stage}?mac=${{net0/mac}} || goto idle",
                    ":idle", "sleep 60", "goto idle"))
            if path.startswith("/callback/"):
                stage = path[len("/callback/"):]
                mac = normalize_mac(urllib.parse.parse_qs(parsed.query).get("mac", [""])[0])
                if stage not in STAGES:
                    return self._send(404, _ipxe(f"echo twin: unknown stage {stage[:40]}", "exit 1"))
                node = endpoint._node_for(mac)
                if node is None:
                    return self._refuse(mac, path)
                query = urllib.parse.parse_qs(parsed.query)
                info = {"node": node.name, "stage": stage, "mac": mac, "client": self.client_address[0],
                        "agent": self.headers.get("User-Agent", "")[:80]}
                if query.get("from") == ["disk"]:
                    info.update({"from": "disk", "disk_name": query.get("name", [""])[0][:64],
                                 "nic": query.get("nic", [""])[0][:32]})
                endpoint.env.post(endpoint._callback, node, stage, info)
                return self._send(200, _ipxe(f"echo twin: {node.name}: {stage} callback received; idle until "
                                             "powered off", ":idle", "sleep 60", "goto idle"))
            if path == "/agent/command":
                mac = normalize_mac(urllib.parse.parse_qs(parsed.query).get("mac", [""])[0])
                node = endpoint._node_for(mac)
                if node is None:
                    return self._refuse(mac, path)
                command = endpoint.next_command(mac, base)
                if command.startswith("write "):
                    endpoint.env.post(endpoint._write_taken, node, mac)
                return self._send(200, (command + "\n").encode())
            if path in SERVED and endpoint.artifacts is not None:
                return self._send_file(getattr(endpoint.artifacts, SERVED[path]))
            return self._send(404, _ipxe("echo twin: not found", "exit 1"))

        def _send_file(self, file_path) -> None:
            try:
                f = open(file_path, "rb")
            except OSError:
                return self._send(404, b"not found\n")
            with f:
                size = f.seek(0, 2)
                f.seek(0)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                shutil.copyfileobj(f, self.wfile, 1024 * 1024)

        def do_POST(self):  # noqa: N802 - http.server's naming
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(max(length, 0), 4096)).decode(errors="replace")
            if parsed.path != "/agent/report":
                return self._send(404, b"not found\n")
            mac = normalize_mac(urllib.parse.parse_qs(parsed.query).get("mac", [""])[0])
            node = endpoint._node_for(mac)
            if node is None:
                return self._refuse(mac, parsed.path)
            report = dict(line.split("=", 1) for line in body.splitlines() if "=" in line)
            report = {k.strip()[:32]: v.strip()[:300] for k, v in report.items()}
            endpoint.env.post(endpoint._write_report, node, mac, report)
            return self._send(200, b"ok\n")

    return Handler


def _real_stage_script(node: Node, stage: str, base: str) -> bytes:
    """The iPXE script of a stage when the endpoint deploys for real: the deploy ramdisk over
    HTTP, or the first hard disk (the image written there)."""
    if stage == "deploy":
        return _ipxe(f"echo twin: {node.name}: loading the deploy ramdisk",
                     f"kernel {base}/deploy/vmlinuz console=ttyS0 twin.mode=deploy twin.url={base} "
                     "twin.mac=${net0/mac} || goto failed",
                     f"initrd {base}/deploy/initrd.gz || goto failed",
                     "boot || goto failed",
                     ":failed", f"echo twin: {node.name}: the deploy ramdisk did not boot", ":idle", "sleep 60",
                     "goto idle")
    return _ipxe(f"echo twin: {node.name}: booting from the local disk",
                 "sanboot --no-describe --drive 0x80 || goto failed",
                 ":failed", f"echo twin: {node.name}: no bootable local disk", ":idle", "sleep 60", "goto idle")
