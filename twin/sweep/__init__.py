"""Monte Carlo replications and parameter sweeps of a scenario (`twin sweep`).

Public API:
    run_sweep(scenario_path, replications, axes=None, workers=1, scheduler=None, out_dir=None,
              resume=False, seed=None, progress=False, *, confidence=0.95, on_row=None, on_start=None,
              max_runs=MAX_RUNS) -> SweepResult
    SweepResult(table: DataFrame, summary: dict, out_dir, ran, reused, warnings)
    t_interval(values, confidence=0.95) -> (low, high)       Student-t interval of the mean
    wilson_interval(successes, n, confidence=0.95) -> (low, high)   Wilson score interval
    metric_kind(name) -> "proportion" | "fraction" | "duration" | "count" | "real"   (its interval)
    t_quantile(p, df), parse_sets(["key=v1,v2", ...]) -> axes, replication_seeds(base, n)
    SweepError (exit 1), SweepUsageError (exit 2), SweepInterrupted (a KeyboardInterrupt)
Names are imported on first use, so `twin` (which registers `twin sweep`) starts without pandas.
See docs/sweep.md.
"""
from importlib import import_module

_HOMES = {
    "SweepInterrupted": "core", "SweepResult": "core", "format_summary": "core", "run_sweep": "core",
    "SweepError": "spec", "SweepUsageError": "spec", "parse_sets": "spec", "replication_seeds": "spec",
    "metric_kind": "stats", "t_interval": "stats", "t_quantile": "stats", "wilson_interval": "stats",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'twin.sweep' has no attribute {name!r}")
    value = getattr(import_module(f"twin.sweep.{home}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *__all__])
