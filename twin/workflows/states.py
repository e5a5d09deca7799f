"""Ironic provision states per Ironic release, as tables of the state-machine engine
(twin/kernel/statemachine.py), and a per-node machine that records every change (StateChanged).

Releases (scenario key `ironic_release`):
- `juno` (the default: Helion 1.x ships OpenStack Juno, Ironic 2014.2). Its states are those of
  ironic/common/states.py at tag 2014.2: NOSTATE (None; "None" in the API client), deploying,
  wait call-back, active, deploy failed, deleting, error (and, as targets only, deploy complete,
  deleted, rebuild). node-create leaves a node in NOSTATE, where it can be deployed: there is
  no enroll/manageable/available cycle and no verifying state. The transitions are the
  conductor's (ironic/conductor/manager.py do_node_deploy, do_node_tear_down and
  _check_deploy_timeouts; drivers/modules/pxe.py and iscsi_deploy.py for the callback):
  NOSTATE -deploy-> deploying, the PXE driver returns wait call-back, the ramdisk's callback
  moves it back to deploying (disk partitioning and image copy), then active; a failure or a
  callback timeout gives deploy failed; rebuild (from active, deploy failed, error) goes to
  deploying; tear-down (from active, deploy failed, error, wait call-back) goes to deleting,
  then NOSTATE, or error if it fails. A node whose BMC does not answer the conductor is put in
  maintenance (power-state sync) and keeps its provision state.
- `kilo` (Kilo and later, Ironic 2015.1): enroll -manage-> verifying -> manageable -provide->
  available -deploy-> ... A node that fails verification goes back to enroll. This was the
  twin's table before Juno became the default; kept without cleaning (our Kilo has none).

Rules: a transition not in a release's table is a bug in the workflow and raises
InvalidTransition; names are Ironic's own spelling (twin/record/provision.py); every state a
node is in was entered through its machine, so the log holds every change and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from twin.kernel.statemachine import InvalidTransition, Machine, Table
from twin.record.events import StateChanged
from twin.record.provision import (ACTIVE, AVAILABLE, DELETING, DEPLOY_FAILED, DEPLOYING, ENROLL, ERROR,
                                   MANAGEABLE, NOSTATE, VERIFYING, WAIT_CALLBACK)

__all__ = ["ACTIVE", "AVAILABLE", "DELETING", "DEPLOY_FAILED", "DEPLOYING", "ENROLL", "ERROR", "InvalidTransition",
           "IronicRelease", "JUNO", "KILO", "MANAGEABLE", "NOSTATE", "ProvisionState", "RELEASES", "VERIFYING",
           "WAIT_CALLBACK", "release"]

JUNO_TABLE = Table("ironic-juno", {
    (NOSTATE, "deploy"): DEPLOYING,
    (DEPLOYING, "wait"): WAIT_CALLBACK,  # the PXE driver waits for the deploy ramdisk
    (WAIT_CALLBACK, "resume"): DEPLOYING,  # the callback: partition and copy the image
    (DEPLOYING, "done"): ACTIVE,
    (DEPLOYING, "fail"): DEPLOY_FAILED,
    (WAIT_CALLBACK, "fail"): DEPLOY_FAILED,  # callback timeout (cleanup_after_timeout)
    (ACTIVE, "rebuild"): DEPLOYING,
    (DEPLOY_FAILED, "rebuild"): DEPLOYING,
    (ERROR, "rebuild"): DEPLOYING,
    (ACTIVE, "delete"): DELETING,
    (DEPLOY_FAILED, "delete"): DELETING,
    (ERROR, "delete"): DELETING,
    (WAIT_CALLBACK, "delete"): DELETING,
    (DELETING, "done"): NOSTATE,
    (DELETING, "fail"): ERROR,
}, states=(NOSTATE, DEPLOYING, WAIT_CALLBACK, ACTIVE, DEPLOY_FAILED, DELETING, ERROR),
    stable=(NOSTATE, ACTIVE, DEPLOY_FAILED, ERROR), terminal=(ACTIVE, DEPLOY_FAILED))

KILO_TABLE = Table("ironic-kilo", {
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
}, states=(ENROLL, VERIFYING, MANAGEABLE, AVAILABLE, DEPLOYING, WAIT_CALLBACK, ACTIVE, DEPLOY_FAILED, DELETING),
    stable=(ENROLL, MANAGEABLE, AVAILABLE, ACTIVE, DEPLOY_FAILED), terminal=(ACTIVE, DEPLOY_FAILED))


@dataclass(frozen=True)
class IronicRelease:
    """What a workflow needs to know of one release: its table and how registration moves a node.

    enrolled: the state node-create leaves a node in; verify / verified: the events fired when
    the conductor starts checking the BMC and when that check passed; verify_failed: the event
    when it failed (None: the node keeps its state, in maintenance); ready: where `deploy` starts.
    """

    name: str
    table: Table
    enrolled: str
    verify: tuple[str, ...]
    verified: tuple[str, ...]
    verify_failed: str | None
    ready: str


JUNO = IronicRelease("juno", JUNO_TABLE, NOSTATE, (), (), None, NOSTATE)
KILO = IronicRelease("kilo", KILO_TABLE, ENROLL, ("manage",), ("done", "provide"), "fail", AVAILABLE)
RELEASES = {r.name: r for r in (JUNO, KILO)}


def release(name: str) -> IronicRelease:
    """The release a scenario names (`ironic_release`, validated by the scenario schema)."""
    return RELEASES[name]


class ProvisionState:
    """One node's provision state in one Ironic; every change is recorded as a StateChanged.
    `initial`: where the node starts (default: where node-create leaves it in `release`)."""

    __slots__ = ("node", "release", "fire", "_states")

    def __init__(self, world, node_name: str, initial: str | None = None, cause: str = "", *,
                 release: IronicRelease = JUNO):
        self.node, self.release = node_name, release
        machine = Machine(release.table, world.record, StateChanged)
        machine.enter(node_name, release.enrolled if initial is None else initial, cause)
        self._states = machine.state
        #: fire(event, cause="") -> the new state: the machine's transition for this node
        self.fire = partial(machine.fire, node_name)

    @property
    def state(self) -> str:
        return self._states[self.node]
