"""Load a scenario YAML file into a validated scenario model, or fail with every problem located.

Rules: the only exceptions that leave `load_scenario` are UnreadableError (cannot read or parse
the file) and InputError (the content breaks the schema); each problem names the file, the line
of the offending key (or its parent, for a missing key) and the dotted field path.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

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


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnreadableError([Problem(str(path), 0, "file", "no such file")]) from None
    except IsADirectoryError:
        raise UnreadableError([Problem(str(path), 0, "file", "is a directory, not a scenario file")]) from None
    except UnicodeDecodeError as e:
        raise UnreadableError([Problem(str(path), 0, "file", f"not UTF-8 text ({e.reason})")]) from None
    except OSError as e:
        raise UnreadableError([Problem(str(path), 0, "file", e.strerror or "cannot be read")]) from None


def _message(err: dict) -> str:
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        return "unknown key (check its spelling: unknown keys are not ignored)"
    if err["type"] == "missing":
        return "required key is missing"
    return msg.removeprefix("Value error, ")


def _parse(path: Path, what: str):
    """The file's composed node tree (for line numbers) and its mapping."""
    text = _read(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
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
            problems.append(Problem(str(path), _line_of(root, loc), _dotted(loc), _message(err)))
        raise InputError(problems) from None


def load_scenario(path: str | Path, timing_profile: str | Path | None = None, *, model) -> LoadedScenario:
    """Load and validate a scenario against `model` (the scenario composed of every run kind's
    sections: twin/runs/scenario.py); `timing_profile` (a file with `timing:` and/or `network:`
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
    return LoadedScenario(_validate(model, data, path, root), path, root)


# pydantic puts the union member's tag in the error location (e.g. "lognormal"); users never wrote it
_UNION_TAGS = {"fixed", "uniform", "normal", "lognormal", "exponential", "weibull", "pareto"}


def _is_union_tag(part) -> bool:
    return isinstance(part, str) and (part in _UNION_TAGS or part.startswith("function-before[_number_is_fixed()"))
