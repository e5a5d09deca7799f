"""What a valid scenario would cost, judged before anything is generated or simulated.

Rules: the schema bounds each figure on its own (twin/scenario/schema.py and the section models);
this module checks what depends on several sections at once and refuses, with the figure, a
scenario whose run would eat the machine:
- a `generate:` inventory larger than its limits profile allows (every profile: at most 100
  rows) is refused before a node is built; a million nodes took 39 s and 950 MB to build only
  for validation to say "at most 30";
- a capacity run whose tenants are expected to make more than MAX_REQUESTS boot requests (the
  rate integrated over warmup_s + duration_s with its growth, plus a steady start's VMs).
`cost_problems` returns (location, message) pairs; the loader turns them into located problems.
"""
from __future__ import annotations

#: Boot requests of one capacity run. Measured on this project's reference workload: about
#: 100,000 requests per CPU second and 100 bytes each, so 10 million is ~2 minutes and ~1 GB.
MAX_REQUESTS = 10_000_000

_GENERATED_ROLES = ("undercloud", "control", "swift", "vsa", "vsa_ao", "so_swift_proxy", "so_swift_storage",
                    "compute")


def cost_problems(sc) -> list[tuple[tuple, str]]:
    """(location, message) for every bound `sc` breaks that no single field shows."""
    return _generated_size(sc) + _capacity_requests(sc)


def _generated_size(sc) -> list[tuple[tuple, str]]:
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


def _capacity_requests(sc) -> list[tuple[tuple, str]]:
    if sc.run != "capacity" or not sc.workload.tenants:
        return []
    cap = sc.capacity
    expected = sc.workload.expected_requests(cap.warmup_s, cap.duration_s)
    if expected <= MAX_REQUESTS:
        return []
    busiest = max(range(len(sc.workload.tenants)), key=lambda i: sc.workload.tenants[i].expected_requests(
        sc.workload.start_month, sc.workload.month_s, cap.warmup_s, cap.warmup_s + cap.duration_s,
        sc.workload.start == "steady"))
    figure = f"{expected:.3g}" if expected < 1e300 else "more than 1e300"
    return [(("workload", "tenants", busiest, "rate_per_hour"),
             f"this run is about {figure} boot requests over warmup_s + duration_s "
             f"({cap.warmup_s + cap.duration_s:g} s); at most {MAX_REQUESTS:,} (about 2 minutes and 1 GB): "
             "lower the rates or growth, or shorten the run")]
