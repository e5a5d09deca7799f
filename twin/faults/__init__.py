"""Faults: one vocabulary for both worlds (simulated hardware, and the live lab's BMCs).

    spec.py      the `Fault` model a scenario writes (kinds, targets, scheduled or stochastic)
    effects.py   what each kind does: start and end actions on a world's FaultTargets
    crews.py     repair crews: a shared FIFO pool (or independent repair)
    injector.py  applies scheduled and stochastic faults to a world's targets on its clock
    repair.py    the operator: repair, replace and power on, through the world's conductor
    validate.py  cross-checks against the inventory, as located FILE:LINE: field problems
"""
