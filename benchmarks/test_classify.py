"""Classify: decisions per second against 100, 10k and 100k filters (flat if fields are indexed)."""
from __future__ import annotations

import random

import pytest

import _rules

LOOKUPS_PER_ROUND = 2_000


def _classify_available() -> bool:
    return hasattr(_rules.import_wfp().Session, "classify")


pytestmark = pytest.mark.skipif(not _classify_available(),
                                reason="Session.classify has not landed yet (issue 4)")


def test_classify(benchmark, sessions, inputs, n_filters):
    wfp = _rules.import_wfp()

    session, _ = sessions.new()
    specs = inputs.specs(n_filters)
    session.add_rules(inputs.rules(n_filters))
    picker = random.Random(n_filters)
    chosen = [specs[picker.randrange(n_filters)] for _ in range(LOOKUPS_PER_ROUND)]
    layer = wfp.Layer.ALE_AUTH_CONNECT_V4
    lookups = [{wfp.Field.IP_REMOTE_ADDRESS: spec.remote_address,
                wfp.Field.IP_REMOTE_PORT: spec.remote_port,
                wfp.Field.IP_PROTOCOL: spec.protocol} for spec in chosen]

    def classify_all():
        return [session.classify(layer, values) for values in lookups]

    benchmark.group = f"classify filters={n_filters}"
    decisions = benchmark.pedantic(classify_all, rounds=1 if _rules.quick_mode() else 5, iterations=1)

    for spec, decision in zip(chosen, decisions):
        assert decision.action == (wfp.Action.PERMIT if spec.permit else wfp.Action.BLOCK)
        assert decision.rule is not None and decision.rule.name == spec.name
    benchmark.extra_info["decisions_per_s"] = round(LOOKUPS_PER_ROUND / benchmark.stats.stats.min)
