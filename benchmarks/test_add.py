"""Bulk add: Session.add_rules of N prebuilt rules into a fresh engine, one call per round."""
from __future__ import annotations

from conftest import rounds_for


def test_add_rules(benchmark, sessions, inputs, n_rules):
    rules = inputs.rules(n_rules)
    current = {}

    def setup():
        current["session"], current["engine"] = sessions.new()
        return (rules,), {}

    def add(batch):
        return current["session"].add_rules(batch)

    benchmark.group = f"add n={n_rules}"
    ids = benchmark.pedantic(add, setup=setup, rounds=rounds_for(n_rules), iterations=1)

    assert len(ids) == n_rules
    assert len(set(ids)) == n_rules
    benchmark.extra_info["rules_per_s"] = round(n_rules / benchmark.stats.stats.min)
    engine = current["engine"]
    if engine is not None:
        stats = engine.stats()
        assert stats["filters"] == n_rules
        benchmark.extra_info["engine_heap_bytes"] = stats["heap_bytes"]
