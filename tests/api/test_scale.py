"""Scale: 100,000 rules through add_rules and back through rules(), with time and peak memory."""

from __future__ import annotations

import ipaddress
import resource
import sys
import time

import wfp

from .helpers import V4, add_base

COUNT = 100_000


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def test_100k_rules_round_trip(static_session, engine, capsys):
    s = static_session
    provider, sublayer = add_base(s)
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    started = time.perf_counter()
    rules = [wfp.Rule(name=f"rule {i}", layer=V4, sublayer=sublayer, provider=provider,
                      action=wfp.Action.BLOCK if i % 3 else wfp.Action.PERMIT,
                      weight=wfp.WeightRange(i % 16) if i % 2 else i,
                      conditions=[wfp.Field.IP_REMOTE_ADDRESS == ipaddress.IPv4Address(base + i),
                                  wfp.Field.IP_REMOTE_PORT == 1 + i % 65535])
             for i in range(COUNT)]
    built = time.perf_counter()
    ids = s.add_rules(rules)
    added = time.perf_counter()
    back = s.rules(provider=provider)
    enumerated = time.perf_counter()

    assert len(ids) == len(set(ids)) == COUNT
    assert engine.stats()["filters"] >= COUNT
    by_key = {rule.key: rule for rule in back}
    assert len(by_key) == COUNT
    for rule, rule_id in zip(rules, ids):
        got = by_key[rule.key]
        assert got == rule
        assert got.id == rule_id

    with capsys.disabled():
        print(f"\n100k rules: build {built - started:.2f} s, add_rules {added - built:.2f} s, "
              f"rules() {enumerated - added:.2f} s, peak RSS {peak_rss_mib():.0f} MiB, "
              f"engine heap {engine.stats()['heap_bytes'] / 2**20:.0f} MiB")
