"""The run report: a self-contained HTML page built from the event log and the run summary."""
from twin.report.html import gantt_figure, render_report, state_intervals, write_report

__all__ = ["gantt_figure", "render_report", "state_intervals", "write_report"]
