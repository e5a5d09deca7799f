"""The one error family for problems a user can cause or must act on.

Rules: every message names where the problem is (file, line and field; or node and BMC address)
and never contains a secret. Every error is rebuilt exactly from its `args` (simpy re-raises a
failed event's exception as `type(e)(*e.args)`), so constructor arguments go to `args` and the
message comes from `__str__`. The CLI prints these as one line each and exits non-zero, without a
traceback. Anything that is not a TwinError is a bug in the twin and keeps its traceback.
"""
from __future__ import annotations

from dataclasses import dataclass


class TwinError(Exception):
    """Base of every user-facing error."""


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: `FILE:LINE: field: message` (line 0 = the file as a whole)."""

    file: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"
    code: str = ""  # a known warning's name, which a scenario may `acknowledge:` (docs/scenarios.md)

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.field}: {self.message}"
        return f"{text} [{self.code}]" if self.code else text

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class InputError(TwinError):
    """An input file is unreadable or invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class UnreadableError(InputError):
    """The file could not be read or decoded at all (missing, a directory, not text, not JSON...)."""


class BmcError(TwinError):
    """A BMC command failed. `reason` is one of REASONS; the message names node and address."""

    REASONS = ("credentials", "unreachable", "timeout", "protocol", "power_timeout")

    def __init__(self, node: str, address: str, reason: str, detail: str = ""):
        self.node, self.address, self.reason, self.detail = node, address, reason, detail
        super().__init__(node, address, reason, detail)

    @classmethod
    def no_answer(cls, node: str, address: str, what: str, timeout_s: float) -> "BmcError":
        """The one message for a BMC that does not answer a command within its bound, whichever
        layer notices first (the conductor's bound or the IPMI client's own)."""
        return cls(node, address, "timeout", f"{what}: no answer within {timeout_s:g} s")

    def __str__(self) -> str:
        text = f"node {self.node}: BMC {self.address}: {self.reason.replace('_', ' ')}"
        return f"{text}: {self.detail}" if self.detail else text


class DeployError(TwinError):
    """A node's deployment failed for a reason other than its BMC (callback timeout, PXE...)."""

    def __init__(self, node: str, cause: str):
        self.node, self.cause = node, cause
        super().__init__(node, cause)

    def __str__(self) -> str:
        return f"node {self.node}: {self.cause}"


class OutputError(TwinError):
    """An output path cannot be written (a file where a folder is wanted, no permission, a
    read-only filesystem...). Raised before any work is done where it can be foreseen."""

    def __init__(self, path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(self.path, reason)

    def __str__(self) -> str:
        return f"{self.path}: cannot write output here: {self.reason}"


class UsageError(TwinError):
    """A command's options are malformed or out of range (exit 2, as argparse's own usage errors)."""
