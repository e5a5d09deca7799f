"""The StoreVirtual limits as located problems, and the default cluster."""
import pytest
from pydantic import ValidationError

from twin.cloud.vsa.config import Storage, Vsa, plan_clusters, vsa_problems
from twin.inventory import generate_from_spec


def inventory(vsa=3, vsa_ao=0, compute=1, disk_gib=2048):
    spec = {"undercloud": 1, "control": 3, "swift": 0, "compute": compute, "vsa": vsa, "hardware": {"disk_gib": disk_gib}}
    if vsa_ao:
        spec["vsaao"] = vsa_ao
    return generate_from_spec(spec).active


def problems(section, nodes=None):
    config = Storage.model_validate({"vsa": section}).vsa if section is not None else None
    return vsa_problems(config, nodes if nodes is not None else inventory())


def test_no_section_is_one_cluster_of_every_vsa_node_at_nr10():
    nodes = inventory(vsa=4)
    (plan,) = plan_clusters(None, nodes)
    assert plan.nodes == ("vsa0", "vsa1", "vsa2", "vsa3") and plan.level == "10"
    assert plan.managers.managers == ("vsa0", "vsa1", "vsa2") and not plan.managers.virtual
    assert vsa_problems(None, nodes) == []
    assert plan_clusters(None, inventory(vsa=0)) == []  # no VSA nodes: no cluster


def test_the_default_cluster_includes_adaptive_optimization_nodes():
    names = [n.name for n in inventory(vsa=2, vsa_ao=1) if n.role.value.startswith("OvercloudVSA")]
    (plan,) = plan_clusters(None, inventory(vsa=2, vsa_ao=1))
    assert list(plan.nodes) == names and len(names) == 3


def test_unknown_keys_are_errors():
    with pytest.raises(ValidationError):
        Storage.model_validate({"vsa": {"clusters": [{"name": "a", "raid": "10"}]}})
    with pytest.raises(ValidationError):
        Storage.model_validate({"vsa": {"clusters": [{"name": "a", "network_raid": "7"}]}})


def test_fewer_than_three_nodes_is_a_warning_and_a_level_too_big_is_an_error():
    found = problems({"clusters": [{"name": "a", "nodes": ["vsa0", "vsa1"], "network_raid": "10+1"}]})
    warning = "cluster 'a' has 2 node(s); Helion recommends at least 3 (manager quorum)"
    assert (("storage", "vsa", "clusters", 0, "nodes"), warning, "warning") in found
    assert (("storage", "vsa", "clusters", 0, "network_raid"),
            "Network RAID-10+1 needs at least 3 nodes; cluster 'a' has 2", "error") in found


def test_a_volume_level_too_big_is_located_at_the_volume():
    found = problems({"clusters": [{"name": "a", "volumes": [{"count": 1}, {"count": 2, "network_raid": "6"}]}]})
    assert [(loc, sev) for loc, _, sev in found] == [(("storage", "vsa", "clusters", 0, "volumes", 1, "network_raid"),
                                                      "error")]


def test_node_references_are_checked():
    found = problems({"clusters": [{"name": "a", "nodes": ["vsa0", "nope", "compute0"]},
                                   {"name": "b", "nodes": ["vsa0"]}]})
    messages = {(loc, msg) for loc, msg, _ in found}
    assert (("storage", "vsa", "clusters", 0, "nodes", 1), "nope: no such node in the inventory") in messages
    assert any(loc == ("storage", "vsa", "clusters", 0, "nodes", 2) and "not a VSA role" in msg for loc, msg in messages)
    assert (("storage", "vsa", "clusters", 1, "nodes", 0), "vsa0: already in cluster 'a'") in messages


def test_cluster_and_group_size_limits():
    nodes = inventory(vsa=34)
    names = [f"vsa{i}" for i in range(34)]
    found = problems({"clusters": [{"name": "a", "nodes": names[:17]}]}, nodes)
    assert (("storage", "vsa", "clusters", 0, "nodes"), "cluster 'a' has 17 nodes; a cluster holds at most 16",
            "error") in found
    groups = {"clusters": [{"name": f"c{k}", "nodes": names[11 * k: 11 * k + 11], "management_group": "g"}
                           for k in range(3)]}
    found = problems(groups, nodes)
    assert [(loc, msg) for loc, msg, sev in found if sev == "error"] == [
        (("storage", "vsa", "clusters", 0, "management_group"),
         "management group 'g' has 33 nodes; a group holds at most 32")]


def test_volume_count_per_group_and_space():
    found = problems({"clusters": [{"name": "a", "volumes": {"count": 1501, "size_gib": 1}}]})
    assert [msg for _, msg, _ in found] == ["management group 'a' has 1501 volumes; a group holds about 1500 at most"]
    # 3 x 2 TiB raw; 3 full NR-10 volumes of 1.5 TiB need 9 TiB
    found = problems({"clusters": [{"name": "a", "volumes": {"count": 3, "size_gib": 1536, "provisioning": "full"}}]})
    message = "the volumes need 9,216 GiB of raw space; cluster 'a' has 6,144 GiB (3 x the smallest node, licence included)"
    assert [msg for _, msg, _ in found] == [message]


def test_the_licence_caps_a_nodes_space_with_a_warning():
    nodes = inventory(disk_gib=60 * 1000 ** 4 // 1024 ** 3)  # 60 TB disks
    found = vsa_problems(Vsa(), nodes)
    assert {sev for _, _, sev in found} == {"warning"} and len(found) == 3
    (plan,) = plan_clusters(Vsa(), nodes)
    assert plan.node_bytes == (50e12,) * 3


def test_fom_host_must_exist_and_not_hold_data():
    assert problems({"clusters": [{"name": "a", "fom": True}]}) == []
    found = problems({"clusters": [{"name": "a", "fom": True, "fom_host": "vsa1"}]})
    assert [loc[-1] for loc, _, _ in found] == ["fom_host"]
    found = problems({"clusters": [{"name": "a", "fom": True, "fom_host": "elsewhere"}]})
    assert [loc[-1] for loc, _, _ in found] == ["fom_host"]


def test_shared_management_group_chooses_managers_over_all_its_nodes():
    nodes = inventory(vsa=4)
    config = Vsa.model_validate({"clusters": [{"name": "a", "nodes": ["vsa0", "vsa1"], "management_group": "g"},
                                              {"name": "b", "nodes": ["vsa2", "vsa3"], "management_group": "g"}]})
    plans = plan_clusters(config, nodes)
    assert [p.group for p in plans] == ["g", "g"]
    assert plans[0].managers.managers == ("vsa0", "vsa1", "vsa2") and plans[0].managers is plans[1].managers
