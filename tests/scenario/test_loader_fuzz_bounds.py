"""Hypothesis on the scenario loader's new checks: any bytes, duplicate keys, misspelt keys and
near-valid capacity, workload and generate sections are accepted or refused cleanly (only
InputError / UnreadableError, every problem located on a real line); what is accepted is finite
and within its bounds (the run it describes stays affordable)."""
import math
import re
import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.errors import InputError, UnreadableError
from twin.runs import load_scenario, resolve_inventory
from twin.cloud.capacity.run import MAX_REQUESTS
from twin.runs import Scenario
from twin.scenario.schema import MAX_GENERATED_PER_ROLE, Timing
import pytest

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NUMBERS = st.one_of(st.integers(-10, 10**13), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, 1e-9, 1e9, 1e15, 1e300, ".inf", "-.inf", ".nan", "1e9"]))
KNOWN = sorted(Timing.model_fields) + sorted(Scenario.model_fields)


def write_bytes(tmp_path, data: bytes):
    p = tmp_path / "s.yaml"
    p.write_bytes(data)
    return p


def outcome(path):
    """The loaded scenario, or None after checking that every problem is clean and located (what
    a run refuses before it starts: the file, then the inventory and the run kind's checks)."""
    # YAML's line breaks (\r\n, \r, \n, NEL, LS, PS): a lone \r starts a line, as in the reader.
    lines = len(re.split("\r\n|[\r\n\x85\u2028\u2029]", path.read_bytes().decode("utf-8", "replace")))
    try:
        loaded = load_scenario(path)
        resolve_inventory(loaded)
        return loaded.scenario
    except (InputError, UnreadableError) as e:
        assert e.problems
        for p in e.problems:
            assert p.file == str(path) and isinstance(p.line, int) and 0 <= p.line <= lines
            assert p.field and p.message and "\n" not in str(p)
        return None


@FUZZ
@given(data=st.binary(max_size=300))
def test_any_bytes(tmp_path, data):
    outcome(write_bytes(tmp_path, b"name: t\ninventory: {generate: {compute: 1}}\n" + data))


@FUZZ
@given(keys=st.lists(st.sampled_from(["post_s", "dhcp_s", "os_boot_s", "x"]), min_size=1, max_size=5),
       values=st.lists(st.integers(1, 100), min_size=5, max_size=5))
def test_duplicate_keys_are_always_refused(tmp_path, keys, values):
    body = "".join(f"  {k}: {v}\n" for k, v in zip(keys, values))
    sc = outcome(write_bytes(tmp_path, f"name: t\ninventory: {{generate: {{compute: 1}}}}\ntiming:\n{body}".encode()))
    assert (sc is None) or len(set(keys)) == len(keys)
    if len(set(keys)) != len(keys):
        try:
            load_scenario(tmp_path / "s.yaml")
        except InputError as e:
            assert any("key given twice" in p.message for p in e.problems)


@FUZZ
@given(key=st.sampled_from(KNOWN), at=st.integers(0, 30), char=st.sampled_from(string.ascii_lowercase + "_"))
def test_a_misspelt_key_suggests_only_known_keys(tmp_path, key, at, char):
    typo = key[:at] + char + key[at + 1:]
    section = "timing:\n  " if key in Timing.model_fields else ""
    text = f"name: t\ninventory: {{generate: {{compute: 1}}}}\n{section}{typo}: 1\n"
    path = write_bytes(tmp_path, text.encode())
    outcome(path)
    try:
        load_scenario(path)
    except InputError as e:
        for p in e.problems:
            if "did you mean" in p.message:
                suggested = p.message.split("`")[1]
                known = Timing.model_fields if section else Scenario.model_fields  # that section's keys only
                assert suggested in known and p.field.endswith(typo) and p.line == (4 if section else 3)


@FUZZ
@given(rate=NUMBERS, growth=NUMBERS, warmup=NUMBERS, duration=NUMBERS, interval=NUMBERS, lifetime=NUMBERS,
       start=st.sampled_from(["steady", "empty"]), compute=NUMBERS, hosts=NUMBERS)
def test_near_valid_capacity_scenarios_stay_within_bounds(tmp_path, rate, growth, warmup, duration, interval,
                                                          lifetime, start, compute, hosts):
    doc = {"name": "t", "run": "capacity", "inventory": {"generate": {"compute": compute}},
           "workload": {"start": start, "tenants": [{"name": "a", "rate_per_hour": rate, "growth_per_month": growth,
                                                     "lifetime_s": lifetime, "flavors": {"m1.small": 1}}]},
           "capacity": {"warmup_s": warmup, "duration_s": duration, "sample_interval_s": interval,
                        "compute_hosts": hosts}}
    text = yaml.safe_dump(doc).replace("'.inf'", ".inf").replace("'-.inf'", "-.inf").replace("'.nan'", ".nan")
    sc = outcome(write_bytes(tmp_path, text.encode()))
    if sc is not None:
        cap, wl = sc.capacity, sc.workload
        assert all(math.isfinite(x) for x in (cap.warmup_s, cap.duration_s, cap.sample_interval_s,
                                             wl.tenants[0].rate_per_hour, wl.tenants[0].growth_per_month))
        assert wl.expected_requests(cap.warmup_s, cap.duration_s) <= MAX_REQUESTS
        assert (cap.warmup_s + cap.duration_s) / cap.sample_interval_s <= 100_000
        assert sc.inventory.generate.compute <= min(MAX_GENERATED_PER_ROLE, 100)
