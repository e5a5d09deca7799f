"""Trace replay: a valid trace's arrivals come back exactly; a bad one is refused with every
problem located (FILE:LINE: column: message); no input makes the reader crash."""
import math
import string

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.cloud.workload.trace import COLUMNS, read_trace
from twin.errors import InputError, UnreadableError
from wltest_helpers import BIG, capacity_scenario, run_capacity, write

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

FLAVORS = {"m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"}
VALID = """submit_s,lifetime_s,flavor,tenant
0,3600,m1.small,acme
10.5,60,m1.tiny,acme
10.5,,m1.large,blue
7,7200,m1.medium,blue
99999,1,m1.xlarge,acme
"""


def problems(path, flavors=FLAVORS):
    with pytest.raises(InputError) as e:
        read_trace(path, flavors)
    return [(p.line, p.field, p.message) for p in e.value.problems]


def replay(tmp_path, path, extra=None):
    sc = capacity_scenario(compute=1, hardware=BIG, nova={"max_instances_per_host": 10**6},
                           workload={"traces": [{"file": str(path)}]},
                           capacity={"warmup_s": 0, "duration_s": 200000.0}, **(extra or {}))
    return run_capacity(sc, seed=1)


def vm_rows(result, name):
    ev = result.events
    rows = ev[(ev.kind == "vm") & (ev.name == name)]
    return [(t, s.split("/")[0], f) for t, s, f in zip(rows.time_s, rows.subject, rows.detail)]


def test_a_valid_csv_trace_reproduces_its_arrivals_exactly(tmp_path):
    path = write(tmp_path, "t.csv", VALID)
    rows = read_trace(path, FLAVORS)
    assert rows.submit_s == [0.0, 10.5, 10.5, 7.0, 99999.0] and rows.lifetime_s[2] == math.inf
    result = replay(tmp_path, path)
    boots = vm_rows(result, "boot")
    assert boots == [(0.0, "acme", "m1.small"), (7.0, "blue", "m1.medium"), (10.5, "acme", "m1.tiny"),
                     (10.5, "blue", "m1.large"), (99999.0, "acme", "m1.xlarge")]
    deletes = sorted(vm_rows(result, "delete"))
    assert deletes == [(70.5, "acme", "m1.tiny"), (3600.0, "acme", "m1.small"), (7207.0, "blue", "m1.medium"),
                       (100000.0, "acme", "m1.xlarge")]  # the large lives on (empty lifetime)


def test_a_parquet_trace_with_sizes_instead_of_flavors(tmp_path):
    table = pa.table({"submit_s": [5.0, 1.0, 3.0], "lifetime_s": [10.0, 20.0, 30.0],
                      "vcpus": [2, 3, 1], "memory_mb": [4096, 1000, 512], "disk_gb": [40, 5, 1],
                      "tenant": ["x", "y", "x"]})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    result = replay(tmp_path, path)
    # an exact m1.* match keeps its name; another size becomes its own flavor
    assert vm_rows(result, "boot") == [(1.0, "y", "3c-1000m-5g"), (3.0, "x", "m1.tiny"), (5.0, "x", "m1.medium")]
    assert [f["name"] for f in result.summary["capacity"]["flavors"]][-1] == "3c-1000m-5g"


def test_every_bad_row_is_reported_with_its_line_and_column(tmp_path):
    text = ("submit_s,lifetime_s,flavor,tenant\n"
            "0,3600,m1.small,acme\n"
            "abc,3600,m1.small,acme\n"            # 3: submit_s
            "-1,0,m1.small,acme\n"                # 4: submit_s and lifetime_s
            "\n"                                  # 5: blank, skipped
            "5,60,m1.huge,acme\n"                 # 6: flavor
            "5,60,m1.small\n"                     # 7: row width
            "5,60,,acme\n"                        # 8: no flavor
            "5,nan,m1.small,\n"                   # 9: lifetime_s and tenant
            "inf,60,m1.small,acme\n")             # 10: submit_s
    got = problems(write(tmp_path, "bad.csv", text))
    assert [(line, col) for line, col, _ in got] == [
        (3, "submit_s"), (4, "submit_s"), (4, "lifetime_s"), (6, "flavor"), (7, "row"), (8, "flavor"),
        (9, "lifetime_s"), (9, "tenant"), (10, "submit_s")]
    messages = dict(((line, col), msg) for line, col, msg in got)
    assert messages[(3, "submit_s")] == "not a number: 'abc'"
    assert messages[(6, "flavor")].startswith("unknown flavor 'm1.huge' (flavors: m1.large, m1.medium")
    assert messages[(7, "row")] == "has 3 fields, the header has 4"


def test_header_problems(tmp_path):
    assert problems(write(tmp_path, "a.csv", "submit,lifetime_s,flavor\n1,2,m1.tiny\n")) == [
        (1, "submit", f"unknown column (columns: {', '.join(COLUMNS)})"),
        (1, "submit_s", "required column is missing")]
    assert problems(write(tmp_path, "b.csv", "submit_s,lifetime_s,vcpus,memory_mb\n1,2,3,4\n"))[0][1] == "disk_gb"
    assert (1, "flavor", "column given twice") in problems(
        write(tmp_path, "c.csv", "submit_s,lifetime_s,flavor,FLAVOR\n1,2,m1.tiny,m1.tiny\n"))
    assert problems(write(tmp_path, "d.csv", "\n\n")) == [(1, "file", "empty trace: no header line "
                                                                    "(submit_s,lifetime_s,flavor,...)")]


def test_sizes_and_a_flavor_together_or_half_sizes_are_refused(tmp_path):
    text = ("submit_s,lifetime_s,flavor,vcpus,memory_mb,disk_gb\n"
            "1,2,m1.tiny,1,512,1\n"
            "1,2,,1,,1\n"
            "1,2,,0,512,1.5\n")
    assert problems(write(tmp_path, "s.csv", text)) == [
        (2, "flavor", "give a flavor or vcpus/memory_mb/disk_gb, not both"),
        (3, "memory_mb", "is empty (all three sizes are needed)"),
        (4, "vcpus", "must be >= 1, not 0"), (4, "disk_gb", "must be a whole number, not 1.5")]


def test_unreadable_files(tmp_path):
    for data, message in [(b"\xff\xfe\x00", "not UTF-8 text"), (b"submit_s\x00,x\n", "contains a NUL byte")]:
        p = tmp_path / "x.csv"
        p.write_bytes(data)
        with pytest.raises(UnreadableError) as e:
            read_trace(p, FLAVORS)
        assert message in str(e.value)
    with pytest.raises(UnreadableError, match="no such file"):
        read_trace(tmp_path / "missing.csv", FLAVORS)
    p = tmp_path / "x.parquet"
    p.write_bytes(b"PAR1 not really")
    with pytest.raises(UnreadableError, match="not a readable Parquet file"):
        read_trace(p, FLAVORS)


def test_a_scenario_names_the_trace_file_line_and_column(tmp_path):
    from twin.cli import main

    write(tmp_path, "trace.csv", "submit_s,lifetime_s,flavor\n1,2,m1.tiny\n3,x,m1.tiny\n")
    scenario = write(tmp_path, "s.yaml", "name: s\nrun: capacity\ninventory:\n  generate: {compute: 2}\n"
                                         "workload:\n  traces:\n    - file: trace.csv\n")
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 1
    assert err.getvalue().strip() == f"{tmp_path / 'trace.csv'}:3: lifetime_s: not a number: 'x'"


# --- fuzzing: no input crashes the reader; every problem is located -----------------------------
def check_located(path):
    try:
        read_trace(path, FLAVORS)
    except InputError as e:
        assert e.problems
        for p in e.problems:
            assert p.file == str(path) and isinstance(p.line, int) and p.line >= 0
            assert p.field and p.message
            assert p.field in COLUMNS or p.field in ("row", "file") or p.message.startswith(
                ("unknown column", "column given twice"))
            assert p.field.isprintable()


cell = st.one_of(st.sampled_from(["0", "1.5", "-3", "1e400", "nan", "inf", "", " ", "m1.tiny", "m1.small", "x",
                                  '"q,uoted"', "\"", "7", "512"]),
                 st.text(alphabet=string.printable, max_size=8))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(list(COLUMNS) + ["bogus", "", "Submit_S"]), min_size=0, max_size=8),
       rows=st.lists(st.lists(cell, min_size=0, max_size=9), max_size=12))
def test_fuzz_structured_csv(tmp_path, header, rows):
    text = "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"
    check_located(write(tmp_path, "f.csv", text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_fuzz_bytes(tmp_path, data):
    for name in ("f.csv", "f.parquet"):
        p = tmp_path / name
        p.write_bytes(data)
        check_located(p)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.none(), st.integers(-5, 10**6), st.floats(allow_nan=True),
                                 st.text(max_size=5), st.booleans()), min_size=1, max_size=6))
def test_fuzz_parquet_cells(tmp_path, values):
    for column in ("submit_s", "lifetime_s", "vcpus"):
        cols = {"submit_s": [1.0] * len(values), "lifetime_s": [5.0] * len(values), "flavor": [None] * len(values),
                "vcpus": [1] * len(values), "memory_mb": [512] * len(values), "disk_gb": [1] * len(values)}
        try:
            cols[column] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            continue
        p = tmp_path / "v.parquet"
        pq.write_table(pa.table(cols), p)
        check_located(p)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_csv_trace_with_any_line_end_locates_its_rows(tmp_path, newline):
    path = tmp_path / "t.csv"
    path.write_bytes(newline.join(["submit_s,lifetime_s,flavor", "0,1,m1.small", "-1,1,m1.small", ""]).encode())
    assert problems(path) == [(3, "submit_s", "must be a finite number >= 0, not -1.0")]
