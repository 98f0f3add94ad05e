"""Classify: decisions per second against 100, 10k and 100k filters (flat if fields are indexed)."""
from __future__ import annotations

import pytest

import _rules
from python_api import classify_lookups

LOOKUPS_PER_ROUND = 2_000


def _classify_available() -> bool:
    return hasattr(_rules.import_wfp().Session, "classify")


pytestmark = pytest.mark.skipif(not _classify_available(),
                                reason="Session.classify has not landed yet (issue 4)")


def test_classify(benchmark, sessions, inputs, n_filters):
    wfp = _rules.import_wfp()

    session, _ = sessions.new()
    session.add_rules(inputs.rules(n_filters))
    queries = classify_lookups(inputs.specs(n_filters), LOOKUPS_PER_ROUND, seed=n_filters)
    layer = wfp.Layer.ALE_AUTH_CONNECT_V4

    def classify_all():
        return [session.classify(layer, values) for _, values in queries]

    benchmark.group = f"classify filters={n_filters}"
    decisions = benchmark.pedantic(classify_all, rounds=1 if _rules.quick_mode() else 5, iterations=1)

    for (spec, _), decision in zip(queries, decisions):
        assert decision.action == (wfp.Action.PERMIT if spec.permit else wfp.Action.BLOCK)
        assert decision.rule is not None and decision.rule.name == spec.name
    benchmark.extra_info["decisions_per_s"] = round(LOOKUPS_PER_ROUND / benchmark.stats.stats.min)
