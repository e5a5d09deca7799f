"""Line ends of inventory files (issue 13 item 15): a baremetal.csv saved with lone CRs (old Mac
editors, some spreadsheet exports) used to be read as one line of 81 fields."""
from __future__ import annotations

import pytest
from invtest_helpers import minimal_rows, row

from twin.errors import InputError, UnreadableError
from twin.inventory import load_inventory, validate


def write_bytes(tmp_path, data: bytes, name="baremetal.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_end_reads_the_same_nodes(tmp_path, newline):
    rows = minimal_rows()
    path = write_bytes(tmp_path, (newline.join(rows) + newline).encode())
    inventory = load_inventory(path)
    reference = load_inventory(write_bytes(tmp_path, ("\n".join(rows) + "\n").encode(), "lf.csv"))
    assert [(n.name, n.mac, n.role, n.line) for n in inventory.nodes] == \
        [(n.name, n.mac, n.role, n.line) for n in reference.nodes]
    assert not [p for p in validate(inventory) if p.severity == "error"]


def test_a_problem_in_a_lone_cr_file_names_its_own_line(tmp_path):
    rows = minimal_rows()
    rows[3] = row(3, cpus="lots")
    path = write_bytes(tmp_path, ("\r".join(rows) + "\r").encode())
    with pytest.raises(InputError) as e:
        load_inventory(path)
    assert [(p.line, p.field) for p in e.value.problems] == [(4, "cpus")]


def test_an_undecodable_byte_after_lone_crs_is_located_on_its_line(tmp_path):
    rows = minimal_rows()
    data = ("\r".join(rows[:2]) + "\r").encode() + b"caf\xe9,x\r"
    with pytest.raises(UnreadableError) as e:
        load_inventory(write_bytes(tmp_path, data))
    [problem] = e.value.problems
    assert problem.line == 3 and "0xe9" in problem.message
