"""Reading runs back: per-node steps from an event log, `twin compare`, `twin calibrate`."""
