"""Deferred settling, shared by the service models that react to a world's changes.

Rule: a model that is told of a change (`on_change(cause)`) remembers the cause and settles once,
at the end of the current instant (a zero timeout), however many changes arrive in it; its
`_settle` clears `_settle_pending` first and then recomputes its state.
"""
from __future__ import annotations


class DeferredSettle:
    """Mixin: needs `self.world`; the class defines `_settle(self, _event=None)`."""

    _settle_pending = False
    cause = "start"

    def on_change(self, cause: str) -> None:
        self.cause = cause
        self.request_settle()

    def request_settle(self) -> None:
        if not self._settle_pending:
            self._settle_pending = True
            self.world.timeout(0).callbacks.append(self._settle)
