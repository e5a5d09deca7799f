"""Managers and quorum (pure rules) against StoreVirtual's documented counts and a strict majority."""
from twin.cloud.vsa.quorum import (
    default_manager_count,
    has_majority,
    plan_managers,
    quorum_side,
)


def test_default_manager_counts_follow_storevirtuals_rule():
    assert [default_manager_count(n) for n in range(1, 10)] == [1, 2, 3, 3, 5, 5, 5, 5, 5]


def test_two_nodes_get_a_virtual_manager_unless_a_fom_or_an_explicit_count():
    nodes = ["vsa0", "vsa1"]
    assert plan_managers(nodes).virtual and plan_managers(nodes).votes == 3
    assert not plan_managers(nodes, fom_host="seed").virtual
    assert plan_managers(nodes, fom_host="seed").votes == 3
    assert not plan_managers(nodes, count=2).virtual


def test_managers_are_the_first_nodes_in_cluster_order():
    nodes = [f"vsa{i}" for i in range(7)]
    assert plan_managers(nodes).managers == ("vsa0", "vsa1", "vsa2", "vsa3", "vsa4")
    assert plan_managers(nodes[:4]).managers == ("vsa0", "vsa1", "vsa2")
    assert plan_managers(nodes, count=3).managers == ("vsa0", "vsa1", "vsa2")


def test_strict_majority():
    assert [has_majority(r, 4) for r in range(5)] == [False, False, False, True, True]
    assert [has_majority(r, 3) for r in range(4)] == [False, False, True, True]


def test_a_partition_leaves_quorum_with_the_majority_side_only():
    voters = [("a", "a"), ("b", "b"), ("c", "c")]
    sides = {"a": 0, "b": 0, "c": 1}
    side, held = quorum_side(voters, lambda v: True, lambda x, y: sides[x] == sides[y])
    assert held and sorted(side) == ["a", "b"]
    sides = {"a": 0, "b": 1, "c": 2}
    side, held = quorum_side(voters, lambda v: True, lambda x, y: sides[x] == sides[y])
    assert not held and len(side) == 1
