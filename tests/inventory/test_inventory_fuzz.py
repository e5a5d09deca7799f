"""Hypothesis fuzzing of both parsers, the rules and the CLI.

Properties: the only exceptions out of load_inventory are InputError / UnreadableError; every
Problem names the path, has an int line >= 0 (pointing at a data line or a node's "{"), a non-empty
field and message, prints as one line; the planted password never appears in any output; what
parses survives an instackenv.json write/read round trip.
"""
from __future__ import annotations

import io
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invtest_helpers import PASSWORD, node_json

from twin.errors import InputError, Problem, UnreadableError
from twin.inventory import load_inventory, parse_inventory, validate, write_instackenv
from twin.inventory.model import Role
from twin.inventory.validate import run_validate

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

# TWIN_FUZZ_EXAMPLES raises the effort for a long local run (default keeps the suite fast).
FUZZ = settings(max_examples=int(os.environ.get("TWIN_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
SECRET = PASSWORD.casefold()

INTERESTING = ["", " ", "-1", "0", "1", "99999999999999999999", "1.5", "32768MB", PASSWORD, "x" + PASSWORD,
               PASSWORD.lower(), PASSWORD + ":623", "HP_Moonshot:0x84:0x72", "HP_Moonshot:0x84", "hp_ilo4", "VM",
               "OvercloudCompute:deleted", ":deleted", "Undercloud", "overcloudcontrol", "52:54:00:00:00:01",
               "10.0.0.1", "10.0.0.1:0", "10.0.0.1:6230", "host.lab", "a,b", "#", "\t", "\u2028", "\x0b", "é"]
FIELD_TEXT = st.text(alphabet=st.sampled_from(list("0123456789abcdefxAF:.,-_# \t\r\u2028\x1cé")), max_size=16)
MUTATION = st.one_of(st.sampled_from(INTERESTING), FIELD_TEXT, st.text(max_size=12))


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def physical_lines(text: str) -> list[str]:
    """The file's lines as the readers count them: "\n", "\r\n" and a lone "\r" each end one."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def assert_problems_clean(problems: list[Problem], path: str, text: str | None = None, secret: bool = True):
    lines = physical_lines(text) if text is not None else None
    for p in problems:
        assert p.file == path
        assert isinstance(p.line, int) and not isinstance(p.line, bool) and p.line >= 0
        assert p.field and p.message
        assert p.severity in ("error", "warning")
        rendered = str(p)
        assert len(rendered.splitlines()) == 1 and "\n" not in rendered and "\r" not in rendered
        assert not secret or SECRET not in rendered.casefold()
        if lines is not None and 0 < p.line and p.field not in ("json", "file"):
            assert p.line <= len(lines)


def exercise(path: str, text: str | None = None, secret: bool = True):
    """Load, parse, validate and run the CLI on `path`; check every invariant; return the inventory.
    secret=False when PASSWORD was not planted as a password (it may then be shown like any value)."""
    inventory = None
    try:
        inventory = load_inventory(path)
    except InputError as exc:  # UnreadableError included
        assert exc.problems
        assert_problems_clean(exc.problems, path, text, secret)
    try:
        parsed, problems = parse_inventory(path)
    except UnreadableError as exc:
        assert inventory is None
        assert_problems_clean(exc.problems, path, text, secret)
    else:
        assert (inventory is None) == bool(problems)
        found = validate(parsed, "kvm-30x40", whole_file=not problems)
        assert_problems_clean(problems + found, path, text, secret)
    for as_json in (False, True):
        out = io.StringIO()
        code = run_validate(path, as_json=as_json, out=out)
        assert code in (0, 1, 2)
        assert not secret or SECRET not in out.getvalue().casefold()
        if as_json:
            document = json.loads(out.getvalue())
            assert document["valid"] is (code == 0)
    return inventory


@FUZZ
@given(data=st.binary(max_size=300), ext=st.sampled_from([".csv", ".json", ".txt"]))
def test_arbitrary_bytes(fuzz_dir, data, ext):
    path = fuzz_dir / f"bytes{ext}"
    path.write_bytes(data)
    exercise(str(path))


@FUZZ
@given(lines=st.lists(st.lists(MUTATION, max_size=11).map(",".join), max_size=12),
       newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_arbitrary_csv_text(fuzz_dir, lines, newline):
    text = newline.join(lines)
    path = fuzz_dir / "text.csv"
    path.write_bytes(text.encode("utf-8"))
    # PASSWORD appears here in any column, not as the password: it may be shown like any value
    exercise(str(path), text, secret=False)


def near_valid_row(i: int):
    valid = [f"52:54:00:00:00:{i:02x}", "admin", None, f"10.0.0.{i + 1}", "8", "65536", "1024",
             "OvercloudCompute", "IPMI"]
    columns = [st.just(v) if v is not None else st.sampled_from([PASSWORD, f" {PASSWORD} "]) for v in valid]
    mutated = [c if v is None else st.one_of(c, c, c, MUTATION) for c, v in zip(columns, valid)]
    return st.tuples(st.integers(7, 9), *mutated).map(lambda t: ",".join(t[1:t[0] + 1]))


@st.composite
def near_valid_csv(draw):
    n = draw(st.integers(0, 12))
    rows = [draw(near_valid_row(i)) for i in range(n)]
    extras = draw(st.lists(st.tuples(st.integers(0, n), st.sampled_from(["", "# comment " + PASSWORD, "   "])),
                           max_size=3))
    for position, extra in extras:
        rows.insert(position, extra)
    return "\n".join(rows) + "\n"


@FUZZ
@given(text=near_valid_csv())
def test_near_valid_csv_rows(fuzz_dir, text):
    path = fuzz_dir / "near.csv"
    path.write_text(text, encoding="utf-8")
    inventory = exercise(str(path), text)
    lines = physical_lines(text)
    try:
        _, problems = parse_inventory(str(path))
    except UnreadableError:
        return
    for p in problems:  # parse problems point at a data line, never a comment or a blank line
        assert lines[p.line - 1].strip() and not lines[p.line - 1].lstrip().startswith("#")
    if inventory is not None:
        round_trip(fuzz_dir, inventory)


def round_trip(fuzz_dir, inventory):
    out = fuzz_dir / "round.json"
    write_instackenv(inventory, out)
    again = load_inventory(str(out))

    def key(n):
        b = n.bmc
        return (n.name, n.role, n.mac, n.hardware, b.kind, b.address, b.port, b.user,
                b.password.get_secret_value(), b.transit, b.target)

    assert [key(n) for n in again.nodes] == [key(n) for n in inventory.active]


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                         st.text(max_size=10), st.sampled_from(INTERESTING))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c,
                                                                                             max_size=4), max_leaves=12)


@FUZZ
@given(value=JSON_VALUES, indent=st.sampled_from([None, 0, 2]))
def test_arbitrary_json_values(fuzz_dir, value, indent):
    text = json.dumps(value, indent=indent)
    path = fuzz_dir / "value.json"
    path.write_text(text, encoding="utf-8")
    exercise(str(path), text)


KEYS = ["name", "pm_type", "pm_addr", "pm_user", "pm_port", "mac", "cpu", "memory", "disk", "arch", "capabilities",
        "ipmi_transit_address", "ipmi_target_address", "pm_system_id"]
SPECIAL = st.sampled_from([..., "pxe_ssh", "pxe_ilo", "pxe_drac", "profile:compute", "profile:nope", "0x84", "0x7G",
                           ["aa:bb:cc:dd:ee:ff"], [], [PASSWORD], "6230", 70000, "-3",
                           "redfish", "http://127.0.0.1:8000", "https://10.0.0.9:8443/", "10.0.0.9:8443", "ftp://h",
                           "https://10.0.0.9/redfish/v1", f"https://admin:{PASSWORD}@10.0.0.9", f"http://{PASSWORD}",
                           "/redfish/v1/Systems/abc", "/redfish/v1/Systems/", "/Systems/1", "http://[::1]:8000"])


@st.composite
def near_valid_instackenv(draw):
    nodes = []
    for i in range(draw(st.integers(0, 9))):
        node = node_json(i, capabilities=draw(st.sampled_from(["profile:compute", "profile:control", ...])))
        if draw(st.booleans()):  # a Redfish node, as TripleO writes it
            node.update(pm_type="redfish", pm_addr=f"http://127.0.0.{i + 1}:8000", pm_system_id=f"/redfish/v1/Systems/{i}")
        for key in draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True)):
            node[key] = draw(st.one_of(JSON_VALUES, SPECIAL))
        nodes.append({k: v for k, v in node.items() if v is not ...})
    if draw(st.booleans()):
        nodes.insert(draw(st.integers(0, len(nodes))), draw(JSON_VALUES))
    return json.dumps({"meta": draw(JSON_VALUES), "nodes": nodes}, indent=draw(st.sampled_from([None, 1, 2, 4])))


@FUZZ
@given(text=near_valid_instackenv())
def test_near_valid_instackenv(fuzz_dir, text):
    path = fuzz_dir / "instackenv.json"
    path.write_text(text, encoding="utf-8")
    inventory = exercise(str(path), text)
    _, problems = parse_inventory(str(path))
    lines = text.split("\n")
    for p in problems:  # a node's problem is reported where the node's value starts
        if p.field != "nodes" or p.line != 1:
            assert p.line >= 1
            stripped = lines[p.line - 1]
            assert "{" in stripped or p.field == "nodes", (p, stripped)
    if inventory is not None:
        round_trip(fuzz_dir, inventory)
        assert all(n.role in Role for n in inventory.nodes)
