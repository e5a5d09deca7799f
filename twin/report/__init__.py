"""The run reports: self-contained HTML pages built from the event log and the run summary, one
per run kind (html.py: deployment, operations.py, capacity.py); derive.py and steps.py hold the
tables derived from the log. The run kinds (twin/runs/) pick their page."""
from twin.report.html import (
    gantt_figure,
    render_deploy_report,
    state_intervals,
    write_report,
)

__all__ = ["gantt_figure", "render_deploy_report", "state_intervals", "write_report"]
