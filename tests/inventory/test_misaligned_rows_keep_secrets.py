"""Misaligned rows (a comma inside a value and a missing column) never show the password or a piece of it."""
import pytest

from twin.errors import InputError
from twin.inventory import load_inventory

PASSWORD = "Xy7:Zq9-secret"


@pytest.mark.parametrize("row", [
    # comma inside the MAC, disk column missing: the password lands in ipmi_address
    f"78:e7:d1:22:5d,58,administrator,{PASSWORD},192.168.11.1,12,32768,Undercloud",
    # comma inside the user, memory missing
    f"78:e7:d1:22:5d:58,admin,istrator,{PASSWORD},192.168.11.1,12,2048,Undercloud,IPMI",
    # comma inside the MAC, 1.0 row with one column too few
    f"78:e7:d1:22:5d,58,administrator,{PASSWORD},192.168.11.1,12,32768",
])
def test_no_piece_of_the_password_is_shown(tmp_path, row):
    path = tmp_path / "baremetal.csv"
    path.write_text(row + "\n")
    with pytest.raises(InputError) as e:
        load_inventory(path)
    text = str(e.value)
    for piece in (PASSWORD, *PASSWORD.split(":"), *PASSWORD.split("-")):
        assert piece not in text
