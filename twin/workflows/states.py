"""Ironic provision states (Juno) as a data table, and a per-node state machine that records
every change.

Rules: a transition not in TRANSITIONS is a bug in the workflow and raises InvalidTransition;
the state names are Ironic's own spelling ("wait call-back", "deploy failed").
Juno has no cleaning step: `provide` goes straight from manageable to available.
"""
from __future__ import annotations

from twin.record.events import StateChanged

ENROLL = "enroll"
VERIFYING = "verifying"
MANAGEABLE = "manageable"
AVAILABLE = "available"
DEPLOYING = "deploying"
WAIT_CALLBACK = "wait call-back"
ACTIVE = "active"
DEPLOY_FAILED = "deploy failed"
DELETING = "deleting"

STATES = (ENROLL, VERIFYING, MANAGEABLE, AVAILABLE, DEPLOYING, WAIT_CALLBACK, ACTIVE,
          DEPLOY_FAILED, DELETING)

#: (state, event) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
    (ENROLL, "manage"): VERIFYING,
    (VERIFYING, "done"): MANAGEABLE,
    (VERIFYING, "fail"): ENROLL,  # Ironic returns a node that fails verification to enroll
    (MANAGEABLE, "provide"): AVAILABLE,
    (AVAILABLE, "deploy"): DEPLOYING,
    (DEPLOYING, "wait"): WAIT_CALLBACK,
    (WAIT_CALLBACK, "resume"): DEPLOYING,
    (DEPLOYING, "done"): ACTIVE,
    (DEPLOYING, "fail"): DEPLOY_FAILED,
    (WAIT_CALLBACK, "fail"): DEPLOY_FAILED,
    (DEPLOY_FAILED, "deploy"): DEPLOYING,  # rebuild
    (DEPLOY_FAILED, "delete"): DELETING,
    (ACTIVE, "delete"): DELETING,
    (DELETING, "done"): AVAILABLE,
}

#: States in which a node is still on its way somewhere (the run is not finished with it).
TERMINAL = frozenset({ACTIVE, DEPLOY_FAILED})


class InvalidTransition(RuntimeError):
    pass


class ProvisionState:
    """One node's provision state in one Ironic; every change is recorded as an event."""

    def __init__(self, world, node_name: str, initial: str = ENROLL, cause: str = ""):
        self.world, self.node = world, node_name
        self.state = initial
        world.record(StateChanged(node_name, initial, "", cause))

    def fire(self, event: str, cause: str = "") -> str:
        try:
            new = TRANSITIONS[(self.state, event)]
        except KeyError:
            raise InvalidTransition(f"{self.node}: no '{event}' from '{self.state}'") from None
        self.world.record(StateChanged(self.node, new, self.state, cause))
        self.state = new
        return new
