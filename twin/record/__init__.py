"""Typed events, the recorder that turns them into a pandas DataFrame, and the run summary."""
