"""A sweep's definition: `--set` axes, their cartesian product, each point's validated scenario, seeds.

Rules: an axis is a dotted path into the scenario file's YAML mapping (`timing.post_s`,
`faults[0].for_s` or `faults.0.for_s`) and a list of values; `--set` values are YAML scalars
(read as a YAML flow sequence, so `60,90` is [60, 90] and `'a,b',c` is ["a,b", "c"]). A point
is one combination, in `itertools.product` order (the first axis varies slowest), and its
scenario is the file's mapping with the point's overrides applied, validated with `Scenario`.
Everything is checked before anything runs: each value of each axis on its own first (so an
error names the one `--set` argument and value at fault), then every combination, then each
point's inventory. A bad key (malformed, unknown to the schema, or leading through a value that
is not a mapping or list) is a usage error (exit 2); a value the schema refuses is invalid
(exit 1). Replication r's seed is child r of `SeedSequence(base)`, the same at every point
(common random numbers), as a 63-bit int: `twin run --seed S` replays that one replication.
Sizes are bounded before anything is built: at most MAX_POINTS points, at most `max_runs`
(default MAX_RUNS) points x replications; a sweep over either is refused with its size. Seeds
are computed per replication (nothing of size R is built), so tasks can be streamed.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from twin.errors import InputError, TwinError
from twin.runs import Scenario, load_scenario
from twin.scenario import LoadedScenario

#: Columns every results row has besides its parameters and metrics.
RESERVED_COLUMNS = ("point", "replication", "seed", "wall_s")

#: Bounds of a sweep's size, checked before anything is built. Each point is validated and held
#: (its scenario and inventory check) before the first run; each finished run is a row in memory.
MAX_POINTS = 10_000
MAX_RUNS = 100_000  # points x replications; `--max-runs` raises it for a sweep that means it


class SweepError(TwinError):
    """A sweep cannot run as asked: an invalid value (exit 1)."""

    exit_code = 1


class SweepUsageError(SweepError):
    """The sweep's arguments are malformed: bad `--set` syntax, a bad key, a bad count (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Axis:
    key: str  # as written: the column name in results.parquet
    path: tuple  # parsed: ("faults", 0, "for_s")
    values: tuple
    source: str  # how the user wrote it, for messages: "--set timing.post_s=60,90"

    @property
    def kind(self) -> str:
        """How the axis is stored as a column: bool, int, float, str, or json (JSON text)."""
        return value_kind(self.values)


@dataclass(frozen=True)
class Point:
    index: int
    params: dict  # axis key -> value, as given
    mapping: dict  # the scenario file's mapping with this point's overrides
    scenario: Scenario


@dataclass
class SweepPlan:
    """Everything a sweep runs, resolved and validated; `definition` decides whether a resume fits."""

    path: Path  # absolute: a scenario's inventory.file is relative to its folder
    name: str
    base_seed: int
    replications: int
    axes: list[Axis]
    points: list[Point]
    definition: dict
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.points) * self.replications

    def seed(self, replication: int) -> int:
        """Replication `replication`'s seed (the same at every point)."""
        return replication_seed(self.base_seed, replication)


# ---- keys and values -------------------------------------------------------------------------

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_SEGMENT = re.compile(rf"^(?:({_NAME})|(\d+))((?:\[\d+\])*)$")


def parse_key(key: str, source: str) -> tuple:
    """`timing.post_s` -> ("timing", "post_s"); `faults[0].for_s` and `faults.0.for_s` ->
    ("faults", 0, "for_s")."""
    if not key:
        raise SweepUsageError(f"{source}: the key is empty (write --set dotted.key=v1,v2)")
    path: list = []
    for segment in key.split("."):
        m = _SEGMENT.match(segment)
        if m is None:
            raise SweepUsageError(f"{source}: '{key}' is not a dotted key (names and [index] parts "
                                  f"separated by dots, e.g. timing.post_s or faults[0].for_s)")
        name, index, brackets = m.groups()
        path.append(name if name is not None else int(index))
        path.extend(int(i) for i in re.findall(r"\[(\d+)\]", brackets))
    if isinstance(path[0], int):
        raise SweepUsageError(f"{source}: '{key}' must start with a key of the scenario, not an index")
    return tuple(path)


def parse_set(arg: str) -> tuple[str, list]:
    """One `--set key=v1,v2` argument -> (key, [values]), the values read as YAML scalars."""
    source = f"--set {arg}"
    key, sep, text = arg.partition("=")
    key = key.strip()
    if not sep:
        raise SweepUsageError(f"{source}: expected key=value1,value2,... (no '=' found)")
    parse_key(key, source)
    try:
        values = yaml.safe_load(f"[{text}]")
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or type(e).__name__
        raise SweepUsageError(f"{source}: the values are not valid YAML ({problem})") from None
    if not values:
        raise SweepUsageError(f"{source}: no values after '=' (give one or more, separated by commas)")
    return key, values


def parse_sets(args: list[str]) -> dict[str, list]:
    """Every `--set` argument, in order, as the `axes` mapping `run_sweep` takes."""
    axes: dict[str, list] = {}
    for arg in args:
        key, values = parse_set(arg)
        if key in axes:
            raise SweepUsageError(f"--set {arg}: '{key}' is set twice (one --set per key)")
        axes[key] = values
    return axes


def _yaml_text(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def make_axes(axes: dict[str, list] | None) -> list[Axis]:
    """The `axes` mapping -> checked Axis objects (syntax, duplicates, overlaps, seed)."""
    out: list[Axis] = []
    for key, values in (axes or {}).items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = [values]
        values = list(values)
        if len(values) > MAX_POINTS:
            raise SweepUsageError(f"--set {key}: {len(values):,} values, more than the {MAX_POINTS:,} points a "
                                  f"sweep can hold: use fewer values")
        source = f"--set {key}={','.join(_yaml_text(v) for v in values)}"
        if not isinstance(key, str):
            raise SweepUsageError(f"{source}: an axis key is a dotted string, not {type(key).__name__}")
        path = parse_key(key, source)
        if not values:
            raise SweepUsageError(f"{source}: no values (give one or more)")
        if path == ("seed",):
            raise SweepUsageError(f"{source}: the scenario's seed is not a sweep axis: each replication gets "
                                  f"its own seed from the base seed (--seed), the same at every point")
        seen = []
        for v in values:
            if any(_same(v, s) for s in seen):
                raise SweepUsageError(f"{source}: the value {_yaml_text(v)} is listed twice")
            seen.append(v)
        for other in out:
            shorter = min(len(other.path), len(path))
            if other.path[:shorter] == path[:shorter]:
                raise SweepUsageError(f"{source}: overlaps {other.source} (both set '{_dotted(path[:shorter])}')")
        out.append(Axis(key, path, tuple(values), source))
    return out


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def value_kind(values) -> str:
    vals = list(values)
    if all(isinstance(v, bool) for v in vals):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return "float"
    if all(isinstance(v, str) for v in vals):
        return "str"
    return "json"


def column_value(value, kind: str):
    """An axis value as stored in its results column (see Axis.kind)."""
    if kind == "float":
        return float(value)
    if kind == "json":
        return json.dumps(value, sort_keys=True, default=str)
    return value


# ---- overrides and validation ----------------------------------------------------------------

def apply_override(mapping: dict, path: tuple, value, source: str) -> None:
    """Set `path` in `mapping` (in place) to `value`, creating missing mappings on the way."""
    node: Any = mapping
    for i, part in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                raise SweepUsageError(_no_such(source, path[: i + 1], node))
            if node[part] is None:
                node[part] = {}
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise SweepUsageError(_no_such(source, path[: i + 1], node))
            if node.get(part) is None:
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not 0 <= last < len(node):
            raise SweepUsageError(_no_such(source, path, node))
    elif not isinstance(node, dict):
        raise SweepUsageError(_no_such(source, path, node))
    node[last] = copy.deepcopy(value)


def _no_such(source: str, path: tuple, node) -> str:
    parent = _dotted(path[:-1]) or "the scenario"
    if isinstance(path[-1], int):
        have = f"a list of {len(node)} item(s)" if isinstance(node, list) else f"not a list ({type(node).__name__})"
        return f"{source}: no item {path[-1]} in {parent}: it is {have}"
    return f"{source}: cannot set '{path[-1]}' inside {parent}: it is a {type(node).__name__}, not a mapping"


def _schema_errors(mapping: dict) -> list[tuple[tuple, str, str]]:
    """[(loc, pydantic error type, message)] of `mapping` against Scenario; [] when valid."""
    try:
        Scenario.model_validate(mapping)
    except ValidationError as e:
        return [(_user_loc(mapping, err["loc"]), err["type"], _message(err)) for err in e.errors()]
    return []


def _user_loc(mapping, loc) -> tuple:
    """pydantic's error location without the parts the user never wrote (a union member's tag,
    such as "lognormal"): keep what leads through the mapping, and a final missing key."""
    out, node = [], mapping
    for i, part in enumerate(loc):
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict) and (part in node or i == len(loc) - 1):
            out.append(part)
            node = node.get(part)
    return tuple(out)


def _message(err: dict) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    return err["msg"].removeprefix("Value error, ")


def _dotted(loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "scenario"


def _check_axis_values(base: dict, axis: Axis) -> None:
    for value in axis.values:
        mapping = copy.deepcopy(base)
        apply_override(mapping, axis.path, value, axis.source)
        errors = _schema_errors(mapping)
        if not errors:
            continue
        unknown = [loc for loc, kind, _ in errors if kind == "extra_forbidden"]
        if unknown:
            raise SweepUsageError(f"{axis.source}: {_dotted(unknown[0])}: unknown key (check its spelling: "
                                  f"`twin schema` lists every key)")
        loc, _, message = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SweepError(f"{axis.source}: value {_yaml_text(value)}: {_dotted(loc)}: {message}{more}")


def build_points(base: dict, axes: list[Axis]) -> list[Point]:
    for axis in axes:
        _check_axis_values(base, axis)
    points = []
    for index, combo in enumerate(itertools.product(*(a.values for a in axes))):
        mapping = copy.deepcopy(base)
        for axis, value in zip(axes, combo):
            apply_override(mapping, axis.path, value, axis.source)
        try:
            scenario = Scenario.model_validate(mapping)
        except ValidationError:
            loc, _, message = _schema_errors(mapping)[0]
            raise SweepError(f"{_point_text(axes, combo)}: {_dotted(loc)}: {message}") from None
        points.append(Point(index, {a.key: v for a, v in zip(axes, combo)}, mapping, scenario))
    return points


def _point_text(axes: list[Axis], combo) -> str:
    return " ".join(f"--set {a.key}={_yaml_text(v)}" for a, v in zip(axes, combo)) or "the scenario"


# ---- seeds -----------------------------------------------------------------------------------

def replication_seed(base_seed: int, replication: int) -> int:
    """Replication r's seed: child r of SeedSequence(base_seed) (what `.spawn(n)[r]` gives, for
    any n > r), as a 63-bit int (fits int64)."""
    child = np.random.SeedSequence(int(base_seed), spawn_key=(int(replication),))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def replication_seeds(base_seed: int, replications: int) -> list[int]:
    """The seeds of replications 0..replications-1 (see replication_seed)."""
    return [replication_seed(base_seed, r) for r in range(replications)]


# ---- size ------------------------------------------------------------------------------------

def check_size(axes: list[Axis], replications: int, max_runs: int = MAX_RUNS) -> None:
    """Refuse, with its size, a sweep of more than MAX_POINTS points or more than `max_runs` runs."""
    points = math.prod(len(a.values) for a in axes)
    runs = points * replications
    shape = " x ".join(f"{len(a.values)}" for a in axes) or "1"
    where = (f"{_count(points)} point(s) ({len(axes)} axes: {shape} values) x "
             f"{_count(replications)} replication(s)") if axes else f"{_count(replications)} replication(s) of 1 point"
    if runs > max_runs:
        raise SweepUsageError(f"this sweep is {_count(runs)} runs ({where}), more than --max-runs {max_runs:,}: "
                              f"use fewer replications or values, or raise --max-runs if you mean it")
    if points > MAX_POINTS:
        raise SweepUsageError(f"this sweep is {_count(points)} points ({len(axes)} axes: {shape} values), more than "
                              f"the {MAX_POINTS:,} a sweep can hold: use fewer --set values")


def _count(n: int) -> str:
    """1,234 below a million; 10^12 or 2.5 x 10^9 above."""
    if n < 10**6:
        return f"{n:,}"
    exponent = len(str(n)) - 1
    if n == 10**exponent:
        return f"10^{exponent}"
    return f"{n / 10**exponent:.3g} x 10^{exponent}"


# ---- the plan --------------------------------------------------------------------------------

def plan_sweep(scenario_path, replications: int, axes: dict[str, list] | None = None,
               seed: int | None = None, max_runs: int = MAX_RUNS) -> SweepPlan:
    """Load, override, validate and resolve everything a sweep will run; run nothing."""
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise SweepUsageError(f"--replications: must be a whole number of at least 1, not {replications!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise SweepUsageError(f"--seed: must be a whole number >= 0, not {seed!r}")
    if isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 1:
        raise SweepUsageError(f"--max-runs: must be a whole number of at least 1, not {max_runs!r}")
    axis_list = make_axes(axes)
    check_size(axis_list, replications, max_runs)
    path = Path(scenario_path).expanduser().absolute()
    loaded = load_scenario(path)  # InputError / UnreadableError with file:line:field
    raw = path.read_bytes()
    base = yaml.safe_load(raw.decode("utf-8"))
    points = build_points(base, axis_list)
    base_seed = loaded.scenario.seed if seed is None else seed

    from twin.sweep.tasks import resolve_inventory, warning_lines

    inputs: dict[str, str] = {}
    warnings: list[str] = []
    for point in points:
        point_loaded = LoadedScenario(point.scenario, path, loaded._root)
        try:
            _, problems = resolve_inventory(point_loaded)
        except InputError as e:
            first = e.problems[0]
            more = f" (and {len(e.problems) - 1} more)" if len(e.problems) > 1 else ""
            where = _point_text(axis_list, tuple(point.params.values()))
            raise SweepError(f"{where}: {first}{more}") from None
        except TwinError as e:
            raise SweepError(f"{_point_text(axis_list, tuple(point.params.values()))}: {e}") from None
        for line in warning_lines(problems):
            if line not in warnings:
                warnings.append(line)
        if point.scenario.inventory.file:
            inv = point_loaded.resolve(point.scenario.inventory.file)
            inputs[point.scenario.inventory.file] = _sha256(inv.read_bytes())

    definition = {
        "scenario_sha256": _sha256(raw),
        "inventory_sha256": dict(sorted(inputs.items())),
        "axes": {a.key: [_jsonable(v) for v in a.values] for a in axis_list},
        "replications": replications,
        "seed": base_seed,
    }
    return SweepPlan(path, loaded.scenario.name, base_seed, replications, axis_list, points, definition, warnings)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _jsonable(value):
    """A value as JSON can hold it (YAML dates become text; NaN stays a float)."""
    if isinstance(value, float) and math.isnan(value):
        return value
    return json.loads(json.dumps(value, default=str))
