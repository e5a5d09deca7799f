"""Fixtures of the Swift tests (helpers: swift_helpers.py)."""
from __future__ import annotations

import pytest

from swift_helpers import RINGS, make_ring


@pytest.fixture(params=RINGS, ids=[r[0] for r in RINGS])
def ring_case(request):
    _name, part_power, replicas, layout = request.param
    return make_ring(part_power, replicas, layout)
