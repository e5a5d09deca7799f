"""Nova's filter scheduler (Juno): filter the hosts, weigh the survivors, pick among the best.

Rules:
- `select_nova` is Juno's algorithm written out: drop the request's ignore_hosts; run each filter
  over the hosts left, in order (a filter that does not apply to the request passes all); if a
  filter leaves none, the request gets No valid host naming that filter; weigh the rest
  (weighers.py), order by weight, best first (stable), and pick at random among the first
  `host_subset_size` (Juno default 1: the best).
- `select` gives the same answer faster when there is at most one weigher. It keeps the hosts
  that pass every `host_only` filter (their answer does not depend on the request: a host they
  refuse is refused for any request) in weight order, best first, ties in host order; it then
  runs the request's other applicable filters host by host down that order until
  `host_subset_size` hosts pass. With one weigher, normalising does not change the order, so
  these are exactly Juno's best `host_subset_size`. Every host it returns has passed every
  applicable filter; hosts further down are simply not needed. With more than one weigher
  (normalisation then depends on which hosts passed) `select` runs `select_nova`. A refused
  request runs `select_nova` to name the filter that left no host.
- A host passes when every applicable filter passes it, so `select` may ask them in any order:
  it asks the filter that refused last first (fewer calls on a full cloud). The configured order
  still decides which filter a refusal names.
- The owner of the hosts calls `changed(host)` after changing a host's figures (resources, up,
  enabled), so the order is kept; `select` reads it as is. A request with nothing but a flavor
  (`spec.plain`) that was refused is refused again, for the same reason, until some host changes:
  its filters read nothing else. A random choice among several hosts draws from `rng`.
"""
from __future__ import annotations

from bisect import bisect_left, insort

from twin.cloud.nova.weighers import normalize


class Scheduler:
    def __init__(self, hosts: list, filters: list, weighers: list, host_subset_size: int = 1, rng=None):
        if host_subset_size < 1:
            raise ValueError("host_subset_size must be at least 1")
        self.hosts = hosts
        self.filters = list(filters)
        self.weighers = list(weighers)
        self.subset = host_subset_size
        self.rng = rng
        self.last_reason = ""
        self.version = 0  # counts changes of any host's figures (changed())
        self._refused: dict = {}  # plain spec -> (version, reason) of its last refusal
        self.fast = len(self.weighers) <= 1
        probe = _PlainProbe()
        self._host_only = [f.host_passes for f in self.filters if f.host_only and f.applies(probe)]
        # the other filters that can refuse a host for a request that asks for nothing but a flavor
        self._plain_checks = [f.host_passes for f in self.filters if not f.host_only and f.applies(probe)]
        if self.fast:
            w = self.weighers[0] if self.weighers else None
            self._weigh = w.weigh if w is not None else None
            self._sign = 0.0 if w is None or w.multiplier == 0 else (-1.0 if w.multiplier > 0 else 1.0)
            self._keys = [None] * len(hosts)  # a host's key while it is in the order, else None
            entries = []
            for h in hosts:
                if self._open(h):
                    self._keys[h.index] = k = self._key(h)
                    entries.append((k, h.index, h))
            # (key, host number, host): best first, ties by host number (the host is never compared)
            self._order = sorted(entries)

    # --- the candidate order -----------------------------------------------------------------
    def _key(self, host) -> float:
        return 0.0 if not self._sign else self._sign * self._weigh(host)

    def _open(self, host) -> bool:
        for check in self._host_only:
            if not check(host, None):
                return False
        return True

    def changed(self, host) -> None:
        """Host `host`'s figures changed: put it where it now belongs (or out of the order)."""
        self.version += 1
        if not self.fast:
            return
        i = host.index
        old = self._keys[i]
        for check in self._host_only:
            if not check(host, None):
                if old is not None:
                    del self._order[bisect_left(self._order, (old, i))]
                    self._keys[i] = None
                return
        new = 0.0 if not self._sign else self._sign * self._weigh(host)
        if new == old:
            return
        order = self._order
        if old is not None:
            del order[bisect_left(order, (old, i))]
        insort(order, (new, i, host))
        self._keys[i] = new

    def order(self) -> list:
        """The candidate hosts in weight order (fast path only; for tests and reports)."""
        return [h for _, _, h in self._order]

    # --- selection ---------------------------------------------------------------------------
    def select(self, spec):
        """The chosen host, or None (then `last_reason` says why)."""
        if not self.fast:
            host, self.last_reason = self.select_nova(spec)
            return host
        if spec.plain:
            checks = self._plain_checks
            refused = self._refused.get(spec)
            if refused is not None and refused[0] == self.version:  # nothing changed since: refused again
                self.last_reason = refused[1]
                return None
        else:
            checks = [f.host_passes for f in self.filters if not f.host_only and f.applies(spec)]
        ignore = spec.ignore_hosts
        if self.subset == 1:
            for _, _, h in self._order:
                if ignore and h.name in ignore:
                    continue
                for check in checks:
                    if not check(h, spec):
                        if check is not checks[0]:  # most recent refuser first
                            checks.remove(check)
                            checks.insert(0, check)
                        break
                else:
                    return h
        else:
            top = []
            for _, _, h in self._order:
                if ignore and h.name in ignore:
                    continue
                for check in checks:
                    if not check(h, spec):
                        break
                else:
                    top.append(h)
                    if len(top) == self.subset:
                        break
            if top:
                return top[self._choose(len(top))]
        _, self.last_reason = self.select_nova(spec, choose=False)
        if spec.plain and not spec.ignore_hosts:  # a move's one-off spec is not worth keeping
            self._refused[spec] = (self.version, self.last_reason)
        return None

    def _choose(self, n: int) -> int:
        if n == 1:
            return 0
        return int(self.rng.integers(n))

    def select_nova(self, spec, choose: bool = True):
        """Juno's algorithm over every host: (host or None, reason)."""
        hosts = [h for h in self.hosts if h.name not in spec.ignore_hosts]
        if not hosts:
            return None, "No valid host was found: there are no compute hosts to try"
        for f in self.filters:
            if not f.applies(spec):
                continue
            hosts = [h for h in hosts if f.host_passes(h, spec)]
            if not hosts:
                return None, f"No valid host was found: {f.name} returned 0 hosts"
        total = [0.0] * len(hosts)
        for w in self.weighers:
            for j, x in enumerate(normalize([w.weigh(h) for h in hosts])):
                total[j] += w.multiplier * x
        ranked = sorted(range(len(hosts)), key=lambda j: total[j], reverse=True)
        top = [hosts[j] for j in ranked[:self.subset]]
        if not choose:
            return top[0], ""
        return top[self._choose(len(top))], ""


class _PlainProbe:
    """A request with nothing but a flavor, to ask each filter whether it applies to such."""

    retry_hosts = frozenset()
    ignore_hosts = frozenset()
    availability_zone = None
    group = None
    image_properties: dict = {}
    plain = True

    class flavor:  # noqa: N801 (a stand-in object)
        extra_specs = ()
