"""A simulated `twin run` pauses Python's cyclic collector from its imports to its written outputs
(twin/cli.py, twin/collector.py) and gives it back as it found it, also to a program that calls
`twin.cli.main` in-process, and also when the run fails."""
from __future__ import annotations

import gc
from pathlib import Path

import pytest

from twin.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_back_as_it_was_after_a_run(tmp_path, enabled):
    (gc.enable if enabled else gc.disable)()
    try:
        assert main(["run", str(REPO / "scenarios/helion-reference.yaml"), "--out", str(tmp_path / "o"), "--quiet"]) == 0
        assert gc.isenabled() is enabled
        assert main(["run", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "p"), "--quiet"]) != 0
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
