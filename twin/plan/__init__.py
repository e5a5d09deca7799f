"""`twin plan capacity` (search.py, cli.py, batch.py, plot.py, leadtime.py): how many compute hosts
a demand needs, month by month, searched with replications of `run: capacity`
(twin/runs/capacity.py), and by when each month's `add_nodes` must start (leadtime.py, from the
simulated add of twin/runs/add_nodes.py)."""
