"""Monte Carlo replications and parameter sweeps of a scenario (`twin sweep`).

Public API:
    run_sweep(scenario_path, replications, axes=None, workers=1, scheduler=None, out_dir=None,
              resume=False, seed=None, progress=False, *, confidence=0.95, on_row=None) -> SweepResult
    SweepResult(table: DataFrame, summary: dict, out_dir, ran, reused, warnings)
    t_interval(values, confidence=0.95) -> (low, high)       Student-t interval of the mean
    wilson_interval(successes, n, confidence=0.95) -> (low, high)   Wilson score interval
    t_quantile(p, df), parse_sets(["key=v1,v2", ...]) -> axes, replication_seeds(base, n)
    SweepError (exit 1), SweepUsageError (exit 2), SweepInterrupted (a KeyboardInterrupt)
See docs/sweep.md.
"""
from twin.sweep.core import SweepInterrupted, SweepResult, format_summary, run_sweep
from twin.sweep.spec import SweepError, SweepUsageError, parse_sets, replication_seeds
from twin.sweep.stats import t_interval, t_quantile, wilson_interval

__all__ = ["SweepError", "SweepInterrupted", "SweepResult", "SweepUsageError", "format_summary", "parse_sets",
           "replication_seeds", "run_sweep", "t_interval", "t_quantile", "wilson_interval"]
