"""Policy files at scale: parse, plan and apply of an N-rule policy on the embedded engine.

One round = a fresh engine, then (timed by pytest-benchmark) the whole first apply from the
file: ``wfp.policy.load`` (parse), ``Policy.plan`` (the preview ``wfp apply`` shows) and
``Policy.apply`` given that plan (one transaction; it checks the provider's digest and carries
the plan out), as ``wfp apply`` does.  The re-apply cache lives in the test's tmp directory.  Measured in the same run and recorded in extra_info:

* parse_s / plan_s / apply_s: the split of the first apply (best round).  Loading checks every
  value but builds no wfp.Rule; the first plan builds the Rules it will add, so their cost
  shows in plan_s;
* bare_add_rules_s: ``Session.add_rules`` of the same Rule objects into a fresh engine that
  already holds the provider and sublayer, and ratio_plan_apply_to_bare =
  (plan + apply) / bare add_rules (target: at most 3);
* reapply_s: plan + apply of the unchanged file (loaded again) on the engine that holds it,
  and reapply_speedup = first (plan + apply) / re-apply (plan + apply);
* first_total_s, reapply_total_s and reapply_total_speedup: the same from parse to commit
  (target: at least 10), the re-apply answered by the re-apply cache;
* reapply_uncached_total_s: the same re-apply with the cache off (parse, then compare every
  rule by digest);
* ratio_apply_to_bare and reapply_apply_only_speedup: ``Policy.apply`` alone;
* yes_first_s / yes_reapply_s / yes_speedup: parse + apply with no preview, what
  ``wfp apply --yes`` runs, first on a fresh engine and then again unchanged;
* toml_parse_s: the same policy written as TOML, parsed (tomllib is pure Python).

The policy is benchmarks/_rules.py's rule set as policy rules: one rule per filter at
ALE_AUTH_CONNECT_V4 with a remote address, a remote port and a protocol.
"""
from __future__ import annotations

import json
import time

import pytest

import _rules
import wfp
from conftest import rounds_for
from wfp import policy as policies


def policy_document(n: int) -> dict:
    return {
        "format": 1,
        "provider": {"name": "policy benchmark"},
        "sublayer": [{"name": "bench", "weight": 0x100}],
        "rule": [{"name": spec.name, "layer": "ALE_AUTH_CONNECT_V4", "sublayer": "bench",
                  "action": "permit" if spec.permit else "block",
                  "conditions": {"ip_remote_address": str(spec.remote_address),
                                 "ip_remote_port": spec.remote_port,
                                 "ip_protocol": spec.protocol}}
                 for spec in _rules.rule_specs(n)],
    }


@pytest.fixture
def policy_files(tmp_path, n_rules):
    document = policy_document(n_rules)
    json_path = tmp_path / "policy.json"
    json_path.write_text(json.dumps(document))
    toml_path = tmp_path / "policy.toml"
    toml_path.write_text(policies.render_toml(document))
    return json_path, toml_path


def fresh_session() -> wfp.Session:
    return wfp.Session(name="policy bench", dynamic=False, backend=wfp.SimEngine())


def test_policy_apply(benchmark, policy_files, n_rules, tmp_path, monkeypatch):
    json_path, toml_path = policy_files
    cache = tmp_path / "policy-cache.json"
    monkeypatch.setenv("WFPKIT_POLICY_CACHE", str(cache))
    rounds = []
    current = {}

    def setup():
        if "session" in current:
            current["session"].close()
        current["session"] = fresh_session()
        cache.unlink(missing_ok=True)  # a first apply: nothing remembered
        return (current["session"],), {}

    def first_apply(session):
        started = time.perf_counter()
        policy = policies.load(json_path)
        parsed = time.perf_counter()
        preview = policy.plan(session)
        planned = time.perf_counter()
        applied = policy.apply(session, plan=preview)
        done = time.perf_counter()
        rounds.append((parsed - started, planned - parsed, done - planned))
        current["policy"], current["preview"], current["applied"] = policy, preview, applied
        return applied

    benchmark.group = f"policy apply n={n_rules}"
    applied = benchmark.pedantic(first_apply, setup=setup, rounds=rounds_for(n_rules),
                                 iterations=1)
    assert len(applied.adds) == n_rules + 2  # the rules, the provider and the sublayer
    assert applied is current["preview"]  # carried out as planned
    session, policy = current["session"], current["policy"]

    # Re-apply of the unchanged file (loaded again) on the engine that holds it.
    reapply = []
    for _ in range(max(1, min(3, rounds_for(n_rules)))):
        started = time.perf_counter()
        again = policies.load(json_path)
        parsed = time.perf_counter()
        preview = again.plan(session)
        planned = time.perf_counter()
        result = again.apply(session, plan=preview)
        done = time.perf_counter()
        assert not preview.has_changes and not result.has_changes and not again.parsed
        assert result.unchanged == n_rules + 2
        reapply.append((parsed - started, done - parsed, done - planned, done - started))
    # The same with the cache off: parsed, and every rule compared by digest.
    uncached = []
    for _ in range(max(1, min(2, rounds_for(n_rules)))):
        started = time.perf_counter()
        again = policies.load(json_path, cache=False)
        preview = again.plan(session)
        result = again.apply(session, plan=preview)
        uncached.append(time.perf_counter() - started)
        assert not result.has_changes and result.unchanged == n_rules + 2
    # What `wfp apply --yes` runs: parse and apply, the plan made inside the transaction.
    yes_reapply = []
    for _ in range(max(1, min(3, rounds_for(n_rules)))):
        started = time.perf_counter()
        assert not policies.load(json_path).apply(session).has_changes
        yes_reapply.append(time.perf_counter() - started)
    session.close()
    cache.unlink(missing_ok=True)
    with fresh_session() as target:
        started = time.perf_counter()
        assert policies.load(json_path).apply(target).has_changes
        yes_first = time.perf_counter() - started

    # The same Rule objects through a bare bulk add.
    bare = []
    for _ in range(max(1, min(3, rounds_for(n_rules)))):
        with fresh_session() as target:
            target.add_provider(policy.provider)
            target.add_sublayer(policy.sublayers[0])
            started = time.perf_counter()
            ids = target.add_rules(policy.rules)
            bare.append(time.perf_counter() - started)
            assert len(ids) == n_rules

    started = time.perf_counter()
    from_toml = policies.load(toml_path)
    toml_parse = time.perf_counter() - started
    assert from_toml.rules == policy.rules

    parse_s = min(r[0] for r in rounds)
    plan_s = min(r[1] for r in rounds)
    apply_s = min(r[2] for r in rounds)
    first_total_s = min(sum(r) for r in rounds)
    reapply_s = min(r[1] for r in reapply)
    reapply_total_s = min(r[3] for r in reapply)
    bare_s = min(bare)
    info = benchmark.extra_info
    info["parse_s"] = round(parse_s, 4)
    info["plan_s"] = round(plan_s, 4)
    info["apply_s"] = round(apply_s, 4)
    info["bare_add_rules_s"] = round(bare_s, 4)
    info["ratio_plan_apply_to_bare"] = round((plan_s + apply_s) / bare_s, 2)
    info["reapply_parse_s"] = round(min(r[0] for r in reapply), 4)
    info["reapply_s"] = round(reapply_s, 4)
    info["reapply_speedup"] = round((plan_s + apply_s) / reapply_s, 1)
    info["first_total_s"] = round(first_total_s, 4)
    info["reapply_total_s"] = round(reapply_total_s, 4)
    info["reapply_total_speedup"] = round(first_total_s / reapply_total_s, 1)
    reapply_apply_s = min(r[2] for r in reapply)
    info["ratio_apply_to_bare"] = round(apply_s / bare_s, 2)
    info["reapply_apply_only_s"] = round(reapply_apply_s, 4)
    info["reapply_apply_only_speedup"] = round(apply_s / reapply_apply_s, 1)
    info["yes_first_s"] = round(yes_first, 4)
    info["yes_reapply_s"] = round(min(yes_reapply), 4)
    info["yes_speedup"] = round(yes_first / min(yes_reapply), 1)
    info["toml_parse_s"] = round(toml_parse, 4)
    info["reapply_uncached_total_s"] = round(min(uncached), 4)
    print(f"\npolicy n={n_rules}: parse {parse_s:.3f}s (TOML {toml_parse:.3f}s), "
          f"plan {plan_s:.3f}s, apply {apply_s:.3f}s; bare add_rules {bare_s:.3f}s, "
          f"(plan+apply)/bare = {info['ratio_plan_apply_to_bare']}; re-apply (plan+apply) "
          f"{reapply_s:.3f}s = first/{info['reapply_speedup']}; parse to commit: first "
          f"{first_total_s:.3f}s, re-apply {reapply_total_s:.3f}s = "
          f"first/{info['reapply_total_speedup']}; apply alone: first {apply_s:.3f}s = "
          f"{info['ratio_apply_to_bare']}x bare, re-apply {reapply_apply_s:.3f}s = "
          f"first/{info['reapply_apply_only_speedup']}; wfp apply --yes: first {yes_first:.3f}s, "
          f"re-apply {min(yes_reapply):.3f}s = first/{info['yes_speedup']}; re-apply without "
          f"the cache {min(uncached):.3f}s")
