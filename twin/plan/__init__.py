"""`twin plan capacity` (search.py, cli.py, batch.py, plot.py): how many compute hosts a demand
needs, month by month, searched with replications of `run: capacity` (twin/runs/capacity.py)."""
