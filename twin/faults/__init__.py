"""Faults: one vocabulary for both worlds (simulated hardware now, the live lab's BMCs later).

    spec.py      the `Fault` model a scenario writes (kinds, targets, scheduled or stochastic)
    effects.py   what each kind does: start and end actions on a world's FaultTargets
    crews.py     repair crews: a shared FIFO pool (or independent repair)
    injector.py  applies scheduled and stochastic faults to a world's targets on its clock
    validate.py  cross-checks against the inventory, as located FILE:LINE: field problems

The scenario schema includes spec.py, which needs the scenario's distributions: this __init__
imports twin.scenario first, so that either package can be imported first.
"""
import twin.scenario  # noqa: F401,E402  (import order: see above)
