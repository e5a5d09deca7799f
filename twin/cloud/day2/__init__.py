"""Day-2 operations (twin/cloud/day2): the operator's actions on a timeline inside an
operations run, and the monitoring that tells the operator about failures.

    config.py      the `actions:` scenario section (schedule, monitoring, figures)
    procedures.py  each procedure's steps as a table, in Helion's documented order
    runner.py      Day2: triggers and steps on the World clock, effects through targets/BMC/Ironic
    monitoring.py  Monitor: check_mk + Icinga; noticed_at(node, since)
    metrics.py     day-2 metrics and removed rows, from the event log
"""
