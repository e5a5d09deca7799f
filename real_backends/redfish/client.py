"""A blocking Redfish client on the `sushy` library, for physical BMCs and the lab's emulator
(sushy-tools), with the semantics of Ironic's redfish hardware type.

Rules of this file:
- One `RedfishClient` per node (a Redfish service may serve many systems, e.g. sushy-tools or a
  chassis manager; each node names its own `system_id`). Calls to one client are serialized.
- One method call is one Redfish operation as Ironic's redfish driver sends it: power on =
  ComputerSystem.Reset `On`, power off = `ForceOff`, cycle / reset = `ForceRestart`; power state =
  GET of the system (`PowerState`: On/PoweringOn read as on, Off/PoweringOff as off: a transition
  reads as its target, as in Ironic's redfish power interface, `GET_POWER_STATE_MAP`); boot device = PATCH of `Boot` (`BootSourceOverrideTarget` Pxe or Hdd,
  `BootSourceOverrideEnabled` Once or Continuous). Polling, retries, back-off and the minimum
  command interval are conductor logic (twin/workflows/power.py), shared with IPMI.
- Every call is bounded by `RedfishOptions.timeout_s`: it runs on a worker thread and the caller
  waits for it no longer than that (sushy's own connect and read timeouts are set to the same
  figure, so an abandoned request also ends). sushy's own retries (of 5xx answers and of failed
  connections, 3 x 2 s by default) are off: `server_side_retries=1` is one attempt; the conductor
  retries. A silent BMC is always `BmcError.no_answer`.
- Every failure is a `twin.errors.BmcError(node, address, reason, detail)` with reason
  credentials (HTTP 401/403) | unreachable (connection refused, no route, name not resolved) |
  timeout (no answer within the bound) | protocol (anything else: an unknown system id, a 5xx, a
  document that is not Redfish). Texts coming from sushy or requests are scrubbed of the password
  and never carry the URL's user info; the password is never logged.
- TLS: an https `pm_addr` is verified unless `RedfishOptions.verify` is False (the lab's
  emulator speaks plain HTTP on 127.0.0.1).
"""
from __future__ import annotations

import concurrent.futures
import threading
from dataclasses import dataclass

import sushy
from sushy import auth as sushy_auth
from sushy import exceptions as sushy_exc

from twin.errors import BmcError
from twin.inventory.model import Bmc

#: PowerAction value -> the Reset type Ironic's redfish driver sends.
RESET_TYPE = {"on": sushy.RESET_ON, "off": sushy.RESET_FORCE_OFF,
              "cycle": sushy.RESET_FORCE_RESTART, "reset": sushy.RESET_FORCE_RESTART}
#: Redfish PowerState -> the twin's power state (Ironic: a transition reads as its target).
POWER_STATE = {sushy.SYSTEM_POWER_STATE_ON: "on", sushy.SYSTEM_POWER_STATE_POWERING_ON: "on",
               sushy.SYSTEM_POWER_STATE_OFF: "off", sushy.SYSTEM_POWER_STATE_POWERING_OFF: "off"}
#: BootDevice value -> BootSourceOverrideTarget.
BOOT_TARGET = {"pxe": sushy.BOOT_SOURCE_TARGET_PXE, "disk": sushy.BOOT_SOURCE_TARGET_HDD}
BOOT_ENABLED = {True: sushy.BOOT_SOURCE_ENABLED_CONTINUOUS, False: sushy.BOOT_SOURCE_ENABLED_ONCE}
#: HTTP status codes that mean "these credentials may not do that".
CREDENTIAL_STATUS = frozenset({401, 403})
#: How long `close` waits for a call still running.
CLOSE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class RedfishOptions:
    """How to talk to Redfish BMCs.

    timeout_s: the bound on one call (all of its HTTP requests).
    verify: verify an https BMC's certificate (a path to a CA bundle also works in sushy).
    """

    timeout_s: float = 10.0
    verify: bool | str = True

    def __post_init__(self):
        if not self.timeout_s > 0:
            raise ValueError("timeout_s must be positive")


class RedfishClient:
    """Blocking Redfish operations on one node's system. Thread-safe; every call may raise BmcError."""

    def __init__(self, node: str, bmc: Bmc, options: RedfishOptions | None = None):
        if not bmc.system_id:
            raise BmcError(node, bmc.endpoint, "protocol", "no Redfish system id (pm_system_id)")
        self.node, self.bmc = node, bmc
        self.options = options or RedfishOptions()
        self._root = None
        self._lock = threading.Lock()
        # One worker: the calls of one node are serialized; the caller's wait is the bound.
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"redfish-{node}")

    # --- the operations -------------------------------------------------------------------
    def power(self, action: str) -> None:
        reset = RESET_TYPE[str(action)]
        self._run(f"power {action}", lambda: self._system().reset_system(reset))

    def power_state(self) -> str:
        def read():
            state = self._system().power_state
            if state not in POWER_STATE:
                raise sushy_exc.SushyError(f"the system reports PowerState {state!r}")
            return POWER_STATE[state]

        return self._run("power status", read)

    def set_boot_device(self, device: str, persistent: bool) -> None:
        target, enabled = BOOT_TARGET[str(device)], BOOT_ENABLED[bool(persistent)]
        what = f"boot device {device}{' persistent' if persistent else ''}"
        self._run(what, lambda: self._system().set_system_boot_options(target=target, enabled=enabled))

    def get_boot_device(self) -> dict:
        def read():
            boot = self._system().boot
            persistent = boot.enabled == sushy.BOOT_SOURCE_ENABLED_CONTINUOUS
            names = {v: k for k, v in BOOT_TARGET.items()}
            return {"device": names.get(boot.target, str(boot.target)), "persistent": persistent}

        return self._run("boot device status", read)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._root = None

    # --- plumbing -------------------------------------------------------------------------
    def _connect(self):
        bmc, timeout = self.bmc, self.options.timeout_s
        return sushy.Sushy(bmc.url, auth=sushy_auth.BasicAuth(bmc.user, bmc.password.get_secret_value()),
                           verify=self.options.verify, server_side_retries=1, server_side_retries_delay=1,
                           read_timeout=timeout, connect_timeout=timeout)

    def _system(self):
        """The node's system, read afresh (its power state and boot settings are current)."""
        if self._root is None:
            self._root = self._connect()
        return self._root.get_system(self.bmc.system_id)

    def _run(self, what: str, call):
        def guarded():
            with self._lock:
                try:
                    return call()
                except BaseException:
                    self._root = None  # the next call logs in afresh
                    raise

        try:
            future = self._pool.submit(guarded)
        except RuntimeError:
            raise BmcError(self.node, self.bmc.endpoint, "protocol", f"{what}: the client is closed") from None
        try:
            return future.result(timeout=self.options.timeout_s)
        except concurrent.futures.TimeoutError:
            raise BmcError.no_answer(self.node, self.bmc.endpoint, what, self.options.timeout_s) from None
        except BmcError:
            raise
        except Exception as exc:  # noqa: BLE001 - every backend failure becomes a BmcError
            raise self.classify(what, exc) from None

    def _scrub(self, text: str) -> str:
        secret = self.bmc.password.get_secret_value()
        return text.replace(secret, "***") if secret else text

    def classify(self, what: str, exc: BaseException) -> BmcError:
        """The BmcError for a failure of sushy or requests (module docstring)."""
        node, address = self.node, self.bmc.endpoint
        if isinstance(exc, sushy_exc.AccessError) or getattr(exc, "status_code", None) in CREDENTIAL_STATUS:
            return BmcError(node, address, "credentials",
                            f"{what}: the BMC refused user {self.bmc.user!r} or its password "
                            f"(HTTP {getattr(exc, 'status_code', 401)})")
        if isinstance(exc, sushy_exc.ConnectionError):
            cause = _root_cause(exc)
            if _is_timeout(cause):
                return BmcError.no_answer(node, address, what, self.options.timeout_s)
            return BmcError(node, address, "unreachable", f"{what}: {self._scrub(_connection_text(cause))}")
        if isinstance(exc, sushy_exc.ResourceNotFoundError):
            return BmcError(node, address, "protocol",
                            f"{what}: the BMC has no system {self.bmc.system_id} (HTTP 404); check pm_system_id")
        if isinstance(exc, sushy_exc.HTTPError):
            status = getattr(exc, "status_code", "?")
            detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or ""
            return BmcError(node, address, "protocol", f"{what}: HTTP {status}" +
                            (f": {self._scrub(str(detail))[:200]}" if detail else ""))
        if isinstance(exc, sushy_exc.SushyError):
            return BmcError(node, address, "protocol", f"{what}: not a usable Redfish answer: {self._scrub(str(exc))[:200]}")
        return BmcError(node, address, "protocol", f"{what}: {type(exc).__name__}: {self._scrub(str(exc))[:200]}")


def _root_cause(exc: BaseException) -> BaseException:
    """sushy wraps requests' exception (`error=` argument, kept as __context__ or in kwargs)."""
    seen = exc
    for _ in range(6):
        nxt = getattr(seen, "error", None) or seen.__cause__ or seen.__context__
        if nxt is None or nxt is seen:
            break
        seen = nxt
    return seen


def _is_timeout(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, (requests.exceptions.Timeout, TimeoutError)) or "timed out" in str(exc).lower()


def _connection_text(exc: BaseException) -> str:
    """A short reason for a connection failure, without URLs (they could carry user info)."""
    text = str(exc).lower()
    for words, reason in (("refused", "connection refused"), ("name or service not known", "cannot resolve the BMC address"),
                          ("temporary failure in name resolution", "cannot resolve the BMC address"),
                          ("no route", "no route to the BMC"), ("unreachable", "network unreachable"),
                          ("reset by peer", "connection reset by the BMC"), ("certificate", "TLS certificate not trusted"),
                          ("ssl", "TLS handshake failed")):
        if words in text:
            return reason
    return f"cannot connect ({type(exc).__name__})"
