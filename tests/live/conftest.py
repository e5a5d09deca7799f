"""Fixtures for the live-lab tests: a check that this machine can run a lab, and labs that are
always taken down again (fixture teardown also runs on failures and on Ctrl-C).

Rules: where a lab cannot run (no libvirt-python, no answering qemu:///system, no QEMU) the live
tests skip with the reason, except under CI=true, where they fail with it. Labs made here live
under a temporary TWIN_LAB_ROOT, have names unique to this pytest process and are owned by it
(real_backends/lab/owners.py): the session first reaps labs whose owner is gone (an earlier
session killed with SIGKILL), and SIGTERM takes this session's labs down before it ends.
"""
from __future__ import annotations

import os
import shutil
import sys

import pytest


def lab_unavailable_reason() -> str | None:
    try:
        import libvirt
    except ImportError:
        return "libvirt-python is not installed (run 'make test' or real_backends/lab/setup_host.sh)"
    try:
        import virtualbmc  # noqa: F401
    except ImportError:
        return "virtualbmc is not installed (run 'make test' or real_backends/lab/setup_host.sh)"
    if shutil.which("qemu-system-x86_64") is None:
        return "qemu-system-x86_64 is not installed (Debian: qemu-system-x86 ipxe-qemu)"
    libvirt.registerErrorHandler(lambda *_: None, None)
    try:
        conn = libvirt.open("qemu:///system")
        conn.getVersion()
        conn.close()
    except libvirt.libvirtError as exc:
        return f"qemu:///system does not answer ({exc.get_error_message()}); start libvirtd (setup_host.sh)"
    return None


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"live lab required under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def lab_host():
    reason = lab_unavailable_reason()
    if reason:
        skip_or_fail(reason)


@pytest.fixture(scope="session")
def ipmitool(lab_host):
    path = shutil.which("ipmitool")
    if path is None:
        skip_or_fail("ipmitool is not installed (Debian: ipmitool)")
    return path


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory, lab_host):
    from real_backends.lab import owners

    for name in owners.reap_stale():
        print(f"\nreaped lab {name}: its owner process is gone")
    owners.teardown_on_sigterm()
    root = tmp_path_factory.mktemp("labs")
    old = os.environ.get("TWIN_LAB_ROOT")
    os.environ["TWIN_LAB_ROOT"] = str(root)
    try:
        yield root
    finally:
        if old is None:
            os.environ.pop("TWIN_LAB_ROOT", None)
        else:
            os.environ["TWIN_LAB_ROOT"] = old


@pytest.fixture(scope="module", autouse=True)
def no_ipmi_session_left_open():
    """Every IPMI client a module opens is closed by the module's end (autouse: torn down after
    the module's own fixtures). pyghmi keeps an open session alive for the life of the process,
    sending keep-alives to a BMC that a later test may have taken down and whose port another
    process may then hold."""
    yield
    pyghmi = sys.modules.get("pyghmi.ipmi.private.session")
    if pyghmi is None:
        return
    left = sorted(f"{s.bmc}:{s.port}" for s in list(pyghmi.Session.keepalive_sessions))
    assert not left, f"IPMI sessions left open (an IpmiClient not closed): {left}"


def unique_name(stem: str) -> str:
    return f"{stem}{os.getpid() % 100000}"


@pytest.fixture(scope="session")
def lab(lab_root):
    """The shared 3-node lab. Tests that power guests on power them off again."""
    from real_backends.lab import Lab

    lab = Lab(unique_name("pt"), root=lab_root)
    try:
        lab.up(3, owned=True)
        yield lab
    finally:
        lab.down()


@pytest.fixture
def fresh_lab(lab_root):
    """A lab of the test's own, made by the test (so that `up` itself can be tested)."""
    from real_backends.lab import Lab

    made = []

    def make(stem: str, **kwargs):
        lab = Lab(unique_name(stem), root=lab_root, **kwargs)
        made.append(lab)
        return lab

    try:
        yield make
    finally:
        for lab in made:
            lab.down()

