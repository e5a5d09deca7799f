"""Deferred settling, shared by the service models that react to a world's changes.

Rules: a model that is told of a change (`on_change(cause)`) remembers the cause and settles once,
at the end of the current instant (a zero timeout), however many changes arrive in it; its
`_settle` clears `_settle_pending` first and then recomputes its state. `start` settles the state
as it is now and then follows the model's liveness; `after` runs one of the model's own later
steps (an operator's removal, a restore) and settles after it.
"""
from __future__ import annotations


class DeferredSettle:
    """Mixin: needs `self.world` and `self.liveness`; the class defines `_settle(self, _event=None)`."""

    _settle_pending = False
    cause = "start"
    started = False

    def start(self) -> None:
        """The model as the world is now, then reacting to its changes."""
        self.liveness.watch(self.on_change)
        self._settle()
        self.started = True

    def after(self, delay_s: float, fn) -> None:
        """Call fn() `delay_s` from now, then settle."""
        def fire(_event):
            fn()
            self.request_settle()
        self.world.timeout(max(0.0, delay_s)).callbacks.append(fire)

    def on_change(self, cause: str) -> None:
        self.cause = cause
        self.request_settle()

    def request_settle(self) -> None:
        if not self._settle_pending:
            self._settle_pending = True
            self.world.timeout(0).callbacks.append(self._settle)
