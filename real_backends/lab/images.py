"""The lab's boot artifacts, built once per host from Debian packages: the deploy kernel and
ramdisk that iPXE loads over HTTP, and the user image the ramdisk writes to a guest's disk.

What is built (into a cache folder, never the repository; rebuilt only when missing or when the
host's kernel changed):
- `vmlinuz`: the host's Debian kernel (`linux-image-amd64`, /boot/vmlinuz-<version>), copied.
- `initrd.gz`: a gzipped newc cpio written here in Python (no cpio tool, no root, no loop
  mount): busybox (`busybox-static`), the virtio modules the guest's NIC and disk need (from
  /lib/modules/<version>, `.ko.xz` decompressed with lzma) and `init` (ramdisk_init.sh). One
  initrd serves both stages: `twin.mode=deploy` (kernel command line from iPXE) runs the deploy
  agent, `twin.mode=disk` (from the image's syslinux.cfg) is the deployed OS reporting in.
- `disk.img`: the user image, a raw disk: syslinux's MBR (`mbr.bin`) and one bootable FAT
  partition at 1 MiB made with mtools (`mformat`, `mcopy` on the image file at an offset),
  holding the same kernel, the same initrd and a syslinux.cfg; syslinux's boot sector and
  ldlinux are installed with `syslinux --offset --install` on the file (mtools again, no mount).
  The node's identity is not in the image: the ramdisk writes it in the sector right after the
  image (IDENTITY at `identity_offset` = the image size), so the image's checksum covers exactly
  the bytes the host wrote and the booted OS reads back who it is from its own disk.

Rules: every tool is a Debian package that real_backends/lab/setup_host.sh installs; a missing
one is one ImageBuildError line naming the package. Writes go to a temporary folder renamed into
place, so a half-built cache is never used. `artifacts()` returns what exists (building it when
missing) with sizes and sha256, the boot endpoint serves them.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from twin.errors import TwinError

MIB = 1024 * 1024
#: insmod order: each module after the ones it depends on (docs/lab-notes.md).
MODULES = ("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci",
           "failover", "net_failover", "virtio_net", "virtio_blk")
PARTITION_START = 1 * MIB  # the FAT partition's first byte (sector 2048, as partitioners align)
BUILD_VERSION = 4  # bump when the recipe changes: caches of another version are rebuilt
INIT_SCRIPT = Path(__file__).with_name("ramdisk_init.sh")
SYSLINUX_MBR = Path("/usr/lib/syslinux/mbr/mbr.bin")
#: tool -> the Debian package that provides it
TOOLS = {"mformat": "mtools", "mcopy": "mtools", "syslinux": "syslinux"}


class ImageBuildError(TwinError):
    """The boot artifacts cannot be built on this host (one line: what is missing)."""


@dataclass(frozen=True)
class Artifacts:
    """Built files and their facts (what the boot endpoint serves and checks)."""

    dir: Path
    kernel: Path
    initrd: Path
    image: Path
    image_bytes: int
    image_sha256: str
    identity_offset: int
    kernel_version: str

    @property
    def ramdisk_bytes(self) -> int:
        return self.kernel.stat().st_size + self.initrd.stat().st_size


def cache_dir() -> Path:
    env = os.environ.get("TWIN_IMAGE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "helion-twin" / "images"


def host_kernel() -> tuple[str, Path]:
    """The newest Debian kernel in /boot with its modules (linux-image-amd64)."""
    found = []
    for vmlinuz in Path("/boot").glob("vmlinuz-*"):
        version = vmlinuz.name[len("vmlinuz-"):]
        if (Path("/lib/modules") / version / "modules.dep").exists():
            found.append((version, vmlinuz))
    if not found:
        raise ImageBuildError("no kernel in /boot with modules in /lib/modules (install the Debian package "
                              "linux-image-amd64: real_backends/lab/setup_host.sh)")
    return max(found, key=lambda vf: [int(p) if p.isdigit() else 0 for p in vf[0].replace("-", ".").split(".")])


def _module_path(version: str, name: str) -> Path:
    moddir = Path("/lib/modules") / version
    for line in (moddir / "modules.dep").read_text().splitlines():
        path = line.split(":", 1)[0]
        base = Path(path).name
        if base in (f"{name}.ko", f"{name}.ko.xz", f"{name}.ko.zst"):
            return moddir / path
    raise ImageBuildError(f"kernel {version} has no module {name} (is it built in? see docs/lab-notes.md)")


def _module_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".xz"):
        return lzma.decompress(data)  # busybox insmod may not read xz
    if path.name.endswith(".zst"):
        raise ImageBuildError(f"{path}: zstd-compressed modules are not supported")
    return data


class _Cpio:
    """A newc cpio archive (the initramfs format the kernel unpacks), written in memory."""

    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
        self.ino += 1
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out.write(header + name.encode() + b"\0")
        self.out.write(b"\0" * (-(110 + len(name) + 1) % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-len(data) % 4))

    def dir(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def chardev(self, name: str, major: int, minor: int) -> None:
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        self.out.write(b"\0" * (-self.out.tell() % 512))
        return self.out.getvalue()


def build_initrd(version: str, busybox: Path = Path("/bin/busybox")) -> bytes:
    if not busybox.exists():
        raise ImageBuildError(f"{busybox} is missing (install the Debian package busybox-static)")
    cpio = _Cpio()
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "lib", "lib/modules"):
        cpio.dir(d)
    cpio.chardev("dev/console", 5, 1)
    cpio.chardev("dev/null", 1, 3)
    cpio.file("bin/busybox", busybox.read_bytes(), 0o755)
    cpio.file("init", INIT_SCRIPT.read_bytes(), 0o755)
    cpio.file("etc/modules", ("\n".join(MODULES) + "\n").encode())
    for name in MODULES:
        cpio.file(f"lib/modules/{name}.ko", _module_bytes(_module_path(version, name)))
    return gzip.compress(cpio.finish(), compresslevel=9, mtime=0)


def _run(args: list[str], what: str) -> None:
    tool = args[0]
    if shutil.which(tool) is None:
        raise ImageBuildError(f"{tool} is missing (install the Debian package {TOOLS.get(tool, tool)})")
    proc = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    if proc.returncode != 0:
        raise ImageBuildError(f"{what}: {tool} failed: {(proc.stderr or proc.stdout).strip()[:300]}")


def _partition_entry(start_sector: int, sectors: int) -> bytes:
    """One MBR partition entry: bootable, FAT16 (LBA), CHS fields saturated (LBA is what counts)."""
    return (bytes([0x80, 0xFE, 0xFF, 0xFF, 0x0E, 0xFE, 0xFF, 0xFF]) + start_sector.to_bytes(4, "little")
            + sectors.to_bytes(4, "little"))


def build_image(path: Path, kernel: Path, initrd: Path) -> int:
    """The bootable user image at `path`; returns its size in bytes (a whole number of MiB)."""
    if not SYSLINUX_MBR.exists():
        raise ImageBuildError(f"{SYSLINUX_MBR} is missing (install the Debian package syslinux-common)")
    payload = kernel.stat().st_size + initrd.stat().st_size
    part_bytes = -(-int(payload * 1.15 + 1 * MIB) // MIB) * MIB  # FAT overhead and slack, whole MiB
    size = PARTITION_START + part_bytes
    with open(path, "wb") as f:
        f.truncate(size)
    target = f"{path}@@{PARTITION_START}"
    _run(["mformat", "-i", target, "-v", "TWINOS", "-H", str(PARTITION_START // 512),
          "-T", str(part_bytes // 512), "-h", "64", "-s", "32", "::"], "user image: FAT partition")
    cfg = ("DEFAULT twin\nPROMPT 0\nTIMEOUT 0\nLABEL twin\n  KERNEL /vmlinuz\n  INITRD /initrd.gz\n"
           f"  APPEND console=ttyS0 quiet twin.mode=disk twin.identity={size // 512}\n")
    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = Path(tmp) / "syslinux.cfg"
        cfg_path.write_text(cfg)
        _run(["mcopy", "-i", target, str(kernel), "::/vmlinuz"], "user image: kernel")
        _run(["mcopy", "-i", target, str(initrd), "::/initrd.gz"], "user image: initrd")
        _run(["mcopy", "-i", target, str(cfg_path), "::/syslinux.cfg"], "user image: syslinux.cfg")
    _run(["syslinux", "--offset", str(PARTITION_START), "--install", str(path)], "user image: boot loader")
    mbr = SYSLINUX_MBR.read_bytes()[:440]
    table = _partition_entry(PARTITION_START // 512, part_bytes // 512) + b"\0" * 48
    with open(path, "r+b") as f:
        f.write(mbr)
        f.seek(446)
        f.write(table + b"\x55\xaa")
    return size


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MIB), b""):
            h.update(chunk)
    return h.hexdigest()


def _load(folder: Path, version: str) -> Artifacts | None:
    try:
        meta = json.loads((folder / "artifacts.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("build_version") != BUILD_VERSION or meta.get("kernel_version") != version:
        return None
    files = {k: folder / meta[k] for k in ("kernel", "initrd", "image")}
    if not all(p.is_file() for p in files.values()) or files["image"].stat().st_size != meta["image_bytes"]:
        return None
    return Artifacts(folder, files["kernel"], files["initrd"], files["image"], meta["image_bytes"],
                     meta["image_sha256"], meta["identity_offset"], version)


def artifacts(folder: Path | None = None, *, build: bool = True) -> Artifacts:
    """The deploy kernel, initrd and user image, built into `folder` (default cache_dir()) when
    missing. `build=False` raises ImageBuildError instead of building."""
    folder = Path(folder) if folder is not None else cache_dir()
    version, vmlinuz = host_kernel()
    found = _load(folder, version)
    if found is not None:
        return found
    if not build:
        raise ImageBuildError(f"{folder}: no lab boot artifacts (build them: python -m real_backends.lab.images)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
    try:
        shutil.copyfile(vmlinuz, tmp / "vmlinuz")
        (tmp / "initrd.gz").write_bytes(build_initrd(version))
        size = build_image(tmp / "disk.img", tmp / "vmlinuz", tmp / "initrd.gz")
        meta = {"build_version": BUILD_VERSION, "kernel_version": version, "kernel": "vmlinuz",
                "initrd": "initrd.gz", "image": "disk.img", "image_bytes": size,
                "image_sha256": _sha256(tmp / "disk.img"), "identity_offset": size}
        (tmp / "artifacts.json").write_text(json.dumps(meta, indent=1) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    loaded = _load(folder, version)
    assert loaded is not None
    return loaded


def main(argv=None) -> int:
    import sys

    try:
        a = artifacts(Path(argv[0]) if argv else None)
    except ImageBuildError as exc:
        print(f"lab images: {exc}", file=sys.stderr)
        return 1
    print(f"lab images in {a.dir}: kernel {a.kernel_version} {a.kernel.stat().st_size / MIB:.1f} MiB, "
          f"initrd {a.initrd.stat().st_size / MIB:.2f} MiB, user image {a.image_bytes / MIB:.0f} MiB "
          f"(sha256 {a.image_sha256[:12]})")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
