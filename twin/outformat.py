"""How a command prints its result: `-f table|json|value`, the OpenStack client's convention.

Rules:
- table (the default) is the command's own text for a person; json is the whole result as one
  JSON document (no NaN or infinity: they become null); value is the result's values alone,
  one per line in the result's order (a nested value as compact JSON), for shell scripts.
- `--json` stays as a synonym of `-f json` where a command had it.
- The result is a mapping built once per command, so the three forms never disagree.
"""
from __future__ import annotations

import json
import math

FORMATS = ("table", "json", "value")


def add_format_argument(parser, json_alias: bool = False) -> None:
    parser.add_argument("-f", "--format", choices=FORMATS, default="table", dest="format",
                        help="output format: table (default, for a person), json, or value (values only)")
    if json_alias:
        parser.add_argument("--json", action="store_const", const="json", dest="format",
                            help="the same as -f json")


def render(result: dict, fmt: str, table) -> str:
    """The text to print: `table` is a function giving the person's form of `result`."""
    if fmt == "json":
        return json.dumps(_finite(result), indent=2)
    if fmt == "value":
        return "\n".join(_value(v) for v in result.values())
    return table(result) if callable(table) else str(table)


def _value(v) -> str:
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(_finite(v), separators=(",", ":"))
    if v is None:
        return ""
    return str(v)


def _finite(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v
