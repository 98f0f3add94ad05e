"""Plan and apply against the embedded engine: add, re-apply, replace, prune, atomicity."""

from __future__ import annotations

import ipaddress

import pytest

import wfp
from wfp import policy as policies
from wfp.fields import Field, Layer

V4, V6 = Layer.ALE_AUTH_CONNECT_V4, Layer.ALE_AUTH_CONNECT_V6

BASE = """
[provider]
name = "plan test"

[[sublayer]]
name = "main"
weight = {sublayer_weight}

[[rule]]
name = "block dns"
layer = "ALE_AUTH_CONNECT"
sublayer = "main"
weight = {{ range = {dns_weight} }}
action = "block"
[rule.conditions]
ip_remote_port = 53

[[rule]]
name = "permit web"
layer = "ALE_AUTH_CONNECT_V4"
sublayer = "main"
weight = 100
action = "permit"
[rule.conditions]
ip_remote_port = [80, 443]
{extra}
"""

EXTRA_RULE = """
[[rule]]
name = "block telnet"
layer = "ALE_AUTH_CONNECT_V4"
sublayer = "main"
action = "block"
[rule.conditions]
ip_remote_port = 23
"""


@pytest.fixture
def policy_file(write):
    def make(*, dns_weight: int = 14, sublayer_weight: int = 4096, extra: str = EXTRA_RULE):
        return write("policy.toml", BASE.format(dns_weight=dns_weight,
                                                sublayer_weight=sublayer_weight, extra=extra))
    return make


def engine_state(session: wfp.Session):
    """Every object with ids and effective weights: equal exactly when nothing changed."""
    return (sorted(session.providers(), key=lambda p: p.key),
            sorted(session.sublayers(), key=lambda s: s.key),
            sorted(((r, r.id, r.effective_weight) for r in session.rules()),
                   key=lambda item: item[0].key))


def test_first_apply_adds_everything_and_reapplying_changes_nothing(static_session, engine,
                                                                   policy_file):
    policy = policies.load(policy_file())
    plan = policy.plan(static_session)
    assert [(c.action, c.kind) for c in plan.changes] == [("add", "provider"), ("add", "sublayer")] \
        + [("add", "rule")] * 4
    applied = policy.apply(static_session)
    assert applied.changes == plan.changes
    rules = static_session.rules(provider=policy.provider.key)
    assert sorted(r.key for r in rules) == sorted(r.key for r in policy.rules)
    assert {r.key: r for r in rules} == {r.key: r for r in policy.rules}  # field by field

    before = engine_state(static_session)
    ids_before = engine.stats()["next_filter_id"]
    again = policies.load(policy_file()).apply(static_session)
    assert not again.has_changes and again.unchanged == 6
    assert engine_state(static_session) == before
    assert engine.stats()["next_filter_id"] == ids_before  # nothing deleted and re-added


def test_a_changed_rule_is_replaced_under_the_same_key(static_session, policy_file):
    policies.load(policy_file()).apply(static_session)
    old = {r.key: r for r in static_session.rules()}
    changed = policies.load(policy_file(dns_weight=9))
    plan = changed.plan(static_session)
    assert [(c.action, c.kind, c.layer) for c in plan.changes] == [
        ("replace", "rule", "ALE_AUTH_CONNECT_V4"), ("replace", "rule", "ALE_AUTH_CONNECT_V6")]
    assert all(c.fields == ("weight",) for c in plan.changes)
    assert all(c.before.weight == wfp.WeightRange(14) for c in plan.changes)
    changed.apply(static_session)
    now = {r.key: r for r in static_session.rules()}
    assert now.keys() == old.keys()
    for change in plan.changes:
        assert now[change.key].weight == wfp.WeightRange(9)
        assert now[change.key].id != old[change.key].id  # WFP cannot update: deleted and added
    assert not changed.plan(static_session).has_changes


def test_a_changed_sublayer_replaces_its_rules_too(static_session, policy_file):
    policies.load(policy_file()).apply(static_session)
    plan = policies.load(policy_file(sublayer_weight=8192)).plan(static_session)
    kinds = [(c.action, c.kind) for c in plan.changes]
    assert kinds == [("replace", "sublayer")] + [("replace", "rule")] * 4
    assert plan.changes[0].fields == ("weight",)
    policies.load(policy_file(sublayer_weight=8192)).apply(static_session)
    assert [s.weight for s in static_session.sublayers() if s.name == "main"] == [8192]
    assert len(static_session.rules(provider=plan.changes[0].after.provider)) == 4


def test_prune_deletes_only_the_providers_objects_not_in_the_file(static_session, policy_file):
    policies.load(policy_file()).apply(static_session)
    other = static_session.add_provider(wfp.Provider(name="someone else"))
    stranger = static_session.add_rule(wfp.Rule(name="not ours", layer=V4, provider=other,
                                                action=wfp.Action.BLOCK))
    unowned = static_session.add_rule(wfp.Rule(name="no provider", layer=V4,
                                               action=wfp.Action.PERMIT))
    smaller = policies.load(policy_file(extra=""))
    kept = smaller.plan(static_session)
    assert not kept.has_changes and kept.kept == 1
    pruned = smaller.plan(static_session, prune=True)
    assert [(c.action, c.name, c.reason) for c in pruned.changes] == [
        ("delete", "block telnet", "not in the file")]
    smaller.apply(static_session, prune=True)
    names = {r.name for r in static_session.rules()}
    assert "block telnet" not in names
    assert {"not ours", "no provider", "block dns", "permit web"} <= names
    assert static_session.rule(stranger).name == "not ours"
    assert static_session.rule(unowned).name == "no provider"


def test_prune_removes_undeclared_sublayers_with_their_rules(static_session, policy_file, write):
    policies.load(policy_file()).apply(static_session)
    bare = policies.load(write("bare.toml", '[provider]\nname = "plan test"\n'))
    plan = bare.plan(static_session, prune=True)
    assert sorted((c.action, c.kind) for c in plan.changes) == [("delete", "rule")] * 4 + [
        ("delete", "sublayer")]
    bare.apply(static_session, prune=True)
    assert static_session.rules(provider=bare.provider.key) == []
    assert static_session.sublayers(provider=bare.provider.key) == []
    assert static_session.provider(bare.provider.key).name == "plan test"


def test_a_failed_apply_leaves_the_engine_exactly_as_before(static_session, engine, policy_file):
    policies.load(policy_file()).apply(static_session)
    before = engine_state(static_session)
    changed = policies.load(policy_file(dns_weight=3, extra=EXTRA_RULE.replace("23", "2323")))
    engine.inject_failure(0, 2, 0x80320009)  # the second rule add fails
    with pytest.raises(wfp.BulkError):
        changed.apply(static_session)
    assert engine_state(static_session) == before
    assert not static_session.in_transaction
    assert changed.apply(static_session).has_changes  # and it goes through once nothing fails


def test_apply_inside_a_callers_transaction_joins_it(static_session, policy_file):
    policy = policies.load(policy_file())
    with pytest.raises(RuntimeError):
        with static_session.transaction():
            policy.apply(static_session)
            assert len(static_session.rules()) == 4
            raise RuntimeError("abort")
    assert static_session.rules() == []


def test_progress_reports_phases(static_session, policy_file):
    phases = []
    policies.load(policy_file()).apply(static_session, progress=phases.append)
    assert phases == ["reading the engine", "adding 4 rules", "committing"]


def test_a_feed_update_replaces_few_filters(static_session, write, make_blocklist):
    entries = make_blocklist.entries(12_000, seed=7)
    write("feed.txt", "\n".join(entries))
    policy_text = """
        [provider]
        name = "feed"
        [[rule]]
        name = "block feed"
        layer = ["ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V6"]
        action = "block"
        [rule.conditions]
        ip_remote_address = { file = "feed.txt" }
        """
    path = write("feed.toml", policy_text)
    first = policies.load(path)
    v4_filters = [r for r in first.rules if r.layer is V4]
    assert len(v4_filters) >= 5
    first.apply(static_session)
    new_address = "203.0.113.77"
    assert not any(ipaddress.ip_address(new_address) in ipaddress.ip_network(e) for e in entries)
    write("feed.txt", "\n".join(entries[:5000] + [new_address] + entries[5000:]))
    plan = policies.load(path).plan(static_session)
    assert 1 <= len(plan.changes) <= 2
    assert all(c.fields == ("conditions",) for c in plan.changes)


def test_snapshot_export_and_import_by_key(static_session, engine, policy_file):
    policy = policies.load(policy_file())
    policy.apply(static_session)
    document = static_session.export()
    with wfp.Session(name="other", dynamic=False, backend=wfp.SimEngine()) as other:
        snapshot = policies.load_snapshot(document)
        assert snapshot.apply(other).has_changes
        assert {r.key: r for r in other.rules()} == {r.key: r for r in policy.rules}
        assert not snapshot.plan(other).has_changes
        assert not policy.plan(other).has_changes
