"""Direct libvirt power and boot control for Helion's `VM` power management (Ironic pxe_ssh).

Rules of this file:
- The machine is a libvirt domain found by name (a domain named like the node) or else by the
  node's PXE MAC (in a libvirt <interface> or in a QEMU `-device ...,mac=` argument, as the lab
  defines its NICs), which is how Ironic's ssh/virsh driver finds its VM.
- The libvirt URI: `uri` if given; else qemu:///system for a loopback `pm_addr` and
  qemu+ssh://USER@ADDRESS/system otherwise (key-based ssh, as pxe_ssh). A password is never put
  in a URI, a message or a log line.
- One call is one hypervisor action, with IPMI's semantics: power on of a running domain and
  power off of a stopped one are no-ops; reset of a stopped domain is refused; cycle is off then
  on. Boot device sets <os><boot dev=...> in the persistent definition (libvirt has no one-time
  boot flag: a one-time request is applied persistently; the conductor sets it before each boot).
- Commands to one domain are serialized; failures are BmcErrors (reason unreachable for no
  libvirtd / no such domain, credentials for an authentication failure, protocol otherwise).
"""
from __future__ import annotations

import ipaddress
import threading
import xml.etree.ElementTree as ET

from twin.errors import BmcError
from twin.inventory.model import Node
from twin.kernel.ports import BootDevice, PowerAction

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
_BOOT_DEV = {"pxe": "network", "disk": "hd"}
ET.register_namespace("qemu", QEMU_NS)  # keep the qemu: prefix when a definition is rewritten


def _quiet_libvirt(_ctx, _err) -> None:
    """libvirt's default handler prints every error to stderr; ours become BmcErrors."""


def default_uri(node: Node) -> str:
    address = node.bmc.address
    try:
        loopback = address == "localhost" or ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return "qemu:///system"
    return f"qemu+ssh://{node.bmc.user}@{address}/system"


def domain_macs(xml_text: str) -> set[str]:
    """Every MAC a domain definition gives its NICs (libvirt interfaces and QEMU -device args)."""
    root = ET.fromstring(xml_text)
    macs = {m.get("address", "").lower() for m in root.findall("./devices/interface/mac")}
    for arg in root.iter(f"{{{QEMU_NS}}}arg"):
        for part in (arg.get("value") or "").split(","):
            if part.startswith("mac="):
                macs.add(part[4:].lower())
    macs.discard("")
    return macs


class LibvirtPower:
    """Blocking power and boot control of one node's domain. Thread-safe."""

    _conns: dict[str, object] = {}
    _conns_lock = threading.Lock()

    def __init__(self, node: Node, uri: str | None = None):
        self.node = node
        self.uri = uri or default_uri(node)
        self._lock = threading.Lock()
        self._domain_name: str | None = None

    # --- commands -----------------------------------------------------------------------
    def power(self, action: str) -> None:
        def run(dom):
            active = dom.isActive()
            if action == "on":
                if not active:
                    dom.create()
            elif action == "off":
                if active:
                    dom.destroy()
            elif action == "cycle":
                if active:
                    dom.destroy()
                dom.create()
            elif action == "reset":
                if not active:
                    raise BmcError(self.node.name, self.node.bmc.endpoint, "protocol",
                                   "power reset: the domain is off (reset needs a running machine)")
                dom.reset(0)
            else:
                raise ValueError(f"unknown power action {action!r}")

        self._run(f"power {action}", run)

    def power_state(self) -> str:
        return self._run("power status", lambda dom: "on" if dom.isActive() else "off")

    def set_boot_device(self, device: str, persistent: bool) -> None:
        if device not in _BOOT_DEV:
            raise ValueError(f"unknown boot device {device!r}")

        def run(dom):
            import libvirt

            root = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE))
            for holder in root.findall("./devices/*"):
                for boot in holder.findall("boot"):
                    holder.remove(boot)
            os_el = root.find("os")
            for boot in os_el.findall("boot"):
                os_el.remove(boot)
            ET.SubElement(os_el, "boot", {"dev": _BOOT_DEV[device]})
            dom.connect().defineXML(ET.tostring(root, encoding="unicode"))

        self._run(f"bootdev {device}", run)

    # --- machinery ----------------------------------------------------------------------
    def _run(self, what: str, fn):
        import libvirt

        with self._lock:
            try:
                return fn(self._domain())
            except BmcError:
                raise
            except libvirt.libvirtError as exc:
                self._forget(exc)
                raise self._classify(what, exc) from None

    def _connection(self):
        import libvirt

        with self._conns_lock:
            conn = self._conns.get(self.uri)
            if conn is not None:
                try:
                    if conn.isAlive():
                        return conn
                except libvirt.libvirtError:
                    pass
            libvirt.registerErrorHandler(_quiet_libvirt, None)  # raised as BmcErrors, not printed
            conn = libvirt.open(self.uri)
            self._conns[self.uri] = conn
            return conn

    def _domain(self):
        import libvirt

        conn = self._connection()
        if self._domain_name is not None:
            try:
                return conn.lookupByName(self._domain_name)
            except libvirt.libvirtError:
                self._domain_name = None
        try:
            dom = conn.lookupByName(self.node.name)
            self._domain_name = dom.name()
            return dom
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                raise
        mac = self.node.mac.lower()
        for dom in conn.listAllDomains():
            try:
                if mac in domain_macs(dom.XMLDesc(0)):
                    self._domain_name = dom.name()
                    return dom
            except libvirt.libvirtError:
                continue  # a domain that vanished while we looked
        raise BmcError(self.node.name, self.node.bmc.endpoint, "unreachable",
                       f"no libvirt domain named {self.node.name} or with MAC {mac} on {self.uri}")

    def _forget(self, exc) -> None:
        import libvirt

        if exc.get_error_domain() in (libvirt.VIR_FROM_RPC, libvirt.VIR_FROM_REMOTE):
            with self._conns_lock:
                self._conns.pop(self.uri, None)

    def _classify(self, what: str, exc) -> BmcError:
        import libvirt

        node, address = self.node.name, self.node.bmc.endpoint
        code = exc.get_error_code()
        text = exc.get_error_message() or str(exc)
        secret = self.node.bmc.password.get_secret_value()
        if secret:
            text = text.replace(secret, "***")
        if code in (libvirt.VIR_ERR_AUTH_FAILED, libvirt.VIR_ERR_AUTH_CANCELLED, libvirt.VIR_ERR_ACCESS_DENIED):
            return BmcError(node, address, "credentials", f"{what}: libvirt refused access on {self.uri}: {text}")
        if code in (libvirt.VIR_ERR_NO_CONNECT, libvirt.VIR_ERR_SYSTEM_ERROR, libvirt.VIR_ERR_RPC,
                    libvirt.VIR_ERR_NO_DOMAIN) or exc.get_error_domain() in (libvirt.VIR_FROM_RPC,
                                                                              libvirt.VIR_FROM_REMOTE):
            return BmcError(node, address, "unreachable", f"{what}: {self.uri}: {text}")
        if code == libvirt.VIR_ERR_OPERATION_TIMEOUT:
            return BmcError(node, address, "timeout", f"{what}: {self.uri}: {text}")
        return BmcError(node, address, "protocol", f"{what}: {self.uri}: {text}")


class LibvirtBmcPort:
    """The kernel's BmcPort for a `VM` node: libvirt calls in the thread pool. Not bounded here:
    the conductor bounds every command once (twin/workflows/power.py, `ipmi_call_timeout_s`)."""

    def __init__(self, env, node: Node, uri: str | None = None):
        self.env = env
        self.node = node
        self.backend = LibvirtPower(node, uri)

    def power(self, action: PowerAction):
        return self.env.call_blocking(self.backend.power, PowerAction(action).value)

    def power_state(self):
        return self.env.call_blocking(self.backend.power_state)

    def set_boot_device(self, device: BootDevice, persistent: bool):
        return self.env.call_blocking(self.backend.set_boot_device, BootDevice(device).value, bool(persistent))

    def close(self) -> None:
        pass
