"""A blocking IPMI-over-LAN client on pyghmi, for physical BMCs and virtual ones (virtualbmc).

Rules of this file:
- Every pyghmi call runs on the process's one IPMI thread (loop.py: pyghmi's global session locks
  deadlock when it is driven from a thread pool), through pyghmi's asynchronous interface, so
  commands to different BMCs proceed at once. The public methods are blocking and thread-safe:
  they hand an op to that thread and wait for it, never longer than `IpmiOptions.timeout_s`
  (plus a grace second should the IPMI thread itself be stuck); `close` is bounded likewise.
- One `IpmiClient` per BMC credential set; one lock per BMC address:port, so commands to one
  BMC are serialized while different BMCs proceed in parallel. The RMCP+ session is reused
  across commands and renewed when pyghmi reports it broken.
- A BMC that says "busy" (completion code 0xC0, node busy: a power transition under way) is
  asked again every `busy_retry_s` within the command's bound, as Ironic retries "Node busy".
- A BMC that does not answer gives the same message whoever notices first (this client, the
  port's bound, pyghmi): `no_answer()`.
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

import concurrent.futures
import errno
import logging
import socket
import struct
import threading
import time
from dataclasses import dataclass

from pyghmi import exceptions as pyghmi_exc
from pyghmi.ipmi.private import session as ipmi_session
from pyghmi.ipmi.private.util import get_ipmi_error

from twin.errors import BmcError
from twin.inventory.model import Bmc

from real_backends.ipmi.loop import IPMI_LOOP, Op

log = logging.getLogger(__name__)

SUITES = (3, 17)
#: pyghmi's private code for the handshake hash: 256 = SHA256 (suite 17), 1 = SHA1 (suite 3).
_HASH_OF_SUITE = {17: 256, 3: 1}
#: RMCP+ authentication algorithm numbers (IPMI 2.0 table 13-17) as a BMC may answer them.
_AUTH_SHA1, _AUTH_SHA256 = 1, 3

#: IPMI completion codes that mean "this user may not do that" (IPMI 2.0 table 5-2).
_PRIVILEGE_CODES = {0xD4}
#: IPMI completion code "node busy" (IPMI 2.0 table 5-2): asked again, as Ironic retries it.
NODE_BUSY = 0xC0
#: pyghmi login error texts that mean the BMC refused the user or the password.
_CREDENTIAL_WORDS = ("incorrect password", "unauthorized name", "invalid role", "unauthorized role",
                     "invalid username", "privilege", "unauthorized guid", "invalid integrity check")
_TIMEOUT_WORDS = ("timeout", "session no longer connected", "session failed to initialize",
                  "no response")
_CIPHER_WORDS = ("cipher", "authentication algorithm", "integrity algorithm", "confidentiality")
RAKP2_MISMATCH = ("cipher suite mismatch at RAKP2: the BMC answered with SHA1 (suite 3) to a "
                  "suite 17 (SHA256) login")
#: How long a caller waits for the IPMI thread beyond an op's own bound before giving up on it.
GRACE_S = 1.0
#: The bound on a logout at `close`.
CLOSE_TIMEOUT_S = 2.0

#: chassis control (IPMI 2.0 section 28.3) data byte per action.
_CHASSIS_CONTROL = {"off": 0x00, "on": 0x01, "cycle": 0x02, "reset": 0x03}
#: boot device selector of the boot flags parameter (IPMI 2.0 table 28-14, bits 5:2 of data 2).
_BOOT_DEVICE = {"pxe": 0x04, "network": 0x04, "disk": 0x08, "hd": 0x08}
_BOOT_DEVICE_NAMES = {1: "network", 2: "hd", 3: "safe", 5: "optical", 6: "setup", 15: "floppy"}


no_answer = BmcError.no_answer  # the one message for a silent BMC (twin/errors.py)


@dataclass(frozen=True)
class IpmiOptions:
    """How to talk to a fleet of BMCs.

    cipher_suite: None = auto (17, falling back to 3), or 3 / 17 to force one.
    timeout_s: the bound on one command (login, "busy" answers and retransmissions included).
    privilege: None = ask for ADMINISTRATOR and let pyghmi drop to OPERATOR if refused
      (4 = administrator, 3 = operator).
    busy_retry_s: the pause before asking a BMC that answered "node busy" (0xC0) again.
    """

    cipher_suite: int | None = None
    timeout_s: float = 10.0
    privilege: int | None = None
    busy_retry_s: float = 0.5

    def __post_init__(self):
        if self.cipher_suite is not None and self.cipher_suite not in SUITES:
            raise ValueError(f"cipher_suite must be one of {SUITES} or None (auto); got {self.cipher_suite}")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if self.busy_retry_s <= 0:
            raise ValueError("busy_retry_s must be positive")


class _TwinSession(ipmi_session.Session):
    """pyghmi's RMCP+ session, with a cipher suite choice, a real negotiation of it, a bound on
    login retries and an asynchronous end of login.

    `start_suite` is what is proposed first. In auto mode (`fallback`), an Open Session
    response whose authentication algorithm is SHA1 (what virtualbmc and many BMCs answer to a
    SHA256 proposal) restarts the handshake proposing suite 3, inside this session's own state
    machine: nothing is raised on whichever thread happens to run pyghmi's shared I/O loop.

    pyghmi restarts a login whose RAKP2 never comes for ever (its retry timer is reset by every
    restart); virtualbmc silently ignores RAKP1 for an unknown user name, so a wrong user would
    hang the calling thread and the BMC's lock. A streak of restarts longer than
    `login_timeout_s` ends the login with an error instead.

    pyghmi ends a login with a *synchronous* Set Session Privilege Level command, waiting inside
    its packet handler, which would stall the IPMI thread (and every other BMC) while one BMC
    dies half-way through a login; here it is sent with a callback like every other command.
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

    # pyghmi's _req_priv_level, with the command sent asynchronously (same state changes).
    def _req_priv_level(self):
        self.logged = 1
        self.logoutexpiry = None
        self.maxtimeout = 4  # pyghmi: switch quickly to the relogin recovery
        self.logontries = 1  # pyghmi: one relogin waiting to heal
        self._twin_send_priv()

    def _twin_send_priv(self):
        self.raw_command(netfn=0x6, command=0x3B, data=[self.privlevel], callback=self._twin_priv_answer)

    def _twin_priv_answer(self, response):
        self.incommand = False
        while self.evq:
            self.evq.popleft().set()
        code = response.get("code")
        if code and "error" not in response and code in (0x80, 0x81) and self.privlevel == 4:
            self.privlevel = 3  # pyghmi: some BMCs refuse ADMINISTRATOR only now; try OPERATOR
            IPMI_LOOP.later(0, self._twin_send_priv)  # never send from inside pyghmi's packet handler
            return
        if code or "error" in response:
            self.logged = 0
            self.onlogpayload = None
            self.logging = False
            suffix = f" while requesting privilege level {self.privlevel}"
            self.onlogon({"error": get_ipmi_error(response, suffix=suffix) or f"code {code}{suffix}"})
            return
        self.logging = False
        with ipmi_session.util.protect(ipmi_session.KEEPALIVE_SESSIONS):
            ipmi_session.Session.keepalive_sessions[self] = {
                "ipmisession": self,
                "timeout": ipmi_session._monotonic_time() + ipmi_session.MAX_IDLE - 4.9 * 0.5}
        self.onlogon({"success": True})

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


# A request is (netfn, command, data); a command is a list of requests sent one after the other,
# each answered before the next, and a function of the answers (dicts with "data") for the value.
def _chassis_status(answers):
    data = answers[0].get("data") or []
    if not data:
        raise ValueError("power status: empty answer")
    return "on" if data[0] & 1 else "off"


def _boot_flags(answers):
    data = list(answers[0].get("data") or [])
    if len(data) < 4:
        raise ValueError("bootdev get: short answer")
    if data[1] & 0x80 or not data[2] & 0x80:
        return {"bootdev": "default", "persistent": True}
    number = (data[3] & 0b111100) >> 2
    return {"bootdev": _BOOT_DEVICE_NAMES.get(number, number), "persistent": bool(data[2] & 0x40)}


class _Command(Op):
    """One client call carried out on the IPMI thread: log in if needed, send the requests in
    order, retry "node busy", re-log in once if a reused session turns out dead."""

    def __init__(self, client: IpmiClient, what: str, requests, result, deadline: float):
        super().__init__(deadline)
        self.client, self.what, self.requests, self.result = client, what, list(requests), result
        self.answers: list[dict] = []
        self.relogged = False
        self.session = None

    def later(self, delay_s: float, fn) -> None:
        """Continue with `fn` on the IPMI thread after `delay_s`; whatever it raises fails this op."""
        def step():
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - classified by the caller (_run)
                self.fail(exc)

        IPMI_LOOP.later(delay_s, step)

    def start(self) -> None:
        session = self.client._usable_session()
        if session is None:
            self.relogged = True  # a fresh session: no second login if it fails
            self.client._login(self, self._logged_in)
        else:
            self.session = session
            self._send()

    def _logged_in(self, session) -> None:
        self.session = session
        self._send()

    def _send(self) -> None:
        if self.done:
            return
        session = self.session
        if session.broken or session.logging or not session.logged:
            # pyghmi lost or is renewing the session under us (a keep-alive failed): never let
            # raw_command wait for that login on this thread; log in again ourselves, once.
            self._lost()
            return
        if session._isincommand():  # a keep-alive in flight: ask again shortly
            self.later(0.02, self._send)
            return
        netfn, command, data = self.requests[len(self.answers)]
        session.raw_command(netfn=netfn, command=command, data=data, callback=self._answered)

    def _answered(self, response: dict) -> None:
        session = self.session
        session.incommand = False
        while session.evq:
            session.evq.popleft().set()
        if self.done:
            return
        client = self.client
        code = response.get("code")
        if "error" in response and code in (None, 0xFFFF):  # pyghmi: no answer, or the session died
            self._lost()
            return
        if code == NODE_BUSY:
            if time.monotonic() + client.options.busy_retry_s < self.deadline:
                log.info("node %s: BMC %s: busy (0xC0); asking again", client.node, client.bmc.endpoint)
                self.later(client.options.busy_retry_s, self._send)
                return
            self.fail(BmcError(client.node, client.bmc.endpoint, "timeout",
                               f"{self.what}: the BMC stayed busy (completion code 0xC0) for "
                               f"{client.options.timeout_s:g} s"))
            return
        if code:
            self.fail(client._refused(self.what, code, get_ipmi_error(response) or ""))
            return
        self.answers.append(response)
        if len(self.answers) < len(self.requests):
            self.later(0, self._send)  # not from inside pyghmi's packet handler (see _open)
            return
        try:
            self.finish(self.result(self.answers))
        except ValueError as exc:
            self.fail(BmcError(client.node, client.bmc.endpoint, "protocol", str(exc)))

    def _lost(self) -> None:
        """The session died under this command: a reused one is renewed once, else give up."""
        self.client._drop_session()
        if self.relogged:
            self.fail(self.client._no_answer(self.what))
            return
        self.relogged = True
        self.later(0, lambda: self.client._login(self, self._logged_in))

    def expire(self) -> None:
        self.client._drop_session()
        self.fail(self.client._no_answer(self.what))


class _Logout(Op):
    def __init__(self, client: IpmiClient, deadline: float):
        super().__init__(deadline)
        self.client = client

    def start(self) -> None:
        session, self.client._session_obj = self.client._session_obj, None
        if session is not None and not session.broken:
            session.incommand = False  # do not wait for an answer that may never come
            try:
                session.logout()  # retry=False inside: sends, does not wait
            except Exception:  # noqa: BLE001 - a dead session needs no logout
                log.debug("logout failed", exc_info=True)
        self.client._drop_session()  # and a login left half-way, if any
        self.finish(None)


class IpmiClient:
    """Blocking IPMI commands to one BMC. Thread-safe; every call may raise BmcError."""

    def __init__(self, node: str, bmc: Bmc, options: IpmiOptions | None = None):
        self.node = node
        self.bmc = bmc
        self.options = options or IpmiOptions()
        self._lock = bmc_lock(bmc.address, bmc.port)
        self._session_obj = None  # the IPMI thread's only, as is:
        self._logging_in = None
        self.cipher_suite: int | None = self.options.cipher_suite  # negotiated, once known

    # --- the commands -----------------------------------------------------------------
    def power(self, action: str) -> None:
        """One chassis control command: on, off, cycle or reset."""
        if action not in _CHASSIS_CONTROL:
            raise ValueError(f"unknown power action {action!r}")
        self._run(f"power {action}", [(0x0, 0x2, [_CHASSIS_CONTROL[action]])], lambda answers: None)

    def power_state(self) -> str:
        """One Get Chassis Status command: "on" or "off"."""
        return self._run("power status", [(0x0, 0x1, [])], _chassis_status)

    def set_boot_device(self, device: str, persistent: bool) -> None:
        """Set the next boot device ("pxe" or "disk"), one time or persistent (IPMI boot flags),
        as ipmitool's `chassis bootdev` does: clear the boot-info-acknowledge bits, then write
        the boot flags."""
        if device not in _BOOT_DEVICE:
            raise ValueError(f"unknown boot device {device!r}")
        what = f"bootdev {device}{' persistent' if persistent else ''}"
        flags = 0x80 | (0x40 if persistent else 0)
        self._run(what, [(0x0, 0x8, [3, 8]), (0x0, 0x8, [5, flags, _BOOT_DEVICE[device], 0, 0, 0])],
                  lambda answers: None)

    def get_boot_device(self) -> dict:
        """The BMC's boot flags: {"bootdev": "network" | "hd" | "default" | ..., "persistent": bool}."""
        return self._run("bootdev get", [(0x0, 0x9, [5, 0, 0])], _boot_flags)

    def __enter__(self) -> "IpmiClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Log out of the session: best effort, bounded by CLOSE_TIMEOUT_S whatever the BMC or
        pyghmi does. A client left open keeps its session alive: pyghmi sends it keep-alives
        for as long as the process runs (`with IpmiClient(...) as c:` closes it)."""
        locked = self._lock.acquire(timeout=CLOSE_TIMEOUT_S)  # let a running command end first
        try:
            op = _Logout(self, time.monotonic() + CLOSE_TIMEOUT_S)
            IPMI_LOOP.submit(op).result(timeout=CLOSE_TIMEOUT_S + GRACE_S)
        except Exception:  # noqa: BLE001 - a session that cannot log out is left to expire
            log.debug("node %s: logout did not complete", self.node, exc_info=True)
        finally:
            if locked:
                self._lock.release()

    # --- machinery (calling threads) --------------------------------------------------
    def _run(self, what: str, requests, result):
        bound = self.options.timeout_s
        start = time.monotonic()
        if not self._lock.acquire(timeout=bound):
            raise BmcError(self.node, self.bmc.endpoint, "timeout",
                           f"{what}: the BMC is still busy with an earlier command after {bound:g} s")
        try:
            op = _Command(self, what, requests, result, start + bound)
            try:
                return IPMI_LOOP.submit(op).result(timeout=max(0.0, start + bound - time.monotonic()) + GRACE_S)
            except concurrent.futures.TimeoutError:  # (= TimeoutError) the op's deadline, or a stuck thread
                op.fail(self._no_answer(what))
                raise self._no_answer(what) from None
            except BmcError:
                raise
            except Exception as exc:  # noqa: BLE001 - every backend failure becomes a BmcError
                raise self._classify(what, exc) from None
        finally:
            self._lock.release()

    # --- machinery (IPMI thread) ------------------------------------------------------
    def _usable_session(self):
        s = self._session_obj
        if s is not None and not s.broken and s.logged and not s.logging:
            return s
        if s is not None:
            self._drop_session()
        return None

    def _login(self, op: _Command, then) -> None:
        """Open a session (asynchronously) and call `then(session)` once logged in; fail `op`
        with the classified reason otherwise. In auto mode a SHA1 answer to RAKP2 of a suite 17
        login is retried once with suite 3."""
        suite = self.cipher_suite or 17
        auto = self.options.cipher_suite is None
        self._open(op, then, suite, auto and suite == 17)

    def _open(self, op: _Command, then, suite: int, fallback: bool) -> None:
        password = self.bmc.password.get_secret_value().encode("utf-8")
        user = self.bmc.user.encode("utf-8")
        cls = _session_class(suite, fallback, self._login_bound())
        holder = {}

        def logged_on(parameter):
            if op.done:
                return
            session = holder.get("session")
            if session is None:  # pyghmi called back from inside the constructor
                op.later(0, lambda: logged_on(parameter))
                return
            if "error" in parameter:
                error = str(parameter["error"])
                if fallback and RAKP2_MISMATCH in error:
                    op.later(0, lambda: self._open(op, then, 3, False))
                    return
                self._drop_session()
                op.fail(self._classify(op.what, pyghmi_exc.IpmiException(error)))
                return
            self._session_obj, self._logging_in = session, None
            self.cipher_suite = getattr(session, "twin_suite", suite)
            if getattr(session, "twin_fell_back", False):
                log.info("node %s: BMC %s: cipher suite 17 not accepted, using suite 3", self.node, self.bmc.endpoint)
            # Continue after pyghmi's packet handler returns: it still books the answered
            # request after calling back, and would drop the answer to one sent from inside it.
            op.later(0, lambda: then(session))

        session = cls(bmc=self.bmc.address, userid=user, password=password, port=self.bmc.port,
                      privlevel=self.options.privilege, onlogon=logged_on)
        IPMI_LOOP.pyghmi_started = True
        holder["session"] = self._logging_in = session
        if not isinstance(session, cls):
            # pyghmi handed back a live session of another suite's class for the same BMC, user
            # and password without running __init__, so without registering `logged_on`.
            if session.logging:
                session.logonwaiters.append(logged_on)
            else:
                op.later(0, lambda: logged_on({"success": True}))

    def _login_bound(self) -> float:
        """How long a login may keep restarting: well inside the bound on the call, so that the
        caller hears the real cause rather than a bare timeout."""
        return max(1.0, self.options.timeout_s * 0.5)

    def _drop_session(self) -> None:
        """Forget the session and any login under way, breaking them in pyghmi's tables too: a
        login left half-way would otherwise be handed back by pyghmi to every later login to
        this BMC (its `initting_sessions`), and never finish."""
        for session in (self._session_obj, self._logging_in):
            if session is not None and not session.broken:
                session.incommand = False
                try:
                    session._mark_broken()
                except Exception:  # noqa: BLE001
                    log.debug("mark broken failed", exc_info=True)
        self._session_obj = self._logging_in = None

    # --- messages ---------------------------------------------------------------------
    def _no_answer(self, what: str) -> BmcError:
        return no_answer(self.node, self.bmc.endpoint, what, self.options.timeout_s)

    def _refused(self, what: str, code: int, text: str) -> BmcError:
        text = self._scrub(text)
        if code in _PRIVILEGE_CODES:
            return BmcError(self.node, self.bmc.endpoint, "credentials",
                            f"{what}: user '{self.bmc.user}' lacks the privilege ({text}); "
                            "Ironic needs an ADMINISTRATOR user")
        return BmcError(self.node, self.bmc.endpoint, "protocol", f"{what}: {text} (completion code 0x{code:02X})")

    def _scrub(self, text: str) -> str:
        secret = self.bmc.password.get_secret_value()
        return text.replace(secret, "***") if secret else text

    def _classify(self, what: str, exc: BaseException) -> BmcError:
        node, address = self.node, self.bmc.endpoint
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
                return self._no_answer(what)
            return BmcError(node, address, "protocol", f"{what}: {text}")
        return BmcError(node, address, "protocol", f"{what}: {type(exc).__name__}: {text}")
