"""The run kinds the twin knows, by their scenario `run:` name.

Rules: this table is the one place that lists the kinds; the CLI, the runner, `twin sweep`,
`twin plan`, `twin compare` and the reports look a kind up here and call its `RunKind` fields
(twin/runs/kind.py) instead of comparing `run:` strings. Adding a kind is one module of
twin/runs/ ending in `KIND = RunKind(...)` and one line in MODULES.
"""
from __future__ import annotations

from importlib import import_module

from twin.errors import InputError, TwinError
from twin.runs.kind import RunKind

#: Every run kind's module, in the order `twin schema` and `--help` list them; the first is the default.
MODULES = ("twin.runs.deploy", "twin.runs.operations", "twin.runs.capacity", "twin.runs.durability")

KINDS: dict[str, RunKind] = {}
for _module in MODULES:
    _kind = import_module(_module).KIND
    KINDS[_kind.name] = _kind
DEFAULT = next(iter(KINDS))


def kind(name: str) -> RunKind:
    """The run kind called `name` (a scenario's `run:` or a summary's "run")."""
    try:
        return KINDS[name]
    except KeyError:
        raise TwinError(f"unknown run kind '{name}' (known: {', '.join(KINDS)})") from None


def kind_of(summary: dict) -> RunKind:
    """The kind that wrote a run's summary (summaries before run kinds existed were deployments)."""
    return kind(summary.get("run", DEFAULT))


def expect_kind(loaded, name: str, what: str) -> None:
    """Refuse, located at `run:`, a scenario that is not of kind `name` (for a command such as
    `twin plan capacity` that only makes sense for one kind)."""
    if kind(loaded.scenario.run) is not KINDS[name]:
        raise InputError([loaded.problem(("run",), f"{what} needs a scenario with `run: {name}` "
                                         f"(this one has run: {loaded.scenario.run})")])

