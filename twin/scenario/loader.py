"""Load a scenario YAML file into a validated scenario model, or fail with every problem located.

Rules: the only exceptions that leave `load_scenario` are UnreadableError (cannot read or parse
the file) and InputError (the content breaks the schema); each problem names the file, the line
of the offending key (or its parent, for a missing key) and the dotted field path.
A key given twice in one mapping is an error at the second one's line (YAML would silently keep
the last); a file that is not UTF-8 is refused at the line of its first undecodable byte; an
unknown key names the closest known key of that section ("did you mean ..."). The costs that
span sections are checked by the runner before anything is built (twin/scenario/bounds.py, and
the run kind's own checks).
"""
from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from twin.errors import InputError, Problem, UnreadableError
from twin.scenario.schema import ScenarioBase, TimingProfile  # noqa: F401  (ScenarioBase: a type)


@dataclass
class LoadedScenario:
    scenario: "ScenarioBase"  # the composed Scenario of twin/runs/scenario.py
    path: Path
    _root: yaml.Node | None

    def line_of(self, *loc) -> int:
        """The 1-based line of the value at `loc` (e.g. ("faults", 2, "node")) in the file."""
        return _line_of(self._root, loc)

    def problem(self, loc: tuple, message: str, severity: str = "error") -> Problem:
        return Problem(str(self.path), self.line_of(*loc), _dotted(loc), message, severity)

    def resolve(self, relative: str) -> Path:
        """A path written in the scenario, taken relative to the scenario file's folder."""
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.path.parent / p)


def _dotted(loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "scenario"


def _line_of(node, loc) -> int:
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child, line = value, key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            return line
        node = child
    return line


def _node_at(node, loc):
    """The YAML node at `loc`, or None."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise UnreadableError([Problem(str(path), line, "file", f"not UTF-8 text: byte 0x{data[e.start]:02x} "
                                                                f"cannot be decoded ({e.reason})")]) from None
    except FileNotFoundError:
        raise UnreadableError([Problem(str(path), 0, "file", "no such file")]) from None
    except IsADirectoryError:
        raise UnreadableError([Problem(str(path), 0, "file", "is a directory, not a scenario file")]) from None
    except OSError as e:
        raise UnreadableError([Problem(str(path), 0, "file", e.strerror or "cannot be read")]) from None


def _message(err: dict, model=None, loc: tuple = ()) -> str:
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _known_keys(model, loc[:-1]), n=1) if loc and model else []
        hint = f"did you mean `{close[0]}`? " if close else ""
        return f"unknown key ({hint}check its spelling: unknown keys are not ignored)"
    if err["type"] == "missing":
        return "required key is missing"
    return msg.removeprefix("Value error, ")


def _known_keys(model, loc: tuple) -> list[str]:
    """The keys (field names and aliases) a mapping at `loc` under `model` may hold."""
    annotations = [model]
    for part in loc:
        nxt = []
        for ann in annotations:
            for m in _models_in(ann):
                field = m.model_fields.get(part) if isinstance(part, str) else None
                if field is None and isinstance(part, str):
                    field = next((f for f in m.model_fields.values() if f.alias == part), None)
                if field is not None:
                    nxt.append(field.annotation)
            if isinstance(part, int) or not isinstance(ann, type):  # a list item or a dict value
                nxt.extend(a for a in typing.get_args(ann) if a is not type(None))
        annotations = nxt
    keys = []
    for ann in annotations:
        for m in _models_in(ann):
            keys += [k for name, f in m.model_fields.items() for k in (name, f.alias) if k]
    return list(dict.fromkeys(keys))


def _models_in(ann) -> list[type]:
    """The pydantic models an annotation may hold directly (through Optional, Union, Annotated)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return [m for a in typing.get_args(ann) for m in _models_in(a)]
    return []


class _DuplicateKey(Exception):
    def __init__(self, line: int, loc: tuple, first: int):
        self.line, self.loc, self.first = line, loc, first


def _check_unique_keys(root) -> None:
    """Raise _DuplicateKey at the second of two equal keys in any mapping of the tree."""
    stack, visited = [(root, ())], set()
    while stack:
        node, loc = stack.pop()
        if id(node) in visited:  # an alias repeats a node: visit it once (no "billion laughs" walk)
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in seen:
                        raise _DuplicateKey(key.start_mark.line + 1, loc + (_clip(key.value),), seen[key.value])
                    seen[key.value] = key.start_mark.line + 1
                    stack.append((value, loc + (key.value,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, loc + (i,)) for i, item in enumerate(node.value))


def _parse(path: Path, what: str):
    """The file's composed node tree (for line numbers) and its mapping."""
    text = _read(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        _check_unique_keys(root)
        data = yaml.safe_load(text)
    except _DuplicateKey as e:
        raise InputError([Problem(str(path), e.line, _dotted(e.loc), f"key given twice (first at line {e.first}); "
                                                                  "YAML would keep only the last")]) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 0
        raise UnreadableError([Problem(str(path), line, "yaml", f"not valid YAML: {e.problem}")]) from None
    except (yaml.YAMLError, RecursionError, ValueError) as e:
        raise UnreadableError([Problem(str(path), 0, "yaml", f"not valid YAML: {type(e).__name__}")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), 1, what, f"a {what} is a YAML mapping (key: value lines)")])
    return root, data


def _validate(model, data: dict, path: Path, root):
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
            if loc and loc[-1] == "value" and isinstance(_node_at(root, loc[:-1]), yaml.ScalarNode):
                loc = loc[:-1]  # a bare number is a fixed distribution: the user wrote no `value:`
            problems.append(Problem(str(path), _line_of(root, loc), _dotted(loc), _message(err, model, loc)))
        raise InputError(problems) from None


def _clip(text: str, n: int = 40) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= n else text[:n] + "..."


def load_scenario(path: str | Path, timing_profile: str | Path | None = None, *, model) -> LoadedScenario:
    """Load and validate a scenario against `model(mapping)`, the model for the file's mapping
    (the scenario composed of the run kinds' sections: twin/runs/scenario.py); `timing_profile` (a file with `timing:` and/or `network:`
    sections, such as `twin calibrate` writes) overrides the scenario's keys of those sections."""
    path = Path(path)
    root, data = _parse(path, "scenario")
    if timing_profile is not None:
        profile_path = Path(timing_profile)
        profile_root, profile = _parse(profile_path, "timing profile")
        _validate(TimingProfile, profile, profile_path, profile_root)  # its own errors, its own lines
        for section in ("timing", "network"):
            if section in profile:
                data[section] = {**(data.get(section) or {}), **(profile[section] or {})}
    return LoadedScenario(_validate(model(data), data, path, root), path, root)


# pydantic puts the union member's tag in the error location (e.g. "lognormal"); users never wrote it
_UNION_TAGS = {"fixed", "uniform", "normal", "lognormal", "exponential", "weibull", "pareto"}


def _is_union_tag(part) -> bool:
    return isinstance(part, str) and (part in _UNION_TAGS or part.startswith("function-before[_number_is_fixed()"))
