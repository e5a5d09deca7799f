"""What a valid scenario would cost, judged before anything is generated or simulated.

Rules: the schema bounds each figure on its own (twin/scenario/schema.py and the section models);
this module checks what depends on several sections at once and refuses, with the figure, a
scenario whose run would eat the machine:
- a `generate:` inventory larger than its limits profile allows (every profile: at most 100
  rows) is refused before a node is built; a million nodes took 39 s and 950 MB to build only
  for validation to say "at most 30";
(a capacity run's expected boot requests are bounded by the capacity kind: twin/cloud/capacity/
run.py `request_cost_problems`). It returns (location, message) pairs; the runner
(twin/runs/execute.py) turns them into located problems before the inventory is generated.
"""
from __future__ import annotations

_GENERATED_ROLES = ("undercloud", "control", "swift", "vsa", "vsa_ao", "so_swift_proxy", "so_swift_storage",
                    "compute")


def generated_size_problems(sc) -> list[tuple[tuple, str]]:
    """(location, message) when a `generate:` inventory is larger than its profile allows."""
    spec = sc.inventory.generate
    if spec is None:
        return []
    from twin.inventory import UnknownProfileError, get_profile

    try:
        profile = get_profile(sc.limits_profile)
    except UnknownProfileError:  # reported, located, where the inventory is resolved
        return []
    counts = {role: getattr(spec, role) for role in _GENERATED_ROLES}
    total = sum(counts.values())
    if total <= profile.max_rows:
        return []
    largest = max(counts, key=counts.get)
    return [(("inventory", "generate", largest),
             f"{total:,} nodes in all; an inventory holds at most {profile.max_rows} (profile {profile.name}): "
             "refused before generating them")]
