"""Bulk insertion on the real engine, timed next to the embedded engine (numbers printed)."""
import time

import wfp

COUNT = 10_000


def make_rules(objects):
    return [wfp.Rule(name=f"bench {i}", layer=wfp.Layer.ALE_AUTH_CONNECT_V4,
                     action=wfp.Action.BLOCK if i % 2 else wfp.Action.PERMIT,
                     sublayer=objects.sublayer, provider=objects.provider,
                     conditions=[wfp.Field.IP_REMOTE_PORT == 1024 + i % 60000])
            for i in range(COUNT)]


def timed_add(session, rules):
    started = time.perf_counter()
    ids = session.add_rules(rules)
    return ids, time.perf_counter() - started


def test_bulk_add_10k_rules(real, sim, real_objects, sim_objects):
    real_ids, real_seconds = timed_add(real, make_rules(real_objects))
    sim_ids, sim_seconds = timed_add(sim, make_rules(sim_objects))
    print(f"\nbulk add of {COUNT} rules: BFE {real_seconds:.2f} s "
          f"({COUNT / real_seconds:,.0f}/s), embedded {sim_seconds:.3f} s "
          f"({COUNT / sim_seconds:,.0f}/s)")
    assert len(set(real_ids)) == COUNT and len(set(sim_ids)) == COUNT
    started = time.perf_counter()
    read_back = real.rules(provider=real_objects.provider)
    print(f"enumerating them back: {time.perf_counter() - started:.2f} s")
    assert len(read_back) == COUNT
    assert real_seconds < 300, "bulk add on BFE took over 5 minutes"
