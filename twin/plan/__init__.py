"""Capacity planning: `run: capacity` (run.py), its metrics (metrics.py), and
`twin plan capacity` (search.py, cli.py): how many compute hosts a demand needs."""
