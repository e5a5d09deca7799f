"""Network RAID layouts against independent truth: the issue's NR-10 example, and for every
mirrored level and cluster size a brute-force rule written differently (a volume with c copies
on consecutive nodes is unreadable exactly when c cyclically consecutive nodes are all down)."""
from itertools import combinations

import pytest

from twin.cloud.vsa.placement import LEVELS


def one_based(*nodes):
    return {n - 1 for n in nodes}


def test_nr10_on_four_nodes_survives_one_and_three_not_one_and_two_nor_four_and_one():
    nr10 = LEVELS["10"]
    assert nr10.readable(4, one_based(1, 3))
    assert nr10.readable(4, one_based(2, 4))
    assert not nr10.readable(4, one_based(1, 2))
    assert not nr10.readable(4, one_based(4, 1))
    assert all(nr10.readable(4, {k}) for k in range(4))


def run_of_down(n: int, copies: int, down: set[int]) -> bool:
    """Some `copies` cyclically consecutive nodes are all down (as a string search)."""
    ring = "".join("x" if i in down else "." for i in range(n)) * 2
    return "x" * copies in ring[: n + copies - 1] if copies <= n else len(down) == n


@pytest.mark.parametrize("name, copies", [("0", 1), ("10", 2), ("10+1", 3), ("10+2", 4)])
def test_mirrored_levels_match_the_consecutive_run_rule_for_every_loss_set(name, copies):
    level = LEVELS[name]
    for n in range(level.min_nodes, 9):
        for k in range(n + 1):
            for down in combinations(range(n), k):
                assert level.readable(n, set(down)) == (not run_of_down(n, copies, set(down))), (name, n, down)


@pytest.mark.parametrize("name, tolerance, widths", [("5", 1, (3, 5)), ("6", 2, (5, 7))])
def test_parity_levels_span_their_documented_widths_and_survive_their_tolerance(name, tolerance, widths):
    level = LEVELS[name]
    low, high = widths
    assert level.min_nodes == low
    for n in range(low, 12):
        w = min(n, high)
        assert level.width(n) == w
        assert {len(g) for g in level.groups(n)} == {w}
        # any `tolerance` losses are survived; tolerance + 1 losses inside one stripe group are not
        assert all(level.readable(n, set(d)) for d in combinations(range(n), tolerance))
        assert not level.readable(n, set(range(tolerance + 1)))
        assert level.capacity_factor(n) == pytest.approx(w / (w - tolerance))


def test_every_node_holds_the_same_share_and_the_shares_add_up_to_the_space_used():
    for level in LEVELS.values():
        for n in range(level.min_nodes, 10):
            counts = [sum(i in g for g in level.groups(n)) for i in range(n)]
            assert len(set(counts)) == 1  # the rotation spreads data evenly
            assert level.node_share(n) * n == pytest.approx(level.capacity_factor(n))


def test_minimum_node_counts():
    assert {k: v.min_nodes for k, v in LEVELS.items()} == {"0": 1, "10": 2, "10+1": 3, "10+2": 4, "5": 3, "6": 5}
