"""Swift object storage on swift's own ring code (docs/storage.md, "Object storage (Swift)").

Modules: `rings` loads and saves `.builder` / `.ring.gz` files (swift's formats, written
atomically); `verbs` are the Ringos-style operations on a builder; `analyze` computes what a
failure or a rebalance does to a ring from the builder's replica-to-partition table; `config` is the
scenario's `swift:` section and `build` makes Helion's account/container/object rings from it;
`cli` adds `twin ring`; `proxy` has the proxy's read/write paths (placement, quorum, handoffs);
`model` (devices, data, the proxy's shares, the operator's removals) and `replicator` (passes as
flows on the management network) run Swift in operations runs, `metrics` reads their events;
`durability` is a Monte Carlo of disk failures, run as `run: durability` (twin/runs/durability.py).

Rules: partition placement, balance, dispersion, min_part_hours and rebalance are always
`swift.common.ring.RingBuilder`'s, never re-implemented here. Importing this package does not import
swift (it pulls in eventlet, about half a second); the modules that need it import it themselves.
"""
