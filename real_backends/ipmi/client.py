"""A blocking IPMI-over-LAN client on pyghmi, for physical BMCs and virtual ones (virtualbmc).

Rules of this file:
- One `IpmiClient` per BMC credential set; one lock per BMC address:port, so commands to one
  BMC are serialized (pyghmi sessions are not thread-safe) while different BMCs proceed in
  parallel from different threads. The RMCP+ session is reused across commands and renewed when
  pyghmi reports it broken.
- One method call is one IPMI command as Ironic's ipmitool driver sends it (`power on`,
  `chassis bootdev pxe`, ...). Polling, retries, back-off and the minimum command interval are
  conductor logic (twin/workflows/power.py), not here.
- Cipher suites: `cipher_suite=None` ("auto") proposes suite 17 (RAKP-HMAC-SHA256) and falls
  back to suite 3 (RAKP-HMAC-SHA1) when the BMC answers the RMCP+ Open Session request with
  SHA1 algorithms or rejects SHA256, or answers RAKP2 with SHA1 after all. Stock pyghmi (1.6.x) proposes 17 and *assumes* acceptance,
  then dies at RAKP2 with `struct.error: pack expected 32 items ... got 20` against virtualbmc
  and many real BMCs (docs/lab-notes.md; Ironic documents `ipmi_cipher_suite=3` as the fix).
  `cipher_suite=3` or `17` forces one suite. The fallback lives in `_TwinSession`, a subclass of
  pyghmi's Session: pyghmi keeps the SHA1 variant of the handshake behind its private
  `attemptedhash` (256 = SHA256 / suite 17, 1 = SHA1 / suite 3; see
  pyghmi/ipmi/private/session.py `_initsession`, `_open_rmcpplus_request`, `_got_rmcp_response`).
  A SHA1 RAKP2 to a SHA256 login fails that session only (never a struct.error escaping into
  whichever thread runs pyghmi's shared I/O loop, which may be serving another BMC).
- Every failure is a `twin.errors.BmcError(node, address, reason, detail)` with reason
  credentials | unreachable | timeout | protocol and a detail an operator can act on. The
  password is never put in a message, log line or exception: texts coming from pyghmi are
  additionally scrubbed of it.
"""
from __future__ import annotations

import errno
import logging
import socket
import struct
import threading
import time
from dataclasses import dataclass

from pyghmi import exceptions as pyghmi_exc
from pyghmi.ipmi import command as ipmi_command
from pyghmi.ipmi.private import session as ipmi_session

from twin.errors import BmcError
from twin.inventory.model import Bmc

log = logging.getLogger(__name__)

SUITES = (3, 17)
#: pyghmi's private code for the handshake hash: 256 = SHA256 (suite 17), 1 = SHA1 (suite 3).
_HASH_OF_SUITE = {17: 256, 3: 1}
#: RMCP+ authentication algorithm numbers (IPMI 2.0 table 13-17) as a BMC may answer them.
_AUTH_SHA1, _AUTH_SHA256 = 1, 3

#: IPMI completion codes that mean "this user may not do that" (IPMI 2.0 table 5-2).
_PRIVILEGE_CODES = {0xD4}
#: pyghmi login error texts that mean the BMC refused the user or the password.
_CREDENTIAL_WORDS = ("incorrect password", "unauthorized name", "invalid role", "unauthorized role",
                     "invalid username", "privilege", "unauthorized guid", "invalid integrity check")
_TIMEOUT_WORDS = ("timeout", "session no longer connected", "session failed to initialize",
                  "no response")
_CIPHER_WORDS = ("cipher", "authentication algorithm", "integrity algorithm", "confidentiality")
RAKP2_MISMATCH = ("cipher suite mismatch at RAKP2: the BMC answered with SHA1 (suite 3) to a "
                  "suite 17 (SHA256) login")

#: chassis control (IPMI 2.0 section 28.3) data byte per action.
_CHASSIS_CONTROL = {"off": 0x00, "on": 0x01, "cycle": 0x02, "reset": 0x03}
_BOOT_DEVICE = {"pxe": "network", "disk": "hd", "network": "network", "hd": "hd"}


@dataclass(frozen=True)
class IpmiOptions:
    """How to talk to a fleet of BMCs.

    cipher_suite: None = auto (17, falling back to 3), or 3 / 17 to force one.
    timeout_s: the bound on one command, enforced by the BMC port (LiveBmcPort); the blocking
      call itself may run on until pyghmi gives up (about 5 s for a BMC that never answers).
    privilege: None = ask for ADMINISTRATOR and let pyghmi drop to OPERATOR if refused
      (4 = administrator, 3 = operator).
    """

    cipher_suite: int | None = None
    timeout_s: float = 10.0
    privilege: int | None = None

    def __post_init__(self):
        if self.cipher_suite is not None and self.cipher_suite not in SUITES:
            raise ValueError(f"cipher_suite must be one of {SUITES} or None (auto); got {self.cipher_suite}")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")


class _TwinSession(ipmi_session.Session):
    """pyghmi's RMCP+ session, with a cipher suite choice, a real negotiation of it, and a bound
    on login retries.

    `start_suite` is what is proposed first. In auto mode (`fallback`), an Open Session
    response whose authentication algorithm is SHA1 (what virtualbmc and many BMCs answer to a
    SHA256 proposal) restarts the handshake proposing suite 3, inside this session's own state
    machine: nothing is raised on whichever thread happens to run pyghmi's shared I/O loop.

    pyghmi restarts a login whose RAKP2 never comes for ever (its retry timer is reset by every
    restart); virtualbmc silently ignores RAKP1 for an unknown user name, so a wrong user would
    hang the calling thread and the BMC's lock. A streak of restarts longer than
    `login_timeout_s` ends the login with an error instead.
    """

    start_suite = 17
    fallback = True
    login_timeout_s = 10.0

    def _initsession(self):
        super()._initsession()
        self.attemptedhash = _HASH_OF_SUITE[self.start_suite]
        self.twin_fell_back = False

    def _got_rmcp_response(self, data):
        if (self.fallback and self.attemptedhash == _HASH_OF_SUITE[17]
                and self.sessioncontext == "OPENSESSION" and len(data) >= 20
                and data[0] == self.rmcptag and data[1] == 0
                and (data[16] & 0x3F) == _AUTH_SHA1):
            # The BMC accepted the session but chose SHA1: propose suite 3 explicitly.
            self.twin_fell_back = True
            self.attemptedhash = _HASH_OF_SUITE[3]
            self._open_rmcpplus_request()
            return None
        return super()._got_rmcp_response(data)

    def _got_rakp2(self, data):
        # Stock pyghmi unpacks a SHA256-sized HMAC from a SHA1 RAKP2 and raises struct.error on
        # whichever thread runs the shared I/O loop (possibly one serving another BMC, and again
        # for every retransmitted RAKP2). Keep the failure inside this session instead.
        try:
            return super()._got_rakp2(data)
        except struct.error:
            self.sessioncontext = "FAILED"
            self.onlogon({"error": RAKP2_MISMATCH})
            return -9

    def _relog(self):
        now = time.monotonic()
        since = getattr(self, "_twin_relog_since", None)
        if self.logged or since is None:
            self._twin_relog_since = now  # a new streak of restarts begins
        elif now - since > self.login_timeout_s:
            self._twin_relog_since = None
            if self.sessioncontext in ("EXPECTINGRAKP2", "EXPECTINGRAKP4"):
                error = "the BMC answered the session request but never the login (RAKP1): unknown user name?"
            else:
                error = "timeout"
            self.onlogon({"error": f"login gave up after {self.login_timeout_s:g} s: {error}"})
            return None
        return super()._relog()

    @property
    def twin_suite(self) -> int:
        return 3 if self.attemptedhash == _HASH_OF_SUITE[3] else 17


_classes_guard = threading.Lock()
_SESSION_CLASSES: dict[tuple[int, bool, float], type] = {}


def _session_class(suite: int, fallback: bool, login_timeout_s: float) -> type:
    key = (suite, fallback, float(login_timeout_s))
    with _classes_guard:
        cls = _SESSION_CLASSES.get(key)
        if cls is None:
            cls = type(f"_TwinSession{suite}{'auto' if fallback else ''}", (_TwinSession,),
                       {"start_suite": suite, "fallback": fallback, "login_timeout_s": float(login_timeout_s)})
            _SESSION_CLASSES[key] = cls
        return cls


_locks_guard = threading.Lock()
_bmc_locks: dict[tuple[str, int], threading.Lock] = {}


def bmc_lock(address: str, port: int) -> threading.Lock:
    """The one lock of a BMC (address:port): every command to it holds this lock."""
    with _locks_guard:
        return _bmc_locks.setdefault((address, int(port)), threading.Lock())


class IpmiClient:
    """Blocking IPMI commands to one BMC. Thread-safe; every call may raise BmcError."""

    def __init__(self, node: str, bmc: Bmc, options: IpmiOptions | None = None):
        self.node = node
        self.bmc = bmc
        self.options = options or IpmiOptions()
        self._lock = bmc_lock(bmc.address, bmc.port)
        self._command: ipmi_command.Command | None = None
        self.cipher_suite: int | None = self.options.cipher_suite  # negotiated, once known

    # --- the commands -----------------------------------------------------------------
    def power(self, action: str) -> None:
        """One chassis control command: on, off, cycle or reset."""
        if action not in _CHASSIS_CONTROL:
            raise ValueError(f"unknown power action {action!r}")
        self._run(f"power {action}", lambda c: self._check(
            c.raw_command(netfn=0, command=2, data=[_CHASSIS_CONTROL[action]]), f"power {action}"))

    def power_state(self) -> str:
        """One Get Chassis Status command: "on" or "off"."""
        def status(c):
            response = self._check(c.raw_command(netfn=0, command=1), "power status")
            data = response.get("data") or []
            if not data:
                raise BmcError(self.node, self.bmc.endpoint, "protocol", "power status: empty answer")
            return "on" if data[0] & 1 else "off"

        return self._run("power status", status)

    def set_boot_device(self, device: str, persistent: bool) -> None:
        """Set the next boot device ("pxe" or "disk"), one time or persistent (IPMI boot flags)."""
        if device not in _BOOT_DEVICE:
            raise ValueError(f"unknown boot device {device!r}")
        what = f"bootdev {device}{' persistent' if persistent else ''}"
        self._run(what, lambda c: c.set_bootdev(_BOOT_DEVICE[device], persist=persistent))

    def get_boot_device(self) -> dict:
        """The BMC's boot flags as pyghmi reads them: {"bootdev": ..., "persistent": ...}."""
        return self._run("bootdev get", lambda c: c.get_bootdev())

    def close(self) -> None:
        """Log out of the session (best effort)."""
        with self._lock:
            command, self._command = self._command, None
            if command is not None:
                try:
                    command.ipmi_session.logout()
                except Exception:  # noqa: BLE001 - a dead session needs no logout
                    pass

    # --- machinery ----------------------------------------------------------------------
    def _run(self, what: str, fn):
        if not self._lock.acquire(timeout=self.options.timeout_s):
            raise BmcError(self.node, self.bmc.endpoint, "timeout",
                           f"{what}: the BMC is still busy with an earlier command after {self.options.timeout_s:g} s")
        try:
            return self._run_locked(what, fn)
        finally:
            self._lock.release()

    def _run_locked(self, what: str, fn):
        fresh = self._command is None
        try:
            command = self._session()
            try:
                return fn(command)
            except pyghmi_exc.IpmiException as exc:
                if fresh or not _looks_like_dead_session(exc):
                    raise
                # The reused session had expired on the BMC: log in again, once.
                self._drop_session()
                return fn(self._session())
        except BmcError:
            raise
        except Exception as exc:  # noqa: BLE001 - every backend failure becomes a BmcError
            self._drop_session()
            raise self._classify(what, exc) from None

    def _session(self) -> ipmi_command.Command:
        command = self._command
        if command is not None:
            s = command.ipmi_session
            if not s.broken and (s.logged or s.logging):
                return command
            self._drop_session()
        password = self.bmc.password.get_secret_value().encode("utf-8")
        user = self.bmc.user.encode("utf-8")
        suite = self.cipher_suite or 17
        fallback = self.options.cipher_suite is None
        cls = _session_class(suite, fallback and suite == 17, self._login_bound())
        try:
            session = cls(bmc=self.bmc.address, userid=user, password=password, port=self.bmc.port,
                          privlevel=self.options.privilege)
        except pyghmi_exc.IpmiException as exc:
            # A BMC that accepted SHA256 at Open Session and then answered RAKP2 with SHA1: in
            # auto mode, try suite 3 once.
            if not (fallback and suite == 17 and RAKP2_MISMATCH in str(exc)):
                raise
            session = _session_class(3, False, self._login_bound())(
                bmc=self.bmc.address, userid=user, password=password, port=self.bmc.port,
                privlevel=self.options.privilege)
        # pyghmi reuses a logged-in session for the same BMC, user and password: Command picks
        # up the one just negotiated (we check, rather than trust, that it did).
        command = ipmi_command.Command(bmc=self.bmc.address, userid=user, password=password,
                                       port=self.bmc.port, privlevel=self.options.privilege)
        if command.ipmi_session is not session:
            raise BmcError(self.node, self.bmc.endpoint, "protocol",
                           "pyghmi did not reuse the negotiated IPMI session (pyghmi version change?)")
        self.cipher_suite = getattr(session, "twin_suite", suite)
        if getattr(session, "twin_fell_back", False):
            log.info("node %s: BMC %s: cipher suite 17 not accepted, using suite 3",
                     self.node, self.bmc.endpoint)
        self._command = command
        return command

    def _login_bound(self) -> float:
        """How long a login may keep restarting: well inside the port's bound on the call, so
        that the caller hears the real cause rather than a bare timeout."""
        return max(1.0, self.options.timeout_s * 0.5)

    def _drop_session(self) -> None:
        command, self._command = self._command, None
        if command is not None:
            try:
                command.ipmi_session._mark_broken()
            except Exception:  # noqa: BLE001
                pass

    def _check(self, response: dict, what: str) -> dict:
        if isinstance(response, dict) and response.get("error"):
            code = response.get("code")
            text = self._scrub(str(response["error"]))
            if code in _PRIVILEGE_CODES:
                raise BmcError(self.node, self.bmc.endpoint, "credentials",
                               f"{what}: user '{self.bmc.user}' lacks the privilege ({text}); "
                               "Ironic needs an ADMINISTRATOR user")
            shown = f" (completion code 0x{code:02X})" if isinstance(code, int) else ""
            raise BmcError(self.node, self.bmc.endpoint, "protocol", f"{what}: {text}{shown}")
        return response

    def _scrub(self, text: str) -> str:
        secret = self.bmc.password.get_secret_value()
        return text.replace(secret, "***") if secret else text

    def _classify(self, what: str, exc: BaseException) -> BmcError:
        node, address, port = self.node, self.bmc.endpoint, self.bmc.port
        text = self._scrub(str(exc)) if str(exc) not in ("", "None") else ""
        low = text.lower()
        if isinstance(exc, socket.gaierror):
            return BmcError(node, address, "unreachable", f"{what}: cannot resolve the BMC address ({text})")
        if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH,
                                                      errno.ECONNREFUSED, errno.EADDRNOTAVAIL):
            return BmcError(node, address, "unreachable", f"{what}: {text}")
        if isinstance(exc, struct.error):
            return BmcError(node, address, "protocol",
                            f"{what}: RMCP+ handshake failed at RAKP2 (cipher suite mismatch: "
                            "the BMC answered SHA1; use cipher suite 3)")
        if isinstance(exc, pyghmi_exc.IpmiException):
            if "unknown user name" in low:
                return BmcError(node, address, "credentials",
                                f"{what}: the BMC answered but ignored the login of user '{self.bmc.user}' "
                                "(unknown user name?); check the IPMI user in the inventory")
            if any(w in low for w in _CREDENTIAL_WORDS):
                return BmcError(node, address, "credentials",
                                f"{what}: the BMC refused user '{self.bmc.user}' ({text}); check the "
                                "IPMI user, its password and that it has ADMINISTRATOR privilege")
            if any(w in low for w in _CIPHER_WORDS):
                return BmcError(node, address, "protocol", f"{what}: {text}; try cipher suite 3 or 17")
            if not text or any(w in low for w in _TIMEOUT_WORDS):
                return BmcError(node, address, "timeout",
                                f"{what}: no answer from the BMC on UDP port {port} (BMC down, or wrong "
                                "address or port)")
            return BmcError(node, address, "protocol", f"{what}: {text}")
        return BmcError(node, address, "protocol", f"{what}: {type(exc).__name__}: {text}")


def _looks_like_dead_session(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "session no longer connected" in text or "timeout" in text or text in ("", "none")
