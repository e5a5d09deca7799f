"""The Redfish client (real_backends/redfish/client.py) against real HTTP servers on 127.0.0.1:
its error classification (credentials, unreachable, timeout, protocol; one line, never the
password) and what it sends on the wire, checked against the DMTF Redfish schema's names
(ComputerSystem.Reset `ResetType`, `Boot.BootSourceOverrideTarget/Enabled`), as Ironic's redfish
driver sends them. The live lab's emulator is driven in tests/live/test_live_redfish.py."""
from __future__ import annotations

import base64
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from twin.errors import BmcError
from twin.inventory.model import Bmc, PowerKind

sushy = pytest.importorskip("sushy", reason="sushy is not installed (pip install -e '.[lab]')")
from real_backends.redfish.client import RedfishClient, RedfishOptions

PASSWORD = "Rf-S3cret-XYZZY"
SYSTEM = "/redfish/v1/Systems/node-1"


class Service:
    """A small Redfish service: a root, one system, its Reset action and Boot PATCH; `mode`
    turns it into the failure under test. Records every request (method, path, body, auth)."""

    def __init__(self, mode: str = "ok", power_state: str = "Off"):
        self.mode, self.power_state, self.requests = mode, power_state, []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body=None, raw: bytes | None = None):
                data = raw if raw is not None else json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                service.requests.append((method, self.path.rstrip("/"), body, self.headers.get("Authorization")))
                expected = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
                public = self.path.rstrip("/") == "/redfish/v1" and method == "GET"  # the service root is public
                if not public and (service.mode == "credentials" or self.headers.get("Authorization") != expected):
                    return self._answer(401, {"error": {"code": "Base.1.0.GeneralError", "message": "Unauthorized"}})
                if service.mode == "garbage":
                    return self._answer(200, raw=b"<html>not redfish</html>")
                path = self.path.rstrip("/")
                if path == "/redfish/v1":
                    return self._answer(200, {"@odata.id": "/redfish/v1/", "Id": "RootService", "Name": "Root",
                                              "RedfishVersion": "1.6.0", "Systems": {"@odata.id": "/redfish/v1/Systems"}})
                if path == SYSTEM and service.mode != "no_system":
                    if method == "GET":
                        return self._answer(200, {
                            "@odata.id": SYSTEM, "Id": "node-1", "Name": "node-1", "PowerState": service.power_state,
                            "Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once",
                                     "BootSourceOverrideTarget@Redfish.AllowableValues": ["Pxe", "Hdd"]},
                            "Actions": {"#ComputerSystem.Reset": {
                                "target": f"{SYSTEM}/Actions/ComputerSystem.Reset",
                                "ResetType@Redfish.AllowableValues": ["On", "ForceOff", "ForceRestart"]}}})
                    if method == "PATCH":
                        return self._answer(204 if service.mode == "ok" else 500, raw=b"")
                if path == f"{SYSTEM}/Actions/ComputerSystem.Reset" and method == "POST":
                    if service.mode == "server_error":
                        return self._answer(500, {"error": {"code": "Base.1.0.InternalError",
                                                            "message": "libvirt said no"}})
                    return self._answer(204, raw=b"")
                return self._answer(404, {"error": {"code": "Base.1.0.ResourceMissingAtURI", "message": "not found"}})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_PATCH(self):
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        # a short poll: shutdown() waits for serve_forever to look (0.5 s by default, in every test)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def client_for(port: int, password: str = PASSWORD, timeout_s: float = 5.0, system: str = SYSTEM) -> RedfishClient:
    bmc = Bmc(kind=PowerKind.REDFISH, address="127.0.0.1", user="admin", password=SecretStr(password), port=port,
              scheme="http", system_id=system)
    return RedfishClient("node-1", bmc, RedfishOptions(timeout_s=timeout_s, verify=False))


def assert_one_clean_line(error: BmcError, *secrets: str) -> None:
    text = str(error)
    assert "\n" not in text and text.startswith("node node-1: BMC http://127.0.0.1:")
    assert all(secret not in text and secret not in repr(error.args) for secret in secrets)


def test_power_and_boot_commands_are_ironics_redfish_requests():
    with Service() as service:
        client = client_for(service.port)
        try:
            assert client.power_state() == "off"
            client.power("on")
            client.power("off")
            client.power("reset")
            client.set_boot_device("pxe", False)
            client.set_boot_device("disk", True)
        finally:
            client.close()
    sent = [(m, p, b) for m, p, b, _ in service.requests if m != "GET"]
    reset = f"{SYSTEM}/Actions/ComputerSystem.Reset"
    assert sent == [("POST", reset, {"ResetType": "On"}), ("POST", reset, {"ResetType": "ForceOff"}),
                    ("POST", reset, {"ResetType": "ForceRestart"}),
                    ("PATCH", SYSTEM, {"Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once"}}),
                    ("PATCH", SYSTEM, {"Boot": {"BootSourceOverrideTarget": "Hdd",
                                                "BootSourceOverrideEnabled": "Continuous"}})]
    expected = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    # HTTP basic auth on every request but the service root's (public in the Redfish spec)
    assert {auth for _, path, _, auth in service.requests if path != "/redfish/v1"} == {expected}


@pytest.mark.parametrize("redfish_state, twin_state", [("On", "on"), ("Off", "off"), ("PoweringOn", "on"),
                                                       ("PoweringOff", "off")])
def test_power_states_map_as_ironic_maps_them(redfish_state, twin_state):
    with Service(power_state=redfish_state) as service:
        client = client_for(service.port)
        try:
            assert client.power_state() == twin_state
        finally:
            client.close()


def test_wrong_password_is_a_credentials_error_without_the_password():
    with Service() as service:
        client = client_for(service.port, password="not-the-Password-42")
        with pytest.raises(BmcError) as caught:
            client.power("on")
        client.close()
    assert caught.value.reason == "credentials" and "HTTP 401" in str(caught.value)
    assert_one_clean_line(caught.value, "not-the-Password-42", PASSWORD)
    assert not [r for r in service.requests if r[0] == "POST"]  # nothing was switched


def test_an_unknown_system_is_a_protocol_error_naming_the_system_id():
    with Service("no_system") as service:
        client = client_for(service.port)
        with pytest.raises(BmcError) as caught:
            client.power_state()
        client.close()
    assert caught.value.reason == "protocol" and "pm_system_id" in str(caught.value)
    assert_one_clean_line(caught.value, PASSWORD)


def test_a_server_error_is_a_protocol_error_with_the_bmcs_message():
    with Service("server_error") as service:
        client = client_for(service.port)
        with pytest.raises(BmcError) as caught:
            client.power("off")
        client.close()
    assert caught.value.reason == "protocol" and "HTTP 500" in str(caught.value) and "libvirt said no" in str(caught.value)
    assert_one_clean_line(caught.value, PASSWORD)
    assert len([r for r in service.requests if r[0] == "POST"]) == 1  # sushy's own 5xx retries are off


def test_a_service_that_is_not_redfish_is_a_protocol_error():
    with Service("garbage") as service:
        client = client_for(service.port)
        with pytest.raises(BmcError) as caught:
            client.power_state()
        client.close()
    assert caught.value.reason == "protocol"
    assert_one_clean_line(caught.value, PASSWORD)


def test_nothing_listening_is_unreachable():
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = client_for(port)
    with pytest.raises(BmcError) as caught:
        client.power_state()
    client.close()
    assert caught.value.reason == "unreachable" and "connection refused" in str(caught.value)
    assert_one_clean_line(caught.value, PASSWORD)


def test_a_bmc_that_accepts_but_never_answers_is_a_timeout_at_the_bound():
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client = client_for(silent.getsockname()[1], timeout_s=0.5)
        with pytest.raises(BmcError) as caught:
            client.power("on")
        client.close()
    assert caught.value.reason == "timeout" and "no answer within 0.5 s" in str(caught.value)
    assert_one_clean_line(caught.value, PASSWORD)


def test_a_node_without_a_system_id_is_refused_at_once():
    with pytest.raises(BmcError, match="pm_system_id"):
        client_for(9, system=None)
