"""The virtual bare-metal lab: N libvirt guests, each with a thin qcow2 disk, that PXE-boot through QEMU user-mode
networking, their BMCs on 127.0.0.1 (one virtual IPMI BMC per guest, or with `bmc="redfish"` one
sushy-tools Redfish emulator for the lab, redfishd.py), and the lab's instackenv.json.

Rules of this file:
- Only loopback: guests use QEMU user-mode networking (`-netdev user`, no host bridge, no
  libvirt network); their DHCP hands out http://10.0.2.2:BOOT_PORT/boot.ipxe, 10.0.2.2 being the
  host's loopback as a guest sees it. BMCs bind 127.0.0.1. The lab itself listens on nothing but
  its BMC ports; the boot endpoint belongs to the run (see README.md: the lab reserves its boot
  port and records it in lab.json; LiveHardware.for_lab binds exactly that port).
- Everything the lab makes is named and recorded: guests are `twin-<lab>-<i>` and carry the lab's
  name in their libvirt <metadata>; BMC processes carry the lab directory in their argv; files
  live in the lab directory. The state file (state.json) is written BEFORE each resource is
  created, so `down` can remove every guest, BMC process, port and file even after `up` crashed
  half-way; `down` also sweeps for guests and BMC processes of the lab that the state missed.
- `up` is idempotent: running it again on a lab converges on the same lab (same names, MACs,
  ports and password), recreating whatever is missing. `up` with more nodes, or `grow`, adds
  nodes; `up` with fewer is refused: `shrink` removes named guests (or the newest) with their
  BMCs. Guests keep their index (name, MAC) for the lab's life; a removed index is not reused.
- Secrets: the BMC password is generated per lab and is written only to files of mode 0600
  (secrets.json, bmc/<i>.json, redfish/htpasswd as a bcrypt hash, instackenv.json); it never
  appears in output, logs or errors.
- Guest disks: one thin qcow2 per guest in disk_dir() (libvirt's image folder by default, which
  QEMU's user can reach; the lab folder is private), its size the declared disk scaled down by
  DISK_SCALE (512 GiB -> 32 MiB) unless `up(disks_mib=...)` says otherwise for a node (a machine
  whose real disk is smaller than its inventory row). Recorded in the state before creation and
  removed by `down`. The deploy ramdisk and user image that go onto them are built once per host
  (images.py) and named in lab.json.
- The BMC protocol (`ipmi`, the default as in Helion, or `redfish`) is chosen when the lab is made
  and kept; changing it needs `down` first.
- Problems a user can cause (libvirtd not running, a port in use, a name clash with a foreign
  domain, a bad lab name) raise LabError (a TwinError) with a one-line message.
- Lab directories are registered under the lab root (TWIN_LAB_ROOT, default
  ~/.local/state/helion-twin/labs) as <root>/<name>.json, so `down --name L` finds a lab made with
  `--out DIR`.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from twin.errors import TwinError
from twin.fileio import atomic_write
from twin.inventory.model import PROFILE, Bmc, Hardware, Node, PowerKind, Role

from real_backends.lab import redfishd

DEFAULT_URI = "qemu:///system"
DEFAULT_BMC_PORT = 6230  # virtualbmc's customary first port
DEFAULT_REDFISH_PORT = 8000  # sushy-emulator's default port (TCP)
BMC_PROTOCOLS = ("ipmi", "redfish")
DEPLOY_MODES = ("real", "emulated")
BOOT_PORT_BASE = 18000  # + a hash of the lab name, to keep labs apart by default
GUEST_MEMORY_MIB = 96  # measured: the deploy ramdisk and the disk boot work with 96 MiB, 80 MiB panics (README.md)
#: Guest disks are the declared disk scaled down by this factor: 512 GiB -> 32 MiB (README.md).
DISK_SCALE = 2 ** 14
BMC_USER = "admin"
META_NS = "urn:helion-twin:lab"
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
BMC_READY_TIMEOUT_S = 20.0
#: Installer order for rows without a role (docs/domain.md s2): what `nodes()` assigns.
ROLE_ORDER = [Role.UNDERCLOUD, Role.CONTROL, Role.CONTROL, Role.CONTROL, Role.SWIFT, Role.SWIFT]
#: TripleO profile (instackenv.json "capabilities": "profile:<p>") -> role: what `grow --role` takes.
ROLE_BY_PROFILE = {profile: role for role, profile in PROFILE.items()}


class LabError(TwinError):
    """A lab problem the user can fix (one line)."""


@dataclass(frozen=True)
class Declared:
    """The hardware the lab's instackenv.json declares per node. The guests themselves are
    1 vCPU, GUEST_MEMORY_MIB, and a disk of disk_gib scaled down by DISK_SCALE. The defaults are
    the Helion 1.1 minimums (docs/domain.md s1: 32 GB RAM, 512 GiB disk) so the inventory rules accept
    the lab as the servers it stands in for."""

    cpus: int = 4
    memory_mib: int = 32768
    disk_gib: int = 512


def lab_root() -> Path:
    env = os.environ.get("TWIN_LAB_ROOT")
    if env:
        return Path(env)
    return Path.home() / ".local" / "state" / "helion-twin" / "labs"


def disk_dir() -> Path:
    """Where guest disks live: QEMU runs as libvirt's user and must reach them (the lab folder is
    private to its owner), so by default under libvirt's own image folder."""
    env = os.environ.get("TWIN_LAB_DISK_DIR")
    return Path(env) if env else Path("/var/lib/libvirt/images/helion-twin")


def _crash_point(step: str) -> None:
    """Test hook: TWIN_LAB_CRASH_AT=<step> makes `up` die right there, without any cleanup,
    as a SIGKILL would (used by tests/live to prove that `down` cleans a half-made lab)."""
    if os.environ.get("TWIN_LAB_CRASH_AT") == step:
        os._exit(86)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    """Atomic write through the project's one writer (twin/fileio.py: a unique temporary name,
    O_EXCL|O_NOFOLLOW, `mode` from creation): a symlink planted in the lab folder is never
    followed. Folders the lab makes are private (0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, text, mode)


def _port_free(kind: int, port: int) -> bool:
    """Whether `port` on 127.0.0.1 can be bound now (kind: SOCK_DGRAM for a BMC, SOCK_STREAM for
    the boot endpoint)."""
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def check_private_folder(folder: Path) -> None:
    """Refuse a lab folder that others may write into (they could plant files or symlinks)."""
    try:
        st = folder.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise LabError(f"{folder}: --out: not a directory (a symlink or a file)")
    if st.st_mode & 0o022:
        raise LabError(f"{folder}: --out: the lab folder is group- or world-writable (mode "
                       f"{stat.S_IMODE(st.st_mode):04o}); use a folder only you can write (chmod go-w)")


def _quiet_libvirt(_ctx, _err) -> None:
    """libvirt's default error handler prints every error to stderr; ours are raised instead."""


def _proc_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


class Lab:
    """A named lab. `Lab(name)` finds an existing lab through the registry; `Lab(name, dir)`
    puts a new one in `dir` (default <root>/<name>)."""

    def __init__(self, name: str = "lab", dir: str | os.PathLike | None = None, *, uri: str = DEFAULT_URI,
                 root: str | os.PathLike | None = None):
        if not NAME_RE.match(name or ""):
            raise LabError(f"lab name {name!r}: use 1-24 lower-case letters, digits or '-', starting with a letter or digit")
        self.name = name
        self.uri = uri
        self.root = Path(root) if root is not None else lab_root()
        self.registry = self.root / f"{name}.json"
        if dir is None:
            dir = self._registered_dir() or (self.root / name)
        self.dir = Path(dir).absolute()
        self.state_path = self.dir / "state.json"
        self._state: dict | None = None

    # --- naming -------------------------------------------------------------------------
    def domain_name(self, index: int) -> str:
        return f"twin-{self.name}-{index}"

    def mac(self, index: int) -> str:
        h = zlib.crc32(f"helion-twin-lab:{self.name}".encode())
        return f"52:54:00:{(h >> 8) & 0xFF:02x}:{h & 0xFF:02x}:{index:02x}"

    def _registered_dir(self) -> Path | None:
        try:
            return Path(json.loads(self.registry.read_text())["dir"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    # --- state --------------------------------------------------------------------------
    def _load(self) -> dict:
        if self._state is None:
            try:
                self._state = json.loads(self.state_path.read_text())
            except FileNotFoundError:
                self._state = {}
            except ValueError:
                raise LabError(f"{self.state_path}: the lab state is corrupt; remove the lab with 'lab down --name {self.name}'") from None
        return self._state

    def _save(self) -> None:
        _write(self.state_path, json.dumps(self._state, indent=1, sort_keys=True) + "\n", 0o600)

    def _track_file(self, path: Path) -> None:
        files = self._state.setdefault("files", [])
        if str(path) not in files:
            files.append(str(path))
            self._save()

    @property
    def exists(self) -> bool:
        return self.state_path.exists() or self.registry.exists()

    @property
    def protocol(self) -> str:
        """The lab's BMC protocol: "ipmi" or "redfish"."""
        return self._load().get("bmc_protocol", "ipmi")

    @property
    def boot_port(self) -> int | None:
        return self._load().get("boot_port")

    # --- host checks --------------------------------------------------------------------
    def _connect(self):
        try:
            import libvirt
        except ImportError:
            raise LabError("libvirt-python is not installed (run real_backends/lab/setup_host.sh)") from None
        libvirt.registerErrorHandler(_quiet_libvirt, None)  # errors are raised, not also printed
        try:
            return libvirt.open(self.uri)
        except libvirt.libvirtError:
            raise LabError(f"libvirtd is not running: {self.uri} does not answer "
                           "(start it with real_backends/lab/setup_host.sh)") from None

    # --- up -----------------------------------------------------------------------------
    def up(self, nodes: int, *, bmc_port: int = DEFAULT_BMC_PORT, boot_port: int | None = None,
           declared: Declared | None = None, owned: bool = False, bmc_busy_s: float | None = None,
           bmc: str | None = None, disks_mib: dict[int, int] | None = None, deploy: str | None = None) -> dict:
        """Make (or converge on) a lab of `nodes` guests; returns `status()`. First reaps the
        labs whose owner is gone (owners.py). `owned=True` makes this process the lab's owner:
        once it is gone, the next `up`, `status` or test session takes the lab down.
        `bmc_busy_s=S`: for S seconds after it starts and after each power change, each BMC
        refuses power commands with IPMI "node busy" (0xC0), as real BMCs do during a transition
        (set when the lab is made). `bmc`: "ipmi" (default) or "redfish" (module docstring).
        `disks_mib={index: MiB}`: those guests' disks have that size instead of the scaled
        declared one (set when the guest's disk is made). `deploy`: "real" (runs on this lab
        write the user image to the guests' disks with the deploy ramdisk, images.py) or
        "emulated" (the default for a new lab here, kept for the live tests of BMCs and workflows
        that do not need a Linux kernel booted twice per node under TCG: README.md); kept until
        an `up` names the other one."""
        from real_backends.lab import owners

        owners.reap_stale()
        if not 1 <= nodes <= 250:
            raise LabError(f"--nodes {nodes}: a lab has 1..250 nodes")
        if bmc is not None and bmc not in BMC_PROTOCOLS:
            raise LabError(f"--bmc {bmc}: use one of {', '.join(BMC_PROTOCOLS)}")
        if deploy is not None and deploy not in DEPLOY_MODES:
            raise LabError(f"--deploy {deploy}: use one of {', '.join(DEPLOY_MODES)}")
        if bmc_busy_s is not None and not 0 <= bmc_busy_s <= 300:
            raise LabError(f"--bmc-busy {bmc_busy_s:g}: a BMC stays busy 0..300 s")
        if shutil.which("qemu-system-x86_64") is None:
            raise LabError("qemu-system-x86_64 is not installed (run real_backends/lab/setup_host.sh)")
        check_private_folder(self.dir)
        check_private_folder(self.root)
        conn = self._connect()
        try:
            state = self._load()
            if state and state.get("name") != self.name:
                raise LabError(f"{self.dir} holds lab {state.get('name')!r}, not {self.name!r}")
            have = len(state.get("nodes", []))
            if have > nodes:
                raise LabError(f"lab {self.name} has {have} nodes; take it down first to make it smaller")
            if state and bmc is not None and bmc != state.get("bmc_protocol", "ipmi"):
                raise LabError(f"lab {self.name} has {state.get('bmc_protocol', 'ipmi')} BMCs; take it down first "
                               f"to change to {bmc}")
            if bmc == "redfish" and bmc_busy_s:
                raise LabError("--bmc-busy is an IPMI BMC's behaviour (node busy, 0xC0); the Redfish emulator has none")
            other = self.registry.exists() and self._registered_dir() not in (None, self.dir)
            if other:
                raise LabError(f"lab {self.name} already exists in {self._registered_dir()}")
            # The registry entry and the state come first: from here on, `down` can find everything.
            made_dir = not self.dir.exists()
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write(self.registry, json.dumps({"name": self.name, "dir": str(self.dir)}) + "\n")
            if not state:
                state.update({"name": self.name, "uri": self.uri, "made_dir": made_dir, "nodes": [],
                              "files": [], "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                              "bmc_protocol": bmc or "ipmi", "deploy": deploy or "emulated"})
                self._state = state
                self._save()
            if owned:
                state["owner"] = owners.this_process()
                self._save()
                owners.register(self.name, self.dir, self.root, state["owner"])
            if bmc_busy_s is not None:
                state["bmc_busy_s"] = float(bmc_busy_s)
            declared = declared or Declared(**state.get("declared", {}))
            state["declared"] = {"cpus": declared.cpus, "memory_mib": declared.memory_mib, "disk_gib": declared.disk_gib}
            self._secrets()
            self._reserve_boot_port(boot_port)
            _crash_point("state")
            if deploy is not None and deploy != state.get("deploy", "emulated"):
                state["deploy"] = deploy
            if state.get("deploy") == "real":
                self._ensure_images()
            (self.dir / "logs").mkdir(exist_ok=True, mode=0o700)  # guests' console logs (virtlogd)
            indices = self._indices(nodes)
            for i in indices:
                self._ensure_disk(i, (disks_mib or {}).get(i))
                self._ensure_guest(conn, i)
            self._ensure_bmcs(conn, indices, bmc_port)
            self._write_outputs()
            _crash_point("done")
        finally:
            conn.close()
        return self.status()

    def _secrets(self) -> dict:
        path = self.dir / "secrets.json"
        self._track_file(path)
        try:
            data = json.loads(path.read_text())
            if data.get("password"):
                return data
        except (OSError, ValueError):
            pass
        data = {"user": BMC_USER, "password": secrets.token_urlsafe(12)}
        _write(path, json.dumps(data) + "\n", 0o600)
        return data

    def _ports_of_other_labs(self) -> tuple[set[int], set[int]]:
        boot, bmc = set(), set()
        if not self.root.is_dir():
            return boot, bmc
        for entry in self.root.glob("*.json"):
            if entry == self.registry:
                continue
            try:
                other = json.loads((Path(json.loads(entry.read_text())["dir"]) / "state.json").read_text())
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if other.get("boot_port"):
                boot.add(int(other["boot_port"]))
            if (other.get("redfish") or {}).get("port"):  # TCP too: kept apart from boot ports
                boot.add(int(other["redfish"]["port"]))
            bmc.update(int(n["bmc_port"]) for n in other.get("nodes", []) if n.get("bmc_port"))
        return boot, bmc

    def _reserve_boot_port(self, wanted: int | None) -> None:
        state = self._state
        if state.get("boot_port") and wanted in (None, state["boot_port"]):
            return
        if state.get("boot_port") and wanted is not None:
            raise LabError(f"lab {self.name} already uses boot port {state['boot_port']}; take it down to change it")
        taken, _ = self._ports_of_other_labs()
        if wanted is not None:
            if wanted in taken or not _port_free(socket.SOCK_STREAM, wanted):
                raise LabError(f"boot port 127.0.0.1:{wanted}/tcp is already in use")
            port = wanted
        else:
            port = BOOT_PORT_BASE + zlib.crc32(self.name.encode()) % 1000
            while port in taken or not _port_free(socket.SOCK_STREAM, port):
                port += 1
                if port > 65000:
                    raise LabError("no free TCP port on 127.0.0.1 for the lab's boot endpoint")
        state["boot_port"] = port
        self._save()

    def _ensure_images(self) -> None:
        """The deploy ramdisk and user image (images.py), built once per host when missing."""
        from real_backends.lab import images

        try:
            built = images.artifacts()
        except images.ImageBuildError as exc:
            raise LabError(f"lab boot images: {exc}") from None
        self._state["images"] = str(built.dir)
        self._save()

    def _disk_path(self, index: int) -> Path:
        return disk_dir() / f"{self.domain_name(index)}.qcow2"

    def _ensure_disk(self, index: int, size_mib: int | None) -> None:
        """A thin qcow2 for guest `index` (kept when it exists: `up` converges)."""
        entry = self._entry(index)
        if entry is None:
            entry = {"index": index, "domain": self.domain_name(index), "mac": self.mac(index)}
            self._state["nodes"].append(entry)
        path = self._disk_path(index)
        if size_mib is None:
            size_mib = entry.get("disk_mib") or max(1, self._state["declared"]["disk_gib"] * 1024 // DISK_SCALE)
        entry["disk"], entry["disk_mib"] = str(path), int(size_mib)
        self._save()  # BEFORE the file exists
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o711)
        proc = subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), f"{int(size_mib)}M"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise LabError(f"cannot make the disk of {entry['domain']}: {proc.stderr.strip()[:200]}")

    def _guest_xml(self, index: int, uuid: str | None = None) -> str:
        mac, port = self.mac(index), self._state["boot_port"]
        console_log = self.dir / "logs" / f"console-{index}.log"
        uuid_line = f"\n  <uuid>{uuid}</uuid>" if uuid else ""
        return f"""<domain type='qemu' xmlns:qemu='{QEMU_NS}'>
  <name>{self.domain_name(index)}</name>{uuid_line}
  <title>helion-twin lab {self.name} node {index}</title>
  <metadata><twin:lab xmlns:twin='{META_NS}' name='{self.name}' index='{index}'/></metadata>
  <memory unit='MiB'>{GUEST_MEMORY_MIB}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{self._disk_path(index)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='pty'><log file='{console_log}' append='on'/></serial>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='user,id=pxe0,bootfile=http://10.0.2.2:{port}/boot.ipxe'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=pxe0,mac={mac},bootindex=0,addr=0x9'/>
  </qemu:commandline>
</domain>
"""

    @staticmethod
    def _lab_of(dom) -> str | None:
        import libvirt

        try:
            meta = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, META_NS, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        except libvirt.libvirtError:
            return None
        try:
            return ET.fromstring(meta).get("name")
        except ET.ParseError:
            return None

    def _ensure_guest(self, conn, index: int) -> None:
        import libvirt

        name = self.domain_name(index)
        entry = self._entry(index)
        if entry is None:
            entry = {"index": index, "domain": name, "mac": self.mac(index)}
            self._state["nodes"].append(entry)
        try:
            dom = conn.lookupByName(name)
        except libvirt.libvirtError:
            dom = None
        if dom is not None:
            if self._lab_of(dom) != self.name:
                raise LabError(f"name clash: a libvirt domain {name} exists and is not part of lab {self.name}")
            # Converge on the current definition (e.g. a new boot port) without touching a running guest.
            if not dom.isActive():
                conn.defineXML(self._guest_xml(index, dom.UUIDString()))
            entry["guest"], entry["uuid"] = "defined", dom.UUIDString()
            self._save()
            return
        entry["guest"] = "defining"
        self._save()  # BEFORE the domain exists
        try:
            dom = conn.defineXML(self._guest_xml(index))
        except libvirt.libvirtError as exc:
            raise LabError(f"cannot define guest {name}: {exc.get_error_message()}") from None
        entry["guest"], entry["uuid"] = "defined", dom.UUIDString()
        self._save()
        _crash_point(f"guest:{index}")

    def _bmc_config(self, index: int) -> Path:
        return self.dir / "bmc" / f"{index}.json"

    def _bmc_alive(self, pid: int | None) -> bool:
        if not pid:
            return False
        args = _proc_cmdline(pid)
        return "real_backends.lab.bmcd" in args and str(self._bmc_config_dir()) in " ".join(args)

    def _bmc_config_dir(self) -> Path:
        return self.dir / "bmc"

    def _ensure_bmc(self, index: int, base_port: int) -> None:
        entry = self._entry(index)
        if self._bmc_alive(entry.get("pid")):
            return
        _, other_labs = self._ports_of_other_labs()
        mine = {n.get("bmc_port") for n in self._state["nodes"] if n is not entry}
        port = entry.get("bmc_port")
        if port is not None and not _port_free(socket.SOCK_DGRAM, port):
            raise LabError(f"BMC port 127.0.0.1:{port}/udp of {entry['domain']} is in use by another program")
        if port is None:
            port = max(base_port, 1024)
            while port in mine or port in other_labs or not _port_free(socket.SOCK_DGRAM, port):
                port += 1
                if port > 65000:
                    raise LabError("no free UDP port on 127.0.0.1 for a virtual BMC")
        entry["bmc_port"] = port
        entry["bmc"] = "starting"
        self._save()  # BEFORE the process exists
        secret = self._secrets()
        config = self._bmc_config(index)
        self._track_file(config)
        _write(config, json.dumps({"domain": entry["domain"], "port": port, "address": "127.0.0.1",
                                   "user": secret["user"], "password": secret["password"],
                                   "uri": self.uri, "busy_s": self._state.get("bmc_busy_s", 0)}) + "\n", 0o600)
        vconf = self.dir / "virtualbmc.conf"
        self._track_file(vconf)
        if not vconf.exists():
            _write(vconf, "[log]\ndebug = false\n[default]\nshow_passwords = false\n"
                          f"config_dir = {self.dir / 'bmc'}\npid_file = {self.dir / 'bmc' / 'unused.pid'}\n")
        logs = self.dir / "logs"
        logs.mkdir(exist_ok=True)
        log_path = logs / f"bmc-{index}.log"
        self._track_file(log_path)
        env = dict(os.environ, HOME=str(self.dir), VIRTUALBMC_CONFIG=str(vconf), PYTHONUNBUFFERED="1")
        repo = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        with open(log_path, "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "real_backends.lab.bmcd", str(config)],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                    cwd=str(self.dir), env=env, start_new_session=True, close_fds=True)
        entry["pid"] = proc.pid
        self._save()
        _crash_point(f"bmc:{index}")
        line = self._read_ready(proc)
        if not line.startswith("ready"):
            proc.wait(timeout=5) if proc.poll() is None else None
            tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise LabError(f"BMC of {entry['domain']} on 127.0.0.1:{port}/udp did not start: {tail[0][:200]}")
        proc.stdout.close()
        entry["bmc"] = "running"
        self._save()

    def _redfish_alive(self, pid: int | None) -> bool:
        return bool(pid) and redfishd.is_emulator(_proc_cmdline(pid), self.dir)

    def _ensure_bmcs(self, conn, indices, bmc_port) -> None:
        """The guests' BMCs running: the lab's one Redfish emulator (it serves every guest), or
        one virtualbmc per guest in `indices`."""
        if self.protocol == "redfish":
            self._ensure_redfish(conn)
        else:
            for i in indices:
                self._ensure_bmc(i, bmc_port)

    def _ensure_redfish(self, conn) -> None:
        """One sushy-tools emulator for the lab's guests (redfishd.py), restarted when the guest
        set changed (its allowed instances are fixed at start)."""
        state = self._state
        entry = state.setdefault("redfish", {})
        uuids = [n["uuid"] for n in state["nodes"]]
        if self._redfish_alive(entry.get("pid")) and entry.get("uuids") == uuids:
            return
        self._stop_pids([entry["pid"]] if self._redfish_alive(entry.get("pid")) else [])
        port = entry.get("port")
        if port is not None and not _port_free(socket.SOCK_STREAM, port):
            raise LabError(f"Redfish port 127.0.0.1:{port}/tcp of lab {self.name} is in use by another program")
        if port is None:
            taken = self._ports_of_other_labs()[0] | {state.get("boot_port")}
            port = DEFAULT_REDFISH_PORT
            while port in taken or not _port_free(socket.SOCK_STREAM, port):
                port += 1
                if port > 65000:
                    raise LabError("no free TCP port on 127.0.0.1 for the lab's Redfish emulator")
        entry.update({"port": port, "state": "starting", "uuids": uuids})
        self._save()  # BEFORE the process exists
        secret = self._secrets()
        for path in redfishd.write_config(self.dir, port, self.uri, secret["user"], secret["password"], uuids,
                                          _write):
            self._track_file(path)
        logs = self.dir / "logs"
        logs.mkdir(exist_ok=True)
        log_path = logs / "redfish.log"
        self._track_file(log_path)
        proc = redfishd.start(self.dir, log_path)
        entry["pid"] = proc.pid
        self._save()
        _crash_point("redfish")
        if not redfishd.wait_ready(proc, port, secret["user"], secret["password"]):
            self._stop_pids([proc.pid])
            tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise LabError(f"the Redfish emulator of lab {self.name} on 127.0.0.1:{port}/tcp did not start: "
                           f"{tail[0][:200]}")
        entry["state"] = "running"
        self._save()

    @staticmethod
    def _stop_pids(pids) -> list[int]:
        """SIGTERM each process, SIGKILL what is left after 5 s; the pids signalled."""
        stopped = []
        for pid in sorted(set(pids)):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            stopped.append(pid)
        deadline = time.monotonic() + 5
        for pid in stopped:
            while time.monotonic() < deadline and _proc_cmdline(pid):
                time.sleep(0.05)
            if _proc_cmdline(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        return stopped

    @staticmethod
    def _read_ready(proc) -> str:
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + BMC_READY_TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                if sel.select(timeout=0.2):
                    return proc.stdout.readline().decode(errors="replace").strip()
                if proc.poll() is not None:
                    return ""
            return ""
        finally:
            sel.close()

    def _write_outputs(self) -> None:
        secret = self._secrets()
        d = self._state["declared"]
        rows = [{"name": n["domain"], **self._pm_fields(n), "pm_user": secret["user"],
                 "pm_password": secret["password"], "mac": [n["mac"]],
                 "cpu": d["cpus"], "memory": d["memory_mib"], "disk": d["disk_gib"], "arch": "x86_64",
                 **({"capabilities": f"profile:{n['role']}"} if n.get("role") else {})}
                for n in self._state["nodes"]]
        inst = self.dir / "instackenv.json"
        self._track_file(inst)
        _write(inst, json.dumps({"nodes": rows}, indent=2) + "\n", 0o600)
        port = self._state["boot_port"]
        lab = {"name": self.name, "dir": str(self.dir), "uri": self.uri, "boot_port": port,
               "boot_bind": f"127.0.0.1:{port}", "boot_url_guest": f"http://10.0.2.2:{port}/boot.ipxe",
               "instackenv": "instackenv.json",
               "bmc_protocol": self.protocol,
               "deploy": self._state.get("deploy", "emulated"),
               "images": self._state.get("images") if self._state.get("deploy") == "real" else None,
               "nodes": [{"name": n["domain"], "mac": n["mac"], "bmc": self._bmc_text(n), "disk": n.get("disk"),
                          "disk_mib": n.get("disk_mib")}
                         for n in self._state["nodes"]],
               "note": "baremetal.csv is not written: its ipmi_address column cannot carry the virtual "
                       "BMCs' ports for the Helion installer (see real_backends/lab/README.md)"}
        path = self.dir / "lab.json"
        self._track_file(path)
        _write(path, json.dumps(lab, indent=2) + "\n")

    def _pm_fields(self, n: dict) -> dict:
        """A node's pm_* keys of instackenv.json (without the credentials)."""
        if self.protocol == "redfish":
            return {"pm_type": "redfish", "pm_addr": f"http://127.0.0.1:{self._state['redfish']['port']}",
                    "pm_system_id": f"/redfish/v1/Systems/{n['uuid']}"}
        return {"pm_type": "pxe_ipmitool", "pm_addr": "127.0.0.1", "pm_port": n["bmc_port"]}

    def _bmc_text(self, n: dict) -> str:
        if self.protocol == "redfish":
            port = self._state.get("redfish", {}).get("port")
            return f"http://127.0.0.1:{port}/redfish/v1/Systems/{n.get('uuid')}" if port else "-"
        return f"127.0.0.1:{n['bmc_port']}" if n.get("bmc_port") else "-"

    # --- grow and shrink a running lab ------------------------------------------------------
    def _entry(self, index: int) -> dict | None:
        """The state's node entry of guest `index` (entries keep their index when others leave)."""
        return next((n for n in self._state.get("nodes", []) if n["index"] == index), None)

    def _indices(self, count: int) -> list[int]:
        """`count` guest indices: the lab's own (in order), then new ones after the highest."""
        have = [n["index"] for n in self._state.get("nodes", [])][:count]
        nxt = max(max(have, default=-1) + 1, self._state.get("next_index", 0))
        return have + list(range(nxt, nxt + count - len(have)))

    def _running_state(self, verb: str) -> dict:
        state = self._load()
        if not state or not state.get("nodes"):
            raise LabError(f"lab {self.name}: not found, or it has no nodes (make it with 'twin lab up'); "
                           f"nothing to {verb}")
        return state

    def _freeze_roles(self) -> None:
        """Write each node's role into the state (its installer-order role where none was given),
        so that adding a node of another role or removing one never shifts the others' roles
        (instackenv.json then carries every row's `capabilities: profile:<role>`)."""
        for i, n in enumerate(self._state["nodes"]):
            if not n.get("role"):
                n["role"] = PROFILE[ROLE_ORDER[i] if i < len(ROLE_ORDER) else Role.COMPUTE]
        self._save()

    def grow(self, nodes: int, *, role: str | None = None, bmc_port: int = DEFAULT_BMC_PORT) -> dict:
        """Add `nodes` guests and their BMCs to an existing lab (as `up` makes them: state first,
        then the guest, then its BMC), rewrite instackenv.json and lab.json; returns `status()`.
        `role`: a TripleO profile (compute, control, ...) the new rows declare in instackenv.json;
        giving one freezes every row's role (`_freeze_roles`). New guests get indices after the
        highest the lab has, so names and MACs are never reused within a lab."""
        from real_backends.lab import owners

        owners.reap_stale()
        state = self._running_state("grow")
        if role is not None and role not in ROLE_BY_PROFILE:
            raise LabError(f"--role {role}: use one of {', '.join(ROLE_BY_PROFILE)}")
        have = len(state["nodes"])
        if not 1 <= nodes <= 250 - have:
            raise LabError(f"--nodes {nodes}: lab {self.name} has {have} nodes; it can grow by 1..{250 - have}")
        conn = self._connect()
        try:
            if role is not None:
                self._freeze_roles()
            new = self._indices(have + nodes)[have:]
            for i in new:
                self._ensure_disk(i, None)
                self._ensure_guest(conn, i)
                if role is not None or any(n.get("role") for n in state["nodes"]):
                    self._entry(i)["role"] = role or PROFILE[Role.COMPUTE]
                    self._save()
            self._ensure_bmcs(conn, new, bmc_port)
            self._write_outputs()
        finally:
            conn.close()
        return self.status()

    def shrink(self, which: int | list[str]) -> dict:
        """Remove guests and their BMCs from a lab: `which` is a count (the newest guests) or
        guest names (twin-<lab>-<i>). Every other node keeps its name, MAC, BMC port and role
        (roles are frozen first). Returns what was removed; instackenv.json and lab.json are
        rewritten without the removed rows."""
        state = self._running_state("shrink")
        entries = state["nodes"]
        if isinstance(which, int):
            if not 1 <= which < len(entries):
                raise LabError(f"--nodes {which}: lab {self.name} has {len(entries)} nodes; shrink by "
                               f"1..{len(entries) - 1} (or take it down)")
            leaving = entries[-which:]
        else:
            by_name = {n["domain"]: n for n in entries}
            unknown = [w for w in which if w not in by_name]
            if unknown:
                raise LabError(f"--nodes: lab {self.name} has no node {', '.join(unknown)} "
                               f"(its nodes: {', '.join(by_name)})")
            leaving = [by_name[w] for w in dict.fromkeys(which)]
            if len(leaving) == len(entries):
                raise LabError(f"--nodes: that is every node of lab {self.name}; take it down instead")
        self._freeze_roles()
        removed = {"guests": [], "bmc_processes": []}
        for entry in leaving:
            entry["guest"] = "removing"
        self._save()  # BEFORE anything goes: a crash here leaves what `down` sweeps anyway
        pids = [e["pid"] for e in leaving if self._bmc_alive(e.get("pid"))]
        pids += [pid for pid in self._stray_bmc_pids()
                 if any(str(self._bmc_config(e["index"])) in _proc_cmdline(pid) for e in leaving)]
        removed["bmc_processes"] = self._stop_pids(pids)
        conn = self._connect()
        import libvirt  # importable: _connect checked

        try:
            for entry in leaving:
                try:
                    dom = conn.lookupByName(entry["domain"])
                except libvirt.libvirtError:
                    dom = None
                if dom is not None and self._lab_of(dom) == self.name:  # never touch a foreign domain
                    if dom.isActive():
                        dom.destroy()
                    dom.undefine()
                    removed["guests"].append(entry["domain"])
            gone = {id(e) for e in leaving}
            state["next_index"] = max([state.get("next_index", 0)] + [n["index"] + 1 for n in entries])
            state["nodes"] = [n for n in entries if id(n) not in gone]
            for entry in leaving:
                for path in (self._bmc_config(entry["index"]), self.dir / "logs" / f"bmc-{entry['index']}.log"):
                    path.unlink(missing_ok=True)
                    if str(path) in state.get("files", []):
                        state["files"].remove(str(path))
                if entry.get("disk"):  # outside the lab folder (disk_dir()); removed with its guest
                    Path(entry["disk"]).unlink(missing_ok=True)
            self._save()
            if self.protocol == "redfish":
                self._ensure_redfish(conn)  # its allowed instances are the remaining guests
        finally:
            conn.close()
        self._write_outputs()
        return removed

    # --- what the lab is ----------------------------------------------------------------
    def nodes(self) -> list[Node]:
        """The lab's nodes as the twin sees them (roles in the installer's order)."""
        state = self._load()
        if not state.get("nodes"):
            raise LabError(f"lab {self.name} has no nodes (run 'lab up' first)")
        secret = json.loads((self.dir / "secrets.json").read_text())
        d = Declared(**state.get("declared", {}))
        result = []
        for i, n in enumerate(state["nodes"]):
            role = ROLE_BY_PROFILE[n["role"]] if n.get("role") else ROLE_ORDER[i] if i < len(ROLE_ORDER) else Role.COMPUTE
            if self.protocol == "redfish":
                bmc = Bmc(kind=PowerKind.REDFISH, address="127.0.0.1", user=secret["user"],
                          password=SecretStr(secret["password"]), port=int(state["redfish"]["port"]),
                          scheme="http", system_id=f"/redfish/v1/Systems/{n['uuid']}")
            else:
                bmc = Bmc(kind=PowerKind.IPMI, address="127.0.0.1", user=secret["user"],
                          password=SecretStr(secret["password"]), port=int(n["bmc_port"]))
            result.append(Node(name=n["domain"], role=role, mac=n["mac"], bmc=bmc,
                               hardware=Hardware(cpus=d.cpus, memory_mib=d.memory_mib, disk_gib=d.disk_gib),
                               source=str(self.dir / "instackenv.json"), line=0))
        return result

    def status(self) -> dict:
        state = self._load()
        result = {"name": self.name, "dir": str(self.dir), "exists": bool(state), "boot_port": state.get("boot_port"),
                  "bmc_protocol": self.protocol, "nodes": []}
        if not state:
            return result
        try:
            conn = self._connect()
        except LabError as exc:
            conn, result["libvirt"] = None, str(exc)
        try:
            for n in state.get("nodes", []):
                power = "unknown"
                if conn is not None:
                    try:
                        dom = conn.lookupByName(n["domain"])
                        power = "on" if dom.isActive() else "off"
                    except Exception:  # noqa: BLE001 - a missing guest is reported, not raised
                        power = "missing"
                result["nodes"].append({"name": n["domain"], "mac": n["mac"], "power": power,
                                        "bmc": self._bmc_text(n),
                                        "bmc_running": self._redfish_alive(state.get("redfish", {}).get("pid"))
                                        if self.protocol == "redfish" else self._bmc_alive(n.get("pid"))})
        finally:
            if conn is not None:
                conn.close()
        return result

    # --- down ---------------------------------------------------------------------------
    def _stray_bmc_pids(self) -> list[int]:
        marker = str(self._bmc_config_dir()) + os.sep
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            args = _proc_cmdline(int(entry.name))
            if "real_backends.lab.bmcd" in args and any(a.startswith(marker) for a in args):
                pids.append(int(entry.name))
        return pids

    def down(self) -> dict:
        """Remove every guest, BMC process and file of the lab. Safe on a half-made lab and on
        no lab at all. Returns what was removed."""
        state = self._load()
        removed = {"guests": [], "bmc_processes": [], "files": []}
        # 1. BMC processes (IPMI BMCs and the Redfish emulator): recorded pids (if they are still
        #    ours) and any stray ones of this lab.
        pids = {n["pid"] for n in state.get("nodes", []) if self._bmc_alive(n.get("pid"))}
        pids.update(self._stray_bmc_pids())
        if self._redfish_alive(state.get("redfish", {}).get("pid")):
            pids.add(state["redfish"]["pid"])
        pids.update(redfishd.pids_of(self.dir, _proc_cmdline))
        removed["bmc_processes"] = self._stop_pids(pids)
        # 2. Guests: recorded names and any domain carrying this lab's metadata.
        try:
            import libvirt
        except ImportError:
            libvirt = None
        if libvirt is not None:
            conn = self._connect()
            try:
                names = {n["domain"] for n in state.get("nodes", [])}
                for dom in conn.listAllDomains():
                    if self._lab_of(dom) == self.name:
                        names.add(dom.name())
                def remove(name: str) -> str | None:
                    try:
                        dom = conn.lookupByName(name)
                    except libvirt.libvirtError:
                        return None
                    if self._lab_of(dom) != self.name:
                        return None  # never touch a domain that is not ours
                    if dom.isActive():
                        dom.destroy()  # ~2 s per running TCG guest: done in parallel
                    dom.undefine()
                    return name

                with ThreadPoolExecutor(max_workers=8) as pool:
                    gone = list(pool.map(remove, sorted(names)))
                removed["guests"] = [name for name in gone if name]
            finally:
                conn.close()
        # 3. Guest disks (outside the lab folder: disk_dir()), recorded ones and any of this lab's
        #    guest names (domain names are unique on the host, so these files are this lab's).
        own = re.compile(rf"^twin-{re.escape(self.name)}-[0-9]+\.qcow2$")
        disks = {Path(n["disk"]) for n in state.get("nodes", []) if n.get("disk")}
        disks.update(p for p in disk_dir().glob(f"twin-{self.name}-*.qcow2") if own.match(p.name))
        for disk in disks:
            if disk.is_file() and own.match(disk.name):
                disk.unlink()
                removed["files"].append(str(disk))
        # 4. Files: the recorded ones, the lab's subdirectories, the state, the registry entry.
        known = [Path(f) for f in state.get("files", [])]
        known += [self.dir / p for p in ("secrets.json", "instackenv.json", "lab.json", "virtualbmc.conf")]
        for path in known:
            if path.is_file() and self.dir in path.parents:
                path.unlink()
                removed["files"].append(str(path))
        for sub in ("bmc", "logs", "redfish"):
            target = self.dir / sub
            if target.is_dir():
                shutil.rmtree(target)
                removed["files"].append(str(target))
        for tmp in self.dir.glob(".*.tmp") if self.dir.is_dir() else []:
            if tmp.is_file() and not tmp.is_symlink():
                tmp.unlink()
        if self.state_path.exists():
            self.state_path.unlink()
            removed["files"].append(str(self.state_path))
        made_dir = state.get("made_dir", True)
        if self.dir.is_dir() and made_dir and not any(self.dir.iterdir()):
            self.dir.rmdir()
            removed["files"].append(str(self.dir))
        if self.registry.exists() and self._registered_dir() in (None, self.dir):
            self.registry.unlink()
        from real_backends.lab import owners

        owners.unregister(self.name, self.dir)
        try:
            self.root.rmdir()  # only if no other lab is registered there
        except OSError:
            pass
        self._state = None
        return removed
