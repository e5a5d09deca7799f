"""Faults: one vocabulary for both worlds (simulated hardware: twin/sim/ops.py; live hardware:
power faults through the BMCs, real_backends/ops.py).

    spec.py      the `Fault` model a scenario writes (kinds, targets, scheduled or stochastic)
    effects.py   what each kind does: start and end actions on a world's FaultTargets
    crews.py     repair crews: a shared FIFO pool (or independent repair)
    injector.py  applies scheduled and stochastic faults to a world's targets on its clock
    repair.py    the operator: power-on, reboot, redeploy through the node's one conductor
    validate.py  cross-checks against the inventory, and what a live run can apply, as located
                 FILE:LINE: field problems

The scenario schema includes spec.py, which needs the scenario's distributions: this __init__
imports twin.scenario first, so that either package can be imported first.
"""
import twin.scenario  # noqa: F401,E402  (import order: see above)
