"""Enumeration: Session.rules() of N filters into Rule objects, every round on the same engine."""
from __future__ import annotations

import ipaddress

from conftest import rounds_for
from python_api import enumerate_rules


def test_enumerate_rules(benchmark, sessions, inputs, n_rules):
    session, _ = sessions.new()
    session.add_rules(inputs.rules(n_rules))

    benchmark.group = f"enumerate n={n_rules}"
    read_back = benchmark.pedantic(enumerate_rules, args=(session,),
                                   rounds=rounds_for(n_rules), iterations=1)

    assert len(read_back) == n_rules
    names = {rule.name for rule in read_back}
    assert names == {f"bench rule {i}" for i in range(n_rules)}
    addresses = {value for rule in read_back for c in rule.conditions
                 if isinstance(value := c.value, ipaddress.IPv4Address)}
    assert len(addresses) == n_rules
    benchmark.extra_info["rules_per_s"] = round(n_rules / benchmark.stats.stats.min)
