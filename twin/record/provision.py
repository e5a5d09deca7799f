"""Ironic's provision-state names as the event log spells them (the `name` of a `state` row),
for both Ironic releases the twin models, and what readers of a log need to know about them.

Rules: Ironic's own spelling ("wait call-back", "deploy failed"); Juno's NOSTATE is Python's
None in Ironic and prints as "None" in the API client, so the log says "None". The tables that
move a node between these states are in twin/workflows/states.py; this module only names them,
so that the summary, the analysis and the report (which read logs of either release) need no
workflow code. Sources: Ironic 2014.2 (Juno) and 2015.1 (Kilo) ironic/common/states.py.
"""
from __future__ import annotations

NOSTATE = "None"  # Juno: a node that is enrolled and free, or torn down
ENROLL = "enroll"  # Kilo and later
VERIFYING = "verifying"
MANAGEABLE = "manageable"
AVAILABLE = "available"
DEPLOYING = "deploying"
WAIT_CALLBACK = "wait call-back"
ACTIVE = "active"
DEPLOY_FAILED = "deploy failed"
DELETING = "deleting"
ERROR = "error"  # Juno: a tear-down that failed

#: The state a node is in right after node-create, per release (where a log's node starts).
ENROLLED = frozenset({NOSTATE, ENROLL})
#: States from which `deploy` starts a deployment (Juno's NOSTATE, Kilo's available): a
#: `deploying` row whose previous state is one of these is the start of a node's deployment.
DEPLOY_FROM = frozenset({NOSTATE, AVAILABLE})
#: Where a node ends when its deployment worked, in either release.
DEPLOYED = ACTIVE
#: Every name, in lifecycle order (both releases interleaved: Juno's NOSTATE first).
LIFECYCLE = (NOSTATE, ENROLL, VERIFYING, MANAGEABLE, AVAILABLE, DEPLOYING, WAIT_CALLBACK, ACTIVE,
             DEPLOY_FAILED, DELETING, ERROR)


def is_failed(state: str) -> bool:
    """A state that says something went wrong (deploy failed, error, and any `... failed`)."""
    return state == ERROR or state.endswith("failed")


#: The state node-create leaves a node in, per release (twin/workflows/states.py names them).
RELEASE_OF_FIRST_STATE = {NOSTATE: "juno", ENROLL: "kilo"}


def release_of(sequences) -> str:
    """Which Ironic release a log's provision states come from ("juno", "kilo"; "" when no node
    was enrolled, "mixed" when nodes disagree), from each node's first state."""
    found = {RELEASE_OF_FIRST_STATE.get(seq[0], "?") for seq in sequences if seq}
    return "" if not found else found.pop() if len(found) == 1 else "mixed"
