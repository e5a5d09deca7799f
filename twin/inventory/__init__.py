"""Inventory: read, judge, write and generate the list of servers a Helion cloud is built from.

Public API:
    load_inventory(path, role_counts=None) -> Inventory      raises UnreadableError / InputError
    parse_inventory(path, role_counts=None) -> (Inventory, [Problem])   lenient: rows that parse
    validate(inventory, profile="kvm-30x40", *, whole_file=True) -> [Problem]  errors + warnings
    generate_inventory(counts=None, hardware=None, *, power, user, password) -> Inventory
    generate_from_spec(spec) -> Inventory                    a scenario's `generate:` mapping
    write_instackenv(inventory, path), write_csv(inventory, path)   atomic, mode 0600
    get_profile(name) -> Profile, PROFILES, DEFAULT_PROFILE
Format detection: by extension (.csv, .json, case-insensitive); any other extension is sniffed
(JSON when the first non-blank character is "{"). CSV dialect: by column count (csv_format.py).
role_counts: WantedCounts or a mapping such as {"vsa": 3} for the role-assignment rule (roles.py).
"""
from __future__ import annotations

import os
from importlib import import_module

from twin.errors import InputError, Problem
from twin.inventory.csv_format import read_csv, write_csv
from twin.inventory.generate import generate_from_spec, generate_inventory
from twin.inventory.instackenv import read_instackenv, write_instackenv
from twin.inventory.model import Inventory
from twin.inventory.profiles import DEFAULT_PROFILE, PROFILES, Profile, UnknownProfileError, get_profile
from twin.inventory.roles import InventoryConfigError, WantedCounts
from twin.inventory.rules import validate
from twin.inventory.textio import WriteError, read_text

READERS = {".csv": read_csv, ".json": read_instackenv}

__all__ = [
    "DEFAULT_PROFILE", "PROFILES", "InventoryConfigError", "Profile", "UnknownProfileError", "WantedCounts",
    "WriteError", "generate_from_spec", "generate_inventory", "get_profile", "load_inventory",
    "parse_inventory", "validate", "write_csv", "write_instackenv",
]


def parse_inventory(path: str | os.PathLike, role_counts=None) -> tuple[Inventory, list[Problem]]:
    """The inventory of every row that parsed, and the problems of those that did not.
    Raises UnreadableError when the file cannot be read at all."""
    wanted = WantedCounts.from_any(role_counts)
    name = os.fspath(path)
    reader = READERS.get(os.path.splitext(name)[1].lower())
    if reader is None:
        reader = read_instackenv if read_text(name).lstrip().startswith("{") else read_csv
    return reader(name, wanted)


def load_inventory(path: str | os.PathLike, role_counts=None) -> Inventory:
    """The inventory of `path`; InputError with every parse problem if any row cannot be parsed."""
    inventory, problems = parse_inventory(path, role_counts)
    if problems:
        raise InputError(problems)
    return inventory


# The CLI module twin/inventory/validate.py shares its name with the `validate` function. Importing
# a submodule binds it as a package attribute, which would shadow the function; import it here once
# (after parse_inventory exists, which it needs) and bind the function again. Later imports of the
# submodule find it in sys.modules and leave the attribute alone.
import_module("twin.inventory.validate")  # noqa: E402
from twin.inventory.rules import validate  # noqa: E402,F811
