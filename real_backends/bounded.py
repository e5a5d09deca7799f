"""One blocking backend command as a kernel event, bounded in real time.

Rules: the command runs in the LiveEnvironment's thread pool (`call_blocking`); the returned event
(a process) succeeds with its value, fails with its BmcError, or fails with
BmcError(reason="timeout") when `timeout_s` passes first. A command that outlives its bound keeps
running in its thread until the backend gives up; its late result is dropped (defused).
"""
from __future__ import annotations

from twin.errors import BmcError


def bounded_call(env, node, what: str, timeout_s: float, fn, *args):
    """Run `fn(*args)` off the loop; an event for its outcome within `timeout_s` seconds."""
    return env.process(_bounded(env, node, what, timeout_s, env.call_blocking(fn, *args)))


def _bounded(env, node, what, timeout_s, call):
    timer = env.timeout(timeout_s)
    try:
        yield call | timer
    except BaseException:
        call.defused = True
        raise
    if call.triggered:
        if call.ok:
            return call.value
        call.defused = True
        raise call.value
    call.defused = True
    raise BmcError(node.name, node.bmc.endpoint, "timeout", f"{what}: no answer within {timeout_s:g} s")
